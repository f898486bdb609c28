"""Faults a scenario injects around the nodes, without touching the nodes' code.

Hostile payloads (``malformed``) reuse :mod:`seedsim.runners.hostile_payloads`. The
transport faults live in :class:`FaultyTransport`, a proxy the nodes are given
instead of the real transport (in-process bus or Kafka alike):

* ``delay`` and ``reorder`` hold each record addressed to a node's inbox for a
  fixed time or a seeded random jitter before sending it, so records overtake
  one another;
* ``node_down`` stops the node's consumer: its handler waits at a gate until
  the node is back, so records pile up in the inbox (uncommitted) and must all
  be handled after the restart;
* ``duplicates`` re-sends records already delivered to a node's inbox, the
  way a producer retry or a consumer rebalance would.

The proxy's ``send_batch`` returns what actually went through during the call
(the records held back for a delay are sent later, by a task of their own, and
are left out of it); whatever sits under the proxy sees every record when it is
really sent.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence

from seedsim.core.declaration import Declaration
from seedsim.core.network_keys import NetworkKeys
from seedsim.core.topics import Topics
from seedsim.core.transport import Handler, Record, Transport
from seedsim.core.wco import MetaData
from seedsim.messages.seed import EXPORT_DATA
from seedsim.nodes.inbox_node import inbox_record
from seedsim.runners.hostile_payloads import EXIT_DATA_UB, injected, signer_of


class FaultyTransport:
    def __init__(self, inner: Transport, topics: Topics, seed: int):
        self.inner = inner
        self.topics = topics
        self.rng = random.Random(seed)
        self.hold_ms: dict[str, tuple[float, float]] = {}  # inbox topic -> (fixed delay, jitter)
        self.sent: dict[str, list[Record]] = {}  # inbox topic -> records sent there, for duplicates
        self._up: dict[str, asyncio.Event] = {}  # inbox topic -> set while the node is up
        self._held: set[asyncio.Task] = set()

    # -- configuration ---------------------------------------------------------------------------

    def delay(self, node: str, ms: float = 0.0, jitter_ms: float = 0.0) -> None:
        fixed, jitter = self.hold_ms.get(self.topics.inbox(node), (0.0, 0.0))
        self.hold_ms[self.topics.inbox(node)] = (fixed + ms, jitter + jitter_ms)

    def gate(self, node: str) -> asyncio.Event:
        ev = self._up.setdefault(self.topics.inbox(node), asyncio.Event())
        ev.set()
        return ev

    async def down_for(self, node: str, after_s: float, for_s: float, say=print) -> None:
        """Stop ``node``'s consumer after ``after_s`` seconds, for ``for_s`` seconds."""
        up = self.gate(node)
        await asyncio.sleep(after_s)
        up.clear()
        say(f"  node {node} down (consumer stopped for {for_s:g} s)")
        await asyncio.sleep(for_s)
        up.set()
        say(f"  node {node} up again")

    # -- Transport ---------------------------------------------------------------------------------

    async def start(self) -> None:
        await self.inner.start()

    async def stop(self) -> None:
        if self._held:
            await asyncio.gather(*self._held, return_exceptions=True)
        await self.inner.stop()

    async def ensure_topics(self, topics: Sequence[str]) -> None:
        await self.inner.ensure_topics(topics)

    async def send_batch(self, records: Sequence[Record]) -> Sequence[Record]:
        """Send ``records`` now, except those addressed to a delayed inbox; what was sent now, as placed.

        A held record is not in the result: it is not on the transport yet, and when it is, no caller
        is waiting for it (the sender went on, as a producer whose record is stuck in a network would).
        Its position is known to the transport under this proxy, and so to a recorder placed there
        (see :mod:`seedsim.runners.traces.trace_recorder`), when it is finally sent.
        """
        now: list[Record] = []
        later: list[Record] = []
        for r in records:
            (later if r.topic in self.hold_ms else now).append(r)
            if r.topic.startswith(self.topics.prefix + ".inbox.") and not r.topic.endswith(".dlq"):
                self.sent.setdefault(r.topic, []).append(r)
        for r in later:
            fixed, jitter = self.hold_ms[r.topic]
            task = asyncio.create_task(self._send_later(r, (fixed + self.rng.uniform(0, jitter)) / 1000))
            self._held.add(task)
            task.add_done_callback(self._held.discard)
        return await self.inner.send_batch(now) if now else []

    async def _send_later(self, record: Record, seconds: float) -> None:
        await asyncio.sleep(seconds)
        await self.inner.send_batch([record])

    def subscribe(self, topics: Sequence[str], group: str, handler: Handler) -> None:
        gates = [self._up[t] for t in topics if t in self._up]
        if not gates:
            self.inner.subscribe(topics, group, handler)
            return

        async def gated(records: Sequence[Record]) -> None:
            for g in gates:
                await g.wait()
            await handler(records)

        self.inner.subscribe(topics, group, gated)

    # -- injections --------------------------------------------------------------------------------

    async def resend(self, node: str, count: int) -> int:
        """Send again the first ``count`` records delivered to ``node``'s inbox; how many were re-sent."""
        again = self.sent.get(self.topics.inbox(node), [])[:count]
        await self.inner.send_batch(again)
        return len(again)


def unknown_sender_record(
    sender: str, recipient: str, topics: Topics, export: Declaration, subject: str, keys: NetworkKeys | None = None
) -> Record:
    """Well-formed exit data from a node the recipient does not exchange with, signed with that node's key in
    ``keys`` (default: the development keyring, which has a key for any node), so the partner rule answers it."""
    env = EXPORT_DATA.envelope(sender, recipient, subject=subject, trigger="EXIT", ubs=(EXIT_DATA_UB,))
    payload = export.to_xml(MetaData(wco_type_name="DEC", responsible_country_code=sender))
    return injected(inbox_record(topics, env, payload, signer_of(sender, keys)))
