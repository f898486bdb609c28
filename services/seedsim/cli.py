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

import importlib
import traceback
from collections.abc import Callable, Iterator, MutableMapping
from functools import cache
from typing import Annotated, Any

import typer
import typer.core
import typer.main
import typer.models

from seedsim import __version__
from seedsim.commands import interrupts
from seedsim.commands.preflight import Refused
from seedsim.commands.shared_options import Verbose
from seedsim.commands.terminal import OUTPUT_CLOSED_EXIT, TERMINAL, OutputClosed


def _trace_app() -> typer.Typer:
    """``seedsim trace``: reading a trace file, with recording and replaying it (which talk to Kafka) added."""
    from seedsim.commands import trace_files, trace_replay

    trace_files.trace_app.command("record")(trace_replay.record)
    trace_files.trace_app.command("replay")(trace_replay.replay)
    return trace_files.trace_app


#: Every sub-command, in the order ``seedsim --help`` lists them (commands, then groups of them): its name, and where it is (a module of
#: ``seedsim.commands`` and the function or typer app in it, or a function that assembles it). A command's module
#: is imported only when that command runs or its help is shown: ``seedsim validate`` does not load the Kafka
#: client, the monitor or the runners, and starts in a fraction of the time.
COMMANDS: dict[str, tuple[str, str] | Callable[[], typer.Typer]] = {
    "demo": ("demo_and_workshop", "demo"),
    "node": ("serve", "node"),
    "agency": ("serve", "agency"),
    "run": ("scenario_runs", "run"),
    "monitor": ("monitor_command", "monitor"),
    "report": ("run_reports", "report"),
    "validate": ("documents", "validate"),
    "asyncapi": ("documents", "asyncapi"),
    "ub": ("documents", "ub_app"),
    "sample": ("sample_pair", "sample_app"),
    "trace": _trace_app,
    "kafka": ("kafka_setup", "kafka_app"),
    "keys": ("keys_command", "keys_app"),
    "ens": ("ens_command", "ens_app"),
}


@cache
def _target(name: str) -> Any:
    """The function or typer app of command ``name``, its module imported (once: the trace app is assembled once)."""
    where = COMMANDS[name]
    if callable(where):
        return where()
    module, attribute = where
    return getattr(importlib.import_module(f"seedsim.commands.{module}"), attribute)


def _click_command(name: str) -> Any:
    """Command ``name`` as typer makes it when it is registered on the app (``app.command(name)`` for a function,
    ``app.add_typer(sub, name=name)`` for a group of sub-commands)."""
    target = _target(name)
    if isinstance(target, typer.Typer):
        group = typer.main.get_group(target)
        group.name = name
        return group
    return typer.main.get_command_from_info(
        typer.models.CommandInfo(name=name, callback=target),
        pretty_exceptions_short=app.pretty_exceptions_short,
        rich_markup_mode=app.rich_markup_mode,
    )


class _LazyCommands(MutableMapping[str, Any]):
    """The app's sub-commands by name, each made (its module imported) when it is first looked up."""

    def __init__(self) -> None:
        self._made: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        command = self._made.get(name)
        if command is None:
            if name not in COMMANDS:
                raise KeyError(name)
            command = self._made[name] = _click_command(name)
        return command

    def __setitem__(self, name: str, command: Any) -> None:
        raise TypeError(f"seedsim's commands are listed in seedsim.cli.COMMANDS: add {name} there")

    def __delitem__(self, name: str) -> None:
        raise TypeError("seedsim's commands are listed in seedsim.cli.COMMANDS")

    def __iter__(self) -> Iterator[str]:
        return iter(COMMANDS)

    def __len__(self) -> int:
        return len(COMMANDS)


class _LazyGroup(typer.core.TyperGroup):
    """The ``seedsim`` group: its sub-commands made on demand (:class:`_LazyCommands`)."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = _LazyCommands()

    def list_commands(self, ctx: Any) -> list[str]:
        """The names, without making the commands (typer's own would make every one to list them)."""
        return list(self.commands)


app = typer.Typer(
    name="seedsim",
    help="Simulate SEED+-style customs-to-customs data exchange.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    cls=_LazyGroup,
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
