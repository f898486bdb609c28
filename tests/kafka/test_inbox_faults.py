"""One record must not jam an inbox, over a real Kafka broker: poison records of every kind found by the hostile
test sit in ME's inbox ahead of valid traffic, and the valid messages behind them still arrive; a store that cannot
write for a while loses nothing and applies nothing twice. (A receiver killed mid-stream: see
``test_exchange_over_kafka.py``.)"""

from __future__ import annotations

import asyncio
import sqlite3
import time
import uuid

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from lxml import etree

from seedsim.bootstrap import running_network
from seedsim.config import NodeConfig
from seedsim.core.envelope import SOURCE_PREFIX
from seedsim.core.interop import Stage
from seedsim.core.network_keys import development_keys
from seedsim.core.record_bounds import MAX_RECORD_BYTES
from seedsim.core.response import Response
from seedsim.core.topics import Topics
from seedsim.core.transport import Record
from seedsim.core.transport.kafka import KafkaTransport
from seedsim.core.wco import MetaData
from seedsim.messages.seed import ACKNOWLEDGEMENT, EXPORT_DATA
from seedsim.nodes.customs.customs_api import create_app
from seedsim.nodes.customs.customs_node import Event
from seedsim.runners.hostile_payloads import BROKEN_XML, SCHEMA_VIOLATION
from seedsim.samples.consignments import ConsignmentGenerator
from seedsim.samples.crossings import DEMO_CROSSINGS
from tests.kafka.conftest import SecuredKafka
from tests.kafka.interop_watch import watched
from tests.kafka.test_exchange_over_kafka import read_topic
from tests.support.unwritable_store import Unwritable

pytestmark = pytest.mark.kafka

CROSS = DEMO_CROSSINGS[0]


def poison(topics: Topics, value: bytes, subject: str = "POISON", source: str = "RS", **headers: bytes) -> Record:
    """An ExportData record from ``source`` to ME with ``value``; ``headers`` replace or add headers."""
    env = EXPORT_DATA.envelope("RS", "ME", subject=subject, trigger="EXIT")
    h = {k: v for k, v in env.to_headers()}
    h["ce_source"] = (SOURCE_PREFIX + source).encode()
    h.update(headers)
    return signed_by_rs(Record(topic=topics.inbox("ME"), key=b"poison", value=value, headers=tuple(h.items())))


def signed_by_rs(record: Record) -> Record:
    """``record`` signed with RS's key when it claims to come from RS and can be signed (its signed headers are
    UTF-8): what reaches the checks behind the signature. A forged source has no key: it goes unsigned."""
    if record.header("ce_source") != SOURCE_PREFIX + "RS":
        return record
    try:
        return development_keys().signer("RS").sign_record(record)
    except ValueError:  # a header that is not UTF-8: refused before the signature is read
        return record


async def produce(
    kafka: SecuredKafka, records: list[Record], max_bytes: int = 2 * 1024 * 1024, as_user: str = "RS"
) -> None:
    """Send as a hostile partner would: logged in as ``as_user`` (only a partner may write to ME's inbox), with its
    own producer, allowed larger requests than a node's."""
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka.bootstrap, max_request_size=max_bytes, acks="all", **kafka.options(kafka.user(as_user))
    )
    await producer.start()
    try:
        for r in records:
            await (await producer.send(r.topic, value=r.value, key=r.key, headers=list(r.headers)))
    finally:
        await producer.stop()


async def exits(nodes, seed: int, n: int, first: int = 1) -> None:
    gen = ConsignmentGenerator(seed, CROSS)
    for i in range(first, first + n):
        c = gen.make(i)
        lodged = await nodes["RS"].lodge(c.export.to_xml(MetaData(wco_type_name="DEC", responsible_country_code="RS")))
        assert lodged.accepted, lodged.report.issues
        await nodes["RS"].on_event(Event.EXIT, c.ucr, CROSS.exit_office, CROSS.entry_office)


def operator_transport(kafka: SecuredKafka) -> KafkaTransport:
    """The transport RS and ME share in this process: one login for both, so the super user's (it creates the
    topics it sends to); the nodes in their own processes, each logged in as itself: test_broker_auth.py."""
    return KafkaTransport(kafka.bootstrap, credentials=kafka.admin)


