"""The spine over a real Apache Kafka broker: the demo's counts, dead letters, and a receiver killed mid-stream."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer

from seedsim.core.interop import Stage
from seedsim.core.topics import Topics
from seedsim.core.wco import MetaData
from seedsim.nodes.customs.customs_node import Event
from seedsim.runners.demo import DemoSettings, run_demo
from seedsim.runners.node_clients import HttpClient
from seedsim.samples.consignments import ConsignmentGenerator
from seedsim.samples.crossings import DEMO_CROSSINGS
from tests.kafka.interop_watch import watched

pytestmark = pytest.mark.kafka


async def read_topic(bootstrap: str, topic: str, expect: int, timeout: float = 30) -> list:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"test-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
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


async def test_200_consignments_over_kafka(kafka_bootstrap, tmp_path):
    prefix = f"t-{uuid.uuid4().hex[:8]}"
    result = await run_demo(
        DemoSettings(
            consignments=200,
            seed=2026,
            discrepancies=5,
            kafka=kafka_bootstrap,
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

    dlq = await read_topic(kafka_bootstrap, Topics(prefix).dead_letter("ME"), expect=3)
    assert len(dlq) == 3
    reasons = {dict(m.headers)["dlq_rule"].decode() for m in dlq}
    assert reasons == {"XML102", "XML101", "XSD100"}
    for m in dlq:
        h = dict(m.headers)
        assert h["dlq_original_topic"].decode() == Topics(prefix).inbox("ME")
        assert int(h["dlq_original_offset"]) >= 0 and h["dlq_reason"]
        assert h["ce_id"] and h["ce_source"] == b"urn:seedsim:node:RS"


async def test_demo_summary_is_the_same_on_kafka_and_in_process(kafka_bootstrap, tmp_path):
    settings = dict(consignments=40, seed=7, discrepancies=4, show_flows=0, timeout=180)
    local = await run_demo(DemoSettings(**settings, db_dir=tmp_path / "bus"), out=lambda s: None)
    kafka = await run_demo(
        DemoSettings(
            **settings, kafka=kafka_bootstrap, topic_prefix=f"t-{uuid.uuid4().hex[:8]}", db_dir=tmp_path / "kafka"
        ),
        out=lambda s: None,
    )
    assert local.completed and kafka.completed
    assert local.counts == kafka.counts


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_node(
    country: str, partner: str, port: int, kafka: str, db: Path, prefix: str, log: Path
) -> subprocess.Popen:
    env = {**os.environ, "SEEDSIM_TOPIC_PREFIX": prefix}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "seedsim.cli",
            "node",
            "--country",
            country,
            "--port",
            str(port),
            "--kafka",
            kafka,
            "--db",
            str(db),
            "--partners",
            partner,
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("ab"),
    )


async def test_receiver_killed_mid_stream_loses_nothing_and_applies_nothing_twice(kafka_bootstrap, tmp_path):
    prefix = f"t-{uuid.uuid4().hex[:8]}"
    topics = Topics(prefix)
    n = 150
    ports = {"RS": _free_port(), "ME": _free_port()}
    logs = {c: tmp_path / f"{c}.log" for c in ports}
    procs = {
        "RS": _start_node("RS", "ME", ports["RS"], kafka_bootstrap, tmp_path / "rs.sqlite3", prefix, logs["RS"]),
        "ME": _start_node("ME", "RS", ports["ME"], kafka_bootstrap, tmp_path / "me.sqlite3", prefix, logs["ME"]),
    }
    monitor, summary = watched(kafka_bootstrap, topics)
    client = HttpClient({c: f"http://127.0.0.1:{p}" for c, p in ports.items()})
    try:
        await monitor.start()
        await client.wait_ready(timeout=60)
        gen = ConsignmentGenerator(99, DEMO_CROSSINGS[0])
        cross = DEMO_CROSSINGS[0]
        consignments = [gen.make(i) for i in range(1, n + 1)]
        for c in consignments:
            await client.lodge("RS", c.export.to_xml(MetaData(wco_type_name="DEC", responsible_country_code="RS")))
        sends = [client.event("RS", Event.EXIT, c.ucr, cross.exit_office, cross.entry_office) for c in consignments]
        sending = asyncio.gather(*sends)
        # kill the receiver once it is part-way through the stream
        assert await summary.wait_for(lambda s: s.count(Stage.VALID, "ExportData") >= 20, timeout=60)
        procs["ME"].send_signal(signal.SIGKILL)
        procs["ME"].wait(timeout=10)
        killed_at = summary.count(Stage.VALID, "ExportData")
        await sending
        procs["ME"] = _start_node("ME", "RS", ports["ME"], kafka_bootstrap, tmp_path / "me.sqlite3", prefix, logs["ME"])
        done = await summary.wait_for(lambda s: s.count(Stage.ACK_RECEIVED, "ExportData") >= n, timeout=120)
        await asyncio.sleep(2)  # a late duplicate would show up now
        assert done, (
            f"only {summary.count(Stage.ACK_RECEIVED, 'ExportData')} of {n} acknowledged; ME log: {logs['ME'].read_text()[-2000:]}"
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
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
        await client.close()
        await monitor.stop()
