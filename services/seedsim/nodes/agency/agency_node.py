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
from seedsim.messages.query import CONSIGNMENT_QUERY_RESPONSE, ConsignmentQuery, ConsignmentQueryResponse
from seedsim.nodes.agency.agency_store import AgencyStore
from seedsim.nodes.driver_records import ISSUE, DriverAction
from seedsim.nodes.inbox_node import InboxNode, iso, now_utc
from seedsim.utility_blocks.node_plan import NodePlan

DESCRIPTIONS = {
    AgencyKind.NPPO: "phytosanitary authority (NPPO)",
    AgencyKind.CCI: "chamber of commerce",
    AgencyKind.TIR: "TIR guarantee chain (national association)",
    AgencyKind.TAX: "tax administration",
}
#: what each kind issues (None: it issues nothing that travels)
ISSUES = {
    AgencyKind.NPPO: "PhytosanitaryCertificate",
    AgencyKind.CCI: "CertificateOfOrigin",
    AgencyKind.TIR: "TIRCarnet",
}


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
    for attr in ("reference_id", "id"):
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
        if self.kind is AgencyKind.NPPO:
            doc = generate_where(
                mt,
                self.rng,
                lambda d: (
                    d.consignment.export_country.id == here
                    and (to_country is None or d.consignment.import_country.id == to_country)
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
        self, tx: Tx, doc: Any, to: str | None, consignment: str | None, correlation_id: str | None
    ) -> dict[str, Any]:
        mt, ref = self.catalogue.by_name[ISSUES[self.kind]], certificate_ref(doc)
        document = base64.b64encode(mt.write(doc)).decode("ascii")
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

    async def redo(self, action: DriverAction) -> dict[str, Any]:
        """Issue again the document a driver record holds (same document, new message id); else as any node."""
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
        elif isinstance(doc, ConsignmentQuery) and self.kind in (AgencyKind.NPPO, AgencyKind.TIR):
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
        status = {AgencyKind.NPPO: "certificate_issued", AgencyKind.TIR: "guarantee_valid"}[self.kind]
        answer = ConsignmentQueryResponse(
            query_id=q.query_id,
            issue_date_time=now.replace(microsecond=0),
            responding_node=self.country,
            ucr=q.ucr,
            found=held is not None,
            status=status if held else None,
        )
        self.reply(tx, env, CONSIGNMENT_QUERY_RESPONSE, CONSIGNMENT_QUERY_RESPONSE.write(answer), now)
