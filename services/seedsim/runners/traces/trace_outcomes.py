"""What a trace says became of each message and each consignment: the outcome a tester checks.

Two runs of the same traffic never carry the same bytes: every message gets a
new ``ce_id``, correlation id and ``traceparent``, every node its own clock and
MRN serials. What must be the same is the outcome, and this module reads it
from a trace (:mod:`.trace_records` says what each record is):

per message, keyed by :class:`MessageKey` (consignment, type, event, sender, receiver)
    the receiver's :class:`Verdict` (``valid``, or ``invalid`` with the rule ids
    of its errors, from the ``invalid`` record's result and detail), its
    :class:`Ack` (positive or negative with its errors' rule ids, read from the
    acknowledgement's WCO Response payload: ``FunctionCode`` and each
    ``Error/ValidationCode``; else from the ``acked``/``nacked`` and
    ``ack_received``/``nack_received`` records), dead-lettering (the rule, from the
    ``dead_lettered`` record or the ``dlq_rule`` header of the copy on the
    dead-letter topic) and redeliveries the receiver ignored (``duplicate``).
    An acknowledgement is tied to the message it answers by its Response's
    ``FunctionalReferenceID`` (else ``ce_causationid``) and is part of that
    message's outcome, with the original sender's own verdict on it; an
    acknowledgement of a message the trace does not hold is a message of its own.
    A message the inboxes do not hold (a trace of the interop topic alone) is
    known from its interop records (``sent``, ``received``, ...), which carry the
    same five attributes.

per consignment
    the matching result at entry (``matched``, ``discrepancy``, ``entered
    unannounced``), each discrepancy :class:`Alert` (rule, element, exit and entry
    values, read from the ``alert`` record's detail, which the customs node writes
    as ``<element>: exit <value> / entry <value>; <why>``; the why names the
    tolerance, which is configuration, not outcome), risk alerts by profile id
    (``risk_alert``), and records dead-lettered without an envelope (no message
    to attach them to) by rule.

What a trace can tell is said with the outcomes (:class:`TraceOutcomes`): one
without the interop topic (kcat on the inboxes alone) has no verdicts but
those its acknowledgements give, and no matching, alerts or duplicates.

Ids, times and MRNs are never part of an outcome: the attributes above hold
none, and free text that is kept (alert values and elements) goes through
:func:`masked`. A trace is read once; only these small outcomes are kept, never
a payload.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from seedsim.core.identifiers import MRN_PATTERN
from seedsim.core.interop import InteropRecord, Stage
from seedsim.core.response import Response
from seedsim.core.transport import Record
from seedsim.core.xml_safety import parse_untrusted
from seedsim.messages.seed import ACKNOWLEDGEMENT, NO_PRE_ARRIVAL
from seedsim.runners.traces.trace_format import TraceEntry
from seedsim.runners.traces.trace_records import DEAD_LETTER, DRIVER, NONE, TracedMessage, classified

#: what a run's masked values become: MRNs, ids (ce_id, correlation and trace ids) and times
_MASKS = (
    (re.compile(r"\b" + MRN_PATTERN.pattern.strip("^$") + r"\b"), "<MRN>"),
    (re.compile(r"\b[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\b", re.IGNORECASE), "<id>"),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?"), "<time>"),
    (re.compile(r"\b\d{14}Z?\b"), "<time>"),  # WCO format code 304: CCYYMMDDHHMMSS
)
#: an alert's detail as the customs node writes it: ``<element>: exit <value> / entry <value>; <why>``
_ALERT_DETAIL = re.compile(r"^(?P<element>.*?): exit (?P<exit>.*?) / entry (?P<entry>.*?)(?:; .*)?$", re.DOTALL)
#: a rule id at the start of each issue in an ``invalid`` record's detail (``R106/106 at /x: ...; F302/302: ...``)
_ISSUE_RULE = re.compile(r"(?:^|; )([A-Z][A-Z0-9]*[0-9])/[0-9]+\b")
#: the matching results, as a tester names them
MATCHED, DISCREPANCY, UNANNOUNCED = "matched", "discrepancy", "entered unannounced"
ACK_TYPE = ACKNOWLEDGEMENT.name


def masked(text: str) -> str:
    """``text`` with MRNs, ids and times replaced by ``<MRN>``, ``<id>`` and ``<time>``."""
    for pattern, mask in _MASKS:
        text = pattern.sub(mask, text)
    return text


@dataclass(frozen=True)
class MessageKey:
    """How a message is known across runs: never by its id."""

    consignment: str
    type: str | None
    event: str | None
    sender: str | None
    receiver: str | None

    def label(self) -> str:
        """``ExportData RS -> ME on EXIT``."""
        what = self.type or "a message of unknown type"
        on = f" on {self.event}" if self.event else ""
        return f"{what} {self.sender or '?'} -> {self.receiver or '?'}{on}"


@dataclass(frozen=True)
class Verdict:
    """The receiver's check of a message: accepted, or refused by the rules of its errors."""

    accepted: bool
    rules: tuple[str, ...] = ()

    @property
    def state(self) -> str:
        """``accepted`` / ``refused with R106, R107``."""
        return "accepted" if self.accepted else "refused" + (f" with {', '.join(self.rules)}" if self.rules else "")

    @property
    def phrase(self) -> str:
        """``accepted it`` / ``refused it with R106, R107``."""
        return self.state.replace(" ", " it ", 1) if " " in self.state else self.state + " it"

    def same(self, other: Verdict) -> bool:
        return self.accepted == other.accepted and sorted(self.rules) == sorted(other.rules)


