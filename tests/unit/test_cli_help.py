"""Every ``seedsim`` command answers ``--help``, refuses a wrong argument with exit code 2, and never a traceback.

The commands are read from the app itself, so a command added later is covered too.
"""

from __future__ import annotations

import pytest
import typer

from seedsim import __version__
from seedsim.cli import app
from tests.unit.seedsim_cli import assert_no_traceback, many, seedsim


def command_paths(command=None, path=()) -> list[tuple[str, ...]]:
    command = command or typer.main.get_command(app)
    paths = [path]
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        paths += command_paths(sub, (*path, name))
    return paths


PATHS = command_paths()


def test_the_commands_are_all_there():
    assert {p[0] for p in PATHS if p} == {
        "demo",
        "node",
        "agency",
        "run",
        "monitor",
        "report",
        "validate",
        "ub",
        "asyncapi",
        "sample",
        "trace",
        "kafka",
        "keys",
        "ens",
    }
    assert ("ub", "show") in PATHS and ("sample", "export-pair") in PATHS
    assert ("ens", "from-export") in PATHS and ("ens", "to-export") in PATHS
    assert ("trace", "stats") in PATHS and ("trace", "show") in PATHS and ("trace", "diff") in PATHS
    assert {("keys", c) for c in ("init", "rotate", "revoke", "show")} <= set(PATHS)


@pytest.fixture(scope="module")
def answers():
    """``--help`` and a wrong option for every command, all run at once."""
    runs = [((*p, "--help"), {}) for p in PATHS] + [((*p, "--no-such-option"), {}) for p in PATHS]
    done = many(runs)
    return {tuple(r.args[3:]): r for r in done}


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "seedsim")
def test_help_exits_0(answers, path):
    r = answers[(*path, "--help")]
    assert r.returncode == 0, r.stderr
    assert "Usage: seedsim" in r.stdout
    assert_no_traceback(r.stdout, r.stderr)


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "seedsim")
def test_a_wrong_argument_exits_2_saying_so(answers, path):
    r = answers[(*path, "--no-such-option")]
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "No such option: --no-such-option" in r.stderr
    assert_no_traceback(r.stdout, r.stderr)


def _options(command=None):
    command = command or typer.main.get_command(app)
    for param in command.params:
        yield command, param
    for sub in getattr(command, "commands", {}).values():
        yield from _options(sub)


def test_every_option_has_help_and_shows_its_default():
    for command, param in _options():
        if param.name == "help" or param.param_type_name == "argument":
            continue
        where = f"{command.name} {param.opts}"
        assert param.help and param.help.strip(), f"{where} has no help text"
        if getattr(param, "is_flag", False) or param.name in ("install_completion", "show_completion"):
            continue
        if param.required:
            continue
        # the default is shown ([default: ...]), or said in the help where there is no value to show
        # (without --kafka: the in-process bus; without --db: ./var/<node>.sqlite3)
        shown = param.show_default is not False and (param.default is not None or isinstance(param.show_default, str))
        assert shown or "Default:" in param.help, f"{where} does not say what happens without it"


def test_version_with_either_spelling_and_whatever_the_environment():
    for flag in ("-V", "--version"):
        r = seedsim(flag, env={"SEEDSIM_SEED": "abc"})
        assert r.returncode == 0 and r.stdout.strip() == f"seedsim {__version__}", r.stderr


def test_verbose_before_or_after_the_sub_command():
    for args in (("-v", "demo", "--ub", "UB-SEED-EXIT"), ("demo", "--ub", "UB-SEED-EXIT", "-v")):
        r = seedsim(*args)
        assert r.returncode == 0, r.stderr
        assert "seedsim.interop INFO" in r.stderr, f"{args}: the interop records are logged"
        assert_no_traceback(r.stderr)
    quiet = seedsim("demo", "--ub", "UB-SEED-EXIT")
    assert "seedsim.interop INFO" not in quiet.stderr


def test_shell_completion_is_offered():
    r = seedsim("--show-completion", "bash", env={"SHELL": "/bin/bash"})
    assert r.returncode == 0 and "complete" in r.stdout and "seedsim" in r.stdout, r.stderr
