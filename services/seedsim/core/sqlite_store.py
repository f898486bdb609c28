"""SQLite persistence for a node: one file, one writer thread, one transaction per message.

A node's state and the record that a message was handled are written in one
transaction, together with the messages the handling produced (the outbox).
Those are sent after the commit; whatever a crash left unsent is sent again at
start. With de-duplication by message id at the receiver, a message's effects
are applied once however often it is delivered. The handled id keeps the
SHA-256 of the payload it came with, so the same id with another payload is
told apart from a redelivery.

A record the node could neither handle nor dead-letter, and an outbox row the
transport refuses for good (too large, a topic name it will not take), is
*parked*: moved to the ``parked`` table with the reason, so the inbox and the
outbox move on behind it and nothing is lost without a trace. Headers are kept
in the outbox and the parking table as they came, UTF-8 or not.

All database work runs on one dedicated thread, so the event loop never
blocks on disk, and transactions never interleave.

A node may run as several worker processes sharing the file (``seedsim node
--workers N``): WAL lets them read while one writes, a busy timeout makes a
writer wait for another's transaction instead of failing, and ``handled`` being
one table keeps idempotency by message id across workers. Each outbox row names
the worker that queued it (``owner``); a worker sends only its own rows, and
takes over those of a worker that is gone (:mod:`seedsim.core.worker_lease`).

Handled ids are kept for a retention (the idempotency window, :mod:`seedsim.core.retention`):
:meth:`SqliteStore.purge_handled` deletes older ones in batches, each batch its own transaction, so the
inbox's transactions go in between and a purge of millions of rows never holds the store for long.
"""

from __future__ import annotations

import asyncio
import base64
import json
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from seedsim.core.transport import Record
from seedsim.core.worker_lease import WorkerLease

T = TypeVar("T")

#: how long a transaction waits for another worker process's transaction on the same file, in ms
BUSY_TIMEOUT_MS = 30_000

CORE_SCHEMA = """
CREATE TABLE IF NOT EXISTS handled (
    message_id TEXT PRIMARY KEY,
    handled_at TEXT NOT NULL,
    outcome TEXT NOT NULL,
    digest TEXT                   -- SHA-256 of the payload handled under this id (NULL: not kept)
);
-- the idempotency window's purge deletes by age
CREATE INDEX IF NOT EXISTS handled_at ON handled(handled_at);
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    topic TEXT NOT NULL,
    key BLOB,
    value BLOB NOT NULL,
    headers TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS parked (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,           -- inbox: a record received; outbox: a record the transport refused
    topic TEXT NOT NULL,
    partition INTEGER,
    "offset" INTEGER,
    key BLOB,
    value BLOB NOT NULL,
    headers TEXT NOT NULL,
    reason TEXT NOT NULL,
    parked_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS write_probe (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL
);
"""


def headers_json(headers: Sequence[tuple[str, bytes]]) -> str:
    """Headers as JSON text: a UTF-8 value as text, any other as base64 with a third item ``"b64"``."""
    items: list[list[str]] = []
    for k, v in headers:
        try:
            items.append([k, bytes(v).decode()])
        except UnicodeDecodeError:
            items.append([k, base64.b64encode(v).decode("ascii"), "b64"])
    return json.dumps(items)


def headers_from_json(text: str) -> tuple[tuple[str, bytes], ...]:
    return tuple((h[0], base64.b64decode(h[1]) if len(h) > 2 else h[1].encode()) for h in json.loads(text))