@dataclass(frozen=True)
class Ack:
    """The acknowledgement of a message: positive or negative, its errors' rule ids (None: not readable)."""

    positive: bool
    rules: tuple[str, ...] | None = None
    #: it reached the sender (its message is in the trace, or the sender recorded receiving it);
    #: False when only the receiver recorded sending it
    delivered: bool = True
    #: from sending the message to the sender receiving the acknowledgement (None: unknown)
    latency_ms: float | None = None
    #: the original sender's own check of the acknowledgement (None: not in the trace)
    verdict: Verdict | None = None
    #: redeliveries of the acknowledgement the original sender recognised and ignored
    duplicates: int = 0

    @property
    def state(self) -> str:
        """``acknowledged`` / ``acknowledged negatively with R106``."""
        if self.positive:
            return "acknowledged"
        return "acknowledged negatively" + (f" with {', '.join(self.rules)}" if self.rules else "")

    @property
    def phrase(self) -> str:
        """``acknowledged it`` / ``acknowledged it negatively with R106``."""
        return self.state.replace("acknowledged", "acknowledged it", 1)

    def same_answer(self, other: Ack) -> bool:
        """The same polarity and, when both are known, the same error rules."""
        if self.positive != other.positive:
            return False
        return self.rules is None or other.rules is None or sorted(self.rules) == sorted(other.rules)

    def agrees_with(self, verdict: Verdict | None) -> bool:
        """What the receiver acknowledged is what it decided (a positive ack of an accepted message, ...)."""
        if verdict is None:
            return True
        if self.positive != verdict.accepted:
            return False
        return self.positive or self.rules is None or sorted(self.rules) == sorted(verdict.rules)


@dataclass(frozen=True)
class MessageOutcome:
    key: MessageKey
    #: the receiver's check; from the acknowledgement when the trace holds no interop verdict; None: unknown
    verdict: Verdict | None
    ack: Ack | None
    #: the rule it was dead-lettered by
    dead_lettered: str | None
    #: redeliveries the receiver recognised and ignored
    duplicates: int


