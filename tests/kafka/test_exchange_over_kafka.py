"""The spine over a real Apache Kafka broker: the demo's counts, dead letters, and a receiver killed mid-stream."""

from __future__ import annotations

import asyncio
import signal
import time
import uuid

import pytest
from aiokafka import AIOKafkaConsumer

from seedsim.core.interop import Stage
from seedsim.core.topics import Topics
from seedsim.core.transport.kafka import KafkaTransport
from seedsim.core.transport.kafka_acls import MONITOR_USER
from seedsim.runners.demo import DemoSettings, run_demo
from tests.kafka.conftest import SecuredKafka
from tests.kafka.node_processes import rs_and_me

pytestmark = pytest.mark.kafka


async def read_topic(kafka: SecuredKafka, topic: str, expect: int, timeout: float = 30) -> list:
    """The records of ``topic``, read by the test's own consumer (as the super user: any topic, any group)."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=kafka.bootstrap,
        group_id=f"test-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        **kafka.options(),
    )
    await consumer.start()
    got = []
    try:
        deadline = time.monotonic() + timeout
        while len(got) < expect and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for msgs in batch.values():
                got.extend(msgs)
        await asyncio.sleep(1)  # anything beyond what was expected would show up now
        for msgs in (await consumer.getmany(timeout_ms=500)).values():
            got.extend(msgs)
    finally:
        await consumer.stop()
    return got


async def test_200_consignments_over_kafka(secured_kafka, tmp_path):
    prefix = f"t-{uuid.uuid4().hex[:8]}"
    result = await run_demo(
        DemoSettings(
            consignments=200,
            seed=2026,
            discrepancies=5,
            kafka=secured_kafka.bootstrap,
            kafka_credentials=secured_kafka.admin,  # the demo plays every node in one process: the operator
            topic_prefix=prefix,
            db_dir=tmp_path,
            show_flows=0,
            timeout=240,
        ),
        out=lambda s: None,
    )
    assert result.completed, result.counts
    c = result.counts
    assert c["sent"] == 600 and c["delivered"] == 603 and c["valid"] == 600, c
    assert c["acknowledged"] == 600, "every valid message is acknowledged back to its sender"
    assert c["matched"] == 195 and c["discrepancies"] == 5
    assert c["rejected"] == 3 and c["dead_lettered"] == 3
    # every consignment was pre-announced, exited, entered and confirmed
    s = result.summary
    for trigger in ("PRE_ARRIVAL", "EXIT"):
        assert s.count(Stage.VALID, "ExportData", trigger) == 200
    assert s.count(Stage.ACK_RECEIVED, "EntryConfirmation") == 200
    alerts = [r for r in s.records if r.stage == Stage.ALERT]
    assert sorted(r.result for r in alerts) == ["M01", "M02", "M03", "M05", "M06"]

    dlq = await read_topic(secured_kafka, Topics(prefix).dead_letter("ME"), expect=3)
    assert len(dlq) == 3
    reasons = {dict(m.headers)["dlq_rule"].decode() for m in dlq}
    assert reasons == {"XML102", "XML101", "XSD100"}
    for m in dlq:
        h = dict(m.headers)
        assert h["dlq_original_topic"].decode() == Topics(prefix).inbox("ME")
        assert int(h["dlq_original_offset"]) >= 0 and h["dlq_reason"]
        assert h["ce_id"] and h["ce_source"] == b"urn:seedsim:node:RS"


async def test_demo_summary_is_the_same_on_kafka_and_in_process(secured_kafka, tmp_path):
    settings = dict(consignments=40, seed=7, discrepancies=4, show_flows=0, timeout=180)
    local = await run_demo(DemoSettings(**settings, db_dir=tmp_path / "bus"), out=lambda s: None)
    kafka = await run_demo(
        DemoSettings(
            **settings,
            kafka=secured_kafka.bootstrap,
            kafka_credentials=secured_kafka.admin,
            topic_prefix=f"t-{uuid.uuid4().hex[:8]}",
            db_dir=tmp_path / "kafka",
        ),
        out=lambda s: None,
    )
    assert local.completed and kafka.completed
    assert local.counts == kafka.counts


async def test_receiver_killed_mid_stream_loses_nothing_and_applies_nothing_twice(secured_kafka, tmp_path):
    kafka = secured_kafka  # as production runs them: a network set up, each node and the monitor logged in as itself
    prefix = (await kafka.network(["RS", "ME"], extra_users=(MONITOR_USER,))).prefix
    n = 150
    monitor = KafkaTransport(kafka.bootstrap, client_id="test-monitor", credentials=kafka.user(MONITOR_USER))
    login = lambda node: kafka.env(kafka.user(node))  # noqa: E731
    async with rs_and_me(kafka.bootstrap, prefix, tmp_path, monitor, login) as pair:
        summary = pair.summary
        sending = pair.exits(await pair.send_exports(99, n))
        # kill the receiver once it is part-way through the stream
        assert await summary.wait_for(lambda s: s.count(Stage.VALID, "ExportData") >= 20, timeout=60)
        pair.procs["ME"].send_signal(signal.SIGKILL)
        pair.procs["ME"].wait(timeout=10)
        killed_at = summary.count(Stage.VALID, "ExportData")
        await sending
        pair.procs["ME"] = pair.start("ME")
        done = await summary.wait_for(lambda s: s.count(Stage.ACK_RECEIVED, "ExportData") >= n, timeout=120)
        await asyncio.sleep(2)  # a late duplicate would show up now
        assert done, (
            f"only {summary.count(Stage.ACK_RECEIVED, 'ExportData')} of {n} acknowledged; ME log: {pair.logs['ME'].read_text()[-2000:]}"
        )
        assert killed_at < n, "the receiver was not killed mid-stream"
        # no loss: every message was validated and its effect stored once
        assert summary.count(Stage.SENT, "ExportData") == n
        assert summary.count(Stage.VALID, "ExportData") == n
        assert summary.count(Stage.ACKED, "ExportData") == n
        assert summary.count(Stage.ACK_RECEIVED, "ExportData") == n
        import sqlite3

        with sqlite3.connect(tmp_path / "me.sqlite3") as db:
            assert db.execute("SELECT COUNT(*) FROM prearrival").fetchone()[0] == n
            assert db.execute("SELECT COUNT(*) FROM handled WHERE outcome = 'accepted'").fetchone()[0] == n
        with sqlite3.connect(tmp_path / "rs.sqlite3") as db:
            acked = db.execute("SELECT COUNT(*) FROM messages WHERE direction='out' AND result='acked'").fetchone()[0]
            assert acked == n
