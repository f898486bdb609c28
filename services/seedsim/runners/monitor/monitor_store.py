"""The monitor's own SQLite file: every record it read, once, so a restart loses nothing.

Each record is stored under a key that is the same however often it is delivered: an interop
record by its id, a dead letter by its message id (or, without an envelope, its original
position), a message as received by its message id. A batch first looks up which of its keys are
stored already (one query), then inserts the others: a redelivered record (a restart before the
offset was committed, an outbox that published twice) is not stored again, and the caller learns
which records were new, so the aggregate counts each once. A batch is one
transaction, written before the transport commits the batch's offsets.

The lookup goes through an index of the CRC-32 of the key (:func:`key_hash`), not of the key
itself, and the key is no longer a UNIQUE column. A record's ids are random, so each new record
lands on a random page of that index, and every page a transaction changes is written whole (to
the WAL, then to the file): an entry of 4 bytes instead of 32 characters makes that index a
third of the size, and pages of 32 KiB (:attr:`MonitorStore.PAGE_SIZE`) make it few pages. Two
keys with the same CRC are both stored: the lookup compares the keys themselves. A store of the
layout before (its key a TEXT UNIQUE column) is migrated when opened.

Records are kept as they came (topic, value, headers), and decoded again through
:mod:`.monitored_records` when read back: the store knows no wire format. Payloads of messages are
cut at ``MAX_PAYLOAD``. Retention deletes what is older than a given age (by the record's time).
All SQL of the monitor is in this module.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import zlib
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, NamedTuple

from seedsim.core.sqlite_store import SqliteStore, Tx
from seedsim.core.transport import Record

TABLE = """
CREATE TABLE IF NOT EXISTS monitored (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    h INTEGER NOT NULL, -- key_hash(key): what the duplicate check looks up
    key TEXT NOT NULL,
    kind TEXT NOT NULL,
    stage TEXT,
    consignment TEXT,
    at REAL NOT NULL,
    topic TEXT NOT NULL,
    value BLOB NOT NULL,
    headers TEXT NOT NULL,
    truncated INTEGER NOT NULL DEFAULT 0
)"""
INDEXES = (
    "CREATE INDEX IF NOT EXISTS monitored_consignment ON monitored(consignment)",
    # only the few records the alert and dead-letter lists select: every index costs each insert
    "CREATE INDEX IF NOT EXISTS monitored_notable ON monitored(stage, at)"
    " WHERE stage IN ('alert', 'risk_alert', 'dead_lettered') OR kind = 'dead_letter'",
)
#: made once a store of the layout before ``h`` is migrated (see :meth:`MonitorStore._open`)
KEY_INDEX = "CREATE INDEX IF NOT EXISTS monitored_h ON monitored(h)"
SCHEMA = ";\n".join((TABLE, *INDEXES)) + ";\n"

INTEROP, DEAD_LETTER, RECEIVED = "interop", "dead_letter", "received"


class StoredRecord(NamedTuple):
    """One record to keep: its key, what it is, and the columns the queries select on (a tuple: one is made for
    every record read)."""

    key: str
    kind: str
    stage: str | None
    consignment: str | None
    at: float
    record: Record
    truncated: bool = False
    #: what the record was decoded as (so that the caller does not decode it twice); not stored
    decoded: Any = None
    #: the value stored, when it is not ``record``'s: an interop record's own line of the batch ``record`` is
    value: bytes | None = None

    @property
    def stored_value(self) -> bytes:
        """The value the store keeps (and reads back as this record alone)."""
        return self.record.value if self.value is None else self.value


def key_hash(key: str) -> int:
    """The CRC-32 of a record's key, the same in every process, as a signed 32-bit integer (which SQLite stores in
    four bytes). Keys that share it are told apart by the lookup, which compares the keys themselves."""
    return zlib.crc32(key.encode()) - 0x80000000


def _migrate(conn: sqlite3.Connection) -> None:
    """A store of the layout before ``h`` (its key a UNIQUE text column): its rows copied, in order, into the
    current layout, in one transaction."""
    conn.create_function("key_hash", 1, key_hash, deterministic=True)
    columns = _COLUMNS.removeprefix("h, ")
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("ALTER TABLE monitored RENAME TO monitored_before_h")
        conn.execute(TABLE)
        conn.execute(
            f"INSERT INTO monitored(seq, {_COLUMNS}) SELECT seq, key_hash(key), {columns}"
            " FROM monitored_before_h ORDER BY seq"
        )
        conn.execute("DROP TABLE monitored_before_h")  # and its indexes, made again on the new table
        for index in INDEXES:
            conn.execute(index)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _row(row: sqlite3.Row) -> tuple[str, Record, bool]:
    headers = tuple((k, v.encode("latin-1")) for k, v in json.loads(row["headers"]))
    return row["kind"], Record(topic=row["topic"], value=row["value"], headers=headers), bool(row["truncated"])


#: the most records looked up in one SELECT and inserted in one INSERT (5,000 variables: SQLite's limit is far
#: above): one statement, one step, rather than a step (and a return to Python) per row as with executemany
CHUNK_ROWS = 500
_COLUMNS = "h, key, kind, stage, consignment, at, topic, value, headers, truncated"


@lru_cache(maxsize=8)
def _insert(rows: int) -> str:
    values = ",".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"] * rows)
    return f"INSERT INTO monitored({_COLUMNS}) VALUES {values}"


@lru_cache(maxsize=8)
def _lookup(keys: int) -> str:
    return f"SELECT key FROM monitored WHERE h IN ({','.join('?' * keys)})"


def _columns(it: StoredRecord) -> tuple[Any, ...]:
    headers = json.dumps([[k, v.decode("latin-1")] for k, v in it.record.headers]) if it.record.headers else "[]"
    return (
        key_hash(it.key),
        it.key,
        it.kind,
        it.stage,
        it.consignment,
        it.at,
        it.record.topic,
        it.stored_value,
        headers,
        int(it.truncated),
    )


class _Chunk(NamedTuple):
    items: list[StoredRecord]  # distinct keys
    hashes: list[int]
    params: list[Any]  # the rows of all of them, one after the other


def _prepared(items: Sequence[StoredRecord]) -> _Chunk:
    distinct: dict[str, StoredRecord] = {}
    for it in items:
        distinct.setdefault(it.key, it)
    chunk = _Chunk(list(distinct.values()), [], [])
    for it in chunk.items:
        row = _columns(it)
        chunk.hashes.append(row[0])
        chunk.params.extend(row)
    return chunk


def _stored(tx: Tx, chunk: _Chunk) -> list[StoredRecord]:
    """Insert the records of ``chunk`` not stored already; those."""
    if not chunk.items:
        return []
    items, params = chunk.items, chunk.params
    # every stored key of these hashes: a key that only shares its hash with a stored one is new
    found = {r[0] for r in tx.execute(_lookup(len(chunk.hashes)), chunk.hashes)}
    if found:
        items = [it for it in items if it.key not in found]
        params = [v for it in items for v in _columns(it)]
    if items:
        tx.execute(_insert(len(items)), params)
    return items


class Adding(NamedTuple):
    """A batch on its way into the store (see :meth:`MonitorStore.adding`)."""

    #: the records that were not stored before, in order, once inserted (the transaction not yet committed)
    inserted: asyncio.Future[list[StoredRecord]]
    #: the same, once committed; what the transaction raised if it rolled back
    committed: asyncio.Future[list[StoredRecord]]


class MonitorStore(SqliteStore):
    SCHEMA = SCHEMA
    #: pages of 32 KiB: the keys of a batch land on random pages of the key index, and each page a transaction
    #: changes is written whole, so the fewer the pages of the index, the fewer the writes (measured, storing
    #: 230,000 records: about a quarter less time per record than pages of 4 KiB; 64 KiB did no better)
    PAGE_SIZE = 32768
    #: at most 16 MiB of pages in memory: the key index of about 1.3 million records (12 bytes an entry) and the
    #: pages being written, so that a lookup seldom reads a page from the file
    CACHE_KIB = 16384

    def _open(self) -> None:
        super()._open()
        assert self._conn is not None
        if "h" not in {r["name"] for r in self._conn.execute("PRAGMA table_info(monitored)")}:
            _migrate(self._conn)
        self._conn.execute(KEY_INDEX)

    def adding(self, items: Sequence[StoredRecord]) -> Adding:
        """Store ``items`` in one transaction, on the store's thread, started now.

        :attr:`Adding.inserted` is resolved as soon as the new records are inserted, before the commit: the caller
        counts them while the store's thread commits (SQLite releases the GIL meanwhile), then awaits
        :attr:`Adding.committed`. Should the commit fail, what was counted is not stored: the caller counts again
        from the store."""
        loop = asyncio.get_running_loop()
        inserted: asyncio.Future[list[StoredRecord]] = loop.create_future()
        # the rows are made here, on the caller's thread: the store's thread only runs SQL
        chunks = [_prepared(items[start : start + CHUNK_ROWS]) for start in range(0, len(items), CHUNK_ROWS)]

        def _tell(new: list[StoredRecord] | None, error: BaseException | None) -> None:
            if inserted.done():  # the caller stopped waiting
                return
            if error is None:
                inserted.set_result(new or [])
            else:
                inserted.set_exception(error)

        def _told(new: list[StoredRecord] | None, error: BaseException | None) -> None:
            try:
                loop.call_soon_threadsafe(_tell, new, error)
            except RuntimeError:  # the event loop is closed: nobody is waiting to count
                pass

        def _add(tx: Tx) -> list[StoredRecord]:
            new: list[StoredRecord] = []
            try:
                for chunk in chunks:
                    new += _stored(tx, chunk)
            except BaseException as exc:
                _told(None, exc)
                raise
            _told(new, None)
            return new

        committed = self.start_transaction(_add)
        return Adding(inserted, asyncio.ensure_future(_first(committed)))

    async def add_batch(self, items: Sequence[StoredRecord]) -> list[StoredRecord]:
        """Store ``items`` in one transaction; the ones that were not stored before, in order."""
        return await self.adding(items).committed

    async def interop_after(self, seq: int, limit: int) -> list[tuple[int, Record]]:
        """Interop records stored after ``seq``, in the order they were stored (to rebuild the aggregate)."""

        def _read(conn: sqlite3.Connection) -> list[tuple[int, Record]]:
            rows = conn.execute(
                "SELECT * FROM monitored WHERE kind = ? AND seq > ? ORDER BY seq LIMIT ?", (INTEROP, seq, limit)
            ).fetchall()
            return [(r["seq"], _row(r)[1]) for r in rows]

        return await self.read(_read)

    async def of_consignment(self, consignment: str) -> list[tuple[str, Record, bool]]:
        """Everything stored about one consignment, in the order it was stored: (kind, record, truncated)."""

        def _read(conn: sqlite3.Connection) -> list[tuple[str, Record, bool]]:
            rows = conn.execute("SELECT * FROM monitored WHERE consignment = ? ORDER BY at, seq", (consignment,))
            return [_row(r) for r in rows]

        return await self.read(_read)

    async def with_stages(self, stages: Sequence[str], limit: int) -> list[Record]:
        """The latest ``limit`` interop records of ``stages``, newest first."""

        def _read(conn: sqlite3.Connection) -> list[Record]:
            marks = ",".join("?" * len(stages))
            rows = conn.execute(
                f"SELECT * FROM monitored WHERE kind = ? AND stage IN ({marks}) ORDER BY at DESC, seq DESC LIMIT ?",
                (INTEROP, *stages, limit),
            )
            return [_row(r)[1] for r in rows]

        return await self.read(_read)

    async def dead_letter_copies(self, limit: int) -> list[tuple[Record, bool]]:
        def _read(conn: sqlite3.Connection) -> list[tuple[Record, bool]]:
            rows = conn.execute(
                "SELECT * FROM monitored WHERE kind = ? ORDER BY at DESC, seq DESC LIMIT ?", (DEAD_LETTER, limit)
            )
            return [(_row(r)[1], bool(r["truncated"])) for r in rows]

        return await self.read(_read)

    async def consignments(self, limit: int, offset: int = 0, search: str | None = None) -> list[dict[str, Any]]:
        """Consignments seen, latest first: how many records, the nodes' stages, first and last time."""

        def _read(conn: sqlite3.Connection) -> list[dict[str, Any]]:
            like = f"%{search}%" if search else "%"
            rows = conn.execute(
                "SELECT consignment, COUNT(*) AS records, MIN(at) AS first, MAX(at) AS last,"
                " GROUP_CONCAT(DISTINCT stage) AS stages FROM monitored"
                " WHERE kind = ? AND consignment IS NOT NULL AND consignment LIKE ?"
                " GROUP BY consignment ORDER BY MAX(at) DESC, consignment LIMIT ? OFFSET ?",
                (INTEROP, like, limit, offset),
            )
            return [{**dict(r), "stages": sorted((r["stages"] or "").split(","))} for r in rows]

        return await self.read(_read)

    async def counts(self) -> dict[str, int]:
        """How many records of each kind, and how many consignments."""

        def _read(conn: sqlite3.Connection) -> dict[str, int]:
            out = {kind: 0 for kind in (INTEROP, DEAD_LETTER, RECEIVED)}
            out.update({r[0]: r[1] for r in conn.execute("SELECT kind, COUNT(*) FROM monitored GROUP BY kind")})
            out["consignments"] = conn.execute(
                "SELECT COUNT(DISTINCT consignment) FROM monitored WHERE kind = ?", (INTEROP,)
            ).fetchone()[0]
            return out

        return await self.read(_read)

    async def delete_before(self, at: float) -> int:
        """Retention: delete what happened before ``at`` (epoch seconds); how many records went."""

        def _delete(tx: Tx) -> int:
            return tx.execute("DELETE FROM monitored WHERE at < ?", (at,)).rowcount

        return (await self.transaction(_delete))[0]


async def _first(done: asyncio.Future[tuple[Any, Any]]) -> Any:
    return (await done)[0]
