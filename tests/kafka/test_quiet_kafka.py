"""Over a real broker, a passing run says nothing alarming, and what is really wrong is said once.

aiokafka logs at ERROR what it retries while a cluster settles (a topic just created and not yet
in the metadata, no group coordinator yet, a partition without a leader yet): a user reads such
lines as failures. The transport creates topics before use and starts a consumer only once its
topics have leaders and its group a coordinator; what aiokafka still retries goes to DEBUG. These
tests run `seedsim demo --kafka` as a user does and read its stderr, and drive the transport
alone with the log captured (all as the broker's super user: these tests are about what is said, not about
the authoriser; ``test_broker_auth.py`` is). The demo's records, read back off the broker, are CloudEvents as the
CloudEvents Python SDK's Kafka binding reads them, with ``ce_dataschema`` an absolute URI.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import os
import re
import socket
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from cloudevents.core.bindings.kafka import KafkaMessage, from_binary
from cloudevents.core.formats.json import JSONFormat

from seedsim.core.transport import Record
from seedsim.core.transport.kafka import KafkaNotReady, KafkaTransport
from seedsim.message_catalogue import CATALOGUE
from seedsim.messages.seed import ACKNOWLEDGEMENT, ENTRY_CONFIRMATION, EXPORT_DATA
from tests.kafka.conftest import SecuredKafka

pytestmark = pytest.mark.kafka

#: what a user must not see from a passing run
ALARMING = re.compile(r"ERROR|Traceback|not found|GroupCoordinatorNotAvailable|NotLeaderForPartition|aiokafka")


def seedsim_command() -> list[str]:
    if importlib.util.find_spec("seedsim.__main__") is not None:
        return [sys.executable, "-m", "seedsim"]
    return [str(Path(sys.executable).parent / "seedsim")]


async def topic_partitions(kafka: SecuredKafka, topics: list[str] | None = None) -> dict[str, list[int]]:
    """The topics of the cluster (or those named) and their partitions."""
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka.bootstrap, **kafka.options())
    await admin.start()
    try:
        names = topics if topics is not None else await admin.list_topics()
        return {d["topic"]: sorted(p["partition"] for p in d["partitions"]) for d in await admin.describe_topics(names)}
    finally:
        await admin.close()


async def read_all(kafka: SecuredKafka, topics: list[str]) -> list:
    """Every record of ``topics``, from the first offset to the end (no consumer group)."""
    parts = [TopicPartition(t, p) for t, ps in (await topic_partitions(kafka, topics)).items() for p in ps]
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka.bootstrap, enable_auto_commit=False, **kafka.options())
    await consumer.start()
    try:
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        ends = await consumer.end_offsets(parts)
        got = []
        async with asyncio.timeout(60):
            while [tp for tp in parts if await consumer.position(tp) < ends[tp]]:
                for records in (await consumer.getmany(*parts, timeout_ms=500)).values():
                    got.extend(records)
        return got
    finally:
        await consumer.stop()


@pytest.fixture(scope="module")
def demo_run(secured_kafka, tmp_path_factory):
    """`seedsim demo --kafka ADDR --consignments 20`, as a user types it (logged in as the administrator, who may
    create the demo's topics): the process and the topics it made."""
    before = set(asyncio.run(topic_partitions(secured_kafka)))
    done = subprocess.run(
        [*seedsim_command(), "demo", "--kafka", secured_kafka.bootstrap, "--consignments", "20"],
        env={**os.environ, **secured_kafka.admin_env},
        cwd=tmp_path_factory.mktemp("demo"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    made = sorted(set(asyncio.run(topic_partitions(secured_kafka))) - before)
    return done, made


def test_a_passing_demo_over_kafka_prints_no_error(demo_run):
    done, made = demo_run
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    assert made, "the demo made its topics on the broker"
    alarming = [line for line in done.stderr.splitlines() if ALARMING.search(line)]
    assert alarming == []


async def test_the_demo_records_are_cloudevents_naming_their_xsd_by_an_absolute_uri(demo_run, secured_kafka):
    done, made = demo_run
    assert done.returncode == 0
    inboxes = [t for t in made if ".inbox." in t and not t.endswith(".dlq")]
    assert len(inboxes) == 2, made
    records = await read_all(secured_kafka, inboxes)
    seen = set()
    for rec in records:
        event = from_binary(KafkaMessage(headers=dict(rec.headers), key=rec.key, value=rec.value or b""), JSONFormat())
        mt = CATALOGUE.by_ce_type(event.get_type())
        assert mt is not None, event.get_type()
        assert event.get_specversion() == "1.0" and event.get_source().startswith("urn:seedsim:node:")
        assert event.get_dataschema() == f"urn:seedsim:schema:{mt.schema}"
        assert urlsplit(event.get_dataschema()).scheme == "urn"  # RFC 3986: an absolute URI has a scheme
        assert event.get_extension("partitionkey") == rec.key.decode() == event.get_subject()
        seen.add(mt.name)
    assert {EXPORT_DATA.name, ACKNOWLEDGEMENT.name, ENTRY_CONFIRMATION.name} <= seen


async def test_fresh_topics_and_groups_are_ready_before_the_first_record(secured_kafka, caplog):
    """Subscribed before start and after it, to topics that do not exist yet: every record arrives, nothing is logged."""
    caplog.set_level(logging.WARNING)
    run = uuid.uuid4().hex[:8]
    early, late = f"quiet-{run}.early", f"quiet-{run}.late"
    got: list[Record] = []

    async def handler(records):
        got.extend(records)

    transport = KafkaTransport(secured_kafka.bootstrap, client_id=f"quiet-{run}", credentials=secured_kafka.admin)
    transport.subscribe([early], group=f"quiet-{run}-early", handler=handler)
    await transport.start()
    try:
        transport.subscribe([late], group=f"quiet-{run}-late", handler=handler)
        await transport.send_batch(
            [Record(topic=early, value=b"1", key=b"k1"), Record(topic=late, value=b"2", key=b"k2")]
        )
        async with asyncio.timeout(60):
            while len(got) < 2:
                await asyncio.sleep(0.05)
    finally:
        await transport.stop()
    assert sorted((r.topic, r.value) for r in got) == [(early, b"1"), (late, b"2")]
    assert [f"{r.name} {r.levelname} {r.getMessage()}" for r in caplog.records] == []


async def test_a_topic_the_broker_refuses_is_said_once_with_the_reason(secured_kafka, caplog):
    caplog.set_level(logging.WARNING)
    transport = KafkaTransport(secured_kafka.bootstrap, credentials=secured_kafka.admin)
    with pytest.raises(KafkaNotReady, match=r"refused to create topic bad topic!: .*") as refused:
        await transport.ensure_topics(["bad topic!"])
    assert "Traceback" not in str(refused.value)
    assert caplog.records == []


async def test_an_unreachable_broker_is_said_once_with_the_reason(caplog):
    caplog.set_level(logging.WARNING)
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    transport = KafkaTransport(f"127.0.0.1:{port}")
    with pytest.raises(ConnectionError) as unreachable:
        await transport.start()
    said = str(unreachable.value)
    assert said.startswith(f"cannot reach Kafka at 127.0.0.1:{port}: ") and "Connect call failed" in said
    assert caplog.records == []  # aiokafka's own line about it is not printed besides
