"""The in-process bus: topics as append-only lists, consumer groups as cursors.

Same contract as Kafka (ordered topics, per-group committed offsets, commit
after the handler returns) with nothing to install, so ``seedsim demo`` and the
unit tests run anywhere. It is one process's bus: it does not persist. Each
topic has one partition (0); a record's offset is its place in the topic and
its timestamp the moment it was appended (``logappend``). A handler that
raises commits nothing: the same batch is delivered again after a pause
(:data:`RETRY_PAUSE_S`), as the Kafka adapter does.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence

from seedsim.core.transport.port import Handler, Record

#: the bus stamps a record as it appends it, as a broker does with log-append time
LOG_APPEND = "logappend"
#: how long a consumer waits before delivering again a batch its handler raised on
RETRY_PAUSE_S = 0.2

logger = logging.getLogger("seedsim.transport.memory")


class InMemoryBus:
    def __init__(self, max_batch: int = 500) -> None:
        self.max_batch = max_batch
        self._logs: dict[str, list[Record]] = {}
        self._committed: dict[tuple[str, str], int] = {}
        self._wakeup: dict[str, asyncio.Event] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._pending: list[tuple[Sequence[str], str, Handler]] = []
        self._started = False

    def log(self, topic: str) -> list[Record]:
        """Everything ever sent to ``topic`` (for tests and the trace recorder)."""
        return self._logs.setdefault(topic, [])

    def _event(self, topic: str) -> asyncio.Event:
        return self._wakeup.setdefault(topic, asyncio.Event())

    async def start(self) -> None:
        self._started = True
        for args in self._pending:
            self._spawn(*args)
        self._pending.clear()

    async def stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        self._started = False

    async def ensure_topics(self, topics: Sequence[str]) -> None:
        for t in topics:
            self.log(t)

    async def send_batch(self, records: Sequence[Record]) -> list[Record]:
        """Append each record to its topic's one partition (0), stamped now; the records as appended."""
        now = int(time.time() * 1000)
        placed = []
        for r in records:
            log = self.log(r.topic)
            log.append(Record(r.topic, r.value, r.key, tuple(r.headers), 0, len(log), now, LOG_APPEND))
            placed.append(log[-1])
        for t in {r.topic for r in placed}:
            self._event(t).set()
        return placed

    def subscribe(self, topics: Sequence[str], group: str, handler: Handler) -> None:
        if self._started:
            self._spawn(topics, group, handler)
        else:
            self._pending.append((topics, group, handler))

    def _spawn(self, topics: Sequence[str], group: str, handler: Handler) -> None:
        for topic in topics:
            self._tasks.append(asyncio.create_task(self._consume(topic, group, handler), name=f"bus:{group}:{topic}"))

    async def _consume(self, topic: str, group: str, handler: Handler) -> None:
        log = self.log(topic)
        event = self._event(topic)
        while True:
            pos = self._committed.get((group, topic), 0)
            if pos < len(log):
                batch = log[pos : pos + self.max_batch]
                try:
                    await handler(batch)
                except Exception as exc:  # nothing committed: delivered again
                    logger.warning("handler failed on %s@%d, delivering again: %s", topic, pos, exc)
                    await asyncio.sleep(RETRY_PAUSE_S)
                    continue
                self._committed[(group, topic)] = pos + len(batch)
                continue
            event.clear()
            if self._committed.get((group, topic), 0) < len(log):
                continue
            await event.wait()
