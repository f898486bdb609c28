"""Smoke test: the session's broker and aiokafka work together (as the super user: the authoriser is not the point).

Covers what seedsim relies on: admin topic creation, keyed produce with
headers (idempotent, acks=all), consumption in a consumer group with manual
commits, and a restarted group member resuming from the committed offsets.
If the broker version and the client disagree on a protocol, this fails first.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from tests.kafka.conftest import SecuredKafka

pytestmark = pytest.mark.kafka

N = 100
PARTITIONS = 3


async def _create_topic(kafka: SecuredKafka, topic: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka.bootstrap, **kafka.options())
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=PARTITIONS, replication_factor=1)])
        for _ in range(50):  # metadata propagates asynchronously after CreateTopics
            (desc,) = await admin.describe_topics([topic])
            if desc["error_code"] == 0 and len(desc["partitions"]) == PARTITIONS:
                return
            await asyncio.sleep(0.1)
        raise AssertionError(f"topic {topic} not visible with {PARTITIONS} partitions: {desc}")
    finally:
        await admin.close()


async def test_produce_consume_commit_roundtrip(secured_kafka: SecuredKafka) -> None:
    kafka = secured_kafka
    suffix = uuid.uuid4().hex[:10]
    topic, group = f"smoke-{suffix}", f"smoke-group-{suffix}"
    async with asyncio.timeout(90):
        await _create_topic(kafka, topic)

        expected = {
            f"key-{i:03d}".encode(): (
                f"value-{i}".encode(),
                (("seq", str(i).encode()), ("trace-id", uuid.uuid4().bytes)),
            )
            for i in range(N)
        }
        producer = AIOKafkaProducer(
            bootstrap_servers=kafka.bootstrap, acks="all", enable_idempotence=True, **kafka.options()
        )
        await producer.start()
        try:
            futures = [
                await producer.send(topic, value=value, key=key, headers=list(headers))
                for key, (value, headers) in expected.items()
            ]
            metadata = await asyncio.gather(*futures)
        finally:
            await producer.stop()
        assert len({md.partition for md in metadata}) > 1, "keys should spread over the partitions"

        def member() -> AIOKafkaConsumer:
            return AIOKafkaConsumer(
                topic,
                bootstrap_servers=kafka.bootstrap,
                group_id=group,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                **kafka.options(),
            )

        consumer = member()
        await consumer.start()
        try:
            received = []
            while len(received) < N:
                batches = await consumer.getmany(timeout_ms=1000)
                for records in batches.values():
                    received.extend(records)
            await consumer.commit()
            tps = [TopicPartition(topic, p) for p in range(PARTITIONS)]
            end_offsets = await consumer.end_offsets(tps)
            for tp in tps:
                assert await consumer.committed(tp) == end_offsets[tp]
        finally:
            await consumer.stop()

        assert len(received) == N
        got = {r.key: (r.value, tuple(r.headers)) for r in received}
        assert got == expected
        assert sum(end_offsets.values()) == N

        # A new member of the same group resumes after the commit: nothing to read.
        again = member()
        await again.start()
        try:
            while not again.assignment():  # wait for the group join to finish
                assert not await again.getmany(timeout_ms=200)
            leftovers = await again.getmany(timeout_ms=2000)
            assert not leftovers, f"records re-delivered after commit: {leftovers}"
            for tp in tps:
                assert await again.position(tp) == end_offsets[tp]
        finally:
            await again.stop()
