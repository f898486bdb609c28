"""Interoperability records: what went from whom to whom, and what became of it.

One record per stage of a message's life, written by the node where the stage
happens, in the same database transaction as the stage's effects (through the
outbox), then published to the shared interop topic and the node's log. So the
interop log counts each stage exactly once, even across crashes and redelivery.

A record about a message places it in its conversation's trace (:mod:`seedsim.core.trace_context`):
``trace_id``, the ``span_id`` of the message the stage is about and, for an answer, the
``parent_span_id`` of the message it answers. So a monitor joins the interop records of one
conversation by trace id, and can draw its spans as OpenTelemetry would. Records written before
these fields existed read as they are (the fields are optional).

A record about a message also names the Utility Blocks whose conversations that message belongs to
(``ubs``, from its ``ce_seedsimubs`` attribute: :mod:`seedsim.core.envelope`), at every stage: sent,
received, valid or invalid, acked or nacked, the answer received, dead-lettered. So the monitor
measures each UB over its own conversations. Empty when the message named none (a record written
before the field existed, a message from a system that does not send the attribute, a message no
UB governs): the monitor then attributes it by its type.

Wire format (on the interop topic). A node writes the interop records of one transaction (a handled
inbox batch, a send) as ONE Kafka record, a *batch*, queued through the transaction's outbox like
the records were one by one: so each stage is still counted exactly once across crashes and
redelivery, and a lifecycle costs a few Kafka records instead of one per stage. A batch is
JSON Lines, a header line then one line per record::

    {"format":"seedsim.interop.batch","version":1,"records":2}
    {"id":"...","ts":"2026-11-30T06:00:00.000001Z","node":"RS","stage":"sent",...}
    {"id":"...","ts":"2026-11-30T06:00:00.000002Z","node":"RS","stage":"ack_received",...}

* the header names the format and its ``version`` (a reader returns no record from a version it does
  not know, rather than misread it); ``records`` says how many lines follow (for a person reading);
* each line is one record exactly as the first wire format wrote it (:meth:`InteropRecord.to_json`:
  the model's JSON, ``None`` fields and empty ``ubs`` left out). So decoding costs what it did per
  record, and a reader that keeps records one by one (the monitor's store) keeps each line's bytes
  as they came; ``kcat ... | jq`` reads a batch as a stream of JSON values;
* a batch holds at most :data:`MAX_BATCH_BYTES` (far under the broker's record limit,
  :data:`seedsim.core.record_bounds.MAX_RECORD_BYTES`, and under the producer's batch size): a
  transaction with more records writes several batches, in order;
* its Kafka key is the node's id: a batch is one node's transaction and may be about many
  consignments (an inbox batch), so the node is what all its records share; one key per node keeps
  each node's batches in the order its transactions committed (one partition). Readers join records
  by consignment or trace id themselves, not by partition.

The first wire format, one record per Kafka value (a single JSON object, as a trace recorded before
batches holds it, or an integrator's tool writes it), still reads: as a batch of one.
:func:`decode_interop` is the one decoder every reader uses; it returns the records a value holds,
none when it is not an interop value (a foreign or broken value is skipped, and a broken line of a
batch too: its readers never stop on one).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum

from pydantic import BaseModel, Field, ValidationError

from seedsim.core.envelope import new_id
from seedsim.core.record_bounds import MAX_RECORD_BYTES
from seedsim.core.trace_context import TraceContext
from seedsim.core.transport import Record

log = logging.getLogger("seedsim.interop")


class Stage(str, Enum):
    SUBMITTED = "submitted"  # a declaration was lodged at the node
    SENT = "sent"  # the node sent a message to a neighbour
    RECEIVED = "received"  # a message arrived in the node's inbox
    VALID = "valid"
    INVALID = "invalid"
    ACKED = "acked"  # the receiver sent a positive acknowledgement
    NACKED = "nacked"  # the receiver sent a negative acknowledgement
    ACK_RECEIVED = "ack_received"  # the sender got a positive acknowledgement
    NACK_RECEIVED = "nack_received"  # the sender got a negative acknowledgement
    MATCHED = "matched"  # entry data matched the exit data
    ALERT = "alert"  # a discrepancy between exit and entry data, found at entry
    RISK_ALERT = "risk_alert"  # a risk profile hit on pre-arrival data, before the goods arrive
    DUPLICATE = "duplicate"  # a redelivered message, ignored
    DEAD_LETTERED = "dead_lettered"


class InteropRecord(BaseModel):
    id: str = Field(default_factory=new_id)
    ts: datetime = Field(default_factory=lambda: datetime.now(UTC))
    node: str
    stage: Stage
    message_id: str | None = None
    correlation_id: str | None = None
    consignment: str | None = None
    sender: str | None = None
    receiver: str | None = None
    message_type: str | None = None
    event: str | None = None
    result: str | None = None
    latency_ms: float | None = None
    detail: str | None = None
    #: the conversation's W3C trace id (32 hex digits)
    trace_id: str | None = None
    #: the span of the message the stage is about: the one sent, received or refused; on
    #: acked/nacked the acknowledgement the node sent, on ack_received/nack_received the one it got
    span_id: str | None = None
    #: the span of the message that one answers (an acknowledgement, a query response...)
    parent_span_id: str | None = None
    #: the Utility Blocks whose conversations the message belongs to (its ``ce_seedsimubs``); empty: not known
    ubs: list[str] = Field(default_factory=list)

    def _left_out(self) -> set[str] | None:
        return None if self.ubs else {"ubs"}

    def to_json(self) -> bytes:
        return self.model_dump_json(exclude_none=True, exclude=self._left_out()).encode()

    def log_line(self) -> str:
        return json.dumps(
            self.model_dump(mode="json", exclude_none=True, exclude=self._left_out()), separators=(",", ":")
        )


#: what the header line of a batch names as its format, and the version this code writes and reads
BATCH_FORMAT, BATCH_VERSION = "seedsim.interop.batch", 1
#: the most bytes one batch value holds (header and lines): a quarter of the broker's record limit, and under the
#: producer's batch size (256 KiB), so a batch shares a producer batch with the node's other records
MAX_BATCH_BYTES = min(MAX_RECORD_BYTES // 4, 200 * 1024)
_validate_json = InteropRecord.__pydantic_validator__.validate_json


def _header(n: int) -> bytes:
    return b'{"format":"%s","version":%d,"records":%d}' % (BATCH_FORMAT.encode(), BATCH_VERSION, n)


def batch_values(records: Sequence[InteropRecord], max_bytes: int = MAX_BATCH_BYTES) -> list[bytes]:
    """The values (one or more batches, in order) that carry ``records``; each at most ``max_bytes`` unless one
    record alone is larger (it then travels alone, and the node parks it if the broker would refuse it)."""
    values: list[bytes] = []
    lines: list[bytes] = []
    size = len(_header(len(records)))  # the largest a header of these records can be
    for line in (r.to_json() for r in records):
        if lines and size + 1 + len(line) > max_bytes:
            values.append(b"\n".join([_header(len(lines)), *lines]))
            lines, size = [], len(_header(len(records)))
        lines.append(line)
        size += 1 + len(line)
    if lines:
        values.append(b"\n".join([_header(len(lines)), *lines]))
    return values


@dataclass(frozen=True)
class InteropBatch:
    """How a node's interop records become records of the interop topic: batches (:func:`batch_values`) keyed
    by the node. A transaction gathers its records and calls this once, at commit (``Tx.gather``)."""

    topic: str
    node: str

    def __call__(self, records: Sequence[InteropRecord]) -> list[Record]:
        key = self.node.encode()
        return [Record(topic=self.topic, key=key, value=v) for v in batch_values(records)]


#: how the header of a batch this code writes begins: read without parsing it (other spellings are parsed)
_OWN_HEADER = b'{"format":"%s","version":%d,' % (BATCH_FORMAT.encode(), BATCH_VERSION)


def interop_lines(value: bytes) -> list[bytes]:
    """The one-record values (the first wire format) an interop value holds, in order: the lines of a batch, or
    ``value`` itself when it is not one; none from a batch of a version this code does not know."""
    head, newline, rest = value.partition(b"\n")
    if not newline:
        return [value]
    if head.startswith(_OWN_HEADER):
        return [line for line in rest.split(b"\n") if line]
    if head.startswith(b"{"):
        try:
            header = json.loads(head)
        except ValueError:  # the first line of a record written over several lines: one record
            return [value]
        if isinstance(header, dict) and header.get("format") == BATCH_FORMAT:
            return [line for line in rest.split(b"\n") if line] if header.get("version") == BATCH_VERSION else []
    return [value]


def _readable(lines: list[bytes]) -> list[tuple[bytes, InteropRecord]]:
    out = []
    for line in lines:
        try:
            out.append((line, _validate_json(line)))
        except ValidationError:
            continue
    return out


def decode_interop_lines(value: bytes) -> list[tuple[bytes, InteropRecord]]:
    """Each interop record ``value`` holds, with its own one-record value (what a reader that keeps records one by
    one stores: it reads back with :func:`decode_interop` as a batch of one); unreadable lines are left out."""
    lines = interop_lines(value)
    try:
        # the model's validator itself, not model_validate_json: the same validation, without a Python frame that
        # passes its options along (the monitor decodes thousands of records a second)
        return [(line, _validate_json(line)) for line in lines]
    except ValidationError:  # a broken line: the others still read
        return _readable(lines)


def decode_interop(value: bytes) -> list[InteropRecord]:
    """The interop records a value of the interop topic holds (a batch, or one record in the first wire format),
    in order; an empty list when ``value`` is not an interop value. Every reader of the interop topic reads
    through here, so the wire format can change in one place, and a foreign or broken record on the topic is
    skipped by its readers instead of stopping them."""
    lines = interop_lines(value)
    try:
        return [_validate_json(line) for line in lines]
    except ValidationError:
        return [rec for _line, rec in _readable(lines)]


def interop_in(records: Iterable[Record]) -> Iterator[InteropRecord]:
    """The interop records that records of the interop topic hold, in order (a foreign record holds none)."""
    for r in records:
        yield from decode_interop(r.value)


def traced(trace: TraceContext | None, parent_span_id: str | None = None) -> dict[str, str | None]:
    """The fields of an interop record that place it in ``trace`` (nothing when the message carried no valid
    ``traceparent``)."""
    if trace is None:
        return {}
    return {"trace_id": trace.trace_id, "span_id": trace.span_id, "parent_span_id": parent_span_id}


def emit_to_log(records: list[InteropRecord]) -> None:
    for r in records:
        log.info(r.log_line())
