"""``seedsim report`` and ``seedsim run --report DIR``: a run's conformance report in HTML, JSON or JUnit.

``seedsim run SCENARIO --report DIR`` writes ``report.html``, ``report.json`` and
``report.junit.xml`` for the run it played (for a folder of scenarios, one sub-folder per
scenario). ``seedsim report`` writes one of them for a trace file (seedsim's or ``kcat -C -J``'s)
or for a Kafka cluster's live topics, read as they stream (:mod:`seedsim.runners.reports`).

Exit codes: 0 when nothing in the report failed, 1 when an expectation or a UB step did (so a CI
step can run it as it is), 2 for a mistake (a wrong flag, no such file, a trace line that cannot be
read): one line saying what to do, nothing written.
"""

from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from seedsim.commands import preflight
from seedsim.commands.preflight import Refused
from seedsim.commands.shared_options import (
    NO_LOGIN,
    ReportOutput,
    kafka_login,
    write_output,
)
from seedsim.commands.terminal import TERMINAL
from seedsim.commands.trace_files import SkipBad, open_trace, readable_trace
from seedsim.core.transport.kafka_credentials import KafkaCredentials

if TYPE_CHECKING:
    from seedsim.runners.scenarios.scenario_model import Scenario
    from seedsim.runners.scenarios.scenario_run import RunResult


def _report_folder(value: Path | None) -> Path | None:
    """``--report DIR``: a folder that exists or can be made, and written in."""
    if value is None:
        return None
    if value.exists() and not value.is_dir():
        raise typer.BadParameter(f"{value} is a file: give a folder for report.html, report.json, report.junit.xml")
    existing = next((p for p in (value, *value.parents) if p.exists()), Path("."))
    if not os.access(existing, os.W_OK):
        raise typer.BadParameter(f"cannot write in {existing} (permission denied)")
    return value


#: ``--report DIR`` of ``seedsim run``
ReportOption = Annotated[
    Path | None,
    typer.Option(
        "--report",
        envvar="SEEDSIM_REPORT",
        callback=_report_folder,
        help="Write the run's conformance report into this folder: report.html, report.json, report.junit.xml"
        " (a folder of scenarios: one sub-folder each). Default: no report.",
        show_default=False,
    ),
]


def write_run_report(folder: Path, result: RunResult, source: str) -> None:
    """Write ``result``'s report into ``folder`` (said on stderr, so stdout stays the run's report)."""
    from seedsim.runners.reports.report_files import write_report
    from seedsim.runners.reports.report_sources import report_of_run

    try:
        written = write_report(folder, report_of_run(result, source))
    except OSError as exc:
        raise Refused(f"cannot write the report in {folder}: {exc.strerror or exc} (check --report)") from None
    TERMINAL.note(f"report: {', '.join(str(p) for p in written)}")


class ReportFormat(str, Enum):
    html = "html"
    json = "json"
    junit = "junit"


def _scenario(given: str | None) -> Scenario | None:
    """``--scenario``: a shipped scenario's name or a file; Refused when it cannot be read."""
    if given is None:
        return None
    from seedsim.runners.scenarios.scenario_loader import ScenarioError, find, load, shipped

    if not find(given).exists():
        names = ", ".join(p.stem for p in shipped())
        raise Refused(f"--scenario {given!r} is neither a file nor a shipped scenario ({names})")
    try:
        return load(given)
    except ScenarioError as exc:
        raise Refused(f"--scenario {given}: not a valid scenario: {'; '.join(exc.problems)}") from None


