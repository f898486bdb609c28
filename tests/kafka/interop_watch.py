"""An observer of a run's interop topic over Kafka: a summary that fills as the nodes write their records."""

from __future__ import annotations

from seedsim.core.interop import InteropRecord
from seedsim.core.topics import Topics
from seedsim.core.transport.kafka import KafkaTransport
from seedsim.runners.interop_summary import InteropSummary


def watched(bootstrap: str, topics: Topics) -> tuple[KafkaTransport, InteropSummary]:
    """A transport (start it, stop it) whose consumer adds every interop record of ``topics`` to the summary."""
    summary = InteropSummary()
    monitor = KafkaTransport(bootstrap, client_id="test-monitor")

    async def on_interop(records):
        for record in records:
            summary.add(InteropRecord.model_validate_json(record.value))

    monitor.subscribe([topics.interop], group=f"{topics.prefix}-monitor", handler=on_interop)
    return monitor, summary
