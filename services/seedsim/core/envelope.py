"""The envelope: CloudEvents attributes carried as Kafka headers (binary mode).

The payload (WCO DM XML) is the record value; the attributes travel as
``ce_*`` headers, so a consumer can route, de-duplicate and trace a message
without parsing its XML. Extension attributes used by seedsim:

* ``ce_recipient``: the node the message is addressed to;
* ``ce_correlationid``: one id for a whole conversation about a consignment;
* ``ce_causationid``: the id of the message this one answers;
* ``ce_trigger``: the consignment event that caused it (PRE_ARRIVAL, EXIT, ENTRY);
* ``ce_seedsimubs``: the Utility Blocks whose conversations the message belongs to, comma-separated
  (``UB-SEED-EXIT,UB-SEED-TIR``), as its sender knows them; an acknowledgement (and any answer)
  carries those of the message it answers. Optional: a system that does not send it is measured by
  message type (:mod:`seedsim.runners.monitor.service_levels`). Ids that are not UB ids are left out
  when read (the attribute only tells monitoring what a message belongs to, it never refuses one).

``traceparent`` and ``tracestate`` (W3C Trace Context) tie a conversation together for
OpenTelemetry: the trace id is the conversation's, each message has a span of its own, and an
answer continues the trace of the message it answers (:mod:`seedsim.core.trace_context`). A
malformed ``traceparent`` is kept as received and never refuses a message; its answer starts the
conversation's trace afresh.

Every field an answer repeats must be short, or the answer would not fit a broker's size limit
(:mod:`seedsim.core.record_bounds`): a CloudEvents header over ``MAX_HEADER_BYTES`` makes the
envelope malformed, and a trace header over it is read as absent (it never refuses a message).

``ce_dataschema`` names the XSD the payload satisfies. CloudEvents requires an
absolute URI there (RFC 3986: with a scheme), and seedsim's schemas are not
hosted anywhere, so they are *named*, not located:
``urn:seedsim:schema:<path under schemas/>``, in the same ``urn:seedsim:``
namespace as the node sources. The AsyncAPI document (``seedsim asyncapi``)
carries the text of every XSD under that name. Earlier versions wrote the
bare path (``wco/seedsim_metadata.xsd``); an envelope read from such a record
(an old trace) gets the URI, so everything downstream sees one form.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from seedsim.core.record_bounds import MAX_HEADER_BYTES
from seedsim.core.trace_context import TraceContext

SPEC_VERSION = "1.0"
SOURCE_PREFIX = "urn:seedsim:node:"
XML_CONTENT_TYPE = "application/xml"
SCHEMA_URI_PREFIX = "urn:seedsim:schema:"

#: an RFC 3986 scheme followed by ":", at the start of an absolute URI
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")

_REQUIRED = ("ce_specversion", "ce_id", "ce_source", "ce_type")
#: the CloudEvents extension attribute naming a message's Utility Blocks (extension names are lowercase
#: alphanumerics: no dash, no underscore)
UBS_HEADER = "ce_seedsimubs"
#: a Utility Block id, as ``ce_seedsimubs`` lists them
_UB_ID = re.compile(r"^UB-[A-Z0-9][A-Z0-9-]{0,62}$")
#: headers that never refuse a message: over the bound, they are read as absent
_TRACE_HEADERS = ("traceparent", "tracestate")


class EnvelopeError(ValueError):
    """Headers that do not make a CloudEvent; the reason says which attribute."""


class HeaderTooLong(EnvelopeError):
    """A CloudEvents header over ``MAX_HEADER_BYTES``: a rule of its own (F305), apart from other malformed
    envelopes (F300), because its cause is a sender's oversized field, not a wrong or missing one."""


def dataschema_uri(schema: str) -> str:
    """The absolute URI of a schema: ``wco/seedsim_metadata.xsd`` -> ``urn:seedsim:schema:wco/seedsim_metadata.xsd``.

    ``schema`` is a path under the project's ``schemas/`` (what the validator reads) or already
    an absolute URI, which is returned unchanged: both the current and the old header value read
    as the same URI.
    """
    return schema if _SCHEME.match(schema) else SCHEMA_URI_PREFIX + schema


def ubs_value(ubs: tuple[str, ...] | list[str]) -> str:
    """The ``ce_seedsimubs`` value of ``ubs``: the ids, comma-separated."""
    return ",".join(ubs)


def read_ubs(value: str | None) -> tuple[str, ...]:
    """The UB ids of a ``ce_seedsimubs`` value, in order, once each; what is not a UB id is left out."""
    if not value:
        return ()
    return tuple(dict.fromkeys(u for u in (part.strip() for part in value.split(",")) if _UB_ID.match(u)))


