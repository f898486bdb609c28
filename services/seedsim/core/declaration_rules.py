"""Business rules for WCO DM declarations, each with an id and a class.

``DECLARATION_RULES`` apply to any declaration a node accepts (from a trader
or a neighbour); ``EXCHANGE_RULES`` add what the SEED data set requires of a
declaration that travels between administrations; ``LODGING_RULES`` add what
a node's lodging desk requires of a declaration lodged with it: that it is the
node's own to register (its offices are in the node's country), since the MRN
the node issues names that country.

A few checks are errors in data exchanged between administrations but only
warnings in a declaration lodged nationally, whose national code lists may be
wider (:data:`WARNING_WHEN_LODGED`): their severity is read from that table, so
the README's table of where each rule is an error and where a warning is made
from the same source.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from seedsim.core import codes
from seedsim.core.declaration import BorderTransportMeans, Declaration, TransportMeans
from seedsim.core.identifiers import is_valid_mrn, is_valid_office
from seedsim.core.validation import Issue, RuleContext, RuleSet

D = "/MetaData/Declaration"
GS = f"{D}/GoodsShipment"

DECLARATION_RULES = RuleSet("declaration")
EXCHANGE_RULES = RuleSet("exchange", base=DECLARATION_RULES)
LODGING_RULES = RuleSet("lodging", base=DECLARATION_RULES)

#: rule id -> what of it is only a warning in a nationally lodged declaration (no sending administration),
#: None for the whole rule: a national code list may extend ISO 3166, and WCO's list of identification types
WARNING_WHEN_LODGED: dict[str, str | None] = {
    "R101": None,
    "R106": "the identification type (the mode of transport stays an error)",
}


def lenient_when_lodged(rule_id: str, ctx: RuleContext) -> str:
    """The severity of rule ``rule_id``'s lenient part: an error in exchanged data, a warning when lodged."""
    if rule_id not in WARNING_WHEN_LODGED:
        raise KeyError(f"{rule_id} is not in WARNING_WHEN_LODGED: add it there, with what is lenient")
    return "error" if ctx.sender else "warning"


def _item_path(pos: int) -> str:
    return f"{GS}/GovernmentAgencyGoodsItem[{pos}]"


def _country_fields(d: Declaration) -> Iterator[tuple[str, str]]:
    btm = d.border_transport_means
    if btm and btm.registration_nationality_code:
        yield f"{D}/BorderTransportMeans/RegistrationNationalityCode", btm.registration_nationality_code
    for where, party in (("Exporter", d.exporter), ("Declarant", d.declarant)):
        if party and party.address and party.address.country_code:
            yield f"{D}/{where}/Address/CountryCode", party.address.country_code
    gs = d.goods_shipment
    if not gs:
        return
    for where, party in (("Consignee", gs.consignee), ("Consignor", gs.consignor), ("Importer", gs.importer)):
        if party and party.address and party.address.country_code:
            yield f"{GS}/{where}/Address/CountryCode", party.address.country_code
    if gs.destination and gs.destination.country_code:
        yield f"{GS}/Destination/CountryCode", gs.destination.country_code
    if gs.export_country and gs.export_country.id:
        yield f"{GS}/ExportCountry/ID", gs.export_country.id
    for pos, item in enumerate(gs.goods_items, 1):
        for opos, origin in enumerate(item.origins, 1):
            # Origin/CountryCode may also carry a 4-character EU/union code; only 2-letter ones are ISO 3166
            if origin.country_code and len(origin.country_code) == 2:
                yield f"{_item_path(pos)}/Origin[{opos}]/CountryCode", origin.country_code


@DECLARATION_RULES.rule("R101", 110, "Country codes are ISO 3166-1 alpha-2")
def country_codes(d: Declaration, ctx: RuleContext) -> Iterator[Issue]:
    """An error in data exchanged between administrations; a warning in a nationally lodged
    declaration, whose national code list may extend ISO 3166 (as the EU's does)."""
    yield from codes.country_code_issues(
        "R101",
        110,
        _country_fields(d),
        "not an ISO 3166-1 alpha-2 country code: use the 2-letter code, e.g. RS, ME, DE",
        extra=ctx.national_codes.get(codes.COUNTRY_LIST, ()),
        severity=lenient_when_lodged("R101", ctx),
    )


