"""The customs node's application service: small handlers, one per thing that happens.

* :meth:`CustomsNode.lodge` -- a trader or national system lodges a declaration;
* :meth:`CustomsNode.lodge_document` -- any other catalogue document (TIR carnet,
  cash declaration...) lodged for a consignment, kept for its events (:mod:`.lodged_documents`);
* :meth:`CustomsNode.on_event` -- a consignment event (PRE_ARRIVAL, EXIT, ENTRY) at an office:
  what it sends is what the Utility Block catalogue's steps name for that event
  from a customs role (:mod:`seedsim.utility_blocks.node_plan`); the node builds
  ExportData from an export declaration and EntryConfirmation from the match at
  entry, and on PRE_ARRIVAL/EXIT sends each lodged document of a step's type to
  the neighbour; a step it can fill neither way is skipped with a note;
* :meth:`CustomsNode.handle` -- a valid message arrived in the node's inbox (the
  inbox mechanics -- envelope, dedup, validation, ack/nack, dead letters, outbox --
  are the shared :class:`~seedsim.nodes.inbox_node.InboxNode`'s).

Each handler reads and writes the node's store in one transaction, which also
queues what must be sent (messages, interop records). After the commit the
outbox is sent. The handlers know the transport only through the port.
"""

from __future__ import annotations

import asyncio
import base64
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, NamedTuple

from seedsim.config import NodeConfig
from seedsim.conformance import is_declaration, lodging_check
from seedsim.core import codes
from seedsim.core.declaration import Declaration, Office, merge
from seedsim.core.declaration_rules import LODGING_RULES
from seedsim.core.envelope import Envelope, new_id
from seedsim.core.identifiers import is_valid_office, make_mrn
from seedsim.core.interop import Stage, traced
from seedsim.core.message_type import MessageCatalogue, MessageType
from seedsim.core.network_keys import NetworkKeys
from seedsim.core.response import (
    GOODS_ENTERED,
    AdditionalInformation,
    DateTimeString,
    IssueDateTime,
    Response,
    ResponseDeclaration,
)
from seedsim.core.sqlite_store import Tx
from seedsim.core.trace_context import conversation_trace_id, message_span_id
from seedsim.core.transport import Transport
from seedsim.core.validation import (
    Issue,
    RuleContext,
    ValidationReport,
    check,
    compiled_schema,
    parse_checked,
)
from seedsim.messages.aeo import AEO_IDENTITY_LIST
from seedsim.messages.query import (
    CONSIGNMENT_QUERY,
    CONSIGNMENT_QUERY_RESPONSE,
    ConsignmentQuery,
    ConsignmentQueryResponse,
    DeclarationSummary,
)
from seedsim.messages.safe import ADVANCE_CARGO_INFORMATION, AdvanceCargoInformation
from seedsim.messages.seed import DATA_MATCHED, ENTRY_CONFIRMATION, EXPORT_DATA, NO_PRE_ARRIVAL
from seedsim.nodes import refusal
from seedsim.nodes.customs import aeo_recognition, certificate_link, ens_entry, risk, safe_completeness
from seedsim.nodes.customs import lodged_documents as documents
from seedsim.nodes.customs.customs_store import CustomsStore
from seedsim.nodes.customs.lodged_documents import DocumentResult
from seedsim.nodes.customs.matching import effective_tolerances, match
from seedsim.nodes.driver_records import DOCUMENT, EVENT, LODGE, QUERY, DriverAction
from seedsim.nodes.inbox_node import REQUEST, DocumentReport, InboxNode, send_tx
from seedsim.nodes.inbox_node import iso as _iso
from seedsim.nodes.inbox_node import now_utc as _now
from seedsim.nodes.refusal import Refusal, Why
from seedsim.utility_blocks.node_plan import NodePlan, Send

MRN_PROCEDURE = {"export": "A", "import": "R", "transit": "J"}


class Event(str, Enum):
    PRE_ARRIVAL = "PRE_ARRIVAL"
    EXIT = "EXIT"
    ENTRY = "ENTRY"


class EventRejected(Refusal):
    """The event (or query) cannot be acted on; its issues say what is missing or wrong, in the user's terms."""


class Held(NamedTuple):
    """What lodging a declaration does to those the node holds: the row it changes (None: a new one), the status
    it will have and the declaration as it will be kept."""

    row: dict[str, Any] | None
    status: str
    declaration: Declaration


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


