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
import re
import shutil
import subprocess
import uuid
from collections import Counter
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer

from seedsim.bootstrap import running_network
from seedsim.config import NodeConfig
from seedsim.core.interop import InteropRecord, Stage, decode_interop
from seedsim.core.topics import Topics
from seedsim.core.transport.kafka import KafkaTransport
from seedsim.runners.scenarios.scenario_loader import SCENARIO_DIR, load
from seedsim.runners.scenarios.scenario_run import RunSettings, run_scenario
from seedsim.runners.traces import TraceHeader, TraceWriter, read_trace, replay
from seedsim.runners.traces.trace_capture import Until, capture, default_pattern
from tests.kafka.conftest import SecuredKafka

try:  # `python -m pytest` puts the repo root on sys.path ...
    from tests.unit.seedsim_cli import REPO, assert_no_traceback, clean_env
    from tests.unit.test_trace_replay_cli import command
except ImportError:  # ... plain `pytest` puts tests/ there (rootdir-relative packages)
    from unit.seedsim_cli import REPO, assert_no_traceback, clean_env
    from unit.test_trace_replay_cli import command

pytestmark = pytest.mark.kafka

SCENARIO = "rs-me-seed-core"


async def everything_on(kafka: SecuredKafka, topics: list[str]) -> set[tuple[str, int, int, bytes]]:
    """(topic, partition, offset, payload) of every record of ``topics``, read by a plain aiokafka consumer (logged in
    as the super user: the test's own probe, which reads any topic)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=kafka.bootstrap, group_id=None, auto_offset_reset="earliest", **kafka.options()
    )
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


async def test_a_scenario_captured_from_kafka_and_replayed_into_its_nodes_is_all_duplicates(secured_kafka, tmp_path):
    bootstrap, admin = secured_kafka.bootstrap, secured_kafka.admin  # the operator's run, capture and replay
    topics = Topics(f"seedsim.test-capture-{uuid.uuid4().hex[:8]}")
    scenario = load(SCENARIO_DIR / f"{SCENARIO}.yaml")
    db_dir = tmp_path / "nodes"
    lines: list[str] = []
    result = await run_scenario(
        scenario,
        RunSettings(kafka=bootstrap, kafka_credentials=admin, topic_prefix=topics.prefix, db_dir=db_dir),
        out=lines.append,
    )
    assert result.completed and result.ok, "\n".join(lines)

    path = tmp_path / "captured.trace.jsonl.gz"
    with TraceWriter(path, TraceHeader(source=f"kafka {bootstrap}", scenario=SCENARIO)) as writer:
        written = await capture(
            bootstrap, default_pattern(topics.prefix), writer, until=Until(idle_s=3), credentials=admin
        )

    entries = list(read_trace(path))
    assert len(entries) == written
    run_topics = sorted({e.record.topic for e in entries})
    assert topics.interop in run_topics and all(t.startswith(topics.prefix + ".") for t in run_topics)
    broker_has = await everything_on(secured_kafka, run_topics)
    assert {(e.record.topic, e.record.partition, e.record.offset, e.record.value) for e in entries} == broker_has
    assert len(entries) == len(broker_has)  # each record once
    assert {e.tstype for e in entries} == {"create"} and all(e.record.timestamp_ms for e in entries)

    # count:N stops after N records; --from a time after the last record captures nothing
    with TraceWriter(tmp_path / "five.jsonl") as writer:
        pattern = default_pattern(topics.prefix)
        assert await capture(bootstrap, pattern, writer, until=Until(count=5), credentials=admin) == 5
    assert len(list(read_trace(tmp_path / "five.jsonl"))) == 5
    later = max(e.record.timestamp_ms or 0 for e in entries) + 1
    with TraceWriter(tmp_path / "none.jsonl") as writer:
        pattern = default_pattern(topics.prefix)
        assert await capture(bootstrap, pattern, writer, from_time=later, until=Until(idle_s=1), credentials=admin) == 0
    first_half = sorted(e.record.timestamp_ms or 0 for e in entries)[len(entries) // 2]
    with TraceWriter(tmp_path / "half.jsonl") as writer:
        pattern = default_pattern(topics.prefix)
        await capture(bootstrap, pattern, writer, from_time=first_half, until=Until(idle_s=1), credentials=admin)
    # Kafka's rule: each partition from its first record stamped at or after the time
    start: dict[tuple[str, int | None], int] = {}
    for e in sorted(entries, key=lambda e: e.record.offset or 0):
        if (e.record.timestamp_ms or 0) >= first_half:
            start.setdefault((e.record.topic, e.record.partition), e.record.offset or 0)
    want = {
        (e.record.topic, e.record.partition, e.record.offset)
        for e in entries
        if (e.record.topic, e.record.partition) in start
        and (e.record.offset or 0) >= start[(e.record.topic, e.record.partition)]
    }
    got = {(e.record.topic, e.record.partition, e.record.offset) for e in read_trace(tmp_path / "half.jsonl")}
    assert want and got == want

    nodes = [str(n) for n in scenario.nodes]
    inbound = [e.record.header("ce_id") for e in entries if e.record.topic in {topics.inbox(n) for n in nodes}]
    assert inbound and all(inbound)

    transport = KafkaTransport(bootstrap, client_id="seedsim-replay-test", credentials=admin)
    seen: list[InteropRecord] = []
    all_in = asyncio.Event()

    async def on_interop(records) -> None:
        seen.extend(rec for r in records for rec in decode_interop(r.value))
        if sum(r.stage == Stage.DUPLICATE for r in seen) >= len(inbound):
            all_in.set()

    # the monitor reads only what is new: the run's own interop records are already there
    transport.subscribe([topics.interop], group=f"replay-monitor-{uuid.uuid4().hex[:6]}", handler=on_interop)
    configs = [
        NodeConfig(
            node=n,
            kafka=bootstrap,
            partners=scenario.partners(n),
            crossings=[x for c in scenario.corridors for x in c.crossings],
            topic_prefix=topics.prefix,
        )
        for n in nodes
    ]
    before = Counter(
        rec.stage.value for e in entries if e.record.topic == topics.interop for rec in decode_interop(e.record.value)
    )
    async with running_network(configs, transport, db_dir=db_dir):
        report = await replay(read_trace(path), nodes, transport, speed=None)
        await asyncio.wait_for(all_in.wait(), 60)
        await asyncio.sleep(1.0)
    assert [s.ce_id for s in report.sent] == inbound
    replayed = [r for r in seen if r.stage == Stage.DUPLICATE]
    assert Counter(r.message_id for r in replayed) == Counter(inbound)
    assert before[Stage.DUPLICATE.value] == 0


def kcat_capture(kafka: SecuredKafka, topics: list[str], path: Path) -> None:
    """What a tester does with kcat: each topic from its beginning to its end, one file (as the super user)."""
    kcat = shutil.which("kcat")
    if kcat is None:
        pytest.fail("kcat is not installed: apt-get install kcat (Debian's package; CI installs it in .ci/run)")
    with path.open("wb") as out:
        for topic in topics:
            done = subprocess.run(
                [kcat, "-C", "-J", "-e", "-q", *kafka.kcat(), "-t", topic, "-o", "beginning"],
                capture_output=True,
                timeout=60,
            )
            assert done.returncode == 0, done.stderr
            out.write(done.stdout)


def fields(path: Path) -> set[tuple]:
    return {
        (r.topic, r.partition, r.offset, r.timestamp_ms, r.key, r.value, r.headers, e.tstype)
        for e in read_trace(path)
        for r in [e.record]
    }


def verdicts(path: Path, node: str) -> dict[str, str]:
    """message id -> the receiving node's verdict on it (valid, invalid), from a trace's interop records."""
    out = {}
    for e in read_trace(path):
        for rec in decode_interop(e.record.value) if e.record.topic.endswith(".interop") else []:
            if rec.node == node and rec.stage in (Stage.VALID, Stage.INVALID) and rec.message_id:
                out[rec.message_id] = rec.stage.value
    return out


def trace_command(kafka: SecuredKafka, *args: str) -> subprocess.CompletedProcess[str]:
    """``seedsim trace ARGS`` run by the operator (logged in as the super user)."""
    return subprocess.run(
        command("trace", *args), capture_output=True, text=True, timeout=180, env=clean_env(**kafka.admin_env), cwd=REPO
    )


async def record_with_cli(kafka: SecuredKafka, prefix: str, path: Path) -> subprocess.CompletedProcess[str]:
    """``seedsim trace record`` of a prefix's topics until they are idle for 3 s."""
    pattern = re.escape(prefix) + r"\..*"
    args = ("record", "--kafka", kafka.bootstrap, "--topics", pattern, "--until", "idle:3s", "-o", str(path))
    return await asyncio.to_thread(trace_command, kafka, *args)


