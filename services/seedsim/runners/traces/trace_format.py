"""The seedsim trace format, version 1: one Kafka record per line, a superset of ``kcat -C -J``.

Testers capture traffic with kcat as often as with seedsim, so a trace is
kcat's JSON output with a little added, and any file kcat wrote is a trace.

The file
    JSON Lines (UTF-8, one JSON object per line, ``\\n`` ends each line).
    A name ending in ``.gz`` is written gzip-compressed; a compressed file is
    recognised by its magic bytes when read, whatever its name. ``-`` is
    standard input or output.

The first line (optional): what the trace is
    ``{"seedsim_trace": 1, "seedsim_version": "0.1.0", "created": "2025-05-01T10:00:00Z",
    "source": "kafka HOST:PORT" | "bus", "scenario": "...", "seed": 42, "order": "sent"}``.
    ``order`` is ``sent`` when the records are in the one order they were sent
    across all topics (a run's recording); without it only the records of each
    partition are known to be in order (a capture by kcat or ``trace record``).
    ``seedsim_trace`` is the format version and the only required field; the
    others are omitted when unknown, and fields a later seedsim adds are kept.
    A file without this line (what kcat writes) is read as it is. A version this
    seedsim does not know stops the reader on line 1, even with skip-bad: its
    records may mean something else.

Every other line: one record, with kcat's fields in kcat's order
    ``topic`` (string), ``partition`` (integer, -1 when unknown), ``offset``
    (integer, -1 when unknown), ``tstype`` (``create``, ``logappend`` or
    ``unknown``) and ``ts`` (milliseconds since the epoch), both absent when the
    record has no timestamp, ``broker`` (the broker id it was read from, -1 when
    unknown), ``headers`` (kcat's flat ``[name, value, name, value, ...]`` array,
    in the record's order, repeated names kept; absent when the record has
    none), ``key`` and ``payload`` (strings, or null).
    Required: ``topic``, ``partition``, ``offset``, ``key`` and ``payload``.
    kcat's other header form (``-J`` with a JSON map of name to values) is read
    too, one value after another per name.

Bytes that are not UTF-8
    seedsim writes a key, payload or header value that is not valid UTF-8 as
    base64 and says so: ``"key_encoding": "base64"``, ``"payload_encoding":
    "base64"``, ``"headers_encoding": "base64"`` (then every header value of the
    record is base64; names are always text). These fields come after kcat's and
    only when needed, so a textual record's line is exactly kcat's fields.
    kcat itself writes such bytes raw into its JSON string (the line is then not
    valid UTF-8); the reader takes those bytes back exactly as they were.

What a record becomes
    A :class:`TraceEntry`: the :class:`seedsim.core.transport.Record` (topic,
    value, key, headers, partition, offset, timestamp) plus what a Record does
    not carry: the timestamp type, the broker, and the line it came from. A null
    payload or header value reads as empty bytes (a Record has no null value); an
    unknown partition or offset (-1) reads as None and is written as -1.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from seedsim import __version__
from seedsim.core.transport import Record

#: the format version this seedsim writes and reads
FORMAT_VERSION = 1
#: the first line's marker field, whose value is the format version
HEADER_MARK = "seedsim_trace"
TSTYPES = ("create", "logappend", "unknown")
#: fields a record line must have (kcat writes all of them)
REQUIRED = ("topic", "partition", "offset", "key", "payload")
BASE64 = "base64"
#: the fields that may declare an encoding, in the order their declarations are written
ENCODED = ("key", "payload", "headers")
SKIP_BAD_HINT = "--skip-bad reads past bad lines"
#: the header's ``order`` of a trace whose records are in the one order they were sent, across all topics
SENT_ORDER = "sent"


class TraceError(ValueError):
    """A trace that cannot be read: which file, which line (None: the file itself) and why."""

    def __init__(self, path: str, line: int | None, reason: str) -> None:
        self.path, self.line, self.reason = path, line, reason
        super().__init__(f"{path}: {'line ' + str(line) + ': ' if line is not None else ''}{reason}")


@dataclass(frozen=True)
class TraceHeader:
    """The trace's first line: format version, who wrote it, when, from where, and the run when known."""

    format: int = FORMAT_VERSION
    seedsim_version: str | None = __version__
    created: str | None = field(default_factory=lambda: datetime.now(UTC).isoformat().replace("+00:00", "Z"))
    source: str | None = None  # "kafka HOST:PORT" or "bus"
    scenario: str | None = None
    seed: int | None = None
    #: ``sent``: the records are in the one order they were sent, across all topics (a seedsim recording);
    #: None: only each partition's records are in order (a capture; see :mod:`.trace_order`)
    order: str | None = None
    #: fields this seedsim does not know, kept as they were
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        known = {
            HEADER_MARK: self.format,
            "seedsim_version": self.seedsim_version,
            "created": self.created,
            "source": self.source,
            "scenario": self.scenario,
            "seed": self.seed,
            "order": self.order,
        }
        return {**{k: v for k, v in known.items() if v is not None}, **self.extra}

    @classmethod
    def from_json(cls, obj: Mapping[str, Any], path: str, line: int) -> TraceHeader:
        version = obj[HEADER_MARK]
        if type(version) is not int or version != FORMAT_VERSION:
            raise TraceError(
                path,
                line,
                f"trace format version {version!r} is not one this seedsim reads (it reads version {FORMAT_VERSION}):"
                f" read it with the seedsim that wrote it ({obj.get('seedsim_version', 'unknown version')}), or upgrade seedsim (this is {__version__})",
            )
        names = ("seedsim_version", "created", "source", "scenario", "seed", "order")
        return cls(
            format=version,
            **{k: obj.get(k) for k in names},
            extra={k: v for k, v in obj.items() if k not in names and k != HEADER_MARK},
        )


