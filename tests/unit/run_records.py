"""A run's records as a test hears them: a watch (a run's observer hook) keeping every record it reads."""

from __future__ import annotations

from typing import Any


def keeping(heard: list[Any]):
    """A watch that keeps every record of the run's interop, inbox and dead-letter topics in ``heard``."""

    def watch(transport, topics, nodes):
        async def keep(records):
            heard.extend(records)

        transport.subscribe(
            [topics.interop, *(topics.inbox(n) for n in nodes), *(topics.dead_letter(n) for n in nodes)],
            group="test-monitor",
            handler=keep,
        )

    return watch
