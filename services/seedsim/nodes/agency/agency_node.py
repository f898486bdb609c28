"""Agency nodes: the other authorities a border crossing depends on, on the same wire as customs.

SEED+ reaches beyond customs (certificates through the TRACES NT CEFTA link,
proofs of origin, TIR guarantees, VAT refunds). An agency node has a customs
node's inbox mechanics (:class:`seedsim.nodes.inbox_node.InboxNode`: envelope
checks, dedup, validation, ack/nack, dead letters, outbox) and its own small
trade, by kind:

* ``NPPO`` -- national plant protection organisation: issues phytosanitary
  certificates; answers a check on one (a ConsignmentQuery whose UCR is the
  certificate number, answered by a ConsignmentQueryResponse: found and
  ``certificate_issued``, or not found). The catalogue has no certificate
  status request of its own (the ePhyto hub's envelope status would be one).
* ``CCI`` -- chamber of commerce: issues certificates of origin; answers an
  OriginVerificationRequest with an OriginVerificationResponse (authentic and
  originating when it issued that certificate, not authentic otherwise).
* ``TIR`` -- the national association of the TIR guarantee chain: registers the
  carnets it issued; answers a guarantee check (a ConsignmentQuery whose UCR is
  the carnet number) with ``guarantee_valid`` or not found. eTIR's own pair
  (E7/E8-style guarantee query and answer) is not in the catalogue.
* ``TAX`` -- the tax administration: receives VAT-refund export proofs.
* ``VET`` -- the veterinary authority (its TRACES NT instance): issues veterinary
  certificates (:mod:`seedsim.messages.veterinary`) and, at the border control
  post, the CHED of a consignment a certificate it holds covers
  (:meth:`AgencyNode.issue_ched`); withdraws or replaces a certificate
  (:meth:`AgencyNode.withdraw`: the withdrawn certificate, StatusCode 40, goes
  to whoever received it, and the replacement after it); answers a status
  query (a ConsignmentQuery whose UCR is the certificate number or the CHED
  reference) with ``certificate_valid``, ``certificate_withdrawn``,
  ``certificate_replaced_by <number>`` or not found. An NPPO withdraws its
  phytosanitary certificates the same way.
* ``MED`` -- the medicines authority: issues Certificates of a Pharmaceutical
  Product (WHO Certification Scheme, :mod:`seedsim.messages.pharmaceutical`),
  withdraws them (Status WITHDRAWN, sent again) and answers status queries as
  the veterinary authority does.

Each kind plays the agency roles of the Utility Blocks that name it (see
:mod:`seedsim.utility_blocks.node_plan`): what it issues is reduced to the
UB's data set before it leaves, what it receives is checked against it.

Node ids are ``<country>-<kind>``, e.g. ``RS-NPPO``. The query schema names the
answering node by country only (RespondingNode is a country code), so an
agency's answers carry its country.
"""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from seedsim.config import AgencyConfig, AgencyKind
from seedsim.core.envelope import Envelope
from seedsim.core.message_type import MessageCatalogue, MessageType
from seedsim.core.network_keys import NetworkKeys
from seedsim.core.sqlite_store import Tx
from seedsim.core.transport import Transport
from seedsim.core.xml_safety import parse_untrusted
from seedsim.messages.origin import CHAMBERS, Finding, OriginVerificationRequest
from seedsim.messages.pharmaceutical import (
    CERTIFICATE_OF_PHARMACEUTICAL_PRODUCT,
    CertificateOfPharmaceuticalProduct,
)
from seedsim.messages.phyto import Note, SPSCertificate
from seedsim.messages.query import CONSIGNMENT_QUERY_RESPONSE, ConsignmentQuery, ConsignmentQueryResponse
from seedsim.messages.veterinary import (
    COMMON_HEALTH_ENTRY_DOCUMENT,
    REPLACED_BY,
    VETERINARY_CERTIFICATE,
    WITHDRAWN,
    ched_for,
    replaced_by,
)
from seedsim.nodes import refusal
from seedsim.nodes.agency.agency_store import AgencyStore
from seedsim.nodes.driver_records import CHED, ISSUE, WITHDRAW, DriverAction
from seedsim.nodes.inbox_node import InboxNode, iso, now_utc
from seedsim.nodes.refusal import Refusal, Why
from seedsim.utility_blocks.node_plan import NodePlan

