"""``seedsim trace stats|show|diff``: what a tester asks of trace files (:mod:`seedsim.runners.traces`).

A trace is written by ``seedsim run --record``, ``seedsim demo --record``,
``seedsim trace record`` or ``kcat -C -J``; these commands read one (plain or
gzip, ``-`` for standard input) as it streams:

* ``stats``: how many records per topic, sender, receiver, type and interop stage;
* ``show``: each consignment's conversation as a timeline, narrowed by
  consignment, node or message type;
* ``diff``: the outcome of a trace against a golden one, as text, JSON or JUnit;
  exit 0 only when equal, 1 when they differ.

A trace that cannot be read (no such file, a line that is not JSON, a format
version this seedsim does not read) ends the command with exit 2 and one line
naming the file and the line. ``--skip-bad`` reports each bad line on stderr
and reads on. :data:`trace_app` is the ``seedsim trace`` group: the commands
that record and replay traces join it from their own module.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from seedsim.commands import preflight
from seedsim.commands.preflight import Refused
from seedsim.commands.shared_options import Json, ReportOutput, write_output
from seedsim.commands.terminal import TERMINAL

if TYPE_CHECKING:
    from seedsim.runners.traces import TraceReader

trace_app = typer.Typer(
    help="Traces: a run's every record in a file; count it, show its conversations, diff two runs' outcomes.",
    no_args_is_help=True,
)

TraceFile = Annotated[
    str,
    typer.Argument(
        help="A trace file: seedsim's or kcat -C -J's, plain or .gz; - reads standard input.", show_default=False
    ),
]
SkipBad = Annotated[
    bool,
    typer.Option(
        "--skip-bad", help="Report each line that cannot be read on stderr and read on. Default: stop there (exit 2)."
    ),
]


def _writable_trace(value: Path | None) -> Path | None:
    """``--record FILE``: a file that can be written (its folder exists, it is not a folder)."""
    if value is None:
        return None
    if str(value) == "-":
        raise typer.BadParameter("standard output carries the run's report: give a file, e.g. run.trace.jsonl")
    if value.is_dir():
        raise typer.BadParameter(f"{value} is a folder: give a file, e.g. {value / 'run.trace.jsonl'}")
    folder = value.parent
    if not folder.is_dir():
        raise typer.BadParameter(f"no folder {folder} to write {value.name} in")
    if not os.access(value if value.exists() else folder, os.W_OK):
        raise typer.BadParameter(f"cannot write {value} (permission denied)")
    return value


#: ``--record FILE`` of the commands that run nodes (``seedsim run``, ``seedsim demo``)
RecordOption = Annotated[
    Path | None,
    typer.Option(
        "--record",
        envvar="SEEDSIM_RECORD",
        callback=_writable_trace,
        help="Record every record the run sends (inboxes, dead-letter topics, interop) to this trace file,"
        " as it is sent; a name ending in .gz is compressed. Read it with seedsim trace stats|show|diff. Default: no recording.",
        show_default=False,
    ),
]


class DiffFormat(str, Enum):
    text = "text"
    json = "json"
    junit = "junit"


@contextmanager
def readable_trace() -> Iterator[None]:
    """A trace that cannot be read ends the command with its one line (file, line, why) and exit 2."""
    from seedsim.runners.traces import TraceError

    try:
        yield
    except TraceError as exc:
        raise Refused(str(exc)) from None


def open_trace(path: str, skip_bad: bool) -> TraceReader:
    from seedsim.runners.traces import read_trace

    return read_trace(path, skip_bad=skip_bad, on_bad=lambda exc: TERMINAL.note(f"skipped {exc}"))


@trace_app.command("stats")
def stats(path: TraceFile, json_: Json = False, skip_bad: SkipBad = False) -> None:
    """Count a trace's records per topic, sender, receiver, message type and interop stage."""
    from seedsim.runners.traces.trace_stats import render_stats, trace_stats

    with readable_trace(), open_trace(path, skip_bad) as reader:
        counted = trace_stats(reader)
    TERMINAL.line(json.dumps(counted, indent=2) if json_ else render_stats(counted).rstrip("\n"))


@trace_app.command("show")
def show(
    path: TraceFile,
    consignment: Annotated[
        str | None,
        typer.Option(
            help="Only this consignment (its reference, the record key). Default: every consignment.",
            show_default=False,
        ),
    ] = None,
    node: Annotated[
        str | None,
        typer.Option(
            help="Only what this node sends, receives or records (RS, RS-NPPO). Default: every node.",
            show_default=False,
        ),
    ] = None,
    type_: Annotated[
        str | None,
        typer.Option(
            "--type",
            help="Only messages of this type (the catalogue's name, e.g. ExportData). Default: every type.",
            show_default=False,
        ),
    ] = None,
    json_: Json = False,
    skip_bad: SkipBad = False,
) -> int:
    """Print each consignment's conversation: who sent what to whom on which event, the verdict, the acknowledgement."""
    from seedsim.runners.traces.trace_timeline import render_timeline, trace_timeline

    with readable_trace(), open_trace(path, skip_bad) as reader:
        conversations = trace_timeline(reader, consignment=consignment, node=node, type=type_)
    if json_:
        TERMINAL.line(json.dumps([c.to_json() for c in conversations], indent=2))
    elif conversations:
        TERMINAL.line(render_timeline(conversations).rstrip("\n"))
    if not conversations:
        asked = [
            f"{name} {value}"
            for name, value in (("consignment", consignment), ("node", node), ("type", type_))
            if value
        ]
        TERMINAL.note(f"{path}: no conversation" + (f" with {', '.join(asked)}" if asked else ""))
        return 1
    return 0


@trace_app.command("diff")
def diff(
    golden: Annotated[
        str, typer.Argument(help="The golden trace: the run whose outcome was checked.", show_default=False)
    ],
    actual: Annotated[str, typer.Argument(help="The trace compared with it.", show_default=False)],
    format_: Annotated[
        DiffFormat,
        typer.Option("--format", help="text (per consignment), json, or junit (one test case per consignment)."),
    ] = DiffFormat.text,
    output: ReportOutput = None,
    skip_bad: SkipBad = False,
    node: Annotated[
        str | None,
        typer.Option(
            "--node",
            callback=preflight.node_id,
            help="Compare only the messages this node received: its verdicts, acknowledgements and dead letters "
            "(conformance by replay of a system under test standing as it).",
            show_default="every message and consignment outcome",
        ),
    ] = None,
) -> int:
    """Compare the outcome of ACTUAL with GOLDEN's (verdicts, acknowledgements, matching, alerts); exit 0 only when equal."""
    from seedsim.runners.traces import diff_traces

    with readable_trace(), open_trace(golden, skip_bad) as g, open_trace(actual, skip_bad) as a:
        result = diff_traces(g, a, golden_name=golden, actual_name=actual, node=node)
    report = {DiffFormat.text: result.to_text, DiffFormat.json: result.to_json, DiffFormat.junit: result.to_junit}
    text = report[format_]()
    if output is None:
        TERMINAL.line(text.rstrip("\n"))
    else:
        write_output(output, text)
        n, deviating = len(result.consignments), len(result.deviations)
        verdict = f"DIFFERENT: {deviating} of {n} consignments deviate" if deviating else f"EQUAL: {n} consignments"
        TERMINAL.line(f"{verdict} (report in {output})")
    return 0 if result.equal else 1
