from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Record:
    """One message on a topic: the Kafka record shape, whichever adapter carries it."""

    topic: str
    value: bytes
    key: bytes | None = None
    headers: tuple[tuple[str, bytes], ...] = field(default_factory=tuple)
    partition: int | None = None
    offset: int | None = None
    timestamp_ms: int | None = None

    def header(self, name: str) -> str | None:
        for k, v in self.headers:
            if k == name:
                return v.decode(errors="replace")
        return None


#: Receives the records of one topic-partition in offset order, a batch at a time; the
#: batch's offsets are committed once it returns. Batches amortise a database commit and a
#: Kafka send round trip over many records, which is where a node's time goes otherwise.
Handler = Callable[[Sequence[Record]], Awaitable[None]]


class Transport(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def send_batch(self, records: Sequence[Record]) -> None:
        """Send records and return once every one is acknowledged by the transport."""

    async def ensure_topics(self, topics: Sequence[str]) -> None: ...

    def subscribe(self, topics: Sequence[str], group: str, handler: Handler) -> None:
        """Deliver records of ``topics`` to ``handler`` in batches, committing a batch after it returns."""
