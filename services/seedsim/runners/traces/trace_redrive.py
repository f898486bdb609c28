"""Re-driving fresh nodes from a trace: the whole run again, matching and alerts included.

Every node writes what drove it to the driver topic (declarations and
documents lodged, events fired, queries asked, messages handed to it to send:
:mod:`seedsim.nodes.driver_records`), whoever drove it: the scenario runner,
the demo, the Utility Block player or a person on its HTTP API. ``seedsim trace
replay --fresh`` on such a trace does not merely send the recorded inbound
messages: it plays the run again through fresh nodes, in the trace's order:

* a driver record of a replayed node is done to it again (its ``redo``),
  and the node writes it to the driver topic again, so a recording of the
  replay holds it as the golden trace does;
* an inbox record of a replayed node, sent by a node that is NOT replayed (or
  injected by the runner in any node's name: :data:`.hostile_payloads.INJECTED_HEADER`),
  is sent to it as recorded;
* an inbox record sent by a replayed node is left out: that node sends it
  again, with new ids, when it is driven as it was (counted in
  ``regenerated``);
* a record whose ``ce_id`` was seen before (a re-sent duplicate, a producer's
  retry) is sent again as a duplicate of what its first copy became: the
  recorded record when that was sent as recorded, else the fresh node's copy,
  found on the inbox by sender, type, subject and event (:class:`InboxCopies`)
  -- so the receiver sees a redelivery, as in the run.

Causality is kept by counting: before a driver record is done to a node,
the replay waits until the fresh node has read as many inbox records as the
recorded one had at that point of the trace (its ``received``/``duplicate``
interop records, see :class:`.trace_replay.HandledWatch`), so the import
declaration is lodged after the exit data arrived, as in the run. A wait that
times out is reported and the replay goes on.

Agency nodes named with ``--to`` (``RS-NPPO``) are started fresh too and issue
again the documents their driver records hold. Pacing options do not apply:
the run is re-driven as fast as the nodes go.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping, Sequence

from seedsim.core.envelope import SOURCE_PREFIX
from seedsim.core.topics import Topics
from seedsim.core.transport import Record, Transport
from seedsim.nodes.driver_records import driver_action
from seedsim.nodes.inbox_node import InboxNode
from seedsim.nodes.refusal import Refusal
from seedsim.runners.hostile_payloads import is_injected
from seedsim.runners.traces.trace_format import TraceEntry, TraceError
from seedsim.runners.traces.trace_records import DRIVER_SUFFIX
from seedsim.runners.traces.trace_replay import (
    ID_HEADER,
    HandledWatch,
    ReplayProgress,
    ReplayReport,
    Sent,
    inbox_node,
)

#: what names a message whatever its id: inbox, sender, type, subject, event (CloudEvents headers)
CopyKey = tuple[str, str | None, str | None, str | None, str | None]
#: how many of the fresh nodes' messages :class:`InboxCopies` keeps, the oldest dropped first
KEPT_COPIES = 10_000


def copy_key(record: Record) -> CopyKey:
    return (record.topic, *(record.header(h) for h in ("ce_source", "ce_type", "ce_subject", "ce_trigger")))


class InboxCopies:
    """The messages fresh nodes send to each other's inboxes, kept by :func:`copy_key` in order, so a recorded
    redelivery of a regenerated message can be redelivered as the fresh copy. Subscribed before the transport
    starts; keeps the latest :data:`KEPT_COPIES` (redeliveries follow their first copy closely)."""

    def __init__(self, transport: Transport, inboxes: Sequence[str]) -> None:
        self.seen: Counter[CopyKey] = Counter()  # per key, how many came
        self.kept: dict[tuple[CopyKey, int], Record] = {}
        self._order: deque[tuple[CopyKey, int]] = deque()
        self._changed = asyncio.Event()
        transport.subscribe(list(inboxes), group=f"seedsim-replay-copies-{uuid.uuid4().hex[:8]}", handler=self._on)

    async def _on(self, records: Sequence[Record]) -> None:
        for r in records:
            key = copy_key(r)
            at = (key, self.seen[key])
            self.seen[key] += 1
            self.kept[at] = r
            self._order.append(at)
            if len(self._order) > KEPT_COPIES:
                del self.kept[self._order.popleft()]
        self._changed.set()

    async def nth(self, key: CopyKey, n: int, timeout_s: float) -> Record | None:
        """The ``n``-th (0-based) fresh message of ``key``, waiting up to ``timeout_s`` for it; None if none."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while self.seen[key] <= n and loop.time() < deadline:
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), max(deadline - loop.time(), 0))
            except TimeoutError:
                break
        return self.kept.get((key, n))


