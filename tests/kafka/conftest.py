"""The Kafka broker of the test suite: one for the whole session, secured as production runs one.

SASL SCRAM-SHA-512 logins, KRaft's ``StandardAuthorizer`` (whatever no ACL
allows is denied) and ``auto.create.topics.enable=false``: the tests meet the
broker a national administration meets, so a node that needs a right it is
not granted, or a topic nobody created, fails here as it would there.
Starting a broker costs seconds, so one serves the session and tests isolate
themselves with unique topic prefixes and group names.  Where it comes from
(``SEEDSIM_KAFKA_BOOTSTRAP``, else a local JVM broker installed from Maven
Central) is decided by ``tests/support/kafka_broker.py``.

Who logs in as whom:

* seedsim nodes log in as themselves, on a network set up as the
  administrator does (``seedsim kafka setup``: :meth:`SecuredKafka.network`
  makes the topics, a user per node and the ACLs); the monitor as ``monitor``.
* Everything else logs in as ``admin``, the super user: ``seedsim run`` and
  ``seedsim demo`` (they play every node in one process, as the compose runner
  does, and create their own topics), and the tests' own tools (probe
  consumers and producers, kcat captures, ``trace record``/``replay`` run by
  the operator), which read or write any topic because what they test is not
  the authoriser.  ``test_broker_auth.py`` tests the authoriser itself.

The fixture never skips: if no broker can be had, every test using it errors
with the reason, locally and in CI alike.  A skipped Kafka test proves nothing.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest

from seedsim.core.topics import Topics
from seedsim.core.transport.kafka import KafkaTransport, check_login, connection_options, set_up_network
from seedsim.core.transport.kafka_acls import network_acls, network_topics
from seedsim.core.transport.kafka_credentials import KafkaCredentials

try:  # `python -m pytest` puts the repo root on sys.path ...
    from tests.support.kafka_broker import ADMIN_USER, ENV_ADMIN_PASSWORD, ENV_BOOTSTRAP, KafkaBroker
except ImportError:  # ... plain `pytest` puts tests/ there (rootdir-relative packages)
    from support.kafka_broker import ADMIN_USER, ENV_ADMIN_PASSWORD, ENV_BOOTSTRAP, KafkaBroker


@dataclass
class SecuredKafka:
    """A broker as production runs one: SASL SCRAM-SHA-512 logins, an authoriser, no topic created on first use."""

    broker: KafkaBroker

    @property
    def bootstrap(self) -> str:
        return self.broker.bootstrap

    @property
    def admin(self) -> KafkaCredentials:
        """The super user: the administrator, the runner, and the tests' own tools."""
        return KafkaCredentials.of(ADMIN_USER, self.broker.admin_password)

    @staticmethod
    def password(user: str) -> str:
        return f"{user.lower()}-secret"  # as docker-compose.yml names them

    def user(self, name: str) -> KafkaCredentials:
        return KafkaCredentials.of(name, self.password(name))

    @staticmethod
    def env(credentials: KafkaCredentials) -> dict[str, str]:
        """The SEEDSIM_KAFKA_* variables a ``seedsim`` process logs in with."""
        return {
            "SEEDSIM_KAFKA_USERNAME": credentials.username or "",
            "SEEDSIM_KAFKA_PASSWORD": credentials.password or "",
            "SEEDSIM_KAFKA_SECURITY_PROTOCOL": credentials.security_protocol,
        }

    @property
    def admin_env(self) -> dict[str, str]:
        """The SEEDSIM_KAFKA_* variables of a ``seedsim`` process run by the administrator (``run``, ``trace``)."""
        return self.env(self.admin)

    def options(self, credentials: KafkaCredentials | None = None) -> dict[str, Any]:
        """aiokafka's keyword arguments for a client of ``credentials`` (default: the administrator's)."""
        return connection_options(credentials or self.admin)

    def kcat(self, credentials: KafkaCredentials | None = None) -> list[str]:
        """kcat's arguments to reach the broker as ``credentials`` (default: the administrator's)."""
        login = credentials or self.admin
        return [
            "-b", self.bootstrap,
            "-X", f"security.protocol={login.security_protocol}",
            "-X", f"sasl.mechanisms={login.mechanism}",
            "-X", f"sasl.username={login.username}",
            "-X", f"sasl.password={login.password}",
        ]  # fmt: skip

    async def network(self, nodes: list[str], extra_users: tuple[str, ...] = (), prefix: str | None = None) -> Topics:
        """A fresh topic prefix (or ``prefix``) set up for ``nodes`` (topics, a user per node and ``extra_users``,
        ACLs), as the administrator does with ``seedsim kafka setup``."""
        topics = Topics(prefix or f"sec-{uuid.uuid4().hex[:8]}")
        nodes = list(dict.fromkeys(nodes))
        users = {u: self.password(u) for u in (*nodes, *extra_users)}
        await set_up_network(
            self.bootstrap, self.admin, network_topics(topics, nodes), network_acls(topics, nodes), users
        )
        return topics

    def set_up(self, nodes: list[str], extra_users: tuple[str, ...] = (), prefix: str | None = None) -> Topics:
        """:meth:`network`, for a test that is not a coroutine (run on a thread of its own, so it works even where
        an event loop is already running, as Playwright's is)."""
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, self.network(nodes, extra_users, prefix)).result()

    async def create_topics(self, *names: str) -> None:
        """Create ``names`` as the administrator, each partition with a leader (the broker makes no topic on first
        use)."""
        await KafkaTransport(self.bootstrap, credentials=self.admin).ensure_topics(names)


@pytest.fixture(scope="session")
def secured_kafka() -> Iterator[SecuredKafka]:
    """The session's broker (its users and topics are made per test, on a fresh prefix)."""
    with KafkaBroker(users={}) as broker:
        kafka = SecuredKafka(broker)
        if broker.mode == "external":  # say now, once, if the broker is not secured as the tests expect
            try:
                asyncio.run(asyncio.wait_for(check_login(broker.bootstrap, kafka.admin), timeout=30))
            except Exception as exc:
                raise RuntimeError(
                    f"{ENV_BOOTSTRAP}={broker.bootstrap}: the tests need a broker with SCRAM-SHA-512 logins, an "
                    f"authoriser and the super user {ADMIN_USER} (password in {ENV_ADMIN_PASSWORD}): {exc}"
                ) from exc
        yield kafka
