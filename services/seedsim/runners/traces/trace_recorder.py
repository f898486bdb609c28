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
without waiting for a consumer to catch up with every partition. It still
knows where each record went: the transport's ``send_batch`` returns the
records as it placed them, so each line has the partition, offset and
timestamp the record has on the broker (or the bus), with the timestamp's type
as the transport says (``create`` on a Kafka topic with the default create
time, ``logappend`` on the in-process bus and on a topic set to log-append
time). A line of a recording and the line ``kcat -C -J`` or ``seedsim trace
record`` reads at the same topic, partition and offset hold the same record.

Placed under a fault-injecting proxy (:mod:`seedsim.runners.scenarios.transport_faults`),
the recorder sees what actually reached the transport: a delayed record when it
was finally sent, and each re-sent duplicate.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from seedsim.core.transport import Handler, Record, Transport
from seedsim.runners.traces.trace_file import TraceWriter
from seedsim.runners.traces.trace_format import SENT_ORDER, TraceHeader

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

    def __init__(self, inner: Transport, writer: TraceWriter) -> None:
        self.inner, self.writer = inner, writer
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

    async def send_batch(self, records: Sequence[Record]) -> Sequence[Record]:
        placed = await self.inner.send_batch(records)
        if not self.closed:
            for r in placed:  # only once the transport took them: a failed send is not in the trace
                self.writer.write(r)
        return placed

    def subscribe(self, topics: Sequence[str], group: str, handler: Handler) -> None:
        self.inner.subscribe(topics, group, handler)


def recording(
    inner: Transport, path: str | Path | None, kafka: str | None, scenario: str | None = None, seed: int | None = None
) -> Transport:
    """``inner`` recorded to the trace at ``path`` (``.gz``: compressed), or ``inner`` itself when ``path`` is None.

    The header names this seedsim, now, the source (``bus`` or ``kafka HOST:PORT``), the scenario and seed, and
    that the records are in the order they were sent (``"order": "sent"``).
    """
    if path is None:
        return inner
    header = TraceHeader(source=recording_source(kafka), scenario=scenario, seed=seed, order=SENT_ORDER)
    return RecordingTransport(inner, TraceWriter(path, header))