def configs(tmp_path, topics: Topics):
    return [
        NodeConfig(
            node=c, db=tmp_path / f"{c}.sqlite3", partners=[p], crossings=DEMO_CROSSINGS, topic_prefix=topics.prefix
        )
        for c, p in (("RS", "ME"), ("ME", "RS"))
    ]


async def test_poison_records_do_not_jam_the_inbox(secured_kafka, tmp_path):
    kafka = secured_kafka
    topics = await kafka.network(["RS", "ME"])  # RS's user sends the poison
    monitor, summary = watched(kafka.bootstrap, topics, kafka.admin)
    await monitor.start()
    try:
        async with running_network(configs(tmp_path, topics), operator_transport(kafka)) as net:
            nodes = net.customs
            # the administrator raised the inbox's size limit (no one else may), and RS sends 10 MB
            admin = AIOKafkaAdminClient(bootstrap_servers=kafka.bootstrap, **kafka.options())
            await admin.start()
            try:
                altered = await admin.alter_configs(
                    [
                        ConfigResource(
                            ConfigResourceType.TOPIC, topics.inbox("ME"), {"max.message.bytes": str(16 * 1024 * 1024)}
                        )
                    ]
                )
                assert not altered[0].resources[0][0], altered
            finally:
                await admin.close()
            corrected_id = uuid.uuid4().hex
            broken_first = poison(topics, SCHEMA_VIOLATION, subject="RESENT", ce_id=corrected_id.encode())
            poisons = [
                poison(topics, b"<x/>", subject="S" * 600_000),  # a NACK would carry it: over 1 MiB
                poison(topics, b"<x/>", source="R S"),  # not a legal topic name to answer on
                *(poison(topics, b"<x/>", source=f"FORGED-{i}") for i in range(3)),  # not partners
                poison(topics, BROKEN_XML + b" " * (1_048_329 - len(BROKEN_XML))),  # its copy would be over 1 MiB
                poison(topics, BROKEN_XML + b" " * (10 * 1024 * 1024)),  # 10 MB on the raised limit
                poison(topics, b"<x/>", ce_subject=b"\xff\xfe not UTF-8"),  # a header that is not UTF-8
                broken_first,
            ]
            await produce(kafka, poisons, max_bytes=16 * 1024 * 1024)
            await exits(nodes, seed=41, n=10)  # valid traffic behind the poison
            # the broken message's corrected resend under the same id: refused, not dropped in silence
            corrected = await nodes["RS"].store.read(
                lambda c: c.execute("SELECT payload FROM messages WHERE direction='out' LIMIT 1").fetchone()[0]
            )
            resent = signed_by_rs(Record(broken_first.topic, corrected, b"poison", broken_first.headers))
            await produce(kafka, [resent])
            await produce(kafka, [broken_first])  # the very same record again: a silent duplicate
            arrived = await summary.wait_for(lambda s: s.count(Stage.ACK_RECEIVED, "ExportData") >= 10, timeout=60)
            assert arrived, f"valid messages behind the poison did not arrive: {summary.counts()}"
            assert await summary.wait_for(lambda s: s.count(Stage.DUPLICATE) >= 1, timeout=30)

            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=create_app(nodes["ME"], manage_lifecycle=False)), base_url="http://me"
            ) as me:
                health = await me.get("/health")
            assert health.status_code == 200 and health.json()["status"] == "ok", health.text
            me_db = tmp_path / "ME.sqlite3"

        dead = await read_topic(kafka, topics.dead_letter("ME"), expect=10)
        rules = sorted(dict(m.headers)["dlq_rule"].decode() for m in dead)
        # 600 KB subject: F305; non-UTF-8 header: F300; the conflicting resend: F306; 'R S' and the forged, signed
        # by no key of the trust list: F310; the broken XML (two sizes) and the schema violation
        assert rules == sorted(["F300", "F305", "F306"] + ["F310"] * 4 + ["XML102", "XML104", "XSD100"]), rules
        for m in dead:
            assert len(m.value) + sum(len(k) + len(v) for k, v in m.headers) < MAX_RECORD_BYTES
        big = [dict(m.headers) for m in dead if "dlq_value_omitted" in dict(m.headers)]
        assert sorted(int(h["dlq_value_bytes"]) for h in big) == [1_048_329, len(BROKEN_XML) + 10 * 1024 * 1024]
        assert all(len(h["dlq_value_sha256"]) == 64 and h["dlq_original_offset"] for h in big)
        long_subject = next(dict(m.headers) for m in dead if b"600000 bytes" in dict(m.headers)["dlq_reason"])
        assert b"ce_subject" in long_subject["dlq_headers_cut"] and len(long_subject["ce_subject"]) <= 1024

        answers = [m for m in await read_topic(kafka, topics.inbox("RS"), expect=14) if dict(m.headers).get("ce_type")]
        nacks = [
            Response.from_root(etree.fromstring(m.value))
            for m in answers
            if dict(m.headers)["ce_type"] == ACKNOWLEDGEMENT.ce_type.encode()
        ]
        refused = [e.description for a in nacks if not a.positive for e in a.errors]
        assert any(f"ce_id {corrected_id} names the message received at" in d for d in refused), refused
        assert any("a corrected resend carries a new ce_id" in d for d in refused)

        consumer = AIOKafkaConsumer(bootstrap_servers=kafka.bootstrap, **kafka.options())
        await consumer.start()
        try:
            made = {t for t in await consumer.topics() if t.startswith(topics.prefix)}
        finally:
            await consumer.stop()
        assert not [t for t in made if "forged" in t or " " in t], "a NACK to a forged sender created a topic"
        with sqlite3.connect(me_db) as db:
            assert db.execute("SELECT COUNT(*) FROM parked").fetchone()[0] == 0
    finally:
        await monitor.stop()


