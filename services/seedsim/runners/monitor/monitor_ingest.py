"""From the transport to the store and the aggregate: the monitor's consumer.

:meth:`MonitorIngest.handle` is the transport handler (:data:`seedsim.core.transport.Handler`):
it decodes a batch (:mod:`.monitored_records`), stores it in one transaction and only then
returns, so the transport commits the batch's offsets after the records are on disk. Only the
records the store did not hold before reach the aggregate, the metrics and the live listeners
(the dashboard's server-sent events): a redelivered batch changes nothing. They are counted as
soon as the store's thread has inserted them, while it commits (SQLite's commit does not hold
the GIL, so the two overlap); should the commit fail, the aggregate is rebuilt from the store
before the error goes up, so it never counts what was not stored.

The monitor reads, in a consumer group of its own: the interop topic and the dead-letter topics,
and the inboxes (for each message's XML as received: see :mod:`.monitored_records`). A restart
rebuilds the aggregate from the store (:meth:`MonitorIngest.rebuild`), then the transport
resumes from the committed offsets.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence

from seedsim.core.interop import InteropRecord
from seedsim.core.topics import Topics
from seedsim.core.transport import Record, Transport
from seedsim.runners.monitor.monitor_aggregate import MonitorAggregate
from seedsim.runners.monitor.monitor_metrics import MonitorMetrics
from seedsim.runners.monitor.monitor_store import DEAD_LETTER, INTEROP, RECEIVED, MonitorStore, StoredRecord
from seedsim.runners.monitor.monitored_records import DeadLetter, ReceivedMessage, monitored, monitored_lines
from seedsim.runners.traces.trace_records import is_interop_topic

log = logging.getLogger("seedsim.monitor")

#: how many stored records a rebuild reads at a time
REBUILD_CHUNK = 5000
#: told of each new interop record (the dashboard's live feed)
Listener = Callable[[InteropRecord], None]


def to_store(record: Record) -> list[StoredRecord]:
    """What the store keeps of ``record``, one row per thing the monitor reads in it: each interop record of a
    batch alone (its own line: :func:`.monitored_records.monitored_lines`); empty: nothing the monitor reads."""
    if is_interop_topic(record.topic):
        return [
            StoredRecord(
                rec.id, INTEROP, rec.stage.value, rec.consignment, rec.ts.timestamp(), record, False, rec, line
            )
            for line, rec in monitored_lines(record)
        ]
    items = []
    for what in monitored(record):
        if isinstance(what, DeadLetter):
            kept = Record(record.topic, what.payload, record.key, record.headers)
            items.append(
                StoredRecord(
                    "dlq:" + what.key,
                    DEAD_LETTER,
                    None,
                    what.consignment,
                    what.ts.timestamp(),
                    kept,
                    what.truncated,
                    what,
                )
            )
        elif isinstance(what, ReceivedMessage):
            kept = Record(record.topic, what.payload, record.key, record.headers)
            items.append(
                StoredRecord(
                    f"in:{what.node}:{what.message_id}",
                    RECEIVED,
                    None,
                    what.consignment,
                    what.ts.timestamp(),
                    kept,
                    what.truncated,
                )
            )
    return items


def _retrieved(done: asyncio.Future[list[StoredRecord]]) -> None:
    if not done.cancelled():
        done.exception()  # what the caller raised already: asyncio need not log it as never retrieved


class MonitorIngest:
    def __init__(self, store: MonitorStore, aggregate: MonitorAggregate, metrics: MonitorMetrics) -> None:
        self.store, self.aggregate, self.metrics = store, aggregate, metrics
        self.listeners: list[Listener] = []
        self.unreadable = 0
        self._busy = 0
        self._last_batch_at = time.monotonic()
        #: held from storing a batch to counting it, and by a rebuild: so that a batch is counted exactly once,
        #: by the aggregate it was counted into or by the rebuild that read it from the store
        self._counting = asyncio.Lock()

    def _apply(self, rec: InteropRecord) -> None:
        self.aggregate.add(rec)
        self.metrics.observe(rec)

    async def handle(self, records: Sequence[Record]) -> None:
        """Store the batch, then count what was new: the transport commits its offsets after this returns."""
        self._busy += 1
        try:
            await self._handle(records)
        finally:
            self._busy -= 1
            self._last_batch_at = time.monotonic()

    async def caught_up(self, quiet_s: float = 0.3, at_most_s: float = 10.0) -> None:
        """Return once no batch has come for ``quiet_s`` (a run that is over has nothing more to deliver), or
        after ``at_most_s``."""
        deadline = time.monotonic() + at_most_s
        while time.monotonic() < deadline:
            if not self._busy and time.monotonic() - self._last_batch_at >= quiet_s:
                return
            await asyncio.sleep(quiet_s / 3)

    async def _handle(self, records: Sequence[Record]) -> None:
        items = self._decoded(records)
        if not items:
            return
        async with self._counting:
            adding = self.store.adding(items)  # one transaction, on the store's thread
            try:
                new = await adding.inserted
            except BaseException:
                adding.committed.add_done_callback(_retrieved)  # rolled back (or it commits, if this was cancelled)
                raise
            # counted while the store's thread commits the batch (SQLite's commit runs without the GIL); the
            # transport commits the batch's offsets once this returns, after the commit
            self._count(new)
            try:
                await adding.committed
            except Exception:
                # counted, but not stored: the aggregate is made again from what the store holds
                await self._rebuild()
                raise

    def _decoded(self, records: Sequence[Record]) -> list[StoredRecord]:
        items = []
        for r in records:
            stored = to_store(r)
            if not stored:
                self.unreadable += 1
                log.warning("monitor: %s@%s is not a record the monitor reads", r.topic, r.offset)
            else:
                items.extend(stored)
        return items

    def _count(self, new: list[StoredRecord]) -> None:
        add, observe, listeners = self.aggregate.add, self.metrics.observe, self.listeners  # once, not per record
        for item in new:
            what = item.decoded
            if isinstance(what, InteropRecord):
                add(what)
                observe(what)
                for listener in listeners:
                    listener(what)
            elif isinstance(what, DeadLetter):
                self.metrics.dead_letter(what.node, what.rule)

    async def rebuild(self) -> int:
        """Start the aggregate and the metrics afresh from every interop record in the store, in order; how many."""
        async with self._counting:  # not while a batch is being stored and counted
            return await self._rebuild()

    async def _rebuild(self) -> int:
        self.aggregate = MonitorAggregate(self.aggregate.blocks)
        self.metrics = MonitorMetrics()
        seq, n = 0, 0
        while True:
            chunk = await self.store.interop_after(seq, REBUILD_CHUNK)
            if not chunk:
                return n
            seq = chunk[-1][0]
            for _seq, record in chunk:
                for what in monitored(record):
                    if isinstance(what, InteropRecord):
                        self._apply(what)
                        n += 1

    def subscribe(self, transport: Transport, topics: Topics, nodes: Sequence[str], group: str) -> None:
        """Read the interop and dead-letter topics (and, in a group of their own, the nodes' inboxes)."""
        transport.subscribe([topics.interop, *(topics.dead_letter(n) for n in nodes)], group, self.handle)
        if nodes:
            transport.subscribe([topics.inbox(n) for n in nodes], f"{group}.inboxes", self.handle)
