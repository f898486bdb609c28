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
* Every client (producer, consumers, admin, reader) connects with the same
  :class:`~seedsim.core.transport.kafka_credentials.KafkaCredentials`: SASL
  SCRAM-SHA-512, optionally over TLS, on a secured broker. A refused password
  is said once (:class:`KafkaAuthFailed`); a topic the user may not create or
  see is named (a secured network's topics are made at set-up,
  :func:`set_up_network`, not on first use).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import (
    CommitFailedError,
    GroupAuthorizationFailedError,
    IllegalStateError,
    KafkaError,
    TopicAlreadyExistsError,
    TopicAuthorizationFailedError,
    for_code,
)
from aiokafka.helpers import create_ssl_context
from aiokafka.protocol.admin import CreateAclsRequest
from aiokafka.protocol.api import Request, RequestStruct, Response
from aiokafka.protocol.types import CompactArray, CompactBytes, CompactString, Int8, Int16, Int32, Schema, TaggedFields
from aiokafka.structs import RecordMetadata

from seedsim.core.transport.kafka_acls import (
    CLUSTER,
    GROUP,
    IDEMPOTENT_WRITE,
    PREFIXED,
    READ,
    TOPIC,
    WRITE,
    Acl,
)
from seedsim.core.transport.kafka_credentials import ANONYMOUS, KafkaCredentials
from seedsim.core.transport.kafka_logs import POLICY, apply_to_client_loggers
from seedsim.core.transport.port import Handler, Record

log = logging.getLogger("seedsim.transport.kafka")

#: a probe of the cluster: None when ready, else what it still lacks (said if the wait times out)
Probe = Callable[[], Awaitable[str | None]]


class KafkaNotReady(ConnectionError):
    """The broker answers but refuses a topic, or a topic or consumer group is not ready in time; the text says which."""


class KafkaTopicRefused(KafkaNotReady):
    """The broker does not let this user create or use a topic: trying again does not help until its administrator
    changes the ACLs, so a sender parks the record (``retriable`` False, as Kafka's own permanent errors say)."""

    retriable = False


class KafkaAuthFailed(ConnectionError):
    """The broker refused the user name or password (SASL authentication failed); the text names the user."""


#: what aiokafka's log says when the broker refuses a login
AUTH_REFUSED = ("SaslAuthenticationFailed", "Authentication failed", "UnsupportedSaslMechanism", "IllegalSaslState")


def connection_options(credentials: KafkaCredentials) -> dict[str, Any]:
    """aiokafka's keyword arguments for ``credentials`` (the same for producers, consumers and the admin client)."""
    if not credentials.sasl:
        return {}
    options: dict[str, Any] = {
        "security_protocol": credentials.security_protocol,
        "sasl_mechanism": credentials.mechanism,
        "sasl_plain_username": credentials.username,
        "sasl_plain_password": credentials.password,
    }
    if credentials.security_protocol == "SASL_SSL":
        ca = str(credentials.ca_file) if credentials.ca_file else None
        options["ssl_context"] = create_ssl_context(cafile=ca)
    return options


def unreachable(bootstrap: str, credentials: KafkaCredentials, exc: BaseException, said: list[str]) -> ConnectionError:
    """Why a client could not start, in one line: a refused login (naming the user), or no broker there."""
    reason = said[-1] if said else str(exc) or type(exc).__name__
    if any(marker in text for text in said for marker in AUTH_REFUSED):
        return KafkaAuthFailed(
            f"Kafka at {bootstrap} refused the login of {credentials.describe()}: "
            "check the user name and password (and that the broker has this SCRAM-SHA-512 user)"
        )
    if "AuthorizationFailed" in reason:
        return KafkaNotReady(
            f"Kafka at {bootstrap} does not let {credentials.describe()} start ({reason}): "
            "ask the broker's administrator for this user's ACLs (README, 'Securing the broker')"
        )
    return ConnectionError(
        f"cannot reach Kafka at {bootstrap}: {reason}. Start a broker, or check the address (README, 'Kafka conventions')"
    )