@dataclass(frozen=True)
class Alert:
    """A discrepancy found at entry: its rule, element and both values (masked)."""

    rule: str
    element: str | None
    exit_value: str | None
    entry_value: str | None
    #: the whole detail (masked) when it does not read as element and values
    detail: str | None = None

    @classmethod
    def of(cls, rec: InteropRecord) -> Alert:
        found = _ALERT_DETAIL.match(rec.detail or "")
        if found is None:
            return cls(rec.result or "?", None, None, None, masked(rec.detail) if rec.detail else None)
        return cls(
            rec.result or "?",
            masked(found["element"].strip()),
            masked(found["exit"].strip()),
            masked(found["entry"].strip()),
        )

    @property
    def name(self) -> str:
        """``alert M03 value``."""
        return f"alert {self.rule}" + (f" {self.element}" if self.element else "")

    @property
    def values(self) -> str:
        """``exit 39842.00 EUR / entry 23905.20 EUR``."""
        if self.element is None:
            return repr(self.detail or "")
        return f"exit {self.exit_value} / entry {self.entry_value}"


@dataclass
class ConsignmentOutcome:
    consignment: str
    #: the messages under each key, in the order the trace holds them
    messages: dict[MessageKey, list[MessageOutcome]] = field(default_factory=dict)
    #: the matching results at entry, in order (usually one)
    matching: list[str] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    #: risk alerts by profile id
    risk_alerts: Counter[str] = field(default_factory=Counter)
    #: records dead-lettered without an envelope, by rule
    dead_letters: Counter[str] = field(default_factory=Counter)

    @property
    def message_types(self) -> set[str]:
        return {k.type for k in self.messages if k.type}


@dataclass
class _Facts:
    """What the trace says of one message id, gathered as its records come."""

    consignment: str | None = None
    type: str | None = None
    event: str | None = None
    sender: str | None = None
    receiver: str | None = None
    time: datetime | None = None
    in_inbox: bool = False
    verdict: Verdict | None = None
    claimed_ack: bool | None = None  # the receiver's acked / nacked record
    received_ack: bool | None = None  # the sender's ack_received / nack_received record
    latency_ms: float | None = None
    dead_lettered: str | None = None
    duplicates: int = 0
    # an acknowledgement message: the id it answers, its polarity and errors from the payload
    answers: str | None = None
    ack_positive: bool | None = None
    ack_rules: tuple[str, ...] | None = None
    ack_message: _Facts | None = None

    def fill(
        self, consignment: str | None, type: str | None, event: str | None, sender: str | None, receiver: str | None
    ) -> None:
        """Take the attributes not known yet (a message's own headers come first when the trace holds it)."""
        self.consignment = self.consignment or consignment
        self.type = self.type or type
        self.event = self.event or event
        self.sender = self.sender or sender
        self.receiver = self.receiver or receiver

    @property
    def key(self) -> MessageKey:
        return MessageKey(self.consignment or NONE, self.type, self.event, self.sender, self.receiver)

    def ack(self) -> Ack | None:
        m = self.ack_message
        if m is not None:
            positive = m.ack_positive if m.ack_positive is not None else self.received_ack
            if positive is None:
                positive = self.claimed_ack
            if positive is not None:
                return Ack(positive, m.ack_rules, True, self._latency(m), m.verdict, m.duplicates)
        if self.received_ack is not None:
            return Ack(self.received_ack, None, True, self.latency_ms)
        if self.claimed_ack is not None:
            return Ack(self.claimed_ack, None, delivered=False)
        return None

    def _latency(self, ack: _Facts) -> float | None:
        if self.latency_ms is not None:
            return self.latency_ms
        if self.time is not None and ack.time is not None:
            return (ack.time - self.time).total_seconds() * 1000
        return None

    def outcome(self) -> MessageOutcome:
        ack = self.ack()
        verdict = self.verdict
        if verdict is None and ack is not None and ack.delivered:
            verdict = Verdict(ack.positive, () if ack.positive else ack.rules or ())
        elif verdict is not None and not verdict.accepted and ack is not None and ack.rules:
            # the interop record's detail is cut at 1000 characters; the acknowledgement lists every error
            verdict = Verdict(False, tuple(dict.fromkeys(verdict.rules + ack.rules)))
        return MessageOutcome(self.key, verdict, ack, self.dead_lettered, self.duplicates)


def _rules_of_invalid(rec: InteropRecord) -> tuple[str, ...]:
    """The rule of each error of an ``invalid`` record: its result first, then those its detail names."""
    rules = [rec.result] if rec.result else []
    rules += _ISSUE_RULE.findall(rec.detail or "")
    return tuple(dict.fromkeys(rules))