class Tx:
    """What a unit of work sees: the connection, plus the outbox of this transaction."""

    def __init__(self, conn: sqlite3.Connection, owner: int = 0):
        self.conn = conn
        #: the worker process whose outbox rows this transaction queues
        self.owner = owner
        self.outbox: list[tuple[int, Record]] = []
        #: what the transaction gathered to send as few records at commit (:meth:`gather`), in order
        self.gathered: list[tuple[Callable[[list[Any]], list[Record]], Any]] = []

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    def already_handled(self, message_id: str) -> bool:
        return self.conn.execute("SELECT 1 FROM handled WHERE message_id = ?", (message_id,)).fetchone() is not None

    def handled(self, message_id: str) -> dict[str, Any] | None:
        """When and how ``message_id`` was handled, with its payload's digest (None: not handled)."""
        row = self.conn.execute(
            "SELECT handled_at, outcome, digest FROM handled WHERE message_id = ?", (message_id,)
        ).fetchone()
        return dict(row) if row is not None else None

    def mark_handled(self, message_id: str, outcome: str, at: str, digest: str | None = None) -> None:
        self.conn.execute(
            "INSERT INTO handled(message_id, handled_at, outcome, digest) VALUES (?, ?, ?, ?)",
            (message_id, at, outcome, digest),
        )

    def park(self, kind: str, record: Record, reason: str, at: str) -> None:
        """Keep ``record`` in the parking table: it could not be handled (``inbox``) or sent (``outbox``)."""
        self.conn.execute(
            'INSERT INTO parked(kind, topic, partition, "offset", key, value, headers, reason, parked_at) '
            "VALUES (?,?,?,?,?,?,?,?,?)",
            (
                kind,
                record.topic,
                record.partition,
                record.offset,
                record.key,
                record.value,
                headers_json(record.headers),
                reason,
                at,
            ),
        )

    def send(self, record: Record) -> None:
        headers = headers_json(record.headers)
        cur = self.conn.execute(
            "INSERT INTO outbox(topic, key, value, headers, owner) VALUES (?, ?, ?, ?, ?)",
            (record.topic, record.key, record.value, headers, self.owner),
        )
        assert cur.lastrowid is not None  # an INSERT always sets it
        self.outbox.append((cur.lastrowid, record))

    def gather(self, batch: Callable[[list[Any]], list[Record]], item: Any) -> None:
        """Queue ``item`` to be sent with what else this transaction gathers for ``batch`` (a hashable callable):
        at commit, ``batch`` makes them into records for the outbox, in one call. So a transaction's interop
        records travel as one batch record (:class:`seedsim.core.interop.InteropBatch`), not one record each."""
        self.gathered.append((batch, item))

    def send_gathered(self) -> None:
        """Put what the transaction gathered in the outbox (before it commits): one call of each batch."""
        groups: dict[Callable[[list[Any]], list[Record]], list[Any]] = {}
        for batch, item in self.gathered:
            groups.setdefault(batch, []).append(item)
        self.gathered = []
        for batch, items in groups.items():
            for record in batch(items):
                self.send(record)


def _row_record(row: sqlite3.Row) -> tuple[int, Record]:
    headers = headers_from_json(row["headers"])
    return row["seq"], Record(topic=row["topic"], key=row["key"], value=row["value"], headers=headers)


def _owned_outbox(conn: sqlite3.Connection) -> None:
    """Give the outbox its ``owner`` column (the worker that queued a row) in a database from before workers."""
    if "owner" not in {row["name"] for row in conn.execute("PRAGMA table_info(outbox)")}:
        conn.execute("ALTER TABLE outbox ADD COLUMN owner INTEGER NOT NULL DEFAULT 0")


