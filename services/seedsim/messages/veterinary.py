"""Veterinary certificates and the EU Common Health Entry Document (CHED-A, CHED-P), as TRACES NT issues them.

Why: SEED+ links customs to TRACES NT CEFTA for veterinary as well as phytosanitary certificates. Live
animals and products of animal origin may only be released with a valid health certificate from the
exporting veterinary authority and, at the border control post of entry, a CHED whose Part II decision
lets them in. The office of entry asks the veterinary authority the status of both before release
(:mod:`seedsim.nodes.customs.certificate_link`).

**VeterinaryCertificate** is an ``rsm:SPSCertificate`` in the UN/CEFACT SPS certificate namespaces
(SPSCertificate:17), the model the phytosanitary certificate uses (:mod:`seedsim.messages.phyto`,
ISPM 12 / ePhyto element names): UN/CEFACT's SPS certificate covers veterinary as well as
phytosanitary certificates. It is told from a phytosanitary certificate by its TypeCode, 853
(UN/EDIFACT 1001: veterinary certificate). Trade line items name the species (``ScientificName``,
e.g. Bos taurus), the HS code of the animals or products (chapters 01-05 and 16) and their net weight.
Status codes as the phytosanitary certificate's: 70 issued, 40 withdrawn; a certificate replaced by
another is withdrawn with a note (subject ``RPL``, seedsim's) naming its replacement. The number format is
each authority's own (seedsim: ``<country>-VET-<year>-<serial>``).

**CommonHealthEntryDocument** is the CHED of Commission Implementing Regulation (EU) 2019/1715 (IMSOC),
Annex II, as TRACES NT issues it: CHED-A for live animals, CHED-P for products of animal origin (CHED-D
and CHED-PP are not modelled). Its reference is ``CHEDA.CC.YYYY.NNNNNNN`` / ``CHEDP.CC.YYYY.NNNNNNN``
(type, ISO country of the border control post, year, seven-digit serial), the format TRACES NT prints.
Part I (description of the consignment, filled in by the operator responsible for the load) holds, with
the box numbers of the TRACES NT CHED-P user manual: I.1 consignor/exporter, I.2 the CHED reference,
I.3 local reference, I.4-I.5 border control post and its code, I.6 consignee/importer, I.8 operator
responsible, I.9 accompanying documents (here: the veterinary certificate), I.10 prior notification,
I.11 country of origin, I.13 means of transport, and the description of the goods (CN code, species,
net weight, number of animals for CHED-A). Part II is the border control post's decision: acceptable
(for the internal market, seedsim's one purpose) or not acceptable, with the date and the certifying
officer. Element names are seedsim's (``urn:seedsim:ched:1``), after those boxes; TRACES NT's own XML
schema is not public, nor are BCP codes checked against the real list (seedsim writes a UN/LOCODE and a
digit). Document status (seedsim's reading of what TRACES NT shows): NEW (Part I submitted), VALID
(Part II signed), REJECTED, CANCELLED, REPLACED.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from pydantic import Field

from seedsim.core import codes
from seedsim.core.message_type import MessageType
from seedsim.core.validation import Issue, RuleContext, RuleSet
from seedsim.core.xml_binding import XmlDocument, XmlModel
from seedsim.messages import phyto
from seedsim.messages.origin import hs_problem
from seedsim.messages.phyto import (
    RAM,
    RSM,
    Address,
    Authentication,
    Classification,
    Clause,
    ConsignmentItem,
    Country,
    ExchangedDocument,
    Location,
    Measure,
    Package,
    Party,
    Person,
    ProviderParty,
    SPSCertificate,
    TradeLineItem,
    TransportMeans,
    TransportMovement,
)

CERTIFICATE_SCHEMA = "veterinary/seedsim_veterinary_certificate.xsd"
CHED_SCHEMA = "veterinary/seedsim_ched.xsd"
NS_CHED = "urn:seedsim:ched:1"

#: UN/EDIFACT 1001: veterinary certificate
VETERINARY_CERTIFICATE_TYPE = "853"
ISSUED, WITHDRAWN = "70", "40"
#: note subject of a withdrawn certificate that names the certificate replacing it (seedsim's)
REPLACED_BY = "RPL"
#: HS chapters of live animals (01) and products of animal origin
LIVE_ANIMALS = ("01",)
ANIMAL_PRODUCTS = ("02", "03", "04", "05", "16")
ANIMAL_CHAPTERS = LIVE_ANIMALS + ANIMAL_PRODUCTS

CHED_TYPES = {"CHED-A": "live animals", "CHED-P": "products of animal origin"}
CHED_STATUSES = {"NEW", "VALID", "REJECTED", "CANCELLED", "REPLACED"}
DECISIONS = {"ACCEPTABLE": "acceptable for the internal market", "NOT_ACCEPTABLE": "not acceptable"}
CHED_REFERENCE = re.compile(r"^CHED(A|P)\.([A-Z]{2})\.([0-9]{4})\.([0-9]{7})$")


def ched_reference(kind: str, country: str, year: int, serial: int) -> str:
    """The reference TRACES NT gives a CHED: ``CHEDP.RS.2026.0001234``."""
    return f"CHED{kind[-1]}.{country}.{year}.{serial:07d}"


# -- the veterinary certificate ------------------------------------------------------------------


#: the certificate with the rsm/ram/udt prefixes of the UN/CEFACT SPS certificate (the phytosanitary one's)
CERTIFICATE = phyto.DOCUMENT
D, C = phyto.D, phyto.C
CERTIFICATE_RULES = RuleSet("veterinary-certificate")


def _as(rule: str, code: int, issues: Iterator[Issue]) -> Iterator[Issue]:
    """The SPS certificate checks the phytosanitary certificate runs, under this certificate's rule id."""
    for issue in issues:
        yield replace(issue, rule=rule, code=code)


