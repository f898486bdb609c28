"""``seedsim trace replay``: a trace's inbound messages sent again to named nodes, at a chosen speed.

A tester replays a trace for three reasons: to check idempotency (the nodes
that handled the messages get them again and must report each as a duplicate
and apply nothing twice), to reproduce a run against fresh nodes, and to test a
system under test standing as one node (conformance by replay: its answers are
recorded and diffed against the golden trace's).

What is sent
    The records on the inbox topics (``<prefix>.inbox.<node>``) of the nodes
    named in ``to``, nothing else: dead-letter topics (``...inbox.<node>.dlq``)
    and the interop topic are what nodes wrote about messages, not messages.
    Each record keeps its key and every header in order; the transport gives it
    a new partition, offset and time. Records are sent in the trace's order, so
    the order of each key holds.

Pacing
    The recorded gap between two sent records (their ``ts``) is divided by the
    speed factor and capped at ``max_wait_s``; ``speed=None`` sends as fast as
    the transport takes them (in batches). Each record's send time
    (``time.monotonic()``, taken just before it is handed to the transport) is
    in the report, so pacing is checked on what was done, not on a clock read
    afterwards.

Ids
    By default every ``ce_id`` is kept: replayed into the nodes that handled the
    messages, every one must be a duplicate. ``rewrite_ids=True`` gives each
    message a new id, consistently: a ``ce_correlationid`` or ``ce_causationid``
    naming a rewritten id names its new one, and so does the payload of a
    message whose headers name one (an acknowledgement names the message it
    answers in its ``FunctionalReferenceID``, see :mod:`seedsim.core.response`).

Signatures
    Every message between nodes is signed (:mod:`seedsim.core.message_signing`) and its ``ce_time``
    must be within minutes of the receiver's clock. With ``resign`` (what ``seedsim trace replay``
    passes: the replaying network's keys), each signed record is sent with a new ``ce_time`` and
    signed by its sender's key, so the nodes verify it as sent now (a trace recorded unsigned, before
    messages were signed, is signed too). Without it, records go as recorded, signatures included.

Stopping
    A cancelled replay (Ctrl-C in the command) stops before the next send and
    returns its report, ``interrupted`` set, saying how far it got. A bad trace
    line stops the replay there (the reader raises
    :class:`~seedsim.runners.traces.trace_format.TraceError` after yielding the
    good records before it); the report's ``sent`` says what went out before.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from seedsim.core.envelope import SOURCE_PREFIX
from seedsim.core.interop import interop_in
from seedsim.core.topics import Topics
from seedsim.core.transport import Record, Transport
from seedsim.runners.traces.trace_format import TraceEntry, TraceError

#: the headers that name a message by its id
ID_HEADER = "ce_id"
REFERENCE_HEADERS = ("ce_correlationid", "ce_causationid")
#: the interop result of a message whose envelope could not be read (no id to name it by)
BAD_ENVELOPE = "bad_envelope"
#: the interop stages a node writes when it reads an inbox record (one of them per record)
READ_STAGES = ("received", "duplicate")
#: records sent in one batch at max speed
BATCH = 500

#: called with (records sent, records to send or 0 when unknown)
ReplayProgress = Callable[[int, int], None]


@dataclass(frozen=True)
class Sent:
    """One record as replayed: where it came from in the trace, and when it went out."""

    topic: str
    key: bytes | None
    ce_id: str | None
    #: the trace line it was read from (None for entries not read from a file)
    line: int | None
    #: its recorded timestamp (ms), None when the trace has none
    recorded_ms: int | None
    #: time.monotonic() just before it was handed to the transport
    sent_at: float
    #: the node it says it comes from (``ce_source``), whose inbox its acknowledgement goes to
    sender: str | None = None


def answer_topics(sent: Iterable[Sent]) -> list[str]:
    """Where a system under test answers what was sent: each sender's inbox (acknowledgements), each
    receiver's dead-letter topic and the interop topic, of each prefix sent to."""
    topics: dict[str, None] = {}
    for s in sent:
        prefix, _, node = s.topic.rpartition(".inbox.")
        if not prefix:
            continue
        names = Topics(prefix)
        topics |= dict.fromkeys([names.dead_letter(node), names.interop])
        if s.sender:
            topics[names.inbox(s.sender)] = None
    return list(topics)