DESCRIPTIONS = {
    AgencyKind.NPPO: "phytosanitary authority (NPPO)",
    AgencyKind.CCI: "chamber of commerce",
    AgencyKind.TIR: "TIR guarantee chain (national association)",
    AgencyKind.TAX: "tax administration",
    AgencyKind.VET: "veterinary authority",
    AgencyKind.MED: "medicines authority",
}
#: what each kind issues (None: it issues nothing that travels)
ISSUES = {
    AgencyKind.NPPO: "PhytosanitaryCertificate",
    AgencyKind.CCI: "CertificateOfOrigin",
    AgencyKind.TIR: "TIRCarnet",
    AgencyKind.VET: VETERINARY_CERTIFICATE.name,
    AgencyKind.MED: CERTIFICATE_OF_PHARMACEUTICAL_PRODUCT.name,
}
#: the kinds that issue SPS certificates, which they may withdraw (StatusCode 40) or replace
WITHDRAWS = (AgencyKind.NPPO, AgencyKind.VET, AgencyKind.MED)


def generate_where(mt: MessageType, rng: random.Random, wanted: Callable[[Any], bool], tries: int = 200) -> Any:
    """An instance from the catalogue's generator that satisfies ``wanted`` (e.g. issued in this country); else the last one drawn."""
    doc = mt.generate(rng)
    for _ in range(tries):
        if wanted(doc):
            return doc
        doc = mt.generate(rng)
    return doc


def certificate_ref(doc: Any) -> str:
    """The number a certificate or carnet is known by."""
    for attr in ("reference_id", "id", "number"):
        if isinstance(getattr(doc, attr, None), str):
            return getattr(doc, attr)
    return doc.document.id  # an SPS certificate