@CERTIFICATE_RULES.rule("VET101", 110, "Country codes are ISO 3166-1 alpha-2")
def vet_countries(c: SPSCertificate, ctx: RuleContext) -> Iterator[Issue]:
    yield from _as("VET101", 110, phyto.countries(c, ctx))


@CERTIFICATE_RULES.rule(
    "VET102", 112, "HS classifications are commodity codes of live animals or products of animal origin"
)
def vet_hs_codes(c: SPSCertificate, ctx: RuleContext) -> Iterator[Issue]:
    for pointer, line in c.trade_line_items():
        for pos, cl in enumerate(line.classifications, 1):
            if cl.system_name != phyto.HS_SYSTEM or not cl.class_code:
                continue
            where = (
                f"{phyto._indexed(f'{pointer}/ApplicableSPSClassification', pos, len(line.classifications))}/ClassCode"
            )
            if why := hs_problem(cl.class_code):
                yield Issue("VET102", 112, f"not an HS-based commodity code: {why}", where, cl.class_code)
            elif cl.class_code[:2] not in ANIMAL_CHAPTERS:
                yield Issue(
                    "VET102",
                    112,
                    "a veterinary certificate covers live animals and products of animal origin (HS chapters "
                    f"{', '.join(ANIMAL_CHAPTERS)}): plants go on a phytosanitary certificate",
                    where,
                    cl.class_code,
                )


@CERTIFICATE_RULES.rule("VET103", 113, "Each commodity names its species: genus and species")
def species(c: SPSCertificate, ctx: RuleContext) -> Iterator[Issue]:
    for pointer, line in c.trade_line_items():
        if not line.scientific_name:
            yield Issue(
                "VET103",
                113,
                "add ScientificName: the species of the animals, or of those the products come from (e.g. Bos taurus)",
                f"{pointer}/ScientificName",
            )
        elif not phyto.BOTANICAL_NAME.match(line.scientific_name.strip()):
            yield Issue(
                "VET103",
                113,
                "the species needs a capitalised genus and a lower-case species epithet, e.g. Sus scrofa",
                f"{pointer}/ScientificName",
                line.scientific_name,
            )


@CERTIFICATE_RULES.rule("VET104", 114, "Quantities are positive and gross weight is not below net weight")
def vet_quantities(c: SPSCertificate, ctx: RuleContext) -> Iterator[Issue]:
    yield from _as("VET104", 114, phyto.quantities(c, ctx))


