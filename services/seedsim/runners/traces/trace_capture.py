"""``seedsim trace record``: capture a cluster's records into a trace, as kcat would, with seedsim's header.

Testers record nodes they did not start: a docker compose stack, a national
system's topics. The capture reads every partition of the topics a pattern
names (by default a prefix's inboxes, dead-letter topics and interop topic),
from the beginning or from a time, without a consumer group, so the cluster's
consumers and their offsets are untouched. Each record goes to the
:class:`~seedsim.runners.traces.trace_file.TraceWriter` as it is read (memory
does not grow with the capture) with its topic, partition, offset, timestamp
and timestamp type. Records of different partitions interleave as the broker
hands them out; within a partition they are in offset order.

When to stop (:class:`Until`): once no record came for some seconds
(``idle:5s``, the default), after a number of records (``count:N``), or at a
time (an ISO 8601 time, records stamped later left out).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import aclosing
from dataclasses import dataclass
from datetime import UTC, datetime

from seedsim.core.topics import DEFAULT_PREFIX
from seedsim.core.transport.kafka_credentials import ANONYMOUS, KafkaCredentials
from seedsim.runners.traces.trace_file import TraceWriter
from seedsim.runners.traces.trace_format import TraceEntry


def default_pattern(prefix: str = DEFAULT_PREFIX) -> str:
    """Every topic of a seedsim prefix: inboxes, dead-letter topics, the interop topic."""
    return re.escape(prefix) + r"\..*"


@dataclass(frozen=True)
class Until:
    """When a capture ends: idle seconds, a number of records, or a time (ms since the epoch)."""

    idle_s: float | None = None
    count: int | None = None
    time_ms: int | None = None

    @classmethod
    def parse(cls, text: str) -> Until:
        """``idle:5s``, ``count:N`` or an ISO 8601 time; ValueError saying what is expected."""
        kind, sep, value = text.partition(":")
        try:
            if sep and kind == "idle":
                seconds = float(value.removesuffix("s"))
                if seconds > 0:
                    return cls(idle_s=seconds)
            elif sep and kind == "count":
                count = int(value)
                if count > 0:
                    return cls(count=count)
            else:
                return cls(time_ms=time_ms(text))
        except ValueError:
            pass
        raise ValueError(
            f"--until {text!r} is not idle:SECONDS (idle:5s), count:N (count:100) or a time (2025-05-01T10:00:00Z)"
        )


def time_ms(text: str) -> int:
    """An ISO 8601 time (UTC when it names no zone) as ms since the epoch."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


async def captured(
    bootstrap: str,
    topics_pattern: str,
    *,
    from_time: int | None = None,
    until: Until = Until(idle_s=5.0),
    credentials: KafkaCredentials = ANONYMOUS,
) -> AsyncIterator[TraceEntry]:
    """Every record of the topics matching ``topics_pattern``, as it is read (what a capture writes, or a
    report reads as it streams)."""
    from seedsim.core.transport.kafka import read_topics  # only the Kafka adapter imports aiokafka

    count = 0
    reader = read_topics(
        bootstrap,
        topics_pattern,
        from_ms=from_time,
        until_ms=until.time_ms,
        idle_s=until.idle_s,
        credentials=credentials,
    )
    async with aclosing(reader) as records:
        async for record, tstype in records:
            yield TraceEntry(record, tstype=tstype)
            count += 1
            if until.count is not None and count >= until.count:
                break


async def capture(
    bootstrap: str,
    topics_pattern: str,
    writer: TraceWriter,
    *,
    from_time: int | None = None,
    until: Until = Until(idle_s=5.0),
    progress: Callable[[int], None] | None = None,
    credentials: KafkaCredentials = ANONYMOUS,
) -> int:
    """Write every record of the topics matching ``topics_pattern`` to ``writer``; the number written."""
    count = 0
    entries_read = captured(bootstrap, topics_pattern, from_time=from_time, until=until, credentials=credentials)
    async with aclosing(entries_read) as entries:
        async for entry in entries:
            writer.write(entry)
            count += 1
            if progress is not None:
                progress(count)
    writer.flush()
    return count
