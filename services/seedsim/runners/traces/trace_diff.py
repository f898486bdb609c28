"""``seedsim trace diff``: the outcome of one trace against a golden one, named in a tester's words.

A tester keeps the trace of a run whose outcome was checked (the golden trace)
and compares every later run with it: another seedsim version, a node with
other settings, or an integrator's own implementation standing as one node
(conformance by replay: the golden trace's messages replayed into the system
under test, its answers recorded, the two traces compared). Bytes never
compare: ids, MRNs and times differ on every run. Outcomes do
(:mod:`.trace_outcomes` reads them and masks what a run invents):

* per message, matched by consignment, type, event, sender and receiver (a key
  repeated within a consignment is matched in order): the receiver's verdict,
  the acknowledgement (and the sender's check of it), dead-lettering and
  redeliveries ignored as duplicates;
* per consignment: the matching result at entry, each alert (rule, element,
  both values) and risk alerts by profile.

Each difference is a :class:`Deviation` whose text says what a tester would
say: ``ExportData RS -> ME on EXIT: golden refused it with R106, actual
accepted it``, ``no acknowledgement of EntryConfirmation ME -> RS on ENTRY within the
Utility Block's timeout of 30 s (UB-SEED-EXIT; golden: acknowledged)``,
``alert M03 value: golden exit 39842.00 EUR / entry 23905.20 EUR, actual: no
alert``, ``consignment only in golden``. A deviation that follows from one
already named is not named again (a message refused instead of accepted is not
also reported as negatively acknowledged and dead-lettered, when it was).

A trace that cannot tell an outcome is not compared on it, and the report says
so (:attr:`TraceDiff.not_compared`): a capture of the inboxes alone (kcat on a
national system's topics) holds no interop record, so the receivers' verdicts
are read from their acknowledgements, and matching, alerts, risk alerts and
duplicates are left out; dead-lettering is compared when both traces hold the
interop topic or a dead-letter topic.

The timeout is the ``exchange.timeout_s`` of the Utility Block the message
belongs to: the blocks with a step sending that message on that event, kept to
those whose roles fit the sender and receiver (customs or agency) and, among
those, to those sharing most message types with the consignment's
conversation. When they disagree on the timeout, none is named. An
acknowledgement that came later than the timeout counts as none.

:func:`diff_traces` gives a :class:`TraceDiff`: ``.equal``, ``.deviations`` per
consignment, and three renderings: text per consignment, JSON (read back by
:meth:`TraceDiff.from_json`), JUnit XML with one test case per consignment
whose failure message is its deviations. What exit code a difference gives is
the command's business.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from itertools import zip_longest
from pathlib import Path

from lxml import etree

from seedsim.core.transport import Record
from seedsim.runners.traces.trace_file import read_trace
from seedsim.runners.traces.trace_format import TraceEntry
from seedsim.runners.traces.trace_outcomes import (
    Ack,
    Alert,
    ConsignmentOutcome,
    MessageKey,
    MessageOutcome,
    TraceOutcomes,
    Verdict,
    trace_outcomes,
)
from seedsim.utility_blocks.loader import blocks_in
from seedsim.utility_blocks.model import UtilityBlock

GOLDEN, ACTUAL = "golden", "actual"
#: the JUnit class name of every test case
JUNIT_CLASS = "seedsim.trace.diff"

Source = str | Path | Iterable[TraceEntry | Record]


@dataclass(frozen=True)
class Deviation:
    """One way the actual outcome differs from the golden one."""

    #: what differs: consignment, message, verdict, acknowledgement, dead_letter, duplicates, matching, alert,
    #: risk_alert or dead_letters (records without an envelope)
    kind: str
    #: what it is about: the message (``ExportData RS -> ME on EXIT``), the alert (``alert M03 value``), ...
    subject: str
    #: each side's outcome, in words (None: none)
    golden: str | None
    actual: str | None
    #: the deviation as a tester reads it
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class ConsignmentDiff:
    consignment: str
    deviations: tuple[Deviation, ...] = ()

    @property
    def equal(self) -> bool:
        return not self.deviations


@dataclass(frozen=True)
class TraceDiff:
    """Every consignment of either trace (golden's order, then those only in actual) and how it deviates."""

    golden: str
    actual: str
    consignments: tuple[ConsignmentDiff, ...]
    #: messages compared: {"golden": n, "actual": m}
    messages: Mapping[str, int] = field(default_factory=dict)
    #: outcomes one of the traces cannot tell (it holds no interop record, ...), each with why
    not_compared: tuple[str, ...] = ()

    @property
    def equal(self) -> bool:
        return all(c.equal for c in self.consignments)

    @property
    def deviations(self) -> dict[str, list[Deviation]]:
        """The deviations of each consignment that has any."""
        return {c.consignment: list(c.deviations) for c in self.consignments if not c.equal}

    def to_text(self) -> str:
        """A heading, each deviating consignment with its deviations, and the verdict."""
        n, deviating = len(self.consignments), self.deviations
        lines = [
            "seedsim trace diff (ids, MRNs and times masked)",
            f"  golden: {self.golden}",
            f"  actual: {self.actual}",
            f"  compared: {n} consignment{'s' * (n != 1)}, "
            f"{self.messages.get(GOLDEN, 0)} messages in golden, {self.messages.get(ACTUAL, 0)} in actual",
            *(f"  not compared: {what}" for what in self.not_compared),
        ]
        for ref, found in deviating.items():
            lines += ["", f"consignment {ref}: {len(found)} deviation{'s' * (len(found) != 1)}"]
            lines += [f"  - {d.text}" for d in found]
        lines.append("")
        if deviating:
            lines.append(f"DIFFERENT: {len(deviating)} of {n} consignments deviate from golden")
        else:
            lines.append(f"EQUAL: the {n} consignments have the golden outcome")
        return "\n".join(lines) + "\n"

    def to_json(self) -> str:
        return json.dumps(
            {
                "equal": self.equal,
                "golden": self.golden,
                "actual": self.actual,
                "messages": dict(self.messages),
                "not_compared": list(self.not_compared),
                "consignments": [
                    {
                        "consignment": c.consignment,
                        "equal": c.equal,
                        "deviations": [asdict(d) for d in c.deviations],
                    }
                    for c in self.consignments
                ],
            },
            indent=2,
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> TraceDiff:
        data = json.loads(text)
        return cls(
            data["golden"],
            data["actual"],
            tuple(
                ConsignmentDiff(c["consignment"], tuple(Deviation(**d) for d in c["deviations"]))
                for c in data["consignments"]
            ),
            data.get("messages", {}),
            tuple(data.get("not_compared", ())),
        )

    def to_junit(self) -> str:
        """JUnit XML: one test suite, one test case per consignment, failing with its deviations."""
        n, failures = len(self.consignments), len(self.deviations)
        suites = etree.Element("testsuites", name="seedsim trace diff")
        suite = etree.SubElement(suites, "testsuite", name=f"{self.actual} against {self.golden}")
        for element in (suites, suite):
            for attribute, count in (("tests", n), ("failures", failures), ("errors", 0), ("skipped", 0)):
                element.set(attribute, str(count))
        properties = etree.SubElement(suite, "properties")
        for name, value in (
            (GOLDEN, self.golden),
            (ACTUAL, self.actual),
            *(("not compared", w) for w in self.not_compared),
        ):
            etree.SubElement(properties, "property", name=name, value=value)
        for c in self.consignments:
            case = etree.SubElement(suite, "testcase", classname=JUNIT_CLASS, name=c.consignment)
            if c.deviations:
                failure = etree.SubElement(
                    case, "failure", type="deviation", message="; ".join(d.text for d in c.deviations)
                )
                failure.text = "\n".join(d.text for d in c.deviations)
        return etree.tostring(suites, xml_declaration=True, encoding="UTF-8", pretty_print=True).decode("utf-8")


# -- the Utility Block's timeout ------------------------------------------------------------------


def _kind(node: str | None) -> str:
    """customs or agency: agency nodes are named after their country (``RS-NPPO``)."""
    return "agency" if node and "-" in node else "customs"


class AckTimeouts:
    """The acknowledgement timeout (``exchange.timeout_s``) of the Utility Block a message belongs to."""

    def __init__(self, blocks: Mapping[str, UtilityBlock] | None = None) -> None:
        self.blocks = [ub for ub in (blocks_in() if blocks is None else blocks).values()]

    def of(self, key: MessageKey, conversation: set[str]) -> tuple[float, tuple[str, ...]] | None:
        """(seconds, the blocks it comes from) for ``key`` in a conversation of those message types; None: not known."""
        candidates = [
            ub
            for ub in self.blocks
            if ub.exchange.acknowledgement_required
            and any(s.message == key.type and s.event == key.event for s in ub.business_process.steps)
        ]
        fitting = [ub for ub in candidates if self._roles_fit(ub, key)]
        candidates = fitting or candidates
        if not candidates:
            return None
        best = max(len(conversation & set(ub.messages())) for ub in candidates)
        candidates = [ub for ub in candidates if len(conversation & set(ub.messages())) == best]
        timeouts = {ub.exchange.timeout_s for ub in candidates}
        if len(timeouts) != 1:
            return None
        return timeouts.pop(), tuple(sorted(ub.id for ub in candidates))

    @staticmethod
    def _roles_fit(ub: UtilityBlock, key: MessageKey) -> bool:
        bp = ub.business_process
        for s in bp.steps:
            if s.message == key.type and s.event == key.event:
                frm, to = bp.role(s.from_role), bp.role(s.to_role)
                if frm and to and (frm.kind, to.kind) == (_kind(key.sender), _kind(key.receiver)):
                    return True
        return False


# -- comparing ------------------------------------------------------------------------------------


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def _summary(m: MessageOutcome) -> str:
    """What became of a message, in a few words: ``accepted, acknowledged``."""
    parts = [m.verdict.state if m.verdict else "no verdict", m.ack.state if m.ack else "no acknowledgement"]
    if m.dead_lettered:
        parts.append(f"dead-lettered ({m.dead_lettered})")
    if m.duplicates:
        parts.append(f"{m.duplicates} redelivery(ies) ignored")
    return ", ".join(parts)


def _contrast(subject: str, golden: str | None, actual: str | None, absent: str) -> str:
    """``<subject>: golden <what>, actual <what>``; a side with nothing comes last, as ``absent`` says
    (``alert M03 value: golden exit 1 / entry 2, actual: no alert``)."""
    if actual is None:
        return f"{subject}: golden {golden}, actual{absent}"
    if golden is None:
        return f"{subject}: actual {actual}, golden{absent}"
    return f"{subject}: golden {golden}, actual {actual}"


def _explained(verdict: Verdict | None, dead_lettered: str | None) -> bool:
    """Dead-lettered exactly when refused, by one of the refusal's rules."""
    if verdict is None:
        return False
    if dead_lettered is None:
        return verdict.accepted
    return not verdict.accepted and (not verdict.rules or dead_lettered in verdict.rules)


@dataclass(frozen=True)
class _Scope:
    """What both traces can tell: interop records (verdicts, matching, alerts, duplicates), dead-lettering."""

    interop: bool = True
    dead_letters: bool = True


@dataclass(frozen=True)
class _Pair:
    """A message of golden and its match in actual, with the acknowledgement timeout of its Utility Block."""

    key: MessageKey
    label: str
    g: MessageOutcome
    a: MessageOutcome
    #: (seconds, the blocks it comes from); None: not known
    timeout: tuple[float, tuple[str, ...]] | None

    def late(self, ack: Ack | None) -> bool:
        return self.timeout is not None and ack is not None and (ack.latency_ms or 0) > self.timeout[0] * 1000

    def acked(self, ack: Ack | None) -> bool:
        """Acknowledged in time: the acknowledgement reached the sender, within the timeout when it is known."""
        return ack is not None and ack.delivered and not self.late(ack)

    def missing(self, ack: Ack | None) -> str:
        """Why a side has no acknowledgement in time."""
        if ack is not None and self.late(ack):
            return f"{ack.state} after {(ack.latency_ms or 0) / 1000:.1f} s"
        if ack is not None:
            return f"{self.key.receiver or '?'} recorded sending one, {self.key.sender or '?'} never received it"
        return "none"

    def status(self, ack: Ack | None) -> str | None:
        return None if ack is None else ack.state if self.acked(ack) else self.missing(ack)

    @property
    def g_acked(self) -> bool:
        return self.acked(self.g.ack)

    @property
    def a_acked(self) -> bool:
        return self.acked(self.a.ack)

    @property
    def ack_missing(self) -> bool:
        return self.g_acked and not self.a_acked

    @property
    def ack_extra(self) -> bool:
        return self.a_acked and not self.g_acked

    @property
    def verdict_differs(self) -> bool:
        gv, av = self.g.verdict, self.a.verdict
        return gv is not None and av is not None and not gv.same(av)


class _Comparison:
    """The deviations of one consignment, in the order a tester reads them."""

    def __init__(
        self, timeouts: AckTimeouts, scope: _Scope, golden: ConsignmentOutcome, actual: ConsignmentOutcome
    ) -> None:
        self.timeouts, self.scope, self.golden, self.actual = timeouts, scope, golden, actual
        self.found: list[Deviation] = []

    def add(self, kind: str, subject: str, golden: str | None, actual: str | None, text: str) -> None:
        self.found.append(Deviation(kind, subject, golden, actual, text))

    def run(self) -> tuple[Deviation, ...]:
        g, a = self.golden, self.actual
        for key in dict.fromkeys([*g.messages, *a.messages]):
            gs, as_ = g.messages.get(key, []), a.messages.get(key, [])
            for n, (gm, am) in enumerate(zip_longest(gs, as_), start=1):
                label = key.label() + (f" ({_ordinal(n)})" if max(len(gs), len(as_)) > 1 else "")
                self.message(key, label, gm, am)
        if self.scope.interop:
            self.consignment_interop()
        if self.scope.dead_letters:
            for rule in sorted(set(g.dead_letters) | set(a.dead_letters)):
                gn, an = g.dead_letters[rule], a.dead_letters[rule]
                if gn != an:
                    subject = f"records without a message envelope dead-lettered by {rule}"
                    self.add("dead_letters", subject, str(gn), str(an), f"{subject}: golden {gn}, actual {an}")
        return tuple(self.found)

    def consignment_interop(self) -> None:
        """What the nodes recorded about the consignment: matching, alerts, risk alerts."""
        g, a = self.golden, self.actual
        if g.matching != a.matching:
            gw, aw = ", ".join(g.matching) or None, ", ".join(a.matching) or None
            self.add(
                "matching", "matching", gw, aw, f"matching: golden {gw or 'no result'}, actual {aw or 'no result'}"
            )
        self.alerts()
        for profile in sorted(set(g.risk_alerts) | set(a.risk_alerts)):
            gn, an = g.risk_alerts[profile], a.risk_alerts[profile]
            if gn != an:
                subject = f"risk alert {profile}"
                gw, aw = (("raised it" + f" {n} times" * (n > 1)) if n else None for n in (gn, an))
                self.add("risk_alert", subject, str(gn), str(an), _contrast(subject, gw, aw, " did not"))

    def alerts(self) -> None:
        def grouped(alerts: list[Alert]) -> dict[tuple[str, str | None], list[Alert]]:
            out: dict[tuple[str, str | None], list[Alert]] = {}
            for alert in alerts:
                out.setdefault((alert.rule, alert.element), []).append(alert)
            return out

        g, a = grouped(self.golden.alerts), grouped(self.actual.alerts)
        for group in sorted(set(g) | set(a), key=lambda k: (k[0], k[1] or "")):
            for ga, aa in zip_longest(g.get(group, []), a.get(group, [])):
                if ga == aa:
                    continue
                name = (ga or aa).name
                gw, aw = ga.values if ga else None, aa.values if aa else None
                self.add("alert", name, gw, aw, _contrast(name, gw, aw, ": no alert"))

    def message(self, key: MessageKey, label: str, g: MessageOutcome | None, a: MessageOutcome | None) -> None:
        if g is None or a is None:
            side, other, m = (ACTUAL, GOLDEN, a) if g is None else (GOLDEN, ACTUAL, g)
            assert m is not None
            self.add(
                "message",
                label,
                None if g is None else _summary(g),
                None if a is None else _summary(a),
                f"{label}: only in {side}, not in {other} ({side}: {_summary(m)})",
            )
            return
        pair = _Pair(key, label, g, a, self.timeouts.of(key, self.golden.message_types | self.actual.message_types))
        self.verdict(pair)
        self.acknowledgement(pair)
        gd, ad = g.dead_lettered, a.dead_lettered
        explained = pair.verdict_differs and _explained(g.verdict, gd) and _explained(a.verdict, ad)
        if self.scope.dead_letters and gd != ad and not explained:
            gw, aw = (f"dead-lettered it ({d})" if d else None for d in (gd, ad))
            self.add("dead_letter", label, gd, ad, _contrast(label, gw, aw, " did not"))
        if self.scope.interop and g.duplicates != a.duplicates:
            self.duplicates(label, g.duplicates, a.duplicates)

    def verdict(self, p: _Pair) -> None:
        gv, av = p.g.verdict, p.a.verdict
        if gv is not None and av is not None:
            if p.verdict_differs:
                self.add("verdict", p.label, gv.state, av.state, f"{p.label}: golden {gv.phrase}, actual {av.phrase}")
        elif self.scope.interop and (gv, av) != (None, None) and not (p.ack_missing or p.ack_extra):
            known, side, other = (gv, GOLDEN, ACTUAL) if av is None else (av, ACTUAL, GOLDEN)
            assert known is not None
            self.add(
                "verdict",
                p.label,
                gv.state if gv else None,
                av.state if av else None,
                f"{p.label}: {side} {known.phrase}, {other}: no verdict of the receiver in the trace",
            )

    def acknowledgement(self, p: _Pair) -> None:
        ga, aa, label = p.g.ack, p.a.ack, p.label
        if p.ack_missing or p.ack_extra:
            within = f" within the Utility Block's timeout of {p.timeout[0]:g} s" if p.timeout else ""
            if p.ack_missing:
                assert ga is not None
                why = [", ".join(p.timeout[1])] if p.timeout else []
                why += [*([f"actual: {p.missing(aa)}"] if aa else []), f"golden: {ga.state}"]
                text = f"no acknowledgement of {label}{within} ({'; '.join(why)})"
            else:
                assert aa is not None
                late_golden = f"{within} ({p.missing(ga)})" if ga is not None and p.late(ga) else ""
                text = f"{label}: actual {aa.phrase}, golden: no acknowledgement{late_golden}"
            self.add("acknowledgement", label, p.status(ga), p.status(aa), text)
            return
        if ga is None or aa is None or not (p.g_acked and p.a_acked):
            return
        consistent = ga.agrees_with(p.g.verdict) and aa.agrees_with(p.a.verdict)
        if not ga.same_answer(aa) and not (p.verdict_differs and consistent):  # else the verdict says it
            self.add("acknowledgement", label, ga.state, aa.state, f"{label}: golden {ga.phrase}, actual {aa.phrase}")
        if ga.verdict is not None and aa.verdict is not None and not ga.verdict.same(aa.verdict):
            who = p.key.sender or "the sender"
            self.add(
                "acknowledgement",
                f"acknowledgement of {label}",
                ga.verdict.state,
                aa.verdict.state,
                f"acknowledgement of {label}: golden {who} {ga.verdict.phrase}, actual {who} {aa.verdict.phrase}",
            )
        if self.scope.interop and ga.duplicates != aa.duplicates:
            self.duplicates(f"acknowledgement of {label}", ga.duplicates, aa.duplicates)

    def duplicates(self, subject: str, golden: int, actual: int) -> None:
        text = f"{subject}: redeliveries ignored as duplicates: golden {golden}, actual {actual}"
        self.add("duplicates", subject, str(golden), str(actual), text)


def _outcomes(source: Source) -> TraceOutcomes:
    if isinstance(source, (str, Path)):
        with read_trace(source) as reader:
            return trace_outcomes(reader)
    return trace_outcomes(source)


def _name(source: Source, default: str) -> str:
    return str(source) if isinstance(source, (str, Path)) else default


def _scope(golden: TraceOutcomes, actual: TraceOutcomes) -> tuple[_Scope, tuple[str, ...]]:
    """What both traces can tell, and a line for each outcome one of them cannot."""

    def lacking(flag: str) -> str:
        sides = [side for side, t in ((GOLDEN, golden), (ACTUAL, actual)) if not getattr(t, flag)]
        return " and ".join(sides) + (" hold" if len(sides) > 1 else " holds")

    scope = _Scope(golden.interop and actual.interop, golden.dead_letters and actual.dead_letters)
    not_compared = []
    if not scope.interop:
        not_compared.append(
            "the receivers' own verdicts, matching, alerts, risk alerts and duplicates: "
            f"{lacking('interop')} no interop record (verdicts are read from the acknowledgements)"
        )
    if not scope.dead_letters:
        not_compared.append(f"dead-lettering: {lacking('dead_letters')} no dead-letter or interop record")
    return scope, tuple(not_compared)


def diff_outcomes(
    golden: TraceOutcomes,
    actual: TraceOutcomes,
    golden_name: str = GOLDEN,
    actual_name: str = ACTUAL,
    blocks: Mapping[str, UtilityBlock] | None = None,
    node: str | None = None,
) -> TraceDiff:
    """The diff of two traces' outcomes (:func:`seedsim.runners.traces.trace_outcomes.trace_outcomes`);
    with ``node``, of what that node received only (conformance by replay: a system under test standing as it)."""
    timeouts = AckTimeouts(blocks)
    if node is not None:
        golden, actual = golden.received_by(node), actual.received_by(node)
    scope, not_compared = _scope(golden, actual)
    if node is not None:
        not_compared += (
            f"matching, alerts and risk alerts: only the messages {node} received are compared (--node {node})",
        )

    def compared() -> Iterator[ConsignmentDiff]:
        g_all, a_all = golden.consignments, actual.consignments
        for ref in dict.fromkeys([*g_all, *a_all]):
            g, a = g_all.get(ref), a_all.get(ref)
            if g is None or a is None:
                side = ACTUAL if g is None else GOLDEN
                only = Deviation(
                    "consignment",
                    "consignment",
                    "present" if g else None,
                    "present" if a else None,
                    f"consignment only in {side}",
                )
                yield ConsignmentDiff(ref, (only,))
            else:
                yield ConsignmentDiff(ref, _Comparison(timeouts, scope, g, a).run())

    messages = {GOLDEN: golden.messages, ACTUAL: actual.messages}
    return TraceDiff(golden_name, actual_name, tuple(compared()), messages, not_compared)


def diff_traces(
    golden: Source,
    actual: Source,
    *,
    golden_name: str | None = None,
    actual_name: str | None = None,
    blocks: Mapping[str, UtilityBlock] | None = None,
    node: str | None = None,
) -> TraceDiff:
    """Compare the outcome of ``actual`` with that of ``golden``: trace files (seedsim's or kcat's, plain or
    gzip; read as they stream, a :class:`seedsim.runners.traces.TraceError` names a bad line) or records.

    ``blocks``: the Utility Blocks whose acknowledgement timeouts are named (default: the shipped ones);
    ``node``: compare only the messages that node received (see :func:`diff_outcomes`).
    """
    return diff_outcomes(
        _outcomes(golden),
        _outcomes(actual),
        golden_name or _name(golden, GOLDEN),
        actual_name or _name(actual, ACTUAL),
        blocks,
        node,
    )
