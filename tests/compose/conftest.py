"""The compose tests run the project's services against a real Kafka broker, secured as docker-compose.yml's is."""

from tests.kafka.conftest import secured_kafka  # noqa: F401  (session-scoped fixtures, re-exported)
