"""What each record of a trace is, for the views: an interop record, a dead-lettered copy, or a message.

A run's topics hold three kinds of record (see :mod:`seedsim.core.topics`):

* messages between nodes, on the inboxes: the payload, with the CloudEvents
  attributes in ``ce_*`` headers (:mod:`seedsim.core.envelope`): who sent it
  (``ce_source``, ``urn:seedsim:node:RS``), to whom (``ce_recipient``), its type
  (``ce_type``, named by the message catalogue), the consignment
  (``ce_subject``, also the key) and the event that caused it (``ce_trigger``);
* copies of refused messages, on each inbox's dead-letter topic (``.dlq``),
  which the views do not count as messages a second time;
* interop records, JSON on the shared ``<prefix>.interop`` topic, read with
  :class:`seedsim.core.interop.InteropRecord`: what became of each message.

:func:`classified` walks a trace once and says which each record is; the views
are built on it. A trace from any cluster may lack some headers; every
attribute is optional here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from seedsim.core.envelope import SOURCE_PREFIX
from seedsim.core.interop import InteropRecord, decode_interop
from seedsim.core.topics import Topics
from seedsim.core.transport import Record
from seedsim.message_catalogue import CATALOGUE
from seedsim.runners.traces.trace_format import TraceEntry

_PREFIX = "p"
#: ``.interop``: the interop topic of any prefix (spelled once, in seedsim.core.topics)
INTEROP_SUFFIX = Topics(_PREFIX).interop.removeprefix(_PREFIX)
#: ``.dlq``: a dead-letter topic of any inbox
DEAD_LETTER_SUFFIX = Topics(_PREFIX).dead_letter("n").removeprefix(Topics(_PREFIX).inbox("n"))
#: how the views name an attribute a record does not carry
NONE = "(none)"
#: what :func:`classified` says of a record that is neither a message nor a new interop record
#: what drove the nodes (see seedsim.nodes.driver_records): neither a message nor an interop record
DRIVER = "driver record"
DRIVER_SUFFIX = Topics(_PREFIX).driver.removeprefix(_PREFIX)
DEAD_LETTER, REPEATED, UNREADABLE = "dead-lettered copy", "repeated interop record", "unreadable interop record"


def record_of(item: TraceEntry | Record) -> Record:
    return item.record if isinstance(item, TraceEntry) else item


def is_interop_topic(topic: str) -> bool:
    return topic.endswith(INTEROP_SUFFIX)


def is_dead_letter_topic(topic: str) -> bool:
    return topic.endswith(DEAD_LETTER_SUFFIX)


def interop_of(record: Record) -> list[InteropRecord]:
    """The interop records a record of the interop topic holds (a batch; one in the first wire format); none when
    its value is not an interop value."""
    return decode_interop(record.value)


def type_name(ce_type: str | None) -> str | None:
    """The catalogue's name for ``ce_type`` (``ExportData``), else ``ce_type`` itself."""
    if ce_type is None:
        return None
    mt = CATALOGUE.by_ce_type(ce_type)
    return mt.name if mt else ce_type


def utc(t: datetime) -> datetime:
    """``t`` in UTC (a time without a zone is taken as UTC), so that times of any source compare."""
    return t.astimezone(UTC) if t.tzinfo else t.replace(tzinfo=UTC)


def _time(record: Record) -> datetime | None:
    """When the message was made: ``ce_time`` (the sender's clock), else the record's timestamp."""
    ce_time = record.header("ce_time")
    if ce_time:
        try:
            return utc(datetime.fromisoformat(ce_time.replace("Z", "+00:00")))
        except ValueError:
            pass
    if record.timestamp_ms is not None and record.timestamp_ms >= 0:
        return datetime.fromtimestamp(record.timestamp_ms / 1000, UTC)
    return None


@dataclass(frozen=True)
class TracedMessage:
    """A message between nodes as its record's headers describe it."""

    record: Record
    id: str | None
    sender: str | None
    receiver: str | None
    type: str | None
    event: str | None
    consignment: str | None
    causation_id: str | None
    time: datetime | None
    trace_id: str | None

    @classmethod
    def of(cls, record: Record) -> TracedMessage:
        source = record.header("ce_source")
        traceparent = record.header("traceparent")
        parts = traceparent.split("-") if traceparent else []
        return cls(
            record=record,
            id=record.header("ce_id"),
            sender=source.removeprefix(SOURCE_PREFIX) if source else None,
            receiver=record.header("ce_recipient"),
            type=type_name(record.header("ce_type")),
            event=record.header("ce_trigger"),
            consignment=record.header("ce_subject") or (record.key.decode(errors="replace") if record.key else None),
            causation_id=record.header("ce_causationid"),
            time=_time(record),
            trace_id=parts[1] if len(parts) == 4 else None,
        )


def classified(entries: Iterable[TraceEntry | Record]) -> Iterator[tuple[Record, InteropRecord | TracedMessage | str]]:
    """Each record with what it is: a message, an interop record (the first time its id is seen: the
    outbox may publish one twice, and a summary counts it once), or why it is neither
    (:data:`DEAD_LETTER`, :data:`DRIVER`, :data:`REPEATED`, :data:`UNREADABLE`). A record of the interop
    topic comes once for each interop record it holds (a batch holds several), so what the views count
    per record they count per interop record, whatever the wire format carried them in."""
    seen: set[str] = set()
    for item in entries:
        record = record_of(item)
        if is_interop_topic(record.topic):
            recs = interop_of(record)
            if not recs:
                yield record, UNREADABLE
            for rec in recs:
                if rec.id in seen:
                    yield record, REPEATED
                else:
                    seen.add(rec.id)
                    yield record, rec
        elif is_dead_letter_topic(record.topic):
            yield record, DEAD_LETTER
        elif record.topic.endswith(DRIVER_SUFFIX):
            yield record, DRIVER
        else:
            yield record, TracedMessage.of(record)
