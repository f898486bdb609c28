"""What a command prints, and how: for a person at a terminal, or for a program reading a pipe.

On a terminal, lines may be styled (rich) and long work shows a progress bar;
in a pipe or a log, output is plain lines and progress is a line every second,
so ``grep`` and CI logs read it as it is, and nothing stays silent for long.

Output ends quietly when its reader stops reading, as ``git log | head`` does:
the first line that finds stdout closed stops the command. A command running
on the event loop (:meth:`Terminal.run`) is cancelled, so it stops at once and
closes its nodes on the way out, instead of playing on into a closed pipe;
any other command ends with :class:`OutputClosed`, which :func:`seedsim.cli.main`
turns into a quiet exit.

Errors a user can act on are one line on stderr. Problems the event loop
reports in the background (a task that failed while the command was being
stopped) are one line too, and their traceback is shown only with ``-v``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

if TYPE_CHECKING:
    from rich.console import Console

T = TypeVar("T")

#: what a progress hook is called with: (done, total)
ProgressHook = Callable[[int, int], None]

#: the exit code of a command whose reader went away (128 + SIGPIPE, as a shell reports ``git log | head``)
OUTPUT_CLOSED_EXIT = 141

log = logging.getLogger("seedsim.cli")


class OutputClosed(Exception):
    """Whoever read the command's output stopped reading: the command ends quietly."""


def is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a replaced or closed stream
        return False


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so what is still buffered (and the interpreter's last flush) goes nowhere quietly."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # not a file descriptor (e.g. captured by a test)
        pass


class Terminal:
    """The command's stdout and stderr, and the event loop it runs on (one per ``seedsim`` invocation)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.closed = False
        self.verbose = False
        self._task: asyncio.Task[Any] | None = None
        self._consoles: dict[int, Console] = {}

    # -- settings ------------------------------------------------------------------------------

    def set_verbose(self, verbose: bool) -> None:
        """``-v`` before or after the sub-command: either turns logging up to INFO."""
        self.verbose = self.verbose or verbose
        root = logging.getLogger()
        if not root.handlers:
            logging.basicConfig(stream=sys.stderr, format="%(asctime)s %(name)s %(levelname)s %(message)s")
        root.setLevel(logging.INFO if self.verbose else logging.WARNING)

    # -- output --------------------------------------------------------------------------------

    def console(self, stream: TextIO) -> Console:
        """A rich console on ``stream`` (styles on a terminal only; lines never re-wrapped)."""
        from rich.console import Console  # with its progress bars, only where a terminal is drawn on

        console = self._consoles.get(id(stream))
        if console is None or console.file is not stream:
            console = self._consoles[id(stream)] = Console(file=stream, highlight=False, soft_wrap=True)
        return console

    def line(self, text: str = "", style: str | None = None) -> None:
        """One line on stdout, flushed at once (a reader sees it now, and a closed pipe is noticed now)."""
        if self.closed:
            return
        out = sys.stdout
        try:
            if style and is_terminal(out):
                self.console(out).print(text, style=style, markup=False)
            else:
                out.write(text + "\n")
            out.flush()
        except BrokenPipeError:
            self.output_closed()

    def mark_closed(self) -> None:
        """Stdout's reader has gone: nothing more is written."""
        self.closed = True
        _silence_stdout()

    def output_closed(self) -> None:
        """Stdout's reader has gone: stop the running command, or end this one."""
        self.mark_closed()
        if self._task is not None and not self._task.done():
            self._task.cancel()  # the command stops at its next await and closes what it opened
            return
        raise OutputClosed

    def error(self, text: str) -> None:
        """A problem the user can act on: one line on stderr."""
        err = sys.stderr
        if is_terminal(err):
            console = self.console(err)
            console.print("Error:", style="bold red", end=" ")
            console.print(text, markup=False)
        else:
            err.write(f"Error: {text}\n")
            err.flush()

    def note(self, text: str) -> None:
        """A remark on stderr (the report on stdout stays clean for programs)."""
        sys.stderr.write(text + "\n")
        sys.stderr.flush()

    # -- the event loop ------------------------------------------------------------------------

    def run(self, main: Callable[[], Coroutine[Any, Any, T]]) -> T:
        """Run a command's coroutine; if stdout closes meanwhile, it is cancelled and :class:`OutputClosed` raised."""

        async def supervised() -> T:
            self._task = asyncio.current_task()
            asyncio.get_running_loop().set_exception_handler(self._loop_problem)
            try:
                return await main()
            finally:
                self._task = None

        try:
            return asyncio.run(supervised())
        except asyncio.CancelledError:
            if self.closed:
                raise OutputClosed from None
            raise

    def _loop_problem(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if self.closed:
            return  # the command was stopped because nobody reads it: nothing to say
        if self.verbose:
            loop.default_exception_handler(context)
            return
        exc = context.get("exception")
        log.warning("%s%s (run with -v for details)", context.get("message"), f": {exc!r}" if exc else "")

    # -- progress ------------------------------------------------------------------------------

    @contextmanager
    def progress(
        self, what: str, stream: TextIO | None = None, transient: bool = False, enabled: bool = True
    ) -> Iterator[ProgressHook]:
        """A progress hook ``(done, total)``: a bar on a terminal, else a plain line at most every second.

        ``stream`` is stdout by default; a command whose stdout is a report for programs passes stderr.
        """
        stream = stream or sys.stdout
        if not enabled:
            yield lambda done, total: None
        elif is_terminal(stream):
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            with Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=self.console(stream),
                transient=transient,
            ) as bar:
                task = bar.add_task(what, total=None)
                yield lambda done, total: bar.update(task, completed=done, total=total)
        else:
            yield _PlainProgress(what, self.line if stream is sys.stdout else self.note)


class _PlainProgress:
    """Progress as lines, for logs and pipes: one a second at most, and a last one once some were printed."""

    def __init__(self, what: str, emit: Callable[[str], None], every_s: float = 1.0):
        self.what, self.emit, self.every_s = what, emit, every_s
        self.started = self.last = time.monotonic()
        self.printed = False

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last >= self.every_s or (done >= total and self.printed):
            self.last, self.printed = now, True
            self.emit(f"  {self.what}: {done}/{total} ({now - self.started:.0f} s)")


#: the terminal of this invocation (reset by :func:`seedsim.cli.main`)
TERMINAL = Terminal()
