"""Recording a run: every record its transport sends, written to a trace as it is sent.

A run (``seedsim run``, ``seedsim demo``) gives all its nodes one transport,
so every record of the run passes through that transport's ``send_batch``:
the messages between nodes on the inboxes, the copies of refused messages on
the dead-letter topics, the interop records, the runner's own injections and
re-sends. :class:`RecordingTransport` stands between the nodes and the real
transport (the in-process bus or Kafka), forwards everything, and writes each
record the transport accepted to a :class:`.trace_file.TraceWriter` at once:
the trace is streamed, memory does not grow with the run, and a run cut
short leaves a trace readable up to its last record.

Why at the sending side rather than a consumer of the run's topics: one
place records a run on either transport alike, in the order the records were
sent across all topics (a consumer sees each partition in order, but not the
order between them), and the trace is complete the moment the run stops,
without waiting for a consumer to catch up with every partition. What it
does not know is where the transport put a record: partition and offset are
written as unknown (-1, as the format allows), and the timestamp is the
moment of sending by this process's clock -- ``logappend`` on the in-process
bus (the bus appends as it is sent), ``create`` on Kafka (the producer's
create time). A capture with the broker's partitions and offsets is what
``kcat -C -J`` or ``seedsim trace record`` make; the views and the diff read
both alike.

Placed under a fault-injecting proxy (:mod:`seedsim.runners.scenarios.transport_faults`),
the recorder sees what actually reached the transport: a delayed record when it
was finally sent, and each re-sent duplicate.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from seedsim.core.transport import Handler, Record, Transport
from seedsim.runners.traces.trace_file import TraceWriter
from seedsim.runners.traces.trace_format import TraceEntry, TraceHeader

#: what a recording says its source is on the in-process bus (see TraceHeader.source)
BUS_SOURCE = "bus"


def recording_source(kafka: str | None) -> str:
    """The trace header's ``source`` of a run on ``kafka`` (None: the in-process bus)."""
    return f"kafka {kafka}" if kafka else BUS_SOURCE


class RecordingTransport:
    """A transport that forwards everything to ``inner`` and writes each record it sends to ``writer``.

    The writer is closed when the transport stops (or fails to start); what is sent after that (a node
    flushing as it stops, on a bus nobody reads any more) is not part of the run's trace.
    """

    def __init__(self, inner: Transport, writer: TraceWriter, tstype: str = "create") -> None:
        self.inner, self.writer, self.tstype = inner, writer, tstype
        self.closed = False

    def _close(self) -> None:
        if not self.closed:
            self.closed = True
            self.writer.close()

    async def start(self) -> None:
        try:
            await self.inner.start()
        except BaseException:
            self._close()
            raise

    async def stop(self) -> None:
        try:
            await self.inner.stop()
        finally:
            self._close()

    async def ensure_topics(self, topics: Sequence[str]) -> None:
        await self.inner.ensure_topics(topics)

    async def send_batch(self, records: Sequence[Record]) -> None:
        now = int(time.time() * 1000)
        await self.inner.send_batch(records)
        if self.closed:
            return
        for r in records:  # only once the transport took them: a failed send is not in the trace
            stamped = Record(r.topic, r.value, r.key, tuple(r.headers), None, None, now)
            self.writer.write(TraceEntry(stamped, tstype=self.tstype))

    def subscribe(self, topics: Sequence[str], group: str, handler: Handler) -> None:
        self.inner.subscribe(topics, group, handler)


def recording(
    inner: Transport, path: str | Path | None, kafka: str | None, scenario: str | None = None, seed: int | None = None
) -> Transport:
    """``inner`` recorded to the trace at ``path`` (``.gz``: compressed), or ``inner`` itself when ``path`` is None.

    The header names this seedsim, now, the source (``bus`` or ``kafka HOST:PORT``), and the scenario and seed.
    """
    if path is None:
        return inner
    header = TraceHeader(source=recording_source(kafka), scenario=scenario, seed=seed)
    return RecordingTransport(inner, TraceWriter(path, header), tstype="create" if kafka else "logappend")
