"""Capture and replay over a real broker: a scenario's topics captured, its inbound messages replayed into its nodes.

A shipped scenario runs over Kafka under its own topic prefix. :func:`capture`
reads those topics back into a trace; the trace must hold every record the
broker has, with partition, offset and timestamp type (compared with what a
separate aiokafka consumer of the same topics reads, not with the capture's own
count). The trace's inbound messages are then replayed over Kafka, at max speed,
into the scenario's nodes started again on their databases: every one is a
duplicate and nothing else happens, the idempotency test on a real broker.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter

import pytest
from aiokafka import AIOKafkaConsumer

from seedsim.bootstrap import running_network
from seedsim.config import NodeConfig
from seedsim.core.interop import InteropRecord, Stage
from seedsim.core.topics import Topics
from seedsim.core.transport.kafka import KafkaTransport
from seedsim.runners.scenarios.scenario_loader import SCENARIO_DIR, load
from seedsim.runners.scenarios.scenario_run import RunSettings, run_scenario
from seedsim.runners.traces import TraceHeader, TraceWriter, read_trace, replay
from seedsim.runners.traces.trace_capture import Until, capture, default_pattern

pytestmark = pytest.mark.kafka

SCENARIO = "rs-me-seed-core"


async def everything_on(bootstrap: str, topics: list[str]) -> set[tuple[str, int, int, bytes]]:
    """(topic, partition, offset, payload) of every record of ``topics``, read by a plain aiokafka consumer."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest")
    await consumer.start()
    try:
        consumer.subscribe(topics=topics)  # no group: every partition is assigned once the metadata is in
        while {tp.topic for tp in consumer.assignment()} != set(topics):
            await asyncio.sleep(0.05)
        parts = sorted(consumer.assignment())
        await consumer.seek_to_beginning(*parts)
        ends = await consumer.end_offsets(parts)
        out: set[tuple[str, int, int, bytes]] = set()
        while [tp for tp in parts if await consumer.position(tp) < ends[tp]]:
            for messages in (await consumer.getmany(timeout_ms=500)).values():
                out.update((m.topic, m.partition, m.offset, m.value) for m in messages)
        return out
    finally:
        await consumer.stop()


async def test_a_scenario_captured_from_kafka_and_replayed_into_its_nodes_is_all_duplicates(kafka_bootstrap, tmp_path):
    topics = Topics(f"seedsim.test-capture-{uuid.uuid4().hex[:8]}")
    scenario = load(SCENARIO_DIR / f"{SCENARIO}.yaml")
    db_dir = tmp_path / "nodes"
    lines: list[str] = []
    result = await run_scenario(
        scenario, RunSettings(kafka=kafka_bootstrap, topic_prefix=topics.prefix, db_dir=db_dir), out=lines.append
    )
    assert result.completed and result.ok, "\n".join(lines)

    path = tmp_path / "captured.trace.jsonl.gz"
    with TraceWriter(path, TraceHeader(source=f"kafka {kafka_bootstrap}", scenario=SCENARIO)) as writer:
        written = await capture(kafka_bootstrap, default_pattern(topics.prefix), writer, until=Until(idle_s=3))

    entries = list(read_trace(path))
    assert len(entries) == written
    run_topics = sorted({e.record.topic for e in entries})
    assert topics.interop in run_topics and all(t.startswith(topics.prefix + ".") for t in run_topics)
    broker_has = await everything_on(kafka_bootstrap, run_topics)
    assert {(e.record.topic, e.record.partition, e.record.offset, e.record.value) for e in entries} == broker_has
    assert len(entries) == len(broker_has)  # each record once
    assert {e.tstype for e in entries} == {"create"} and all(e.record.timestamp_ms for e in entries)

    nodes = [str(n) for n in scenario.nodes]
    inbound = [e.record.header("ce_id") for e in entries if e.record.topic in {topics.inbox(n) for n in nodes}]
    assert inbound and all(inbound)

    transport = KafkaTransport(kafka_bootstrap, client_id="seedsim-replay-test")
    seen: list[InteropRecord] = []
    all_in = asyncio.Event()

    async def on_interop(records) -> None:
        seen.extend(InteropRecord.model_validate_json(r.value) for r in records)
        if sum(r.stage == Stage.DUPLICATE for r in seen) >= len(inbound):
            all_in.set()

    # the monitor reads only what is new: the run's own interop records are already there
    transport.subscribe([topics.interop], group=f"replay-monitor-{uuid.uuid4().hex[:6]}", handler=on_interop)
    configs = [
        NodeConfig(
            node=n,
            kafka=kafka_bootstrap,
            partners=scenario.partners(n),
            crossings=[x for c in scenario.corridors for x in c.crossings],
            topic_prefix=topics.prefix,
        )
        for n in nodes
    ]
    before = Counter(json.loads(e.record.value)["stage"] for e in entries if e.record.topic == topics.interop)
    async with running_network(configs, transport, db_dir=db_dir):
        report = await replay(read_trace(path), nodes, transport, speed=None)
        await asyncio.wait_for(all_in.wait(), 60)
        await asyncio.sleep(1.0)
    assert [s.ce_id for s in report.sent] == inbound
    replayed = [r for r in seen if r.stage == Stage.DUPLICATE]
    assert Counter(r.message_id for r in replayed) == Counter(inbound)
    assert before[Stage.DUPLICATE.value] == 0
