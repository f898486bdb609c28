"""Query and answer: a node asks a neighbour what it holds on a consignment.

The mutual-assistance side of SEED: an office of entry that lacks pre-arrival
data, or sees a discrepancy, asks the country of exit for its declaration data
and status; the answer carries the key data SEED compares.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime

from pydantic import Field

from seedsim.core.declaration import Amount, Declaration, Measure
from seedsim.core.message_type import MessageType
from seedsim.core.validation import Issue, RuleContext, RuleSet
from seedsim.core.xml_binding import XmlDocument, XmlModel
from seedsim.messages.seed import generate_export_data

NS_QUERY = "urn:seedsim:query:1"
SCHEMA = "query/seedsim_query.xsd"


class ConsignmentQuery(XmlModel):
    query_id: str = Field(alias="QueryID")
    issue_date_time: datetime = Field(alias="IssueDateTime")
    requesting_node: str = Field(alias="RequestingNode")
    ucr: str | None = Field(None, alias="UCR")
    mrn: str | None = Field(None, alias="MRN")
    reason: str | None = Field(None, alias="Reason")
    requested_data: list[str] = Field(default_factory=lambda: ["STATUS"], alias="RequestedData")


class DeclarationSummary(XmlModel):
    mrn: str | None = Field(None, alias="ID")
    type_code: str | None = Field(None, alias="TypeCode")
    source: str = Field(alias="Source")
    gross_mass: Measure | None = Field(None, alias="GrossMassMeasure")
    invoice_amount: Amount | None = Field(None, alias="InvoiceAmount")
    commodity_codes: list[str] = Field(default_factory=list, alias="CommodityCode")
    consignor: str | None = Field(None, alias="Consignor")
    consignee: str | None = Field(None, alias="Consignee")
    vehicle: str | None = Field(None, alias="Vehicle")
    exit_office: str | None = Field(None, alias="ExitOffice")

    @classmethod
    def of(cls, d: Declaration, source: str) -> DeclarationSummary:
        mass = d.gross_mass_kg()
        return cls(
            mrn=d.mrn,
            type_code=d.type_code,
            source=source,
            gross_mass=Measure(value=mass, unit_code="KGM") if mass is not None else None,
            invoice_amount=d.value(),
            commodity_codes=[c for c in d.commodity_codes() if c.isdigit() and len(c) in (6, 8, 10)],
            consignor=(d.consignor().label() or None) if d.consignor() else None,
            consignee=(d.consignee().label() or None) if d.consignee() else None,
            vehicle=d.vehicle(),
            exit_office=d.exit_office.id if d.exit_office else None,
        )


class ConsignmentQueryResponse(XmlModel):
    query_id: str = Field(alias="QueryID")
    issue_date_time: datetime = Field(alias="IssueDateTime")
    responding_node: str = Field(alias="RespondingNode")
    ucr: str | None = Field(None, alias="UCR")
    found: bool = Field(alias="Found")
    status: str | None = Field(None, alias="Status")
    declarations: list[DeclarationSummary] = Field(default_factory=list, alias="Declaration")


QUERY_RULES = RuleSet("query")


@QUERY_RULES.rule("QRY101", 140, "A query names the consignment it asks about")
def names_a_consignment(q, ctx: RuleContext) -> Iterator[Issue]:
    if isinstance(q, ConsignmentQuery) and not (q.ucr or q.mrn):
        yield Issue("QRY101", 140, "give the consignment's UCR or the declaration's MRN", "/ConsignmentQuery/UCR")


@QUERY_RULES.rule("QRY102", 141, "An answer's data agrees with whether the consignment was found")
def found_agrees(r, ctx: RuleContext) -> Iterator[Issue]:
    if not isinstance(r, ConsignmentQueryResponse):
        return
    if not r.found and (r.declarations or r.status):
        yield Issue(
            "QRY102",
            141,
            "Found is false but the answer carries data: set Found to true or drop the data",
            "/ConsignmentQueryResponse/Found",
            "false",
        )
    if r.found and not r.status:
        yield Issue("QRY102", 141, "a consignment that was found has a Status", "/ConsignmentQueryResponse/Status")


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def generate_query(rng: random.Random) -> ConsignmentQuery:
    return ConsignmentQuery(
        query_id=f"{rng.getrandbits(128):032x}",
        issue_date_time=_now(),
        requesting_node="ME",
        ucr=f"6RS{rng.randrange(10**8, 10**9)}-C{rng.randrange(10**6):07d}",
        reason="entry without pre-arrival data",
        requested_data=["STATUS", "DECLARATION"],
    )


def generate_response(rng: random.Random) -> ConsignmentQueryResponse:
    d = generate_export_data(rng)
    return ConsignmentQueryResponse(
        query_id=f"{rng.getrandbits(128):032x}",
        issue_date_time=_now(),
        responding_node="RS",
        ucr=d.ucr,
        found=True,
        status="exited",
        declarations=[DeclarationSummary.of(d, "DECLARATION")],
    )


QUERY_DOCUMENT = XmlDocument(ConsignmentQuery, "ConsignmentQuery", NS_QUERY)
RESPONSE_DOCUMENT = XmlDocument(ConsignmentQueryResponse, "ConsignmentQueryResponse", NS_QUERY)
CONSIGNMENT_QUERY = MessageType(
    name="ConsignmentQuery",
    ce_type="org.seedsim.c2c.consignment-query.v1",
    schema=SCHEMA,
    element=QUERY_DOCUMENT.element,
    read=QUERY_DOCUMENT.read,
    write=QUERY_DOCUMENT.write,
    description="A node asks a neighbour for its status and declaration data on a consignment.",
    rules=QUERY_RULES,
    generate=generate_query,
)
CONSIGNMENT_QUERY_RESPONSE = MessageType(
    name="ConsignmentQueryResponse",
    ce_type="org.seedsim.c2c.consignment-query-response.v1",
    schema=SCHEMA,
    element=RESPONSE_DOCUMENT.element,
    read=RESPONSE_DOCUMENT.read,
    write=RESPONSE_DOCUMENT.write,
    description="The answer to a ConsignmentQuery: found or not, status, and the key data of each declaration held.",
    rules=QUERY_RULES,
    generate=generate_response,
)

MESSAGE_TYPES = [CONSIGNMENT_QUERY, CONSIGNMENT_QUERY_RESPONSE]
