"""SEED+ fiscal data: cash (money) declarations and VAT-refund export proofs.

Both are documents SEED+ adds to the core exchange so that a neighbour's customs and tax
administrations see what crossed the border:

* :data:`CASH_DECLARATION` -- accompanied cash of EUR 10 000 or more declared by its carrier.
  The data set is that of Regulation (EU) 2018/1672, Article 3(2) (carrier, owner, intended
  recipient, nature and amount of the cash, economic provenance, intended use, route, means of
  transport), with the identity-document and transport details the declaration form of
  Implementing Regulation (EU) 2021/776 adds. "Cash" is Article 2(1)(a): currency,
  bearer-negotiable instruments, commodities used as highly-liquid stores of value (gold),
  prepaid cards. The tick-box lists of provenance and intended use on the 2021/776 form are not
  reproduced word for word here; the codes below cover the same choices. The national
  declaration reference number has no published format: any token of up to 35 characters.
* :data:`VAT_REFUND_EXPORT_PROOF` -- the exit confirmation the exporting country's tax
  administration needs before it refunds VAT: the export declaration's MRN, the office and
  actual date of exit, the goods items confirmed, the invoices, and for retail (tourist)
  export the traveller and the tax-free form. Tax-free form numbers are issued by national
  schemes or refund operators without a common public format: any token is accepted.

Both share the parties, addresses, amounts and code checks of :mod:`.ata` and
:mod:`seedsim.core.declaration`.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from pydantic import Field

from seedsim.core import codes
from seedsim.core.declaration import Address, Amount, Measure, Party
from seedsim.core.identifiers import MRN_PATTERN, is_valid_mrn, is_valid_office, make_mrn, random_mrn_serial
from seedsim.core.message_type import MessageType
from seedsim.core.validation import Issue, RuleContext, RuleSet
from seedsim.core.xml_binding import XmlDocument, XmlModel
from seedsim.messages.ata import COUNTRY_MESSAGE, currency_issues, hs_code_problem, office
from seedsim.samples.money import EUR_RATES, HOME_CURRENCY

NS_FISCAL = "urn:seedsim:fiscal:1"

#: Regulation (EU) 2018/1672, Article 3(1): cash of a value of EUR 10 000 or more must be declared
THRESHOLD_EUR = Decimal(10_000)


# == cash declaration ===========================================================================


class IdentityDocument(XmlModel):
    type_code: str = Field(alias="TypeCode")  # PASSPORT, ID_CARD, OTHER
    id: str = Field(alias="ID")
    issuing_country_code: str = Field(alias="IssuingCountryCode")
    issue_date: date | None = Field(None, alias="IssueDate")


class CashParty(XmlModel):
    """Carrier, owner or intended recipient: a natural person, or (owner, recipient) a legal one."""

    type_code: str = Field(alias="TypeCode")  # NATURAL, LEGAL
    name: str = Field(alias="Name")
    birth_date: date | None = Field(None, alias="BirthDate")
    birth_place: str | None = Field(None, alias="BirthPlace")
    nationality_code: str | None = Field(None, alias="NationalityCode")
    identity_document: IdentityDocument | None = Field(None, alias="IdentityDocument")
    registration_id: str | None = Field(None, alias="RegistrationID")
    vat_id: str | None = Field(None, alias="VATID")
    address: Address | None = Field(None, alias="Address")


class CashItem(XmlModel):
    sequence_numeric: int = Field(alias="SequenceNumeric")
    type_code: str = Field(alias="TypeCode")  # CURRENCY, BEARER_NEGOTIABLE_INSTRUMENT, COMMODITY, PREPAID_CARD
    description: str | None = Field(None, alias="Description")
    quantity: int | None = Field(None, alias="Quantity")
    weight: Measure | None = Field(None, alias="WeightMeasure")
    amount: Amount = Field(alias="Amount")
    eur_amount: Amount | None = Field(None, alias="EURAmount")

    def value_eur(self) -> Decimal | None:
        if self.eur_amount is not None:
            return self.eur_amount.value
        return self.amount.value if self.amount.currency_id == "EUR" else None


class Transport(XmlModel):
    mode_code: str = Field(alias="ModeCode")
    means_id: str | None = Field(None, alias="MeansID")
    company_name: str | None = Field(None, alias="TransportCompanyName")
    departure_country_code: str = Field(alias="DepartureCountryCode")
    departure_date: date = Field(alias="DepartureDate")
    transit_country_codes: list[str] = Field(default_factory=list, alias="TransitCountryCode")
    destination_country_code: str = Field(alias="DestinationCountryCode")
    arrival_date: date | None = Field(None, alias="ArrivalDate")


class CashDeclaration(XmlModel):
    xml_tag = "CashDeclaration"

    reference_id: str = Field(alias="ReferenceID")
    declaration_date: date = Field(alias="DeclarationDate")
    direction_code: str = Field(alias="DirectionCode")  # ENTRY, EXIT
    customs_office_id: str = Field(alias="CustomsOfficeID")
    carrier: CashParty = Field(alias="Carrier")
    owner: CashParty | None = Field(None, alias="Owner")
    intended_recipient: CashParty | None = Field(None, alias="IntendedRecipient")
    cash_items: list[CashItem] = Field(default_factory=list, alias="CashItem")
    total_eur: Amount = Field(alias="TotalEURAmount")
    provenance_codes: list[str] = Field(default_factory=list, alias="EconomicProvenanceCode")
    provenance_description: str | None = Field(None, alias="EconomicProvenanceDescription")
    intended_use_codes: list[str] = Field(default_factory=list, alias="IntendedUseCode")
    intended_use_description: str | None = Field(None, alias="IntendedUseDescription")
    transport: Transport = Field(alias="Transport")

    def parties(self) -> Iterator[tuple[str, CashParty]]:
        for where, p in (
            ("Carrier", self.carrier),
            ("Owner", self.owner),
            ("IntendedRecipient", self.intended_recipient),
        ):
            if p is not None:
                yield f"{CD}/{where}", p


CD = "/CashDeclaration"
CASH_RULES = RuleSet("cash")


def _item(pos: int) -> str:
    return f"{CD}/CashItem[{pos}]"


@CASH_RULES.rule("CSH101", 101, "Currencies are ISO 4217; euro values are in EUR")
def cash_currencies(d: CashDeclaration, ctx: RuleContext) -> Iterator[Issue]:
    yield from currency_issues(
        "CSH101", 101, ((f"{_item(p)}/Amount/@currencyID", i.amount.currency_id) for p, i in enumerate(d.cash_items, 1))
    )
    euro = [
        (f"{_item(p)}/EURAmount/@currencyID", i.eur_amount.currency_id)
        for p, i in enumerate(d.cash_items, 1)
        if i.eur_amount
    ]
    for pointer, value in [*euro, (f"{CD}/TotalEURAmount/@currencyID", d.total_eur.currency_id)]:
        if value != "EUR":
            yield Issue("CSH101", 101, "this is the value in euro: its currencyID must be EUR", pointer, value)


@CASH_RULES.rule("CSH102", 102, "Amounts are positive")
def cash_positive(d: CashDeclaration, ctx: RuleContext) -> Iterator[Issue]:
    for pos, i in enumerate(d.cash_items, 1):
        for name, amount in (("Amount", i.amount), ("EURAmount", i.eur_amount)):
            if amount is not None and amount.value <= 0:
                yield Issue(
                    "CSH102",
                    102,
                    "declare the amount actually carried: it must be greater than zero",
                    f"{_item(pos)}/{name}",
                    str(amount.value),
                )


@CASH_RULES.rule("CSH103", 103, "The total in euro is the sum of the items' euro values")
def cash_total(d: CashDeclaration, ctx: RuleContext) -> Iterator[Issue]:
    values = []
    for pos, i in enumerate(d.cash_items, 1):
        v = i.value_eur()
        if v is None:
            yield Issue(
                "CSH103",
                103,
                f"the item is in {i.amount.currency_id}: give its value in euro in EURAmount",
                f"{_item(pos)}/EURAmount",
            )
        values.append(v)
    if None in values:
        return
    total = sum(values, Decimal(0))
    if abs(total - d.total_eur.value) > Decimal("0.01"):
        yield Issue(
            "CSH103",
            103,
            f"TotalEURAmount must equal the sum of the items' euro values ({total})",
            f"{CD}/TotalEURAmount",
            str(d.total_eur.value),
        )


@CASH_RULES.rule("CSH104", 104, "A declaration is mandatory from EUR 10 000")
def cash_threshold(d: CashDeclaration, ctx: RuleContext) -> Iterator[Issue]:
    if d.total_eur.value < THRESHOLD_EUR:
        yield Issue(
            "CSH104",
            104,
            "below the EUR 10 000 threshold of Regulation (EU) 2018/1672: the declaration is voluntary; "
            "check the amounts if this was not intended",
            f"{CD}/TotalEURAmount",
            str(d.total_eur.value),
            severity="warning",
        )


@CASH_RULES.rule("CSH105", 105, "The carrier is identified by an identity document")
def carrier_identity(d: CashDeclaration, ctx: RuleContext) -> Iterator[Issue]:
    if d.carrier.type_code != "NATURAL":
        yield Issue(
            "CSH105",
            105,
            "the carrier is the natural person carrying the cash: TypeCode NATURAL",
            f"{CD}/Carrier/TypeCode",
            d.carrier.type_code,
        )
    if d.carrier.identity_document is None:
        yield Issue(
            "CSH105",
            105,
            "add the carrier's identity document (type, number, issuing country), as Article 3(2)(a) requires",
            f"{CD}/Carrier/IdentityDocument",
        )
    for where, p in d.parties():
        if p.type_code == "NATURAL" and (p.birth_date is None or p.nationality_code is None):
            yield Issue(
                "CSH105",
                105,
                "a natural person is identified by date of birth and nationality: add both",
                f"{where}/{'BirthDate' if p.birth_date is None else 'NationalityCode'}",
            )


def _cash_countries(d: CashDeclaration) -> Iterator[tuple[str, str | None]]:
    for where, p in d.parties():
        yield f"{where}/NationalityCode", p.nationality_code
        if p.identity_document:
            yield f"{where}/IdentityDocument/IssuingCountryCode", p.identity_document.issuing_country_code
        if p.address:
            yield f"{where}/Address/CountryCode", p.address.country_code
    t = d.transport
    yield f"{CD}/Transport/DepartureCountryCode", t.departure_country_code
    for pos, c in enumerate(t.transit_country_codes, 1):
        yield f"{CD}/Transport/TransitCountryCode[{pos}]", c
    yield f"{CD}/Transport/DestinationCountryCode", t.destination_country_code


@CASH_RULES.rule("CSH106", 106, "Country codes are ISO 3166")
def cash_countries(d: CashDeclaration, ctx: RuleContext) -> Iterator[Issue]:
    yield from codes.country_code_issues("CSH106", 106, _cash_countries(d), COUNTRY_MESSAGE)


@CASH_RULES.rule("CSH107", 107, "Dates are in order")
def cash_dates(d: CashDeclaration, ctx: RuleContext) -> Iterator[Issue]:
    for where, p in d.parties():
        if p.birth_date and p.birth_date >= d.declaration_date:
            yield Issue(
                "CSH107",
                107,
                "the date of birth must be before the declaration date",
                f"{where}/BirthDate",
                p.birth_date.isoformat(),
            )
        doc = p.identity_document
        if doc and doc.issue_date and doc.issue_date > d.declaration_date:
            yield Issue(
                "CSH107",
                107,
                "the identity document cannot be issued after the declaration date",
                f"{where}/IdentityDocument/IssueDate",
                doc.issue_date.isoformat(),
            )
    t = d.transport
    if t.arrival_date and t.arrival_date < t.departure_date:
        yield Issue(
            "CSH107",
            107,
            f"arrival cannot be before departure ({t.departure_date})",
            f"{CD}/Transport/ArrivalDate",
            t.arrival_date.isoformat(),
        )


@CASH_RULES.rule("CSH108", 108, "Office and transport mode are coded")
def cash_office_and_mode(d: CashDeclaration, ctx: RuleContext) -> Iterator[Issue]:
    if not is_valid_office(d.customs_office_id):
        yield Issue(
            "CSH108",
            108,
            "not a customs office reference number: 2-letter country code and 6 characters, e.g. RS015003",
            f"{CD}/CustomsOfficeID",
            d.customs_office_id,
        )
    if not codes.accepts(codes.TRANSPORT_MODE_LIST, d.transport.mode_code, ctx.national_codes):
        yield Issue(
            "CSH108",
            108,
            codes.TRANSPORT_MODE_MESSAGE,
            f"{CD}/Transport/ModeCode",
            d.transport.mode_code,
        )


@CASH_RULES.rule("CSH109", 109, "'Other' provenance or use is described")
def cash_other_described(d: CashDeclaration, ctx: RuleContext) -> Iterator[Issue]:
    if "OTHER" in d.provenance_codes and not d.provenance_description:
        yield Issue(
            "CSH109",
            109,
            "economic provenance OTHER needs EconomicProvenanceDescription saying what it is",
            f"{CD}/EconomicProvenanceDescription",
        )
    if "OTHER" in d.intended_use_codes and not d.intended_use_description:
        yield Issue(
            "CSH109",
            109,
            "intended use OTHER needs IntendedUseDescription saying what it is",
            f"{CD}/IntendedUseDescription",
        )


# == VAT-refund export proof =====================================================================


class ExportDeclarationRef(XmlModel):
    mrn: str = Field(alias="ID")
    acceptance_date: date | None = Field(None, alias="AcceptanceDate")
    goods_item_quantity: int | None = Field(None, alias="GoodsItemQuantity")


class Administration(XmlModel):
    name: str = Field(alias="Name")
    country_code: str = Field(alias="CountryCode")


class Invoice(XmlModel):
    id: str = Field(alias="ID")
    issue_date: date = Field(alias="IssueDate")
    total: Amount = Field(alias="TotalAmount")


class ConfirmedItem(XmlModel):
    sequence_numeric: int = Field(alias="SequenceNumeric")
    hs_code: str = Field(alias="ClassificationID")
    description: str | None = Field(None, alias="Description")
    quantity: int | None = Field(None, alias="Quantity")
    gross_mass: Measure = Field(alias="GrossMassMeasure")
    value: Amount = Field(alias="ValueAmount")
    invoice_id: str | None = Field(None, alias="InvoiceID")


class Traveller(XmlModel):
    name: str = Field(alias="Name")
    nationality_code: str | None = Field(None, alias="NationalityCode")
    identity_document_id: str = Field(alias="IdentityDocumentID")
    residence_country_code: str = Field(alias="ResidenceCountryCode")


class VatRefundExportProof(XmlModel):
    xml_tag = "VatRefundExportProof"

    id: str = Field(alias="ID")
    issue_date: date = Field(alias="IssueDate")
    export_declaration: ExportDeclarationRef = Field(alias="ExportDeclaration")
    exporter: Party = Field(alias="Exporter")
    exit_office_id: str = Field(alias="ExitOfficeID")
    exit_date: date = Field(alias="ExitDate")
    confirming_administration: Administration = Field(alias="ConfirmingAdministration")
    invoices: list[Invoice] = Field(default_factory=list, alias="Invoice")
    goods_items: list[ConfirmedItem] = Field(default_factory=list, alias="GoodsItem")
    traveller: Traveller | None = Field(None, alias="Traveller")
    tax_free_form_id: str | None = Field(None, alias="TaxFreeFormID")


VP = "/VatRefundExportProof"
VAT_RULES = RuleSet("vat-refund")
#: MRN procedure letters of an export declaration (UCC DA Annex B)
EXPORT_PROCEDURES = ("A", "B")


@VAT_RULES.rule("VAT101", 101, "The export declaration's MRN is valid")
def vat_mrn(p: VatRefundExportProof, ctx: RuleContext) -> Iterator[Issue]:
    mrn = p.export_declaration.mrn
    pointer = f"{VP}/ExportDeclaration/ID"
    if not is_valid_mrn(mrn):
        why = (
            "the check character is wrong"
            if MRN_PATTERN.match(mrn)
            else "it needs 18 characters: YY, country, 12 alphanumerics, procedure letter, check character"
        )
        yield Issue("VAT101", 101, f"not a valid MRN: {why}", pointer, mrn)
    elif mrn[16] not in EXPORT_PROCEDURES:
        yield Issue(
            "VAT101",
            101,
            f"the MRN's procedure letter {mrn[16]} is not an export (A or B): refer to the export declaration",
            pointer,
            mrn,
        )


@VAT_RULES.rule("VAT102", 102, "The exit date is not in the future nor before the declaration")
def vat_exit_date(p: VatRefundExportProof, ctx: RuleContext) -> Iterator[Issue]:
    today = datetime.now(UTC).date()
    pointer = f"{VP}/ExitDate"
    if p.exit_date > today:
        yield Issue(
            "VAT102",
            102,
            "the goods cannot have left on a future date: give the actual date of exit",
            pointer,
            p.exit_date.isoformat(),
        )
    accepted = p.export_declaration.acceptance_date
    if accepted and p.exit_date < accepted:
        yield Issue(
            "VAT102",
            102,
            f"the goods cannot exit before the export declaration was accepted ({accepted})",
            pointer,
            p.exit_date.isoformat(),
        )
    if p.issue_date < p.exit_date:
        yield Issue(
            "VAT102",
            102,
            f"exit cannot be confirmed before it happened ({p.exit_date})",
            f"{VP}/IssueDate",
            p.issue_date.isoformat(),
        )


@VAT_RULES.rule("VAT103", 103, "Confirmed items are items of the declaration")
def vat_items(p: VatRefundExportProof, ctx: RuleContext) -> Iterator[Issue]:
    declared = p.export_declaration.goods_item_quantity
    if declared is not None and len(p.goods_items) > declared:
        yield Issue(
            "VAT103",
            103,
            f"more items confirmed ({len(p.goods_items)}) than the export declaration has ({declared})",
            f"{VP}/ExportDeclaration/GoodsItemQuantity",
            str(declared),
        )
    seen: set[int] = set()
    for pos, item in enumerate(p.goods_items, 1):
        pointer = f"{VP}/GoodsItem[{pos}]/SequenceNumeric"
        if declared is not None and item.sequence_numeric > declared:
            yield Issue(
                "VAT103",
                103,
                f"the export declaration has items 1 to {declared} only",
                pointer,
                str(item.sequence_numeric),
            )
        elif item.sequence_numeric in seen:
            yield Issue("VAT103", 103, "each declaration item is confirmed once", pointer, str(item.sequence_numeric))
        seen.add(item.sequence_numeric)


def _vat_countries(p: VatRefundExportProof) -> Iterator[tuple[str, str | None]]:
    if p.exporter.address:
        yield f"{VP}/Exporter/Address/CountryCode", p.exporter.address.country_code
    yield f"{VP}/ConfirmingAdministration/CountryCode", p.confirming_administration.country_code
    if p.traveller:
        yield f"{VP}/Traveller/NationalityCode", p.traveller.nationality_code
        yield f"{VP}/Traveller/ResidenceCountryCode", p.traveller.residence_country_code


@VAT_RULES.rule("VAT104", 104, "Country and currency codes are ISO 3166 and ISO 4217")
def vat_codes(p: VatRefundExportProof, ctx: RuleContext) -> Iterator[Issue]:
    yield from codes.country_code_issues("VAT104", 104, _vat_countries(p), COUNTRY_MESSAGE)
    amounts = [(f"{VP}/Invoice[{n}]/TotalAmount/@currencyID", i.total.currency_id) for n, i in enumerate(p.invoices, 1)]
    amounts += [
        (f"{VP}/GoodsItem[{n}]/ValueAmount/@currencyID", i.value.currency_id) for n, i in enumerate(p.goods_items, 1)
    ]
    yield from currency_issues("VAT104", 104, iter(amounts))


@VAT_RULES.rule("VAT105", 105, "The office of exit is an office of the confirming administration")
def vat_office(p: VatRefundExportProof, ctx: RuleContext) -> Iterator[Issue]:
    code = p.exit_office_id
    if not is_valid_office(code):
        yield Issue(
            "VAT105",
            105,
            "not a customs office reference number: 2-letter country code and 6 characters, e.g. RS015003",
            f"{VP}/ExitOfficeID",
            code,
        )
    elif code[:2] != p.confirming_administration.country_code:
        yield Issue(
            "VAT105",
            105,
            f"the office of exit is not in {p.confirming_administration.country_code}, the country of the "
            "administration confirming the exit",
            f"{VP}/ExitOfficeID",
            code,
        )


@VAT_RULES.rule("VAT106", 106, "HS codes have the HS structure")
def vat_hs(p: VatRefundExportProof, ctx: RuleContext) -> Iterator[Issue]:
    for pos, item in enumerate(p.goods_items, 1):
        problem = hs_code_problem(item.hs_code)
        if problem:
            yield Issue("VAT106", 106, problem, f"{VP}/GoodsItem[{pos}]/ClassificationID", item.hs_code)


@VAT_RULES.rule("VAT107", 107, "Invoice references resolve; masses and values are positive")
def vat_references(p: VatRefundExportProof, ctx: RuleContext) -> Iterator[Issue]:
    ids = [i.id for i in p.invoices]
    for pos, i in enumerate(p.invoices, 1):
        if i.id in ids[: pos - 1]:
            yield Issue("VAT107", 107, "invoice numbers must be unique in the proof", f"{VP}/Invoice[{pos}]/ID", i.id)
    for pos, item in enumerate(p.goods_items, 1):
        where = f"{VP}/GoodsItem[{pos}]"
        if item.invoice_id is not None and item.invoice_id not in ids:
            yield Issue(
                "VAT107",
                107,
                f"no invoice {item.invoice_id} in this proof: reference one of {', '.join(ids)}",
                f"{where}/InvoiceID",
                item.invoice_id,
            )
        if item.gross_mass.value <= 0:
            yield Issue(
                "VAT107",
                107,
                "the gross mass must be greater than zero",
                f"{where}/GrossMassMeasure",
                str(item.gross_mass.value),
            )
        if item.value.value <= 0:
            yield Issue(
                "VAT107", 107, "the value must be greater than zero", f"{where}/ValueAmount", str(item.value.value)
            )


@VAT_RULES.rule("VAT301", 301, "A tourist export names its traveller and tax-free form")
def vat_tourist(p: VatRefundExportProof, ctx: RuleContext) -> Iterator[Issue]:
    if p.traveller and not p.tax_free_form_id:
        yield Issue(
            "VAT301",
            301,
            "a retail (tourist) export needs the tax-free form number in TaxFreeFormID",
            f"{VP}/TaxFreeFormID",
        )
    if p.tax_free_form_id and not p.traveller:
        yield Issue("VAT301", 301, "a tax-free form belongs to a traveller: add Traveller", f"{VP}/Traveller")
    exporting = p.export_declaration.mrn[2:4]
    if p.traveller and p.traveller.residence_country_code == exporting:
        yield Issue(
            "VAT301",
            301,
            f"a tax-free refund is for travellers resident outside {exporting}",
            f"{VP}/Traveller/ResidenceCountryCode",
            p.traveller.residence_country_code,
        )


# == generators ==================================================================================

PEOPLE = {
    "RS": (["Marko", "Jelena", "Nikola", "Milica"], ["Petrovic", "Jovanovic", "Nikolic", "Markovic"], "Beograd"),
    "ME": (["Luka", "Ana", "Stefan", "Marija"], ["Vukovic", "Radovic", "Popovic"], "Podgorica"),
    "MK": (["Aleksandar", "Elena", "Bojan", "Ivana"], ["Stojanovski", "Trajkovska", "Nikolovski"], "Skopje"),
    "BA": (["Emir", "Amra", "Dragan", "Lejla"], ["Hodzic", "Kovacevic", "Begic"], "Sarajevo"),
    "AL": (["Arben", "Elira", "Besnik", "Ardita"], ["Hoxha", "Shehu", "Krasniqi"], "Tirane"),
    "XK": (["Driton", "Vlora", "Agon", "Blerta"], ["Berisha", "Gashi", "Morina"], "Prishtine"),
}
ADMINISTRATIONS = {
    "RS": "Customs Administration of the Republic of Serbia",
    "ME": "Revenue and Customs Administration of Montenegro",
    "MK": "Customs Administration of the Republic of North Macedonia",
    "BA": "Indirect Taxation Authority of Bosnia and Herzegovina",
    "AL": "General Directorate of Customs of Albania",
    "XK": "Kosovo Customs",
}
#: the EU's Schengen/EU neighbours travellers come from or go to, beside the SEED countries
ELSEWHERE = ("DE", "AT", "IT", "HR", "SI", "GR", "CH", "TR")


def _person(rng: random.Random, country: str, with_document: bool = True) -> CashParty:
    given, family, city = PEOPLE[country]
    born = date(1950, 1, 1) + timedelta(days=rng.randrange(18_000))
    doc = IdentityDocument(
        type_code=rng.choice(["PASSPORT", "ID_CARD"]),
        id=f"{rng.randrange(10**8, 10**9)}",
        issuing_country_code=country,
        issue_date=date(2019, 1, 1) + timedelta(days=rng.randrange(2000)),
    )
    return CashParty(
        type_code="NATURAL",
        name=f"{rng.choice(given)} {rng.choice(family)}",
        birth_date=born,
        birth_place=city,
        nationality_code=country,
        identity_document=doc if with_document else None,
        address=Address(city_name=city, country_code=country, line=f"Ulica {rng.randint(1, 200)}"),
    )


def _eur(amount: Decimal, currency: str) -> Decimal:
    return (amount / EUR_RATES[currency]).quantize(Decimal("0.01"))


def generate_cash_declaration(rng: random.Random) -> CashDeclaration:
    """A traveller declaring EUR 10 000 or more at a SEED road, air or rail border."""
    country = rng.choice(codes.SEED_COUNTRIES)
    home = rng.choice(codes.SEED_COUNTRIES)
    direction = rng.choice(["ENTRY", "EXIT"])
    day = date(2025, 1, 1) + timedelta(days=rng.randrange(600))
    items = [
        CashItem(
            sequence_numeric=1,
            type_code="CURRENCY",
            description="Banknotes",
            amount=Amount(value=Decimal(rng.randrange(10_000, 60_000, 50)), currency_id="EUR"),
        )
    ]
    for _ in range(rng.randint(0, 2)):
        kind = rng.choice(["CURRENCY", "CURRENCY", "BEARER_NEGOTIABLE_INSTRUMENT", "COMMODITY"])
        n = len(items) + 1
        if kind == "COMMODITY":
            grams = rng.choice([100, 250, 500, 1000])
            value = (Decimal(grams) * Decimal("95.50")).quantize(Decimal("0.01"))
            items.append(
                CashItem(
                    sequence_numeric=n,
                    type_code=kind,
                    description="Gold bullion bars, 999.9 fine",
                    quantity=grams // 100,
                    weight=Measure(value=Decimal(grams), unit_code="GRM"),
                    amount=Amount(value=value, currency_id="EUR"),
                )
            )
            continue
        currency = rng.choice(["USD", "CHF", HOME_CURRENCY[country] if HOME_CURRENCY[country] != "EUR" else "RSD"])
        value = Decimal(rng.randrange(1_000, 500_000 if currency in ("RSD", "MKD", "ALL") else 20_000, 10))
        items.append(
            CashItem(
                sequence_numeric=n,
                type_code=kind,
                description="Traveller's cheques" if kind == "BEARER_NEGOTIABLE_INSTRUMENT" else "Banknotes",
                amount=Amount(value=value, currency_id=currency),
                eur_amount=Amount(value=_eur(value, currency), currency_id="EUR"),
            )
        )
    mode = rng.choice(["3", "3", "4", "2"])
    abroad = rng.choice(ELSEWHERE)
    origin, destination = (abroad, country) if direction == "ENTRY" else (country, abroad)
    means = {
        "3": f"{home}{rng.randrange(100, 999)}{rng.choice('ABCDEFGHJKLMN')}{rng.choice('ABCDEFGHJKLMN')}",
        "4": f"JU{rng.randrange(100, 999)}",
        "2": f"{rng.randrange(100, 999)}",
    }[mode]
    provenance = rng.sample(
        ["EMPLOYMENT", "BUSINESS", "SAVINGS", "PENSION", "SALE_OF_PROPERTY", "OTHER"], rng.randint(1, 2)
    )
    uses = rng.sample(
        ["PERSONAL_EXPENSES", "BUSINESS", "INVESTMENT", "PURCHASE_OF_PROPERTY", "OTHER"], rng.randint(1, 2)
    )
    owner = None
    if rng.random() < 0.3:
        owner = CashParty(
            type_code="LEGAL",
            name=f"{rng.choice(['Balkan', 'Adria', 'Drina', 'Ohrid'])} Trade d.o.o.",
            registration_id=f"{rng.randrange(10**7, 10**8)}",
            vat_id=f"{country}{rng.randrange(10**8, 10**9)}",
            address=Address(city_name=PEOPLE[country][2], country_code=country),
        )
    return CashDeclaration(
        reference_id=f"{country}CD{day.year}{rng.randrange(10**6):06d}",
        declaration_date=day,
        direction_code=direction,
        customs_office_id=office(rng, country),
        carrier=_person(rng, home),
        owner=owner,
        intended_recipient=_person(rng, rng.choice(codes.SEED_COUNTRIES)) if rng.random() < 0.3 else None,
        cash_items=items,
        total_eur=Amount(value=sum((i.value_eur() for i in items), Decimal(0)), currency_id="EUR"),
        provenance_codes=provenance,
        provenance_description="Sale of a family car" if "OTHER" in provenance else None,
        intended_use_codes=uses,
        intended_use_description="Medical treatment abroad" if "OTHER" in uses else None,
        transport=Transport(
            mode_code=mode,
            means_id=means,
            company_name="Air Serbia" if mode == "4" else None,
            departure_country_code=origin,
            departure_date=day,
            destination_country_code=destination,
            arrival_date=day + timedelta(days=rng.randint(0, 1)),
        ),
    )


FOREIGN_NAMES = {
    "DE": (["Lukas", "Anna", "Jonas"], ["Muller", "Schmidt", "Weber"]),
    "AT": (["Florian", "Lena"], ["Gruber", "Huber"]),
    "IT": (["Marco", "Giulia"], ["Rossi", "Bianchi"]),
    "HR": (["Ivan", "Petra"], ["Horvat", "Babic"]),
    "SI": (["Matej", "Nina"], ["Novak", "Kranjc"]),
    "GR": (["Giorgos", "Eleni"], ["Papadopoulos", "Nikolaou"]),
    "CH": (["Noah", "Mia"], ["Meier", "Keller"]),
    "TR": (["Emre", "Elif"], ["Yilmaz", "Kaya"]),
}
#: (description, HS subheading, EUR per kg)
GOODS = [
    ("Frozen raspberries", "081120", "2.4"),
    ("Wine, red, in bottles", "220421", "4.5"),
    ("Furniture, wooden, bedroom", "940350", "6"),
    ("Men's cotton shirts", "620520", "28"),
    ("Copper wire", "740811", "9"),
    ("Tyres for cars", "401110", "5"),
    ("Mobile phones", "851713", "900"),
    ("Wristwatch", "910211", "1200"),
    ("Perfume", "330300", "300"),
]


def generate_vat_refund_export_proof(rng: random.Random) -> VatRefundExportProof:
    """Exit confirmed by the exporting country's office of exit; 30 % are tourist (tax-free) exports."""
    country = rng.choice(codes.SEED_COUNTRIES)
    currency = HOME_CURRENCY[country]
    exit_day = date(2025, 1, 1) + timedelta(days=rng.randrange(500))
    accepted = exit_day - timedelta(days=rng.randint(0, 3))
    serial = random_mrn_serial(rng)  # drawn here, the procedure letter last: a seed gives the same document
    tourist = rng.random() < 0.3
    declared = rng.randint(1, 3) if tourist else rng.randint(1, 12)
    confirmed = sorted(rng.sample(range(1, declared + 1), rng.randint(1, declared)))
    invoices = [f"{rng.randrange(10**5, 10**6)}/{exit_day.year}" for _ in range(rng.randint(1, 2))]
    items, totals = [], {i: Decimal(0) for i in invoices}
    for seq in confirmed:
        desc, hs, per_kg = rng.choice(GOODS[6:] if tourist else GOODS[:6])
        kg = Decimal(rng.randint(1, 5)) if tourist else Decimal(rng.randint(50, 8000))
        value = (kg * Decimal(per_kg) * EUR_RATES[currency]).quantize(Decimal("0.01"))
        inv = rng.choice(invoices)
        totals[inv] += value
        items.append(
            ConfirmedItem(
                sequence_numeric=seq,
                hs_code=hs,
                description=desc,
                quantity=rng.randint(1, 400),
                gross_mass=Measure(value=kg, unit_code="KGM"),
                value=Amount(value=value, currency_id=currency),
                invoice_id=inv,
            )
        )
    given, family, city = PEOPLE[country]
    traveller = None
    if tourist:
        residence = rng.choice([c for c in (*codes.SEED_COUNTRIES, *ELSEWHERE) if c != country])
        first, last = FOREIGN_NAMES.get(residence, PEOPLE.get(residence, FOREIGN_NAMES["DE"])[:2])
        traveller = Traveller(
            name=f"{rng.choice(first)} {rng.choice(last)}",
            nationality_code=residence,
            identity_document_id=f"{rng.randrange(10**8, 10**9)}",
            residence_country_code=residence,
        )
    return VatRefundExportProof(
        id=f"{country}VR{exit_day.year}{rng.randrange(10**7):07d}",
        issue_date=exit_day + timedelta(days=rng.randint(0, 2)),
        export_declaration=ExportDeclarationRef(
            mrn=make_mrn(accepted.year, country, serial, rng.choice(EXPORT_PROCEDURES)),
            acceptance_date=accepted,
            goods_item_quantity=declared,
        ),
        exporter=Party(
            name=f"{rng.choice(family)} {'Retail' if tourist else 'Export'} d.o.o.",
            id=f"{country}{rng.randrange(10**8, 10**9)}",
            address=Address(city_name=city, country_code=country, line=f"Bulevar {rng.randint(1, 150)}"),
        ),
        exit_office_id=office(rng, country),
        exit_date=exit_day,
        confirming_administration=Administration(name=ADMINISTRATIONS[country], country_code=country),
        invoices=[
            Invoice(
                id=i,
                issue_date=accepted - timedelta(days=rng.randint(0, 10)),
                total=Amount(value=max(totals[i], Decimal("1.00")), currency_id=currency),
            )
            for i in invoices
        ],
        goods_items=items,
        traveller=traveller,
        tax_free_form_id=f"{country}TF{rng.randrange(10**9, 10**10)}" if tourist else None,
    )