def is_driver_topic(topic: str) -> bool:
    return topic.endswith(DRIVER_SUFFIX)


def drives(entries: Iterable[TraceEntry | Record], to: Sequence[str]) -> bool:
    """Whether the trace holds a driver record for one of the nodes ``to`` (then --fresh re-drives)."""
    wanted = {n.upper() for n in to}
    for item in entries:
        record = TraceEntry.of(item).record
        if is_driver_topic(record.topic) and (record.key or b"").decode(errors="replace").upper() in wanted:
            return True
    return False


def _sender(record: Record) -> str | None:
    source = record.header("ce_source")
    return source.removeprefix(SOURCE_PREFIX) if source else None


async def redrive(
    entries: Iterable[TraceEntry | Record],
    nodes: Mapping[str, InboxNode],
    transport: Transport,
    topics: Topics,
    watch: HandledWatch,
    copies: InboxCopies,
    *,
    wait_s: float = 60.0,
    source: str = "trace",
    progress: ReplayProgress | None = None,
    resign: Callable[[Record], Record] | None = None,
) -> ReplayReport:
    """Play ``entries`` again through the fresh ``nodes`` (customs and agency, by id; started by the caller).

    ``watch`` counts what the nodes read and ``copies`` keeps what they send each other (both subscribed before
    the transport started); ``wait_s`` bounds each wait for them; ``source`` names the trace in errors; ``resign``
    signs a record sent as recorded again, with a new time (see :func:`.trace_replay.replay`).
    """
    to = tuple(nodes)
    report = ReplayReport(to=to)
    tick = progress or (lambda done, of: None)
    replayed = {n.upper() for n in to}
    fresh = {n.upper(): node for n, node in nodes.items()}
    expected: Counter[str] = Counter()  # per node, the inbox records it had read at this point of the trace
    # ce_id -> True when its first copy was sent as recorded, else which fresh copy it became (key, ordinal)
    ids: dict[str, bool | tuple[CopyKey, int]] = {}
    regenerated: Counter[CopyKey] = Counter()
    loop = asyncio.get_running_loop()
    try:
        for item in entries:
            entry = TraceEntry.of(item)
            record = entry.record
            report.read += 1
            if is_driver_topic(record.topic):
                try:
                    action = driver_action(record)
                except ValueError as exc:
                    raise TraceError(source, entry.line, str(exc)) from None
                if action.node.upper() not in replayed:
                    report.left_out += 1
                    continue
                late = await watch.wait_received({action.node: expected[action.node]}, wait_s)
                report.problems += [f"trace line {entry.line}: {s} before {action.action}" for s in late]
                try:
                    await fresh[action.node.upper()].redo(action)
                except Refusal as exc:
                    report.problems.append(f"trace line {entry.line}: {action.node} refused {action.action}: {exc}")
                report.driven += 1
                tick(report.driven + len(report.sent), 0)
                continue
            node = inbox_node(record.topic, to)
            if node is None:
                report.left_out += 1
                continue
            ce_id = record.header(ID_HEADER)
            first = ids.get(ce_id) if ce_id is not None else None
            expected[node] += 1  # the fresh node reads it: sent below, or sent by a fresh node
            if isinstance(first, tuple):  # a redelivery of a regenerated message: redeliver the fresh copy
                copy = await copies.nth(*first, wait_s)
                if copy is None:
                    expected[node] -= 1
                    report.problems.append(f"trace line {entry.line}: no fresh copy of the redelivered {ce_id}")
                    continue
                out = copy
            elif first is None and (_sender(record) or "").upper() in replayed and not is_injected(record):
                key = copy_key(Record(topics.inbox(node), b"", headers=record.headers))
                if ce_id is not None:
                    ids[ce_id] = (key, regenerated[key])
                regenerated[key] += 1
                report.regenerated += 1
                continue
            else:  # from elsewhere, or a redelivery of what was sent as recorded: as recorded
                if ce_id is not None:
                    ids.setdefault(ce_id, True)
                out = Record(topic=topics.inbox(node), value=record.value, key=record.key, headers=record.headers)
                if resign is not None:
                    out = resign(out)
            at = loop.time()
            await transport.send_batch([out])
            report.sent.append(Sent(out.topic, out.key, ce_id, entry.line, record.timestamp_ms, at))
            tick(report.driven + len(report.sent), 0)
    except asyncio.CancelledError:
        report.interrupted = True
        return report
    report.unhandled = await watch.wait_received(dict(expected), wait_s)
    return report
