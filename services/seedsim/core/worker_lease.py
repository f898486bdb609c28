"""Which worker process of a node is alive: a lock file per worker, held for as long as the worker lives.

A node may run as several worker processes on one host (``seedsim node --workers N``), one consumer
group over its inbox partitions, all sharing the node's one SQLite file (WAL, with a busy timeout).
Every outbox row belongs to the worker that queued it; only that worker sends it, so two live workers
never both send a row (a receiver would see duplicates). A worker that dies leaves rows nobody sends:
another worker takes them over, but only once it is sure their owner is gone.

"Gone" is told by the kernel, not by a clock: worker *i* holds an exclusive ``flock`` on
``<db>.worker-<i>.lock`` from the moment it opens the store until it closes it, and the kernel drops
that lock when the process ends, however it ends (``kill -9`` included). Whoever can take the lock of
worker *i* knows *i* is not running, and holds it while it moves *i*'s rows to itself, so a restarted
*i* waits those milliseconds and then finds its rows taken. A clock lease would need its length tuned
against stalls (a paused process whose lease ran out would send alongside its successor); the lock
needs nothing. It holds on one host only, which SQLite in WAL mode needs anyway.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: how long a worker waits for its own lock (held briefly by another worker taking over its rows)
OWN_LOCK_WAIT_S = 10.0


class WorkerRunning(RuntimeError):
    """Another live process is this worker of this node already (it holds the worker's lock file)."""


def lock_path(db: str | Path, worker: int) -> Path:
    return Path(f"{db}.worker-{worker}.lock")


def _try_lock(path: Path) -> int | None:
    """An fd holding an exclusive lock on ``path``, or None when a live process holds it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def _unlock(fd: int) -> None:
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


class WorkerLease:
    """Worker ``worker`` of the node whose database is ``db``: :meth:`hold` while it runs, :meth:`release` at the end."""

    def __init__(self, db: str | Path, worker: int) -> None:
        self.db = db
        self.worker = worker
        self._fd: int | None = None

    def hold(self, wait_s: float = OWN_LOCK_WAIT_S) -> None:
        """Take this worker's lock; :class:`WorkerRunning` when another live process holds it after ``wait_s``."""
        path = lock_path(self.db, self.worker)
        deadline = time.monotonic() + wait_s
        while (fd := _try_lock(path)) is None:
            if time.monotonic() >= deadline:
                raise WorkerRunning(
                    f"worker {self.worker} of the node on {self.db} is running already ({path} is locked by a live "
                    "process): stop it, or start this one as another worker"
                )
            time.sleep(0.05)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            _unlock(self._fd)
            self._fd = None

    @contextmanager
    def if_gone(self, other: int) -> Iterator[bool]:
        """True, holding ``other``'s lock for the block, when worker ``other`` is not running; else False."""
        if other == self.worker:
            yield False
            return
        fd = _try_lock(lock_path(self.db, other))
        try:
            yield fd is not None
        finally:
            if fd is not None:
                _unlock(fd)
