"""The exchange of AEO identities between administrations that recognise each other's AEO programmes.

Why: under a mutual recognition arrangement (MRA), each administration treats the other's
Authorised Economic Operators (SAFE Framework pillar 3) as lower risk -- fewer checks, faster
release. To do so the office of entry must know, before the goods arrive, which traders of the
partner country hold a valid AEO authorisation: the WCO's published GNC Utility Block for the
exchange of AEO identities has each administration send its list to the partner, and send it
again when an authorisation is granted, suspended or revoked.

The list (:class:`AeoIdentityList`) names the authority that issued the authorisations, the MRA it
is sent under and, per operator, the authorisation number, its type (AEOS security and safety,
AEOC customs simplifications, AEOF both, as in the EU programme), its status and dates, and the
trader's identifier (TIN/EORI), name and country -- the data the EU shares with its MRA partners.
The namespace (``urn:seedsim:aeo:1``) and the document are seedsim's: the UB's message is not
public. The office of entry's risk profiles use the list (:mod:`seedsim.nodes.customs.aeo_recognition`).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

from pydantic import Field

from seedsim.core import codes
from seedsim.core.message_type import MessageType
from seedsim.core.validation import Issue, RuleContext, RuleSet
from seedsim.core.xml_binding import XmlDocument, XmlModel
from seedsim.samples.consignments import ConsignmentGenerator
from seedsim.samples.crossings import DEMO_CROSSINGS

NS_AEO = "urn:seedsim:aeo:1"
SCHEMA = "aeo/seedsim_aeo_identities.xsd"
L = "/AeoIdentityList"

#: AEO authorisation types (as in the EU programme; the number carries the type after the country)
AEO_TYPES = {
    "AEOS": "security and safety",
    "AEOC": "customs simplifications",
    "AEOF": "customs simplifications and security and safety (full)",
}
#: an authorisation's status: only a valid one is recognised
STATUSES = {"VALID": "valid", "SUSPENDED": "suspended", "REVOKED": "revoked"}
#: the types an MRA on security recognises (the SAFE Framework's AEO is the security one)
RECOGNISED_TYPES = ("AEOS", "AEOF")


class Operator(XmlModel):
    authorisation_id: str = Field(alias="AuthorisationID")
    type_code: str = Field(alias="TypeCode")
    status_code: str = Field(alias="StatusCode")
    trader_id: str = Field(alias="TraderID")
    name: str = Field(alias="Name")
    country_code: str = Field(alias="CountryCode")
    valid_from: date = Field(alias="ValidFromDate")
    status_date: date | None = Field(None, alias="StatusDate")

    @property
    def recognised(self) -> bool:
        """Whether a partner treats this operator as its own AEO: a valid security authorisation."""
        return self.status_code == "VALID" and self.type_code in RECOGNISED_TYPES


class AeoIdentityList(XmlModel):
    id: str = Field(alias="ID")
    issue_date_time: datetime = Field(alias="IssueDateTime")
    authority_country_code: str = Field(alias="AuthorityCountryCode")
    recipient_country_code: str = Field(alias="RecipientCountryCode")
    arrangement_id: str = Field(alias="MutualRecognitionArrangementID")
    operators: list[Operator] = Field(default_factory=list, alias="Operator")


AEO_RULES = RuleSet("aeo")


@AEO_RULES.rule("AEO101", 180, "An authorisation number is the authority's country, the AEO type, then a reference")
def authorisation_numbers(a: AeoIdentityList, ctx: RuleContext) -> Iterator[Issue]:
    for pos, op in enumerate(a.operators, 1):
        prefix = f"{a.authority_country_code}{op.type_code}"
        if not op.authorisation_id.startswith(prefix) or len(op.authorisation_id) == len(prefix):
            yield Issue(
                "AEO101",
                180,
                f"an authorisation number starts with the authority's country and the type ({prefix}...), then its reference",
                f"{L}/Operator[{pos}]/AuthorisationID",
                op.authorisation_id,
            )


@AEO_RULES.rule("AEO102", 181, "The list is exchanged between two administrations, each named by its country")
def two_administrations(a: AeoIdentityList, ctx: RuleContext) -> Iterator[Issue]:
    yield from codes.country_code_issues(
        "AEO102",
        181,
        [
            (f"{L}/AuthorityCountryCode", a.authority_country_code),
            (f"{L}/RecipientCountryCode", a.recipient_country_code),
            *((f"{L}/Operator[{i}]/CountryCode", op.country_code) for i, op in enumerate(a.operators, 1)),
        ],
    )
    if a.authority_country_code == a.recipient_country_code:
        yield Issue(
            "AEO102",
            181,
            "an administration sends its AEO identities to its MRA partner, not to itself",
            f"{L}/RecipientCountryCode",
            a.recipient_country_code,
        )


@AEO_RULES.rule("AEO103", 182, "A suspended or revoked authorisation says since when; a valid one has no such date")
def status_dates(a: AeoIdentityList, ctx: RuleContext) -> Iterator[Issue]:
    for pos, op in enumerate(a.operators, 1):
        if op.status_code != "VALID" and op.status_date is None:
            yield Issue(
                "AEO103",
                182,
                f"a {STATUSES.get(op.status_code, op.status_code)} authorisation gives StatusDate, the day it changed",
                f"{L}/Operator[{pos}]/StatusDate",
            )
        elif op.status_date is not None and op.status_date < op.valid_from:
            yield Issue(
                "AEO103",
                182,
                "StatusDate is before ValidFromDate: an authorisation changes status after it was granted",
                f"{L}/Operator[{pos}]/StatusDate",
                op.status_date.isoformat(),
            )


@AEO_RULES.rule("AEO104", 183, "An authorisation is listed once")
def listed_once(a: AeoIdentityList, ctx: RuleContext) -> Iterator[Issue]:
    seen: set[str] = set()
    for pos, op in enumerate(a.operators, 1):
        if op.authorisation_id in seen:
            yield Issue(
                "AEO104",
                183,
                "this authorisation is already listed: give each authorisation once, with its current status",
                f"{L}/Operator[{pos}]/AuthorisationID",
                op.authorisation_id,
            )
        seen.add(op.authorisation_id)


def identity_list(
    rng: random.Random, authority: str, recipient: str, traders: list[tuple[str, str]], now: datetime | None = None
) -> AeoIdentityList:
    """The list ``authority`` sends ``recipient``: one valid AEOF per (trader id, name), then a suspended and a
    revoked authorisation, as a real list carries."""
    now = now or datetime.now(UTC).replace(microsecond=0)
    ops = [
        Operator(
            authorisation_id=f"{authority}AEOF{rng.randrange(10**6):06d}{n}",
            type_code="AEOF",
            status_code="VALID",
            trader_id=tid,
            name=name,
            country_code=authority,
            valid_from=(now - timedelta(days=rng.randint(200, 2000))).date(),
        )
        for n, (tid, name) in enumerate(traders)
    ]
    for status in ("SUSPENDED", "REVOKED"):
        since = (now - timedelta(days=rng.randint(1, 90))).date()
        ops.append(
            Operator(
                authorisation_id=f"{authority}AEOS{rng.randrange(10**7):07d}",
                type_code="AEOS",
                status_code=status,
                trader_id=f"{authority}{rng.randrange(10**9):09d}",
                name=f"{status.title()} Transport d.o.o.",
                country_code=authority,
                valid_from=since - timedelta(days=rng.randint(365, 1500)),
                status_date=since,
            )
        )
    return AeoIdentityList(
        id=f"AEO{authority}{recipient}{rng.randrange(10**8):08d}",
        issue_date_time=now,
        authority_country_code=authority,
        recipient_country_code=recipient,
        arrangement_id=f"MRA-{'-'.join(sorted((authority, recipient)))}",
        operators=ops,
    )


#: long-standing AEOs of the sample data, on every list their administration sends (the scenario
#: aeo-mra-risk names one as the consignor of its traffic); made-up companies, well-formed identifiers
SAMPLE_AEOS = {
    "RS": [("RS106038573", "Dunav Logistik d.o.o."), ("RS101794258", "Fruktal Export d.o.o.")],
    "ME": [("ME02751283", "Lovcen Trans d.o.o.")],
}


def generate_aeo_identity_list(rng: random.Random) -> AeoIdentityList:
    """The list of the demo's country of exit: its sample AEOs and some of the exporters its consignments come from."""
    crossing = DEMO_CROSSINGS[0]
    authority = crossing.exit_office[:2]
    exporters = ConsignmentGenerator(rng.randrange(2**31), crossing).exporters[: rng.randint(1, 4)]
    traders = SAMPLE_AEOS.get(authority, []) + [(p.id or "", p.name or "") for p in exporters]
    return identity_list(rng, authority, crossing.entry_office[:2], traders)


DOCUMENT = XmlDocument(AeoIdentityList, "AeoIdentityList", NS_AEO)
AEO_IDENTITY_LIST = MessageType(
    name="AeoIdentityList",
    ce_type="org.seedsim.c2c.aeo-identity-list.v1",
    schema=SCHEMA,
    element=DOCUMENT.element,
    read=DOCUMENT.read,
    write=DOCUMENT.write,
    description="An administration's Authorised Economic Operators (number, type, status, trader) sent to its "
    "mutual recognition partner, whose risk profiles treat them as lower risk.",
    rules=AEO_RULES,
    generate=generate_aeo_identity_list,
)

MESSAGE_TYPES = [AEO_IDENTITY_LIST]
