"""TIR carnet data as the customs administrations along a TIR transport exchange it.

A TIR transport runs under one carnet (TIR Convention, 1975) through several countries; in each
the carnet's pair of vouchers records one *TIR operation*: started at an office of entry (or of
departure), terminated at an office of exit (or of destination), with the seals found. SEED+
nodes exchange the carnet data ahead of the truck so the next country can check the holder, the
goods and the seals before it arrives -- the same data the eTIR international system carries.

Real formats (sources in the docstrings of the rules below):

* TIR carnet number: the NCTS phase 5 type ``TIRcarnetNumber`` and rule R0990 (an10/an11,
  "following the algorithm defined by IRU"): two letters of which one is X, then a serial of 8 or
  9 digits from 25 000 000 up; the "red" carnets numbered below 25 000 000 stopped being issued
  in 2001 (UNECE TIR secretariat note). The IRU check algorithm is not public, so it is not
  verified here: only the structure is.
* TIR holder identification number: ``AAA/BBB/XX..X`` (TIR Convention Annex 9 part II model
  authorisation, recommendation of 20 October 2000; harmonised format as published in customs
  manuals): AAA the ISO 3166-1 alpha-3 code of the country of authorisation, BBB the 3-digit code
  of the national association, then up to 10 digits. The list of association codes is not
  public; generated ones are well-formed but illustrative.
* Customs office reference numbers: 2-letter country + 6 characters; HS codes: 6+ digits.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Literal

from pydantic import Field

from seedsim.core import codes
from seedsim.core.codes import alpha3_of, is_hs_code
from seedsim.core.declaration import (
    Address,
    BorderTransportMeans,
    Classification,
    Commodity,
    GoodsMeasure,
    Measure,
    Office,
    Packaging,
    Party,
    Seal,
    TransportEquipment,
)
from seedsim.core.identifiers import FIRST_CURRENT_SERIAL, is_valid_carnet_number, is_valid_holder_id, is_valid_office
from seedsim.core.message_type import MessageType
from seedsim.core.validation import Issue, RuleContext, RuleSet
from seedsim.core.xml_binding import XmlDocument, XmlModel

NS_TIR = "urn:seedsim:tir:1"
TIR_SCHEMA = "tir/seedsim_tir.xsd"

#: Vouchers in a carnet; one pair is used per country, so a carnet covers vouchers / 2 countries.
VOUCHER_QUANTITIES = (4, 6, 14, 20)


# -- model ---------------------------------------------------------------------------------------


class IssuingAssociation(XmlModel):
    """Box 2: the national association that issued the carnet (3-digit association code)."""

    id: str = Field(alias="ID")
    name: str | None = Field(None, alias="Name")
    country_code: str = Field(alias="CountryCode")


class Guarantee(XmlModel):
    chain_id: str = Field("IRU", alias="ChainID")
    issuing_association: IssuingAssociation | None = Field(None, alias="IssuingAssociation")


class ConsignmentItem(XmlModel):
    """A line of the goods manifest: description, HS code, packages, gross mass."""

    sequence_numeric: int = Field(alias="SequenceNumeric")
    commodity: Commodity = Field(alias="Commodity")
    packaging: list[Packaging] = Field(default_factory=list, alias="Packaging")

    def gross_mass(self) -> Decimal | None:
        gm = self.commodity.goods_measure
        return gm.gross_mass.value if gm and gm.gross_mass else None


class OperationStart(XmlModel):
    office_id: str = Field(alias="OfficeID")
    date_time: str = Field(alias="DateTime")
    seals: list[Seal] = Field(default_factory=list, alias="Seal")


class OperationTermination(XmlModel):
    office_id: str = Field(alias="OfficeID")
    date_time: str = Field(alias="DateTime")
    remarks: str | None = Field(None, alias="Remarks")
    seals_intact: Literal["true", "false"] = Field("true", alias="SealsIntactIndicator")
    seals: list[Seal] = Field(default_factory=list, alias="Seal")


class TIROperation(XmlModel):
    """One country's TIR operation: vouchers 1 and 2 of one pair."""

    sequence_numeric: int = Field(alias="SequenceNumeric")
    country_code: str = Field(alias="CountryCode")
    start: OperationStart | None = Field(None, alias="Start")
    termination: OperationTermination | None = Field(None, alias="Termination")