def _read_ack(facts: _Facts, m: TracedMessage) -> None:
    """An acknowledgement's payload: what it answers, positive or not, its errors' rule ids."""
    facts.answers = m.causation_id
    try:
        response = Response.from_root(parse_untrusted(m.record.value))
    except Exception:  # not a Response the diff can read: an acknowledgement whose answer is unknown
        return
    facts.answers = response.in_reply_to or m.causation_id
    facts.ack_positive = response.positive
    facts.ack_rules = tuple(dict.fromkeys(e.validation_code for e in response.errors if e.validation_code))


_MESSAGE_STAGES = {
    Stage.SENT,
    Stage.RECEIVED,
    Stage.VALID,
    Stage.INVALID,
    Stage.ACKED,
    Stage.NACKED,
    Stage.ACK_RECEIVED,
    Stage.NACK_RECEIVED,
    Stage.DEAD_LETTERED,
    Stage.DUPLICATE,
}


class _Reader:
    """One pass over a trace, gathering facts per message id and per consignment."""

    def __init__(self) -> None:
        self.facts: dict[str, _Facts] = {}
        self.consignments: dict[str, ConsignmentOutcome] = {}
        self.interop_dead_letters: Counter[tuple[str, str]] = Counter()
        self.copy_dead_letters: Counter[tuple[str, str]] = Counter()

    def consignment(self, ref: str | None) -> ConsignmentOutcome:
        ref = ref or NONE
        found = self.consignments.get(ref)
        if found is None:
            found = self.consignments[ref] = ConsignmentOutcome(ref)
        return found

    def about(self, message_id: str) -> _Facts:
        found = self.facts.get(message_id)
        if found is None:
            found = self.facts[message_id] = _Facts()
        return found

    def message(self, m: TracedMessage) -> None:
        r = m.record
        mid = m.id or f"at:{r.topic}:{r.partition}:{r.offset}"
        facts = self.about(mid)
        self.consignment(m.consignment)
        if facts.in_inbox:  # delivered again: the receiver's duplicate record says whether it noticed
            return
        facts.in_inbox, facts.time = True, m.time
        # the message's own headers win over what interop records said of it
        facts.consignment = m.consignment or facts.consignment
        facts.type, facts.event = m.type or facts.type, m.event or facts.event
        facts.sender, facts.receiver = m.sender or facts.sender, m.receiver or facts.receiver
        if m.type == ACK_TYPE:
            _read_ack(facts, m)

    def dead_letter_copy(self, record: Record) -> None:
        rule = record.header("dlq_rule") or "?"
        mid = record.header("ce_id")
        consignment = record.header("ce_subject") or (record.key.decode(errors="replace") if record.key else None)
        self.consignment(consignment)
        if mid:
            facts = self.about(mid)
            facts.fill(consignment, None, record.header("ce_trigger"), None, None)
            facts.dead_lettered = facts.dead_lettered or rule
        else:
            self.copy_dead_letters[(consignment or NONE, rule)] += 1

    def interop(self, rec: InteropRecord) -> None:
        c = self.consignment(rec.consignment)
        if rec.stage == Stage.MATCHED:
            c.matching.append(MATCHED)
        elif rec.stage == Stage.ALERT:
            if rec.result == NO_PRE_ARRIVAL:
                c.matching.append(UNANNOUNCED)
            else:
                if DISCREPANCY not in c.matching:
                    c.matching.append(DISCREPANCY)
                c.alerts.append(Alert.of(rec))
        elif rec.stage == Stage.RISK_ALERT:
            c.risk_alerts[rec.result or "?"] += 1
        elif rec.stage in _MESSAGE_STAGES:
            self._about_message(rec)

    def _about_message(self, rec: InteropRecord) -> None:
        if rec.message_id is None:
            if rec.stage == Stage.DEAD_LETTERED:
                self.interop_dead_letters[(rec.consignment or NONE, rec.result or "?")] += 1
            return
        facts = self.about(rec.message_id)
        if not facts.in_inbox:
            facts.fill(rec.consignment, rec.message_type, rec.event, rec.sender, rec.receiver)
        if rec.stage == Stage.VALID:
            facts.verdict = Verdict(True)
        elif rec.stage == Stage.INVALID:
            facts.verdict = Verdict(False, _rules_of_invalid(rec))
        elif rec.stage in (Stage.ACKED, Stage.NACKED):
            facts.claimed_ack = rec.stage == Stage.ACKED
        elif rec.stage in (Stage.ACK_RECEIVED, Stage.NACK_RECEIVED):
            facts.received_ack = rec.stage == Stage.ACK_RECEIVED
            facts.latency_ms = rec.latency_ms
        elif rec.stage == Stage.DEAD_LETTERED:
            facts.dead_lettered = rec.result or "?"
        elif rec.stage == Stage.DUPLICATE:
            facts.duplicates += 1

    def outcomes(self) -> dict[str, ConsignmentOutcome]:
        folded = set()
        for mid, facts in self.facts.items():
            original = self.facts.get(facts.answers or "") if facts.type == ACK_TYPE else None
            if original is not None and original.type != ACK_TYPE and original.ack_message is None:
                original.ack_message = facts
                folded.add(mid)
        for mid, facts in self.facts.items():
            if mid not in folded:
                outcome = facts.outcome()
                self.consignment(outcome.key.consignment).messages.setdefault(outcome.key, []).append(outcome)
        for (ref, rule), n in (self.interop_dead_letters | self.copy_dead_letters).items():
            self.consignment(ref).dead_letters[rule] = n
        for c in self.consignments.values():
            c.alerts.sort(
                key=lambda a: tuple(x or "" for x in (a.rule, a.element, a.exit_value, a.entry_value, a.detail))
            )
        return self.consignments