@CERTIFICATE_RULES.rule("VET105", 116, "Certificate type, status and transport mode come from their code lists")
def vet_code_lists(c: SPSCertificate, ctx: RuleContext) -> Iterator[Issue]:
    d = c.document
    if d.type_code != VETERINARY_CERTIFICATE_TYPE:
        yield Issue("VET105", 116, "a veterinary certificate has TypeCode 853", f"{D}/TypeCode", d.type_code)
    if d.status_code not in (ISSUED, WITHDRAWN):
        yield Issue(
            "VET105", 116, "unknown certificate status: 70 (issued) or 40 (withdrawn)", f"{D}/StatusCode", d.status_code
        )
    for issue in phyto.code_lists(c, ctx):
        if issue.pointer and issue.pointer.endswith("/ModeCode"):
            yield replace(issue, rule="VET105")


@CERTIFICATE_RULES.rule("VET106", 117, "Trade line items are numbered 1..n across the consignment")
def vet_sequence(c: SPSCertificate, ctx: RuleContext) -> Iterator[Issue]:
    yield from _as("VET106", 117, phyto.sequence(c, ctx))


def replaced_by(cert: SPSCertificate) -> str | None:
    """The certificate that replaces a withdrawn one, when its note names it."""
    for note in cert.document.notes:
        if note.subject == REPLACED_BY and note.content:
            return note.content[0]
    return None


# -- generator: Western Balkan exports of animals and animal products ------------------------------

#: veterinary authority of each SEED country, with the place a certificate is typically issued
AUTHORITIES = {
    "RS": ("Uprava za veterinu", "Beograd"),
    "ME": ("Uprava za bezbjednost hrane, veterinu i fitosanitarne poslove", "Podgorica"),
    "MK": ("Agencija za hrana i veterinarstvo", "Skopje"),
    "AL": ("Autoriteti Kombëtar i Ushqimit", "Tiranë"),
    "BA": ("Ured za veterinarstvo BiH", "Sarajevo"),
    "XK": ("Agjencia e Ushqimit dhe Veterinarisë", "Prishtinë"),
}
_TRADERS = {
    "RS": ["Carnex d.o.o.", "Mlekara Šabac d.o.o."],
    "ME": ["Goranović d.o.o.", "Mljekara Lazine d.o.o."],
    "MK": ["Makprogres DOOEL", "Bitolska mlekarnica DOOEL"],
    "AL": ["Erzeni sh.p.k.", "Lufra sh.p.k."],
    "BA": ["Perutnina Pitomača d.o.o.", "Meggle BiH d.o.o."],
    "XK": ["Devolli Group L.L.C.", "Abi Company L.L.C."],
}
#: (description, species, HS code, package, kg per package)
ANIMAL_GOODS = [
    ("Live bovine animals for fattening", "Bos taurus", "010229", "NE", 450),
    ("Fresh boneless beef", "Bos taurus", "020130", "CT", 20),
    ("Frozen pork cuts", "Sus scrofa", "020329", "CT", 25),
    ("Frozen chicken cuts", "Gallus gallus", "020714", "CT", 15),
    ("Fresh trout", "Oncorhynchus mykiss", "030211", "BX", 10),
    ("Cheese, white brined", "Ovis aries", "040690", "CT", 12),
    ("Natural honey", "Apis mellifera", "040900", "CT", 24),
]
_CLAUSE = (
    "I, the undersigned official veterinarian, hereby certify that the animals or products described herein satisfy "
    "the animal and public health requirements of the importing country."
)


def _dt(d: datetime) -> phyto.DateTime:
    return phyto.DateTime(date_time_string=d.isoformat(timespec="seconds"))


def _trader(rng: random.Random, country: str) -> Party:
    return Party(
        name=rng.choice(_TRADERS[country]),
        address=Address(
            line_one=f"Industrijska zona {rng.randint(1, 60)}", city_name=AUTHORITIES[country][1], country_id=country
        ),
    )