class TIRCarnet(XmlModel):
    xml_tag = "TIRCarnet"

    reference_id: str = Field(alias="ReferenceID")
    voucher_quantity: int | None = Field(None, alias="VoucherQuantity")
    validity_date: date | None = Field(None, alias="ValidityDate")
    guarantee: Guarantee | None = Field(None, alias="Guarantee")
    holder: Party = Field(alias="Holder")
    departure_office: Office = Field(alias="DepartureOffice")
    destination_office: Office = Field(alias="DestinationOffice")
    total_gross_mass: Measure | None = Field(None, alias="TotalGrossMassMeasure")
    total_package_quantity: int | None = Field(None, alias="TotalPackageQuantity")
    border_transport_means: BorderTransportMeans | None = Field(None, alias="BorderTransportMeans")
    transport_equipment: list[TransportEquipment] = Field(default_factory=list, alias="TransportEquipment")
    items: list[ConsignmentItem] = Field(default_factory=list, alias="ConsignmentItem")
    operations: list[TIROperation] = Field(default_factory=list, alias="TIROperation")


DOCUMENT = XmlDocument(TIRCarnet, "TIRCarnet", NS_TIR)
read_tir_carnet, write_tir_carnet = DOCUMENT.read, DOCUMENT.write


# -- rules ---------------------------------------------------------------------------------------

TIR_RULES = RuleSet("tir")
C = "/TIRCarnet"


def _op(pos: int) -> str:
    return f"{C}/TIROperation[{pos}]"


def _item(pos: int) -> str:
    return f"{C}/ConsignmentItem[{pos}]"


def _when(value: str) -> datetime:
    """xs:dateTime without a zone is read as UTC, so documents that mix both still compare."""
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


@TIR_RULES.rule("TIR101", 150, "The TIR carnet number has the IRU structure")
def carnet_number(t: TIRCarnet, ctx: RuleContext) -> Iterator[Issue]:
    """NCTS P5 ``TIRcarnetNumber`` / rule R0990: an10 or an11, letter pair with X, serial >= 25 000 000."""
    if not is_valid_carnet_number(t.reference_id):
        yield Issue(
            "TIR101",
            150,
            "not a TIR carnet number: two letters including an X (e.g. XA, XZ) then an 8- or 9-digit "
            "serial from 25000000 up, as printed on the carnet cover, e.g. XA72345678",
            f"{C}/ReferenceID",
            t.reference_id,
        )


@TIR_RULES.rule("TIR102", 151, "The holder identification number is AAA/BBB/n..10")
def holder_id(t: TIRCarnet, ctx: RuleContext) -> Iterator[Issue]:
    if not t.holder.id:
        yield Issue(
            "TIR102", 151, "the TIR carnet holder's identification number (box 3) is required", f"{C}/Holder/ID"
        )
    elif not is_valid_holder_id(t.holder.id):
        yield Issue(
            "TIR102",
            151,
            "not a TIR holder identification number: ISO alpha-3 country of authorisation, '/', the "
            "association's 3-digit code, '/', up to 10 digits, e.g. SRB/001/1234",
            f"{C}/Holder/ID",
            t.holder.id,
        )


def _countries(t: TIRCarnet) -> Iterator[tuple[str, str]]:
    g = t.guarantee
    if g and g.issuing_association:
        yield f"{C}/Guarantee/IssuingAssociation/CountryCode", g.issuing_association.country_code
    if t.holder.address and t.holder.address.country_code:
        yield f"{C}/Holder/Address/CountryCode", t.holder.address.country_code
    btm = t.border_transport_means
    if btm and btm.registration_nationality_code:
        yield f"{C}/BorderTransportMeans/RegistrationNationalityCode", btm.registration_nationality_code
    for pos, op in enumerate(t.operations, 1):
        yield f"{_op(pos)}/CountryCode", op.country_code


@TIR_RULES.rule("TIR103", 152, "Country codes are ISO 3166-1 alpha-2")
def country_codes(t: TIRCarnet, ctx: RuleContext) -> Iterator[Issue]:
    yield from codes.country_code_issues(
        "TIR103",
        152,
        _countries(t),
        "not an ISO 3166-1 alpha-2 country code: use the 2-letter code, e.g. TR, BG, RS, ME",
    )


