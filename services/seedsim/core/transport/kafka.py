"""The Kafka adapter (aiokafka): the product's transport.

* Producer: idempotent, ``acks=all``, small linger so sends batch; a batch of
  records is awaited as a whole (one round of futures, not one per record).
* Consumer: one group per node, auto-commit off; records are fetched in
  batches, handled in partition order, and the next offset is committed only
  after the handler returned for the batch that holds it.
* Topics are created at start when missing, so a fresh broker works.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import CommitFailedError, TopicAlreadyExistsError

from seedsim.core.transport.port import Handler, Record

log = logging.getLogger("seedsim.transport.kafka")


class KafkaTransport:
    def __init__(
        self,
        bootstrap: str,
        client_id: str = "seedsim",
        partitions: int = 3,
        linger_ms: int = 2,
        max_records: int = 500,
    ) -> None:
        self.bootstrap = bootstrap
        self.client_id = client_id
        self.partitions = partitions
        self.linger_ms = linger_ms
        self.max_records = max_records
        self._producer: AIOKafkaProducer | None = None
        self._consumers: list[AIOKafkaConsumer] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._pending: list[tuple[Sequence[str], str, Handler]] = []
        self._started = False

    async def start(self) -> None:
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap,
            client_id=self.client_id,
            acks="all",
            enable_idempotence=True,
            linger_ms=self.linger_ms,
            max_batch_size=256 * 1024,
            request_timeout_ms=30000,
        )
        try:
            await self._producer.start()
        except Exception as exc:
            raise ConnectionError(
                f"cannot reach Kafka at {self.bootstrap}: {exc}. Start a broker (see README, 'Kafka') or check --kafka"
            ) from exc
        self._started = True
        for args in self._pending:
            await self._spawn(*args)
        self._pending.clear()

    async def stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        for c in self._consumers:
            try:
                await c.stop()
            except Exception:  # stopping is best effort
                log.debug("consumer stop failed", exc_info=True)
        self._consumers.clear()
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None
        self._started = False

    async def ensure_topics(self, topics: Sequence[str]) -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, client_id=f"{self.client_id}-admin")
        await admin.start()
        try:
            existing = set(await admin.list_topics())
            missing = [t for t in dict.fromkeys(topics) if t not in existing]
            if missing:
                try:
                    await admin.create_topics(
                        [NewTopic(name=t, num_partitions=self.partitions, replication_factor=1) for t in missing]
                    )
                except TopicAlreadyExistsError:
                    pass  # another node created it first
        finally:
            await admin.close()

    async def send_batch(self, records: Sequence[Record]) -> None:
        if not records:
            return
        assert self._producer is not None, "start() the transport before sending"
        futures = [
            await self._producer.send(r.topic, value=r.value, key=r.key, headers=list(r.headers)) for r in records
        ]
        await asyncio.gather(*futures)

    def subscribe(self, topics: Sequence[str], group: str, handler: Handler) -> None:
        if self._started:
            asyncio.get_running_loop().create_task(self._spawn(topics, group, handler))
        else:
            self._pending.append((topics, group, handler))

    async def _spawn(self, topics: Sequence[str], group: str, handler: Handler) -> None:
        consumer = AIOKafkaConsumer(
            *topics,
            bootstrap_servers=self.bootstrap,
            client_id=f"{self.client_id}-{group}",
            group_id=group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=self.max_records,
            session_timeout_ms=10000,
            heartbeat_interval_ms=1000,
        )
        await consumer.start()
        self._consumers.append(consumer)
        task = asyncio.create_task(self._consume(consumer, handler), name=f"kafka:{group}")
        task.add_done_callback(_report_crash)
        self._tasks.append(task)

    async def _consume(self, consumer: AIOKafkaConsumer, handler: Handler) -> None:
        while True:
            batch = await consumer.getmany(timeout_ms=200, max_records=self.max_records)
            for tp, messages in batch.items():
                if not messages:
                    continue
                await handler(
                    [
                        Record(
                            topic=m.topic,
                            value=m.value if m.value is not None else b"",
                            key=m.key,
                            headers=tuple(m.headers or ()),
                            partition=m.partition,
                            offset=m.offset,
                            timestamp_ms=m.timestamp,
                        )
                        for m in messages
                    ]
                )
                if messages:
                    try:
                        await consumer.commit({TopicPartition(tp.topic, tp.partition): messages[-1].offset + 1})
                    except CommitFailedError as exc:
                        # the partition moved to another member during a rebalance: its records will be
                        # redelivered there and recognised as duplicates by message id
                        log.warning("commit of %s failed after a rebalance: %s", tp, exc)


def _report_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("consumer %s stopped: %r", task.get_name(), task.exception())
