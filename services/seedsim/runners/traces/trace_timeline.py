"""``seedsim trace show``: each consignment's conversation, message by message, as a timeline.

A conversation is everything a trace holds about one consignment (the record
key, ``ce_subject``): each message between nodes, when it was made
(``ce_time``), who sent it to whom, its type and the event that caused it
(``ce_trigger``), and, from the interop records about that message (matched by
``ce_id``), the receiver's verdict (valid, or invalid with the rule), its
acknowledgement (acked or nacked), dead-lettering, redeliveries ignored as
duplicates, and the latency the sender measured from sending to the
acknowledgement (``ack_received``). What happened to the consignment itself
(declarations lodged, matching, discrepancy and risk alerts) appears as rows of
the node where it happened. Acknowledgements are messages too and have rows
of their own, so a timeline reads like the exchange did.

A trace without interop records (kcat on a cluster where only the inboxes are
read) still shows every message; the verdict and acknowledgement columns are
then empty. The timeline keeps one small row per message in memory (never the
payloads), grouped per consignment.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from seedsim.core.interop import InteropRecord, Stage
from seedsim.core.transport import Record
from seedsim.runners.traces.trace_columns import aligned
from seedsim.runners.traces.trace_format import TraceEntry
from seedsim.runners.traces.trace_records import NONE, TracedMessage, classified, utc

#: stages about the consignment rather than one message: always rows of their own
CONSIGNMENT_STAGES = {Stage.SUBMITTED, Stage.MATCHED, Stage.ALERT, Stage.RISK_ALERT}


@dataclass
class MessageRow:
    """One message between nodes and what became of it."""

    time: datetime | None
    message_id: str | None
    sender: str | None
    receiver: str | None
    type: str | None
    event: str | None
    topic: str
    partition: int | None
    offset: int | None
    causation_id: str | None = None
    trace_id: str | None = None
    #: valid or invalid (the receiver's check), None when the trace holds no verdict
    verdict: str | None = None
    #: the rule the receiver refused it by (invalid)
    rule: str | None = None
    #: acked or nacked (the receiver's acknowledgement)
    ack: str | None = None
    #: the sender's measure from sending to receiving the acknowledgement, in ms
    latency_ms: float | None = None
    #: the rule it was dead-lettered by
    dead_lettered: str | None = None
    #: times it reached an inbox (more than once: a redelivery or a replay)
    deliveries: int = 1
    #: redeliveries the receiver recognised and ignored
    duplicates: int = 0
    kind: str = "message"

    @classmethod
    def of(cls, m: TracedMessage) -> MessageRow:
        r = m.record
        return cls(
            m.time,
            m.id,
            m.sender,
            m.receiver,
            m.type,
            m.event,
            r.topic,
            r.partition,
            r.offset,
            m.causation_id,
            m.trace_id,
        )

    def attach(self, rec: InteropRecord) -> None:
        """Take what an interop record about this message says."""
        if rec.stage in (Stage.VALID, Stage.INVALID):
            self.verdict, self.rule = rec.stage.value, rec.result if rec.stage == Stage.INVALID else None
        elif rec.stage in (Stage.ACKED, Stage.NACKED):
            self.ack = rec.stage.value
        elif rec.stage in (Stage.ACK_RECEIVED, Stage.NACK_RECEIVED):
            self.ack = self.ack or ("acked" if rec.stage == Stage.ACK_RECEIVED else "nacked")
            self.latency_ms = rec.latency_ms
        elif rec.stage == Stage.DEAD_LETTERED:
            self.dead_lettered = rec.result or "?"
        elif rec.stage == Stage.DUPLICATE:
            self.duplicates += 1


@dataclass
class EventRow:
    """Something a node recorded about the consignment (or about a message the trace does not hold)."""

    time: datetime | None
    node: str
    stage: str
    message_type: str | None = None
    event: str | None = None
    sender: str | None = None
    receiver: str | None = None
    result: str | None = None
    detail: str | None = None
    kind: str = "event"


Row = MessageRow | EventRow


@dataclass
class Conversation:
    """Everything about one consignment, in time order."""

    consignment: str
    rows: list[Row] = field(default_factory=list)

    @property
    def messages(self) -> list[MessageRow]:
        return [r for r in self.rows if isinstance(r, MessageRow)]

    def to_json(self) -> dict[str, Any]:
        return {
            "consignment": self.consignment,
            "rows": [
                {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in asdict(r).items() if v is not None}
                for r in self.rows
            ],
        }


def _matches(row: Row, node: str | None, type: str | None) -> bool:
    if node is not None:
        involved = (row.sender, row.receiver) + ((row.node,) if isinstance(row, EventRow) else ())
        if node.upper() not in {x.upper() for x in involved if x}:
            return False
    if type is not None:
        kind = row.type if isinstance(row, MessageRow) else row.message_type
        if (kind or "").lower() != type.lower():
            return False
    return True


def trace_timeline(
    entries: Iterable[TraceEntry | Record],
    consignment: str | None = None,
    node: str | None = None,
    type: str | None = None,
) -> list[Conversation]:
    """The conversations in ``entries``, one per consignment in order of first appearance.

    ``consignment`` keeps that consignment only; ``node`` the rows where that node
    sends, receives or records; ``type`` the rows of that message type (the
    catalogue's name, e.g. ``ExportData``). Conversations left without rows are dropped.
    """
    rows: dict[str, list[Row]] = {}
    by_id: dict[str, MessageRow] = {}
    about_messages: list[InteropRecord] = []
    for _, what in classified(entries):
        if isinstance(what, InteropRecord):
            if what.stage in CONSIGNMENT_STAGES or what.message_id is None:
                rows.setdefault(what.consignment or NONE, []).append(_event(what))
            else:
                about_messages.append(what)
        elif isinstance(what, TracedMessage):
            known = by_id.get(what.id) if what.id else None
            if known is not None:
                known.deliveries += 1
                continue
            row = MessageRow.of(what)
            if what.id:
                by_id[what.id] = row
            rows.setdefault(what.consignment or NONE, []).append(row)
    for rec in about_messages:
        about = by_id.get(rec.message_id or "")
        if about is not None:
            about.attach(rec)
        else:  # the message itself is not in the trace: show what the node recorded
            rows.setdefault(rec.consignment or NONE, []).append(_event(rec))
    conversations = []
    for ref, found in rows.items():
        if consignment is not None and ref != consignment:
            continue
        kept = [r for r in found if _matches(r, node, type)]
        if kept:
            order = {id(r): i for i, r in enumerate(kept)}
            kept.sort(key=lambda r: (r.time is None, r.time or datetime.min, order[id(r)]))
            conversations.append(Conversation(ref, kept))
    return conversations


def _event(rec: InteropRecord) -> EventRow:
    return EventRow(
        utc(rec.ts),
        rec.node,
        rec.stage.value,
        rec.message_type,
        rec.event,
        rec.sender,
        rec.receiver,
        rec.result,
        rec.detail,
    )


def _clock(t: datetime | None, day: str) -> str:
    if t is None:
        return "?"
    text = t.isoformat(sep=" ", timespec="milliseconds")[:23]
    return text[11:] if text[:10] == day else text


def _message_cells(row: MessageRow) -> list[str]:
    what = row.type or NONE
    notes = []
    if row.latency_ms is not None:
        notes.append(f"latency {row.latency_ms:.1f} ms")
    if row.dead_lettered:
        notes.append(f"dead-lettered ({row.dead_lettered})")
    if row.deliveries > 1:
        notes.append(f"delivered {row.deliveries}x")
    if row.duplicates:
        notes.append(f"{row.duplicates} duplicate(s) ignored")
    return [
        f"{row.sender or '?'} -> {row.receiver or '?'}",
        what + (f" ({row.event})" if row.event else ""),
        (row.verdict or "") + (f" {row.rule}" if row.rule else ""),
        row.ack or "",
        ", ".join(notes),
    ]


def _event_cells(row: EventRow) -> list[str]:
    what = " ".join(x for x in (row.message_type, f"({row.event})" if row.event else None) if x)
    detail = " ".join(x for x in (row.result, row.detail) if x)
    return [f"[{row.node}]", row.stage + (f" {what}" if what else ""), detail]


def render_timeline(conversations: Iterable[Conversation]) -> str:
    """Each conversation as a block: the consignment and its day, then one aligned line per row (times in UTC)."""
    blocks = []
    for conv in conversations:
        times = [r.time for r in conv.rows if r.time is not None]
        day = min(times).date().isoformat() if times else ""
        n = len(conv.messages)
        head = f"consignment {conv.consignment}" + (f"  {day} UTC" if day else "") + f"  ({n} message{'s' * (n != 1)})"
        messages = aligned([[_clock(r.time, day), *_message_cells(r)] for r in conv.rows if isinstance(r, MessageRow)])
        events = aligned([[_clock(r.time, day), *_event_cells(r)] for r in conv.rows if isinstance(r, EventRow)])
        lines = iter(messages), iter(events)
        body = ["  " + next(lines[isinstance(r, EventRow)]) for r in conv.rows]
        blocks.append("\n".join([head, *body]))
    return "\n\n".join(blocks) + ("\n" if blocks else "")