def _offices(t: TIRCarnet) -> Iterator[tuple[str, str, str | None]]:
    """(pointer, office, country it must be in, if known)."""
    yield f"{C}/DepartureOffice/ID", t.departure_office.id or "", None
    yield f"{C}/DestinationOffice/ID", t.destination_office.id or "", None
    for pos, op in enumerate(t.operations, 1):
        for part, event in (("Start", op.start), ("Termination", op.termination)):
            if event is not None:
                yield f"{_op(pos)}/{part}/OfficeID", event.office_id, op.country_code


@TIR_RULES.rule("TIR104", 153, "Offices are customs office reference numbers of the operation's country")
def office_codes(t: TIRCarnet, ctx: RuleContext) -> Iterator[Issue]:
    for pointer, office, country in _offices(t):
        if not is_valid_office(office):
            yield Issue(
                "TIR104",
                153,
                "not a customs office reference number: 2-letter country + 6 characters, e.g. RS015070",
                pointer,
                office,
            )
        elif country and office[:2] != country:
            yield Issue(
                "TIR104",
                153,
                f"the office is not in the operation's country {country}: a TIR operation is started and "
                "terminated by offices of the country whose vouchers it uses",
                pointer,
                office,
            )


@TIR_RULES.rule("TIR105", 154, "Commodity codes have the HS structure")
def hs_codes(t: TIRCarnet, ctx: RuleContext) -> Iterator[Issue]:
    for pos, item in enumerate(t.items, 1):
        for cpos, c in enumerate(item.commodity.classifications, 1):
            if c.id and c.identification_type_code in codes.COMMODITY_CODE_TYPES and not is_hs_code(c.id):
                yield Issue(
                    "TIR105",
                    154,
                    "not an HS-based commodity code: at least 6 digits, chapter 01 to 97 (77 is reserved)",
                    f"{_item(pos)}/Commodity/Classification[{cpos}]/ID",
                    c.id,
                )


@TIR_RULES.rule("TIR106", 155, "Gross mass is not less than net mass")
def gross_not_below_net(t: TIRCarnet, ctx: RuleContext) -> Iterator[Issue]:
    for pos, item in enumerate(t.items, 1):
        gm = item.commodity.goods_measure
        if gm and gm.gross_mass and gm.net_mass and gm.gross_mass.value < gm.net_mass.value:
            yield Issue(
                "TIR106",
                155,
                f"gross mass is below the net mass ({gm.net_mass.value} kg): gross mass includes packaging",
                f"{_item(pos)}/Commodity/GoodsMeasure/GrossMassMeasure",
                str(gm.gross_mass.value),
            )


@TIR_RULES.rule("TIR107", 156, "Manifest totals equal the sum of the goods items")
def totals(t: TIRCarnet, ctx: RuleContext) -> Iterator[Issue]:
    masses = [i.gross_mass() for i in t.items]
    if t.total_gross_mass is not None and masses and None not in masses:
        total = sum(masses, Decimal(0))
        if abs(total - t.total_gross_mass.value) > Decimal("0.001"):
            yield Issue(
                "TIR107",
                156,
                f"TotalGrossMassMeasure differs from the sum of the items' gross masses ({total} kg)",
                f"{C}/TotalGrossMassMeasure",
                str(t.total_gross_mass.value),
            )
    quantities = [p.quantity for i in t.items for p in i.packaging]
    if t.total_package_quantity is not None and quantities and None not in quantities:
        total_q = sum(quantities)
        if total_q != t.total_package_quantity:
            yield Issue(
                "TIR107",
                156,
                f"TotalPackageQuantity differs from the sum of the items' packages ({total_q})",
                f"{C}/TotalPackageQuantity",
                str(t.total_package_quantity),
            )


@TIR_RULES.rule("TIR108", 157, "The carnet was accepted at departure within its validity")
def within_validity(t: TIRCarnet, ctx: RuleContext) -> Iterator[Issue]:
    """Box 1: after the validity date the carnet may not be presented at the office of departure;
    once accepted it stays valid to the end of the transport, so only the first start counts."""
    first = t.operations[0].start if t.operations else None
    if t.validity_date and first and _when(first.date_time).date() > t.validity_date:
        yield Issue(
            "TIR108",
            157,
            f"the first TIR operation started after the carnet's validity date {t.validity_date}: "
            "an expired carnet cannot be accepted at departure",
            f"{_op(1)}/Start/DateTime",
            first.date_time,
        )


