"""W3C Trace Context for seedsim's conversations: one trace per conversation, one span per message.

A conversation is one consignment's exchange between nodes, already tied together by the
CloudEvents ``ce_correlationid``. Each message carries a ``traceparent`` header
(``00-<trace id>-<span id>-<flags>``) so that OpenTelemetry tools, the interop records and a
recorded trace all see that conversation as one trace:

* the **trace id** is the conversation's, *derived* from its correlation id: the correlation id
  itself when it is 32 hexadecimal digits (seedsim makes them so: a UUID without dashes; a UUID
  with dashes or upper-case digits is read the same way), else the first 32 digits of the SHA-256
  of ``trace:<correlation id>``. Derived rather than stored: every node that knows the correlation
  id (the sender, the receiver that kept it with the pre-arrival data, a monitor reading interop
  records) computes the same trace id, and a node's database keeps nothing new;
* the **span id** is the message's (one span per hop), derived the same way from its ``ce_id``
  (the first 16 digits of the SHA-256 of ``span:<ce_id>``): a message's span id is known from its id
  alone, so the node that answers a message it no longer holds the headers of (the entry
  confirmation answers exit data received long before) still names its span as the parent;
* an **answer** (acknowledgement, query response, origin verification answer) *continues the trace
  of the message it answers*: same trace id, same flags (a ParentBased sampler keeps the sender's
  decision), its ``tracestate`` passed on untouched, a new span id; its parent is the answered
  message's span. When the answered message's ``traceparent`` is missing or malformed (it is optional
  in CloudEvents and never a reason to refuse a message), the answer starts the conversation's
  trace from the correlation id instead, and has no parent.

The parent of a span is not carried in a ``traceparent`` (it names the sender's span only); the
node that answers records it in its interop records (``parent_span_id``).
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass

VERSION = "00"
#: the ``sampled`` flag: seedsim records every message, so a trace it starts is sampled
SAMPLED = "01"
#: longest ``tracestate`` passed on (W3C: at least 512 characters must be kept; more may be dropped)
MAX_TRACESTATE = 512

#: version-trace id-parent id-flags, and a future version's extra fields after a dash
_TRACEPARENT = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$")
_HEX32 = re.compile(r"^[0-9a-f]{32}$")
_HEX16 = re.compile(r"^[0-9a-f]{16}$")
_FLAGS = re.compile(r"^[0-9a-f]{2}$")
_PRINTABLE = re.compile(r"^[\x20-\x7e]*$")


def _digest(kind: str, text: str, digits: int) -> str:
    """``digits`` hex digits of the SHA-256 of ``kind:text``, never all zero (W3C forbids all-zero ids)."""
    value = hashlib.sha256(f"{kind}:{text}".encode()).hexdigest()[:digits]
    return value if value.strip("0") else value[:-1] + "1"


def conversation_trace_id(correlation_id: str) -> str:
    """The trace id of the conversation ``correlation_id`` names (see the module docstring)."""
    compact = correlation_id.strip().replace("-", "").lower()
    if _HEX32.match(compact) and compact.strip("0"):
        return compact
    return _digest("trace", correlation_id, 32)


def message_span_id(message_id: str) -> str:
    """The span id of the message with ``ce_id`` ``message_id``."""
    return _digest("span", message_id, 16)


def _valid_trace_id(value: str) -> bool:
    return bool(_HEX32.match(value)) and bool(value.strip("0"))


def _valid_span_id(value: str) -> bool:
    return bool(_HEX16.match(value)) and bool(value.strip("0"))


def _random_span_id() -> str:
    while True:
        value = os.urandom(8).hex()
        if value.strip("0"):
            return value


@dataclass(frozen=True)
class TraceContext:
    """Where a message stands in a trace: its trace id, its own span id, the flags and the ``tracestate``."""

    trace_id: str
    span_id: str
    flags: str = SAMPLED
    tracestate: str | None = None

    def __post_init__(self) -> None:
        if not _valid_trace_id(self.trace_id):
            raise ValueError(f"trace id {self.trace_id!r} is not 32 lower-case hex digits, not all zero")
        if not _valid_span_id(self.span_id):
            raise ValueError(f"span id {self.span_id!r} is not 16 lower-case hex digits, not all zero")
        if not _FLAGS.match(self.flags):
            raise ValueError(f"trace flags {self.flags!r} are not 2 lower-case hex digits")

    @classmethod
    def parse(cls, traceparent: str | None, tracestate: str | None = None) -> TraceContext | None:
        """The context a ``traceparent`` header carries; None when it is missing or malformed.

        Follows W3C Trace Context: version ``ff`` is invalid, version ``00`` has exactly four fields,
        a later version is read by its first four; ids must not be all zero. ``tracestate`` is kept
        only with a valid ``traceparent`` (W3C: without one it must not be used), and only when it is
        printable ASCII of at most :data:`MAX_TRACESTATE` characters.
        """
        found = _TRACEPARENT.match((traceparent or "").strip())
        if found is None:
            return None
        version, trace_id, span_id, flags, rest = found.groups()
        if version == "ff" or (version == VERSION and rest is not None):
            return None
        if not (_valid_trace_id(trace_id) and _valid_span_id(span_id)):
            return None
        state = (tracestate or "").strip()
        keep = state if state and len(state) <= MAX_TRACESTATE and _PRINTABLE.match(state) else None
        return cls(trace_id, span_id, flags, keep)

    @classmethod
    def of_conversation(cls, correlation_id: str, message_id: str) -> TraceContext:
        """The context of message ``message_id`` that opens or carries on conversation ``correlation_id``."""
        return cls(conversation_trace_id(correlation_id), message_span_id(message_id))

    @classmethod
    def answering(cls, received: TraceContext | None, correlation_id: str, message_id: str) -> TraceContext:
        """The context of answer ``message_id`` to a message that carried ``received`` (None: missing or malformed)."""
        if received is None:
            return cls.of_conversation(correlation_id, message_id)
        return received.child(message_span_id(message_id))

    def child(self, span_id: str | None = None) -> TraceContext:
        """The next hop: same trace id, flags and tracestate; a new span id (``span_id``, or a random one)."""
        return TraceContext(self.trace_id, span_id or _random_span_id(), self.flags, self.tracestate)

    @property
    def traceparent(self) -> str:
        """The ``traceparent`` header value: ``00-<trace id>-<span id>-<flags>``."""
        return f"{VERSION}-{self.trace_id}-{self.span_id}-{self.flags}"
