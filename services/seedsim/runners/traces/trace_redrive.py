"""Re-driving fresh nodes from a trace: the whole run again, matching and alerts included.

A run records what drove its nodes on the driver topic (declarations lodged,
events fired: :mod:`seedsim.runners.driving_client`). ``seedsim trace replay
--fresh`` on such a trace does not merely send the recorded inbound messages:
it plays the run again through fresh nodes, in the trace's order:

* a driver record addressed to a replayed node is applied to it (``lodge``,
  ``on_event``) -- and written to the driver topic again, so a recording of
  the replay holds it as the golden trace does;
* an inbox record of a replayed node, sent by a node that is NOT replayed (or
  by no node: the runner's own injections), is sent to it as recorded;
* an inbox record sent by a replayed node is left out: that node sends it
  again, with new ids, when it is driven as it was (counted in
  ``regenerated``). A record whose ``ce_id`` was seen before (a re-sent
  duplicate) is left out too: the fresh nodes' ids differ from the recorded
  ones, so it would no longer be a duplicate.

Causality is kept by counting: before a driver record is applied to a node,
the replay waits until the fresh node has read as many inbox records as the
recorded one had at that point of the trace (its ``received``/``duplicate``
interop records, see :class:`.trace_replay.HandledWatch`), so the import
declaration is lodged after the exit data arrived, as in the run. A wait that
times out is reported and the replay goes on.

What it does not reproduce: records the runner injected in the name of a
replayed node (a scenario's malformed faults say they come from the exit
country) are taken for that node's and left out; Utility Block steps played by
the scenario's UB player drive the nodes directly and leave no driver record.
Pacing options do not apply: the run is re-driven as fast as the nodes go.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterable, Sequence

from seedsim.core.envelope import SOURCE_PREFIX
from seedsim.core.topics import Topics
from seedsim.core.transport import Record, Transport
from seedsim.nodes.customs.customs_node import EventRejected
from seedsim.runners.driving_client import DrivingClient, driver_action
from seedsim.runners.node_clients import NodeClient, RunnerError
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
    to: Sequence[str],
    client: NodeClient,
    transport: Transport,
    topics: Topics,
    watch: HandledWatch,
    *,
    wait_s: float = 60.0,
    source: str = "trace",
    progress: ReplayProgress | None = None,
) -> ReplayReport:
    """Play ``entries`` again through the fresh nodes ``to`` (reached by ``client``, started by the caller).

    ``watch`` counts what the nodes read (subscribed before the transport started); ``wait_s`` bounds each
    wait for it; ``source`` names the trace in errors.
    """
    report = ReplayReport(to=tuple(to))
    tick = progress or (lambda done, of: None)
    driving = DrivingClient(client, transport, topics)
    replayed = {n.upper() for n in to}
    expected: Counter[str] = Counter()  # per node, the inbox records it had read at this point of the trace
    ids: set[str] = set()
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
                    await action.apply(driving)
                except (RunnerError, EventRejected) as exc:
                    report.problems.append(f"trace line {entry.line}: {action.node} refused {action.action}: {exc}")
                report.driven += 1
                tick(report.driven + len(report.sent), 0)
                continue
            node = inbox_node(record.topic, to)
            if node is None:
                report.left_out += 1
                continue
            ce_id = record.header(ID_HEADER)
            if ce_id is not None and ce_id in ids:
                report.regenerated += 1  # a re-sent duplicate of a recorded message
                continue
            if ce_id is not None:
                ids.add(ce_id)
            expected[node] += 1
            if (_sender(record) or "").upper() in replayed:
                report.regenerated += 1
                continue
            out = Record(topic=topics.inbox(node), value=record.value, key=record.key, headers=record.headers)
            at = loop.time()
            await transport.send_batch([out])
            report.sent.append(Sent(out.topic, out.key, ce_id, entry.line, record.timestamp_ms, at))
            tick(report.driven + len(report.sent), 0)
    except asyncio.CancelledError:
        report.interrupted = True
        return report
    report.unhandled = await watch.wait_received(dict(expected), wait_s)
    return report
