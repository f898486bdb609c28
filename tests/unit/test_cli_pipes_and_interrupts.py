"""Output piped into ``head`` ends the command quietly; Ctrl-C ends it at once (issue 8, defects 1 and 7).

``seedsim demo | head -3`` used to play on for minutes into a closed pipe and
end in a ``TimeoutError`` traceback, ``seedsim asyncapi | head`` in a
``BrokenPipeError``; Ctrl-C at the workshop's "press Enter" prompt was ignored
once, then printed chained tracebacks. These run the real command, through a
shell where a pipe is involved, as a user would.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import time
from pathlib import Path

import pytest

from seedsim.commands.interrupts import INTERRUPTED
from tests.unit.seedsim_cli import REPO, SEEDSIM, assert_no_traceback, clean_env, ctrl_c_once, free_port


def piped(command: str, reader: str, timeout: float = 60) -> tuple[subprocess.CompletedProcess[str], float]:
    """``seedsim <command> | <reader>`` in a shell: its result and how long it took."""
    started = time.monotonic()
    r = subprocess.run(
        ["sh", "-c", f"{shlex.join(SEEDSIM)} {command} | {reader}"],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=clean_env(),
        cwd=REPO,
    )
    return r, time.monotonic() - started


def test_demo_into_head_ends_at_once_and_quietly():
    r, took = piped("demo", "head -n 3")
    assert r.stdout.splitlines()[0].startswith("seedsim demo: 100 consignments RS -> ME")
    assert len(r.stdout.splitlines()) == 3
    assert_no_traceback(r.stderr)
    assert r.stderr == ""
    assert took < 15, f"the demo played on for {took:.0f} s into a closed pipe"


@pytest.mark.parametrize(
    "command",
    [
        "asyncapi",
        "ub list",
        "ub show UB-SEED-EXIT",
        "validate schemas/examples --format json",
        "--help",
        "demo --ub UB-SEED-EXIT",
    ],
)
@pytest.mark.parametrize("reader", ["head -n 1", "true"])  # true reads nothing: every write finds the pipe closed
def test_any_command_into_a_closed_pipe_ends_quietly(command, reader):
    r, took = piped(command, reader)
    assert_no_traceback(r.stderr)
    assert r.stderr == "", r.stderr
    assert took < 20


def test_ctrl_c_at_the_workshop_prompt_ends_at_once_with_one_line():
    code, took, stderr = ctrl_c_once("Enter", "demo", "--ub", "UB-SEED-EXIT", "--pause")
    assert code == 130
    assert stderr == INTERRUPTED + "\n"
    assert took < 5


def test_ctrl_c_in_the_middle_of_the_demo_ends_at_once_with_one_line():
    code, took, stderr = ctrl_c_once("flow of the first consignments", "demo", "--consignments", "5000")
    assert code == 130
    assert stderr == INTERRUPTED + "\n"
    assert took < 5


def test_ctrl_c_stops_a_node_with_one_line(tmp_path):
    db = str(tmp_path / "me.sqlite3")
    code, took, stderr = ctrl_c_once(
        "stop it with Ctrl-C", "node", "--country", "ME", "--port", str(free_port()), "--db", db
    )
    assert code == 130
    assert stderr.splitlines()[-1] == INTERRUPTED
    assert_no_traceback(stderr)
    assert took < 10


def test_ctrl_c_during_a_parallel_validate_ends_its_worker_processes_too(tmp_path):
    example = next((REPO / "schemas" / "examples" / "ExportData" / "valid").glob("*.xml")).read_bytes()
    for i in range(3000):
        (tmp_path / f"doc{i:04}.xml").write_bytes(example)
    err = tmp_path / "stderr.txt"  # a file, not a pipe: a worker left behind would hold a pipe open
    proc = subprocess.Popen(
        [*SEEDSIM, "validate", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=err.open("wb"),
        env=clean_env(),
        cwd=REPO,
    )
    children_file = f"/proc/{proc.pid}/task/{proc.pid}/children"
    deadline = time.monotonic() + 30
    workers: list[int] = []
    while not workers:  # the pool is at work
        assert time.monotonic() < deadline and proc.poll() is None, "validate never started its workers"
        with open(children_file) as f:
            workers = [int(p) for p in f.read().split()]
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)  # to the command alone, not its process group
    assert proc.wait(timeout=10) == 130
    assert err.read_text() == INTERRUPTED + "\n"
    time.sleep(1)
    left = [p for p in workers if running(p)]
    for pid in left:  # a failed run cleans up after itself
        os.kill(pid, signal.SIGKILL)
    assert left == [], "worker processes left behind"


def running(pid: int) -> bool:
    """The process exists and is not a zombie (ended, waiting for its new parent to reap it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