@dataclass(frozen=True)
class TraceEntry:
    """One record of a trace: the transport's Record plus kcat's timestamp type and broker."""

    record: Record
    #: create, logappend or unknown (kcat's ``tstype``)
    tstype: str = "create"
    #: the broker the record was read from, -1 when unknown
    broker: int = -1
    #: the line of the file it was read from (None when not read from a file)
    line: int | None = field(default=None, compare=False)

    @classmethod
    def of(cls, item: TraceEntry | Record) -> TraceEntry:
        """``item`` as an entry: a bare Record's timestamp has the type the transport gave it, else ``create``
        (Kafka's default)."""
        if isinstance(item, TraceEntry):
            return item
        return cls(item, tstype="unknown" if item.timestamp_ms is None else item.timestamp_type or "create")


def _text(data: bytes) -> tuple[str, bool]:
    """``data`` as a JSON string, and whether it had to be base64."""
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(data).decode("ascii"), True


def entry_to_json(entry: TraceEntry | Record) -> dict[str, Any]:
    """The record line's object, kcat's fields in kcat's order, then the encodings it needs."""
    entry = TraceEntry.of(entry)
    r = entry.record
    obj: dict[str, Any] = {
        "topic": r.topic,
        "partition": -1 if r.partition is None else r.partition,
        "offset": -1 if r.offset is None else r.offset,
    }
    if r.timestamp_ms is not None:
        obj["tstype"] = entry.tstype
        obj["ts"] = r.timestamp_ms
    obj["broker"] = entry.broker
    binary: set[str] = set()
    if r.headers:
        texts = [_text(v) for _, v in r.headers]
        if any(b for _, b in texts):
            binary.add("headers")
            texts = [(base64.b64encode(v).decode("ascii"), True) for _, v in r.headers]
        obj["headers"] = [x for (name, _), (value, _) in zip(r.headers, texts, strict=True) for x in (name, value)]
    for name, data in (("key", r.key), ("payload", r.value)):
        obj[name], is_binary = (None, False) if data is None else _text(data)
        if is_binary:
            binary.add(name)
    for name in ENCODED:
        if name in binary:
            obj[f"{name}_encoding"] = BASE64
    return obj


