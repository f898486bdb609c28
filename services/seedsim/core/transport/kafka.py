"""The Kafka adapter (aiokafka): the product's transport.

* Producer: idempotent, ``acks=all``, small linger so sends batch; a batch of
  records is awaited as a whole (one round of futures, not one per record),
  and returned as the broker placed each record: partition, offset, and the
  timestamp with its type (the batch's create time, or the broker's log-append
  time on a topic configured for it).
* Consumer: one group per node, auto-commit off; records are fetched in
  batches, handled in partition order, and the next offset is committed only
  after the handler returned for the batch that holds it.
* Topics are created before first use (a node's own at start, a partner's inbox
  before the first send to it), so a fresh broker works; a consumer starts only
  once its topics have a leader for every partition and its group has a
  coordinator. A cluster that does not get there in ``ready_timeout`` seconds
  is reported once, saying what it still lacks (:class:`KafkaNotReady`).
* :meth:`KafkaTransport.read_topics` reads every partition of the topics a
  pattern names, from the start or a time, without a consumer group (so it
  commits nothing and changes no one's offsets): what ``seedsim trace record``
  captures.
* aiokafka's own log is quiet about what it retries (see
  :mod:`seedsim.core.transport.kafka_logs`): a passing run prints no error.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import CommitFailedError, KafkaError, TopicAlreadyExistsError, for_code
from aiokafka.structs import RecordMetadata

from seedsim.core.transport.kafka_logs import POLICY, apply_to_client_loggers
from seedsim.core.transport.port import Handler, Record

log = logging.getLogger("seedsim.transport.kafka")

#: a probe of the cluster: None when ready, else what it still lacks (said if the wait times out)
Probe = Callable[[], Awaitable[str | None]]


class KafkaNotReady(ConnectionError):
    """The broker answers but refuses a topic, or a topic or consumer group is not ready in time; the text says which."""


class KafkaTransport:
    def __init__(
        self,
        bootstrap: str,
        client_id: str = "seedsim",
        partitions: int = 3,
        linger_ms: int = 2,
        max_records: int = 500,
        ready_timeout: float = 30.0,
    ) -> None:
        self.bootstrap = bootstrap
        self.client_id = client_id
        self.partitions = partitions
        self.linger_ms = linger_ms
        self.max_records = max_records
        self.ready_timeout = ready_timeout
        self._ready_topics: set[str] = set()
        self._topics_lock = asyncio.Lock()
        self._producer: AIOKafkaProducer | None = None
        self._consumers: list[AIOKafkaConsumer] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._pending: list[tuple[Sequence[str], str, Handler]] = []
        self._started = False
        apply_to_client_loggers()

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
        with POLICY.held() as said:
            try:
                await self._producer.start()
            except Exception as exc:
                await self._producer.stop()
                self._producer = None
                raise self._unreachable(exc, said) from exc
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

    def _unreachable(self, exc: BaseException, said: list[str]) -> ConnectionError:
        reason = said[-1] if said else str(exc) or type(exc).__name__
        return ConnectionError(
            f"cannot reach Kafka at {self.bootstrap}: {reason}. "
            "Start a broker, or check the address (README, 'Kafka conventions')"
        )

    @asynccontextmanager
    async def _admin(self) -> AsyncIterator[AIOKafkaAdminClient]:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, client_id=f"{self.client_id}-admin")
        with POLICY.held() as said:
            try:
                await admin.start()
            except KafkaError as exc:
                await admin.close()
                raise self._unreachable(exc, said) from exc
        try:
            yield admin
        finally:
            await admin.close()

    async def ensure_topics(self, topics: Iterable[str]) -> None:
        """Create the topics that are missing and return once every partition of each has a leader."""
        async with self._topics_lock:
            wanted = [t for t in dict.fromkeys(topics) if t not in self._ready_topics]
            if not wanted:
                return
            async with self._admin() as admin:
                await self._create(admin, wanted)
                await self._wait_for(lambda: self._leaderless(admin, wanted))
            self._ready_topics.update(wanted)

    async def _create(self, admin: AIOKafkaAdminClient, topics: list[str]) -> None:
        existing = set(await admin.list_topics())
        missing = [t for t in topics if t not in existing]
        if not missing:
            return
        response = await admin.create_topics(
            [NewTopic(name=t, num_partitions=self.partitions, replication_factor=1) for t in missing]
        )
        for answer in response.to_object()["topic_errors"]:
            code = answer["error_code"]
            if code and code != TopicAlreadyExistsError.errno:  # already there: another node created it first
                detail = answer.get("error_message") or for_code(code).__name__
                raise KafkaNotReady(f"Kafka at {self.bootstrap} refused to create topic {answer['topic']}: {detail}")

    async def _leaderless(self, admin: AIOKafkaAdminClient, topics: list[str]) -> str | None:
        waiting = [
            d["topic"]
            for d in await admin.describe_topics(topics)
            if d["error_code"] or not d["partitions"] or any(p["leader"] < 0 for p in d["partitions"])
        ]
        return f"no leader yet for topic(s) {', '.join(waiting)}" if waiting else None

    async def _without_coordinator(self, admin: AIOKafkaAdminClient, group: str) -> str | None:
        try:
            await admin.find_coordinator(group)
        except KafkaError as exc:
            if not exc.retriable:
                raise KafkaNotReady(f"Kafka at {self.bootstrap} has no coordinator for group {group}: {exc}") from exc
            return f"no coordinator yet for consumer group {group} ({type(exc).__name__})"
        return None

    async def _wait_for(self, probe: Probe) -> None:
        """Ask ``probe`` until the cluster is ready, backing off; past ``ready_timeout``, say what it lacks."""
        loop = asyncio.get_running_loop()
        deadline, pause = loop.time() + self.ready_timeout, 0.05
        while (lacking := await probe()) is not None:
            if loop.time() >= deadline:
                raise KafkaNotReady(f"Kafka at {self.bootstrap} is not ready after {self.ready_timeout:g} s: {lacking}")
            log.debug("waiting for Kafka: %s", lacking)
            await asyncio.sleep(pause)
            pause = min(pause * 2, 1.0)

    async def send_batch(self, records: Sequence[Record]) -> list[Record]:
        """Send ``records`` (one create time for the batch) and return them as the broker placed them."""
        if not records:
            return []
        assert self._producer is not None, "start() the transport before sending"
        await self.ensure_topics(r.topic for r in records)  # a partner's inbox may not exist yet
        now = int(time.time() * 1000)
        futures = [
            await self._producer.send(r.topic, value=r.value, key=r.key, headers=list(r.headers), timestamp_ms=now)
            for r in records
        ]
        placed = await asyncio.gather(*futures)
        return [_placed(r, md, now) for r, md in zip(records, placed, strict=True)]

    def subscribe(self, topics: Sequence[str], group: str, handler: Handler) -> None:
        if self._started:
            task = asyncio.get_running_loop().create_task(self._spawn(topics, group, handler), name=f"kafka:{group}")
            task.add_done_callback(_report_crash)
            self._tasks.append(task)
        else:
            self._pending.append((topics, group, handler))

    async def _spawn(self, topics: Sequence[str], group: str, handler: Handler) -> None:
        """Start consuming once the topics have leaders and the group a coordinator (nothing to retry, so nothing logged)."""
        await self.ensure_topics(topics)
        async with self._admin() as admin:
            await self._wait_for(lambda: self._without_coordinator(admin, group))
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
        """Hand each partition's batch to ``handler`` and commit it once the handler returned. A handler that
        raises (its store cannot write) commits nothing: the consumer goes back to the first record not handled
        in every partition of the fetch and fetches them again after a pause, until the handler takes them."""
        pause = 0.0
        while True:
            batch = await consumer.getmany(timeout_ms=200, max_records=self.max_records)
            fetched = [(tp, messages) for tp, messages in batch.items() if messages]
            for i, (tp, messages) in enumerate(fetched):
                try:
                    await handler([_record(m) for m in messages])
                except Exception as exc:
                    pause = min(max(pause * 2, 0.2), 5.0)
                    log.warning("handler failed on %s, fetching again in %.1f s (not committed): %s", tp, pause, exc)
                    for t, ms in fetched[i:]:
                        consumer.seek(t, ms[0].offset)
                    await asyncio.sleep(pause)
                    break
                pause = 0.0
                if messages:
                    try:
                        await consumer.commit({TopicPartition(tp.topic, tp.partition): messages[-1].offset + 1})
                    except CommitFailedError as exc:
                        # the partition moved to another member during a rebalance: its records will be
                        # redelivered there and recognised as duplicates by message id
                        log.warning("commit of %s failed after a rebalance: %s", tp, exc)


#: aiokafka's timestamp types, as kcat names them
TSTYPES = {0: "create", 1: "logappend"}
CREATE_TIME = 0


def _placed(record: Record, md: RecordMetadata, created_ms: int) -> Record:
    """``record`` where the broker put it. A topic on create time keeps the time the producer stamped
    (aiokafka's metadata repeats the first record's time for a whole producer batch); on log-append
    time the broker's, which it returns."""
    create = md.timestamp_type == CREATE_TIME
    return Record(
        topic=md.topic,
        value=record.value,
        key=record.key,
        headers=tuple(record.headers),
        partition=md.partition,
        offset=md.offset,
        timestamp_ms=created_ms if create or md.timestamp is None else md.timestamp,
        timestamp_type=TSTYPES.get(md.timestamp_type),
    )


