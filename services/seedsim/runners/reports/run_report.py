"""The conformance report of a run, as one JSON-ready document.

Everything measured comes from the monitor's aggregate (:class:`MonitorAggregate`), fed the run's
interop records: the report computes no count, matrix or latency of its own. What the aggregate
does not know comes with it: the scenario and seed, the expectations' verdicts (evaluated by the
runner's code) and the Utility Block steps.

The document (``seedsim_report`` 1); keys in this order:

====================  ===========================================================================
key                   what it holds
====================  ===========================================================================
``seedsim_report``    the report format's version (1)
``source``            ``{"kind": "run" | "trace" | "kafka", "name": ..., "unreadable": N}``: what the
                      report was made from, and how many records the monitor's decoder could not read
``scenario``          the scenario's name, or null when not known
``seed``              the run's seed, or null when not known (live topics carry none)
``ok``                nothing failed: every expectation evaluated is met, every UB step known is
                      acknowledged and (for a run) the run completed without problems
``run``               for a report written by ``seedsim run``: ``{"completed", "problems"}``; else null
``nodes``             ``[{"id", "kind"}]``: every node that wrote an interop record (customs, agency)
``records``           how many interop records the report is made of (each counted once, by id)
``counts``            the run summary's counts (sent, delivered, valid, acknowledged, matched, ...)
``expectations``      ``{"evaluated": bool, "note": str | null, "verdicts": [{"name", "expected",
                      "actual", "ok"}]}``
``ub_steps``          ``{"known": bool, "from": "run" | "records" | null, "note": str | null, "steps":
                      [{"ub", "play", "index", "message", "event", "sender", "receiver", "ok", "valid",
                      "acked", "nacked", "latency_ms", "errors"}]}``
``matrix``            the interop matrix: one row per sender x receiver x message type, with sent,
                      delivered, valid, invalid, acknowledged, nacked, dead_lettered, p50_ms, p95_ms
``service_levels``    per Utility Block: measured against its governance section, ``status`` ok,
                      breach or no traffic, its ``breaches``, and how it was ``measured`` (``by
                      conversation``: records naming the UB; ``by message type``: records of a
                      trace or system that names none; or both)
``alerts``            ``{"total": N, "latest": [...]}``: matching alerts (both values) and risk alerts
``dead_letters``      ``{"total": N, "latest": [...]}``: each with its rule and reason
``latency``           ``{"by_message_type": [...], "by_link": [...]}``: count, p50_ms, p95_ms and the
                      histogram's ``distribution`` (``[upper bound ms, count]`` per bucket)
====================  ===========================================================================

``latest`` lists hold at most the aggregate's :data:`~seedsim.runners.monitor.monitor_aggregate.KEPT`
entries (the last ones), by time; ``total`` counts them all.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from seedsim.runners.monitor.monitor_aggregate import MonitorAggregate
from seedsim.runners.scenarios.expectations import Verdict
from seedsim.runners.ub_player import StepOutcome

FORMAT_VERSION = 1


@dataclass
class Source:
    """What a report was made from."""

    kind: str  # run, trace or kafka
    name: str
    unreadable: int = 0


@dataclass
class Findings:
    """What a report adds to the aggregate: the run's identity and its verdicts."""

    scenario: str | None
    seed: int | None
    verdicts: list[Verdict] | None  # None: not evaluated
    expectations_note: str | None = None
    #: (UB id, step outcome), in the order played; None: not known
    ub_outcomes: list[tuple[str, StepOutcome]] | None = None
    ub_from: str | None = None  # run or records
    ub_note: str | None = None
    #: for a report written by the run itself: did it complete, and its problems
    run: dict[str, Any] | None = field(default=None)


def ub_step(ub: str, play: int, o: StepOutcome) -> dict[str, Any]:
    return {
        "ub": ub,
        "play": play,
        "index": o.index,
        "message": o.step.message,
        "event": o.step.event,
        "sender": o.sender,
        "receiver": o.receiver,
        "ok": o.ok,
        "valid": o.valid,
        "acked": o.acked,
        "nacked": o.nacked,
        "latency_ms": o.latency_ms,
        "errors": list(o.errors),
    }


def ub_steps(outcomes: list[tuple[str, StepOutcome]]) -> list[dict[str, Any]]:
    """Each step with the number of the play it belongs to (a play starts again at step 1)."""
    plays: Counter[str] = Counter()
    steps = []
    for ub, o in outcomes:
        if o.index == 1:
            plays[ub] += 1
        steps.append(ub_step(ub, max(1, plays[ub]), o))
    return steps


def in_time(entries: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Alerts or dead letters by time (then node, consignment): records read from several partitions come
    interleaved in any order, and a report is the same however they came."""
    return sorted(entries, key=lambda e: (e["ts"], e["node"], e.get("consignment") or "", e.get("message_id") or ""))


def build_report(agg: MonitorAggregate, source: Source, found: Findings) -> dict[str, Any]:
    """The report of what ``agg`` was fed, with ``found``'s verdicts."""
    counts = agg.counters()
    verdicts = [v.to_dict() for v in found.verdicts or []]
    steps = ub_steps(found.ub_outcomes) if found.ub_outcomes is not None else []
    run_ok = found.run is None or (found.run["completed"] and not found.run["problems"])
    return {
        "seedsim_report": FORMAT_VERSION,
        "source": {"kind": source.kind, "name": source.name, "unreadable": source.unreadable},
        "scenario": found.scenario,
        "seed": found.seed,
        "ok": run_ok and all(v["ok"] for v in verdicts) and all(s["ok"] for s in steps),
        "run": found.run,
        "nodes": agg.network()["nodes"],
        "records": agg.records,
        "counts": counts,
        "expectations": {
            "evaluated": found.verdicts is not None,
            "note": found.expectations_note,
            "verdicts": verdicts,
        },
        "ub_steps": {
            "known": found.ub_outcomes is not None,
            "from": found.ub_from,
            "note": found.ub_note,
            "steps": steps,
        },
        "matrix": agg.matrix.rows(),
        "service_levels": agg.service_levels(),
        "alerts": {"total": counts["discrepancies"] + counts["risk_alerts"], "latest": in_time(agg.alerts)},
        "dead_letters": {"total": counts["dead_lettered"], "latest": in_time(agg.dead_letters)},
        "latency": agg.latencies(),
    }