@TIR_RULES.rule("TIR109", 158, "Each TIR operation terminates after it started")
def terminated_after_start(t: TIRCarnet, ctx: RuleContext) -> Iterator[Issue]:
    for pos, op in enumerate(t.operations, 1):
        if op.start and op.termination and _when(op.termination.date_time) < _when(op.start.date_time):
            yield Issue(
                "TIR109",
                158,
                f"the termination is dated before the start ({op.start.date_time}): correct either date",
                f"{_op(pos)}/Termination/DateTime",
                op.termination.date_time,
            )


@TIR_RULES.rule("TIR110", 159, "Operations are numbered in route order and start at the office of departure")
def route_references(t: TIRCarnet, ctx: RuleContext) -> Iterator[Issue]:
    for pos, op in enumerate(t.operations, 1):
        if op.sequence_numeric != pos:
            yield Issue(
                "TIR110",
                159,
                f"TIR operations are listed in route order, numbered from 1: expected {pos}",
                f"{_op(pos)}/SequenceNumeric",
                str(op.sequence_numeric),
            )
    seen: dict[str, int] = {}
    for pos, op in enumerate(t.operations, 1):
        if op.country_code in seen:
            yield Issue(
                "TIR110",
                159,
                f"a country has one TIR operation per transport; {op.country_code} is already "
                f"operation {seen[op.country_code]}",
                f"{_op(pos)}/CountryCode",
                op.country_code,
            )
        seen.setdefault(op.country_code, pos)
    first = t.operations[0].start if t.operations else None
    # a malformed office is TIR104's to report; comparing with it would only repeat that
    if first and is_valid_office(t.departure_office.id or "") and first.office_id != t.departure_office.id:
        yield Issue(
            "TIR110",
            159,
            f"the first TIR operation starts at the office of departure {t.departure_office.id}",
            f"{_op(1)}/Start/OfficeID",
            first.office_id,
        )
    last = t.operations[-1] if t.operations else None
    dest = t.destination_office.id
    if (
        last
        and last.termination
        and is_valid_office(dest or "")
        and last.country_code == dest[:2]
        and last.termination.office_id != dest
    ):
        yield Issue(
            "TIR110",
            159,
            f"the TIR transport ends at the office of destination {dest}",
            f"{_op(len(t.operations))}/Termination/OfficeID",
            last.termination.office_id,
        )


@TIR_RULES.rule("TIR201", 210, "A TIR operation is started before it is terminated")
def terminated_without_start(t: TIRCarnet, ctx: RuleContext) -> Iterator[Issue]:
    for pos, op in enumerate(t.operations, 1):
        if op.termination and not op.start:
            yield Issue(
                "TIR201",
                210,
                "the operation is terminated but was never started: record the start (office, date) "
                "from voucher 1 before the termination",
                f"{_op(pos)}/Termination",
                op.termination.office_id,
            )


def _seal_ids(seals: list[Seal]) -> list[str]:
    return sorted(s.id for s in seals if s.id)


@TIR_RULES.rule("TIR202", 211, "Seals found at termination are the seals recorded at the start")
def seals_unchanged(t: TIRCarnet, ctx: RuleContext) -> Iterator[Issue]:
    for pos, op in enumerate(t.operations, 1):
        term = op.termination
        if not (term and op.start):
            continue
        if term.seals_intact == "true" and _seal_ids(term.seals) != _seal_ids(op.start.seals):
            yield Issue(
                "TIR202",
                211,
                f"seals intact but not those recorded at the start ({', '.join(_seal_ids(op.start.seals)) or 'none'}): "
                "list the same seals, or set SealsIntactIndicator to false and explain in Remarks",
                f"{_op(pos)}/Termination/Seal",
                ", ".join(_seal_ids(term.seals)) or None,
            )
        if term.seals_intact == "false" and not term.remarks:
            yield Issue(
                "TIR202",
                211,
                "seals were found broken or changed: say what was found in Remarks (certified report)",
                f"{_op(pos)}/Termination/Remarks",
            )


