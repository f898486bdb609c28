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
    #: how ``timestamp_ms`` was stamped, as Kafka and kcat name it: ``create`` (the producer's clock) or
    #: ``logappend`` (the broker's, or the bus's as it appends); None when unknown (a record not yet sent).
    #: It describes the timestamp rather than the record, so two records differing only in it are equal.
    timestamp_type: str | None = field(default=None, compare=False)

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

    async def send_batch(self, records: Sequence[Record]) -> Sequence[Record]:
        """Send records and return once every one is acknowledged by the transport.

        Returns the records as the transport placed them, in the order given: partition, offset,
        timestamp and its type filled in (whatever the caller put there is not sent: the transport
        stamps). A proxy that holds records back to send them later (fault injection) returns only
        those it sent during the call. Callers that only send may ignore the result.
        """

    async def ensure_topics(self, topics: Sequence[str]) -> None: ...

    def subscribe(self, topics: Sequence[str], group: str, handler: Handler) -> None:
        """Deliver records of ``topics`` to ``handler`` in batches, committing a batch after it returns."""
