"""The customs node's tables, on top of a node's store (handled ids, outbox, message log)."""

from __future__ import annotations

import sqlite3
from typing import Any

from seedsim.core.node_store import NodeStore
from seedsim.core.sqlite_store import Tx

SCHEMA = """
CREATE TABLE IF NOT EXISTS declarations (
    mrn TEXT PRIMARY KEY,
    lrn TEXT,
    ucr TEXT,
    kind TEXT,
    type_code TEXT,
    status TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    data TEXT NOT NULL,           -- the Declaration model as JSON
    original_xml BLOB NOT NULL,   -- what was lodged, kept whole
    lodged_at TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS declarations_lrn ON declarations(lrn) WHERE lrn IS NOT NULL;
CREATE INDEX IF NOT EXISTS declarations_ucr ON declarations(ucr, kind);
CREATE TABLE IF NOT EXISTS prearrival (
    ucr TEXT PRIMARY KEY,
    mrn TEXT,
    sender TEXT NOT NULL,
    message_id TEXT NOT NULL,
    trigger TEXT,
    data TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS consignments (
    ucr TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    correlation_id TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS answers (
    query_id TEXT PRIMARY KEY,
    peer TEXT NOT NULL,
    ucr TEXT,
    found INTEGER NOT NULL,
    status TEXT,
    data TEXT NOT NULL,          -- the ConsignmentQueryResponse as JSON
    at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS documents (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    consignment TEXT NOT NULL,    -- UCR or the reference the lodger gave
    type TEXT NOT NULL,           -- catalogue message type, e.g. TIRCarnet
    doc_id TEXT NOT NULL,         -- the document's own reference (carnet number, declaration reference...)
    xml BLOB NOT NULL,            -- what was lodged, kept whole (minimised only when sent)
    lodged_at TEXT NOT NULL,
    UNIQUE(consignment, type, doc_id)
);
CREATE TABLE IF NOT EXISTS alerts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    ucr TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'matching',   -- matching (at entry) | risk (on pre-arrival data)
    rule TEXT NOT NULL,
    element TEXT,
    exit_value TEXT,
    entry_value TEXT,
    detail TEXT,
    at TEXT NOT NULL
);
"""


def rows(cur: sqlite3.Cursor) -> list[dict[str, Any]]:
    return [dict(r) for r in cur.fetchall()]


class CustomsStore(NodeStore):
    EXTRA_SCHEMA = SCHEMA

    # Queries used inside transactions take a Tx; read helpers take a connection.

    @staticmethod
    def declaration_by(tx: Tx | sqlite3.Connection, *, mrn: str | None = None, lrn: str | None = None) -> dict | None:
        conn = tx.conn if isinstance(tx, Tx) else tx
        for col, val in (("mrn", mrn), ("lrn", lrn)):
            if val:
                row = conn.execute(f"SELECT * FROM declarations WHERE {col} = ?", (val,)).fetchone()
                if row:
                    return dict(row)
        return None

    @staticmethod
    def declaration_for(tx: Tx | sqlite3.Connection, ucr: str, kind: str) -> dict | None:
        conn = tx.conn if isinstance(tx, Tx) else tx
        row = conn.execute(
            "SELECT * FROM declarations WHERE ucr = ? AND kind = ? AND status != 'cancelled' ORDER BY lodged_at DESC LIMIT 1",
            (ucr, kind),
        ).fetchone()
        return dict(row) if row else None

    @staticmethod
    def documents_for(tx: Tx | sqlite3.Connection, consignment: str, message_type: str) -> list[dict]:
        """The lodged documents of one type for a consignment, oldest first: what an event sends."""
        conn = tx.conn if isinstance(tx, Tx) else tx
        return rows(
            conn.execute(
                "SELECT * FROM documents WHERE consignment = ? AND type = ? ORDER BY seq", (consignment, message_type)
            )
        )

    @staticmethod
    def consignment(tx: Tx | sqlite3.Connection, ucr: str) -> dict | None:
        conn = tx.conn if isinstance(tx, Tx) else tx
        row = conn.execute("SELECT * FROM consignments WHERE ucr = ?", (ucr,)).fetchone()
        return dict(row) if row else None

    @staticmethod
    def set_consignment(tx: Tx, ucr: str, status: str, correlation_id: str, at: str) -> None:
        tx.execute(
            "INSERT INTO consignments(ucr, status, correlation_id, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(ucr) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at",
            (ucr, status, correlation_id, at),
        )
