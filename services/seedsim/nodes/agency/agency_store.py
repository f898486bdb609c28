"""An agency node's tables, on top of a node's store (handled ids, outbox, message log).

It owns what an agency keeps of its own trade: the certificates and carnets it
issued (``issued``: what it checks a query or a verification request against,
and what GET /issued/{ref} shows), what each ``POST /issue`` answered for a
consignment and recipient (``issue_requests``: a client's retry is answered from
it, issuing nothing again) and every document it received (``received``).
Every query on these tables is here, so the agency's handlers speak of what was
issued and received, not of SQL.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from seedsim.core.node_store import NodeStore
from seedsim.core.sqlite_store import Tx


class AgencyStore(NodeStore):
    EXTRA_SCHEMA = """
CREATE TABLE IF NOT EXISTS issued (
    ref TEXT PRIMARY KEY,         -- certificate or carnet number
    type TEXT NOT NULL,
    consignment TEXT,
    sent_to TEXT,
    data TEXT NOT NULL,           -- the model as JSON
    at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS issue_requests (
    sent_to TEXT NOT NULL,        -- the node the document was sent to ('' when nothing is sent: a TIR carnet)
    consignment TEXT NOT NULL,
    answer TEXT NOT NULL,         -- what the first request was answered, as JSON
    at TEXT NOT NULL,
    PRIMARY KEY (sent_to, consignment)
);
CREATE TABLE IF NOT EXISTS received (
    message_id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    sender TEXT NOT NULL,
    ucr TEXT,
    data TEXT NOT NULL,
    at TEXT NOT NULL
);
"""

    # Queries used inside transactions take a Tx; read helpers take a connection.

    @staticmethod
    def issued(tx: Tx | sqlite3.Connection, ref: str | None) -> dict[str, Any] | None:
        """The certificate or carnet this agency issued as ``ref``, if it did."""
        conn = tx.conn if isinstance(tx, Tx) else tx
        row = conn.execute("SELECT * FROM issued WHERE ref = ?", (ref,)).fetchone() if ref else None
        return dict(row) if row else None

    @staticmethod
    def save_issued(
        tx: Tx, ref: str, type_: str, consignment: str | None, sent_to: str | None, data: str, at: str
    ) -> None:
        """Keep a certificate or carnet issued (re-issuing a number replaces it)."""
        tx.execute(
            "INSERT OR REPLACE INTO issued(ref, type, consignment, sent_to, data, at) VALUES (?,?,?,?,?,?)",
            (ref, type_, consignment, sent_to, data, at),
        )

    @staticmethod
    def issue_answer(tx: Tx | sqlite3.Connection, sent_to: str, consignment: str) -> dict[str, Any] | None:
        """What the request to issue for ``consignment`` to ``sent_to`` was answered the first time, if one was made."""
        conn = tx.conn if isinstance(tx, Tx) else tx
        row = conn.execute(
            "SELECT answer FROM issue_requests WHERE sent_to = ? AND consignment = ?", (sent_to, consignment)
        ).fetchone()
        return json.loads(row[0]) if row else None

    @staticmethod
    def save_issue_answer(tx: Tx, sent_to: str, consignment: str, answer: str, at: str) -> None:
        tx.execute(
            "INSERT INTO issue_requests(sent_to, consignment, answer, at) VALUES (?,?,?,?)",
            (sent_to, consignment, answer, at),
        )

    @staticmethod
    def save_received(tx: Tx, message_id: str, type_: str, sender: str, ucr: str | None, data: str, at: str) -> None:
        """Keep a document received, by the id of the message that brought it."""
        tx.execute(
            "INSERT OR REPLACE INTO received(message_id, type, sender, ucr, data, at) VALUES (?,?,?,?,?,?)",
            (message_id, type_, sender, ucr, data, at),
        )