@TIR_RULES.rule("TIR203", 212, "The next country's operation starts after the previous one terminated")
def route_order(t: TIRCarnet, ctx: RuleContext) -> Iterator[Issue]:
    for pos in range(2, len(t.operations) + 1):
        prev, op = t.operations[pos - 2], t.operations[pos - 1]
        if not op.start:
            continue
        if not prev.termination:
            yield Issue(
                "TIR203",
                212,
                f"operation {pos - 1} ({prev.country_code}) has not been terminated: the goods cannot "
                "start a TIR operation in the next country before leaving the previous one",
                f"{_op(pos)}/Start",
                op.start.office_id,
            )
        elif _when(op.start.date_time) < _when(prev.termination.date_time):
            yield Issue(
                "TIR203",
                212,
                f"starts before operation {pos - 1} terminated ({prev.termination.date_time}): operations "
                "follow the route order",
                f"{_op(pos)}/Start/DateTime",
                op.start.date_time,
            )


@TIR_RULES.rule("TIR204", 213, "The carnet has a pair of vouchers for each operation")
def enough_vouchers(t: TIRCarnet, ctx: RuleContext) -> Iterator[Issue]:
    if t.voucher_quantity in VOUCHER_QUANTITIES and len(t.operations) > t.voucher_quantity // 2:
        yield Issue(
            "TIR204",
            213,
            f"a {t.voucher_quantity}-voucher carnet covers {t.voucher_quantity // 2} countries, "
            f"not {len(t.operations)}: the transport needs a carnet with more vouchers",
            f"{C}/VoucherQuantity",
            str(t.voucher_quantity),
        )


# -- generator -----------------------------------------------------------------------------------

#: Road routes of TIR transports into and through the SEED region (country sequence).
ROUTES = (
    ("TR", "BG", "RS", "ME"),
    ("TR", "BG", "RS", "BA"),
    ("TR", "BG", "MK", "AL"),
    ("GR", "MK", "RS"),
    ("TR", "BG", "RS", "HU"),
    ("TR", "GR", "MK", "XK"),
    ("TR", "BG", "MK"),
)
GOODS = (
    ("Ceramic floor tiles", "690721", "PX"),
    ("Cotton T-shirts", "610910", "CT"),
    ("Dried apricots", "081310", "CT"),
    ("Hazelnuts, shelled", "080222", "BG"),
    ("Float glass sheets", "700529", "PX"),
    ("Polyethylene granules", "390110", "BG"),
    ("Parts for tractors", "870899", "BX"),
    ("Steel wire", "721710", "CO"),
    ("Washing machines", "845011", "PK"),
)
CITIES = {
    "TR": ("Istanbul", "Bursa", "Izmir"),
    "GR": ("Thessaloniki",),
    "BG": ("Plovdiv",),
    "RS": ("Beograd", "Nis"),
    "MK": ("Skopje",),
    "AL": ("Tirana",),
    "BA": ("Sarajevo",),
    "ME": ("Podgorica",),
    "HU": ("Budapest",),
    "XK": ("Prishtina",),
}


def _office(rng: random.Random, country: str) -> str:
    return f"{country}{rng.randrange(10**6):06d}"