def new_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class Envelope:
    id: str
    source: str  # node id, e.g. "RS"
    type: str  # catalogue ce_type
    subject: str | None  # consignment / movement reference (also the record key)
    time: datetime
    recipient: str | None = None
    correlation_id: str | None = None
    causation_id: str | None = None
    trigger: str | None = None
    dataschema: str | None = None
    content_type: str = XML_CONTENT_TYPE
    traceparent: str | None = None
    tracestate: str | None = None
    #: the Utility Blocks whose conversations this message belongs to (``ce_seedsimubs``); () when not known
    ubs: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # a schema path given by a caller (or read from an old record) becomes its absolute URI
        if self.dataschema:
            object.__setattr__(self, "dataschema", dataschema_uri(self.dataschema))

    def to_headers(self) -> list[tuple[str, bytes]]:
        h = [
            ("ce_specversion", SPEC_VERSION),
            ("ce_id", self.id),
            ("ce_source", SOURCE_PREFIX + self.source),
            ("ce_type", self.type),
            ("ce_time", self.time.astimezone(UTC).isoformat().replace("+00:00", "Z")),
            ("content-type", self.content_type),
        ]
        optional = {
            "ce_subject": self.subject,
            "ce_dataschema": self.dataschema,
            "ce_recipient": self.recipient,
            "ce_correlationid": self.correlation_id,
            "ce_causationid": self.causation_id,
            "ce_trigger": self.trigger,
            UBS_HEADER: ubs_value(self.ubs),
            "traceparent": self.traceparent,
            "tracestate": self.tracestate,
        }
        h.extend((k, v) for k, v in optional.items() if v)
        return [(k, v.encode()) for k, v in h]

    @classmethod
    def from_headers(cls, headers: list[tuple[str, bytes]] | tuple[tuple[str, bytes], ...]) -> Envelope:
        try:
            h = {k: (v.decode() if isinstance(v, (bytes, bytearray)) else str(v)) for k, v in headers or ()}
        except UnicodeDecodeError as exc:
            raise EnvelopeError(f"a header is not UTF-8: {exc}") from None
        for k in [k for k, v in h.items() if len(v.encode()) > MAX_HEADER_BYTES]:
            if k in _TRACE_HEADERS:
                del h[k]
            elif k.startswith("ce_") or k == "content-type":
                raise HeaderTooLong(
                    f"{k} is {len(h[k].encode())} bytes, over the {MAX_HEADER_BYTES}-byte bound of a header field"
                )
        missing = [k for k in _REQUIRED if not h.get(k)]
        if missing:
            raise EnvelopeError(f"missing CloudEvents header(s) {', '.join(missing)}: send ce_* headers in binary mode")
        if h["ce_specversion"] != SPEC_VERSION:
            raise EnvelopeError(f"ce_specversion {h['ce_specversion']!r} is not supported: use 1.0")
        source = h["ce_source"]
        if not source.startswith(SOURCE_PREFIX):
            raise EnvelopeError(f"ce_source {source!r} is not a seedsim node ({SOURCE_PREFIX}<NODE>)")
        try:
            time = (
                datetime.fromisoformat(h["ce_time"].replace("Z", "+00:00")) if h.get("ce_time") else datetime.now(UTC)
            )
        except ValueError:
            raise EnvelopeError(f"ce_time {h['ce_time']!r} is not RFC 3339") from None
        return cls(
            id=h["ce_id"],
            source=source[len(SOURCE_PREFIX) :],
            type=h["ce_type"],
            subject=h.get("ce_subject"),
            time=time,
            recipient=h.get("ce_recipient"),
            correlation_id=h.get("ce_correlationid"),
            causation_id=h.get("ce_causationid"),
            trigger=h.get("ce_trigger"),
            dataschema=h.get("ce_dataschema"),
            content_type=h.get("content-type", XML_CONTENT_TYPE),
            traceparent=h.get("traceparent"),
            tracestate=h.get("tracestate"),
            ubs=read_ubs(h.get(UBS_HEADER)),
        )

    @property
    def trace(self) -> TraceContext | None:
        """Where this message stands in its trace; None when its ``traceparent`` is missing or malformed."""
        return TraceContext.parse(self.traceparent, self.tracestate)

    @property
    def span_id(self) -> str | None:
        """This message's span: the parent of an answer to it (None: no valid ``traceparent``, and an answer starts
        the conversation's trace)."""
        trace = self.trace
        return trace.span_id if trace is not None else None

    def reply(self, source: str, type: str, time: datetime) -> Envelope:
        """The envelope of an answer to this message: same conversation (and Utility Blocks), and the next span of
        the same trace (:meth:`TraceContext.answering`)."""
        message_id, correlation_id = new_id(), self.correlation_id or self.id
        trace = TraceContext.answering(self.trace, correlation_id, message_id)
        return replace(
            self,
            id=message_id,
            source=source,
            type=type,
            time=time,
            recipient=self.source,
            causation_id=self.id,
            correlation_id=correlation_id,
            traceparent=trace.traceparent,
            tracestate=trace.tracestate,
        )