class AgencyNode(InboxNode):
    def __init__(
        self,
        config: AgencyConfig,
        transport: Transport,
        catalogue: MessageCatalogue,
        store: AgencyStore | None = None,
        keys: NetworkKeys | None = None,
    ):
        super().__init__(
            config.node,
            config.country,
            transport,
            store or AgencyStore(config.db_path()),
            catalogue,
            config.topic_prefix,
            config.max_xml_bytes,
            keys,
            timedelta(seconds=config.clock_skew_s),
            config.retention(),
        )
        self.config = config
        self.kind = config.kind
        self.agency_name = f"{DESCRIPTIONS[self.kind]} {config.country}"
        self.rng = random.Random(config.seed)
        self.plan = NodePlan.load(config.node, config.utility_blocks)
        self.national_codes = config.national_codes()

    def accepts(self, sender: str) -> bool:
        return self.config.is_partner(sender)

    def partners_text(self) -> str:
        return ", ".join(self.config.partners) or "SEED+ customs and agency nodes"

    # -- issuing ------------------------------------------------------------------------------------

    def make_document(self, to_country: str | None = None) -> Any:
        """A document of the kind this agency issues, issued in its own country (and for ``to_country`` where it says so)."""
        name = ISSUES.get(self.kind)
        if name is None:
            raise ValueError(f"a {DESCRIPTIONS[self.kind]} issues no documents")
        mt, here = self.catalogue.by_name[name], self.country
        if self.kind in (AgencyKind.NPPO, AgencyKind.VET):
            doc = generate_where(
                mt,
                self.rng,
                lambda d: (
                    d.consignment.export_country.id == here
                    and (to_country is None or d.consignment.import_country.id == to_country)
                ),
            )
        elif self.kind is AgencyKind.MED:
            doc = generate_where(
                mt,
                self.rng,
                lambda d: (
                    d.exporting_country_id == here and (to_country is None or d.importing_country_id == to_country)
                ),
            )
        elif self.kind is AgencyKind.CCI:
            doc = generate_where(
                mt,
                self.rng,
                lambda d: (
                    d.origin_country_code == here
                    and d.issuing_authority.type_code == "COC"
                    and (to_country is None or d.destination_country_code == to_country)
                ),
            )
            doc = doc.model_copy(
                update={
                    "issuing_authority": doc.issuing_authority.model_copy(
                        update={"name": CHAMBERS.get(here, doc.issuing_authority.name)}
                    )
                }
            )
        else:
            doc = generate_where(
                mt,
                self.rng,
                lambda d: (
                    d.guarantee is not None
                    and d.guarantee.issuing_association is not None
                    and d.guarantee.issuing_association.country_code == here
                ),
            )
        return doc

    async def issue(
        self, to: str | None = None, consignment: str | None = None, doc: Any = None, correlation_id: str | None = None
    ) -> dict[str, Any]:
        """Issue a certificate (NPPO, CCI) and send it to node ``to``; the TIR chain registers a carnet it guarantees (nothing is sent).

        ``correlation_id`` names the conversation (and so the trace) the certificate travels in; a new one if not given.
        """
        doc = doc if doc is not None else self.make_document(to.split("-")[0] if to else None)
        return await self.run(self._issue_tx, doc, to, consignment, correlation_id)

    async def issue_once(self, to: str | None, consignment: str | None) -> dict[str, Any]:
        """``POST /issue``: :meth:`issue`, once per consignment and recipient. The same request again (a client
        retrying it) issues nothing and sends nothing: it answers what the first did, with ``"repeat": true``. A
        request naming no consignment cannot be told from a new one, so each issues a document."""
        if consignment is None:
            return await self.issue(to, None)
        first = await self.store.read(self.store.issue_answer, to or "", consignment)
        if first is not None:
            return {**first, "repeat": True}
        doc = self.make_document(to.split("-")[0] if to else None)
        return await self.run(self._issue_once_tx, doc, to, consignment)

    def _issue_once_tx(self, tx: Tx, doc: Any, to: str | None, consignment: str) -> dict[str, Any]:
        first = self.store.issue_answer(tx, to or "", consignment)  # a retry that came in meanwhile
        if first is not None:
            return {**first, "repeat": True}
        answer = self._issue_tx(tx, doc, to, consignment, None)
        self.store.save_issue_answer(tx, to or "", consignment, json.dumps(answer), iso(now_utc()))
        return answer

    def _issue_tx(
        self,
        tx: Tx,
        doc: Any,
        to: str | None,
        consignment: str | None,
        correlation_id: str | None,
        driven: bool = True,
    ) -> dict[str, Any]:
        """Issue ``doc``; ``driven=False`` for a document another driven action issues (a replacement: its
        ``withdraw`` record issues it again when re-driven)."""
        mt, ref = self.catalogue.by_name[ISSUES[self.kind]], certificate_ref(doc)
        document = base64.b64encode(mt.write(doc)).decode("ascii")
        if driven:
            self.driven(tx, ISSUE, to=to, consignment=consignment, correlation_id=correlation_id, xml_b64=document)
        self.store.save_issued(
            tx,
            ref,
            mt.name,
            consignment,
            to if self.kind is not AgencyKind.TIR else None,
            doc.model_dump_json(),
            iso(now_utc()),
        )
        out: dict[str, Any] = {"issued": ref, "type": mt.name}
        if to and self.kind is not AgencyKind.TIR:
            env = self.send(tx, mt, mt.write(doc), to, subject=consignment or ref, correlation_id=correlation_id)
            out.update(message_id=env.id, sent_to=to)
        return out

    # -- withdrawing, replacing, the CHED --------------------------------------------------------

    async def withdraw(self, ref: str, replace: bool = False) -> dict[str, Any]:
        """Withdraw certificate ``ref`` (StatusCode 40) and send it so to whoever received it; with ``replace``, issue
        a new certificate for the same consignment first (sent after the withdrawn one, which names it)."""
        return await self.run(self._withdraw_tx, ref, replace)

    def _withdraw_tx(self, tx: Tx, ref: str, replace: bool) -> dict[str, Any]:
        held = self.store.issued(tx, ref)
        if held is None or self.kind not in WITHDRAWS:
            raise Refusal(
                Why.NOT_FOUND,
                refusal.not_held(f"{self.node} issued no certificate {ref} it could withdraw", "{ref}", ref),
            )
        mt = self.catalogue.by_name[held["type"]]
        if mt.name == CERTIFICATE_OF_PHARMACEUTICAL_PRODUCT.name:
            return self._withdraw_cpp_tx(tx, held, ref, replace)
        doc = SPSCertificate.model_validate_json(held["data"])
        if doc.document.status_code == WITHDRAWN:
            return {"withdrawn": ref, "repeat": True}
        self.driven(tx, WITHDRAW, ref=ref, replace=replace)
        out: dict[str, Any] = {"withdrawn": ref}
        new = None
        if replace:
            new = doc.model_copy(deep=True)
            new.document.id = f"{ref}-R{self.rng.randint(1, 99)}"
            doc.document.notes.append(Note(subject=REPLACED_BY, content=[new.document.id]))
            out["replaced_by"] = new.document.id
        doc.document.status_code = WITHDRAWN
        self.store.save_issued(
            tx, ref, mt.name, held["consignment"], held["sent_to"], doc.model_dump_json(), iso(now_utc())
        )
        if held["sent_to"]:
            env = self.send(tx, mt, mt.write(doc), held["sent_to"], subject=held["consignment"] or ref)
            out.update(message_id=env.id, sent_to=held["sent_to"])
        if new is not None:
            sent = self._issue_tx(tx, new, held["sent_to"], held["consignment"], None, driven=False)
            out["replacement_message_id"] = sent.get("message_id")
        return out

    def _withdraw_cpp_tx(self, tx: Tx, held: dict[str, Any], ref: str, replace: bool) -> dict[str, Any]:
        """A CPP withdrawn (Status WITHDRAWN, sent again); with ``replace``, a new certificate follows."""
        mt = CERTIFICATE_OF_PHARMACEUTICAL_PRODUCT
        doc = CertificateOfPharmaceuticalProduct.model_validate_json(held["data"])
        if doc.status == "WITHDRAWN":
            return {"withdrawn": ref, "repeat": True}
        self.driven(tx, WITHDRAW, ref=ref, replace=replace)
        out: dict[str, Any] = {"withdrawn": ref}
        withdrawn = doc.model_copy(update={"status": "WITHDRAWN"})
        self.store.save_issued(
            tx, ref, mt.name, held["consignment"], held["sent_to"], withdrawn.model_dump_json(), iso(now_utc())
        )
        if held["sent_to"]:
            env = self.send(tx, mt, mt.write(withdrawn), held["sent_to"], subject=held["consignment"] or ref)
            out.update(message_id=env.id, sent_to=held["sent_to"])
        if replace:
            new = doc.model_copy(update={"number": f"{ref}-R{self.rng.randint(1, 99)}"})
            out["replaced_by"] = new.number
            sent = self._issue_tx(tx, new, held["sent_to"], held["consignment"], None, driven=False)
            out["replacement_message_id"] = sent.get("message_id")
        return out

    async def issue_ched(
        self, to: str, certificate: str, consignment: str | None = None, decided: bool = True
    ) -> dict[str, Any]:
        """The border control post's CHED (CHED-A or CHED-P, with its Part II decision when ``decided``) for the
        consignment a veterinary certificate this authority holds covers (issued or received), sent to node ``to``."""
        return await self.run(self._ched_tx, to, certificate, consignment, decided)

    def _ched_tx(self, tx: Tx, to: str, certificate: str, consignment: str | None, decided: bool) -> dict[str, Any]:
        held = self.store.issued(tx, certificate)
        if held is None or held["type"] != VETERINARY_CERTIFICATE.name or self.kind is not AgencyKind.VET:
            raise Refusal(
                Why.NOT_FOUND,
                refusal.not_held(
                    f"{self.node} holds no veterinary certificate {certificate} to enter a CHED for",
                    "/certificate",
                    certificate,
                ),
            )
        self.driven(tx, CHED, to=to, certificate=certificate, consignment=consignment, decided=decided)
        cert = SPSCertificate.model_validate_json(held["data"])
        ched = ched_for(cert, self.rng.randint(1, 9_999_999), now_utc().replace(microsecond=0), decided)
        mt = COMMON_HEALTH_ENTRY_DOCUMENT
        self.store.save_issued(tx, ched.reference, mt.name, consignment, to, ched.model_dump_json(), iso(now_utc()))
        env = self.send(tx, mt, mt.write(ched), to, subject=consignment or ched.reference)
        return {"issued": ched.reference, "type": mt.name, "message_id": env.id, "sent_to": to}

    async def redo(self, action: DriverAction) -> dict[str, Any]:
        """Issue again the document a driver record holds (same document, new message id), withdraw again and enter
        the CHED again as recorded; else as any node."""
        if action.action == WITHDRAW:
            return await self.withdraw(str(action.args["ref"]), bool(action.args.get("replace")))
        if action.action == CHED:
            to, certificate = str(action.args["to"]), str(action.args["certificate"])
            return await self.issue_ched(to, certificate, action.text("consignment"), bool(action.args.get("decided")))
        if action.action != ISSUE:
            return await super().redo(action)
        mt = self.catalogue.by_name[ISSUES[self.kind]]
        doc = mt.read(parse_untrusted(base64.b64decode(action.args["xml_b64"])))
        return await self.issue(action.text("to"), action.text("consignment"), doc, action.text("correlation_id"))

    # -- answering ----------------------------------------------------------------------------------

    def handle(self, tx: Tx, env: Envelope, mt: MessageType, doc: Any, now: datetime) -> None:
        self.store.save_received(
            tx,
            env.id,
            mt.name,
            env.source,
            env.subject,
            doc.model_dump_json() if hasattr(doc, "model_dump_json") else "{}",
            iso(now),
        )
        if isinstance(doc, OriginVerificationRequest) and self.kind is AgencyKind.CCI:
            self._verify_origin(tx, env, doc, now)
        elif isinstance(doc, ConsignmentQuery) and self.kind in (
            AgencyKind.NPPO,
            AgencyKind.TIR,
            AgencyKind.VET,
            AgencyKind.MED,
        ):
            self._answer_check(tx, env, doc, now)

    def _verify_origin(self, tx: Tx, env: Envelope, req: OriginVerificationRequest, now: datetime) -> None:
        mt = self.catalogue.by_name["OriginVerificationResponse"]
        held = self.store.issued(tx, req.certificate.id)
        answer = mt.generate(self.rng).model_copy(
            update={
                "id": f"{self.country}-OVA-{now.year}-{self.rng.randint(1, 999_999):06d}",
                "request_id": req.id,
                "request_date": req.issue_date,
                "issue_date": now.date().isoformat(),
                "certificate": req.certificate,
                "responding_authority": req.requested_authority.model_copy(
                    update={"name": CHAMBERS.get(self.country, self.agency_name), "type_code": "COC"}
                ),
                "result_code": "AO" if held else "NA",
                "findings": []
                if held
                else [
                    Finding(
                        sequence_numeric=1,
                        description=f"{self.agency_name} did not issue certificate {req.certificate.id}",
                    )
                ],
            }
        )
        self.reply(tx, env, mt, mt.write(answer), now)

    def _answer_check(self, tx: Tx, env: Envelope, q: ConsignmentQuery, now: datetime) -> None:
        held = self.store.issued(tx, q.ucr)
        status = {AgencyKind.NPPO: "certificate_issued", AgencyKind.TIR: "guarantee_valid"}.get(self.kind, "")
        if held is not None and self.kind in (AgencyKind.VET, AgencyKind.MED):
            status = certificate_status(held)
        answer = ConsignmentQueryResponse(
            query_id=q.query_id,
            issue_date_time=now.replace(microsecond=0),
            responding_node=self.country,
            ucr=q.ucr,
            found=held is not None,
            status=status if held else None,
        )
        self.reply(tx, env, CONSIGNMENT_QUERY_RESPONSE, CONSIGNMENT_QUERY_RESPONSE.write(answer), now)


def certificate_status(held: dict[str, Any]) -> str:
    """What a veterinary authority answers of a certificate or CHED it issued: valid, withdrawn, replaced."""
    if held["type"] == COMMON_HEALTH_ENTRY_DOCUMENT.name:
        return f"ched_{str(json.loads(held['data']).get('status', 'NEW')).lower()}"
    if held["type"] == CERTIFICATE_OF_PHARMACEUTICAL_PRODUCT.name:
        valid = json.loads(held["data"]).get("status") != "WITHDRAWN"
        return "certificate_valid" if valid else "certificate_withdrawn"
    cert = SPSCertificate.model_validate_json(held["data"])
    if cert.document.status_code != WITHDRAWN:
        return "certificate_valid"
    by = replaced_by(cert)
    return f"certificate_replaced_by {by}" if by else "certificate_withdrawn"