class CustomsNode(InboxNode):
    """A national customs node: lodging desk, consignment events, SEED matching, queries."""

    def __init__(
        self,
        config: NodeConfig,
        transport: Transport,
        catalogue: MessageCatalogue,
        store: CustomsStore | None = None,
        keys: NetworkKeys | None = None,
    ):
        super().__init__(
            config.node,
            config.node,
            transport,
            store or CustomsStore(config.db_path()),
            catalogue,
            config.topic_prefix,
            config.max_xml_bytes,
            keys,
            timedelta(seconds=config.clock_skew_s),
            config.retention(),
        )
        self.config = config
        self.agency_name = f"Customs {config.node}"
        compiled_schema(config.national_schema)  # fail at start, not on the first declaration, if it is missing
        # what the node checks received data against, read and validated at start, not on the first message
        self.tolerances = effective_tolerances(config.tolerances)
        self.risk_profiles = risk.load(config.risk_profiles)
        self.plan = NodePlan.load(config.node, config.utility_blocks)
        self.national_codes = config.national_codes()

    async def purge_records(self, now: datetime) -> dict[str, int]:
        """The consignments nothing happened to for longer than the consignment retention (none set: kept)."""
        if self.retention.consignments_s is None:
            return {}
        before = _iso(now - timedelta(seconds=self.retention.consignments_s))
        return {"consignments": await self.store.purge_consignments(before, self.retention.batch)}

    def accepts(self, sender: str) -> bool:
        return self.config.is_partner(sender)

    def partners_text(self) -> str:
        return ", ".join(self.config.partners) or "the SEED+ nodes"

    def handle(self, tx: Tx, env: Envelope, mt: MessageType, doc: Any, now: datetime) -> None:
        if mt is EXPORT_DATA:
            self._on_export_data(tx, env, doc, now)
        elif mt is ENTRY_CONFIRMATION:
            self._on_entry_confirmation(tx, env, doc, now)
        elif mt is CONSIGNMENT_QUERY:
            self._on_query(tx, env, doc, now)
        elif mt is CONSIGNMENT_QUERY_RESPONSE:
            self._on_query_response(tx, env, doc, now)
        elif mt is ADVANCE_CARGO_INFORMATION:
            self._on_advance_cargo(tx, env, doc, now)
        elif mt is AEO_IDENTITY_LIST:
            aeo_recognition.keep(self.store, tx, env.source, doc, _iso(now))
        elif certificate_link.is_certificate(mt.name):
            certificate_link.receive(self.store, tx, mt.name, doc, env.subject, env.source, _iso(now))

    def after_ack(self, tx: Tx, sent: dict | None, ack: Response, now: datetime) -> None:
        """Exit data acknowledged by the neighbour: the consignment's status says so."""
        if sent is None or not sent["ucr"] or not ack.positive or sent["type"] != EXPORT_DATA.name:
            return
        cons = self.store.consignment(tx, sent["ucr"])
        if cons and cons["status"] in ("pre_arrival_sent", "exited"):
            self.store.set_consignment(tx, sent["ucr"], cons["status"] + "_acked", cons["correlation_id"], _iso(now))

    # -- lodging a declaration --------------------------------------------------------------------

    async def lodge(self, data: bytes) -> LodgeResult:
        # parsed and checked off the event loop: a node lodging a large document still answers /health
        report, d = await asyncio.to_thread(self.check_declaration, data)
        if not report.ok or d is None:
            return LodgeResult(accepted=False, report=report)
        return await self.run(self._lodge_tx, d, data, report)

    def check_declaration(self, data: bytes) -> tuple[ValidationReport, Declaration | None]:
        """What the lodging desk finds wrong in a declaration on its own: hardened parse, the national schema and the
        lodging rules (``LODGING_RULES``: the declaration rules, and that it is this node's to register).

        Business rules judge a whole declaration: an original as lodged, a change (FunctionCode 13) once merged into
        the declaration it amends (:meth:`_against_held`)."""
        return lodging_check(data, self.config.national_schema, self.node, self.limits, self.national_codes)

    def _against_held(self, tx: Tx, d: Declaration, report: ValidationReport) -> Held | None:
        """What lodging ``d`` would do to the declarations this node holds, read only: a change (FunctionCode 13)
        merged into the one it amends (W201 if none), an original's LRN not used before (W202). None when refused
        (the issues are added to ``report``)."""
        if d.function_code != codes.FUNCTION_CHANGE:
            if d.lrn and self.store.declaration_by(tx, lrn=d.lrn):
                report.extend(
                    [
                        Issue(
                            "W202",
                            202,
                            "a declaration with this LRN was already lodged: use a new LRN, or FunctionCode 13 to amend",
                            "/MetaData/Declaration/FunctionalReferenceID",
                            d.lrn,
                        )
                    ]
                )
                return None
            return Held(None, "accepted", d)
        held = self.store.declaration_by(tx, mrn=d.mrn, lrn=d.lrn)
        if held is None:
            ref = " / ".join(f"{k} {v}" for k, v in (("MRN", d.mrn), ("LRN", d.lrn)) if v)
            report.extend(
                [
                    Issue(
                        "W201",
                        201,
                        f"refers to a declaration this node does not hold ({ref}): lodge the original first or correct the reference",
                        "/MetaData/Declaration/ID",
                        d.mrn or d.lrn,
                    )
                ]
            )
            return None
        base = Declaration.model_validate_json(held["data"])
        if d.type_code == "INV":
            return Held(held, "cancelled", base)
        new = merge(
            base,
            d.model_copy(
                update={
                    "function_code": base.function_code,
                    "type_code": base.type_code,
                    "mrn": base.mrn,
                    "lrn": base.lrn,
                }
            ),
        )
        report.extend(LODGING_RULES.run(new, RuleContext(node_country=self.node, national_codes=self.national_codes)))
        return Held(held, "amended", new) if report.ok else None

    async def lodging_report(self, data: bytes) -> DocumentReport:
        """The lodging desk's verdict on ``data`` without lodging it: POST /declarations' checks for a declaration
        (with what the node holds: W201, W202), POST /documents' for any other document. The document is parsed
        and checked off the event loop."""
        name, report, d = await asyncio.to_thread(self._desk_check, data)
        if report.ok and d is not None:
            await self.store.read(self._against_held, d, report)
        return DocumentReport(REQUEST, name, report)

    def _desk_check(self, data: bytes) -> tuple[str | None, ValidationReport, Declaration | None]:
        """(the type ``data`` was read as, what the lodging desk finds wrong in it on its own, the declaration)."""
        root, unreadable = parse_checked(data, self.limits)
        if root is None:
            return None, unreadable, None
        if not is_declaration(root):
            report, mt, _model = self.check_document(data)
            return (mt.name if mt else None), report, None
        candidates = self.catalogue.detect(root)
        report, d = self.check_declaration(data)
        return (candidates[0].name if candidates else "Declaration"), report, d

    def _lodge_tx(self, tx: Tx, d: Declaration, data: bytes, report: ValidationReport) -> LodgeResult:
        now = _iso(_now())
        verdict = self._against_held(tx, d, report)
        if verdict is None:
            return LodgeResult(accepted=False, report=report)
        held, status, new = verdict
        self.driven(tx, LODGE, xml_b64=_b64(data))
        if held is not None:
            self.store.update_declaration(tx, held["mrn"], status, new)
            self.interop(
                tx,
                Stage.SUBMITTED,
                consignment=new.ucr,
                message_type=f"Declaration/{d.type_code}",
                result=status,
                detail=f"MRN {held['mrn']}",
            )
            return LodgeResult(
                accepted=True,
                report=report,
                mrn=held["mrn"],
                lrn=held["lrn"],
                ucr=new.ucr,
                status=status,
                declaration=new,
            )
        mrn = d.mrn
        if not mrn:
            serial_no = self.store.next_declaration_serial(tx)
            serial = _base36(serial_no).rjust(12, "0")
            mrn = make_mrn(_now().year, self.node, serial, MRN_PROCEDURE.get(d.kind or "", "A"))
        d = d.model_copy(update={"mrn": mrn})
        self.store.add_declaration(tx, d, data, "accepted", now)
        if d.ucr and self.store.consignment(tx, d.ucr) is None:
            self.store.set_consignment(tx, d.ucr, f"{d.kind}_declared", new_id(), now)
        self.interop(
            tx,
            Stage.SUBMITTED,
            consignment=d.ucr,
            message_type=f"Declaration/{d.type_code}",
            result="accepted",
            detail=f"MRN {mrn}",
        )
        return LodgeResult(
            accepted=True, report=report, mrn=mrn, lrn=d.lrn, ucr=d.ucr, status="accepted", declaration=d
        )

    # -- lodging a document for a consignment ------------------------------------------------------

    async def lodge_document(self, data: bytes, consignment: str) -> DocumentResult:
        """Check any catalogue document (not a declaration) and keep it for ``consignment``'s events (:mod:`.lodged_documents`)."""
        consignment = (consignment or "").strip()
        if not consignment:
            return documents.refused(
                Issue("W204", 204, "name the consignment (UCR or reference) the document is for: ?consignment=...")
            )
        report, mt, model = await asyncio.to_thread(self.check_document, data)
        if not report.ok or mt is None or model is None:
            return DocumentResult(False, report, consignment, mt.name if mt else None)
        return await self.run(
            self._lodge_document_tx, consignment, mt, documents.document_id(model, data), data, report
        )

    def check_document(self, data: bytes) -> tuple[ValidationReport, MessageType | None, Any]:
        """What POST /documents finds wrong in a document: hardened parse, a type that may be lodged here
        (:func:`.lodged_documents.lodgeable_type`), its schema and rules. Returns the report, the type and the model."""
        root, unreadable = parse_checked(data, self.limits)
        if root is None:
            return unreadable, None, None
        mt, why_not = documents.lodgeable_type(root, self.catalogue)
        if mt is None:
            return ValidationReport([why_not] if why_not else []), None, None
        report, model = check(
            root,
            mt.schema,
            mt.read,
            mt.rules,
            RuleContext(node_country=self.node, national_codes=self.national_codes),
            mt.name,
        )
        return report, mt, model

    def _lodge_document_tx(
        self, tx: Tx, consignment: str, mt: MessageType, doc_id: str, data: bytes, report: ValidationReport
    ) -> DocumentResult:
        held = self.store.document(tx, consignment, mt.name, doc_id)
        if held is not None and bytes(held["xml"]) == data:
            return DocumentResult(True, report, consignment, mt.name, doc_id, "unchanged")
        status = "replaced" if held is not None else "lodged"
        self.driven(tx, DOCUMENT, xml_b64=_b64(data), consignment=consignment)
        self.store.save_document(tx, consignment, mt.name, doc_id, data, _iso(_now()))
        self.interop(
            tx,
            Stage.SUBMITTED,
            consignment=consignment,
            message_type=mt.name,
            result=status,
            detail=f"document {doc_id}",
        )
        return DocumentResult(True, report, consignment, mt.name, doc_id, status)

    # -- consignment events -----------------------------------------------------------------------

    async def on_event(
        self, event: Event, consignment: str, office: str, entry_office: str | None = None, at: datetime | None = None
    ) -> dict[str, Any]:
        at = at or _now()
        consignment = (consignment or "").strip()
        if not consignment:
            raise EventRejected(
                Why.MALFORMED, refusal.bad_field("name the consignment: its UCR, or the reference it was lodged under")
            )
        office, entry_office = office.strip().upper(), (entry_office or "").strip().upper() or None
        self._check_offices(event, office, entry_office)
        return await self.run(self._event_tx, event, consignment, office, entry_office, at)

    def _event_tx(
        self, tx: Tx, event: Event, ucr: str, office: str, entry_office: str | None, at: datetime
    ) -> dict[str, Any]:
        """Act on an event once: the same event at the same offices again, with nothing lodged or received for the
        consignment since (a client retrying its request), does nothing again -- no second alert, no second
        message -- and answers what the first did, with ``"repeat": true``."""
        holdings = self.store.holdings(tx, ucr)
        first = self.store.event_answer(tx, ucr, event.value, office, entry_office, holdings)
        if first is not None:
            return {**first, "repeat": True}
        if event in (Event.PRE_ARRIVAL, Event.EXIT):
            answer = self._exit_tx(tx, event, ucr, office, entry_office, at)
        else:
            answer = self._entry_tx(tx, ucr, office, at)
            answer.update(certificate_link.at_entry(self, tx, ucr, at))  # the certificates, before release
        self.store.save_event(tx, ucr, event.value, office, entry_office, holdings, json.dumps(answer), _iso(at))
        return answer

    # -- doing again what drove a node (re-driving a trace) -----------------------------------------

    async def redo(self, action: DriverAction) -> dict[str, Any]:
        """Do ``action`` (read from a trace's driver topic) to this node, as its driver did; the node writes it
        to the driver topic again. What the node will not do raises :class:`Refusal` with its issues."""
        a = action.args
        if action.action == LODGE:
            result = await self.lodge(base64.b64decode(a["xml_b64"]))
            if not result.accepted:
                raise Refusal(Why.REFUSED, *result.report.issues)
            return result.to_dict()
        if action.action == DOCUMENT:
            done = await self.lodge_document(base64.b64decode(a["xml_b64"]), str(a["consignment"]))
            if not done.accepted:
                raise Refusal(Why.REFUSED, *done.report.issues)
            return {"status": done.status}
        if action.action == EVENT:
            event = Event(a["event"])
            return await self.on_event(event, str(a["consignment"]), str(a["office"]), action.text("entry_office"))
        if action.action == QUERY:
            return await self.query(str(a["to"]), action.text("consignment"), action.text("mrn"), action.text("reason"))
        return await super().redo(action)

    def partners(self) -> list[str]:
        return self.config.partners or [c for c in codes.SEED_COUNTRIES if self.config.is_partner(c)]

    def _office_example(self, entry: bool) -> str:
        """One of this node's offices, from its border crossings, to show in a message."""
        for c in self.config.crossings:
            office = c.entry_office if entry else c.exit_office
            if office[:2] == self.node:
                return f", e.g. {office}"
        return ""

    def _check_offices(self, event: Event, office: str, entry_office: str | None) -> None:
        """What can be told about an event's offices before anything is looked up: each is a customs office
        reference number, the event happens at one of this node's offices, the office of entry is a neighbour's."""
        problem = self._office_problem(event, office, entry_office)
        if problem is not None:
            raise EventRejected(Why.REFUSED, refusal.bad_office(*problem))

    def _office_problem(self, event: Event, office: str, entry_office: str | None) -> tuple[str, str, str] | None:
        """(what is wrong, the field, its value) of the first wrong office of an event; None when they are right."""
        me, partners = self.node, ", ".join(self.partners())
        if not is_valid_office(office):
            example = self._office_example(event is Event.ENTRY)
            return (
                f"office {office!r} is not a customs office reference number (country code and 6 characters{example})",
                "/office",
                office,
            )
        if office[:2] != me and event is Event.ENTRY:
            return (
                f"office {office} is not in {me}: an ENTRY at node {me} happens at the office of entry in {me}"
                f"{self._office_example(True)}; the office of exit is in the exit data the neighbour sent",
                "/office",
                office,
            )
        if office[:2] != me:
            return (
                f"office {office} is not in {me}: {'a' if event is Event.PRE_ARRIVAL else 'an'} {event.value} "
                f"at node {me} happens at an office in {me}; give the office of exit in {me} as office"
                f"{self._office_example(False)}, and the neighbour's office of entry as entry_office",
                "/office",
                office,
            )
        if event is Event.ENTRY or entry_office is None:
            return None
        there = entry_office[:2]
        if not is_valid_office(entry_office):
            why = "is not a customs office reference number (country code and 6 characters)"
            return f"entry_office {entry_office!r} {why}", "/entry_office", entry_office
        if there == me:
            why = f"is in {me}, this node's own country: the office of entry is the neighbour's, where the goods arrive"
            return f"entry_office {entry_office} {why} ({partners})", "/entry_office", entry_office
        if not self.config.is_partner(there):
            why = f"which is not a partner of node {me} (partners: {partners}): give an office of entry in a partner's country"
            return f"entry_office {entry_office} is in {there}, {why}", "/entry_office", entry_office
        return None

    def _exit_tx(
        self, tx: Tx, event: Event, ucr: str, office: str, entry_office: str | None, at: datetime
    ) -> dict[str, Any]:
        """Send every step the UBs have a customs role send on ``event``: ExportData built from the export
        declaration, and each lodged document of a step's type (:mod:`.lodged_documents`); a step with neither is skipped
        with a note. Refused (with today's messages) only when no step at all can be sent."""
        self.driven(tx, EVENT, event=event.value, consignment=ucr, office=office, entry_office=entry_office)
        held = self.store.declaration_for(tx, ucr, "export")
        steps = self.plan.on_event(event.value)
        docs = {s.message: self.store.documents_for(tx, ucr, s.message) for s in steps if not self.plan.to_agency(s)}
        if not any(docs.values()):
            if held is None:
                raise EventRejected(
                    Why.CONFLICT,
                    refusal.not_now(
                        f"no export declaration for consignment {ucr} at node {self.node}: lodge it first "
                        "(POST /declarations)",
                        "/consignment",
                        ucr,
                    ),
                )
            if not any(s.message == EXPORT_DATA.name for s in steps):
                raise EventRejected(
                    Why.CONFLICT,
                    refusal.not_now(
                        f"no Utility Block has a customs role send {EXPORT_DATA.name} on {event.value}: "
                        "see schemas/utility-blocks",
                        "/event",
                        event.value,
                    ),
                )
        d = Declaration.model_validate_json(held["data"]) if held else None
        exit_office = (
            office
            if event == Event.EXIT or d is None
            else (d.exit_office.id if d.exit_office and d.exit_office.id else office)
        )
        to_office = entry_office or self.config.entry_office_for(exit_office)
        if to_office is None:
            raise EventRejected(
                Why.REFUSED,
                refusal.bad_office(
                    f"no office of entry known for the office of exit {exit_office}: give entry_office (the "
                    f"neighbour's office where the goods arrive) or configure the border crossing",
                    "/entry_office",
                    None,
                ),
            )
        recipient = to_office[:2]
        if not self.config.is_partner(recipient):
            raise EventRejected(
                Why.REFUSED,
                refusal.bad_office(
                    f"the office of entry {to_office} (from the border crossing of {exit_office}) is in {recipient}, "
                    f"which is not a partner of node {self.node} (partners: {', '.join(self.partners())}): "
                    "give entry_office",
                    "/entry_office",
                    to_office,
                ),
            )
        cons = self.store.consignment(tx, ucr)
        correlation = cons["correlation_id"] if cons else new_id()
        status = "exited" if event == Event.EXIT else "pre_arrival_sent"
        result: dict[str, Any] = {"consignment": ucr, "status": status, "sent_to": recipient, "entry_office": to_office}
        sent: list[dict[str, Any]] = []
        skipped: list[str] = []
        for send in steps:
            where = f"{send.ub.id} step {send.index} ({send.message} to {send.step.to_role})"
            if self.plan.to_agency(send):
                skipped.append(f"{where}: a customs node sends to the neighbouring customs only, not to an agency")
            elif send.message == EXPORT_DATA.name and d is not None:
                exit_data = d.model_copy(update={"exit_office": Office(id=exit_office)})
                env = self._send_step(tx, send, exit_data.to_xml(self.metadata("DEC")), recipient, ucr, correlation, at)
                result.update(message_id=env.id, utility_block=send.ub.id)
                sent.append(
                    {"type": send.message, "document_id": d.mrn, "message_id": env.id, "utility_block": send.ub.id}
                )
            elif docs.get(send.message):
                for doc in docs[send.message]:
                    env = self._send_step(tx, send, doc["xml"], recipient, ucr, correlation, at)
                    sent.append(
                        {
                            "type": send.message,
                            "document_id": doc["doc_id"],
                            "message_id": env.id,
                            "utility_block": send.ub.id,
                        }
                    )
            else:
                skipped.append(
                    f"{where}: node {self.node} neither builds nor holds one for consignment {ucr} "
                    f"(lodge it at POST /documents?consignment={ucr})"
                )
        self.store.set_consignment(tx, ucr, status, correlation, _iso(at))
        result["sent"] = sent
        if skipped:
            result["skipped"] = skipped
        return result

    def _send_step(
        self,
        tx: Tx,
        send: Send,
        payload: bytes,
        to: str,
        ucr: str,
        correlation: str,
        at: datetime,
        parent_span_id: str | None = None,
    ) -> Envelope:
        """Send what a UB step names, reduced to that UB's data set for the message, in the consignment's trace (as
        the child of span ``parent_span_id`` when it answers a message), naming the UBs whose conversations it
        belongs to (an EntryConfirmation: those the consignment had with ``to`` here, :meth:`conversations`)."""
        mt = self.catalogue.by_name[send.message]
        ubs = self.conversations(tx, send.message, send.step.event, to, ucr)
        # ce_time is when the message is sent (receivers check it against their clock), not the event's time
        env = mt.envelope(self.node, to, subject=ucr, correlation_id=correlation, trigger=send.step.event, ubs=ubs)
        payload = self.outgoing(mt, payload, to, send.step.event, send.ub.id)
        send_tx(tx, self.node, self.topics, self.store, env, payload, mt, parent_span_id, signer=self.signer)
        return env

    def _entry_tx(self, tx: Tx, ucr: str, office: str, at: datetime) -> dict[str, Any]:
        self.driven(tx, EVENT, event=Event.ENTRY.value, consignment=ucr, office=office, entry_office=None)
        held = self.store.declaration_for(tx, ucr, "import")
        if held is None:
            raise EventRejected(
                Why.CONFLICT,
                refusal.not_now(
                    f"no import declaration for consignment {ucr} at node {self.node}: lodge it before entry",
                    "/consignment",
                    ucr,
                ),
            )
        entry = Declaration.model_validate_json(held["data"])
        pre = self.store.prearrival(tx, ucr)
        cons = self.store.consignment(tx, ucr)
        correlation = cons["correlation_id"] if cons else new_id()
        now = _iso(at)
        if pre is None:
            self.store.add_alert(
                tx,
                ucr,
                NO_PRE_ARRIVAL,
                "pre-arrival data",
                "goods entered with no pre-arrival data from the country of exit",
                now,
            )
            self.interop(
                tx,
                Stage.ALERT,
                consignment=ucr,
                correlation_id=correlation,
                event=Event.ENTRY.value,
                result=NO_PRE_ARRIVAL,
                detail="no pre-arrival data",
                trace_id=conversation_trace_id(correlation),
            )
            self.store.set_consignment(tx, ucr, "entered_unannounced", correlation, now)
            return {"consignment": ucr, "status": "entered_unannounced", "discrepancies": [], "alerts": 1}
        exit_data = Declaration.model_validate_json(pre["data"])
        found = match(exit_data, entry, self.tolerances)
        # what every matching record of this entry says: the consignment, its conversation, who sent the exit data
        at_entry: dict[str, Any] = dict(
            consignment=ucr,
            correlation_id=correlation,
            sender=pre["sender"],
            receiver=self.node,
            event=Event.ENTRY.value,
            trace_id=conversation_trace_id(correlation),
        )
        for disc in found:
            self.store.add_alert(
                tx,
                ucr,
                disc.rule,
                disc.element,
                disc.detail,
                now,
                exit_value=disc.exit_value,
                entry_value=disc.entry_value,
            )
            self.interop(
                tx,
                Stage.ALERT,
                **at_entry,
                result=disc.rule,
                detail=f"{disc.element}: exit {disc.exit_value} / entry {disc.entry_value}; {disc.detail}",
            )
        if not found:
            self.interop(tx, Stage.MATCHED, **at_entry, result="match")
        status = "entered_discrepancy" if found else "entered_matched"
        self.store.set_consignment(tx, ucr, status, correlation, now)
        # what the UB under which the exit data arrived sends on ENTRY from the receiving role: back to its sender
        sends = [
            s for s in self.plan.continuing(Event.ENTRY.value, EXPORT_DATA.name) if s.message == ENTRY_CONFIRMATION.name
        ]
        if not sends:
            return {"consignment": ucr, "status": status, "discrepancies": [d.to_dict() for d in found]}
        confirmation = Response(
            function_code=GOODS_ENTERED,
            in_reply_to=pre["message_id"],
            issue_date_time=IssueDateTime(date_time_string=DateTimeString.of(at)),
            additional_information=[
                AdditionalInformation(
                    statement_code=d.rule,
                    statement_description=f"{d.element}: exit {d.exit_value}, entry {d.entry_value}"[:512],
                    statement_type_code="DIS",
                )
                for d in found
            ]
            or [
                AdditionalInformation(
                    statement_code=DATA_MATCHED,
                    statement_description=f"entered at {office}; data matched",
                    statement_type_code="MAT",
                )
            ],
            declaration=ResponseDeclaration(mrn=pre["mrn"]),
        )
        # it answers the exit data: the child of its span (derived from its id, as every seedsim node derives a
        # message's span id; the pre-arrival data keeps no headers), in the conversation's trace
        env = self._send_step(
            tx,
            sends[0],
            confirmation.to_xml(self.metadata("RES")),
            pre["sender"],
            ucr,
            correlation,
            at,
            message_span_id(pre["message_id"]),
        )
        return {
            "consignment": ucr,
            "status": status,
            "discrepancies": [d.to_dict() for d in found],
            "message_id": env.id,
        }

    # -- queries to a neighbour ----------------------------------------------------------------------

    async def query(
        self, to: str, consignment: str | None = None, mrn: str | None = None, reason: str | None = None
    ) -> dict[str, Any]:
        """Ask node ``to`` what it holds on a consignment; the answer arrives in the inbox."""
        if not (consignment or mrn):
            raise EventRejected(
                Why.MALFORMED,
                refusal.bad_field("name the consignment (consignment: its UCR) or the declaration (mrn) to ask about"),
            )
        if to == self.node:
            raise EventRejected(
                Why.REFUSED,
                refusal.not_a_partner(
                    f"node {self.node} asks its neighbours, not itself: name one of {', '.join(self.partners())}",
                    "/to",
                    to,
                ),
            )
        if not self.config.is_partner(to):
            raise EventRejected(
                Why.CONFLICT,
                refusal.not_a_partner(
                    f"{to} is not a partner of node {self.node}: it asks {', '.join(self.partners())}", "/to", to
                ),
            )
        return await self.run(self._query_tx, to, consignment, mrn, reason, _now())

    def _query_tx(
        self, tx: Tx, to: str, ucr: str | None, mrn: str | None, reason: str | None, at: datetime
    ) -> dict[str, Any]:
        """Send a query; the same query again while its answer has not arrived (a client retrying its request) is
        not sent again: it answers the first one's id, with ``"repeat": true``."""
        asked = json.dumps([to, ucr, mrn, reason])
        pending = self.store.unanswered_query(tx, asked)
        if pending is not None:
            return {"query_id": pending, "sent_to": to, "repeat": True}
        self.driven(tx, QUERY, to=to, consignment=ucr, mrn=mrn, reason=reason)
        q = ConsignmentQuery(
            query_id=new_id(),
            issue_date_time=at.replace(microsecond=0),
            requesting_node=self.node,
            ucr=ucr,
            mrn=mrn,
            reason=reason,
            requested_data=["STATUS", "DECLARATION", "PRE_ARRIVAL"],
        )
        cons = self.store.consignment(tx, ucr) if ucr else None
        correlation = cons["correlation_id"] if cons else None
        env = CONSIGNMENT_QUERY.envelope(self.node, to, id=q.query_id, subject=ucr or mrn, correlation_id=correlation)
        payload = CONSIGNMENT_QUERY.write(q)
        send_tx(tx, self.node, self.topics, self.store, env, payload, CONSIGNMENT_QUERY, signer=self.signer)
        self.store.save_query(tx, asked, q.query_id, _iso(at))
        return {"query_id": q.query_id, "sent_to": to}

    def _on_query(self, tx: Tx, env: Envelope, q: ConsignmentQuery, now: datetime) -> None:
        held = []
        decl_rows = self.store.declarations_matching(tx, q.ucr, q.mrn)
        if "DECLARATION" in q.requested_data:
            held += [
                DeclarationSummary.of(Declaration.model_validate_json(r["data"]), "DECLARATION") for r in decl_rows
            ]
        pre = self.store.prearrival_matching(tx, q.ucr, q.mrn)
        if pre is not None and "PRE_ARRIVAL" in q.requested_data:
            held.append(DeclarationSummary.of(Declaration.model_validate_json(pre["data"]), "PRE_ARRIVAL"))
        cons = self.store.consignment(tx, q.ucr) if q.ucr else None
        found = bool(decl_rows or pre is not None or cons)
        answer = ConsignmentQueryResponse(
            query_id=q.query_id,
            issue_date_time=now.replace(microsecond=0),
            responding_node=self.node,
            ucr=q.ucr,
            found=found,
            status=(cons["status"] if cons else "declared") if found else None,
            declarations=held if found else [],
        )
        self.reply(tx, env, CONSIGNMENT_QUERY_RESPONSE, CONSIGNMENT_QUERY_RESPONSE.write(answer), now)

    def _on_query_response(self, tx: Tx, env: Envelope, r: ConsignmentQueryResponse, now: datetime) -> None:
        self.store.save_answer(tx, r.query_id, env.source, r.ucr, r.found, r.status, r.model_dump_json(), _iso(now))

    # -- what arrives --------------------------------------------------------------------------------

    def _on_export_data(self, tx: Tx, env: Envelope, d: Declaration, now: datetime) -> None:
        ucr = d.ucr or env.subject or ""
        self.store.save_prearrival(tx, ucr, d.mrn, env.source, env.id, env.trigger, d.model_dump_json(), _iso(now))
        status = "exited_neighbour" if env.trigger == Event.EXIT.value else "pre_announced"
        self.store.set_consignment(tx, ucr, status, env.correlation_id or env.id, _iso(now), join_conversation=True)
        self._run_risk_profiles(tx, env, d, ucr, now)
        self._hand_to_ics(tx, env, d, ucr, now)

    def _hand_to_ics(self, tx: Tx, env: Envelope, d: Declaration, ucr: str, now: datetime) -> None:
        """An EU member state's node: the exit data as the ENS its national ICS takes (:mod:`.ens_entry`)."""
        if not ens_entry.speaks_ens(self.config):
            return
        ens = ens_entry.entry_summary(self.config, d, env.id, now)
        if ens is not None:
            self.store.save_document(tx, ucr, ens_entry.ENS_DOCUMENT, ens[0], ens[1], _iso(now))

    def _on_advance_cargo(self, tx: Tx, env: Envelope, record: AdvanceCargoInformation, now: datetime) -> None:
        """The office of entry's SAFE completeness check: an alert when a key data element is missing."""
        found = safe_completeness.check(record)
        if found is None:
            return
        self.store.add_alert(
            tx, found.ucr, safe_completeness.RULE, found.elements, found.detail, _iso(now), kind=safe_completeness.KIND
        )
        self.interop(  # a finding of the security risk assessment before arrival, as a risk profile's hit
            tx,
            Stage.RISK_ALERT,
            message_id=env.id,
            correlation_id=env.correlation_id,
            consignment=found.ucr,
            sender=env.source,
            receiver=self.node,
            message_type=ADVANCE_CARGO_INFORMATION.name,
            event=env.trigger,
            result=safe_completeness.RULE,
            detail=found.detail[:1000],
            **traced(env.trace),
        )

    def _run_risk_profiles(self, tx: Tx, env: Envelope, d: Declaration, ucr: str, now: datetime) -> None:
        """Risk analysis before arrival: one alert of kind ``risk`` per profile hit (stage ``risk_alert``
        in interop), told from matching alerts found at entry.

        A profile alerts once per consignment: the EXIT data repeats the PRE_ARRIVAL data, and an
        officer waiting for a truck needs one alarm, not two.
        """
        for hit in risk.evaluate(d, self.risk_profiles, aeo_recognition.recognised(self.store, tx)):
            if self.store.has_risk_alert(tx, ucr, hit.profile.id):
                continue
            self.store.add_alert(
                tx,
                ucr,
                hit.profile.id,
                risk.RISK_ELEMENT,
                f"[{hit.severity}, {hit.profile.action}] {hit.profile.description} ({env.trigger} data from {env.source})",
                _iso(now),
                kind="risk",
                exit_value="; ".join(hit.reasons),
            )
            self.interop(
                tx,
                Stage.RISK_ALERT,
                message_id=env.id,
                correlation_id=env.correlation_id,
                consignment=ucr,
                sender=env.source,
                receiver=self.node,
                message_type=EXPORT_DATA.name,
                event=env.trigger,
                result=hit.profile.id,
                detail=hit.detail[:1000],
                **traced(env.trace),
            )

    def _on_entry_confirmation(self, tx: Tx, env: Envelope, conf: Response, now: datetime) -> None:
        ucr = env.subject or ""
        discrepancies = [a for a in conf.additional_information if a.statement_type_code == "DIS"]
        status = "entry_confirmed_discrepancy" if discrepancies else "entry_confirmed"
        cons = self.store.consignment(tx, ucr)
        self.store.set_consignment(
            tx, ucr, status, cons["correlation_id"] if cons else (env.correlation_id or env.id), _iso(now)
        )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _base36(n: int) -> str:
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out
