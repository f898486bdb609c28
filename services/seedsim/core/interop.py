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
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from enum import Enum

from pydantic import BaseModel, Field, ValidationError

from seedsim.core.envelope import new_id
from seedsim.core.trace_context import TraceContext

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


def decode_interop(value: bytes) -> InteropRecord | None:
    """An interop record from its wire format (the value :meth:`InteropRecord.to_json` writes); None when ``value``
    is not one. Every reader of the interop topic reads through here, so the wire format can change in one place,
    and a foreign or broken record on the topic is skipped by its readers instead of stopping them."""
    try:
        # the model's validator itself, not model_validate_json: the same validation, without a Python frame that
        # passes its options along (the monitor decodes thousands of records a second)
        return InteropRecord.__pydantic_validator__.validate_json(value)  # type: ignore[no-any-return]
    except ValidationError:
        return None


def traced(trace: TraceContext | None, parent_span_id: str | None = None) -> dict[str, str | None]:
    """The fields of an interop record that place it in ``trace`` (nothing when the message carried no valid
    ``traceparent``)."""
    if trace is None:
        return {}
    return {"trace_id": trace.trace_id, "span_id": trace.span_id, "parent_span_id": parent_span_id}


def emit_to_log(records: list[InteropRecord]) -> None:
    for r in records:
        log.info(r.log_line())