def _amounts(d: Declaration) -> Iterator[tuple[str, str | None]]:
    if d.invoice_amount:
        yield f"{D}/InvoiceAmount/@currencyID", d.invoice_amount.currency_id
    for pos, item in enumerate(d.items, 1):
        if item.statistical_value:
            yield f"{_item_path(pos)}/StatisticalValueAmount/@currencyID", item.statistical_value.currency_id


@DECLARATION_RULES.rule("R102", 111, "Currencies are ISO 4217")
def currencies(d: Declaration, ctx: RuleContext) -> Iterator[Issue]:
    for pointer, value in _amounts(d):
        if value is not None and not codes.accepts(codes.CURRENCY_LIST, value, ctx.national_codes):
            yield Issue("R102", 111, "not an ISO 4217 currency code: use e.g. EUR, RSD, USD", pointer, value)


@DECLARATION_RULES.rule("R103", 112, "Commodity codes start with a valid HS chapter")
def hs_chapters(d: Declaration, ctx: RuleContext) -> Iterator[Issue]:
    for pos, item in enumerate(d.items, 1):
        code = item.commodity.commodity_code() if item.commodity else None
        if code is None:
            continue
        if not codes.is_hs_code(code):
            yield Issue(
                "R103",
                112,
                "not an HS-based commodity code: it needs at least 6 digits and a chapter from 01 to 97 (77 is reserved)",
                f"{_item_path(pos)}/Commodity/Classification[1]/ID",
                code,
            )


@DECLARATION_RULES.rule("R104", 113, "Gross mass is not less than net mass")
def gross_not_below_net(d: Declaration, ctx: RuleContext) -> Iterator[Issue]:
    for pos, item in enumerate(d.items, 1):
        gm = item.commodity.goods_measure if item.commodity else None
        if gm and gm.gross_mass and gm.net_mass and gm.gross_mass.value < gm.net_mass.value:
            yield Issue(
                "R104",
                113,
                f"gross mass is below the net mass ({gm.net_mass.value} kg): gross mass includes packaging",
                f"{_item_path(pos)}/Commodity/GoodsMeasure/GrossMassMeasure",
                str(gm.gross_mass.value),
            )


@DECLARATION_RULES.rule("R105", 114, "Totals equal the sum of the goods items")
def totals(d: Declaration, ctx: RuleContext) -> Iterator[Issue]:
    if d.goods_item_quantity is not None and d.goods_shipment and d.goods_item_quantity != len(d.items):
        yield Issue(
            "R105",
            114,
            f"GoodsItemQuantity says {d.goods_item_quantity} but the declaration has {len(d.items)} goods items",
            f"{D}/GoodsItemQuantity",
            str(d.goods_item_quantity),
        )
    if d.total_gross_mass is None:
        return
    masses = [
        i.commodity.goods_measure.gross_mass.value
        for i in d.items
        if i.commodity and i.commodity.goods_measure and i.commodity.goods_measure.gross_mass
    ]
    if masses and len(masses) == len(d.items):
        total = sum(masses, Decimal(0))
        if abs(total - d.total_gross_mass.value) > Decimal("0.001"):
            yield Issue(
                "R105",
                114,
                f"TotalGrossMassMeasure differs from the sum of the items' gross masses ({total} kg)",
                f"{D}/TotalGrossMassMeasure",
                str(d.total_gross_mass.value),
            )


@DECLARATION_RULES.rule("R106", 115, "Transport codes are UN/ECE Rec. 19 modes and WCO means-of-transport id types")
def transport_codes(d: Declaration, ctx: RuleContext) -> Iterator[Issue]:
    means: list[tuple[str, BorderTransportMeans | TransportMeans | None]] = [
        (f"{D}/BorderTransportMeans", d.border_transport_means)
    ]
    cons = d.goods_shipment.consignment if d.goods_shipment else None
    if cons:
        means += [
            (f"{GS}/Consignment/ArrivalTransportMeans", cons.arrival_transport_means),
            (f"{GS}/Consignment/DepartureTransportMeans", cons.departure_transport_means),
        ]
    for where, m in means:
        if m is None:
            continue
        if m.mode_code is not None and not codes.accepts(codes.TRANSPORT_MODE_LIST, m.mode_code, ctx.national_codes):
            yield Issue(
                "R106",
                115,
                codes.TRANSPORT_MODE_MESSAGE,
                f"{where}/ModeCode",
                m.mode_code,
            )
        if m.identification_type_code is not None and not codes.accepts(
            codes.TRANSPORT_MEANS_ID_LIST, m.identification_type_code, ctx.national_codes
        ):
            yield Issue(
                "R106",
                115,
                "not a means-of-transport identification type (e.g. 30 road vehicle registration, 10 IMO number)",
                f"{where}/IdentificationTypeCode",
                m.identification_type_code,
                severity=lenient_when_lodged("R106", ctx),
            )