def generate_tir_carnet(rng: random.Random) -> TIRCarnet:
    """A carnet part-way or all the way along a real road route, operations consistent with every rule."""
    route = rng.choice(ROUTES)
    origin = route[0]
    vouchers = min(q for q in VOUCHER_QUANTITIES if q // 2 >= len(route)) if rng.random() < 0.5 else 20
    association = f"{rng.randint(1, 120):03d}"
    departure, destination = _office(rng, origin), _office(rng, route[-1])
    seal_count = rng.randint(1, 3)
    seals = [Seal(sequence_numeric=i, id=f"{origin}{rng.randrange(10**7):07d}") for i in range(1, seal_count + 1)]
    items = []
    for pos in range(1, rng.randint(1, 4) + 1):
        description, hs, package = rng.choice(GOODS)
        net = Decimal(rng.randint(200, 9000))
        gross = net + Decimal(rng.randint(5, 400)) + Decimal(rng.randint(0, 999)) / 1000
        items.append(
            ConsignmentItem(
                sequence_numeric=pos,
                commodity=Commodity(
                    description=description,
                    classifications=[Classification(id=hs, identification_type_code="HS")],
                    goods_measure=GoodsMeasure(
                        gross_mass=Measure(value=gross, unit_code="KGM"),
                        net_mass=Measure(value=net, unit_code="KGM") if rng.random() < 0.7 else None,
                    ),
                ),
                packaging=[
                    Packaging(
                        sequence_numeric=1,
                        quantity=rng.randint(1, 40),
                        type_code=package,
                        marks_numbers_id=f"LOT {rng.randint(100, 999)}" if rng.random() < 0.5 else None,
                    )
                ],
            )
        )
    when = datetime(2026, 1, 1, 6, tzinfo=UTC) + timedelta(days=rng.randint(0, 320), minutes=rng.randint(0, 600))
    validity = when.date() + timedelta(days=rng.randint(0, 90))
    operations = []
    done = rng.randint(1, len(route))
    for pos, country in enumerate(route[:done], 1):
        start_office = departure if pos == 1 else _office(rng, country)
        start = OperationStart(office_id=start_office, date_time=when.isoformat().replace("+00:00", "Z"), seals=seals)
        when += timedelta(hours=rng.randint(2, 30), minutes=rng.randint(0, 59))
        termination = None
        if pos < done or rng.random() < 0.6:
            end_office = destination if pos == len(route) else _office(rng, country)
            termination = OperationTermination(
                office_id=end_office,
                date_time=when.isoformat().replace("+00:00", "Z"),
                seals=seals,
                remarks="No reservations" if rng.random() < 0.3 else None,
            )
            when += timedelta(minutes=rng.randint(20, 300))
        operations.append(
            TIROperation(sequence_numeric=pos, country_code=country, start=start, termination=termination)
        )
    return TIRCarnet(
        reference_id=f"{rng.choice(['X' + rng.choice('ABCDEFGHJKLMNPRSTUVWYZ'), rng.choice('ABCDEFGHJKLMNPRSTUVWYZ') + 'X'])}"
        f"{rng.randint(FIRST_CURRENT_SERIAL, 999_999_999)}",
        voucher_quantity=vouchers,
        validity_date=validity,
        guarantee=Guarantee(
            issuing_association=IssuingAssociation(
                id=association, name=f"{codes.country_name(origin)} road hauliers' association", country_code=origin
            )
        ),
        holder=Party(
            name=rng.choice(
                ("Anadolu Lojistik A.S.", "Balkan Trans d.o.o.", "Egnatia Freight S.A.", "Via Danubia Transport")
            ),
            id=f"{alpha3_of(origin)}/{association}/{rng.randint(1, 99999)}",
            address=Address(
                city_name=rng.choice(CITIES[origin]),
                country_code=origin,
                line=f"Industrial zone {rng.randint(1, 90)}",
                postcode_id=f"{rng.randint(10000, 99999)}",
            ),
        ),
        departure_office=Office(id=departure),
        destination_office=Office(id=destination),
        total_gross_mass=Measure(value=sum((i.gross_mass() for i in items), Decimal(0)), unit_code="KGM"),
        total_package_quantity=sum(p.quantity for i in items for p in i.packaging),
        border_transport_means=BorderTransportMeans(
            id=f"{rng.randint(10, 81)} {rng.choice('ABCDEFGHKLMNPRST')}{rng.choice('ABCDEFGHKLMNPRST')} "
            f"{rng.randint(100, 9999)}",
            identification_type_code="30",
            registration_nationality_code=origin,
            mode_code="3",
        ),
        transport_equipment=[
            TransportEquipment(
                sequence_numeric=1,
                id=f"{origin} {rng.randint(1000, 9999)} TRL" if rng.random() < 0.5 else None,
                seals=seals,
            )
        ],
        items=items,
        operations=operations,
    )


TIR_CARNET = MessageType(
    name="TIRCarnet",
    ce_type="org.seedsim.c2c.tir-carnet.v1",
    schema=TIR_SCHEMA,
    element=DOCUMENT.element,
    read=read_tir_carnet,
    write=write_tir_carnet,
    description="TIR carnet data (holder, guarantee, offices, vehicle and seals, goods, TIR operations per country) "
    "sent ahead to the next country of a TIR transport.",
    rules=TIR_RULES,
    generate=generate_tir_carnet,
)

MESSAGE_TYPES = [TIR_CARNET]
