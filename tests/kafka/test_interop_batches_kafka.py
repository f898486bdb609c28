"""Interop records in batches over a real broker: far fewer Kafka records per consignment, the same monitor counts."""

from __future__ import annotations

import uuid

import pytest

from seedsim.core.interop import decode_interop
from seedsim.core.transport import Record
from seedsim.runners.demo import DemoSettings, run_demo
from seedsim.runners.monitor.monitor_aggregate import MonitorAggregate
from seedsim.runners.monitor.monitor_ingest import MonitorIngest
from seedsim.runners.monitor.monitor_metrics import MonitorMetrics
from seedsim.runners.monitor.monitor_store import MonitorStore
from seedsim.utility_blocks import load_all
from tests.kafka.conftest import SecuredKafka

pytestmark = pytest.mark.kafka

#: interop records of one consignment's lifecycle in the demo (lodged, pre-arrival and exit data, entry
#: confirmation: each sent, received, valid, acknowledged, the acknowledgement received; matched at entry)
PER_LIFECYCLE = 24


async def test_a_lifecycle_writes_a_few_interop_batches_and_the_monitor_counts_what_the_run_counts(
    secured_kafka: SecuredKafka, tmp_path
):
    n = 100
    store = MonitorStore(tmp_path / "monitor.sqlite3")
    await store.open()
    ingest = MonitorIngest(store, MonitorAggregate(load_all().values()), MonitorMetrics())
    on_interop: list[Record] = []

    def watch(transport, topics, nodes):
        async def handle(records):
            on_interop.extend(r for r in records if r.topic == topics.interop)
            await ingest.handle(records)

        transport.subscribe([topics.interop, *(topics.dead_letter(x) for x in nodes)], "test-monitor", handle)
        return lambda: ingest.caught_up(quiet_s=1.0, at_most_s=60)

    try:
        result = await run_demo(
            DemoSettings(
                consignments=n,
                seed=2026,
                discrepancies=5,
                kafka=secured_kafka.bootstrap,
                kafka_credentials=secured_kafka.admin,
                topic_prefix=f"t-{uuid.uuid4().hex[:8]}",
                db_dir=tmp_path / "nodes",
                show_flows=0,
                timeout=240,
                watch=watch,
            ),
            out=lambda s: None,
        )
        assert result.completed, result.counts
        # the monitor counts exactly what the run counts, reading batches
        assert ingest.aggregate.counters() == result.counts
        assert ingest.unreadable == 0
        assert (await store.counts())["interop"] == len(result.summary.records)

        interop = [rec for r in on_interop for rec in decode_interop(r.value)]
        assert len({rec.id for rec in interop}) == len(result.summary.records)
        assert len(interop) >= PER_LIFECYCLE * n, "each stage still recorded"
        kafka_per_lifecycle = len(on_interop) / n
        assert kafka_per_lifecycle < PER_LIFECYCLE / 3, (
            f"{kafka_per_lifecycle:.1f} Kafka records per lifecycle on the interop topic, for {len(interop) / n:.1f}"
            " interop records"
        )
        assert all(r.key and r.key.decode() in {"RS", "ME"} for r in on_interop), "keyed by the node"
    finally:
        await store.close()
