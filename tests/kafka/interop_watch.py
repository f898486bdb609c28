"""An observer of a run's interop topic over Kafka: a summary that fills as the nodes write their records."""

from __future__ import annotations

from seedsim.core.interop import decode_interop
from seedsim.core.topics import Topics
from seedsim.core.transport.kafka import KafkaTransport
from seedsim.core.transport.kafka_credentials import KafkaCredentials
from seedsim.runners.interop_summary import InteropSummary

__all__ = ["InteropSummary", "watch", "watched"]


def watch(observer: KafkaTransport, topics: Topics, group: str) -> InteropSummary:
    """Subscribe ``observer`` (not yet started) to the interop topic of ``topics``, in consumer group ``group``;
    the summary it returns fills with every interop record as it arrives."""
    summary = InteropSummary()

    async def on_interop(records):
        for record in records:
            for rec in decode_interop(record.value):
                summary.add(rec)

    observer.subscribe([topics.interop], group=group, handler=on_interop)
    return summary


def watched(bootstrap: str, topics: Topics, credentials: KafkaCredentials) -> tuple[KafkaTransport, InteropSummary]:
    """A transport (start it, stop it) whose consumer adds every interop record of ``topics`` to the summary,
    logged in with ``credentials``."""
    monitor = KafkaTransport(bootstrap, client_id="test-monitor", credentials=credentials)
    return monitor, watch(monitor, topics, group=f"{topics.prefix}-monitor")
