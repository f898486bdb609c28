"""The tables every node keeps besides handled ids and the outbox: the log of messages it sent and received.

An acknowledgement is matched to what the node sent through this log (which
gives the latency of the round trip), and ``GET /messages`` reads it. Customs
and agency nodes keep it the same way, so anything that sends on a node's
behalf (the Utility Block player) can log through either.
"""

from __future__ import annotations

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
