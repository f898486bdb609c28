"""Fixtures for tests that need a real Apache Kafka broker.

One broker serves the whole session: starting it costs seconds, and tests
isolate themselves with unique topic and group names instead.  Where the
broker comes from (``SEEDSIM_KAFKA_BOOTSTRAP``, Docker, or a local JVM
broker installed from Maven Central) is decided by
``tests/support/kafka_broker.py``.

The fixture never skips: if no broker can be had, every test using it errors
with the reason, locally and in CI alike.  A skipped Kafka test proves nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from seedsim.core.topics import Topics
from seedsim.core.transport.kafka import set_up_network
from seedsim.core.transport.kafka_acls import network_acls, network_topics
from seedsim.core.transport.kafka_credentials import KafkaCredentials

try:  # `python -m pytest` puts the repo root on sys.path ...
    from tests.support.kafka_broker import ADMIN_PASSWORD, ADMIN_USER, KafkaBroker
except ImportError:  # ... plain `pytest` puts tests/ there (rootdir-relative packages)
    from support.kafka_broker import ADMIN_PASSWORD, ADMIN_USER, KafkaBroker


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """Bootstrap address ("host:port") of a Kafka broker shared by the session."""
    with KafkaBroker() as broker:
        yield broker.bootstrap


@dataclass
class SecuredKafka:
    """A broker as production runs one: SASL SCRAM-SHA-512 logins, an authoriser, no topic created on first use."""

    broker: KafkaBroker

    @property
    def bootstrap(self) -> str:
        return self.broker.bootstrap

    admin = KafkaCredentials.of(ADMIN_USER, ADMIN_PASSWORD)

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

    async def network(self, nodes: list[str], extra_users: tuple[str, ...] = ()) -> Topics:
        """A fresh topic prefix set up for ``nodes`` (topics, a user per node and ``extra_users``, ACLs), as the
        administrator does with ``seedsim kafka setup``."""
        topics = Topics(f"sec-{uuid.uuid4().hex[:8]}")
        users = {u: self.password(u) for u in (*nodes, *extra_users)}
        await set_up_network(
            self.bootstrap, self.admin, network_topics(topics, nodes), network_acls(topics, nodes), users
        )
        return topics


@pytest.fixture(scope="session")
def secured_kafka() -> Iterator[SecuredKafka]:
    """A secured broker shared by the session (its users and topics are made per test, on a fresh prefix)."""
    with KafkaBroker(users={}) as broker:
        yield SecuredKafka(broker)
