"""``seedsim``: one command line for every service (a typer app; rich on a terminal, plain lines in a pipe).

    seedsim demo [--kafka HOST:PORT] [--consignments N] [--seed S]    the flagship RS -> ME run
    seedsim demo --ub UB-SEED-EXIT [--pause]                          workshop: one Utility Block, step by step
    seedsim node --country CC [--port N] [--kafka HOST:PORT]          one customs node (HTTP API)
    seedsim agency --id RS-NPPO [--port N] [--kafka HOST:PORT]        one border-agency node
    seedsim run SCENARIO.yaml|FOLDER                                  scenarios and their expectations
    seedsim monitor --kafka HOST:PORT [--port 8080]                    the interoperability monitor (dashboard)
    seedsim validate PATH...                                          conformance of documents
    seedsim run|demo ... --record FILE; seedsim trace stats|show|diff  traces: record, inspect, compare
    seedsim run SCENARIO --report DIR; seedsim report TRACE|--kafka   conformance reports (HTML, JSON, JUnit)
    seedsim ub list|show|docs, seedsim asyncapi, seedsim sample export-pair
    seedsim ens from-export EXPORT.xml --entry-office HU403000; seedsim ens to-export ENS.xml   EU ICS ENS

The sub-commands live in :mod:`seedsim.commands`; this module assembles them
and runs one as a mature tool would: every option has help, a default and a
``SEEDSIM_*`` variable; a mistake is refused with exit code 2 and a line that
says what to do, never a traceback; Ctrl-C ends it at once (exit 130); output
piped into ``head`` ends it quietly.
"""

from __future__ import annotations

import traceback
from typing import Annotated

import typer

from seedsim import __version__
from seedsim.commands import (
    demo_and_workshop,
    documents,
    ens_command,
    interrupts,
    kafka_setup,
    keys_command,
    monitor_command,
    run_reports,
    sample_pair,
    scenario_runs,
    serve,
    trace_files,
    trace_replay,
)
from seedsim.commands.preflight import Refused
from seedsim.commands.shared_options import Verbose
from seedsim.commands.terminal import OUTPUT_CLOSED_EXIT, TERMINAL, OutputClosed

app = typer.Typer(
    name="seedsim",
    help="Simulate SEED+-style customs-to-customs data exchange.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        TERMINAL.line(f"seedsim {__version__}")
        raise typer.Exit()


@app.callback()
def seedsim(
    verbose: Verbose = False,
    version: Annotated[
        bool,
        typer.Option("--version", "-V", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Simulate SEED+-style customs-to-customs data exchange.

    Every option can also be set by a SEEDSIM_<OPTION> environment variable (SEEDSIM_KAFKA for --kafka...).
    """
    TERMINAL.set_verbose(verbose)


app.command("demo")(demo_and_workshop.demo)
app.command("node")(serve.node)
app.command("agency")(serve.agency)
app.command("run")(scenario_runs.run)
app.command("monitor")(monitor_command.monitor)
app.command("report")(run_reports.report)
app.command("validate")(documents.validate)
app.add_typer(documents.ub_app, name="ub")
app.command("asyncapi")(documents.asyncapi)
app.add_typer(sample_pair.sample_app, name="sample")
trace_files.trace_app.command("record")(trace_replay.record)
trace_files.trace_app.command("replay")(trace_replay.replay)
app.add_typer(trace_files.trace_app, name="trace")
app.add_typer(kafka_setup.kafka_app, name="kafka")
app.add_typer(keys_command.keys_app, name="keys")
app.add_typer(ens_command.ens_app, name="ens")


def _is_usage_error(exc: BaseException) -> bool:
    """A click/typer usage error (bad option, bad value): it shows itself and carries its exit code.

    Recognised by what it offers rather than its class, as typer has moved its click from a dependency
    to a private copy of its own.
    """
    return callable(getattr(exc, "show", None)) and isinstance(getattr(exc, "exit_code", None), int)


def main(argv: list[str] | None = None) -> int:
    """Run one ``seedsim`` command line; its exit code (0 ok, 1 failed, 2 refused, 130 Ctrl-C)."""
    TERMINAL.reset()
    with interrupts.ended_by_ctrl_c():
        try:
            rv = typer.main.get_command(app).main(args=argv, prog_name="seedsim", standalone_mode=False)
        except OutputClosed:
            return OUTPUT_CLOSED_EXIT
        except BrokenPipeError:  # written to stdout by something other than the terminal's lines
            TERMINAL.mark_closed()
            return OUTPUT_CLOSED_EXIT
        except Refused as exc:
            TERMINAL.error(str(exc))
            return exc.exit_code
        except typer.Abort:
            TERMINAL.error("aborted")
            return 1
        except Exception as exc:
            if _is_usage_error(exc):
                exc.show()  # type: ignore[attr-defined]
                return int(exc.exit_code)  # type: ignore[attr-defined]
            if TERMINAL.verbose:
                traceback.print_exc()
            TERMINAL.error(
                f"seedsim stopped on an unexpected error: {type(exc).__name__}: {exc}"
                + ("" if TERMINAL.verbose else " (run again with -v to see where; please report it)")
            )
            return 1
    if TERMINAL.closed:
        return OUTPUT_CLOSED_EXIT
    return rv if isinstance(rv, int) else 0


if __name__ == "__main__":
    raise SystemExit(main())
