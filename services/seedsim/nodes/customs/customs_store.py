"""The customs node's tables, on top of a node's store (handled ids, outbox, message log).

It owns what a customs office holds on a consignment: the declarations lodged
there (kept whole, amended and cancelled in place), the other documents lodged
for its events, the pre-arrival data a neighbour sent, the consignment's
status, the alerts raised on it (risk before arrival, matching at entry) and
the neighbours' answers to its queries. Every query on these tables is here,
so the node's handlers speak of declarations and alerts, not of SQL.

They are the node's records and are kept, unless a consignment retention is set
(:mod:`seedsim.core.retention`): :meth:`CustomsStore.purge_consignments` then deletes a consignment nothing
happened to for that long with every row held on it, in batches.
"""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING, Any, NamedTuple

from seedsim.core.node_store import NodeStore
from seedsim.core.sqlite_store import Tx

if TYPE_CHECKING:
    from seedsim.core.declaration import Declaration

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
-- the events acted on, with what they answered: a retried event (same consignment, event and offices, on the
-- same holdings) is answered from here and does nothing again
CREATE TABLE IF NOT EXISTS events (
    ucr TEXT NOT NULL,
    event TEXT NOT NULL,
    office TEXT NOT NULL,
    entry_office TEXT NOT NULL,   -- '' when the event named none
    holdings TEXT NOT NULL,       -- what the node held on the consignment when it acted (CustomsStore.holdings)
    answer TEXT NOT NULL,         -- the event's answer as JSON
    at TEXT NOT NULL,
    PRIMARY KEY (ucr, event, office, entry_office)
);
-- the queries sent, by what they ask: a retried query not answered yet is not sent again
CREATE TABLE IF NOT EXISTS queries_sent (
    asked TEXT PRIMARY KEY,       -- JSON [to, ucr, mrn, reason]
    query_id TEXT NOT NULL,
    at TEXT NOT NULL
);
-- looked up by consignment on every pre-arrival (risk alerts once per rule), GET /consignments and queries
CREATE INDEX IF NOT EXISTS alerts_ucr ON alerts(ucr, kind, rule);
CREATE INDEX IF NOT EXISTS answers_ucr ON answers(ucr);
CREATE INDEX IF NOT EXISTS prearrival_mrn ON prearrival(mrn) WHERE mrn IS NOT NULL;
-- certificates an agency sent for a consignment (veterinary, ...), their latest status: the certificate link
CREATE TABLE IF NOT EXISTS certificates (
    type TEXT NOT NULL,
    ref TEXT NOT NULL,
    ucr TEXT,
    sender TEXT NOT NULL,
    facts TEXT NOT NULL,          -- what it certifies and its status, as JSON (certificate_link.Certified)
    received_at TEXT NOT NULL,
    PRIMARY KEY (type, ref)
);
CREATE INDEX IF NOT EXISTS certificates_ucr ON certificates(ucr);
"""


#: the tables that hold rows on a consignment, and the column that names it
HELD_BY_CONSIGNMENT = (
    ("declarations", "ucr"),
    ("prearrival", "ucr"),
    ("alerts", "ucr"),
    ("answers", "ucr"),
    ("documents", "consignment"),
    ("events", "ucr"),
)


def rows(cur: sqlite3.Cursor) -> list[dict[str, Any]]:
    return [dict(r) for r in cur.fetchall()]


def first(cur: sqlite3.Cursor) -> dict[str, Any] | None:
    r = cur.fetchone()
    return dict(r) if r is not None else None


class ConsignmentView(NamedTuple):
    """What GET /consignments/{ref} shows of a consignment, as rows."""

    ucr: str | None  # the consignment's reference: the one asked for, or the UCR of the MRN asked for
    consignment: dict[str, Any] | None
    declarations: list[dict[str, Any]]
    prearrival: dict[str, Any] | None
    alerts: list[dict[str, Any]]
    messages: list[dict[str, Any]]
    answers: list[dict[str, Any]]
    documents: list[dict[str, Any]]


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
    def declarations_matching(tx: Tx, ucr: str | None, mrn: str | None) -> list[dict]:
        """The data of the declarations (not cancelled) of consignment ``ucr`` or with MRN ``mrn``: what a query answer summarises."""
        return rows(
            tx.execute("SELECT data FROM declarations WHERE (ucr = ? OR mrn = ?) AND status != 'cancelled'", (ucr, mrn))
        )

    @staticmethod
    def next_declaration_serial(tx: Tx) -> int:
        """The serial number the next declaration's MRN is made from."""
        return tx.execute("SELECT COALESCE(MAX(rowid), 0) + 1 FROM declarations").fetchone()[0]

    @staticmethod
    def add_declaration(tx: Tx, d: Declaration, original_xml: bytes, status: str, at: str) -> None:
        """Keep a lodged declaration (``d`` with its MRN) and the XML it was lodged as."""
        tx.execute(
            "INSERT INTO declarations(mrn, lrn, ucr, kind, type_code, status, data, original_xml, lodged_at) VALUES (?,?,?,?,?,?,?,?,?)",
            (d.mrn, d.lrn, d.ucr, d.kind, d.type_code, status, d.model_dump_json(), original_xml, at),
        )

    @staticmethod
    def update_declaration(tx: Tx, mrn: str, status: str, d: Declaration) -> None:
        """An amendment or a cancellation: the declaration's new status and data, one version up."""
        tx.execute(
            "UPDATE declarations SET status = ?, version = version + 1, data = ? WHERE mrn = ?",
            (status, d.model_dump_json(), mrn),
        )

    @staticmethod
    def document(tx: Tx, consignment: str, message_type: str, doc_id: str) -> dict | None:
        """The document of this type and reference lodged for a consignment, if any."""
        return first(
            tx.execute(
                "SELECT * FROM documents WHERE consignment = ? AND type = ? AND doc_id = ?",
                (consignment, message_type, doc_id),
            )
        )

    @staticmethod
    def save_document(tx: Tx, consignment: str, message_type: str, doc_id: str, xml: bytes, at: str) -> None:
        """Keep a lodged document, replacing one of the same type and reference for the consignment."""
        tx.execute(
            "INSERT INTO documents(consignment, type, doc_id, xml, lodged_at) VALUES (?,?,?,?,?) "
            "ON CONFLICT(consignment, type, doc_id) DO UPDATE SET xml = excluded.xml, lodged_at = excluded.lodged_at",
            (consignment, message_type, doc_id, xml, at),
        )

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
    def set_consignment(
        tx: Tx, ucr: str, status: str, correlation_id: str, at: str, *, join_conversation: bool = False
    ) -> None:
        """Record a consignment's status; its conversation (correlation id) is the one it started with,
        unless ``join_conversation``: exit data from the country of exit carries the conversation the
        whole crossing belongs to, even when the import was lodged here before it arrived."""
        keep = "excluded.correlation_id" if join_conversation else "consignments.correlation_id"
        tx.execute(
            "INSERT INTO consignments(ucr, status, correlation_id, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(ucr) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at, "
            f"correlation_id = {keep}",
            (ucr, status, correlation_id, at),
        )

    @staticmethod
    def prearrival(tx: Tx, ucr: str) -> dict | None:
        """The pre-arrival (or exit) data a neighbour sent for consignment ``ucr``."""
        return first(tx.execute("SELECT * FROM prearrival WHERE ucr = ?", (ucr,)))

    @staticmethod
    def prearrival_matching(tx: Tx, ucr: str | None, mrn: str | None) -> dict | None:
        """The data of the pre-arrival data held for consignment ``ucr`` or declaration ``mrn``: what a query answer summarises."""
        return first(tx.execute("SELECT data FROM prearrival WHERE ucr = ? OR mrn = ?", (ucr, mrn)))

    @staticmethod
    def save_prearrival(
        tx: Tx, ucr: str, mrn: str | None, sender: str, message_id: str, trigger: str | None, data: str, at: str
    ) -> None:
        """Keep the data a neighbour sent for a consignment; the EXIT data replaces the PRE_ARRIVAL data."""
        tx.execute(
            "INSERT INTO prearrival(ucr, mrn, sender, message_id, trigger, data, received_at) VALUES (?,?,?,?,?,?,?) "
            "ON CONFLICT(ucr) DO UPDATE SET mrn=excluded.mrn, sender=excluded.sender, message_id=excluded.message_id, "
            "trigger=excluded.trigger, data=excluded.data, received_at=excluded.received_at",
            (ucr, mrn, sender, message_id, trigger, data, at),
        )

    @staticmethod
    def add_alert(
        tx: Tx,
        ucr: str,
        rule: str,
        element: str | None,
        detail: str | None,
        at: str,
        *,
        kind: str = "matching",
        exit_value: str | None = None,
        entry_value: str | None = None,
    ) -> None:
        """Raise an alert on a consignment: ``matching`` (at entry) or ``risk`` (on pre-arrival data)."""
        tx.execute(
            "INSERT INTO alerts(ucr, kind, rule, element, exit_value, entry_value, detail, at) VALUES (?,?,?,?,?,?,?,?)",
            (ucr, kind, rule, element, exit_value, entry_value, detail, at),
        )

    @staticmethod
    def save_certificate(tx: Tx, type_: str, ref: str, ucr: str | None, sender: str, facts: str, at: str) -> None:
        """Keep a certificate received for a consignment; the same one again (withdrawn, say) replaces it."""
        tx.execute(
            "INSERT OR REPLACE INTO certificates(type, ref, ucr, sender, facts, received_at) VALUES (?,?,?,?,?,?)",
            (type_, ref, ucr, sender, facts, at),
        )

    @staticmethod
    def certificates_for(tx: Tx | sqlite3.Connection, ucr: str) -> list[dict]:
        """The certificates received for a consignment, oldest first."""
        conn = tx.conn if isinstance(tx, Tx) else tx
        return rows(conn.execute("SELECT * FROM certificates WHERE ucr = ? ORDER BY received_at, ref", (ucr,)))

    @staticmethod
    def has_risk_alert(tx: Tx, ucr: str, rule: str) -> bool:
        """Whether risk profile ``rule`` already alerted on the consignment."""
        return (
            tx.execute("SELECT 1 FROM alerts WHERE ucr = ? AND rule = ? AND kind = 'risk'", (ucr, rule)).fetchone()
            is not None
        )

    @staticmethod
    def save_answer(
        tx: Tx, query_id: str, peer: str, ucr: str | None, found: bool, status: str | None, data: str, at: str
    ) -> None:
        """Keep a neighbour's answer to a query this node sent (a repeated answer replaces it)."""
        tx.execute(
            "INSERT OR REPLACE INTO answers(query_id, peer, ucr, found, status, data, at) VALUES (?,?,?,?,?,?,?)",
            (query_id, peer, ucr, int(found), status, data, at),
        )

    @staticmethod
    def holdings(tx: Tx, ucr: str) -> str:
        """What an event at the consignment reads, in one string: its declarations (MRN, version, status), lodged
        documents, the pre-arrival data and the certificates received. Equal strings: nothing was lodged or received
        in between."""
        held = [
            rows(tx.execute("SELECT mrn, version, status FROM declarations WHERE ucr = ? ORDER BY mrn", (ucr,))),
            rows(tx.execute("SELECT seq, lodged_at FROM documents WHERE consignment = ? ORDER BY seq", (ucr,))),
            rows(tx.execute("SELECT message_id FROM prearrival WHERE ucr = ?", (ucr,))),
        ]
        certificates = rows(tx.execute("SELECT type, ref, facts FROM certificates WHERE ucr = ? ORDER BY ref", (ucr,)))
        if certificates:  # only then: the holdings of a consignment that has none read as they always did
            held.append(certificates)
        return json.dumps(held, separators=(",", ":"))

    @staticmethod
    def event_answer(
        tx: Tx, ucr: str, event: str, office: str, entry_office: str | None, holdings: str
    ) -> dict[str, Any] | None:
        """What the node answered when it acted on this event at these offices, on these holdings; None if it did not."""
        row = tx.execute(
            "SELECT answer FROM events WHERE ucr = ? AND event = ? AND office = ? AND entry_office = ? AND holdings = ?",
            (ucr, event, office, entry_office or "", holdings),
        ).fetchone()
        return json.loads(row["answer"]) if row else None

    @staticmethod
    def save_event(
        tx: Tx, ucr: str, event: str, office: str, entry_office: str | None, holdings: str, answer: str, at: str
    ) -> None:
        """Keep what the node answered an event it acted on (replacing what it answered on older holdings)."""
        tx.execute(
            "INSERT OR REPLACE INTO events(ucr, event, office, entry_office, holdings, answer, at) VALUES (?,?,?,?,?,?,?)",
            (ucr, event, office, entry_office or "", holdings, answer, at),
        )

    @staticmethod
    def unanswered_query(tx: Tx, asked: str) -> str | None:
        """The id of a query sent with these terms (``asked``) whose answer has not arrived yet."""
        row = tx.execute(
            "SELECT q.query_id FROM queries_sent q LEFT JOIN answers a ON a.query_id = q.query_id "
            "WHERE q.asked = ? AND a.query_id IS NULL",
            (asked,),
        ).fetchone()
        return row["query_id"] if row else None

    @staticmethod
    def save_query(tx: Tx, asked: str, query_id: str, at: str) -> None:
        tx.execute("INSERT OR REPLACE INTO queries_sent(asked, query_id, at) VALUES (?,?,?)", (asked, query_id, at))

    async def purge_consignments(self, before: str, batch: int) -> int:
        """Delete the consignments last updated before ``before`` (ISO 8601, UTC), with their declarations,
        pre-arrival data, alerts, answers, lodged documents and events, and the queries sent before it; how many
        consignments went."""

        def _purge(tx: Tx, most: int) -> int:
            gone = [
                (r[0],) for r in tx.execute("SELECT ucr FROM consignments WHERE updated_at < ? LIMIT ?", (before, most))
            ]
            for table, column in HELD_BY_CONSIGNMENT:
                tx.conn.executemany(f"DELETE FROM {table} WHERE {column} = ?", gone)
            tx.conn.executemany("DELETE FROM consignments WHERE ucr = ?", gone)
            return len(gone)

        purged = await self.in_batches(_purge, batch)
        await self.delete_in_batches(
            "DELETE FROM queries_sent WHERE rowid IN (SELECT rowid FROM queries_sent WHERE at < ? LIMIT ?)",
            (before,),
            batch,
        )
        return purged

    @staticmethod
    def consignment_of(conn: sqlite3.Connection, ref: str) -> str | None:
        """The consignment ``ref`` names: when it is the MRN of a declaration lodged here or of pre-arrival data
        received, that consignment's UCR (None for a declaration lodged without one); else ``ref`` itself."""
        for table in ("declarations", "prearrival"):
            row = conn.execute(f"SELECT ucr FROM {table} WHERE mrn = ? LIMIT 1", (ref,)).fetchone()
            if row is not None:
                return row["ucr"]
        return ref

    @staticmethod
    def consignment_view(conn: sqlite3.Connection, ref: str) -> ConsignmentView:
        """All this node holds on consignment ``ref`` (its UCR, or the MRN of one of its declarations): status,
        declarations, pre-arrival data, alerts, messages, answers and documents (each list in the order it happened)."""
        ucr = CustomsStore.consignment_of(conn, ref)
        if ucr is None:  # an MRN whose declaration names no consignment: that declaration alone
            return ConsignmentView(
                ucr=None,
                consignment=None,
                declarations=rows(
                    conn.execute("SELECT mrn, lrn, kind, status, version, data FROM declarations WHERE mrn = ?", (ref,))
                ),
                prearrival=first(conn.execute("SELECT * FROM prearrival WHERE mrn = ?", (ref,))),
                alerts=[],
                messages=[],
                answers=[],
                documents=[],
            )
        ref = ucr
        return ConsignmentView(
            ucr=ucr,
            consignment=first(conn.execute("SELECT * FROM consignments WHERE ucr = ?", (ref,))),
            declarations=rows(
                conn.execute("SELECT mrn, lrn, kind, status, version, data FROM declarations WHERE ucr = ?", (ref,))
            ),
            prearrival=first(conn.execute("SELECT * FROM prearrival WHERE ucr = ?", (ref,))),
            alerts=rows(
                conn.execute(
                    "SELECT kind, rule, element, exit_value, entry_value, detail, at FROM alerts WHERE ucr = ? ORDER BY seq",
                    (ref,),
                )
            ),
            messages=NodeStore.messages_for(conn, ref),
            answers=rows(
                conn.execute("SELECT peer, found, status, data, at FROM answers WHERE ucr = ? ORDER BY at", (ref,))
            ),
            documents=rows(
                conn.execute("SELECT type, doc_id, lodged_at FROM documents WHERE consignment = ? ORDER BY seq", (ref,))
            ),
        )