@dataclass
class TraceOutcomes:
    """The outcome of each consignment of a trace, in order of appearance, and what the trace could tell."""

    consignments: dict[str, ConsignmentOutcome]
    #: the trace holds the interop topic: the receivers' verdicts, matching, alerts, risk alerts, duplicates
    interop: bool
    #: the trace tells what was dead-lettered: it holds the interop topic (a ``dead_lettered`` record for each)
    #: or copies on a dead-letter topic
    dead_letters: bool

    @property
    def messages(self) -> int:
        """How many messages (an acknowledgement counted with the message it answers)."""
        return sum(len(ms) for c in self.consignments.values() for ms in c.messages.values())

    def received_by(self, node: str) -> TraceOutcomes:
        """Only what ``node`` received (each message's verdict, acknowledgement, dead-lettering, duplicates), per
        consignment that has any; no matching, alerts or risk alerts (what drove the node is not compared), and no
        acknowledgement of the node's own messages standing alone (a node under test replayed to sends none)."""
        kept = {}
        for ref, c in self.consignments.items():
            messages = {
                k: ms
                for k, ms in c.messages.items()
                if (k.receiver or "").upper() == node.upper() and k.type != ACK_TYPE
            }
            if messages:
                kept[ref] = ConsignmentOutcome(ref, messages, dead_letters=c.dead_letters)
        return TraceOutcomes(kept, self.interop, self.dead_letters)


def trace_outcomes(entries: Iterable[TraceEntry | Record]) -> TraceOutcomes:
    """The outcomes in ``entries`` (a trace reader, or any records), read in one pass."""
    reader = _Reader()
    interop = dead_letters = False
    for record, what in classified(entries):
        if isinstance(what, InteropRecord):
            interop = True
            reader.interop(what)
        elif isinstance(what, TracedMessage):
            reader.message(what)
        elif what == DEAD_LETTER:
            dead_letters = True
            reader.dead_letter_copy(record)
        elif what == DRIVER:  # what drove the nodes: its outcome is in the messages and interop records
            continue
        else:  # an interop record seen before, or not readable as one: the trace holds the interop topic
            interop = True
    return TraceOutcomes(reader.outcomes(), interop, interop or dead_letters)
