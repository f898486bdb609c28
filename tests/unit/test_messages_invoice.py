"""The commercial invoice (UN/CEFACT CII D16B, SEED profile): lossless XML, valid generated instances,
every rule firing where it should, and recognition by the catalogue."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from lxml import etree

from seedsim.conformance import validate_document
from seedsim.core.validation import RuleContext, compiled_schema
from seedsim.message_catalogue import CATALOGUE
from seedsim.messages import invoice as inv
from seedsim.messages.invoice import COMMERCIAL_INVOICE, RAM, RSM, UDT, DateTime, generate, read, write

SEEDS = range(200)
L = "/CrossIndustryInvoice/SupplyChainTradeTransaction/IncludedSupplyChainTradeLineItem"
SUM = "/CrossIndustryInvoice/SupplyChainTradeTransaction/ApplicableHeaderTradeSettlement/SpecifiedTradeSettlementHeaderMonetarySummation"
AGR = "/CrossIndustryInvoice/SupplyChainTradeTransaction/ApplicableHeaderTradeAgreement"


def gen(
    seed: int = 7, lines: int = 2, category: str | None = None, seller: str | None = None
) -> inv.CrossIndustryInvoice:
    """A generated invoice with at least ``lines`` lines (and the given VAT category or seller country)."""
    for s in range(seed, seed + 1000):
        m = generate(random.Random(s))
        if (
            len(m.lines) >= lines
            and category in (None, m.settlement.taxes[0].category_code)
            and seller in (None, m.transaction.agreement.seller.address.country_id)
        ):
            return m
    raise AssertionError("no such invoice")


def test_round_trip_is_lossless():
    for seed in SEEDS:
        m = generate(random.Random(seed))
        assert read(etree.fromstring(write(m))) == m, seed


def test_generation_is_deterministic():
    assert write(generate(random.Random(42))) == write(generate(random.Random(42)))


def test_every_generated_invoice_is_valid():
    for seed in SEEDS:
        report = validate_document(write(generate(random.Random(seed))))
        assert report.message_type == "CommercialInvoice"
        assert report.valid, (seed, [str(i) for i in report.report.issues])


def test_document_uses_the_standard_prefixes():
    root = etree.fromstring(write(gen()))
    assert {k: v for k, v in root.nsmap.items() if k in ("rsm", "ram", "udt")} == {"rsm": RSM, "ram": RAM, "udt": UDT}
    assert root[0].tag == f"{{{RSM}}}ExchangedDocumentContext"
    assert root[0][0].tag == f"{{{RAM}}}GuidelineSpecifiedDocumentContextParameter"
    assert compiled_schema(COMMERCIAL_INVOICE.schema).validate(root)


def test_catalogue_detects_the_invoice():
    root = etree.fromstring(write(gen()))
    assert CATALOGUE.detect(root) == [COMMERCIAL_INVOICE]
    assert CATALOGUE.by_ce_type("org.seedsim.c2c.commercial-invoice.v1") is COMMERCIAL_INVOICE


def test_identifier_check_digits():
    assert inv.is_valid_rs_pib("101134702")  # the published example PIB
    assert not inv.is_valid_rs_pib("101134703")
    assert inv.is_valid_gs1("5790000436101") and not inv.is_valid_gs1("5790000436102")
    assert inv.is_hs_code("080810") and inv.is_hs_code("8471300000")
    assert not inv.is_hs_code("770100") and not inv.is_hs_code("98010") and not inv.is_hs_code("0808.10")


# -- every rule fires on a targeted broken instance, at the right place -------------------------


def _type_code(m):
    m.document.type_code = "325"


def _currency(m):
    m.settlement.invoice_currency = "EUX"


def _country(m):
    m.transaction.agreement.seller.address.country_id = "YU"


def _hs(m):
    m.lines[1].product.classifications[0].class_code.value = "7701"


def _line_total(m):
    m.lines[0].settlement.summation.line_total.value += 1
    m.summation.line_total.value += 1  # keep the sum right: only INV105 fires
    m.summation.tax_basis_total.value += 1
    for t in m.settlement.taxes:
        t.basis_amount.value += 1
    m.summation.grand_total.value += 1
    m.summation.due_payable.value += 1


def _sum_of_lines(m):
    m.summation.line_total.value += 5


def _tax_basis(m):
    m.summation.charge_total = inv.Amount(value=Decimal("12.00"))


def _tax_total(m):
    m.summation.tax_totals[0].value += 3


def _grand_total(m):
    m.summation.grand_total.value -= m.tax_total()
    m.summation.due_payable.value -= m.tax_total()


def _due_payable(m):
    m.summation.due_payable.value -= 1


def _bad_date(m):
    m.document.issue_date_time.date_time_string.value = "20260231"


def _due_before_issue(m):
    m.settlement.payment_terms[0].due_date = DateTime.of(m.document.issue_date_time.as_date().replace(year=2025))


def _weights(m):
    d = m.lines[1].delivery
    d.gross_weight.value = d.net_weight.value / 2


def _vat_prefix(m):
    m.transaction.agreement.buyer.tax_registrations[0].id.value = "QQ12345678"


def _pib(m):
    reg = m.transaction.agreement.seller.tax_registrations[0].id
    reg.value = reg.value[:-1] + str((int(reg.value[-1]) + 1) % 10)


def _gln(m):
    m.transaction.agreement.seller.global_id = inv.Identifier(value="8600000000001", scheme_id="0088")


def _line_ids(m):
    m.lines[1].document_line.line_id = m.lines[0].document_line.line_id


def _tax_reference(m):
    m.lines[1].settlement.taxes[0] = m.lines[1].settlement.taxes[0].model_copy(update={"rate_percent": Decimal(10)})


def _incoterm(m):
    m.transaction.agreement.delivery_terms = inv.DeliveryTerms(delivery_type_code="DAF")


BROKEN = [
    (_type_code, "INV101", "/CrossIndustryInvoice/ExchangedDocument/TypeCode", {}),
    (
        _currency,
        "INV102",
        "/CrossIndustryInvoice/SupplyChainTradeTransaction/ApplicableHeaderTradeSettlement/InvoiceCurrencyCode",
        {},
    ),
    (_country, "INV103", f"{AGR}/SellerTradeParty/PostalTradeAddress/CountryID", {}),
    (_hs, "INV104", f"{L}[2]/SpecifiedTradeProduct/DesignatedProductClassification/ClassCode", {}),
    (
        _line_total,
        "INV105",
        f"{L}[1]/SpecifiedLineTradeSettlement/SpecifiedTradeSettlementLineMonetarySummation/LineTotalAmount",
        {"category": "G"},
    ),
    (_sum_of_lines, "INV106", f"{SUM}/LineTotalAmount", {}),  # INV107 too: the tax basis no longer follows
    (_tax_basis, "INV107", f"{SUM}/ChargeTotalAmount", {}),
    (_tax_total, "INV108", f"{SUM}/TaxTotalAmount", {}),  # INV109 too: the grand total no longer follows
    (_grand_total, "INV109", f"{SUM}/GrandTotalAmount", {"category": "S"}),
    (_due_payable, "INV110", f"{SUM}/DuePayableAmount", {}),
    (_bad_date, "INV111", "/CrossIndustryInvoice/ExchangedDocument/IssueDateTime/DateTimeString", {}),
    (
        _due_before_issue,
        "INV111",
        "/CrossIndustryInvoice/SupplyChainTradeTransaction/ApplicableHeaderTradeSettlement/SpecifiedTradePaymentTerms/DueDateDateTime/DateTimeString",
        {},
    ),
    (_weights, "INV112", f"{L}[2]/SpecifiedLineTradeDelivery/GrossWeightMeasure", {}),
    (_vat_prefix, "INV113", f"{AGR}/BuyerTradeParty/SpecifiedTaxRegistration/ID", {}),
    (_pib, "INV113", f"{AGR}/SellerTradeParty/SpecifiedTaxRegistration/ID", {"seller": "RS"}),
    (_gln, "INV113", f"{AGR}/SellerTradeParty/GlobalID", {}),
    (_line_ids, "INV114", f"{L}[2]/AssociatedDocumentLineDocument/LineID", {}),
    (_tax_reference, "INV114", f"{L}[2]/SpecifiedLineTradeSettlement/ApplicableTradeTax/CategoryCode", {}),
    (_incoterm, "INV115", f"{AGR}/ApplicableTradeDeliveryTerms/DeliveryTypeCode", {}),
]


#: a broken total also breaks the total computed from it
CONSEQUENCES = {"INV106": {"INV107"}, "INV108": {"INV109"}}


@pytest.mark.parametrize("breaker,rule,pointer,want", BROKEN, ids=[f"{b[1]}-{b[0].__name__}" for b in BROKEN])
def test_rule_fires_with_pointer(breaker, rule, pointer, want):
    m = gen(**want)
    assert inv.RULES.run(m, RuleContext()) == []
    breaker(m)
    issues = inv.RULES.run(m, RuleContext())
    assert {i.rule for i in issues} == {rule} | CONSEQUENCES.get(rule, set()), [str(i) for i in issues]
    assert pointer in [i.pointer for i in issues if i.rule == rule], [str(i) for i in issues]
    # the pointer finds the element in the written document
    doc = etree.fromstring(write(m))
    steps = "/".join(
        f"*[local-name()='{s.split('[')[0]}']" + (f"[{s.split('[')[1]}" if "[" in s else "")
        for s in pointer.split("/")[2:]
    )
    assert doc.xpath(steps), pointer


def test_rules_cover_every_registered_id():
    assert {r.id for r in inv.RULES.rules} == {b[1] for b in BROKEN}


def test_line_total_honours_price_basis_quantity_and_allowances():
    m = gen()
    line = m.lines[0]
    price = line.agreement.net_price
    price.charge_amount.value *= 100
    price.basis_quantity = inv.Quantity(value=Decimal(100), unit_code=line.delivery.billed_quantity.unit_code)
    assert list(inv.line_totals(m, RuleContext())) == []
