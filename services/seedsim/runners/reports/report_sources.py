"""Where a report's records come from, and what is known about the run that made them.

* A run (``seedsim run --report``): its own interop records, its verdicts and its UB steps, as the
  run decided them.
* A trace file or live topics (``seedsim report``): the records are read through the monitor's one
  decoder (:func:`seedsim.runners.monitor.monitored_records.monitored`) as they stream. The scenario
  is the one the trace's header names (for live topics: the one a run's default topic prefix names),
  or the one given; its expectations are evaluated on the trace's interop records by the runner's
  own :func:`~seedsim.runners.scenarios.expectations.evaluate`, and its UB steps are read back from
  the records (:func:`seedsim.runners.ub_player.steps_in_records`). A scenario that cannot be found
  leaves the expectations unevaluated, and the report says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from seedsim.core.interop import InteropRecord
from seedsim.core.transport import Record
from seedsim.runners.interop_summary import InteropSummary
from seedsim.runners.monitor.monitor_aggregate import aggregate
from seedsim.runners.monitor.monitored_records import monitored
from seedsim.runners.reports.run_report import Findings, Source, build_report
from seedsim.runners.scenarios.expectations import evaluate
from seedsim.runners.scenarios.scenario_loader import ScenarioError, load
from seedsim.runners.scenarios.scenario_model import Scenario
from seedsim.runners.scenarios.scenario_run import RunResult, ub_casts
from seedsim.runners.traces.trace_format import TraceEntry
from seedsim.runners.traces.trace_records import is_interop_topic, record_of
from seedsim.runners.ub_player import StepOutcome, steps_in_records
from seedsim.utility_blocks import load_all

#: why UB steps are not in a report whose scenario is not known
UB_STEPS_UNKNOWN = "UB steps are only known from a run, or from a trace whose scenario is known (--scenario)"


def report_of_run(result: RunResult, source: str) -> dict[str, Any]:
    """The report of a run ``seedsim run`` just played (``source``: the scenario file or name)."""
    records = result.summary.records if result.summary is not None else []
    found = Findings(
        scenario=result.scenario,
        seed=result.seed,
        verdicts=result.verdicts,
        ub_outcomes=result.ub_outcomes,
        ub_from="run",
        run={"completed": result.completed, "problems": list(result.problems)},
    )
    return build_report(aggregate(records, load_all().values()), Source("run", source), found)


class RecordsRead:
    """The interop records of a stream of trace entries (or transport records), decoded as they come."""

    def __init__(self) -> None:
        self.interop: list[InteropRecord] = []
        self.unreadable = 0

    def add(self, item: TraceEntry | Record) -> None:
        record = record_of(item)
        read = monitored(record)
        self.interop.extend(what for what in read if isinstance(what, InteropRecord))
        if not read and is_interop_topic(record.topic):
            self.unreadable += 1

    def add_all(self, items: Iterable[TraceEntry | Record]) -> RecordsRead:
        for item in items:
            self.add(item)
        return self


def named_scenario(name: str | None, where: str) -> tuple[Scenario | None, str | None]:
    """The scenario ``name`` (a shipped scenario's name or a file), or None and why its expectations were not
    evaluated; ``where``: what named it (``the trace's header``)."""
    if name is None:
        return None, f"expectations were not evaluated: {where} names no scenario (give one with --scenario)"
    try:
        return load(name), None
    except ScenarioError:
        return None, (
            f"expectations were not evaluated: {where} names scenario {name!r}, which is neither a shipped"
            " scenario nor a file here (give it with --scenario FILE)"
        )


def report_of_records(
    read: RecordsRead,
    source: Source,
    scenario: Scenario | None,
    seed: int | None,
    named: str | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """The report of records read from a trace or live topics. ``scenario``: the run's, when known (else
    ``named`` is the name the source gave, and ``note`` why it was not evaluated)."""
    source.unreadable = read.unreadable
    if scenario is None:
        found = Findings(named, seed, None, note, None, None, UB_STEPS_UNKNOWN)
    else:
        summary = InteropSummary()
        for rec in read.interop:
            summary.add(rec)
        outcomes: list[tuple[str, StepOutcome]] = [
            (ub.id, o)
            for _i, t, ub, roles in ub_casts(scenario)
            for o in steps_in_records(ub, roles, t.count, summary.records)
        ]
        found = Findings(
            scenario.name,
            seed,
            evaluate(scenario.expectations, summary, outcomes),
            ub_outcomes=outcomes,
            ub_from="records",
            ub_note="UB steps read back from the interop records" if outcomes else None,
        )
    return build_report(aggregate(read.interop, load_all().values()), source, found)