class KafkaTransport:
    def __init__(
        self,
        bootstrap: str,
        client_id: str = "seedsim",
        partitions: int = 3,
        linger_ms: int = 2,
        max_records: int = 500,
        ready_timeout: float = 30.0,
        credentials: KafkaCredentials = ANONYMOUS,
    ) -> None:
        self.bootstrap = bootstrap
        self.credentials = credentials
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
            **connection_options(self.credentials),
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
        return unreachable(self.bootstrap, self.credentials, exc, said)

    def _admin(self) -> AbstractAsyncContextManager[AIOKafkaAdminClient]:
        return admin_client(self.bootstrap, self.credentials, f"{self.client_id}-admin")

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
        await create_topics(admin, self.bootstrap, self.credentials, missing, self.partitions)

    async def _leaderless(self, admin: AIOKafkaAdminClient, topics: list[str]) -> str | None:
        described = await admin.describe_topics(topics)
        hidden = [d["topic"] for d in described if d["error_code"] == TopicAuthorizationFailedError.errno]
        if hidden:
            raise KafkaTopicRefused(
                f"Kafka at {self.bootstrap} does not let {self.credentials.describe()} use topic(s) {', '.join(hidden)}: "
                "ask the broker's administrator for these ACLs (README, 'Securing the broker')"
            )
        waiting = [
            d["topic"]
            for d in described
            if d["error_code"] or not d["partitions"] or any(p["leader"] < 0 for p in d["partitions"])
        ]
        return f"no leader yet for topic(s) {', '.join(waiting)}" if waiting else None

    async def _without_coordinator(self, admin: AIOKafkaAdminClient, group: str) -> str | None:
        try:
            await admin.find_coordinator(group)
        except KafkaError as exc:
            if isinstance(exc, GroupAuthorizationFailedError):
                raise KafkaNotReady(
                    f"Kafka at {self.bootstrap} does not let {self.credentials.describe()} read in consumer group "
                    f"{group}: ask the broker's administrator for this ACL (README, 'Securing the broker')"
                ) from exc
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
            **connection_options(self.credentials),
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
                        if t in consumer.assignment():  # a partition moved to another member is fetched there
                            consumer.seek(t, ms[0].offset)
                    await asyncio.sleep(pause)
                    break
                pause = 0.0
                if messages:
                    try:
                        await consumer.commit({TopicPartition(tp.topic, tp.partition): messages[-1].offset + 1})
                    except (CommitFailedError, IllegalStateError) as exc:
                        # the partition moved to another member (a worker of the same node joined or left) while
                        # its batch was handled: its records are delivered there again and recognised as duplicates
                        # by message id
                        log.info("commit of %s not made, the group rebalanced: %s", tp, exc)


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
    credentials: KafkaCredentials = ANONYMOUS,
) -> AsyncIterator[tuple[Record, str]]:
    """(record, timestamp type) of every topic whose whole name matches ``pattern``, partition by partition in order.

    Reads from ``from_ms`` (ms since the epoch; None: the beginning) without a
    consumer group. Ends once no record came for ``idle_s`` seconds, or the clock
    passed ``until_ms`` (records stamped later are left out); with neither, reads
    until the caller stops. Topics created while reading are not seen.
    """
    regex = re.compile(pattern)
    apply_to_client_loggers()
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        client_id=client_id,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **connection_options(credentials),
    )
    with POLICY.held() as said:
        try:
            await consumer.start()
        except Exception as exc:
            await consumer.stop()
            raise unreachable(bootstrap, credentials, exc, said) from exc
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
            # the ends first: a partition with nothing stamped from ``from_ms`` on is read from where it ended
            # *before* the time query, so a record written between the two queries is not skipped
            ends = await consumer.end_offsets(parts)
            found = await consumer.offsets_for_times({tp: from_ms for tp in parts})
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


# -- the administrator's side: clients, topics, ACLs -------------------------------------------------


@asynccontextmanager
async def admin_client(
    bootstrap: str, credentials: KafkaCredentials = ANONYMOUS, client_id: str = "seedsim-admin"
) -> AsyncIterator[AIOKafkaAdminClient]:
    """A started admin client; a broker that cannot be reached or refuses the login is said in one line."""
    apply_to_client_loggers()
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id=client_id, **connection_options(credentials))
    with POLICY.held() as said:
        try:
            await admin.start()
        except KafkaError as exc:
            await admin.close()
            raise unreachable(bootstrap, credentials, exc, said) from exc
    try:
        yield admin
    finally:
        await admin.close()


async def check_login(bootstrap: str, credentials: KafkaCredentials) -> None:
    """Log in once and leave: :class:`KafkaAuthFailed` or ConnectionError says what is wrong."""
    async with admin_client(bootstrap, credentials, "seedsim-login-check"):
        pass


async def create_topics(
    admin: AIOKafkaAdminClient, bootstrap: str, credentials: KafkaCredentials, topics: list[str], partitions: int
) -> None:
    """Create ``topics`` (one already there is fine); a refusal names the topic, and the set-up step when not allowed."""
    response = await admin.create_topics(
        [NewTopic(name=t, num_partitions=partitions, replication_factor=1) for t in topics]
    )
    for answer in response.to_object()["topic_errors"]:
        code = answer["error_code"]
        if not code or code == TopicAlreadyExistsError.errno:  # already there: another node created it first
            continue
        if code == TopicAuthorizationFailedError.errno:
            raise KafkaTopicRefused(
                f"topic {answer['topic']} does not exist on Kafka at {bootstrap} and {credentials.describe()} "
                "may not create it: the broker's administrator creates a network's topics "
                "(`seedsim kafka setup`, README 'Securing the broker')"
            )
        detail = answer.get("error_message") or for_code(code).__name__
        raise KafkaNotReady(f"Kafka at {bootstrap} refused to create topic {answer['topic']}: {detail}")


