"""Ctrl-C ends any command at once: one line on stderr, exit code 130, no traceback.

Python's own Ctrl-C raises ``KeyboardInterrupt`` wherever the program happens
to be, and asyncio turns the first one into a cancellation that then waits for
every worker thread -- including one blocked reading the workshop's "press
Enter" prompt, which never returns: the first Ctrl-C seemed ignored and the
second printed chained tracebacks. So while a command runs, SIGINT has its own
handler here: it flushes what was printed, says it stopped, removes the
command's temporary files and ends the process (``os._exit``), whatever the
command was doing.

The node servers keep their graceful stop: uvicorn takes SIGINT over while it
serves, closes the node, then raises the signal again, which lands here.

Everything temporary a command makes (the demo's and the scenarios' node
databases) goes in one folder, which is removed on the way out, Ctrl-C or not.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

#: what a command interrupted by Ctrl-C prints (and its exit code, 128 + SIGINT, as shells report it)
INTERRUPTED = "seedsim: interrupted (Ctrl-C)"
INTERRUPTED_EXIT = 130

_SHOW_CURSOR = b"\x1b[?25h"  # a progress bar hides it while it draws


def _isatty(fd: int) -> bool:
    try:
        return os.isatty(fd)
    except OSError:
        return False


def _end_worker_processes() -> None:
    """validate's worker processes end with the command (a Ctrl-C sent to it alone would leave them waiting)."""
    mp = sys.modules.get("multiprocessing")
    if mp is None:
        return
    for child in mp.active_children():
        try:
            child.kill()
        except Exception:  # already gone
            pass


@contextmanager
def ended_by_ctrl_c() -> Iterator[None]:
    """While the block runs, Ctrl-C (SIGINT) ends the process at once with one line and exit code 130."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signals are the main thread's: a command run from another thread keeps Python's handling
        return
    scratch = tempfile.mkdtemp(prefix="seedsim-")
    saved_tempdir = tempfile.tempdir
    ours = os.getpid()

    def on_sigint(signum: int, frame: FrameType | None) -> None:
        if os.getpid() != ours:  # a worker process (validate's pool) got the terminal's Ctrl-C too: the command speaks
            os._exit(INTERRUPTED_EXIT)
        try:
            sys.stdout.flush()
        except Exception:  # the interrupted code may be inside a write, or stdout may be a closed pipe
            pass
        if _isatty(1):
            os.write(1, _SHOW_CURSOR)
        # the terminal echoed ^C on the current line: start a new one there
        os.write(2, (("\n" if _isatty(2) else "") + INTERRUPTED + "\n").encode())
        _end_worker_processes()
        shutil.rmtree(scratch, ignore_errors=True)
        os._exit(INTERRUPTED_EXIT)

    previous = signal.signal(signal.SIGINT, on_sigint)
    tempfile.tempdir = scratch
    try:
        yield
    finally:
        tempfile.tempdir = saved_tempdir
        signal.signal(signal.SIGINT, previous)
        shutil.rmtree(scratch, ignore_errors=True)