def _goods(rng: random.Random) -> list[tuple[str, str, str, str, int]]:
    """Live animals alone (one CHED-A) or one or two kinds of animal products (one CHED-P)."""
    live = [g for g in ANIMAL_GOODS if g[2][:2] in LIVE_ANIMALS]
    products = [g for g in ANIMAL_GOODS if g[2][:2] not in LIVE_ANIMALS]
    return live if rng.random() < 0.2 else rng.sample(products, rng.randint(1, 2))


def certificate_number(country: str, year: int, serial: int) -> str:
    return f"{country}-VET-{year}-{serial:05d}"


def generate_certificate(rng: random.Random) -> SPSCertificate:
    export, imp = rng.sample(sorted(AUTHORITIES), 2)
    authority, city = AUTHORITIES[export]
    issued = datetime(2026, 1, 1, 8) + timedelta(days=rng.randint(0, 300), minutes=rng.randint(0, 600))
    lines = []
    for seq, (description, species_name, hs, pkg, per) in enumerate(_goods(rng), 1):
        packages = rng.randint(2, 40) if pkg == "NE" else rng.randint(20, 800)
        net = Decimal(per * packages)
        lines.append(
            TradeLineItem(
                sequence_numeric=seq,
                description=description,
                scientific_name=species_name,
                intended_use="Slaughter" if hs.startswith("01") else "Human consumption",
                net_weight=Measure(value=net, unit_code="KGM"),
                gross_weight=Measure(value=net * Decimal("1.04"), unit_code="KGM"),
                classifications=[Classification(system_name=phyto.HS_SYSTEM, class_code=hs)],
                packages=[Package(type_code=pkg, item_quantity=Decimal(packages))],
                origins=[Country(id=export)],
            )
        )
    return SPSCertificate(
        document=ExchangedDocument(
            name="Veterinary certificate",
            id=certificate_number(export, issued.year, rng.randint(1, 99_999)),
            type_code=VETERINARY_CERTIFICATE_TYPE,
            status_code=ISSUED,
            issue_date_time=_dt(issued),
            issuer=Party(name=authority),
            signatory=Authentication(
                actual_date_time=_dt(issued),
                issue_location=Location(name=city),
                provider=ProviderParty(
                    name=authority,
                    person=Person(name=rng.choice(["dr Jovan Ilić", "dr Arta Krasniqi", "dr Ivana Zorić"])),
                ),
                clauses=[Clause(id="1", content=_CLAUSE)],
            ),
        ),
        consignment=phyto.Consignment(
            consignor=_trader(rng, export),
            consignee=_trader(rng, imp),
            export_country=Country(id=export, name=codes.country_name(export)),
            import_country=Country(id=imp, name=codes.country_name(imp)),
            conveyances=[
                TransportMovement(
                    mode_code="3", means=TransportMeans(name=f"Truck {export} {rng.randint(100, 999)}-VT")
                )
            ],
            items=[ConsignmentItem(trade_line_items=lines)],
        ),
    )


VETERINARY_CERTIFICATE = MessageType(
    name="VeterinaryCertificate",
    ce_type="org.seedsim.c2c.veterinary-certificate.v1",
    schema=CERTIFICATE_SCHEMA,
    element=CERTIFICATE.element,
    read=CERTIFICATE.read,
    write=CERTIFICATE.write,
    description=(
        "Veterinary health certificate (UN/CEFACT SPSCertificate, TypeCode 853) of live animals or products of animal "
        "origin, sent by the exporting veterinary authority to the office of entry."
    ),
    rules=CERTIFICATE_RULES,
    discriminator=(f"{{{RSM}}}SPSExchangedDocument/{{{RAM}}}TypeCode", (VETERINARY_CERTIFICATE_TYPE,)),
    generate=generate_certificate,
)


# -- the Common Health Entry Document (CHED-A, CHED-P) ---------------------------------------------


class ChedParty(XmlModel):
    name: str = Field(alias="Name")
    country_id: str = Field(alias="CountryID")


class BorderControlPost(XmlModel):
    name: str = Field(alias="Name")
    code: str = Field(alias="Code")


class AccompanyingDocument(XmlModel):
    type: str = Field(alias="Type")
    reference: str = Field(alias="Reference")
    issuing_country_id: str = Field(alias="IssuingCountryID")
    issue_date: date = Field(alias="IssueDate")