async def test_a_store_that_cannot_write_loses_nothing_and_applies_nothing_twice(secured_kafka, tmp_path):
    topics = Topics(f"t-{uuid.uuid4().hex[:8]}")
    monitor, summary = watched(secured_kafka.bootstrap, topics, secured_kafka.admin)
    await monitor.start()
    n = 30
    try:
        async with running_network(configs(tmp_path, topics), operator_transport(secured_kafka)) as net:
            nodes = net.customs
            store = nodes["ME"].store
            app = create_app(nodes["ME"], manage_lifecycle=False)
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://me") as me:
                await exits(nodes, seed=43, n=5)
                assert await summary.wait_for(lambda s: s.count(Stage.ACK_RECEIVED, "ExportData") >= 5, timeout=60)
                healthy = await me.get("/health")
                broken = Unwritable(store)  # the database cannot be written from now on
                await exits(nodes, seed=43, n=n - 5, first=6)
                deadline = time.monotonic() + 30
                while (sick := await me.get("/health")).status_code == 200 and time.monotonic() < deadline:
                    await asyncio.sleep(0.2)
                await asyncio.sleep(3)  # the inbox is paused: nothing is handled, nothing committed
                paused_at = summary.count(Stage.VALID, "ExportData")
                broken.restore()  # writable again
                done = await summary.wait_for(lambda s: s.count(Stage.ACK_RECEIVED, "ExportData") >= n, timeout=90)
                await asyncio.sleep(2)  # a late duplicate would show up now
                recovered = await me.get("/health")
        assert healthy.status_code == 200
        assert sick.status_code == 503 and "the store cannot write" in sick.json()["problems"][0], sick.text
        assert "readonly database" in sick.json()["problems"][0]
        assert broken.refused > 0 and paused_at < n
        assert done, f"only {summary.count(Stage.ACK_RECEIVED, 'ExportData')} of {n} acknowledged"
        assert recovered.status_code == 200 and recovered.json()["status"] == "ok", recovered.text
        assert summary.count(Stage.VALID, "ExportData") == n
        assert summary.count(Stage.ACKED, "ExportData") == n
        assert summary.count(Stage.DEAD_LETTERED) == 0
        with sqlite3.connect(tmp_path / "ME.sqlite3") as db:
            assert db.execute("SELECT COUNT(*) FROM prearrival").fetchone()[0] == n
            assert db.execute("SELECT COUNT(*) FROM handled WHERE outcome = 'accepted'").fetchone()[0] == n
            assert db.execute("SELECT COUNT(*) FROM parked").fetchone()[0] == 0
            assert db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 0
    finally:
        await monitor.stop()