@dataclass
class ReplayReport:
    """What a replay sent, when, and how it ended."""

    to: tuple[str, ...]
    sent: list[Sent] = field(default_factory=list)
    #: records read from the trace (sent or not)
    read: int = 0
    #: records left out: not addressed to a node in ``to`` (other inboxes, dead letters, interop)
    left_out: int = 0
    #: stopped by a cancellation (Ctrl-C) before the trace ended
    interrupted: bool = False
    #: old ce_id -> new one, when ids were rewritten
    rewritten: dict[str, str] = field(default_factory=dict)
    #: sent ids the nodes had not handled when the replay stopped waiting (fresh nodes: see HandledWatch)
    unhandled: list[str] = field(default_factory=list)
    #: re-driven (see trace_redrive): driver records applied to the fresh nodes, and the problems they met
    driven: int = 0
    #: re-driven: recorded messages of the replayed nodes, not sent since those nodes send them again
    regenerated: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def last_line(self) -> int | None:
        """The trace line of the last record sent: how far the replay got."""
        return self.sent[-1].line if self.sent else None

    def summary(self) -> str:
        where = f" (trace line {self.last_line})" if self.last_line is not None else ""
        how = "interrupted after sending" if self.interrupted else "sent"
        late = f"; {len(self.unhandled)} not handled in time: {', '.join(self.unhandled[:3])}" if self.unhandled else ""
        driven = (
            f"re-drove {len(self.to)} fresh node(s) with {self.driven} driver record(s)"
            f" ({self.regenerated} recorded message(s) of theirs sent again by them); "
            if self.driven
            else ""
        )
        return (
            f"{driven}{how} {len(self.sent)} record(s) to {', '.join(self.to)}{where};"
            f" {self.left_out} of {self.read} read were not addressed to them{late}"
        )


def inbox_node(topic: str, to: Sequence[str]) -> str | None:
    """The node of ``to`` whose inbox ``topic`` is (``<prefix>.inbox.<node>``), None otherwise."""
    prefix, sep, node = topic.rpartition(".inbox.")
    if not sep or not prefix:
        return None
    return next((n for n in to if n.lower() == node), None)


class IdRewriter:
    """New ids for old, consistently across ids, references and the payloads that name them."""

    def __init__(self) -> None:
        self.ids: dict[str, str] = {}

    def new_id(self, old: str) -> str:
        if old not in self.ids:
            self.ids[old] = str(uuid.uuid4())
        return self.ids[old]

    def __call__(self, record: Record) -> Record:
        value, headers = record.value, []
        for name, raw in record.headers:
            old = raw.decode("utf-8", "replace")
            if name == ID_HEADER:
                raw = self.new_id(old).encode()
            elif name in REFERENCE_HEADERS and old:
                new = self.new_id(old)
                value = value.replace(old.encode(), new.encode())  # an answer names what it answers
                raw = new.encode()
            headers.append((name, raw))
        return Record(topic=record.topic, value=value, key=record.key, headers=tuple(headers))


def _outbound(entry: TraceEntry, topic: str | None) -> Record:
    r = entry.record
    return Record(topic=topic or r.topic, value=r.value, key=r.key, headers=r.headers)


