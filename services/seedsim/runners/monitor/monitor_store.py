"""The monitor's own SQLite file: every record it read, once, so a restart loses nothing.

Each record is stored under a key that is the same however often it is delivered: an interop
record by its id, a dead letter by its message id (or, without an envelope, its original
position), a message as received by its message id. A batch first looks up which of its keys are
stored already (one query), then inserts the others: a redelivered record (a restart before the
offset was committed, an outbox that published twice) is not stored again, and the caller learns
which records were new, so the aggregate counts each once. A batch is one
transaction, written before the transport commits the batch's offsets.

Records are kept as they came (topic, value, headers), and decoded again through
:mod:`.monitored_records` when read back: the store knows no wire format. Payloads of messages are
cut at ``MAX_PAYLOAD``. Retention deletes what is older than a given age (by the record's time).
All SQL of the monitor is in this module.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from seedsim.core.sqlite_store import SqliteStore, Tx
from seedsim.core.transport import Record

SCHEMA = """
CREATE TABLE IF NOT EXISTS monitored (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    stage TEXT,
    consignment TEXT,
    at REAL NOT NULL,
    topic TEXT NOT NULL,
    value BLOB NOT NULL,
    headers TEXT NOT NULL,
    truncated INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS monitored_consignment ON monitored(consignment);
-- only the few records the alert and dead-letter lists select: every index costs each insert
CREATE INDEX IF NOT EXISTS monitored_notable ON monitored(stage, at)
    WHERE stage IN ('alert', 'risk_alert', 'dead_lettered') OR kind = 'dead_letter';
"""

INTEROP, DEAD_LETTER, RECEIVED = "interop", "dead_letter", "received"


@dataclass(frozen=True)
class StoredRecord:
    """One record to keep: its key, what it is, and the columns the queries select on."""

    key: str
    kind: str
    stage: str | None
    consignment: str | None
    at: float
    record: Record
    truncated: bool = False
    #: what the record was decoded as (so that the caller does not decode it twice); not stored
    decoded: Any = field(default=None, compare=False, repr=False)


def _row(row: sqlite3.Row) -> tuple[str, Record, bool]:
    headers = tuple((k, v.encode("latin-1")) for k, v in json.loads(row["headers"]))
    return row["kind"], Record(topic=row["topic"], value=row["value"], headers=headers), bool(row["truncated"])


#: rows a single INSERT writes: one statement, one step, so the writer thread takes the GIL back once per
#: statement rather than once per row (with executemany it waited for the ingesting thread at every row)
ROWS_PER_INSERT = 500
_COLUMNS = "key, kind, stage, consignment, at, topic, value, headers, truncated"


@lru_cache(maxsize=8)
def _insert(rows: int) -> str:
    values = ",".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?)"] * rows)
    return f"INSERT INTO monitored({_COLUMNS}) VALUES {values}"


def _columns(it: StoredRecord) -> tuple[Any, ...]:
    headers = json.dumps([[k, v.decode("latin-1")] for k, v in it.record.headers]) if it.record.headers else "[]"
    return (
        it.key,
        it.kind,
        it.stage,
        it.consignment,
        it.at,
        it.record.topic,
        it.record.value,
        headers,
        int(it.truncated),
    )


class MonitorStore(SqliteStore):
    SCHEMA = SCHEMA

    async def add_batch(self, items: Sequence[StoredRecord]) -> list[StoredRecord]:
        """Store ``items`` in one transaction; the ones that were not stored before, in order."""

        def _add(tx: Tx) -> list[StoredRecord]:
            new: dict[str, StoredRecord] = {}
            for start in range(0, len(items), 500):  # SQLite's limit of variables per statement is well above 500
                chunk = items[start : start + 500]
                marks = ",".join("?" * len(chunk))
                found = {
                    r[0]
                    for r in tx.execute(f"SELECT key FROM monitored WHERE key IN ({marks})", [i.key for i in chunk])
                }
                for it in chunk:
                    if it.key not in found and it.key not in new:
                        new[it.key] = it
            rows = list(new.values())
            for start in range(0, len(rows), ROWS_PER_INSERT):
                chunk = rows[start : start + ROWS_PER_INSERT]
                tx.execute(_insert(len(chunk)), [v for it in chunk for v in _columns(it)])
            return rows

        return (await self.transaction(_add))[0]

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
