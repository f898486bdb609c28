"""Phytosanitary certificates, as the IPPC ePhyto exchanges them (UN/CEFACT SPS certificate).

Why: SEED+ links customs to TRACES NT CEFTA for phytosanitary certificates; the office of
entry wants the certificate of a consignment of apples or raspberries before the truck arrives,
and matches it against the declaration (HS code, quantity, consignor, consignee).

The document is ``rsm:SPSCertificate`` in the real UN/CEFACT namespaces (SPSCertificate:17,
ReusableAggregateBusinessInformationEntity:21, UnqualifiedDataType:21) with the element names
ePhyto uses (ISPM 12 Appendix 1): ``SPSExchangedDocument`` (number, type, status, issue date,
issuing NPPO, additional declarations as ``IncludedSPSNote``, signatory) and ``SPSConsignment``
(consignor, consignee, export/import/transit countries, point of entry
``UnloadingBaseportSPSLocation``, declared means of conveyance
``MainCarriageSPSTransportMovement``, and ``IncludedSPSConsignmentItem/IncludedSPSTradeLineItem``
with common and botanical names, weights, HS and IPPC commodity classifications, packages,
place of origin and treatments ``AppliedSPSProcess``). The schema in ``schemas/phyto`` is a
seedsim subset of those names, not the UN/CEFACT schema itself.

Codes: TypeCode from UN/EDIFACT 1001 (851 phytosanitary certificate, 657 re-export);
StatusCode 70 (issued) and 40 (withdrawn/cancelled), as national ePhyto systems send them;
note subjects ADEDL (additional declaration, document level) and DMCL (distinguishing marks,
consignment level) from the ePhyto mapping. Not verified here, so kept well-formed and
documented: the full ePhyto status list, the IPPC harmonized treatment-type list (seedsim puts
the treatment type in ``AppliedSPSProcess/TypeCode``; ePhyto hubs also accept ZZZ), the
classification system name for HS (seedsim: ``HS``) and the certificate number format (set by
each NPPO).
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal

from pydantic import Field

from seedsim.core import codes
from seedsim.core.message_type import MessageType
from seedsim.core.validation import Issue, RuleContext, RuleSet
from seedsim.core.xml_binding import XmlDocument, XmlModel, attribute, element_in, text
from seedsim.messages.origin import hs_problem

RSM = "urn:un:unece:uncefact:data:standard:SPSCertificate:17"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:21"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:21"
NSMAP = {"rsm": RSM, "ram": RAM, "udt": UDT}
SCHEMA = "phyto/seedsim_sps_certificate.xsd"

#: The two UN/EDIFACT 1001 document name codes a phytosanitary certificate is (of the whole list in seedsim.core.codes).
CERTIFICATE_TYPES = {code: codes.code_list(codes.DOCUMENT_LIST).names[code] for code in ("851", "657")}
#: Certificate status (ePhyto SPSExchangedDocument/StatusCode), from its code list file.
STATUSES = codes.code_list(codes.PHYTO_STATUS_LIST).names
#: Treatment types (seedsim abbreviations after the IPPC harmonized treatment types; ZZZ = stated in the characteristics).
TREATMENT_TYPES = {
    "FUM": "Fumigation",
    "CHT": "Chemical treatment",
    "COT": "Cold treatment",
    "HTT": "Heat treatment",
    "RAT": "Irradiation",
    "ZZZ": "Other, described in the characteristics",
}
#: Classification systems on a trade line item.
HS_SYSTEM = "HS"
COMMODITY_CLASS_SYSTEM = "IPPCPCVP"  # IPPC commodity class, as ePhyto mapping uses it

BOTANICAL_NAME = re.compile(r"^[A-Z][a-z]+ (× ?|x )?[a-z][a-z-]+( (subsp\.|var\.|f\.) [a-z-]+)?$")
UN_LOCODE = re.compile(r"^[A-Z]{2}[A-Z2-9]{3}$")


# -- models ------------------------------------------------------------------------------------


class DateTime(XmlModel):
    date_time_string: str = element_in(UDT, "DateTimeString", ...)


class Measure(XmlModel):
    value: Decimal = text()
    unit_code: str = attribute("unitCode")


class Address(XmlModel):
    postcode_code: str | None = Field(None, alias="PostcodeCode")
    line_one: str | None = Field(None, alias="LineOne")
    city_name: str | None = Field(None, alias="CityName")
    country_id: str | None = Field(None, alias="CountryID")


class Party(XmlModel):
    id: str | None = Field(None, alias="ID")
    name: str = Field(alias="Name")
    address: Address | None = Field(None, alias="SpecifiedSPSAddress")


class Note(XmlModel):
    subject: str | None = Field(None, alias="Subject")
    content: list[str] = Field(default_factory=list, alias="Content")


class Location(XmlModel):
    id: str | None = Field(None, alias="ID")
    name: str | None = Field(None, alias="Name")


class Person(XmlModel):
    name: str = Field(alias="Name")


class ProviderParty(XmlModel):
    name: str | None = Field(None, alias="Name")
    person: Person | None = Field(None, alias="SpecifiedSPSPerson")


class Clause(XmlModel):
    id: str | None = Field(None, alias="ID")
    content: str = Field(alias="Content")


class Authentication(XmlModel):
    actual_date_time: DateTime | None = Field(None, alias="ActualDateTime")
    issue_location: Location | None = Field(None, alias="IssueSPSLocation")
    provider: ProviderParty | None = Field(None, alias="ProviderSPSParty")
    clauses: list[Clause] = Field(default_factory=list, alias="IncludedSPSClause")


class ExchangedDocument(XmlModel):
    """``SPSExchangedDocument``: its children are in the ram namespace, the element itself in rsm."""

    name: str | None = element_in(RAM, "Name")
    id: str = element_in(RAM, "ID", ...)
    type_code: str = element_in(RAM, "TypeCode", ...)
    status_code: str = element_in(RAM, "StatusCode", ...)
    issue_date_time: DateTime = element_in(RAM, "IssueDateTime", ...)
    issuer: Party = element_in(RAM, "IssuerSPSParty", ...)
    notes: list[Note] = element_in(RAM, "IncludedSPSNote", [])
    signatory: Authentication | None = element_in(RAM, "SignatorySPSAuthentication")


class SubDivision(XmlModel):
    name: str = Field(alias="Name")
    hierarchical_level_code: str | None = Field(None, alias="HierarchicalLevelCode")


class Country(XmlModel):
    id: str = Field(alias="ID")
    name: str | None = Field(None, alias="Name")
    subdivision: SubDivision | None = Field(None, alias="SubordinateSPSCountrySubDivision")


class Event(XmlModel):
    location: Location = Field(alias="OccurrenceSPSLocation")


class TransportMeans(XmlModel):
    name: str = Field(alias="Name")


class TransportMovement(XmlModel):
    mode_code: str = Field(alias="ModeCode")
    means: TransportMeans | None = Field(None, alias="UsedSPSTransportMeans")


class Classification(XmlModel):
    system_name: str = Field(alias="SystemName")
    class_code: str | None = Field(None, alias="ClassCode")
    class_name: str | None = Field(None, alias="ClassName")


class Package(XmlModel):
    level_code: str = Field("1", alias="LevelCode")
    type_code: str = Field(alias="TypeCode")
    item_quantity: Decimal = Field(alias="ItemQuantity")


class Period(XmlModel):
    start: DateTime | None = Field(None, alias="StartDateTime")
    end: DateTime | None = Field(None, alias="EndDateTime")
    duration: Measure | None = Field(None, alias="DurationMeasure")


class Characteristic(XmlModel):
    """A treatment parameter: the chemical (active ingredient) with its concentration, or the temperature."""

    description: str = Field(alias="Description")
    value: Measure | None = Field(None, alias="ValueMeasure")


class Process(XmlModel):
    type_code: str = Field(alias="TypeCode")
    period: Period | None = Field(None, alias="CompletionSPSPeriod")
    characteristics: list[Characteristic] = Field(default_factory=list, alias="ApplicableSPSProcessCharacteristic")


class TradeLineItem(XmlModel):
    sequence_numeric: int = Field(alias="SequenceNumeric")
    description: str | None = Field(None, alias="Description")
    common_name: str | None = Field(None, alias="CommonName")
    scientific_name: str | None = Field(None, alias="ScientificName")
    intended_use: str | None = Field(None, alias="IntendedUse")
    net_weight: Measure | None = Field(None, alias="NetWeightMeasure")
    gross_weight: Measure | None = Field(None, alias="GrossWeightMeasure")
    notes: list[Note] = Field(default_factory=list, alias="AdditionalInformationSPSNote")
    classifications: list[Classification] = Field(default_factory=list, alias="ApplicableSPSClassification")
    packages: list[Package] = Field(default_factory=list, alias="PhysicalSPSPackage")
    origins: list[Country] = Field(default_factory=list, alias="OriginSPSCountry")
    processes: list[Process] = Field(default_factory=list, alias="AppliedSPSProcess")

    def hs_code(self) -> str | None:
        return next((c.class_code for c in self.classifications if c.system_name == HS_SYSTEM and c.class_code), None)


class ConsignmentItem(XmlModel):
    trade_line_items: list[TradeLineItem] = Field(default_factory=list, alias="IncludedSPSTradeLineItem")


class Consignment(XmlModel):
    """``SPSConsignment``: its children are in the ram namespace, the element itself in rsm."""

    consignor: Party = element_in(RAM, "ConsignorSPSParty", ...)
    consignee: Party = element_in(RAM, "ConsigneeSPSParty", ...)
    export_country: Country = element_in(RAM, "ExportSPSCountry", ...)
    re_export_country: Country | None = element_in(RAM, "ReExportSPSCountry")
    import_country: Country = element_in(RAM, "ImportSPSCountry", ...)
    transit_countries: list[Country] = element_in(RAM, "TransitSPSCountry", [])
    point_of_entry: Location | None = element_in(RAM, "UnloadingBaseportSPSLocation")
    examination: Event | None = element_in(RAM, "ExaminationSPSEvent")
    conveyances: list[TransportMovement] = element_in(RAM, "MainCarriageSPSTransportMovement", [])
    items: list[ConsignmentItem] = element_in(RAM, "IncludedSPSConsignmentItem", [])


class SPSCertificate(XmlModel):
    xml_tag = "SPSCertificate"

    document: ExchangedDocument = Field(alias="SPSExchangedDocument")
    consignment: Consignment = Field(alias="SPSConsignment")

    def trade_line_items(self) -> Iterator[tuple[str, TradeLineItem]]:
        """Every trade line item with its pointer."""
        items = self.consignment.items
        for ipos, item in enumerate(items, 1):
            ci = f"{C}/IncludedSPSConsignmentItem" + (f"[{ipos}]" if len(items) > 1 else "")
            lines = item.trade_line_items
            for lpos, line in enumerate(lines, 1):
                yield ci + "/IncludedSPSTradeLineItem" + (f"[{lpos}]" if len(lines) > 1 else ""), line


#: the certificate with the rsm/ram/udt prefixes ePhyto documents use
DOCUMENT = XmlDocument(SPSCertificate, "SPSCertificate", RSM, NSMAP)
read, write = DOCUMENT.read, DOCUMENT.write


def _when(dt: DateTime | None) -> datetime | None:
    try:
        return datetime.fromisoformat(dt.date_time_string) if dt else None
    except ValueError:
        return None


def _naive(d: datetime) -> datetime:
    return d.replace(tzinfo=None)


# -- rules ---------------------------------------------------------------------------------------

D = "/SPSCertificate/SPSExchangedDocument"
C = "/SPSCertificate/SPSConsignment"
RULES = RuleSet("phytosanitary-certificate")


def _indexed(base: str, pos: int, count: int) -> str:
    return base + (f"[{pos}]" if count > 1 else "")


@RULES.rule("PHY101", 110, "Country codes are ISO 3166-1 alpha-2")
def countries(p: SPSCertificate, ctx: RuleContext) -> Iterator[Issue]:
    c = p.consignment
    pairs = [(f"{C}/ExportSPSCountry/ID", c.export_country.id), (f"{C}/ImportSPSCountry/ID", c.import_country.id)]
    if c.re_export_country:
        pairs.append((f"{C}/ReExportSPSCountry/ID", c.re_export_country.id))
    pairs += [
        (f"{_indexed(f'{C}/TransitSPSCountry', i, len(c.transit_countries))}/ID", t.id)
        for i, t in enumerate(c.transit_countries, 1)
    ]
    for where, party in (("ConsignorSPSParty", c.consignor), ("ConsigneeSPSParty", c.consignee)):
        if party.address and party.address.country_id:
            pairs.append((f"{C}/{where}/SpecifiedSPSAddress/CountryID", party.address.country_id))
    for pointer, line in p.trade_line_items():
        pairs += [
            (f"{_indexed(f'{pointer}/OriginSPSCountry', i, len(line.origins))}/ID", o.id)
            for i, o in enumerate(line.origins, 1)
        ]
    yield from codes.country_code_issues(
        "PHY101", 110, pairs, "not an ISO 3166-1 alpha-2 country code: use the 2-letter code, e.g. RS, ME, MK"
    )


@RULES.rule("PHY102", 112, "HS classifications are HS-based commodity codes")
def hs_codes(p: SPSCertificate, ctx: RuleContext) -> Iterator[Issue]:
    for pointer, line in p.trade_line_items():
        for pos, cl in enumerate(line.classifications, 1):
            if cl.system_name == HS_SYSTEM and cl.class_code and (why := hs_problem(cl.class_code)):
                yield Issue(
                    "PHY102",
                    112,
                    f"not an HS-based commodity code: {why}",
                    f"{_indexed(f'{pointer}/ApplicableSPSClassification', pos, len(line.classifications))}/ClassCode",
                    cl.class_code,
                )


@RULES.rule("PHY103", 115, "Treatments end after they start and not after the certificate is issued")
def treatment_dates(p: SPSCertificate, ctx: RuleContext) -> Iterator[Issue]:
    issued = _when(p.document.issue_date_time)
    for pointer, line in p.trade_line_items():
        for pos, proc in enumerate(line.processes, 1):
            if not proc.period:
                continue
            where = f"{_indexed(f'{pointer}/AppliedSPSProcess', pos, len(line.processes))}/CompletionSPSPeriod"
            start, end = _when(proc.period.start), _when(proc.period.end)
            if start and issued and _naive(start) > _naive(issued):
                yield Issue(
                    "PHY103",
                    115,
                    "the treatment starts after the certificate was issued: a certified treatment is done before issue",
                    f"{where}/StartDateTime",
                    proc.period.start.date_time_string,
                )
            if start and end and _naive(end) < _naive(start):
                yield Issue(
                    "PHY103",
                    115,
                    "the treatment ends before it starts",
                    f"{where}/EndDateTime",
                    proc.period.end.date_time_string,
                )


@RULES.rule("PHY104", 113, "Each commodity has a botanical name: genus and species")
def botanical_names(p: SPSCertificate, ctx: RuleContext) -> Iterator[Issue]:
    for pointer, line in p.trade_line_items():
        if not line.scientific_name:
            yield Issue(
                "PHY104",
                113,
                "add ScientificName: the botanical name of the plant, genus and species (e.g. Malus domestica)",
                f"{pointer}/ScientificName",
            )
        elif not BOTANICAL_NAME.match(line.scientific_name.strip()):
            yield Issue(
                "PHY104",
                113,
                "the botanical name needs a capitalised genus and a lower-case species epithet, e.g. Rubus idaeus",
                f"{pointer}/ScientificName",
                line.scientific_name,
            )


@RULES.rule("PHY105", 114, "Quantities are positive and gross weight is not below net weight")
def quantities(p: SPSCertificate, ctx: RuleContext) -> Iterator[Issue]:
    for pointer, line in p.trade_line_items():
        for tag, m in (("NetWeightMeasure", line.net_weight), ("GrossWeightMeasure", line.gross_weight)):
            if m is not None and m.value <= 0:
                yield Issue("PHY105", 114, "the quantity must be greater than zero", f"{pointer}/{tag}", str(m.value))
        if (
            line.net_weight
            and line.gross_weight
            and line.net_weight.unit_code == line.gross_weight.unit_code
            and Decimal(0) < line.gross_weight.value < line.net_weight.value
        ):
            yield Issue(
                "PHY105",
                114,
                f"gross weight is below the net weight ({line.net_weight.value}): gross weight includes packaging",
                f"{pointer}/GrossWeightMeasure",
                str(line.gross_weight.value),
            )
        for pos, pkg in enumerate(line.packages, 1):
            if pkg.item_quantity <= 0:
                yield Issue(
                    "PHY105",
                    114,
                    "the number of packages must be greater than zero",
                    f"{_indexed(f'{pointer}/PhysicalSPSPackage', pos, len(line.packages))}/ItemQuantity",
                    str(pkg.item_quantity),
                )


@RULES.rule("PHY106", 116, "Certificate type, status, treatment type and transport mode come from their code lists")
def code_lists(p: SPSCertificate, ctx: RuleContext) -> Iterator[Issue]:
    d = p.document
    if d.type_code not in CERTIFICATE_TYPES:
        yield Issue(
            "PHY106",
            116,
            "unknown certificate type: 851 (phytosanitary certificate) or 657 (re-export)",
            f"{D}/TypeCode",
            d.type_code,
        )
    elif d.type_code == "657" and p.consignment.re_export_country is None:
        yield Issue(
            "PHY106",
            116,
            "a re-export certificate (657) names the re-exporting country in ReExportSPSCountry",
            f"{C}/ReExportSPSCountry",
            d.type_code,
        )
    if d.status_code not in STATUSES:
        yield Issue(
            "PHY106", 116, "unknown certificate status: 70 (issued) or 40 (withdrawn)", f"{D}/StatusCode", d.status_code
        )
    conv = p.consignment.conveyances
    for pos, mv in enumerate(conv, 1):
        if not codes.accepts(codes.TRANSPORT_MODE_LIST, mv.mode_code, ctx.national_codes):
            yield Issue(
                "PHY106",
                116,
                codes.TRANSPORT_MODE_MESSAGE,
                f"{_indexed(f'{C}/MainCarriageSPSTransportMovement', pos, len(conv))}/ModeCode",
                mv.mode_code,
            )
    for pointer, line in p.trade_line_items():
        for pos, proc in enumerate(line.processes, 1):
            if proc.type_code not in TREATMENT_TYPES:
                yield Issue(
                    "PHY106",
                    116,
                    f"unknown treatment type: use one of {', '.join(TREATMENT_TYPES)}",
                    f"{_indexed(f'{pointer}/AppliedSPSProcess', pos, len(line.processes))}/TypeCode",
                    proc.type_code,
                )


@RULES.rule("PHY107", 301, "The point of entry is a UN/LOCODE in the importing country")
def point_of_entry(p: SPSCertificate, ctx: RuleContext) -> Iterator[Issue]:
    poe = p.consignment.point_of_entry
    if poe is None or poe.id is None:
        return
    if not UN_LOCODE.match(poe.id):
        yield Issue(
            "PHY107",
            301,
            "not a UN/LOCODE: country code and 3 characters (A-Z, 2-9), e.g. MKSKP",
            f"{C}/UnloadingBaseportSPSLocation/ID",
            poe.id,
        )
    elif poe.id[:2] != p.consignment.import_country.id:
        yield Issue(
            "PHY107",
            301,
            f"the point of entry is not in the importing country {p.consignment.import_country.id}",
            f"{C}/UnloadingBaseportSPSLocation/ID",
            poe.id,
        )


@RULES.rule("PHY108", 117, "Trade line items are numbered 1..n across the consignment")
def sequence(p: SPSCertificate, ctx: RuleContext) -> Iterator[Issue]:
    for pos, (pointer, line) in enumerate(p.trade_line_items(), 1):
        if line.sequence_numeric != pos:
            yield Issue(
                "PHY108",
                117,
                f"trade line items are numbered 1, 2, 3 ... in order: this is item {pos}",
                f"{pointer}/SequenceNumeric",
                str(line.sequence_numeric),
            )


# -- generator: Western Balkan plant exports -----------------------------------------------------------

#: NPPO of each SEED country, with the place a certificate is typically issued.
_NPPOS = {
    "RS": ("Uprava za zaštitu bilja", "Beograd"),
    "ME": ("Uprava za bezbjednost hrane, veterinu i fitosanitarne poslove", "Podgorica"),
    "MK": ("Fitosanitarna uprava", "Skopje"),
    "AL": ("Autoriteti Kombëtar i Ushqimit", "Tiranë"),
    "BA": ("Uprava BiH za zaštitu zdravlja bilja", "Sarajevo"),
    "XK": ("Agjencia e Ushqimit dhe Veterinarisë", "Prishtinë"),
}
#: Points of entry: UN/LOCODE where seedsim is sure of it, otherwise the border crossing by name only.
_ENTRY = {
    "RS": ("RSBEG", "Beograd"),
    "ME": (None, "Dobrakovo"),
    "MK": ("MKSKP", "Skopje"),
    "AL": ("ALTIA", "Tiranë"),
    "BA": ("BASJJ", "Sarajevo"),
    "XK": (None, "Merdare"),
}
_TRADERS = {
    "RS": ["Fructus Export d.o.o.", "Malina Arilje d.o.o."],
    "ME": ["Primorka d.o.o.", "Voli Trade d.o.o."],
    "MK": ["Agrovit DOOEL", "Fruktal Mak DOOEL"],
    "AL": ["Agro Adriatik sh.p.k.", "Fruta Korça sh.p.k."],
    "BA": ["Voćar d.o.o.", "Agro Podrinje d.o.o."],
    "XK": ["Agro Dardania sh.p.k.", "Frutti Ks L.L.C."],
}
#: (common name, botanical name, HS code, IPPC commodity class, package, kg per package, region)
_PLANTS = [
    ("Apples", "Malus domestica", "080810", "Fruits and vegetables", "CT", 18, "Šumadija"),
    ("Raspberries, frozen", "Rubus idaeus", "081120", "Fruits and vegetables", "CT", 10, "Arilje"),
    ("Ware potatoes", "Solanum tuberosum", "070190", "Fruits and vegetables", "SA", 25, "Korçë"),
    ("Table grapes", "Vitis vinifera", "080610", "Fruits and vegetables", "CT", 8, "Tikveš"),
    ("Plums", "Prunus domestica", "080940", "Fruits and vegetables", "CT", 12, "Podrinje"),
    ("Sweet peppers", "Capsicum annuum", "070960", "Fruits and vegetables", "CT", 10, "Strumica"),
]
_ADDITIONAL_DECLARATIONS = [
    "The consignment was found free from Erwinia amylovora.",
    "The place of production is free from Globodera rostochiensis and Globodera pallida.",
    "The fruits originate from a pest free area for Drosophila suzukii.",
]
#: The certification statement of the ISPM 12 model phytosanitary certificate.
_CLAUSE = (
    "This is to certify that the plants, plant products or other regulated articles described herein have been inspected "
    "and/or tested according to appropriate official procedures and are considered to be free from the quarantine pests "
    "specified by the importing contracting party and to conform with the current phytosanitary requirements of the "
    "importing contracting party, including those for regulated non-quarantine pests."
)


def _party(rng: random.Random, country: str) -> Party:
    city = _NPPOS[country][1]
    return Party(
        name=rng.choice(_TRADERS[country]),
        address=Address(
            line_one=f"{rng.choice(['Industrijska', 'Glavna', 'Rruga e Durrësit'])} {rng.randint(1, 99)}",
            city_name=city,
            country_id=country,
        ),
    )


def _dt(d: datetime) -> DateTime:
    return DateTime(date_time_string=d.isoformat(timespec="seconds"))


def _treatment(rng: random.Random, issued: datetime) -> Process:
    start = issued - timedelta(days=rng.randint(1, 10), hours=rng.randint(0, 12))
    if rng.random() < 0.5:
        return Process(
            type_code="FUM",
            period=Period(
                start=_dt(start),
                end=_dt(start + timedelta(hours=24)),
                duration=Measure(value=Decimal(24), unit_code="HUR"),
            ),
            characteristics=[
                Characteristic(description="Phosphine", value=Measure(value=Decimal("1.5"), unit_code="GL")),
                Characteristic(description="Temperature", value=Measure(value=Decimal(20), unit_code="CEL")),
            ],
        )
    return Process(
        type_code="COT",
        period=Period(start=_dt(start), duration=Measure(value=Decimal(rng.choice([14, 16, 18])), unit_code="DAY")),
        characteristics=[
            Characteristic(description="Temperature", value=Measure(value=Decimal("1.1"), unit_code="CEL"))
        ],
    )


def generate(rng: random.Random) -> SPSCertificate:
    export, imp = rng.sample(sorted(_NPPOS), 2)
    nppo, city = _NPPOS[export]
    issued = datetime(2026, 1, 1, 8) + timedelta(days=rng.randint(0, 300), minutes=rng.randint(0, 600))
    lines = []
    for seq, (common, botanical, hs, klass, pkg, per, region) in enumerate(rng.sample(_PLANTS, rng.randint(1, 3)), 1):
        packages = rng.randint(20, 1500)
        net = Decimal(per * packages)
        lines.append(
            TradeLineItem(
                sequence_numeric=seq,
                description=f"{common}, fresh" if "frozen" not in common else common,
                common_name=common,
                scientific_name=botanical,
                intended_use="Consumption",
                net_weight=Measure(value=net, unit_code="KGM"),
                gross_weight=Measure(value=net * Decimal("1.05"), unit_code="KGM"),
                classifications=[
                    Classification(system_name=HS_SYSTEM, class_code=hs),
                    Classification(system_name=COMMODITY_CLASS_SYSTEM, class_name=klass),
                ],
                packages=[Package(type_code=pkg, item_quantity=Decimal(packages))],
                origins=[
                    Country(id=export, name=None, subdivision=SubDivision(name=region, hierarchical_level_code="1"))
                ],
                processes=[_treatment(rng, issued)] if rng.random() < 0.4 else [],
            )
        )
    entry_id, entry_name = _ENTRY[imp]
    return SPSCertificate(
        document=ExchangedDocument(
            name="Phytosanitary certificate",
            id=f"{export}-{issued.year}-{rng.randint(1, 99_999):05d}",
            type_code="851",
            status_code="70",
            issue_date_time=_dt(issued),
            issuer=Party(name=nppo),
            notes=[Note(subject="ADEDL", content=[rng.choice(_ADDITIONAL_DECLARATIONS)])] if rng.random() < 0.6 else [],
            signatory=Authentication(
                actual_date_time=_dt(issued),
                issue_location=Location(name=city),
                provider=ProviderParty(
                    name=nppo, person=Person(name=rng.choice(["Marko Petrović", "Elira Hoxha", "Ana Stojanovska"]))
                ),
                clauses=[Clause(id="1", content=_CLAUSE)],
            ),
        ),
        consignment=Consignment(
            consignor=_party(rng, export),
            consignee=_party(rng, imp),
            export_country=Country(id=export, name=codes.country_name(export)),
            import_country=Country(id=imp, name=codes.country_name(imp)),
            point_of_entry=Location(id=entry_id, name=entry_name),
            examination=Event(location=Location(name=city)),
            conveyances=[
                TransportMovement(
                    mode_code="3",
                    means=TransportMeans(name=f"Truck {export} {rng.randint(100, 999)}-{rng.choice(['AB', 'KL'])}"),
                )
            ],
            items=[ConsignmentItem(trade_line_items=lines)],
        ),
    )


PHYTOSANITARY_CERTIFICATE = MessageType(
    name="PhytosanitaryCertificate",
    ce_type="org.seedsim.c2c.phytosanitary-certificate.v1",
    schema=SCHEMA,
    element=DOCUMENT.element,
    read=read,
    write=write,
    description="Phytosanitary certificate (IPPC ePhyto, UN/CEFACT SPSCertificate) of a plant consignment, sent to the office of entry.",
    rules=RULES,
    generate=generate,
)

MESSAGE_TYPES = [PHYTOSANITARY_CERTIFICATE]
