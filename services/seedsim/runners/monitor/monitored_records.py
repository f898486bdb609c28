"""What the monitor reads on a topic: an interop record, a dead letter, or a message as received.

The wire formats are read here and nowhere else in the monitor, through the readers every other
reader uses: interop records through ``core.interop.decode_interop`` (so when their wire format
changes, one reader changes; a record of the interop topic is a batch of them, and the monitor keeps
each one alone: :func:`monitored_lines`), messages through their CloudEvents headers (``TracedMessage``, of
:mod:`seedsim.runners.traces.trace_records`). A dead letter is the copy of a refused message on an
inbox's dead-letter topic, with why it was refused in ``dlq_*`` headers. A message keeps at most
:data:`MAX_PAYLOAD` bytes of its payload: the monitor shows what arrived, not an archive.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from seedsim.core.interop import InteropRecord, decode_interop, decode_interop_lines
from seedsim.core.topics import Topics
from seedsim.core.transport import Record
from seedsim.runners.traces.trace_records import TracedMessage, is_dead_letter_topic, is_interop_topic

#: ``.inbox.``: what the name of an inbox topic holds, whatever its prefix (spelled in seedsim.core.topics)
INBOX_MARK = Topics("p").inbox("n").removeprefix("p").removesuffix("n")
#: the most of a payload the monitor keeps (a message's XML as received, a dead letter's copy)
MAX_PAYLOAD = 64 * 1024


def _node_of(topic: str) -> str:
    """``RS`` from ``seedsim.inbox.rs`` or ``seedsim.inbox.rs.dlq`` (agency ids: ``RS-NPPO``)."""
    parts = topic.split(".")
    if parts[-1] == "dlq":
        parts = parts[:-1]
    return parts[-1].upper()


def _when(record: Record) -> datetime:
    if record.timestamp_ms is not None and record.timestamp_ms >= 0:
        return datetime.fromtimestamp(record.timestamp_ms / 1000, UTC)
    return datetime.now(UTC)


def _payload(value: bytes) -> tuple[bytes, bool]:
    return value[:MAX_PAYLOAD], len(value) > MAX_PAYLOAD


@dataclass(frozen=True)
class DeadLetter:
    """A refused message as copied to its inbox's dead-letter topic, with the rule and reason."""

    #: the message id (``ce_id``) or, for a record without an envelope, its original position
    key: str
    node: str
    rule: str
    reason: str
    error_class: str | None
    pointer: str | None
    message_id: str | None
    consignment: str | None
    sender: str | None
    message_type: str | None
    ts: datetime
    payload: bytes
    truncated: bool

    @classmethod
    def of(cls, record: Record) -> DeadLetter:
        m = TracedMessage.of(record)
        position = ":".join(
            record.header(h) or "?" for h in ("dlq_original_topic", "dlq_original_partition", "dlq_original_offset")
        )
        payload, truncated = _payload(record.value)
        return cls(
            key=m.id or f"at:{position}",
            node=_node_of(record.topic),
            rule=record.header("dlq_rule") or "?",
            reason=record.header("dlq_reason") or "",
            error_class=record.header("dlq_error_class"),
            pointer=record.header("dlq_pointer") or None,
            message_id=m.id,
            consignment=m.consignment,
            sender=m.sender,
            message_type=m.type,
            ts=_when(record),
            payload=payload,
            truncated=truncated,
        )


@dataclass(frozen=True)
class ReceivedMessage:
    """A message as it arrived in a node's inbox: its attributes and (at most MAX_PAYLOAD of) its XML."""

    message_id: str
    node: str
    consignment: str | None
    sender: str | None
    message_type: str | None
    event: str | None
    ts: datetime
    payload: bytes
    truncated: bool

    @classmethod
    def of(cls, record: Record) -> ReceivedMessage | None:
        m = TracedMessage.of(record)
        if m.id is None:  # no envelope: the node dead-letters it, and the dead letter keeps the copy
            return None
        payload, truncated = _payload(record.value)
        return cls(
            m.id, _node_of(record.topic), m.consignment, m.sender, m.type, m.event, _when(record), payload, truncated
        )


Monitored = InteropRecord | DeadLetter | ReceivedMessage


def _other(record: Record) -> DeadLetter | ReceivedMessage | None:
    if is_dead_letter_topic(record.topic):
        return DeadLetter.of(record)
    if INBOX_MARK in record.topic:
        return ReceivedMessage.of(record)
    return None


def monitored(record: Record) -> list[Monitored]:
    """What ``record`` is to the monitor: the interop records it holds (a batch, or one as the store keeps it),
    or a dead letter, or a message; empty for what it does not read (the driver topic, unreadable values)."""
    if is_interop_topic(record.topic):
        return decode_interop(record.value)  # type: ignore[return-value]  # a list of one of Monitored's kinds
    what = _other(record)
    return [] if what is None else [what]


def monitored_lines(record: Record) -> list[tuple[bytes, InteropRecord]]:
    """The interop records of a record of the interop topic, each with its own line of the batch: what the store
    keeps of each (it reads back, through :func:`monitored`, as that record alone)."""
    return decode_interop_lines(record.value)