@EXCHANGE_RULES.rule("R110", 120, "The MRN has the EU structure and a correct check character")
def mrn_structure(d: Declaration, ctx: RuleContext) -> Iterator[Issue]:
    if not d.mrn:
        yield Issue(
            "R110", 120, "an exchanged declaration must carry the MRN the sending administration issued", f"{D}/ID"
        )
    elif not is_valid_mrn(d.mrn):
        yield Issue(
            "R110",
            120,
            "not a valid MRN: 18 characters (YY, country, 12 alphanumerics, procedure letter) and an ISO 6346 check character",
            f"{D}/ID",
            d.mrn,
        )


@EXCHANGE_RULES.rule("R111", 121, "Offices are customs office reference numbers")
def office_codes(d: Declaration, ctx: RuleContext) -> Iterator[Issue]:
    if not d.exit_office or not d.exit_office.id:
        yield Issue("R111", 121, "the office of exit is required in exit data: add ExitOffice/ID", f"{D}/ExitOffice")
        return
    code = d.exit_office.id
    if not is_valid_office(code):
        yield Issue(
            "R111",
            121,
            "not a customs office reference number (2-letter country + 6 characters)",
            f"{D}/ExitOffice/ID",
            code,
        )
    elif ctx.sender and code[:2] != ctx.sender:
        yield Issue(
            "R111", 121, f"the office of exit is not in the sending country {ctx.sender}", f"{D}/ExitOffice/ID", code
        )


@EXCHANGE_RULES.rule("R112", 122, "The SEED minimum data set is present")
def seed_minimum_data_set(d: Declaration, ctx: RuleContext) -> Iterator[Issue]:
    required = {
        f"{GS}/UCR/ID": d.ucr,
        f"{D}/TotalGrossMassMeasure": d.total_gross_mass,
        f"{D}/InvoiceAmount": d.invoice_amount,
        f"{D}/BorderTransportMeans/ID": d.vehicle(),
        f"{GS}/Consignor": d.consignor(),
        f"{GS}/Consignee": d.consignee(),
    }
    for pointer, value in required.items():
        if value is None:
            yield Issue("R112", 122, "required by the SEED exit data set: add it", pointer)
    for pos, item in enumerate(d.items, 1):
        if not item.commodity or not item.commodity.commodity_code():
            yield Issue(
                "R112", 122, "each goods item needs an HS commodity code", f"{_item_path(pos)}/Commodity/Classification"
            )


@LODGING_RULES.rule("R113", 125, "A lodged declaration is the node's own: its offices are in the node's country")
def offices_of_the_node(d: Declaration, ctx: RuleContext) -> Iterator[Issue]:
    """A node issues MRNs that name its own country: it registers declarations lodged at its own offices
    (office of declaration, office of exit) and keeps an MRN given with one only if this country issued it."""
    country = ctx.node_country
    if not country:
        return
    offices = [(f"{D}/DeclarationOfficeID", "office of declaration", d.declaration_office_id)]
    if d.exit_office and d.exit_office.id:
        offices.append((f"{D}/ExitOffice/ID", "office of exit", d.exit_office.id))
    for pointer, what, code in offices:
        if code is None:
            continue
        if not is_valid_office(code):
            yield Issue(
                "R113",
                125,
                f"the {what} is not a customs office reference number: {country} and 6 characters, e.g. {country}015070",
                pointer,
                code,
            )
        elif code[:2] != country:
            yield Issue(
                "R113",
                125,
                f"the {what} {code} is in {code[:2]}, not in {country}: node {country} registers declarations "
                f"lodged at {country} offices; lodge this one with the customs of {code[:2]}",
                pointer,
                code,
            )
    if d.mrn and (not is_valid_mrn(d.mrn) or d.mrn[2:4] != country):
        yield Issue(
            "R113",
            125,
            f"an MRN given with a lodged declaration must be one {country} issued (YY{country}..., with its check "
            f"character): leave ID out and node {country} issues one",
            f"{D}/ID",
            d.mrn,
        )