@kafka_login
def report(
    trace: Annotated[
        str | None,
        typer.Argument(
            help="A trace file (seedsim run --record, seedsim trace record, or kcat -C -J; plain or .gz; - reads"
            " standard input). Or give --kafka.",
            show_default=False,
        ),
    ] = None,
    kafka: Annotated[
        str | None,
        typer.Option(
            "--kafka",
            callback=preflight.kafka_address,
            help="Report on a Kafka cluster's live topics instead of a trace, HOST:PORT[,HOST:PORT].",
            show_default="none: read the TRACE",
        ),
    ] = None,
    topic_prefix: Annotated[
        str,
        typer.Option(
            "--topic-prefix",
            help="With --kafka: the run's topic prefix (seedsim run --kafka prints it in its first line).",
        ),
    ] = "seedsim",
    login: KafkaCredentials = NO_LOGIN,
    from_: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="With --kafka: start at this time (ISO 8601, UTC unless it says).",
            show_default="the beginning",
        ),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(
            help="With --kafka: stop once idle for a while (idle:5s), after N records (count:N) or at a time.",
            show_default="idle:5s",
        ),
    ] = None,
    format_: Annotated[
        ReportFormat,
        typer.Option("--format", help="html (one self-contained file), json (documented keys) or junit (for CI)."),
    ] = ReportFormat.html,
    output: ReportOutput = None,
    scenario: Annotated[
        str | None,
        typer.Option(
            "--scenario",
            help="The scenario whose expectations to evaluate (a shipped name or a file).",
            show_default="the one the trace's header (or the run's default topic prefix) names",
        ),
    ] = None,
    skip_bad: SkipBad = False,
) -> int:
    """Write the conformance report of a trace or of live topics: expectations, interop matrix, service levels,
    alerts, dead letters, latency charts."""
    from seedsim.runners.reports.report_files import FORMATS

    if (trace is None) == (kafka is None):
        raise Refused(
            "give a trace file (seedsim report run.trace.jsonl) or --kafka HOST:PORT, one of the two"
            if trace is None
            else f"give either the trace {trace} or --kafka {kafka}, not both"
        )
    if kafka is None:
        given = [name for name, v in (("--from", from_), ("--until", until)) if v is not None]
        if topic_prefix != "seedsim":
            given.insert(0, "--topic-prefix")
        if given:
            raise Refused(f"{', '.join(given)} only go with --kafka: a trace is read whole")
    if output is not None and (output.is_dir() or not output.parent.is_dir()):
        raise Refused(f"-o {output}: give a file in a folder that exists, e.g. report.{format_.value}")
    chosen = _scenario(scenario)
    built = (
        _from_trace(trace, chosen, skip_bad)
        if trace is not None
        else _from_kafka(kafka, login, topic_prefix, from_, until, chosen)
    )
    render, _name = FORMATS[format_.value]
    text = render(built)
    if output is None:
        TERMINAL.line(text.rstrip("\n"))
    else:
        write_output(output, text)
        TERMINAL.line(
            f"{'PASSED' if built['ok'] else 'FAILED'}: {built['scenario'] or 'unknown scenario'} (report in {output})"
        )
    if not built["expectations"]["evaluated"]:
        TERMINAL.note(built["expectations"]["note"])
    return 0 if built["ok"] else 1


def _from_trace(path: str, chosen: Scenario | None, skip_bad: bool) -> dict[str, Any]:
    from seedsim.runners.reports.report_sources import RecordsRead, named_scenario, report_of_records
    from seedsim.runners.reports.run_report import Source

    if path != "-" and not Path(path).is_file():
        raise Refused(f"no trace file {path} (give a file written by seedsim run --record, or by kcat -C -J)")
    with readable_trace(), open_trace(path, skip_bad) as reader:
        read = RecordsRead().add_all(reader)
    header = reader.header
    named = header.scenario if header is not None else None
    found, note = (chosen, None) if chosen is not None else named_scenario(named, "the trace's header")
    seed = header.seed if header is not None else None
    return report_of_records(read, Source("trace", path), found, seed, named, note)


def _from_kafka(
    kafka: str, login: KafkaCredentials, prefix: str, from_: str | None, until: str | None, chosen: Scenario | None
) -> dict[str, Any]:
    from seedsim.runners.reports.report_sources import RecordsRead, named_scenario, report_of_records
    from seedsim.runners.reports.run_report import Source
    from seedsim.runners.scenarios.scenario_run import scenario_of_prefix
    from seedsim.runners.traces.trace_capture import Until, captured, default_pattern, time_ms

    try:
        stop = Until.parse(until or "idle:5s")
    except ValueError as exc:
        raise Refused(str(exc)) from None
    try:
        start = None if from_ is None else time_ms(from_)
    except ValueError:
        raise Refused(f"--from {from_!r} is not a time such as 2025-05-01T10:00:00Z") from None
    preflight.kafka_reachable(kafka, credentials=login)
    read = RecordsRead()

    with TERMINAL.progress("records read", stream=sys.stderr) as hook:

        async def _read() -> None:
            n = 0
            async for entry in captured(kafka, default_pattern(prefix), from_time=start, until=stop, credentials=login):
                read.add(entry)
                n += 1
                hook(n, n)

        TERMINAL.run(_read)
    named = scenario_of_prefix(prefix)
    found, note = (chosen, None) if chosen is not None else named_scenario(named, f"the topic prefix {prefix!r}")
    if not read.interop:
        raise Refused(f"no interop record on {kafka} under the topic prefix {prefix!r}: check --topic-prefix")
    return report_of_records(read, Source("kafka", f"{kafka} {prefix}"), found, None, named, note)
