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

from collections.abc import Iterator

import pytest

try:  # `python -m pytest` puts the repo root on sys.path ...
    from tests.support.kafka_broker import KafkaBroker
except ImportError:  # ... plain `pytest` puts tests/ there (rootdir-relative packages)
    from support.kafka_broker import KafkaBroker


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """Bootstrap address ("host:port") of a Kafka broker shared by the session."""
    with KafkaBroker() as broker:
        yield broker.bootstrap