async def test_trace_record_matches_kcat_and_a_replay_into_a_fresh_node_gives_the_golden_verdicts(
    secured_kafka, tmp_path
):
    topics = Topics(f"seedsim.test-record-{uuid.uuid4().hex[:8]}")
    scenario = load(SCENARIO_DIR / f"{SCENARIO}.yaml")
    settings = RunSettings(
        kafka=secured_kafka.bootstrap,
        kafka_credentials=secured_kafka.admin,
        topic_prefix=topics.prefix,
        db_dir=tmp_path / "golden",
    )
    result = await run_scenario(scenario, settings)
    assert result.completed and result.ok

    recorded = tmp_path / "golden.trace.jsonl.gz"
    pattern = re.escape(topics.prefix) + r"\..*"
    done = await record_with_cli(secured_kafka, topics.prefix, recorded)
    assert done.returncode == 0, done.stderr
    assert_no_traceback(done.stdout, done.stderr)
    golden = fields(recorded)
    assert f"recorded {len(golden)} record(s) of topics matching {pattern}" in done.stderr

    by_kcat = tmp_path / "kcat.jsonl"
    kcat_capture(secured_kafka, sorted({t for t, *_ in golden}), by_kcat)
    assert fields(by_kcat) == golden  # every record, field for field, as kcat read it

    # the kcat file replayed at max speed into a fresh ME on Kafka (its own prefix), its answers captured
    node = "ME"
    fresh = Topics(f"seedsim.test-fresh-{uuid.uuid4().hex[:8]}")
    sent = sum(t == topics.inbox(node) for t, *_ in golden)
    done = await asyncio.to_thread(
        trace_command,
        secured_kafka,
        "replay",
        str(by_kcat),
        "--to",
        node,
        "--fresh",
        "--kafka",
        secured_kafka.bootstrap,
        "--topic-prefix",
        fresh.prefix,
        "--speed",
        "max",
    )
    assert done.returncode == 0, done.stderr
    assert f"sent {sent} record(s) to {node}" in done.stdout
    actual = tmp_path / "actual.trace.jsonl"
    done = await record_with_cli(secured_kafka, fresh.prefix, actual)
    assert done.returncode == 0, done.stderr
    want = verdicts(recorded, node)
    assert want and verdicts(actual, node) == want