class SqliteStore:
    """Base class: subclasses add their tables in ``SCHEMA``."""

    SCHEMA = ""
    #: the page size of a new database file, in bytes (None: SQLite's, 4096); a file keeps the size it was made with
    PAGE_SIZE: int | None = None
    #: the most the connection's page cache holds, in KiB (None: SQLite's, 2000 KiB)
    CACHE_KIB: int | None = None

    def __init__(self, path: str | Path):
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"sqlite:{Path(self.path).name}")
        self._conn: sqlite3.Connection | None = None
        #: which of the node's worker processes this store serves (0: the first, or the only one); None: a store
        #: that is not a node's (no worker lock is held, every outbox row is its own)
        self.worker: int | None = None
        self._lease: WorkerLease | None = None

    @property
    def owner(self) -> int:
        """The ``owner`` of the outbox rows this process queues and sends."""
        return self.worker or 0

    def _open(self) -> None:
        if self.worker is not None and self.path != ":memory:":
            self._lease = WorkerLease(self.path, self.worker)
            self._lease.hold()
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")  # first: the other workers may be writing
        if self.PAGE_SIZE is not None:  # before anything is written (and before WAL, which fixes the size)
            conn.execute(f"PRAGMA page_size={int(self.PAGE_SIZE)}")
        if self.CACHE_KIB is not None:
            conn.execute(f"PRAGMA cache_size=-{int(self.CACHE_KIB)}")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.executescript(CORE_SCHEMA + self.SCHEMA)
        if "digest" not in {row["name"] for row in conn.execute("PRAGMA table_info(handled)")}:
            conn.execute("ALTER TABLE handled ADD COLUMN digest TEXT")  # a database from before digests were kept
        _owned_outbox(conn)
        self._conn = conn

    async def open(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self._executor, self._open)

    async def close(self) -> None:
        def _close() -> None:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            if self._lease is not None:
                self._lease.release()
                self._lease = None

        await asyncio.get_running_loop().run_in_executor(self._executor, _close)
        self._executor.shutdown(wait=True)

    def _in_tx(self, fn: Callable[..., T], args: tuple[Any, ...]) -> tuple[T, list[tuple[int, Record]]]:
        assert self._conn is not None, "open() the store first"
        tx = Tx(self._conn, self.owner)
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            result = fn(tx, *args)
            tx.send_gathered()
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")
        return result, tx.outbox

    def _each_in_tx(
        self, fn: Callable[..., T], items: Sequence[Any], args: tuple[Any, ...]
    ) -> tuple[list[Any], list[tuple[int, Record]], list[Any]]:
        """One transaction for many units of work, in order, each inside a savepoint.

        At the first unit that raises, that unit is rolled back and the ones before
        it are committed; the failed unit and everything after it are returned, so
        the caller can deal with the failure before going on, keeping the order.
        """
        assert self._conn is not None, "open() the store first"
        tx = Tx(self._conn, self.owner)
        results: list[Any] = []
        rest: list[Any] = []
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            for i, item in enumerate(items):
                mark, gathered = len(tx.outbox), len(tx.gathered)
                self._conn.execute("SAVEPOINT unit")
                try:
                    results.append(fn(tx, item, *args))
                except Exception:
                    self._conn.execute("ROLLBACK TO unit")
                    self._conn.execute("RELEASE unit")
                    del tx.outbox[mark:]
                    del tx.gathered[gathered:]
                    rest = list(items[i:])
                    break
                self._conn.execute("RELEASE unit")
            tx.send_gathered()
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")
        return results, tx.outbox, rest

    async def transaction_each(
        self, fn: Callable[..., T], items: Sequence[Any], *args: Any
    ) -> tuple[list[Any], list[tuple[int, Record]], list[Any]]:
        """Run ``fn(tx, item, *args)`` for the items in one transaction; returns (results, outbox, the failed item and those after it)."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._each_in_tx, fn, items, args)

    async def transaction(self, fn: Callable[..., T], *args: Any) -> tuple[T, list[tuple[int, Record]]]:
        """Run ``fn(tx, *args)`` in one transaction; returns its result and the outbox it filled."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._in_tx, fn, args)

    def start_transaction(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[tuple[T, list[tuple[int, Record]]]]:
        """As :meth:`transaction`, handed to the store's thread at once: the caller goes on and awaits it later."""
        return asyncio.get_running_loop().run_in_executor(self._executor, self._in_tx, fn, args)

    async def read(self, fn: Callable[..., T], *args: Any) -> T:
        def _read() -> T:
            assert self._conn is not None, "open() the store first"
            return fn(self._conn, *args)

        return await asyncio.get_running_loop().run_in_executor(self._executor, _read)

    async def in_batches(self, fn: Callable[[Tx, int], int], batch: int) -> int:
        """Run ``fn(tx, batch)``, which deletes at most ``batch`` rows and says how many, until it deletes fewer:
        one transaction per run, so other work on the store goes in between. How many went in all."""
        total = 0
        while True:
            deleted, _ = await self.transaction(fn, batch)
            total += deleted
            if deleted < batch:
                return total

    async def delete_in_batches(self, sql: str, params: Sequence[Any], batch: int) -> int:
        """Run ``sql``, a DELETE whose last parameter is how many rows one run deletes at most, in batches
        (:meth:`in_batches`). How many rows went."""

        def _delete(tx: Tx, most: int) -> int:
            return int(tx.execute(sql, (*params, most)).rowcount)

        return await self.in_batches(_delete, batch)

    async def purge_handled(self, before: str, batch: int) -> int:
        """Forget the ids handled before ``before`` (ISO 8601, UTC): a redelivery of one is handled again. How many."""
        return await self.delete_in_batches(
            "DELETE FROM handled WHERE rowid IN (SELECT rowid FROM handled WHERE handled_at < ? LIMIT ?)",
            (before,),
            batch,
        )

    async def unsent(self) -> list[tuple[int, Record]]:
        """This worker's outbox rows, with those of workers that are gone (taken over): what it must send."""
        await self.take_over()
        return await self.read(
            lambda c: [
                _row_record(r) for r in c.execute("SELECT * FROM outbox WHERE owner = ? ORDER BY seq", (self.owner,))
            ]
        )

    async def take_over(self) -> list[tuple[int, Record]]:
        """Make this worker the owner of the outbox rows of workers that are not running, and return those rows.

        A row of a live worker is left alone: that worker sends it (sending it here too would make the receiver
        see a duplicate). The dead worker's lock is held while its rows move, so a restart of it waits."""

        def _take(conn: sqlite3.Connection) -> list[tuple[int, Record]]:
            if self._lease is None:
                return []
            owners = [r[0] for r in conn.execute("SELECT DISTINCT owner FROM outbox WHERE owner != ?", (self.owner,))]
            taken: list[tuple[int, Record]] = []
            for other in owners:
                with self._lease.if_gone(other) as gone:
                    if not gone:
                        continue
                    conn.execute("BEGIN IMMEDIATE")
                    try:
                        rows = conn.execute("SELECT * FROM outbox WHERE owner = ? ORDER BY seq", (other,)).fetchall()
                        conn.execute("UPDATE outbox SET owner = ? WHERE owner = ?", (self.owner, other))
                    except BaseException:
                        conn.execute("ROLLBACK")
                        raise
                    conn.execute("COMMIT")
                    taken.extend(_row_record(r) for r in rows)
            return sorted(taken, key=lambda row: row[0])

        return await self.read(_take)

    async def probe_write(self, at: str) -> None:
        """Write one row and commit: raises when the database cannot be written (read-only, full, locked)."""

        def _probe(tx: Tx) -> None:
            tx.execute("INSERT OR REPLACE INTO write_probe(id, at) VALUES (1, ?)", (at,))

        await self.transaction(_probe)

    async def park_outbox(self, rows: Sequence[tuple[int, Record, str]], at: str) -> None:
        """Move outbox rows (seq, record, why) the transport refused for good to the parking table."""

        def _move(tx: Tx) -> None:
            for seq, record, why in rows:
                tx.park("outbox", record, why, at)
                tx.execute("DELETE FROM outbox WHERE seq = ?", (seq,))

        await self.transaction(_move)

    async def parked(self) -> list[dict[str, Any]]:
        """The parked records, oldest first (without their values)."""
        return await self.read(
            lambda c: [
                dict(r)
                for r in c.execute(
                    'SELECT seq, kind, topic, partition, "offset", length(value) AS bytes, reason, parked_at '
                    "FROM parked ORDER BY seq"
                )
            ]
        )

    async def parked_counts(self) -> dict[str, int]:
        """How many records the parking table holds, by kind (``inbox``, ``outbox``)."""
        return await self.read(
            lambda c: {r[0]: r[1] for r in c.execute("SELECT kind, count(*) FROM parked GROUP BY kind")}
        )

    async def mark_sent(self, seqs: Sequence[int]) -> None:
        """Forget outbox rows the transport confirmed: the outbox holds only what is still to send."""
        if not seqs:
            return

        def _forget(tx: Tx) -> None:
            tx.conn.executemany("DELETE FROM outbox WHERE seq = ?", [(s,) for s in seqs])

        await self.transaction(_forget)
