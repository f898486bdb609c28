"""One consignment across every node and stage: the consignment view.

Built from what the store holds about the consignment (:meth:`.monitor_store.MonitorStore.of_consignment`):
its interop records, in time order, each a step of the timeline at a node; the message a
``received`` step is about, with its XML as it arrived (from the inbox, at most ``MAX_PAYLOAD``
bytes); and, for a refused message, its validation errors (the ``invalid`` record's detail, one
issue per ``; ``) and the dead-letter copy's rule, reason and pointer.
"""

from __future__ import annotations

from typing import Any

from seedsim.core.interop import InteropRecord, Stage
from seedsim.core.transport import Record
from seedsim.runners.monitor.monitor_aggregate import stage_entry
from seedsim.runners.monitor.monitored_records import DeadLetter, ReceivedMessage, monitored


def _xml(payload: bytes, truncated: bool) -> dict[str, Any]:
    return {"xml": payload.decode("utf-8", errors="replace"), "truncated": truncated}


def timeline(consignment: str, stored: list[tuple[str, Record, bool]]) -> dict[str, Any]:
    """``{consignment, nodes, steps: [...]}``; each step a record, with ``message`` (XML) on ``received``
    and ``errors`` / ``dead_letter`` on a refused message."""
    records: list[InteropRecord] = []
    received: dict[tuple[str, str], dict[str, Any]] = {}
    dead: dict[str, dict[str, Any]] = {}
    for _kind, record, truncated in stored:
        for what in monitored(record):
            if isinstance(what, InteropRecord):
                records.append(what)
            elif isinstance(what, ReceivedMessage):
                received[(what.node, what.message_id)] = _xml(what.payload, truncated)
            elif isinstance(what, DeadLetter):
                dead[what.key] = {
                    "node": what.node,
                    "rule": what.rule,
                    "reason": what.reason,
                    "pointer": what.pointer,
                    "error_class": what.error_class,
                    **_xml(what.payload, truncated),
                }
    records.sort(key=lambda r: r.ts)
    steps = []
    for rec in records:
        step = stage_entry(rec)
        if rec.stage == Stage.RECEIVED and rec.message_id:
            found = received.get((rec.node, rec.message_id))
            if found is None and rec.message_id in dead:
                found = {k: dead[rec.message_id][k] for k in ("xml", "truncated")}
            if found is not None:
                step["message"] = found
        if rec.stage == Stage.INVALID:
            step["errors"] = [e for e in (rec.detail or "").split("; ") if e]
        if rec.stage == Stage.DEAD_LETTERED:
            copy = dead.get(rec.message_id or "")
            step["dead_letter"] = copy or {"node": rec.node, "rule": rec.result, "reason": rec.detail}
        steps.append(step)
    nodes = list(dict.fromkeys(r.node for r in records))
    return {"consignment": consignment, "nodes": nodes, "steps": steps}
