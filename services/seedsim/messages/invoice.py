"""The commercial invoice as a UN/CEFACT Cross Industry Invoice (CII D16B, ``rsm:CrossIndustryInvoice``).

SEED+ exchanges the invoice used in simplified procedures; the customs node
compares its value, HS codes, origin and masses with the declaration. CII is
the UN/CEFACT syntax EN 16931 binds to, so a trader's e-invoice can travel
as it is. The models below cover the SEED profile of CII (``schemas/invoice``):
document context, header, lines with HS classification, origin, price,
quantity and masses, seller, buyer and ship-to, delivery terms, VAT
breakdown and the monetary summation. Reading is tolerant: a full EN 16931
invoice is read for what the profile covers, the rest is ignored.

Namespaces follow the standard: the root and its three direct children are in
``rsm``, every aggregate and leaf below them in ``ram``, the date-time and
indicator content in ``udt``. Field order is the D16B schema's element order,
so what :func:`write` produces also validates against the real uncoupled
D16B schema.

Real formats used (and where they are defined):

* TypeCode: UNTDID 1001 (380 commercial invoice, 381 credit note, 383 debit note,
  384 corrected invoice, 389 self-billed invoice, 751 invoice information for accounting purposes);
* dates: ``udt:DateTimeString`` with format ``102`` (UNTDID 2379: CCYYMMDD);
* guideline: EN 16931 specification identifier syntax, ``urn:cen.eu:en16931:2017#conformant#<extension>``
  (an extension, because masses and delivery terms are beyond the EN 16931 core);
* totals: EN 16931 BR-CO-10 (sum of line net amounts), BR-CO-13 (tax basis), BR-CO-14 (VAT total),
  BR-CO-15 (grand total), BR-CO-16 (amount due);
* VAT identifiers: BR-CO-09 (ISO 3166-1 alpha-2 prefix, ``EL`` for Greece); the Serbian PIB's
  ninth digit is an ISO 7064 MOD 11,10 check digit (public example 101134702);
* GLN (party GlobalID schemeID ``0088``) and GTIN (product GlobalID schemeID ``0160``): ISO 6523 ICDs,
  GS1 mod-10 check digit;
* item classification: ClassCode ``listID="HS"`` (UNTDID 7143), HS 2022;
* units: UN/ECE Recommendation 20 (H87 piece, KGM kilogram); delivery terms: Incoterms 2020.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pydantic import Field

from seedsim.core import codes
from seedsim.core.codes import is_hs_code
from seedsim.core.identifiers import gs1_check_digit, is_valid_gs1, is_valid_rs_pib, iso7064_mod11_10
from seedsim.core.message_type import MessageType
from seedsim.core.validation import Issue, RuleContext, RuleSet
from seedsim.core.xml_binding import XmlDocument, XmlModel, attribute, element_in, text
from seedsim.samples.consignments import CITIES, COMPANY_FORMS, COMPANY_WORDS, GOODS, TAX_ID_DIGITS

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NSMAP = {"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT}

SCHEMA = "invoice/cii_seed.xsd"
GUIDELINE = "urn:cen.eu:en16931:2017#conformant#urn:seedsim:invoice:1"

#: UNTDID 1001 document name codes an invoice may carry (the EN 16931 invoice subset the brief names).
INVOICE_TYPE_CODES = {
    "380": "Commercial invoice",
    "381": "Credit note",
    "383": "Debit note",
    "384": "Corrected invoice",
    "389": "Self-billed invoice",
    "751": "Invoice information for accounting purposes",
}
#: Incoterms 2020 rules (ICC); CII carries them in ApplicableTradeDeliveryTerms/DeliveryTypeCode.
INCOTERMS = tuple(codes.code_list(codes.INCOTERMS_LIST))


def _ram(alias: str, default: Any = None, **kw: Any) -> Any:
    """A ram child of an rsm element."""
    return element_in(RAM, alias, default, **kw)


# -- data types (udt) ---------------------------------------------------------------------------


class Identifier(XmlModel):
    value: str = text()
    scheme_id: str | None = attribute("schemeID")


class Code(XmlModel):
    value: str = text()
    list_id: str | None = attribute("listID")
    list_version_id: str | None = attribute("listVersionID")


class Amount(XmlModel):
    value: Decimal = text()
    currency_id: str | None = attribute("currencyID")


class Quantity(XmlModel):
    """udt:QuantityType and udt:MeasureType alike: a number with a UN/ECE Rec. 20 unit code."""

    value: Decimal = text()
    unit_code: str | None = attribute("unitCode")


class DateTimeString(XmlModel):
    value: str = text()
    format: str | None = attribute("format", "102")


class DateTime(XmlModel):
    date_time_string: DateTimeString | None = element_in(UDT, "DateTimeString")

    @classmethod
    def of(cls, d: date) -> DateTime:
        return cls(date_time_string=DateTimeString(value=d.strftime("%Y%m%d"), format="102"))

    def as_date(self) -> date | None:
        """The date, if written as format 102 and a real calendar date."""
        s = self.date_time_string
        if s is None or s.format != "102" or not re.fullmatch(r"[0-9]{8}", s.value.strip()):
            return None
        try:
            return date(int(s.value[:4]), int(s.value[4:6]), int(s.value[6:8]))
        except ValueError:
            return None


class Indicator(XmlModel):
    indicator: str | None = element_in(UDT, "Indicator")


# -- aggregates (ram) -----------------------------------------------------------------------------


class DocumentContextParameter(XmlModel):
    id: str | None = Field(None, alias="ID")


class ExchangedDocumentContext(XmlModel):
    guideline: list[DocumentContextParameter] = _ram("GuidelineSpecifiedDocumentContextParameter", default_factory=list)


class ExchangedDocument(XmlModel):
    id: str = _ram("ID", ...)
    type_code: str | None = _ram("TypeCode")
    issue_date_time: DateTime = _ram("IssueDateTime", ...)


class TradeAddress(XmlModel):
    postcode: str | None = Field(None, alias="PostcodeCode")
    line_one: str | None = Field(None, alias="LineOne")
    city_name: str | None = Field(None, alias="CityName")
    country_id: str | None = Field(None, alias="CountryID")


class LegalOrganization(XmlModel):
    id: Identifier | None = Field(None, alias="ID")


class TaxRegistration(XmlModel):
    id: Identifier | None = Field(None, alias="ID")


class TradeParty(XmlModel):
    """Seller, buyer or ship-to: identifiers, name, address, tax registrations (VA = VAT, FC = tax number)."""

    id: Identifier | None = Field(None, alias="ID")
    global_id: Identifier | None = Field(None, alias="GlobalID")
    name: str | None = Field(None, alias="Name")
    legal_organization: LegalOrganization | None = Field(None, alias="SpecifiedLegalOrganization")
    address: TradeAddress | None = Field(None, alias="PostalTradeAddress")
    tax_registrations: list[TaxRegistration] = Field(default_factory=list, alias="SpecifiedTaxRegistration")

    def vat_id(self) -> str | None:
        return next((t.id.value for t in self.tax_registrations if t.id and t.id.scheme_id == "VA"), None)


class DocumentLine(XmlModel):
    line_id: str | None = Field(None, alias="LineID")


class ProductClassification(XmlModel):
    class_code: Code | None = Field(None, alias="ClassCode")


class TradeCountry(XmlModel):
    id: str | None = Field(None, alias="ID")


class TradeProduct(XmlModel):
    global_id: Identifier | None = Field(None, alias="GlobalID")
    seller_assigned_id: str | None = Field(None, alias="SellerAssignedID")
    name: str | None = Field(None, alias="Name")
    description: str | None = Field(None, alias="Description")
    classifications: list[ProductClassification] = Field(default_factory=list, alias="DesignatedProductClassification")
    origin: TradeCountry | None = Field(None, alias="OriginTradeCountry")

    def hs_code(self) -> str | None:
        return next(
            (c.class_code.value for c in self.classifications if c.class_code and c.class_code.list_id == "HS"), None
        )


class TradePrice(XmlModel):
    charge_amount: Amount | None = Field(None, alias="ChargeAmount")
    basis_quantity: Quantity | None = Field(None, alias="BasisQuantity")


class LineTradeAgreement(XmlModel):
    net_price: TradePrice | None = Field(None, alias="NetPriceProductTradePrice")


class LineTradeDelivery(XmlModel):
    billed_quantity: Quantity | None = Field(None, alias="BilledQuantity")
    net_weight: Quantity | None = Field(None, alias="NetWeightMeasure")
    gross_weight: Quantity | None = Field(None, alias="GrossWeightMeasure")


class TradeTax(XmlModel):
    """ApplicableTradeTax, on a line (category and rate) or in the header breakdown (with amounts)."""

    calculated_amount: Amount | None = Field(None, alias="CalculatedAmount")
    type_code: str | None = Field(None, alias="TypeCode")
    exemption_reason: str | None = Field(None, alias="ExemptionReason")
    basis_amount: Amount | None = Field(None, alias="BasisAmount")
    category_code: str | None = Field(None, alias="CategoryCode")
    rate_percent: Decimal | None = Field(None, alias="RateApplicablePercent")

    def key(self) -> tuple[str | None, Decimal | None]:
        return self.category_code, (self.rate_percent.normalize() if self.rate_percent is not None else None)


class TradeAllowanceCharge(XmlModel):
    charge_indicator: Indicator | None = Field(None, alias="ChargeIndicator")
    actual_amount: Amount | None = Field(None, alias="ActualAmount")
    reason: str | None = Field(None, alias="Reason")
    category_trade_tax: TradeTax | None = Field(None, alias="CategoryTradeTax")

    def signed(self) -> Decimal:
        """+amount for a charge, -amount for an allowance."""
        amount = self.actual_amount.value if self.actual_amount else Decimal(0)
        is_charge = (self.charge_indicator.indicator or "").strip() in ("true", "1") if self.charge_indicator else False
        return amount if is_charge else -amount


class LineMonetarySummation(XmlModel):
    line_total: Amount | None = Field(None, alias="LineTotalAmount")


class LineTradeSettlement(XmlModel):
    taxes: list[TradeTax] = Field(default_factory=list, alias="ApplicableTradeTax")
    allowance_charges: list[TradeAllowanceCharge] = Field(default_factory=list, alias="SpecifiedTradeAllowanceCharge")
    summation: LineMonetarySummation | None = Field(None, alias="SpecifiedTradeSettlementLineMonetarySummation")


class TradeLineItem(XmlModel):
    document_line: DocumentLine | None = Field(None, alias="AssociatedDocumentLineDocument")
    product: TradeProduct | None = Field(None, alias="SpecifiedTradeProduct")
    agreement: LineTradeAgreement | None = Field(None, alias="SpecifiedLineTradeAgreement")
    delivery: LineTradeDelivery | None = Field(None, alias="SpecifiedLineTradeDelivery")
    settlement: LineTradeSettlement | None = Field(None, alias="SpecifiedLineTradeSettlement")

    @property
    def line_total(self) -> Decimal | None:
        s = self.settlement.summation if self.settlement else None
        return s.line_total.value if s and s.line_total else None


class DeliveryTerms(XmlModel):
    delivery_type_code: str | None = Field(None, alias="DeliveryTypeCode")
    description: str | None = Field(None, alias="Description")


class HeaderTradeAgreement(XmlModel):
    seller: TradeParty | None = Field(None, alias="SellerTradeParty")
    buyer: TradeParty | None = Field(None, alias="BuyerTradeParty")
    delivery_terms: DeliveryTerms | None = Field(None, alias="ApplicableTradeDeliveryTerms")


class SupplyChainEvent(XmlModel):
    occurrence: DateTime | None = Field(None, alias="OccurrenceDateTime")


class HeaderTradeDelivery(XmlModel):
    ship_to: TradeParty | None = Field(None, alias="ShipToTradeParty")
    actual_delivery: SupplyChainEvent | None = Field(None, alias="ActualDeliverySupplyChainEvent")


class PaymentTerms(XmlModel):
    description: str | None = Field(None, alias="Description")
    due_date: DateTime | None = Field(None, alias="DueDateDateTime")


class HeaderMonetarySummation(XmlModel):
    line_total: Amount | None = Field(None, alias="LineTotalAmount")
    charge_total: Amount | None = Field(None, alias="ChargeTotalAmount")
    allowance_total: Amount | None = Field(None, alias="AllowanceTotalAmount")
    tax_basis_total: Amount | None = Field(None, alias="TaxBasisTotalAmount")
    #: in the invoice currency, and a second one in the tax currency when they differ (EN 16931 BT-110, BT-111)
    tax_totals: list[Amount] = Field(default_factory=list, alias="TaxTotalAmount")
    rounding: Amount | None = Field(None, alias="RoundingAmount")
    grand_total: Amount | None = Field(None, alias="GrandTotalAmount")
    total_prepaid: Amount | None = Field(None, alias="TotalPrepaidAmount")
    due_payable: Amount | None = Field(None, alias="DuePayableAmount")


class HeaderTradeSettlement(XmlModel):
    invoice_currency: str | None = Field(None, alias="InvoiceCurrencyCode")
    taxes: list[TradeTax] = Field(default_factory=list, alias="ApplicableTradeTax")
    allowance_charges: list[TradeAllowanceCharge] = Field(default_factory=list, alias="SpecifiedTradeAllowanceCharge")
    payment_terms: list[PaymentTerms] = Field(default_factory=list, alias="SpecifiedTradePaymentTerms")
    summation: HeaderMonetarySummation | None = Field(None, alias="SpecifiedTradeSettlementHeaderMonetarySummation")


class SupplyChainTradeTransaction(XmlModel):
    lines: list[TradeLineItem] = _ram("IncludedSupplyChainTradeLineItem", default_factory=list)
    agreement: HeaderTradeAgreement | None = _ram("ApplicableHeaderTradeAgreement")
    delivery: HeaderTradeDelivery | None = _ram("ApplicableHeaderTradeDelivery")
    settlement: HeaderTradeSettlement | None = _ram("ApplicableHeaderTradeSettlement")


class CrossIndustryInvoice(XmlModel):
    """``rsm:CrossIndustryInvoice``: the SEED commercial invoice."""

    xml_tag = "CrossIndustryInvoice"

    context: ExchangedDocumentContext = Field(alias="ExchangedDocumentContext")
    document: ExchangedDocument = Field(alias="ExchangedDocument")
    transaction: SupplyChainTradeTransaction = Field(alias="SupplyChainTradeTransaction")

    @property
    def lines(self) -> list[TradeLineItem]:
        return self.transaction.lines

    @property
    def settlement(self) -> HeaderTradeSettlement | None:
        return self.transaction.settlement

    @property
    def currency(self) -> str | None:
        return self.settlement.invoice_currency if self.settlement else None

    @property
    def summation(self) -> HeaderMonetarySummation | None:
        return self.settlement.summation if self.settlement else None

    def tax_total(self) -> Decimal | None:
        """BT-110: the TaxTotalAmount in the invoice currency (the one without, or with the invoice's, currencyID)."""
        s = self.summation
        if s is None:
            return None
        for a in s.tax_totals:
            if a.currency_id in (None, self.currency):
                return a.value
        return None


#: the invoice as a document with the standard's prefixes (rsm, ram, udt, qdt) declared on the root
DOCUMENT = XmlDocument(CrossIndustryInvoice, "CrossIndustryInvoice", RSM, NSMAP, pretty_print=True)
read, write = DOCUMENT.read, DOCUMENT.write


# -- business rules -------------------------------------------------------------------------------

RULES = RuleSet("commercial-invoice")
ROOT = "/CrossIndustryInvoice"
DOC = f"{ROOT}/ExchangedDocument"
TX = f"{ROOT}/SupplyChainTradeTransaction"
AGR = f"{TX}/ApplicableHeaderTradeAgreement"
SETTLE = f"{TX}/ApplicableHeaderTradeSettlement"
SUM = f"{SETTLE}/SpecifiedTradeSettlementHeaderMonetarySummation"
CENT = Decimal("0.01")


def _pos(i: int, n: int) -> str:
    return f"[{i}]" if n > 1 else ""


def _line_path(inv: CrossIndustryInvoice, i: int) -> str:
    return f"{TX}/IncludedSupplyChainTradeLineItem{_pos(i, len(inv.lines))}"


def _money(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def _differs(a: Decimal, b: Decimal) -> bool:
    """Amounts are compared at two decimals; a one-cent difference is tolerated for rounding."""
    return abs(a - b) > CENT


def _parties(inv: CrossIndustryInvoice) -> Iterator[tuple[str, TradeParty]]:
    agr, dlv = inv.transaction.agreement, inv.transaction.delivery
    for where, party in (
        (f"{AGR}/SellerTradeParty", agr.seller if agr else None),
        (f"{AGR}/BuyerTradeParty", agr.buyer if agr else None),
        (f"{TX}/ApplicableHeaderTradeDelivery/ShipToTradeParty", dlv.ship_to if dlv else None),
    ):
        if party is not None:
            yield where, party


@RULES.rule("INV101", 110, "TypeCode is an invoice type from UNTDID 1001")
def type_code(inv: CrossIndustryInvoice, ctx: RuleContext) -> Iterator[Issue]:
    code = inv.document.type_code
    if code not in INVOICE_TYPE_CODES:
        yield Issue(
            "INV101",
            110,
            "not an invoice type of UNTDID 1001: use 380 (commercial invoice), 381, 383, 384, 389 or 751",
            f"{DOC}/TypeCode",
            code,
        )


@RULES.rule("INV102", 111, "Currencies are ISO 4217")
def currencies(inv: CrossIndustryInvoice, ctx: RuleContext) -> Iterator[Issue]:
    known = codes.currencies() | ctx.national_codes.get(codes.CURRENCY_LIST, frozenset())
    if inv.currency not in known:
        yield Issue(
            "INV102",
            111,
            "InvoiceCurrencyCode is not an ISO 4217 currency code: use e.g. EUR, RSD, USD",
            f"{SETTLE}/InvoiceCurrencyCode",
            inv.currency,
        )
    s = inv.summation
    for i, a in enumerate(s.tax_totals if s else [], 1):
        if a.currency_id is not None and a.currency_id not in known:
            yield Issue(
                "INV102",
                111,
                "currencyID is not an ISO 4217 currency code",
                f"{SUM}/TaxTotalAmount{_pos(i, len(s.tax_totals))}/@currencyID",
                a.currency_id,
            )


@RULES.rule("INV103", 112, "Country codes are ISO 3166-1 alpha-2")
def countries(inv: CrossIndustryInvoice, ctx: RuleContext) -> Iterator[Issue]:
    yield from codes.country_code_issues(
        "INV103",
        112,
        (
            (f"{where}/PostalTradeAddress/CountryID", party.address.country_id)
            for where, party in _parties(inv)
            if party.address
        ),
        "not an ISO 3166-1 alpha-2 country code: use the 2-letter code, e.g. RS, ME, DE",
    )
    yield from codes.country_code_issues(
        "INV103",
        112,
        (
            (f"{_line_path(inv, i)}/SpecifiedTradeProduct/OriginTradeCountry/ID", line.product.origin.id)
            for i, line in enumerate(inv.lines, 1)
            if line.product and line.product.origin
        ),
        "origin is not an ISO 3166-1 alpha-2 country code",
    )


@RULES.rule("INV104", 113, "HS classifications have the HS structure")
def hs_codes(inv: CrossIndustryInvoice, ctx: RuleContext) -> Iterator[Issue]:
    for i, line in enumerate(inv.lines, 1):
        classes = line.product.classifications if line.product else []
        for k, c in enumerate(classes, 1):
            if c.class_code and c.class_code.list_id == "HS" and not is_hs_code(c.class_code.value.strip()):
                yield Issue(
                    "INV104",
                    113,
                    "not an HS code: 6 to 10 digits without dots, chapter 01 to 97 (77 is reserved)",
                    f"{_line_path(inv, i)}/SpecifiedTradeProduct/DesignatedProductClassification{_pos(k, len(classes))}/ClassCode",
                    c.class_code.value,
                )


def expected_line_total(line: TradeLineItem) -> Decimal | None:
    """Net price / price basis quantity x billed quantity, plus line charges, minus line allowances (EN 16931 BT-131)."""
    price = line.agreement.net_price if line.agreement else None
    qty = line.delivery.billed_quantity if line.delivery else None
    if not price or not price.charge_amount or not qty:
        return None
    basis = price.basis_quantity.value if price.basis_quantity and price.basis_quantity.value else Decimal(1)
    adjust = sum((ac.signed() for ac in (line.settlement.allowance_charges if line.settlement else [])), Decimal(0))
    return _money(price.charge_amount.value / basis * qty.value + adjust)


@RULES.rule("INV105", 114, "Each line total is price x quantity (with line allowances and charges)")
def line_totals(inv: CrossIndustryInvoice, ctx: RuleContext) -> Iterator[Issue]:
    for i, line in enumerate(inv.lines, 1):
        expected, actual = expected_line_total(line), line.line_total
        if expected is not None and actual is not None and _differs(expected, actual):
            yield Issue(
                "INV105",
                114,
                f"LineTotalAmount should be net price x billed quantity (+ charges - allowances) = {expected}",
                f"{_line_path(inv, i)}/SpecifiedLineTradeSettlement/SpecifiedTradeSettlementLineMonetarySummation/LineTotalAmount",
                str(actual),
            )


@RULES.rule("INV106", 115, "LineTotalAmount is the sum of the line totals (BR-CO-10)")
def sum_of_lines(inv: CrossIndustryInvoice, ctx: RuleContext) -> Iterator[Issue]:
    s = inv.summation
    totals = [line.line_total for line in inv.lines]
    if s and s.line_total and None not in totals:
        total = sum(totals, Decimal(0))
        if _differs(total, s.line_total.value):
            yield Issue(
                "INV106",
                115,
                f"LineTotalAmount must equal the sum of the line totals ({total})",
                f"{SUM}/LineTotalAmount",
                str(s.line_total.value),
            )


def _value(a: Amount | None) -> Decimal:
    return a.value if a else Decimal(0)


@RULES.rule("INV107", 116, "Tax basis, charge and allowance totals add up (BR-CO-11, 12, 13)")
def tax_basis(inv: CrossIndustryInvoice, ctx: RuleContext) -> Iterator[Issue]:
    s, st = inv.summation, inv.settlement
    if not s or not st:
        return
    acs = st.allowance_charges
    for field, alias, wanted in (
        ("charge_total", "ChargeTotalAmount", [a.signed() for a in acs if a.signed() > 0]),
        ("allowance_total", "AllowanceTotalAmount", [-a.signed() for a in acs if a.signed() < 0]),
    ):
        declared = getattr(s, field)
        if (declared is not None or wanted) and _differs(_value(declared), sum(wanted, Decimal(0))):
            yield Issue(
                "INV107",
                116,
                f"{alias} must equal the sum of the document-level {'charges' if 'Charge' in alias else 'allowances'} "
                f"({sum(wanted, Decimal(0))})",
                f"{SUM}/{alias}",
                str(_value(declared)),
            )
    if s.tax_basis_total and s.line_total:
        expected = s.line_total.value - _value(s.allowance_total) + _value(s.charge_total)
        if _differs(expected, s.tax_basis_total.value):
            yield Issue(
                "INV107",
                116,
                f"TaxBasisTotalAmount must be LineTotalAmount - AllowanceTotalAmount + ChargeTotalAmount ({expected})",
                f"{SUM}/TaxBasisTotalAmount",
                str(s.tax_basis_total.value),
            )


@RULES.rule("INV108", 117, "The VAT breakdown adds up to TaxTotalAmount (BR-CO-14)")
def tax_total(inv: CrossIndustryInvoice, ctx: RuleContext) -> Iterator[Issue]:
    st = inv.settlement
    if not st or not inv.summation:
        return
    for i, t in enumerate(st.taxes, 1):
        if t.calculated_amount and t.basis_amount and t.rate_percent is not None:
            expected = _money(t.basis_amount.value * t.rate_percent / 100)
            if _differs(expected, t.calculated_amount.value):
                yield Issue(
                    "INV108",
                    117,
                    f"CalculatedAmount must be BasisAmount x RateApplicablePercent / 100 ({expected})",
                    f"{SETTLE}/ApplicableTradeTax{_pos(i, len(st.taxes))}/CalculatedAmount",
                    str(t.calculated_amount.value),
                )
    declared = inv.tax_total()
    amounts = [t.calculated_amount.value for t in st.taxes if t.calculated_amount]
    if declared is not None and amounts and _differs(declared, sum(amounts, Decimal(0))):
        yield Issue(
            "INV108",
            117,
            f"TaxTotalAmount must equal the sum of the VAT breakdown's CalculatedAmount ({sum(amounts, Decimal(0))})",
            f"{SUM}/TaxTotalAmount",
            str(declared),
        )


@RULES.rule("INV109", 118, "GrandTotalAmount = TaxBasisTotalAmount + TaxTotalAmount (BR-CO-15)")
def grand_total(inv: CrossIndustryInvoice, ctx: RuleContext) -> Iterator[Issue]:
    s = inv.summation
    if s and s.grand_total and s.tax_basis_total:
        expected = s.tax_basis_total.value + (inv.tax_total() or Decimal(0))
        if _differs(expected, s.grand_total.value):
            yield Issue(
                "INV109",
                118,
                f"GrandTotalAmount must be TaxBasisTotalAmount + TaxTotalAmount ({expected})",
                f"{SUM}/GrandTotalAmount",
                str(s.grand_total.value),
            )


@RULES.rule("INV110", 119, "DuePayableAmount = GrandTotalAmount - TotalPrepaidAmount + RoundingAmount (BR-CO-16)")
def due_payable(inv: CrossIndustryInvoice, ctx: RuleContext) -> Iterator[Issue]:
    s = inv.summation
    if s and s.grand_total and s.due_payable:
        expected = s.grand_total.value - _value(s.total_prepaid) + _value(s.rounding)
        if _differs(expected, s.due_payable.value):
            yield Issue(
                "INV110",
                119,
                f"DuePayableAmount must be GrandTotalAmount - TotalPrepaidAmount + RoundingAmount ({expected})",
                f"{SUM}/DuePayableAmount",
                str(s.due_payable.value),
            )


def _dates(inv: CrossIndustryInvoice) -> Iterator[tuple[str, DateTime]]:
    yield f"{DOC}/IssueDateTime/DateTimeString", inv.document.issue_date_time
    dlv = inv.transaction.delivery
    if dlv and dlv.actual_delivery and dlv.actual_delivery.occurrence:
        yield (
            f"{TX}/ApplicableHeaderTradeDelivery/ActualDeliverySupplyChainEvent/OccurrenceDateTime/DateTimeString",
            dlv.actual_delivery.occurrence,
        )
    terms = inv.settlement.payment_terms if inv.settlement else []
    for i, t in enumerate(terms, 1):
        if t.due_date:
            yield f"{SETTLE}/SpecifiedTradePaymentTerms{_pos(i, len(terms))}/DueDateDateTime/DateTimeString", t.due_date


@RULES.rule("INV111", 120, "Dates are real CCYYMMDD dates, and payment is not due before the invoice is issued")
def dates(inv: CrossIndustryInvoice, ctx: RuleContext) -> Iterator[Issue]:
    issued = inv.document.issue_date_time.as_date()
    for pointer, dt in _dates(inv):
        s = dt.date_time_string
        if s is None:
            continue
        d = dt.as_date()
        if d is None:
            yield Issue(
                "INV111",
                120,
                'not a date in format 102 (CCYYMMDD, a real calendar date, format="102")',
                pointer,
                s.value,
            )
        elif "DueDate" in pointer and issued is not None and d < issued:
            yield Issue(
                "INV111",
                120,
                f"the payment due date is before the invoice issue date ({issued:%Y%m%d})",
                pointer,
                s.value,
            )


@RULES.rule("INV112", 121, "Gross weight is not less than net weight")
def weights(inv: CrossIndustryInvoice, ctx: RuleContext) -> Iterator[Issue]:
    for i, line in enumerate(inv.lines, 1):
        d = line.delivery
        if (
            d
            and d.net_weight
            and d.gross_weight
            and d.gross_weight.unit_code == d.net_weight.unit_code
            and d.gross_weight.value < d.net_weight.value
        ):
            yield Issue(
                "INV112",
                121,
                f"gross weight is below the net weight ({d.net_weight.value}): gross weight includes packaging",
                f"{_line_path(inv, i)}/SpecifiedLineTradeDelivery/GrossWeightMeasure",
                str(d.gross_weight.value),
            )


@RULES.rule("INV113", 122, "Party and product identifiers have their published structure")
def identifiers(inv: CrossIndustryInvoice, ctx: RuleContext) -> Iterator[Issue]:
    known = codes.countries() | {"EL"}
    for where, party in _parties(inv):
        for k, reg in enumerate(party.tax_registrations, 1):
            if not reg.id or reg.id.scheme_id != "VA":
                continue
            vat, pointer = (
                reg.id.value.strip(),
                f"{where}/SpecifiedTaxRegistration{_pos(k, len(party.tax_registrations))}/ID",
            )
            if vat[:2] not in known:
                yield Issue(
                    "INV113",
                    122,
                    "a VAT identifier starts with the ISO 3166-1 alpha-2 code of the issuing country (BR-CO-09), e.g. RS101134702",
                    pointer,
                    vat,
                )
            elif vat[:2] == "RS" and not is_valid_rs_pib(vat[2:]):
                yield Issue(
                    "INV113",
                    122,
                    "not a valid Serbian PIB: 9 digits whose last is the ISO 7064 MOD 11,10 check digit",
                    pointer,
                    vat,
                )
        if party.global_id and party.global_id.scheme_id == "0088" and not is_valid_gs1(party.global_id.value.strip()):
            yield Issue(
                "INV113", 122, "not a GLN: 13 digits with a GS1 check digit", f"{where}/GlobalID", party.global_id.value
            )
    for i, line in enumerate(inv.lines, 1):
        gid = line.product.global_id if line.product else None
        if gid and gid.scheme_id == "0160" and not is_valid_gs1(gid.value.strip()):
            yield Issue(
                "INV113",
                122,
                "not a GTIN: 8, 12, 13 or 14 digits with a GS1 check digit",
                f"{_line_path(inv, i)}/SpecifiedTradeProduct/GlobalID",
                gid.value,
            )


@RULES.rule("INV114", 123, "Line ids are unique and every line's VAT category and rate has a header breakdown")
def references(inv: CrossIndustryInvoice, ctx: RuleContext) -> Iterator[Issue]:
    seen: set[str] = set()
    breakdown = {t.key() for t in (inv.settlement.taxes if inv.settlement else [])}
    for i, line in enumerate(inv.lines, 1):
        lid = line.document_line.line_id if line.document_line else None
        if lid is not None:
            if lid in seen:
                yield Issue(
                    "INV114",
                    123,
                    "LineID repeats an earlier line's: give each line its own id",
                    f"{_line_path(inv, i)}/AssociatedDocumentLineDocument/LineID",
                    lid,
                )
            seen.add(lid)
        taxes = line.settlement.taxes if line.settlement else []
        for k, t in enumerate(taxes, 1):
            if t.category_code and t.key() not in breakdown:
                yield Issue(
                    "INV114",
                    123,
                    "no header ApplicableTradeTax has this line's VAT category and rate: add it to the VAT breakdown",
                    f"{_line_path(inv, i)}/SpecifiedLineTradeSettlement/ApplicableTradeTax{_pos(k, len(taxes))}/CategoryCode",
                    f"{t.category_code} {t.rate_percent}",
                )


@RULES.rule("INV115", 124, "Delivery terms are Incoterms 2020")
def incoterms(inv: CrossIndustryInvoice, ctx: RuleContext) -> Iterator[Issue]:
    agr = inv.transaction.agreement
    code = agr.delivery_terms.delivery_type_code if agr and agr.delivery_terms else None
    if code is not None and code not in INCOTERMS:
        yield Issue(
            "INV115",
            124,
            "not an Incoterms 2020 rule: use EXW, FCA, CPT, CIP, DAP, DPU, DDP, FAS, FOB, CFR or CIF",
            f"{AGR}/ApplicableTradeDeliveryTerms/DeliveryTypeCode",
            code,
        )


# -- generator ------------------------------------------------------------------------------------

#: Goods sold by the piece (UN/ECE Rec. 20 H87) with a typical net mass per piece in kg; others are sold by KGM.
PIECE_KG = {
    "847130": Decimal("2.2"),
    "870323": Decimal("1300"),
    "940161": Decimal("18"),
    "640399": Decimal("0.9"),
    "610910": Decimal("0.2"),
    "300490": Decimal("0.05"),
    "220421": Decimal("1.2"),
}
#: Standard VAT rates of the SEED economies (%). RS 20 and ME 21 checked against published sources (ME VAT law
#: summary at legita.me); the others are as commonly reported and not verified here. Exports are zero-rated in
#: all six (OECD Western Balkans competitiveness outlook): EN 16931 category G, "free export item, VAT not charged".
STANDARD_VAT = {
    "AL": Decimal(20),
    "BA": Decimal(17),
    "ME": Decimal(21),
    "MK": Decimal(18),
    "RS": Decimal(20),
    "XK": Decimal(18),
}
#: Units of the invoice currency per euro (BAM is pegged at 1.95583; the others are approximate).
PER_EUR = {
    "EUR": Decimal(1),
    "USD": Decimal("1.08"),
    "RSD": Decimal("117.2"),
    "MKD": Decimal("61.5"),
    "ALL": Decimal("100.5"),
    "BAM": Decimal("1.95583"),
}
NATIONAL_CURRENCY = {"RS": "RSD", "MK": "MKD", "AL": "ALL", "BA": "BAM", "ME": "EUR", "XK": "EUR"}
#: Buyers' countries beyond SEED: a city, its postcode, the company form and the national VAT number's length in digits.
EU_BUYERS = {
    "HR": ("Zagreb", "10000", "d.o.o.", 11),
    "SI": ("Ljubljana", "1000", "d.o.o.", 8),
    "AT": ("Wien", "1010", "GmbH", 8),
    "DE": ("Muenchen", "80331", "GmbH", 9),
    "IT": ("Trieste", "34121", "S.r.l.", 11),
    "GR": ("Thessaloniki", "54625", "A.E.", 9),
    "BG": ("Sofia", "1000", "EOOD", 9),
}
BUYER_COUNTRIES = codes.SEED_COUNTRIES + tuple(EU_BUYERS)


def _tax_number(rng: random.Random, country: str) -> str:
    """A national tax number: the Serbian PIB with its real check digit; elsewhere well-formed digits of the
    national length (their check algorithms are not all public)."""
    if country == "RS":
        body = str(rng.randrange(10_000_000, 100_000_000))
        return body + str(iso7064_mod11_10(body))
    digits = EU_BUYERS[country][3] if country in EU_BUYERS else TAX_ID_DIGITS.get(country, 9)
    number = str(rng.randrange(10 ** (digits - 1), 10**digits))
    return "U" + number if country == "AT" else number  # Austrian VAT numbers are ATU + 8 digits


def _gs1(rng: random.Random, prefix: str, length: int) -> str:
    body = prefix + "".join(str(rng.randrange(10)) for _ in range(length - 1 - len(prefix)))
    return body + str(gs1_check_digit(body))


def _party(rng: random.Random, country: str) -> TradeParty:
    if country in EU_BUYERS:
        city, postcode, form, _ = EU_BUYERS[country]
    else:
        (city, postcode), form = rng.choice(CITIES[country]), COMPANY_FORMS[country]
    name = f"{rng.choice(COMPANY_WORDS)}{rng.choice(COMPANY_WORDS).lower()} {form}"
    vat = "EL" if country == "GR" else country
    return TradeParty(
        global_id=Identifier(value=_gs1(rng, "860", 13), scheme_id="0088") if rng.random() < 0.5 else None,
        name=name,
        address=TradeAddress(
            postcode=postcode,
            line_one=f"Ulica {rng.randint(1, 99)} br. {rng.randint(1, 150)}",
            city_name=city,
            country_id=country,
        ),
        tax_registrations=[TaxRegistration(id=Identifier(value=vat + _tax_number(rng, country), scheme_id="VA"))],
    )


def _line(
    rng: random.Random, index: int, goods: tuple[str, str, Decimal], origin: str, currency: str, tax: TradeTax
) -> TradeLineItem:
    hs, description, per_kg = goods
    fx = PER_EUR[currency]
    if hs in PIECE_KG:
        unit, qty = "H87", Decimal(rng.randint(1, 400 if PIECE_KG[hs] < 5 else 8))
        net_kg = (qty * PIECE_KG[hs]).quantize(Decimal("0.001"))
        price = _money(per_kg * PIECE_KG[hs] * fx * Decimal(rng.uniform(0.8, 1.25)))
    else:
        unit, qty = "KGM", Decimal(rng.randint(100, 4000))  # a truck carries up to about 24 t in all
        net_kg = qty
        price = (per_kg * fx * Decimal(rng.uniform(0.8, 1.25))).quantize(Decimal("0.0001"))
    gross_kg = (net_kg * Decimal(rng.uniform(1.01, 1.15))).quantize(Decimal("0.001"))
    allowances = []
    gross_line = _money(price * qty)
    if rng.random() < 0.2:
        allowances.append(
            TradeAllowanceCharge(
                charge_indicator=Indicator(indicator="false"),
                actual_amount=Amount(value=_money(gross_line * Decimal(rng.choice((2, 3, 5))) / 100)),
                reason="Discount",
            )
        )
    total = gross_line + sum((a.signed() for a in allowances), Decimal(0))
    return TradeLineItem(
        document_line=DocumentLine(line_id=str(index)),
        product=TradeProduct(
            global_id=Identifier(value=_gs1(rng, "860", 13), scheme_id="0160") if rng.random() < 0.4 else None,
            seller_assigned_id=f"ART-{rng.randint(1000, 99999)}",
            name=description.split(",")[0][:60],
            description=description,
            classifications=[ProductClassification(class_code=Code(value=hs, list_id="HS", list_version_id="2022"))],
            origin=TradeCountry(id=origin),
        ),
        agreement=LineTradeAgreement(net_price=TradePrice(charge_amount=Amount(value=price))),
        delivery=LineTradeDelivery(
            billed_quantity=Quantity(value=qty, unit_code=unit),
            net_weight=Quantity(value=net_kg, unit_code="KGM"),
            gross_weight=Quantity(value=gross_kg, unit_code="KGM"),
        ),
        settlement=LineTradeSettlement(
            taxes=[tax], allowance_charges=allowances, summation=LineMonetarySummation(line_total=Amount(value=total))
        ),
    )


def generate(rng: random.Random) -> CrossIndustryInvoice:
    """A commercial invoice from a SEED exporter to a buyer across the border: 1 to 6 lines of real HS goods,
    exempt export (G) or, for some, the seller's standard VAT rate, totals that add up; deterministic per ``rng``."""
    seller_country = rng.choice(codes.SEED_COUNTRIES)
    buyer_country = rng.choice([c for c in BUYER_COUNTRIES if c != seller_country])
    currency = rng.choice(["EUR", "EUR", "EUR", "USD", NATIONAL_CURRENCY[seller_country]])
    issued = date(2026, 1, 1) + timedelta(days=rng.randrange(320))
    if rng.random() < 0.75:
        line_tax = TradeTax(type_code="VAT", category_code="G", rate_percent=Decimal(0))
        exemption = "Export of goods, zero-rated"
    else:
        line_tax = TradeTax(type_code="VAT", category_code="S", rate_percent=STANDARD_VAT[seller_country])
        exemption = None
    goods = rng.sample(GOODS, rng.randint(1, 6))
    lines = [
        _line(rng, i, g, seller_country if rng.random() < 0.9 else rng.choice(codes.SEED_COUNTRIES), currency, line_tax)
        for i, g in enumerate(goods, 1)
    ]
    line_total = sum((ln.line_total for ln in lines), Decimal(0))
    vat = _money(line_total * line_tax.rate_percent / 100)
    grand = line_total + vat
    prepaid = _money(grand * Decimal("0.3")) if rng.random() < 0.15 else None
    buyer = _party(rng, buyer_country)
    ship_to = TradeParty(name=buyer.name, address=buyer.address) if rng.random() < 0.5 else None
    seq = rng.randint(1, 99999)
    return CrossIndustryInvoice(
        context=ExchangedDocumentContext(guideline=[DocumentContextParameter(id=GUIDELINE)]),
        document=ExchangedDocument(
            id=f"{seller_country}-{issued.year}-{seq:05d}", type_code="380", issue_date_time=DateTime.of(issued)
        ),
        transaction=SupplyChainTradeTransaction(
            lines=lines,
            agreement=HeaderTradeAgreement(
                seller=_party(rng, seller_country),
                buyer=buyer,
                delivery_terms=DeliveryTerms(delivery_type_code=rng.choice(INCOTERMS)),
            ),
            delivery=HeaderTradeDelivery(
                ship_to=ship_to,
                actual_delivery=SupplyChainEvent(occurrence=DateTime.of(issued - timedelta(days=rng.randrange(4)))),
            ),
            settlement=HeaderTradeSettlement(
                invoice_currency=currency,
                taxes=[
                    line_tax.model_copy(
                        update={
                            "calculated_amount": Amount(value=vat),
                            "basis_amount": Amount(value=line_total),
                            "exemption_reason": exemption,
                        }
                    )
                ],
                payment_terms=[
                    PaymentTerms(
                        description=f"{(d := rng.choice((15, 30, 60)))} days net",
                        due_date=DateTime.of(issued + timedelta(days=d)),
                    )
                ],
                summation=HeaderMonetarySummation(
                    line_total=Amount(value=line_total),
                    tax_basis_total=Amount(value=line_total),
                    tax_totals=[Amount(value=vat, currency_id=currency)],
                    grand_total=Amount(value=grand),
                    total_prepaid=Amount(value=prepaid) if prepaid is not None else None,
                    due_payable=Amount(value=grand - (prepaid or 0)),
                ),
            ),
        ),
    )


COMMERCIAL_INVOICE = MessageType(
    name="CommercialInvoice",
    ce_type="org.seedsim.c2c.commercial-invoice.v1",
    schema=SCHEMA,
    element=DOCUMENT.element,
    read=read,
    write=write,
    description="The commercial invoice of a consignment (UN/CEFACT Cross Industry Invoice D16B, SEED profile), "
    "compared with the declaration's value, HS codes, origin and masses.",
    rules=RULES,
    generate=generate,
)

MESSAGE_TYPES = [COMMERCIAL_INVOICE]