class MeansOfTransport(XmlModel):
    mode_code: str = Field(alias="ModeCode")
    identification: str = Field(alias="Identification")


class ChedCommodity(XmlModel):
    sequence_numeric: int = Field(alias="SequenceNumeric")
    cn_code: str = Field(alias="CNCode")
    species: str = Field(alias="Species")
    net_weight_kg: Decimal = Field(alias="NetWeightKg")
    number_of_animals: int | None = Field(None, alias="NumberOfAnimals")
    packages: int | None = Field(None, alias="Packages")


class PartOne(XmlModel):
    """Part I, description of the consignment."""

    consignor: ChedParty = Field(alias="ConsignorExporter")
    local_reference: str | None = Field(None, alias="LocalReference")
    border_control_post: BorderControlPost = Field(alias="BorderControlPost")
    consignee: ChedParty = Field(alias="ConsigneeImporter")
    operator: ChedParty | None = Field(None, alias="OperatorResponsible")
    documents: list[AccompanyingDocument] = Field(default_factory=list, alias="AccompanyingDocument")
    prior_notification: datetime = Field(alias="PriorNotification")
    country_of_origin: str = Field(alias="CountryOfOrigin")
    transport: MeansOfTransport = Field(alias="MeansOfTransport")
    commodities: list[ChedCommodity] = Field(default_factory=list, alias="Commodity")


class PartTwo(XmlModel):
    """Part II, the border control post's decision on the consignment."""

    decision: str = Field(alias="Decision")
    reason: str | None = Field(None, alias="Reason")
    decision_date_time: datetime = Field(alias="DecisionDateTime")
    certifying_officer: str = Field(alias="CertifyingOfficer")


class CommonHealthEntryDocument(XmlModel):
    type: str = Field(alias="Type")
    reference: str = Field(alias="Reference")
    status: str = Field(alias="Status")
    part_one: PartOne = Field(alias="PartI")
    part_two: PartTwo | None = Field(None, alias="PartII")

    def certificate_references(self) -> list[str]:
        return [d.reference for d in self.part_one.documents if d.type == VETERINARY_CERTIFICATE.name]


CHED = XmlDocument(CommonHealthEntryDocument, "CommonHealthEntryDocument", NS_CHED)
H = "/CommonHealthEntryDocument"
CHED_RULES = RuleSet("common-health-entry-document")


def _commodity(pos: int, count: int) -> str:
    return phyto._indexed(f"{H}/PartI/Commodity", pos, count)


@CHED_RULES.rule("CHD101", 111, "The CHED reference is CHEDA/CHEDP.CC.YYYY.NNNNNNN and agrees with the type")
def reference(c: CommonHealthEntryDocument, ctx: RuleContext) -> Iterator[Issue]:
    m = CHED_REFERENCE.match(c.reference)
    where = f"{H}/Reference"
    if m is None:
        yield Issue(
            "CHD101",
            111,
            "a CHED reference is CHEDA or CHEDP, the country, the year and 7 digits, e.g. CHEDP.ME.2026.0001234",
            where,
            c.reference,
        )
        return
    if f"CHED-{m.group(1)}" != c.type:
        yield Issue("CHD101", 111, f"a {c.type} reference starts CHED{c.type[-1]}.", where, c.reference)
    if int(m.group(3)) != c.part_one.prior_notification.year:
        yield Issue(
            "CHD101",
            111,
            f"the reference's year is not the year of the prior notification ({c.part_one.prior_notification.year})",
            where,
            c.reference,
        )


@CHED_RULES.rule("CHD102", 110, "Country codes are ISO 3166-1 alpha-2")
def ched_countries(c: CommonHealthEntryDocument, ctx: RuleContext) -> Iterator[Issue]:
    p = c.part_one
    pairs = [
        (f"{H}/PartI/ConsignorExporter/CountryID", p.consignor.country_id),
        (f"{H}/PartI/ConsigneeImporter/CountryID", p.consignee.country_id),
        (f"{H}/PartI/CountryOfOrigin", p.country_of_origin),
    ]
    pairs += [
        (
            f"{phyto._indexed(f'{H}/PartI/AccompanyingDocument', i, len(p.documents))}/IssuingCountryID",
            d.issuing_country_id,
        )
        for i, d in enumerate(p.documents, 1)
    ]
    yield from codes.country_code_issues("CHD102", 110, pairs, "not an ISO 3166-1 alpha-2 country code, e.g. RS, ME")


