"""Long work shows progress: a bar on a terminal, plain lines in a pipe or a log, never long silence."""

from __future__ import annotations

import json
import os
import pty
import select
import shutil
import subprocess

from tests.unit.seedsim_cli import REPO, SEEDSIM, assert_no_traceback, clean_env, seedsim

EXAMPLE = REPO / "schemas" / "examples" / "ExportData" / "valid"


def on_a_terminal(*args: str, stream: str = "stdout", timeout: float = 120) -> tuple[int, str, str]:
    """Run seedsim with ``stream`` on a pseudo-terminal, the other on a pipe: exit code, what each showed."""
    master, slave = pty.openpty()
    where = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, stream: slave}
    env = clean_env(COLUMNS="100", TERM="xterm-256color")
    proc = subprocess.Popen(
        [*SEEDSIM, *args], stdout=where["stdout"], stderr=where["stderr"], stdin=subprocess.DEVNULL, env=env, cwd=REPO
    )
    os.close(slave)
    shown = b""
    while True:
        ready, _, _ = select.select([master], [], [], timeout)
        assert ready, f"nothing on the terminal for {timeout} s"
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the process ended and closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, shown.decode(errors="replace"), (err if stream == "stdout" else out).decode()


def test_the_demo_draws_a_progress_bar_on_a_terminal():
    code, shown, _ = on_a_terminal("demo", "--consignments", "60", "--show-flows", "1")
    assert code == 0, shown
    assert "consignments played" in shown and "━" in shown and "60/60" in shown
    assert "summary" in shown


def test_the_demo_prints_progress_lines_in_a_pipe():
    r = seedsim("demo", "--consignments", "400", "--show-flows", "0", "--malformed", "")
    assert r.returncode == 0, r.stderr
    progress = [line for line in r.stdout.splitlines() if line.startswith("  consignments played: ")]
    assert progress, r.stdout
    assert progress[-1].startswith("  consignments played: 400/400 (")
    assert "━" not in r.stdout and "\x1b[" not in r.stdout, "no bar, no escape codes in a pipe"


def test_validate_shows_files_validated_on_a_terminal_and_keeps_stdout_for_the_report(tmp_path):
    for i in range(300):
        shutil.copy(next(EXAMPLE.glob("*.xml")), tmp_path / f"doc{i:03}.xml")
    code, shown, report = on_a_terminal("validate", str(tmp_path), "--format", "json", stream="stderr")
    assert code == 0, shown
    assert "files validated" in shown and "300/300" in shown
    assert_no_traceback(shown)
    assert len(json.loads(report)["documents"]) == 300, "the report on stdout is JSON alone"
