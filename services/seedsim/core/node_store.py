"""The tables every node keeps besides handled ids and the outbox: the log of messages it sent and received.

An acknowledgement is matched to what the node sent through this log (which
gives the latency of the round trip), and ``GET /messages`` reads it. Customs
and agency nodes keep it the same way, so anything that sends on a node's
behalf (the Utility Block player) can log through either. The ``messages``
table's schema and every query on it are here.

Each row keeps the message's XML as it went out or came in (``payload``), which
``GET /messages/{id}`` returns. A database written by a version that did not
keep payloads gets the column when it is opened; its old rows have none.

A message sent also keeps the Utility Blocks whose conversations it belongs to (``ubs``,
comma-separated, as its ``ce_seedsimubs`` said), so that the acknowledgement's interop record
names them whatever the receiver sent back; and the types a node exchanged with a neighbour about
a consignment tell which conversations that consignment had at the node
(:meth:`NodeStore.exchanged_types`). A database from before gets the column when opened.

The log is kept for a retention (:mod:`seedsim.core.retention`): :meth:`NodeStore.purge_messages` deletes
older rows in batches, except a message sent that still awaits its acknowledgement, which is kept up to a
longer limit (the idempotency window), so that a late acknowledgement is still matched to it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from seedsim.core.sqlite_store import SqliteStore, Tx

MESSAGES_SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    message_id TEXT NOT NULL,
    direction TEXT NOT NULL,      -- in | out
    type TEXT,
    peer TEXT,
    ucr TEXT,
    trigger TEXT,
    result TEXT,
    at TEXT NOT NULL,
    acked_at TEXT,
    payload BLOB,                 -- the XML as sent or received
    ubs TEXT,                     -- the Utility Blocks it belongs to, comma-separated
    PRIMARY KEY (message_id, direction)
);
CREATE INDEX IF NOT EXISTS messages_ucr ON messages(ucr);
-- GET /messages lists the newest first; the retention's purge deletes by age
CREATE INDEX IF NOT EXISTS messages_at ON messages(at);
"""

#: the columns GET /messages and a consignment's story show (the payload is fetched one message at a time)
LISTED = "message_id, direction, type, peer, ucr, trigger, result, at, acked_at"


class NodeStore(SqliteStore):
    """A node's store: the core tables plus the message log; subclasses add theirs in ``EXTRA_SCHEMA``."""

    EXTRA_SCHEMA = ""

    def __init_subclass__(cls, **kw: object) -> None:
        super().__init_subclass__(**kw)
        cls.SCHEMA = MESSAGES_SCHEMA + cls.EXTRA_SCHEMA

    SCHEMA = MESSAGES_SCHEMA

    def _open(self) -> None:
        super()._open()
        assert self._conn is not None
        columns = {row["name"] for row in self._conn.execute("PRAGMA table_info(messages)")}
        if "payload" not in columns:  # a database from a version that did not keep payloads
            self._conn.execute("ALTER TABLE messages ADD COLUMN payload BLOB")
        if "ubs" not in columns:  # a database from a version that did not keep them
            self._conn.execute("ALTER TABLE messages ADD COLUMN ubs TEXT")

    async def purge_messages(self, before: str, awaiting_before: str, unanswered: Sequence[str], batch: int) -> int:
        """Delete the messages logged before ``before`` (ISO 8601, UTC), but keep a message sent and not yet
        acknowledged, of a type that is acknowledged (not in ``unanswered``), until ``awaiting_before``: its
        acknowledgement may still come. How many rows went."""
        marks = ",".join("?" * len(unanswered)) or "NULL"
        sql = (
            "DELETE FROM messages WHERE rowid IN (SELECT rowid FROM messages WHERE at < ? AND NOT ("
            f"direction = 'out' AND acked_at IS NULL AND COALESCE(type, '') NOT IN ({marks}) AND at >= ?) LIMIT ?)"
        )
        return await self.delete_in_batches(sql, (before, *unanswered, awaiting_before), batch)

    @staticmethod
    def log_message(
        tx: Tx,
        message_id: str,
        direction: str,
        type_: str | None,
        peer: str | None,
        ucr: str | None,
        trigger: str | None,
        result: str | None,
        at: str,
        payload: bytes | None = None,
        ubs: Sequence[str] = (),
    ) -> None:
        tx.execute(
            "INSERT OR REPLACE INTO messages(message_id, direction, type, peer, ucr, trigger, result, at, payload, ubs)"
            " VALUES (?,?,?,?,?,?,?,?,?,?)",
            (message_id, direction, type_, peer, ucr, trigger, result, at, payload, ",".join(ubs) or None),
        )

    @staticmethod
    def sent_message(tx: Tx, message_id: str | None) -> dict[str, Any] | None:
        """The message this node sent with ``message_id``: what an acknowledgement answers (``ubs``: the Utility
        Blocks it belongs to, a list)."""
        row = tx.execute(
            f"SELECT {LISTED}, ubs FROM messages WHERE message_id = ? AND direction = 'out'", (message_id,)
        ).fetchone()
        return {**dict(row), "ubs": (row["ubs"] or "").split(",") if row["ubs"] else []} if row is not None else None

    @staticmethod
    def exchanged_types(tx: Tx, ucr: str, peer: str) -> set[str]:
        """The types of the messages this node sent to or received from ``peer`` about consignment ``ucr``."""
        rows = tx.execute("SELECT DISTINCT type FROM messages WHERE ucr = ? AND peer = ?", (ucr, peer))
        return {r[0] for r in rows if r[0]}

    @staticmethod
    def mark_acknowledged(tx: Tx, message_id: str | None, positive: bool, at: str) -> None:
        """A sent message was acknowledged (``acked``) or refused (``nacked``) by its recipient at ``at``."""
        tx.execute(
            "UPDATE messages SET result = ?, acked_at = ? WHERE message_id = ? AND direction = 'out'",
            ("acked" if positive else "nacked", at, message_id),
        )

    @staticmethod
    def messages(conn: sqlite3.Connection, consignment: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """The latest ``limit`` messages sent and received, newest first, of one consignment if given."""
        if consignment:
            cur = conn.execute(
                f"SELECT {LISTED} FROM messages WHERE ucr = ? ORDER BY at DESC LIMIT ?", (consignment, limit)
            )
        else:
            cur = conn.execute(f"SELECT {LISTED} FROM messages ORDER BY at DESC LIMIT ?", (limit,))
        return [dict(r) for r in cur]

    @staticmethod
    def messages_for(conn: sqlite3.Connection, ucr: str) -> list[dict[str, Any]]:
        """A consignment's messages, oldest first: its story at this node."""
        return [dict(r) for r in conn.execute(f"SELECT {LISTED} FROM messages WHERE ucr = ? ORDER BY at", (ucr,))]

    @staticmethod
    def message_payload(conn: sqlite3.Connection, message_id: str) -> dict[str, Any] | None:
        """The message ``message_id`` with its XML (``payload``; None if an older version logged it); a message
        this node sent is preferred to one it received under the same id."""
        row = conn.execute(
            f"SELECT {LISTED}, payload FROM messages WHERE message_id = ? ORDER BY direction = 'out' DESC LIMIT 1",
            (message_id,),
        ).fetchone()
        return dict(row) if row is not None else None
