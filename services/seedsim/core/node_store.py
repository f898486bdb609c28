"""The tables every node keeps besides handled ids and the outbox: the log of messages it sent and received.

An acknowledgement is matched to what the node sent through this log (which
gives the latency of the round trip), and ``GET /messages`` reads it. Customs
and agency nodes keep it the same way, so anything that sends on a node's
behalf (the Utility Block player) can log through either. The ``messages``
table's schema and every query on it are here.
"""

from __future__ import annotations

import sqlite3
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
    PRIMARY KEY (message_id, direction)
);
CREATE INDEX IF NOT EXISTS messages_ucr ON messages(ucr);
"""


class NodeStore(SqliteStore):
    """A node's store: the core tables plus the message log; subclasses add theirs in ``EXTRA_SCHEMA``."""

    EXTRA_SCHEMA = ""

    def __init_subclass__(cls, **kw: object) -> None:
        super().__init_subclass__(**kw)
        cls.SCHEMA = MESSAGES_SCHEMA + cls.EXTRA_SCHEMA

    SCHEMA = MESSAGES_SCHEMA

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
    ) -> None:
        tx.execute(
            "INSERT OR REPLACE INTO messages(message_id, direction, type, peer, ucr, trigger, result, at) VALUES (?,?,?,?,?,?,?,?)",
            (message_id, direction, type_, peer, ucr, trigger, result, at),
        )

    @staticmethod
    def sent_message(tx: Tx, message_id: str | None) -> dict[str, Any] | None:
        """The message this node sent with ``message_id``: what an acknowledgement answers."""
        row = tx.execute("SELECT * FROM messages WHERE message_id = ? AND direction = 'out'", (message_id,)).fetchone()
        return dict(row) if row is not None else None

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
            cur = conn.execute("SELECT * FROM messages WHERE ucr = ? ORDER BY at DESC LIMIT ?", (consignment, limit))
        else:
            cur = conn.execute("SELECT * FROM messages ORDER BY at DESC LIMIT ?", (limit,))
        return [dict(r) for r in cur]

    @staticmethod
    def messages_for(conn: sqlite3.Connection, ucr: str) -> list[dict[str, Any]]:
        """A consignment's messages, oldest first: its story at this node."""
        return [dict(r) for r in conn.execute("SELECT * FROM messages WHERE ucr = ? ORDER BY at", (ucr,))]