@CHED_RULES.rule("CHD103", 112, "CHED-A goods are live animals with their number; CHED-P goods are animal products")
def ched_goods(c: CommonHealthEntryDocument, ctx: RuleContext) -> Iterator[Issue]:
    lines = c.part_one.commodities
    for pos, line in enumerate(lines, 1):
        where = _commodity(pos, len(lines))
        if why := hs_problem(line.cn_code[:6]):
            yield Issue("CHD103", 112, f"not an HS-based commodity code: {why}", f"{where}/CNCode", line.cn_code)
        elif c.type == "CHED-A" and line.cn_code[:2] not in LIVE_ANIMALS:
            yield Issue(
                "CHD103",
                112,
                "a CHED-A covers live animals (HS chapter 01): use a CHED-P for products",
                f"{where}/CNCode",
                line.cn_code,
            )
        elif c.type == "CHED-P" and line.cn_code[:2] not in ANIMAL_PRODUCTS:
            yield Issue(
                "CHD103",
                112,
                f"a CHED-P covers products of animal origin (HS chapters {', '.join(ANIMAL_PRODUCTS)}): live animals go on a CHED-A",
                f"{where}/CNCode",
                line.cn_code,
            )
        if c.type == "CHED-A" and not line.number_of_animals:
            yield Issue("CHD103", 112, "a CHED-A gives the number of animals", f"{where}/NumberOfAnimals")
        if line.net_weight_kg <= 0:
            yield Issue(
                "CHD103",
                112,
                "the net weight must be greater than zero",
                f"{where}/NetWeightKg",
                str(line.net_weight_kg),
            )


@CHED_RULES.rule("CHD104", 116, "Type, status, decision and transport mode come from their code lists")
def ched_code_lists(c: CommonHealthEntryDocument, ctx: RuleContext) -> Iterator[Issue]:
    if c.type not in CHED_TYPES:
        yield Issue(
            "CHD104",
            116,
            "unknown CHED type: CHED-A (live animals) or CHED-P (products of animal origin)",
            f"{H}/Type",
            c.type,
        )
    if c.status not in CHED_STATUSES:
        yield Issue(
            "CHD104", 116, f"unknown CHED status: one of {', '.join(sorted(CHED_STATUSES))}", f"{H}/Status", c.status
        )
    if c.part_two is not None and c.part_two.decision not in DECISIONS:
        yield Issue(
            "CHD104", 116, "unknown decision: ACCEPTABLE or NOT_ACCEPTABLE", f"{H}/PartII/Decision", c.part_two.decision
        )
    mode = c.part_one.transport.mode_code
    if mode not in codes.TRANSPORT_MODES:
        yield Issue(
            "CHD104",
            116,
            "not a UN/ECE Recommendation 19 mode of transport code (1 sea, 2 rail, 3 road, 4 air, ...)",
            f"{H}/PartI/MeansOfTransport/ModeCode",
            mode,
        )


@CHED_RULES.rule("CHD105", 210, "Part II is decided after the prior notification; a valid CHED has a decision")
def decision(c: CommonHealthEntryDocument, ctx: RuleContext) -> Iterator[Issue]:
    two = c.part_two
    if two is None:
        if c.status == "VALID":
            yield Issue("CHD105", 210, "a VALID CHED carries the Part II decision", f"{H}/PartII")
        return
    if two.decision_date_time.replace(tzinfo=None) < c.part_one.prior_notification.replace(tzinfo=None):
        yield Issue(
            "CHD105",
            210,
            "the decision is dated before the consignment was notified (Part I, prior notification)",
            f"{H}/PartII/DecisionDateTime",
            two.decision_date_time.isoformat(),
        )
    if two.decision == "NOT_ACCEPTABLE" and not two.reason:
        yield Issue("CHD105", 210, "a consignment found not acceptable has a Reason", f"{H}/PartII/Reason")