class _Line:
    """Reads the fields of one record line, raising TraceError that names the line and the field."""

    def __init__(self, obj: dict[str, Any], path: str, line: int) -> None:
        self.obj, self.path, self.line = obj, path, line

    def fail(self, reason: str) -> TraceError:
        return TraceError(self.path, self.line, f"{reason}; {SKIP_BAD_HINT}")

    def integer(self, name: str, default: int | None = None) -> int | None:
        value = self.obj.get(name, default)
        if value is not None and (type(value) is not int):
            raise self.fail(f"{name!r} must be an integer, not {value!r}")
        return value

    def encoding(self, name: str) -> bool:
        declared = self.obj.get(f"{name}_encoding")
        if declared is None:
            return False
        if declared != BASE64:
            raise self.fail(f"{name}_encoding {declared!r} is unknown: the only declared encoding is {BASE64!r}")
        return True

    def data(self, field: str, value: Any, base64_encoded: bool, header: str | None = None) -> bytes:
        """The bytes of ``field`` (key, payload, or a value of the header named ``header``)."""
        if type(value) is str and not base64_encoded:
            try:  # kcat writes bytes that are not UTF-8 raw; the reader decoded them as surrogates
                return value.encode("utf-8", "surrogateescape")
            except UnicodeEncodeError:
                pass
        name = field if header is None else f"header {header!r}"
        if not isinstance(value, str):
            raise self.fail(
                f"{name} must be a string or null, not {type(value).__name__}"
                " (a kcat capture made with a deserializer such as -s avro has lost the bytes: capture without it)"
            )
        if base64_encoded:
            try:
                return base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError) as exc:
                raise self.fail(f"{name} is declared base64 but is not base64 ({exc})") from None
        raise self.fail(
            f"{name} holds an escaped surrogate (\\ud800-\\udfff) that is no text: write such bytes in base64"
            f' and declare "{field}_encoding": "base64"'
        )

    def headers(self) -> tuple[tuple[str, bytes], ...]:
        raw = self.obj.get("headers")
        if raw is None:
            return ()
        b64 = self.encoding("headers")
        if isinstance(raw, dict):  # kcat's map form: {"name": [value, ...]}
            pairs = [(k, v) for k, values in raw.items() for v in (values if isinstance(values, list) else [values])]
        elif isinstance(raw, list) and len(raw) % 2 == 0:
            pairs = list(zip(raw[::2], raw[1::2], strict=True))
        else:
            raise self.fail("headers must be kcat's flat array [name, value, name, value, ...] (an even length)")
        out = []
        for i, (name, value) in enumerate(pairs):
            if not isinstance(name, str):
                raise self.fail(f"header {i + 1}'s name must be a string, not {name!r}")
            out.append((name, b"" if value is None else self.data("headers", value, b64, name)))
        return tuple(out)


def entry_from_json(obj: Any, path: str, line: int) -> TraceEntry:
    """A record line's object as an entry; TraceError naming the line and what is wrong with it."""
    fields = _Line(obj if isinstance(obj, dict) else {}, path, line)
    if not isinstance(obj, dict):
        raise fields.fail(f"a record must be a JSON object, not {type(obj).__name__}")
    if HEADER_MARK in obj:
        raise fields.fail("a trace header (seedsim_trace) belongs on the first line only: were two traces joined?")
    missing = [name for name in REQUIRED if name not in obj]
    if missing:
        raise fields.fail(
            f"the record has no {', '.join(repr(m) for m in missing)}: every record needs {', '.join(REQUIRED)}"
            " (kcat -C -J writes them all)"
        )
    topic = obj["topic"]
    if not isinstance(topic, str) or not topic:
        raise fields.fail(f"'topic' must be a topic name, not {topic!r}")
    tstype = obj.get("tstype", "unknown")
    if tstype not in TSTYPES:
        raise fields.fail(f"'tstype' must be one of {', '.join(TSTYPES)}, not {tstype!r}")
    partition, offset, ts = fields.integer("partition"), fields.integer("offset"), fields.integer("ts")
    key, payload = obj["key"], obj["payload"]
    record = Record(
        topic=topic,
        value=b"" if payload is None else fields.data("payload", payload, fields.encoding("payload")),
        key=None if key is None else fields.data("key", key, fields.encoding("key")),
        headers=fields.headers(),
        partition=None if partition is None or partition < 0 else partition,
        offset=None if offset is None or offset < 0 else offset,
        timestamp_ms=ts,
    )
    broker = fields.integer("broker", -1)
    return TraceEntry(record, tstype=tstype, broker=-1 if broker is None else broker, line=line)