async def replay(
    entries: Iterable[TraceEntry | Record],
    to: Sequence[str],
    transport: Transport,
    *,
    speed: float | None = None,
    max_wait_s: float = 2.0,
    rewrite_ids: bool = False,
    topic_prefix: str | None = None,
    total: int = 0,
    progress: ReplayProgress | None = None,
    resign: Callable[[Record], Record] | None = None,
) -> ReplayReport:
    """Send ``entries``' records addressed to the nodes ``to`` over ``transport`` (started by the caller).

    ``speed``: the recorded gaps are divided by it (None: no pause, batches);
    ``max_wait_s`` caps a pause. ``topic_prefix`` sends to that prefix's inboxes
    instead of the recorded topics (nodes started with another prefix).
    ``total`` (when known) is passed to ``progress`` with the count sent. ``resign`` re-signs each record as it is
    sent (see Signatures above).
    """
    if speed is not None and speed <= 0:
        raise ValueError(f"speed must be positive, not {speed}")
    report = ReplayReport(to=tuple(to))
    rewrite = IdRewriter() if rewrite_ids else None
    report.rewritten = rewrite.ids if rewrite else {}
    tick = progress or (lambda done, of: None)
    batch: list[tuple[Record, Sent]] = []
    previous_ms: int | None = None

    async def flush() -> None:
        if batch:
            at = time.monotonic()
            await transport.send_batch([r for r, _ in batch])
            report.sent.extend(replace(s, sent_at=at) for _, s in batch)
            batch.clear()
            tick(len(report.sent), total)

    try:
        for item in entries:
            entry = TraceEntry.of(item)
            report.read += 1
            node = inbox_node(entry.record.topic, to)
            if node is None:
                report.left_out += 1
                continue
            topic = Topics(topic_prefix).inbox(node) if topic_prefix else None
            record = _outbound(entry, topic)
            if rewrite is not None:
                record = rewrite(record)
            if resign is not None:
                record = resign(record)
            ts = entry.record.timestamp_ms
            source = (record.header("ce_source") or "").removeprefix(SOURCE_PREFIX) or None
            sent = Sent(record.topic, record.key, record.header(ID_HEADER), entry.line, ts, 0.0, source)
            if speed is None:
                batch.append((record, sent))
                if len(batch) >= BATCH:
                    await flush()
                continue
            if previous_ms is not None and ts is not None:
                await asyncio.sleep(min(max(ts - previous_ms, 0) / 1000 / speed, max_wait_s))
            if ts is not None:
                previous_ms = ts
            batch.append((record, sent))
            await flush()
        await flush()
    except TraceError:
        await flush()  # what was read before the bad line goes out; nothing after it
        raise
    except asyncio.CancelledError:
        report.interrupted = True
    return report


class HandledWatch:
    """Which replayed messages the nodes have handled, read from their interop records.

    A fresh node stops when the replay is over; it must first handle what was
    sent. Every message a node reads gives at least one interop record naming
    it (received, valid, invalid, duplicate...), or, when its envelope could not
    be read, a ``bad_envelope`` record naming none, so the watch subscribes to the
    interop topic (before the transport starts) and :meth:`wait` returns once
    every sent id was named, or the timeout passed.
    """

    def __init__(self, transport: Transport, interop_topic: str, nodes: Sequence[str]) -> None:
        self.nodes = set(nodes)
        self.seen: set[str] = set()
        self.nameless = 0
        #: per node, the inbox records it has read (a received or duplicate interop record each, counted once)
        self.received: Counter[str] = Counter()
        self._counted: set[str] = set()
        self._changed = asyncio.Event()
        transport.subscribe([interop_topic], group=f"seedsim-replay-watch-{uuid.uuid4().hex[:8]}", handler=self._on)

    async def _on(self, records: Sequence[Record]) -> None:
        for rec in interop_in(records):
            if rec.node not in self.nodes:
                continue
            if rec.stage in READ_STAGES and rec.id not in self._counted:
                self._counted.add(rec.id)
                self.received[rec.node] += 1
            if rec.message_id:
                self.seen.add(rec.message_id)
            elif rec.result == BAD_ENVELOPE:  # a message without a readable id is named by no record
                self.nameless += 1
        self._changed.set()

    async def wait_received(self, counts: Mapping[str, int], timeout_s: float) -> list[str]:
        """Wait until each node has read at least ``counts[node]`` inbox records; the nodes short of it then."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s

        def short() -> list[str]:
            return [f"{n} read {self.received[n]} of {c}" for n, c in counts.items() if self.received[n] < c]

        while short() and loop.time() < deadline:
            self._changed.clear()
            if not short():
                break
            try:
                await asyncio.wait_for(self._changed.wait(), max(deadline - loop.time(), 0))
            except TimeoutError:
                break
        return short()

    async def wait(self, report: ReplayReport, timeout_s: float) -> list[str]:
        """The sent ids not handled within ``timeout_s`` (none: all were)."""
        wanted = {s.ce_id for s in report.sent if s.ce_id}
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while True:
            self._changed.clear()  # before looking: a batch arriving meanwhile wakes the wait below
            if len(wanted & self.seen) + self.nameless >= len(report.sent) or loop.time() >= deadline:
                break
            try:
                await asyncio.wait_for(self._changed.wait(), max(deadline - loop.time(), 0))
            except TimeoutError:
                break
        if len(wanted & self.seen) + self.nameless >= len(report.sent):
            return []
        return sorted(wanted - self.seen) or [f"{len(report.sent) - self.nameless} message(s) without a readable id"]