#: border control posts seedsim names, per country (a UN/LOCODE and a digit: illustrative, not TRACES NT's list)
BORDER_CONTROL_POSTS = {
    "RS": ("Batrovci", "RSBAT1"),
    "ME": ("Dobrakovo", "MEDOB1"),
    "MK": ("Tabanovce", "MKTAB1"),
    "AL": ("Kakavijë", "ALKAK1"),
    "BA": ("Gradiška", "BAGRD1"),
    "XK": ("Merdare", "XKMER1"),
}


def ched_for(
    cert: SPSCertificate, serial: int, notified: datetime, decided: bool = True, officer: str = "dr Milena Vuković"
) -> CommonHealthEntryDocument:
    """The CHED the border control post of the importing country issues for the consignment ``cert`` covers."""
    lines = [line for item in cert.consignment.items for line in item.trade_line_items]
    live = all((line.hs_code() or "")[:2] in LIVE_ANIMALS for line in lines)
    kind, country = ("CHED-A" if live else "CHED-P"), cert.consignment.import_country.id
    post, code = BORDER_CONTROL_POSTS.get(country, (country, f"{country}XXX1"))
    c = cert.consignment
    means = c.conveyances[0].means.name if c.conveyances and c.conveyances[0].means else "unknown"
    return CommonHealthEntryDocument(
        type=kind,
        reference=ched_reference(kind, country, notified.year, serial),
        status="VALID" if decided else "NEW",
        part_one=PartOne(
            consignor=ChedParty(name=c.consignor.name, country_id=c.export_country.id),
            border_control_post=BorderControlPost(name=post, code=code),
            consignee=ChedParty(name=c.consignee.name, country_id=country),
            documents=[
                AccompanyingDocument(
                    type=VETERINARY_CERTIFICATE.name,
                    reference=cert.document.id,
                    issuing_country_id=c.export_country.id,
                    issue_date=datetime.fromisoformat(cert.document.issue_date_time.date_time_string).date(),
                )
            ],
            prior_notification=notified,
            country_of_origin=c.export_country.id,
            transport=MeansOfTransport(
                mode_code=c.conveyances[0].mode_code if c.conveyances else "3", identification=means
            ),
            commodities=[
                ChedCommodity(
                    sequence_numeric=pos,
                    cn_code=line.hs_code() or "",
                    species=line.scientific_name or "",
                    net_weight_kg=line.net_weight.value if line.net_weight else Decimal(1),
                    number_of_animals=int(line.packages[0].item_quantity) if live and line.packages else None,
                    packages=None if live or not line.packages else int(line.packages[0].item_quantity),
                )
                for pos, line in enumerate(lines, 1)
            ],
        ),
        part_two=PartTwo(
            decision="ACCEPTABLE",
            decision_date_time=notified + timedelta(hours=2),
            certifying_officer=officer,
        )
        if decided
        else None,
    )


def generate_ched(rng: random.Random) -> CommonHealthEntryDocument:
    cert = generate_certificate(rng)
    issued = datetime.fromisoformat(cert.document.issue_date_time.date_time_string)
    notified = issued + timedelta(hours=rng.randint(2, 30))
    return ched_for(cert, rng.randint(1, 9_999_999), notified, decided=rng.random() < 0.8)


COMMON_HEALTH_ENTRY_DOCUMENT = MessageType(
    name="CommonHealthEntryDocument",
    ce_type="org.seedsim.c2c.common-health-entry-document.v1",
    schema=CHED_SCHEMA,
    element=CHED.element,
    read=CHED.read,
    write=CHED.write,
    description=(
        "EU Common Health Entry Document (TRACES NT CHED-A for live animals, CHED-P for products of animal origin): "
        "Part I the consignment, Part II the border control post's decision."
    ),
    rules=CHED_RULES,
    generate=generate_ched,
)

MESSAGE_TYPES = [VETERINARY_CERTIFICATE, COMMON_HEALTH_ENTRY_DOCUMENT]
