"""What a user sees of the Kafka client's own log.

aiokafka logs at ERROR conditions that it retries by itself and that are normal while a
cluster settles: a topic not yet in the metadata right after it was created, no group
coordinator yet (a broker creates ``__consumer_offsets`` on the first request for one), a
partition whose leader is still being elected. A passing run that prints them reads as a
failed one. The transport waits for all of them before it produces or consumes (see
:meth:`seedsim.core.transport.kafka.KafkaTransport.ensure_topics`), so at start they no
longer arise; when they do later (a rebalance, a broker restart), aiokafka retries, and
they go to seedsim's DEBUG log (``-v`` shows them).

Anything else aiokafka says at WARNING or above is shown once, not once per retry: the
same kind of message (same logger, same text before its arguments) again within a minute
goes to DEBUG. While the transport reports an outcome itself (reaching the broker at
start), aiokafka's messages are held back and the transport's error quotes the last one,
so a wrong address is said once, in one line.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger("seedsim.transport.kafka")

#: what aiokafka's messages about retried, settling-cluster conditions contain
TRANSIENT = (
    "not found in cluster metadata",
    "is not available during auto-create initialization",
    "GroupCoordinatorNotAvailable",
    "CoordinatorNotAvailable",
    "NotCoordinator",
    "CoordinatorLoadInProgress",
    "NotLeaderForPartition",
    "LeaderNotAvailable",
    "UnknownTopicOrPartition",
    # a consumer group of several workers (seedsim node --workers) rebalances as one joins or leaves
    "because it is rebalancing",
)
#: the same kind of message is shown again after this many seconds
REPEAT_AFTER_S = 60.0


class ClientLogPolicy(logging.Filter):
    """A filter for aiokafka's loggers: settling conditions to DEBUG, the rest once a minute."""

    def __init__(self) -> None:
        super().__init__()
        self._shown: dict[tuple[str, object], float] = {}
        self._held: list[list[str]] = []

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        text = record.getMessage()
        if any(marker in text for marker in TRANSIENT):
            log.debug("aiokafka, retrying: %s", text)
            return False
        if self._held:
            self._held[-1].append(text)
            log.debug("aiokafka: %s", text)
            return False
        key, now = (record.name, record.msg), time.monotonic()
        last = self._shown.get(key)
        if last is not None and now - last < REPEAT_AFTER_S:
            log.debug("aiokafka, again: %s", text)
            return False
        self._shown[key] = now
        return True

    @contextmanager
    def held(self) -> Iterator[list[str]]:
        """Hold aiokafka's messages back while the caller reports the outcome; yields them as they come."""
        messages: list[str] = []
        self._held.append(messages)
        try:
            yield messages
        finally:
            self._held.remove(messages)


POLICY = ClientLogPolicy()


def apply_to_client_loggers() -> None:
    """Put :data:`POLICY` on every aiokafka logger there is (a filter acts only where a record is made)."""
    for name in list(logging.root.manager.loggerDict):
        if name == "aiokafka" or name.startswith("aiokafka."):
            logger = logging.getLogger(name)
            if POLICY not in logger.filters:
                logger.addFilter(POLICY)
