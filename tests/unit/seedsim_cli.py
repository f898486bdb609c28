"""Run ``seedsim`` as a user does: a separate process (``python -m seedsim``), its output and exit code.

The environment is the test's without any ``SEEDSIM_*`` variable (a developer's
shell must not change what a test sees), plus what a test sets.
"""

from __future__ import annotations

import os
import selectors
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SEEDSIM = [sys.executable, "-m", "seedsim"]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEEDSIM_")}
    env.update(extra)
    return env


def seedsim(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60, cwd: Path | str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SEEDSIM, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=clean_env(**(env or {})),
        cwd=cwd or REPO,
        stdin=subprocess.DEVNULL,
    )


def many(
    runs: Iterable[tuple[Sequence[str], dict[str, str]]], timeout: float = 60
) -> list[subprocess.CompletedProcess[str]]:
    """Several ``seedsim`` command lines, as many at a time as there are cores (each is mostly start-up)."""
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        return list(pool.map(lambda run: seedsim(*run[0], env=run[1], timeout=timeout), runs))


def assert_no_traceback(*texts: str) -> None:
    for text in texts:
        assert "Traceback" not in text and 'File "' not in text, text


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Running:
    """A ``seedsim`` process whose stdout is read as it comes, to act when a line appears."""

    def __init__(self, *args: str, cwd: Path | str | None = None, env: dict[str, str] | None = None):
        self.proc = subprocess.Popen(
            [*SEEDSIM, *args],
            stdin=subprocess.PIPE,  # kept open: a prompt waits on it
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=clean_env(**(env or {})),
            cwd=cwd or REPO,
        )
        self.out = b""

    def wait_for(self, text: str, timeout: float = 60) -> str:
        """Read stdout until ``text`` appears; everything read so far."""
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        while text.encode() not in self.out:
            left = deadline - time.monotonic()
            assert left > 0, f"{text!r} did not appear in {timeout} s; stdout so far:\n{self.out.decode()}"
            if sel.select(timeout=left):
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                assert chunk, f"seedsim ended before {text!r}:\n{self.out.decode()}\n{self.proc.stderr.read().decode()}"
                self.out += chunk
        return self.out.decode()

    def interrupt(self, timeout: float = 10) -> tuple[int, float, str]:
        """Ctrl-C: the exit code, how long it took to end, and stderr."""
        started = time.monotonic()
        self.proc.send_signal(signal.SIGINT)
        code = self.proc.wait(timeout=timeout)
        return code, time.monotonic() - started, self.proc.stderr.read().decode()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            stream.close()


def ctrl_c_once(appears: str, *args: str) -> tuple[int, float, str]:
    """Start ``seedsim <args>``, press Ctrl-C once ``appears`` is on stdout: exit code, time to end, stderr."""
    run = Running(*args)
    try:
        run.wait_for(appears)
        return run.interrupt()
    finally:
        run.stop()
