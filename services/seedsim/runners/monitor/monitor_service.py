"""The monitor as a running thing: its store, its consumer, its web server, its retention.

``seedsim monitor`` runs it on its own, reading a Kafka broker's topics; ``seedsim demo --monitor``
and ``seedsim run --monitor`` run it next to an in-process run (subscribed to the run's transport
through the run's ``watch`` hook) and keep the dashboard open after the run until Ctrl-C.

On start the store is opened, records older than the retention are deleted, and the aggregate is
rebuilt from what is left: then the consumer resumes from its committed offsets, so nothing is
lost and nothing counted twice. Retention runs again every :data:`PRUNE_EVERY_S`.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from fastapi import FastAPI

from seedsim.core.topics import Topics
from seedsim.core.transport import Transport
from seedsim.runners.monitor.monitor_aggregate import MonitorAggregate
from seedsim.runners.monitor.monitor_app import create_app
from seedsim.runners.monitor.monitor_ingest import MonitorIngest
from seedsim.runners.monitor.monitor_metrics import MonitorMetrics
from seedsim.runners.monitor.monitor_store import MonitorStore
from seedsim.runners.monitor.workshop_board import WorkshopBoard
from seedsim.utility_blocks import load_all

T = TypeVar("T")
PRUNE_EVERY_S = 600.0
#: the consumer group of a monitor next to an in-process run (``seedsim monitor`` names one per topic prefix)
GROUP = "seedsim-monitor"


@dataclass
class MonitorSettings:
    db: Path
    retention_s: float | None = None  # None: keep everything
    source: str = "the in-process run"


class Monitor:
    def __init__(self, settings: MonitorSettings) -> None:
        self.settings = settings
        self.store = MonitorStore(settings.db)
        self.ingest = MonitorIngest(self.store, MonitorAggregate(load_all().values()), MonitorMetrics())
        #: the Utility Block step a workshop is at (workshop mode), highlighted on the network
        self.board = WorkshopBoard()
        self.app: FastAPI = create_app(self.ingest, self.store, settings.source, self.board)
        self._pruning: asyncio.Task[None] | None = None

    async def open(self) -> int:
        """Open the store, apply the retention and rebuild the aggregate; how many interop records it holds."""
        await self.store.open()
        await self.prune()
        n = await self.ingest.rebuild()
        if self.settings.retention_s:
            self._pruning = asyncio.create_task(self._prune_every(PRUNE_EVERY_S))
        return n

    async def prune(self) -> int:
        if not self.settings.retention_s:
            return 0
        return await self.store.delete_before(time.time() - self.settings.retention_s)

    async def _prune_every(self, seconds: float) -> None:
        while True:
            await asyncio.sleep(seconds)
            if await self.prune():
                await self.ingest.rebuild()

    def watch(
        self, transport: Transport, topics: Topics, nodes: Sequence[str], group: str = GROUP
    ) -> Callable[[], Awaitable[None]]:
        """Subscribe to a run's topics (a run's ``watch`` hook); what it returns waits until the monitor caught up."""
        self.ingest.subscribe(transport, topics, nodes, group)
        return self.ingest.caught_up

    async def close(self) -> None:
        if self._pruning is not None:
            self._pruning.cancel()
        await self.store.close()


async def serving(
    app: Any, sock: socket.socket, ready: Callable[[], None], during: Callable[[], Awaitable[T]] | None = None
) -> T | None:
    """Serve ``app`` on ``sock`` until Ctrl-C (or SIGTERM); ``ready`` is called once it listens, then ``during``
    (a run) is played and its result returned when the server stops. A run that fails stops the server."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started and not task.done():
        await asyncio.sleep(0.05)
    if task.done():
        await task
        return None
    ready()
    result = None
    if during is not None:
        try:
            result = await during()
        except BaseException:
            server.should_exit = True
            await task
            raise
    await task
    return result
