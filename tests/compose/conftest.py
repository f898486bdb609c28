"""The compose tests run the project's services against the suite's real Kafka broker."""

from tests.kafka.conftest import kafka_bootstrap  # noqa: F401  (session-scoped fixture, re-exported)