#: Kafka's codes (org.apache.kafka.common.acl / resource) of what an :class:`Acl` says
_RESOURCE = {TOPIC: 2, GROUP: 3, CLUSTER: 4}
_PATTERN = {PREFIXED: 4}
_LITERAL_PATTERN = 3
_OPERATION = {READ: 3, WRITE: 4, IDEMPOTENT_WRITE: 12}
_ALLOW = 3


async def set_up_network(
    bootstrap: str,
    credentials: KafkaCredentials,
    topics: list[str],
    acls: list[Acl],
    users: dict[str, str] | None = None,
    partitions: int = 3,
) -> None:
    """Create ``topics``, the SCRAM-SHA-512 ``users`` (name: password; an existing one gets this password) and grant
    ``acls``, as a user allowed to (the administrator). Doing it again changes nothing."""
    async with admin_client(bootstrap, credentials, "seedsim-setup") as admin:
        if users:
            await _upsert_scram_users(admin, bootstrap, users)
        existing = set(await admin.list_topics())
        missing = [t for t in topics if t not in existing]
        if missing:
            await create_topics(admin, bootstrap, credentials, missing, partitions)
        node = admin._client.get_random_node()  # aiokafka has the request, not yet an admin method for it
        for acl in acls:
            request = CreateAclsRequest(
                _RESOURCE[acl.resource],
                acl.name,
                _PATTERN.get(acl.pattern, _LITERAL_PATTERN),
                acl.principal,
                "*",
                _OPERATION[acl.operation],
                _ALLOW,
            )
            response = await admin._client.send(node, request)
            for answer in response.to_object()["creation_responses"]:
                if answer["error_code"]:
                    detail = answer.get("error_message") or for_code(answer["error_code"]).__name__
                    raise KafkaNotReady(f"Kafka at {bootstrap} refused the ACL '{acl.describe()}': {detail}")


# -- SCRAM users (AlterUserScramCredentials, KIP-554: aiokafka has no request for it) ------------------

#: Kafka's code of SCRAM-SHA-512, and the iterations of its salted password (Kafka's minimum is 4096)
_SCRAM_SHA_512 = 2
_SCRAM_ITERATIONS = 8192


class _AlterUserScramCredentialsResponse_v0(Response):
    API_KEY = 51
    API_VERSION = 0
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        (
            "results",
            CompactArray(
                ("user_name", CompactString("utf-8")),
                ("error_code", Int16),
                ("error_message", CompactString("utf-8")),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class _AlterUserScramCredentialsRequest_v0(RequestStruct):
    FLEXIBLE_VERSION = True
    API_KEY = 51
    API_VERSION = 0
    RESPONSE_TYPE = _AlterUserScramCredentialsResponse_v0
    SCHEMA = Schema(
        ("deletions", CompactArray(("name", CompactString("utf-8")), ("mechanism", Int8), ("tags", TaggedFields))),
        (
            "upsertions",
            CompactArray(
                ("name", CompactString("utf-8")),
                ("mechanism", Int8),
                ("iterations", Int32),
                ("salt", CompactBytes),
                ("salted_password", CompactBytes),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class _AlterUserScramCredentials(Request[_AlterUserScramCredentialsRequest_v0]):
    API_KEY = 51

    def __init__(self, users: dict[str, str]) -> None:
        self.upsertions: list[tuple[str, int, int, bytes, bytes, dict[int, bytes]]] = []
        for name, password in users.items():
            salt = os.urandom(32)
            salted = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, _SCRAM_ITERATIONS)
            self.upsertions.append((name, _SCRAM_SHA_512, _SCRAM_ITERATIONS, salt, salted, {}))

    def build(
        self, request_struct_class: type[_AlterUserScramCredentialsRequest_v0]
    ) -> _AlterUserScramCredentialsRequest_v0:
        return request_struct_class([], self.upsertions, {})


async def _upsert_scram_users(admin: AIOKafkaAdminClient, bootstrap: str, users: dict[str, str]) -> None:
    """Create the SCRAM-SHA-512 ``users`` (or set their password); the controller answers, through any broker."""
    response = await admin._client.send(admin._client.get_random_node(), _AlterUserScramCredentials(users))
    for answer in response.to_object()["results"]:
        if answer["error_code"]:
            detail = answer.get("error_message") or for_code(answer["error_code"]).__name__
            raise KafkaNotReady(f"Kafka at {bootstrap} refused the SCRAM user {answer['user_name']}: {detail}")