def _record(m: ConsumerRecord[bytes, bytes]) -> Record:
    """aiokafka's record as the port's (a null value as empty bytes: a Record always has one)."""
    return Record(
        topic=m.topic,
        value=m.value if m.value is not None else b"",
        key=m.key,
        headers=tuple(m.headers or ()),
        partition=m.partition,
        offset=m.offset,
        timestamp_ms=m.timestamp,
        timestamp_type=TSTYPES.get(m.timestamp_type),
    )


async def read_topics(
    bootstrap: str,
    pattern: str,
    *,
    from_ms: int | None = None,
    until_ms: int | None = None,
    idle_s: float | None = None,
    client_id: str = "seedsim-capture",
) -> AsyncIterator[tuple[Record, str]]:
    """(record, timestamp type) of every topic whose whole name matches ``pattern``, partition by partition in order.

    Reads from ``from_ms`` (ms since the epoch; None: the beginning) without a
    consumer group. Ends once no record came for ``idle_s`` seconds, or the clock
    passed ``until_ms`` (records stamped later are left out); with neither, reads
    until the caller stops. Topics created while reading are not seen.
    """
    regex = re.compile(pattern)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        client_id=client_id,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    with POLICY.held() as said:
        try:
            await consumer.start()
        except Exception as exc:
            await consumer.stop()
            reason = said[-1] if said else str(exc) or type(exc).__name__
            raise ConnectionError(f"cannot reach Kafka at {bootstrap}: {reason}") from exc
    try:
        topics = sorted(t for t in await consumer.topics() if regex.fullmatch(t))
        if not topics:
            return
        consumer.subscribe(topics=topics)  # without a group: every partition of each topic is assigned
        deadline = time.monotonic() + 30.0
        while not {tp.topic for tp in consumer.assignment()} >= set(topics) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        parts = sorted(consumer.assignment())
        if from_ms is None:
            await consumer.seek_to_beginning(*parts)
        else:
            found = await consumer.offsets_for_times({tp: from_ms for tp in parts})
            ends = await consumer.end_offsets(parts)
            for tp in parts:
                at = found.get(tp)
                consumer.seek(tp, at.offset if at is not None else ends[tp])
        last = time.monotonic()
        while True:
            if until_ms is not None and time.time() * 1000 >= until_ms:
                return
            if idle_s is not None and time.monotonic() - last >= idle_s:
                return
            batch = await consumer.getmany(timeout_ms=200)
            for messages in batch.values():
                for m in messages:
                    last = time.monotonic()
                    if until_ms is not None and m.timestamp > until_ms:
                        continue
                    yield _record(m), TSTYPES.get(m.timestamp_type, "unknown")
    finally:
        await consumer.stop()


def _report_crash(task: asyncio.Task[None]) -> None:
    exc = None if task.cancelled() else task.exception()
    if exc is not None:
        log.error("consumer %s stopped: %s: %s", task.get_name(), type(exc).__name__, exc)
