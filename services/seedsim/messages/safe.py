"""Advance export cargo information: the WCO SAFE Framework's key data elements, sent ahead to the office of entry.

Why: the SAFE Framework of Standards (which the 2006 WCO security standards became) asks the
administration of export to have, and to share with the administration of destination, advance
electronic cargo information for risk assessment before the goods arrive. Its data set (SAFE
Annex, the "key data elements" for export) is what a security risk engine needs: the unique
consignment reference (UCR, mandatory: it links the data to the consignment on every side), the
exporter/consignor, consignee and carrier, the goods (description and HS code, gross mass,
packages), the seal numbers of the transport equipment, the route (countries of routing, place of
loading) and the means of transport and offices.

The office of entry checks the record for completeness: a missing key element is a warning
(``SAFE102``) that does not stop the exchange -- the goods are coming either way -- but raises an
alert at the office of entry (:mod:`seedsim.nodes.customs.safe_completeness`), so a risk officer
can ask for the data or inspect. A record without its UCR is refused by the schema. Element names
follow WCO DM where one exists; the namespace (``urn:seedsim:safe:1``) and the document are
seedsim's, as the SAFE Framework defines data elements, not a message.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from pydantic import Field

from seedsim.config import BorderCrossing
from seedsim.core import codes
from seedsim.core.declaration import Measure
from seedsim.core.declaration import Party as WcoParty
from seedsim.core.identifiers import make_ucr
from seedsim.core.message_type import MessageType
from seedsim.core.validation import Issue, RuleContext, RuleSet
from seedsim.core.xml_binding import XmlDocument, XmlModel
from seedsim.samples.consignments import ConsignmentGenerator
from seedsim.samples.crossings import DEMO_CROSSINGS

NS_SAFE = "urn:seedsim:safe:1"
SCHEMA = "safe/seedsim_advance_cargo.xsd"
A = "/AdvanceCargoInformation"


class Party(XmlModel):
    name: str | None = Field(None, alias="Name")
    id: str | None = Field(None, alias="ID")
    country_code: str | None = Field(None, alias="CountryCode")


class TransportMeans(XmlModel):
    id: str | None = Field(None, alias="ID")
    registration_nationality_code: str | None = Field(None, alias="RegistrationNationalityCode")
    mode_code: str | None = Field(None, alias="ModeCode")


class Seal(XmlModel):
    id: str = Field(alias="ID")


class TransportEquipment(XmlModel):
    id: str | None = Field(None, alias="ID")
    seals: list[Seal] = Field(default_factory=list, alias="Seal")


class Itinerary(XmlModel):
    routing_country_codes: list[str] = Field(default_factory=list, alias="RoutingCountryCode")


class GoodsItem(XmlModel):
    sequence_numeric: int = Field(alias="SequenceNumeric")
    description: str | None = Field(None, alias="Description")
    commodity_code: str | None = Field(None, alias="CommodityCode")
    gross_mass: Measure | None = Field(None, alias="GrossMassMeasure")
    package_quantity: int | None = Field(None, alias="PackageQuantity")
    package_type_code: str | None = Field(None, alias="PackageTypeCode")


class AdvanceCargoInformation(XmlModel):
    id: str = Field(alias="ID")
    issue_date_time: datetime = Field(alias="IssueDateTime")
    ucr: str = Field(alias="UCR")
    exit_office_id: str | None = Field(None, alias="ExitOfficeID")
    entry_office_id: str | None = Field(None, alias="EntryOfficeID")
    exporter: Party | None = Field(None, alias="Exporter")
    consignor: Party | None = Field(None, alias="Consignor")
    consignee: Party | None = Field(None, alias="Consignee")
    carrier: Party | None = Field(None, alias="Carrier")
    border_transport_means: TransportMeans | None = Field(None, alias="BorderTransportMeans")
    loading_location: str | None = Field(None, alias="LoadingLocation")
    itinerary: Itinerary | None = Field(None, alias="Itinerary")
    transport_equipment: list[TransportEquipment] = Field(default_factory=list, alias="TransportEquipment")
    total_gross_mass: Measure | None = Field(None, alias="TotalGrossMassMeasure")
    total_package_quantity: int | None = Field(None, alias="TotalPackageQuantity")
    goods_items: list[GoodsItem] = Field(default_factory=list, alias="GoodsItem")
    remarks: str | None = Field(None, alias="Remarks")

    @property
    def route(self) -> list[str]:
        return self.itinerary.routing_country_codes if self.itinerary else []


# -- the key data elements, and what is missing ----------------------------------------------------


def _named(p: Party | None) -> bool:
    return p is not None and bool(p.name or p.id)


#: SAFE key data elements for advance export cargo information beside the UCR (which the XSD requires):
#: (pointer, what it is, present?) -- one test per element, in document order
KEY_ELEMENTS: tuple[tuple[str, str, object], ...] = (
    (f"{A}/ExitOfficeID", "office of exit", lambda c: bool(c.exit_office_id)),
    (f"{A}/Exporter", "exporter (name or identifier)", lambda c: _named(c.exporter)),
    (f"{A}/Consignor", "consignor (name or identifier)", lambda c: _named(c.consignor)),
    (f"{A}/Consignee", "consignee (name or identifier)", lambda c: _named(c.consignee)),
    (f"{A}/Carrier", "carrier (name or identifier)", lambda c: _named(c.carrier)),
    (
        f"{A}/BorderTransportMeans/ID",
        "identity of the means of transport crossing the border",
        lambda c: bool(c.border_transport_means and c.border_transport_means.id),
    ),
    (f"{A}/LoadingLocation", "place of loading", lambda c: bool(c.loading_location)),
    (f"{A}/Itinerary/RoutingCountryCode", "countries of routing", lambda c: len(c.route) >= 2),
    (
        f"{A}/TransportEquipment/Seal/ID",
        "seal numbers",
        lambda c: any(s.id for e in c.transport_equipment for s in e.seals),
    ),
    (f"{A}/TotalGrossMassMeasure", "total gross mass", lambda c: c.total_gross_mass is not None),
    (f"{A}/TotalPackageQuantity", "total number of packages", lambda c: c.total_package_quantity is not None),
    (f"{A}/GoodsItem", "goods items", lambda c: bool(c.goods_items)),
)
#: per goods item: (element, what it is, present?)
ITEM_KEY_ELEMENTS: tuple[tuple[str, str, object], ...] = (
    ("Description", "goods description", lambda g: bool(g.description)),
    ("CommodityCode", "HS code", lambda g: bool(g.commodity_code)),
)


def missing_key_elements(c: AdvanceCargoInformation) -> list[tuple[str, str]]:
    """Every SAFE key data element the record lacks: (pointer, what it is)."""
    missing = [(pointer, what) for pointer, what, present in KEY_ELEMENTS if not present(c)]  # type: ignore[operator]
    for pos, g in enumerate(c.goods_items, 1):
        for element, what, present in ITEM_KEY_ELEMENTS:
            if not present(g):  # type: ignore[operator]
                missing.append((f"{A}/GoodsItem[{pos}]/{element}", f"{what} of goods item {g.sequence_numeric}"))
    return missing


SAFE_RULES = RuleSet("safe")


@SAFE_RULES.rule("SAFE101", 170, "The route runs from the country of exit to the country of entry")
def route_runs_exit_to_entry(c: AdvanceCargoInformation, ctx: RuleContext) -> Iterator[Issue]:
    route = c.route
    if not route:
        return
    if c.exit_office_id and route[0] != c.exit_office_id[:2]:
        yield Issue(
            "SAFE101",
            170,
            f"the first country of routing is the country of the office of exit ({c.exit_office_id[:2]})",
            f"{A}/Itinerary/RoutingCountryCode[1]",
            route[0],
        )
    if c.entry_office_id and c.entry_office_id[:2] not in route[1:]:
        yield Issue(
            "SAFE101",
            170,
            f"the countries of routing must include the country of the office of entry ({c.entry_office_id[:2]})",
            f"{A}/Itinerary",
            " ".join(route),
        )


@SAFE_RULES.rule("SAFE102", 171, "A SAFE key data element is missing: the office of entry raises an alert")
def key_elements_present(c: AdvanceCargoInformation, ctx: RuleContext) -> Iterator[Issue]:
    for pointer, what in missing_key_elements(c):
        yield Issue(
            "SAFE102",
            171,
            f"SAFE key data element missing: {what} (the office of entry raises an alert for it)",
            pointer,
            severity="warning",
        )


@SAFE_RULES.rule("SAFE103", 172, "A goods item's commodity code is an HS code")
def hs_codes(c: AdvanceCargoInformation, ctx: RuleContext) -> Iterator[Issue]:
    for pos, g in enumerate(c.goods_items, 1):
        problem = codes.hs_code_problem(g.commodity_code) if g.commodity_code else None
        if problem:
            yield Issue("SAFE103", 172, problem, f"{A}/GoodsItem[{pos}]/CommodityCode", g.commodity_code)


@SAFE_RULES.rule("SAFE104", 173, "Country codes are ISO 3166-1 alpha-2 (XK included)")
def country_codes(c: AdvanceCargoInformation, ctx: RuleContext) -> Iterator[Issue]:
    parties = (("Exporter", c.exporter), ("Consignor", c.consignor), ("Consignee", c.consignee), ("Carrier", c.carrier))
    btm = c.border_transport_means
    yield from codes.country_code_issues(
        "SAFE104",
        173,
        [
            *((f"{A}/Itinerary/RoutingCountryCode[{i}]", v) for i, v in enumerate(c.route, 1)),
            *((f"{A}/{name}/CountryCode", p.country_code if p else None) for name, p in parties),
            (
                f"{A}/BorderTransportMeans/RegistrationNationalityCode",
                btm.registration_nationality_code if btm else None,
            ),
        ],
    )


# -- a realistic record ----------------------------------------------------------------------------


def advance_cargo_of(
    rng: random.Random, crossing: BorderCrossing | None = None, complete: bool = True
) -> AdvanceCargoInformation:
    """The SAFE record of a generated consignment across ``crossing`` (the demo's by default); with
    ``complete=False`` one key element left out, as an exporter's data often is."""
    crossing = crossing or DEMO_CROSSINGS[0]
    c = ConsignmentGenerator(rng.randrange(2**31), crossing).make(rng.randint(1, 9_999_999))
    d = c.export
    exit_c, entry_c = crossing.exit_office[:2], crossing.entry_office[:2]
    now = datetime.now(UTC).replace(microsecond=0)
    btm = d.border_transport_means
    seals = [Seal(id=f"{exit_c}{rng.randrange(10**7):07d}") for _ in range(rng.randint(1, 2))]
    record = AdvanceCargoInformation(
        id=f"ACI{exit_c}{rng.randrange(10**10):010d}",
        issue_date_time=now - timedelta(minutes=rng.randint(1, 30)),
        ucr=d.ucr or make_ucr(now.year, exit_c, "0", "C1"),
        exit_office_id=crossing.exit_office,
        entry_office_id=crossing.entry_office,
        exporter=Party(name=d.exporter.name, id=d.exporter.id, country_code=exit_c) if d.exporter else None,
        consignor=_party(d.consignor()),
        consignee=_party(d.consignee()),
        carrier=Party(
            name=f"Trans {btm.id} d.o.o." if btm else "Trans d.o.o.",
            id=f"{exit_c}{rng.randrange(10**8):08d}",
            country_code=exit_c,
        ),
        border_transport_means=TransportMeans(
            id=btm.id, registration_nationality_code=btm.registration_nationality_code, mode_code=btm.mode_code
        )
        if btm
        else None,
        loading_location=f"{codes.country_name(exit_c)}, {crossing.exit_office}",
        itinerary=Itinerary(routing_country_codes=[exit_c, entry_c]),
        transport_equipment=[TransportEquipment(seals=seals)],
        total_gross_mass=Measure(value=d.gross_mass_kg(), unit_code="KGM"),
        total_package_quantity=d.total_package_quantity,
        goods_items=[
            GoodsItem(
                sequence_numeric=i.sequence_numeric,
                description=i.commodity.description if i.commodity else None,
                commodity_code=i.commodity.commodity_code() if i.commodity else None,
                gross_mass=Measure(value=i.commodity.goods_measure.gross_mass.value, unit_code="KGM")
                if i.commodity and i.commodity.goods_measure and i.commodity.goods_measure.gross_mass
                else None,
                package_quantity=i.packaging[0].quantity if i.packaging else None,
                package_type_code=i.packaging[0].type_code if i.packaging else None,
            )
            for i in d.items
        ],
        remarks="advance cargo information under the SAFE Framework of Standards",
    )
    if complete:
        return record
    gap = rng.choice(("seals", "carrier", "loading_location"))
    return record.model_copy(update={"transport_equipment": []} if gap == "seals" else {gap: None})


def _party(p: WcoParty | None) -> Party | None:
    if p is None:
        return None
    return Party(name=p.name, id=p.id, country_code=p.address.country_code if p.address else None)


def generate_advance_cargo(rng: random.Random) -> AdvanceCargoInformation:
    """A record of the demo's crossing; one in five misses one key element (a SAFE102 warning)."""
    return advance_cargo_of(rng, complete=rng.random() >= 0.2)


DOCUMENT = XmlDocument(AdvanceCargoInformation, "AdvanceCargoInformation", NS_SAFE)
ADVANCE_CARGO_INFORMATION = MessageType(
    name="AdvanceCargoInformation",
    ce_type="org.seedsim.c2c.advance-cargo-information.v1",
    schema=SCHEMA,
    element=DOCUMENT.element,
    read=DOCUMENT.read,
    write=DOCUMENT.write,
    description="WCO SAFE advance export cargo information (UCR, parties, goods and HS, seals, route, transport) "
    "sent ahead to the office of entry, which checks it for completeness.",
    rules=SAFE_RULES,
    generate=generate_advance_cargo,
)

MESSAGE_TYPES = [ADVANCE_CARGO_INFORMATION]