CASH_DOCUMENT = XmlDocument(CashDeclaration, "CashDeclaration", NS_FISCAL)
VAT_DOCUMENT = XmlDocument(VatRefundExportProof, "VatRefundExportProof", NS_FISCAL)
CASH_DECLARATION = MessageType(
    name="CashDeclaration",
    ce_type="org.seedsim.c2c.cash-declaration.v1",
    schema="fiscal/cash_declaration.xsd",
    element=CASH_DOCUMENT.element,
    read=CASH_DOCUMENT.read,
    write=CASH_DOCUMENT.write,
    description="A declaration of accompanied cash of EUR 10 000 or more (Regulation (EU) 2018/1672 data set), "
    "shared with the neighbour the carrier travels to or from.",
    rules=CASH_RULES,
    generate=generate_cash_declaration,
)
VAT_REFUND_EXPORT_PROOF = MessageType(
    name="VatRefundExportProof",
    ce_type="org.seedsim.c2c.vat-refund-export-proof.v1",
    schema="fiscal/vat_refund_export_proof.xsd",
    element=VAT_DOCUMENT.element,
    read=VAT_DOCUMENT.read,
    write=VAT_DOCUMENT.write,
    description="Confirmation that exported goods left the country, for the VAT refund (SEED+ VAT-refund export data), "
    "with the invoices and, for tourist exports, the traveller and tax-free form.",
    rules=VAT_RULES,
    generate=generate_vat_refund_export_proof,
)

MESSAGE_TYPES = [CASH_DECLARATION, VAT_REFUND_EXPORT_PROOF]
