"""The outbox of a node run as several worker processes (``seedsim node --workers``): each worker sends only its
own rows, and a worker's rows are taken over once that worker is gone (killed), never while it lives."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from seedsim.core.sqlite_store import SqliteStore
from seedsim.core.worker_lease import WorkerLease, WorkerRunning

#: worker 1 of a node: queues one outbox row and never sends it, then waits to be killed
WORKER_1 = """
import asyncio, sys
from seedsim.core.sqlite_store import SqliteStore
from seedsim.core.transport import Record

async def main():
    store = SqliteStore(sys.argv[1])
    store.worker = 1
    await store.open()
    await store.transaction(lambda tx: tx.send(Record(topic="seedsim.inbox.me", key=b"UCR-1", value=b"left unsent")))
    print("queued", flush=True)
    await asyncio.sleep(600)

asyncio.run(main())
"""


async def test_a_live_workers_rows_are_left_to_it_and_a_killed_workers_are_taken_over(tmp_path):
    db = tmp_path / "me.sqlite3"
    other = subprocess.Popen([sys.executable, "-c", WORKER_1, str(db)], stdout=subprocess.PIPE, text=True)
    store = SqliteStore(db)
    try:
        assert other.stdout is not None and other.stdout.readline().strip() == "queued"
        store.worker = 0
        await store.open()
        # worker 1 lives: its row is its own to send; worker 0 neither sends nor takes it
        assert await store.unsent() == []
        assert await store.take_over() == []
        # nobody else can start as worker 1 while it runs
        with pytest.raises(WorkerRunning, match="worker 1 of the node on .* is running already"):
            WorkerLease(db, 1).hold(wait_s=0.2)

        os.kill(other.pid, signal.SIGKILL)
        other.wait(timeout=10)
        taken = await store.take_over()
        assert [(r.topic, r.key, r.value) for _seq, r in taken] == [("seedsim.inbox.me", b"UCR-1", b"left unsent")]
        assert await store.take_over() == []  # taken once
        assert [seq for seq, _ in await store.unsent()] == [seq for seq, _ in taken]  # worker 0's now
        lease = WorkerLease(db, 1)  # worker 1 may start again: its rows are gone to worker 0
        lease.hold(wait_s=0.2)
        lease.release()
    finally:
        if other.poll() is None:
            other.kill()
        await store.close()


async def test_a_store_that_is_no_nodes_worker_holds_no_lock_and_sends_every_row(tmp_path):
    db = tmp_path / "monitor.sqlite3"
    store = SqliteStore(db)  # a monitor's store: no worker
    await store.open()
    try:
        await store.transaction(lambda tx: tx.execute("SELECT 1"))
        assert not list(tmp_path.glob("*.lock"))
        assert await store.take_over() == []
    finally:
        await store.close()
