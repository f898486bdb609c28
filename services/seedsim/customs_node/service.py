"""The customs node's application service: small handlers, one per thing that happens.

* :meth:`CustomsNode.lodge` -- a trader or national system lodges a declaration;
* :meth:`CustomsNode.on_event` -- a consignment event (PRE_ARRIVAL, EXIT, ENTRY) at an office;
* :meth:`CustomsNode.on_record` -- a message arrives in the node's inbox.

Each handler reads and writes the node's store in one transaction, which also
records the message as handled and queues what must be sent (replies,
interop records, dead letters). After the commit the outbox is sent. The
handlers know the transport only through the :class:`Transport` port.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from enum import Enum
from typing import Any, Sequence

from ..config import NodeConfig
from .. import catalogue
from ..core import codes
from ..core.topics import Topics
from ..core.message_type import MessageType
from ..messages.query import CONSIGNMENT_QUERY, CONSIGNMENT_QUERY_RESPONSE, ConsignmentQuery, ConsignmentQueryResponse, DeclarationSummary
from ..core.declaration import Declaration, Office, merge
from ..core.declaration_rules import DECLARATION_RULES
from ..core.envelope import Envelope, EnvelopeError, new_id, new_traceparent
from ..core.identifiers import make_mrn
from ..core.interop import InteropRecord, Stage, emit_to_log
from ..core.interop import log as interop_log
from ..core.response import GOODS_ENTERED, AdditionalInformation, IssueDateTime, DateTimeString, Response, ResponseDeclaration, acknowledgement
from ..core.sqlite_store import Tx
from ..core.transport import Record, Transport
from ..core.validation import Issue, RuleContext, ValidationReport, compiled_schema, from_unsafe
from ..messages.seed import read_declaration
from ..validator import check
from ..core.wco import MetaData
from ..core.xml_safety import UnsafeXmlError, XmlLimits, parse_untrusted
from . import risk
from .matching import effective_tolerances, match
from .store import CustomsStore

log = logging.getLogger("seedsim.node")

MRN_PROCEDURE = {"export": "A", "import": "R", "transit": "J"}
HANDLER_RETRIES = 3


class Event(str, Enum):
    PRE_ARRIVAL = "PRE_ARRIVAL"
    EXIT = "EXIT"
    ENTRY = "ENTRY"


class EventRejected(Exception):
    """The event cannot be acted on; the message says what is missing."""


@dataclass
class LodgeResult:
    accepted: bool
    report: ValidationReport
    mrn: str | None = None
    lrn: str | None = None
    ucr: str | None = None
    status: str | None = None
    declaration: Declaration | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"accepted": self.accepted, "errors": [i.to_dict() for i in self.report.issues]}
        for k in ("mrn", "lrn", "ucr", "status"):
            if getattr(self, k):
                d[k] = getattr(self, k)
        if self.declaration is not None:
            d["key_data"] = key_data(self.declaration)
        return d


def key_data(d: Declaration) -> dict[str, Any]:
    """What SEED compares, read from a declaration: the view integrators check first."""
    value = d.value()
    return {
        "kind": d.kind,
        "type_code": d.type_code,
        "ucr": d.ucr,
        "consignor": d.consignor().label() if d.consignor() else None,
        "consignee": d.consignee().label() if d.consignee() else None,
        "gross_mass_kg": str(d.gross_mass_kg()) if d.gross_mass_kg() is not None else None,
        "value": {"amount": str(value.value), "currency": value.currency_id} if value else None,
        "commodity_codes": d.commodity_codes(),
        "goods_items": len(d.items),
        "vehicle": d.vehicle(),
        "offices": d.offices(),
    }


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _iso(t: datetime) -> str:
    return t.isoformat()


@dataclass
class Outcome:
    """What handling an inbox record decided, for the log and the caller."""

    stage: str
    issues: list[Issue] = field(default_factory=list)


class CustomsNode:
    def __init__(self, config: NodeConfig, transport: Transport, store: CustomsStore | None = None):
        self.config = config
        self.topics = Topics(config.topic_prefix)
        self.node = config.node
        self.transport = transport
        self.store = store or CustomsStore(config.db_path())
        compiled_schema(config.national_schema)  # fail at start, not on the first declaration, if it is missing
        self.limits = XmlLimits(max_bytes=config.max_xml_bytes)
        # what the node checks received data against, read and validated at start, not on the first message
        self.tolerances = effective_tolerances(config.tolerances)
        self.risk_profiles = risk.load(config.risk_profiles)
        self._sent_seqs: list[int] = []
        self._flusher: asyncio.Task | None = None

    # -- lifecycle --------------------------------------------------------------------------------

    async def start(self) -> None:
        await self.store.open()
        # compile every schema the catalogue names now, not on the first message
        for mt in catalogue.CATALOGUE.values():
            compiled_schema(mt.schema)
        await self.transport.ensure_topics([self.topics.inbox(self.node), self.topics.dead_letter(self.node), self.topics.interop])
        # whatever a crash left in the outbox goes out first
        await self._dispatch(await self.store.unsent())
        self.transport.subscribe([self.topics.inbox(self.node)], group=f"{self.topics.prefix}-node-{self.node.lower()}", handler=self.on_records)
        self._flusher = asyncio.create_task(self._flush_sent_marks())

    async def stop(self) -> None:
        if self._flusher:
            self._flusher.cancel()
            await asyncio.gather(self._flusher, return_exceptions=True)
        await self.store.mark_sent(self._take_sent())
        await self.store.close()

    # -- outbox -----------------------------------------------------------------------------------

    def _take_sent(self) -> list[int]:
        seqs, self._sent_seqs = self._sent_seqs, []
        return seqs

    async def _flush_sent_marks(self) -> None:
        while True:
            await asyncio.sleep(0.25)
            seqs = self._take_sent()
            if seqs:
                await self.store.mark_sent(seqs)

    async def _dispatch(self, outbox: list[tuple[int, Record]]) -> None:
        """Send what a committed transaction queued, retrying until the transport takes it.

        The rows stay in the outbox until then (and are sent again at start after a
        crash), so a broker outage delays messages but never drops them.
        """
        if not outbox:
            return
        delay = 0.1
        while True:
            try:
                await self.transport.send_batch([r for _, r in outbox])
                break
            except Exception as exc:
                log.warning("node %s: sending %d record(s) failed, retrying in %.1fs: %s", self.node, len(outbox), delay, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        self._sent_seqs.extend(seq for seq, _ in outbox)
        if interop_log.isEnabledFor(logging.INFO):
            emit_to_log([InteropRecord.model_validate_json(r.value) for _, r in outbox if r.topic == self.topics.interop])

    async def _run(self, fn, *args):
        result, outbox = await self.store.transaction(fn, *args)
        await self._dispatch(outbox)
        return result

    def _interop(self, tx: Tx, stage: Stage, **kw: Any) -> None:
        rec = InteropRecord(node=self.node, stage=stage, **kw)
        tx.send(Record(topic=self.topics.interop, key=(rec.consignment or rec.message_id or "").encode() or None, value=rec.to_json()))

    def _metadata(self, type_name: str) -> MetaData:
        return MetaData(wco_type_name=type_name, responsible_country_code=self.node, responsible_agency_name=f"Customs {self.node}")

    def _send(self, tx: Tx, env: Envelope, payload: bytes, mt: MessageType) -> None:
        tx.send(Record(topic=self.topics.inbox(env.recipient or ""), key=(env.subject or "").encode() or None,
                       value=payload, headers=tuple(env.to_headers())))
        self.store.log_message(tx, env.id, "out", mt.name, env.recipient, env.subject, env.trigger, None, _iso(env.time))

    # -- lodging a declaration --------------------------------------------------------------------

    async def lodge(self, data: bytes) -> LodgeResult:
        # Business rules judge a whole declaration: an original as lodged, a change (FunctionCode 13)
        # once merged into the declaration it amends, which happens inside the transaction.
        ctx = RuleContext(node_country=self.node)
        try:
            root = parse_untrusted(data, self.limits)
        except UnsafeXmlError as exc:
            return LodgeResult(accepted=False, report=ValidationReport([from_unsafe(exc)]))
        report, d = check(root, self.config.national_schema, read_declaration, None, ctx, "declaration")
        # a model read past schema errors may be partial: rules still report what they can, then we stop
        if d is not None and getattr(d, "function_code", None) != codes.FUNCTION_CHANGE:
            report.extend(DECLARATION_RULES.run(d, ctx))
        if not report.ok or d is None:
            return LodgeResult(accepted=False, report=report)
        return await self._run(self._lodge_tx, d, data, report)

    def _lodge_tx(self, tx: Tx, d: Declaration, data: bytes, report: ValidationReport) -> LodgeResult:
        now = _iso(_now())
        if d.function_code == codes.FUNCTION_CHANGE:
            held = self.store.declaration_by(tx, mrn=d.mrn, lrn=d.lrn)
            if held is None:
                ref = " / ".join(f"{k} {v}" for k, v in (("MRN", d.mrn), ("LRN", d.lrn)) if v)
                report.extend([Issue("W201", 201, f"refers to a declaration this node does not hold ({ref}): lodge the original first or correct the reference",
                                     "/MetaData/Declaration/ID", d.mrn or d.lrn)])
                return LodgeResult(accepted=False, report=report)
            if d.type_code == "INV":
                status, new = "cancelled", Declaration.model_validate_json(held["data"])
            else:
                status = "amended"
                base = Declaration.model_validate_json(held["data"])
                new = merge(base, d.model_copy(update={"function_code": base.function_code, "type_code": base.type_code,
                                                      "mrn": base.mrn, "lrn": base.lrn}))
                report.extend(DECLARATION_RULES.run(new, RuleContext(node_country=self.node)))
                if not report.ok:
                    return LodgeResult(accepted=False, report=report)
            tx.execute("UPDATE declarations SET status = ?, version = version + 1, data = ? WHERE mrn = ?",
                       (status, new.model_dump_json(), held["mrn"]))
            self._interop(tx, Stage.SUBMITTED, consignment=new.ucr, message_type=f"Declaration/{d.type_code}",
                          result=status, detail=f"MRN {held['mrn']}")
            return LodgeResult(accepted=True, report=report, mrn=held["mrn"], lrn=held["lrn"], ucr=new.ucr, status=status, declaration=new)
        if d.lrn and self.store.declaration_by(tx, lrn=d.lrn):
            report.extend([Issue("W202", 202, "a declaration with this LRN was already lodged: use a new LRN, or FunctionCode 13 to amend",
                                 "/MetaData/Declaration/FunctionalReferenceID", d.lrn)])
            return LodgeResult(accepted=False, report=report)
        mrn = d.mrn
        if not mrn:
            serial_no = tx.execute("SELECT COALESCE(MAX(rowid), 0) + 1 FROM declarations").fetchone()[0]
            serial = _base36(serial_no).rjust(12, "0")
            mrn = make_mrn(_now().year, self.node, serial, MRN_PROCEDURE.get(d.kind or "", "A"))
        d = d.model_copy(update={"mrn": mrn})
        tx.execute(
            "INSERT INTO declarations(mrn, lrn, ucr, kind, type_code, status, data, original_xml, lodged_at) VALUES (?,?,?,?,?,?,?,?,?)",
            (mrn, d.lrn, d.ucr, d.kind, d.type_code, "accepted", d.model_dump_json(), data, now),
        )
        if d.ucr and self.store.consignment(tx, d.ucr) is None:
            self.store.set_consignment(tx, d.ucr, f"{d.kind}_declared", new_id(), now)
        self._interop(tx, Stage.SUBMITTED, consignment=d.ucr, message_type=f"Declaration/{d.type_code}", result="accepted", detail=f"MRN {mrn}")
        return LodgeResult(accepted=True, report=report, mrn=mrn, lrn=d.lrn, ucr=d.ucr, status="accepted", declaration=d)

    # -- consignment events -----------------------------------------------------------------------

    async def on_event(self, event: Event, consignment: str, office: str, entry_office: str | None = None,
                       at: datetime | None = None) -> dict[str, Any]:
        at = at or _now()
        if event in (Event.PRE_ARRIVAL, Event.EXIT):
            return await self._run(self._exit_tx, event, consignment, office, entry_office, at)
        return await self._run(self._entry_tx, consignment, office, at)

    def _exit_tx(self, tx: Tx, event: Event, ucr: str, office: str, entry_office: str | None, at: datetime) -> dict[str, Any]:
        held = self.store.declaration_for(tx, ucr, "export")
        if held is None:
            raise EventRejected(f"no export declaration for consignment {ucr} at node {self.node}: lodge it first (POST /declarations)")
        d = Declaration.model_validate_json(held["data"])
        exit_office = office if event == Event.EXIT else (d.exit_office.id if d.exit_office and d.exit_office.id else office)
        to_office = entry_office or self.config.entry_office_for(exit_office)
        if to_office is None:
            raise EventRejected(f"no office of entry known for exit office {exit_office}: give entry_office or configure the border crossing")
        recipient = to_office[:2]
        if not self.config.is_partner(recipient):
            raise EventRejected(f"{recipient} is not a partner of node {self.node}")
        exit_data = d.model_copy(update={"exit_office": Office(id=exit_office)})
        cons = self.store.consignment(tx, ucr)
        correlation = cons["correlation_id"] if cons else new_id()
        env = Envelope(id=new_id(), source=self.node, type=catalogue.EXPORT_DATA.ce_type, subject=ucr, time=at,
                       recipient=recipient, correlation_id=correlation, trigger=event.value,
                       dataschema=catalogue.EXPORT_DATA.schema, traceparent=new_traceparent())
        self._send(tx, env, exit_data.to_xml(self._metadata("DEC")), catalogue.EXPORT_DATA)
        status = "exited" if event == Event.EXIT else "pre_arrival_sent"
        self.store.set_consignment(tx, ucr, status, correlation, _iso(at))
        self._interop(tx, Stage.SENT, message_id=env.id, correlation_id=correlation, consignment=ucr, sender=self.node,
                      receiver=recipient, message_type=catalogue.EXPORT_DATA.name, event=event.value)
        return {"consignment": ucr, "status": status, "message_id": env.id, "sent_to": recipient, "entry_office": to_office}

    def _entry_tx(self, tx: Tx, ucr: str, office: str, at: datetime) -> dict[str, Any]:
        held = self.store.declaration_for(tx, ucr, "import")
        if held is None:
            raise EventRejected(f"no import declaration for consignment {ucr} at node {self.node}: lodge it before entry")
        entry = Declaration.model_validate_json(held["data"])
        pre = tx.execute("SELECT * FROM prearrival WHERE ucr = ?", (ucr,)).fetchone()
        cons = self.store.consignment(tx, ucr)
        correlation = cons["correlation_id"] if cons else new_id()
        now = _iso(at)
        if pre is None:
            tx.execute("INSERT INTO alerts(ucr, rule, element, detail, at) VALUES (?,?,?,?,?)",
                       (ucr, "M00", "pre-arrival data", "goods entered with no pre-arrival data from the country of exit", now))
            self._interop(tx, Stage.ALERT, consignment=ucr, correlation_id=correlation, event=Event.ENTRY.value, result="M00",
                          detail="no pre-arrival data")
            self.store.set_consignment(tx, ucr, "entered_unannounced", correlation, now)
            return {"consignment": ucr, "status": "entered_unannounced", "discrepancies": [], "alerts": 1}
        exit_data = Declaration.model_validate_json(pre["data"])
        found = match(exit_data, entry, self.tolerances)
        for disc in found:
            tx.execute("INSERT INTO alerts(ucr, rule, element, exit_value, entry_value, detail, at) VALUES (?,?,?,?,?,?,?)",
                       (ucr, disc.rule, disc.element, disc.exit_value, disc.entry_value, disc.detail, now))
            self._interop(tx, Stage.ALERT, consignment=ucr, correlation_id=correlation, sender=pre["sender"], receiver=self.node,
                          event=Event.ENTRY.value, result=disc.rule, detail=f"{disc.element}: exit {disc.exit_value} / entry {disc.entry_value}; {disc.detail}")
        if not found:
            self._interop(tx, Stage.MATCHED, consignment=ucr, correlation_id=correlation, sender=pre["sender"], receiver=self.node,
                          event=Event.ENTRY.value, result="match")
        status = "entered_discrepancy" if found else "entered_matched"
        self.store.set_consignment(tx, ucr, status, correlation, now)
        confirmation = Response(
            function_code=GOODS_ENTERED,
            in_reply_to=pre["message_id"],
            issue_date_time=IssueDateTime(date_time_string=DateTimeString.of(at)),
            additional_information=[
                AdditionalInformation(statement_code=d.rule, statement_description=f"{d.element}: exit {d.exit_value}, entry {d.entry_value}"[:512],
                                      statement_type_code="DIS")
                for d in found
            ] or [AdditionalInformation(statement_code="M00", statement_description=f"entered at {office}; data matched", statement_type_code="MAT")],
            declaration=ResponseDeclaration(mrn=pre["mrn"]),
        )
        env = Envelope(id=new_id(), source=self.node, type=catalogue.ENTRY_CONFIRMATION.ce_type, subject=ucr, time=at,
                       recipient=pre["sender"], correlation_id=correlation, trigger=Event.ENTRY.value,
                       dataschema=catalogue.ENTRY_CONFIRMATION.schema, traceparent=new_traceparent())
        self._send(tx, env, confirmation.to_xml(self._metadata("RES")), catalogue.ENTRY_CONFIRMATION)
        self._interop(tx, Stage.SENT, message_id=env.id, correlation_id=correlation, consignment=ucr, sender=self.node,
                      receiver=pre["sender"], message_type=catalogue.ENTRY_CONFIRMATION.name, event=Event.ENTRY.value)
        return {"consignment": ucr, "status": status, "discrepancies": [d.to_dict() for d in found], "message_id": env.id}

    # -- queries to a neighbour ----------------------------------------------------------------------

    async def query(self, to: str, consignment: str | None = None, mrn: str | None = None, reason: str | None = None) -> dict[str, Any]:
        """Ask node ``to`` what it holds on a consignment; the answer arrives in the inbox."""
        if not self.config.is_partner(to):
            raise EventRejected(f"{to} is not a partner of node {self.node}")
        if not (consignment or mrn):
            raise EventRejected("name the consignment (UCR) or the declaration (MRN) to ask about")
        return await self._run(self._query_tx, to, consignment, mrn, reason, _now())

    def _query_tx(self, tx: Tx, to: str, ucr: str | None, mrn: str | None, reason: str | None, at: datetime) -> dict[str, Any]:
        q = ConsignmentQuery(query_id=new_id(), issue_date_time=at.replace(microsecond=0), requesting_node=self.node,
                             ucr=ucr, mrn=mrn, reason=reason, requested_data=["STATUS", "DECLARATION", "PRE_ARRIVAL"])
        cons = self.store.consignment(tx, ucr) if ucr else None
        env = Envelope(id=q.query_id, source=self.node, type=CONSIGNMENT_QUERY.ce_type, subject=ucr or mrn, time=at, recipient=to,
                       correlation_id=cons["correlation_id"] if cons else new_id(), dataschema=CONSIGNMENT_QUERY.schema,
                       traceparent=new_traceparent())
        self._send(tx, env, CONSIGNMENT_QUERY.write(q), CONSIGNMENT_QUERY)
        self._interop(tx, Stage.SENT, message_id=env.id, correlation_id=env.correlation_id, consignment=ucr, sender=self.node,
                      receiver=to, message_type=CONSIGNMENT_QUERY.name)
        return {"query_id": q.query_id, "sent_to": to}

    def _on_query(self, tx: Tx, env: Envelope, q: ConsignmentQuery, now: datetime) -> None:
        held = []
        decl_rows = tx.execute("SELECT data FROM declarations WHERE (ucr = ? OR mrn = ?) AND status != 'cancelled'",
                               (q.ucr, q.mrn)).fetchall()
        if "DECLARATION" in q.requested_data:
            held += [DeclarationSummary.of(Declaration.model_validate_json(r["data"]), "DECLARATION") for r in decl_rows]
        pre = tx.execute("SELECT data FROM prearrival WHERE ucr = ? OR mrn = ?", (q.ucr, q.mrn)).fetchone()
        if pre is not None and "PRE_ARRIVAL" in q.requested_data:
            held.append(DeclarationSummary.of(Declaration.model_validate_json(pre["data"]), "PRE_ARRIVAL"))
        cons = self.store.consignment(tx, q.ucr) if q.ucr else None
        found = bool(decl_rows or pre is not None or cons)
        answer = ConsignmentQueryResponse(
            query_id=q.query_id, issue_date_time=now.replace(microsecond=0), responding_node=self.node, ucr=q.ucr, found=found,
            status=(cons["status"] if cons else "declared") if found else None, declarations=held if found else [],
        )
        reply = env.reply(self.node, CONSIGNMENT_QUERY_RESPONSE.ce_type, now)
        self._send(tx, replace(reply, dataschema=CONSIGNMENT_QUERY_RESPONSE.schema), CONSIGNMENT_QUERY_RESPONSE.write(answer),
                   CONSIGNMENT_QUERY_RESPONSE)
        self._interop(tx, Stage.SENT, message_id=reply.id, correlation_id=reply.correlation_id, consignment=q.ucr, sender=self.node,
                      receiver=env.source, message_type=CONSIGNMENT_QUERY_RESPONSE.name, result="found" if found else "not_found")

    def _on_query_response(self, tx: Tx, env: Envelope, r: ConsignmentQueryResponse, now: datetime) -> None:
        tx.execute("INSERT OR REPLACE INTO answers(query_id, peer, ucr, found, status, data, at) VALUES (?,?,?,?,?,?,?)",
                   (r.query_id, env.source, r.ucr, int(r.found), r.status, r.model_dump_json(), _iso(now)))

    # -- the inbox --------------------------------------------------------------------------------

    async def on_records(self, records: Sequence[Record]) -> None:
        """Handle a batch of inbox records in one transaction and one send; never raises.

        Records are handled in order. If one fails, those before it are committed
        and sent, it is retried alone and then dead-lettered (:meth:`on_record`),
        and the batch goes on after it: one bad record never stalls or reorders
        the ones behind it.
        """
        pending = list(records)
        while pending:
            try:
                _results, outbox, rest = await self.store.transaction_each(self._inbox_tx, pending, _now())
            except Exception as exc:  # the batch transaction itself failed: nothing of it was written
                log.warning("node %s: batch of %d failed (%s); handling records one by one", self.node, len(pending), exc)
                outbox, rest = [], pending
            else:
                await self._dispatch(outbox)
                if not rest:
                    return
            await self.on_record(rest[0])
            pending = rest[1:]

    async def on_record(self, record: Record) -> None:
        """Handle one inbox record with retries, then dead-letter it; never raises."""
        for attempt in range(1, HANDLER_RETRIES + 1):
            try:
                await self._run(self._inbox_tx, record, _now())
                return
            except Exception as exc:  # an internal failure: retry, then dead-letter
                log.warning("node %s: handling %s@%s failed (attempt %d): %s", self.node, record.topic, record.offset, attempt, exc)
                if attempt < HANDLER_RETRIES:
                    await asyncio.sleep(0.05 * 2**attempt)
                    continue
                issue = Issue("I401", 401, f"the node could not handle the message: {exc}"[:400])
                try:
                    await self._run(self._dead_letter_only_tx, record, issue)
                except Exception:
                    log.exception("node %s: could not dead-letter %s@%s", self.node, record.topic, record.offset)

    def _dead_letter(self, tx: Tx, record: Record, issue: Issue, message_id: str | None, consignment: str | None = None) -> None:
        headers = list(record.headers) + [
            ("dlq_error_class", issue.error_class.name.lower().encode()),
            ("dlq_rule", issue.rule.encode()),
            ("dlq_reason", issue.message.encode()[:1000]),
            ("dlq_pointer", (issue.pointer or "").encode()),
            ("dlq_original_topic", record.topic.encode()),
            ("dlq_original_partition", str(record.partition).encode()),
            ("dlq_original_offset", str(record.offset).encode()),
        ]
        tx.send(Record(topic=self.topics.dead_letter(self.node), key=record.key, value=record.value, headers=tuple(headers)))
        self._interop(tx, Stage.DEAD_LETTERED, message_id=message_id, consignment=consignment or (record.key or b"").decode(errors="replace") or None,
                      receiver=self.node, result=issue.rule, detail=issue.message[:300])

    def _dead_letter_only_tx(self, tx: Tx, record: Record, issue: Issue) -> None:
        pos_id = f"pos:{record.topic}:{record.partition}:{record.offset}"
        if not tx.already_handled(pos_id):
            tx.mark_handled(pos_id, "dead_lettered", _iso(_now()))
            self._dead_letter(tx, record, issue, None)

    def _inbox_tx(self, tx: Tx, record: Record, now: datetime) -> Outcome:
        try:
            env = Envelope.from_headers(record.headers)
        except EnvelopeError as exc:
            pos_id = f"pos:{record.topic}:{record.partition}:{record.offset}"
            if tx.already_handled(pos_id):
                return Outcome("duplicate")
            tx.mark_handled(pos_id, "bad_envelope", _iso(now))
            issue = Issue("F300", 300, str(exc))
            self._interop(tx, Stage.RECEIVED, receiver=self.node, result="bad_envelope")
            self._dead_letter(tx, record, issue, None)
            return Outcome("dead_lettered", [issue])

        if tx.already_handled(env.id):
            self._interop(tx, Stage.DUPLICATE, message_id=env.id, correlation_id=env.correlation_id, consignment=env.subject,
                          sender=env.source, receiver=self.node, detail="redelivered message ignored")
            return Outcome("duplicate")

        mt = catalogue.by_ce_type(env.type)
        common = dict(message_id=env.id, correlation_id=env.correlation_id, consignment=env.subject, sender=env.source,
                      receiver=self.node, message_type=mt.name if mt else env.type, event=env.trigger)
        self._interop(tx, Stage.RECEIVED, **common)
        self.store.log_message(tx, env.id, "in", mt.name if mt else env.type, env.source, env.subject, env.trigger, None, _iso(now))

        issues: list[Issue] = []
        if not self.config.is_partner(env.source):
            issues.append(Issue("F301", 301, f"unknown sender {env.source!r}: this node exchanges with {', '.join(self.config.partners) or 'the SEED+ nodes'} only"))
        if env.recipient and env.recipient != self.node:
            issues.append(Issue("F302", 302, f"addressed to {env.recipient}, delivered to {self.node}: check ce_recipient and the topic"))
        if mt is None:
            issues.append(Issue("F303", 303, f"unknown message type {env.type!r}: see the catalogue (seedsim catalogue) for accepted ce_type values"))

        doc = None
        if mt is not None:
            try:
                root = parse_untrusted(record.value, self.limits)
            except UnsafeXmlError as exc:
                issues.append(from_unsafe(exc))
            else:
                report, doc = check(root, mt.schema, mt.read, mt.rules, RuleContext(node_country=self.node, sender=env.source), mt.name)
                issues.extend(report.issues)

        errors = [i for i in issues if i.severity == "error"]
        if errors:
            tx.mark_handled(env.id, "rejected", _iso(now))
            self._interop(tx, Stage.INVALID, **common, result=errors[0].rule, detail="; ".join(str(i) for i in errors)[:1000])
            if mt is None or mt.acknowledged:
                self._acknowledge(tx, env, errors, now, common)
            self._dead_letter(tx, record, errors[0], env.id, env.subject)
            return Outcome("rejected", errors)

        tx.mark_handled(env.id, "accepted", _iso(now))
        self._interop(tx, Stage.VALID, **common)
        if mt is catalogue.EXPORT_DATA:
            self._on_export_data(tx, env, doc, now)
        elif mt is catalogue.ACKNOWLEDGEMENT:
            self._on_acknowledgement(tx, env, doc, now)
        elif mt is catalogue.ENTRY_CONFIRMATION:
            self._on_entry_confirmation(tx, env, doc, now)
        elif mt is CONSIGNMENT_QUERY:
            self._on_query(tx, env, doc, now)
        elif mt is CONSIGNMENT_QUERY_RESPONSE:
            self._on_query_response(tx, env, doc, now)
        if mt.acknowledged:
            self._acknowledge(tx, env, [], now, common)
        return Outcome("accepted")

    def _acknowledge(self, tx: Tx, env: Envelope, errors: list[Issue], now: datetime, common: dict) -> None:
        ack = acknowledgement(env.id, errors, now, mrn=None)
        reply = replace(env.reply(self.node, catalogue.ACKNOWLEDGEMENT.ce_type, now), dataschema=catalogue.ACKNOWLEDGEMENT.schema)
        self._send(tx, reply, ack.to_xml(self._metadata("RES")), catalogue.ACKNOWLEDGEMENT)
        stage = Stage.NACKED if errors else Stage.ACKED
        self._interop(tx, stage, **{**common, "message_id": env.id}, result="03" if errors else "01",
                      detail=f"{len(errors)} error(s)" if errors else None)

    def _on_export_data(self, tx: Tx, env: Envelope, d: Declaration, now: datetime) -> None:
        ucr = d.ucr or env.subject or ""
        tx.execute(
            "INSERT INTO prearrival(ucr, mrn, sender, message_id, trigger, data, received_at) VALUES (?,?,?,?,?,?,?) "
            "ON CONFLICT(ucr) DO UPDATE SET mrn=excluded.mrn, sender=excluded.sender, message_id=excluded.message_id, "
            "trigger=excluded.trigger, data=excluded.data, received_at=excluded.received_at",
            (ucr, d.mrn, env.source, env.id, env.trigger, d.model_dump_json(), _iso(now)),
        )
        status = "exited_neighbour" if env.trigger == Event.EXIT.value else "pre_announced"
        self.store.set_consignment(tx, ucr, status, env.correlation_id or env.id, _iso(now))
        self._run_risk_profiles(tx, env, d, ucr, now)

    def _run_risk_profiles(self, tx: Tx, env: Envelope, d: Declaration, ucr: str, now: datetime) -> None:
        """Risk analysis before arrival: one alert of kind ``risk`` per profile hit (stage ``risk_alert``
        in interop), told from matching alerts found at entry.

        A profile alerts once per consignment: the EXIT data repeats the PRE_ARRIVAL data, and an
        officer waiting for a truck needs one alarm, not two.
        """
        for hit in risk.evaluate(d, self.risk_profiles):
            if tx.execute("SELECT 1 FROM alerts WHERE ucr = ? AND rule = ? AND kind = 'risk'", (ucr, hit.profile.id)).fetchone():
                continue
            tx.execute("INSERT INTO alerts(ucr, kind, rule, element, exit_value, detail, at) VALUES (?,'risk',?,?,?,?,?)",
                       (ucr, hit.profile.id, risk.RISK_ELEMENT, "; ".join(hit.reasons),
                        f"[{hit.profile.severity}, {hit.profile.action}] {hit.profile.description} ({env.trigger} data from {env.source})",
                        _iso(now)))
            self._interop(tx, Stage.RISK_ALERT, message_id=env.id, correlation_id=env.correlation_id, consignment=ucr, sender=env.source,
                          receiver=self.node, message_type=catalogue.EXPORT_DATA.name, event=env.trigger, result=hit.profile.id,
                          detail=hit.detail[:1000])

    def _on_acknowledgement(self, tx: Tx, env: Envelope, ack: Response, now: datetime) -> None:
        original = ack.in_reply_to or env.causation_id
        row = tx.execute("SELECT at, type, ucr, trigger FROM messages WHERE message_id = ? AND direction = 'out'", (original,)).fetchone()
        latency = None
        if row is not None:
            latency = (now - datetime.fromisoformat(row["at"])).total_seconds() * 1000
            tx.execute("UPDATE messages SET result = ?, acked_at = ? WHERE message_id = ? AND direction = 'out'",
                       ("acked" if ack.positive else "nacked", _iso(now), original))
        self._interop(
            tx, Stage.ACK_RECEIVED if ack.positive else Stage.NACK_RECEIVED, message_id=original, correlation_id=env.correlation_id,
            consignment=env.subject, sender=self.node, receiver=env.source, message_type=row["type"] if row else None,
            event=row["trigger"] if row else None, result=ack.function_code, latency_ms=latency,
            detail=None if row else "acknowledges a message this node did not send",
        )
        if row is not None and row["type"] == catalogue.ENTRY_CONFIRMATION.name:
            return
        if row is not None and row["ucr"] and ack.positive:
            cons = self.store.consignment(tx, row["ucr"])
            if cons and cons["status"] in ("pre_arrival_sent", "exited"):
                self.store.set_consignment(tx, row["ucr"], cons["status"] + "_acked", cons["correlation_id"], _iso(now))

    def _on_entry_confirmation(self, tx: Tx, env: Envelope, conf: Response, now: datetime) -> None:
        ucr = env.subject or ""
        discrepancies = [a for a in conf.additional_information if a.statement_type_code == "DIS"]
        status = "entry_confirmed_discrepancy" if discrepancies else "entry_confirmed"
        cons = self.store.consignment(tx, ucr)
        self.store.set_consignment(tx, ucr, status, cons["correlation_id"] if cons else (env.correlation_id or env.id), _iso(now))


def _base36(n: int) -> str:
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out
