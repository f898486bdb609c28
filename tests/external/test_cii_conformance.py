"""Conformance with the real UN/CEFACT Cross Industry Invoice D16B (uncoupled code lists, the variant the
EN 16931 validation artefacts use), from ``uncefact-cii-d16b`` under SEEDSIM_EXTERNAL.

(a) every generated SEED invoice is a valid CII D16B document;
(b) every sample invoice there is read by seedsim's model with the same parties, lines and amounts as
    an independent XPath reading of the file, although the samples carry far more than the SEED profile.
"""

from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from seedsim.messages.invoice import generate, read, write

pytestmark = pytest.mark.external

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}
ENTRY = "xsd/uncoupled-clm/uncefact/data/standard/CrossIndustryInvoice_100pD16B.xsd"


def folder(external: Path) -> Path:
    return external / "uncefact-cii-d16b"


def samples(external: Path) -> list[Path]:
    return sorted((folder(external) / "samples").glob("*.xml"))


def test_generated_invoices_validate_against_cii_d16b(external):
    schema = etree.XMLSchema(etree.parse(str(folder(external) / ENTRY), etree.XMLParser(no_network=True)))
    for seed in range(200):
        doc = etree.fromstring(write(generate(random.Random(seed))))
        assert schema.validate(doc), (seed, [str(e) for e in schema.error_log][:5])


def test_all_fifteen_samples_are_there(external):
    assert len(samples(external)) == 15


def _dec(values: list[str]) -> Decimal | None:
    return Decimal(values[0].strip()) if values else None


def xpath_reading(path: Path) -> dict:
    """What the file says, read with XPath only, independently of seedsim's model."""
    root = etree.parse(str(path)).getroot()

    def x(el, p):
        return el.xpath(p, namespaces=NS)

    def first(el, p):
        v = x(el, p)
        return v[0].strip() if v else None

    def party(role):
        p = x(root, f"rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement/ram:{role}")
        if not p:
            return None
        p = p[0]
        return {
            "name": first(p, "ram:Name/text()"),
            "id": first(p, "ram:ID/text()"),
            "global_id": first(p, "ram:GlobalID/text()"),
            "global_scheme": first(p, "ram:GlobalID/@schemeID"),
            "country": first(p, "ram:PostalTradeAddress/ram:CountryID/text()"),
            "tax_ids": [t.strip() for t in x(p, "ram:SpecifiedTaxRegistration/ram:ID/text()")],
        }

    lines = []
    for li in x(root, "rsm:SupplyChainTradeTransaction/ram:IncludedSupplyChainTradeLineItem"):
        lines.append(
            {
                "id": first(li, "ram:AssociatedDocumentLineDocument/ram:LineID/text()"),
                "name": first(li, "ram:SpecifiedTradeProduct/ram:Name/text()"),
                "net_price": _dec(
                    x(li, "ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:ChargeAmount/text()")
                ),
                "basis_quantity": _dec(
                    x(li, "ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:BasisQuantity/text()")
                ),
                "quantity": _dec(x(li, "ram:SpecifiedLineTradeDelivery/ram:BilledQuantity/text()")),
                "unit": first(li, "ram:SpecifiedLineTradeDelivery/ram:BilledQuantity/@unitCode"),
                "line_total": _dec(
                    x(
                        li,
                        "ram:SpecifiedLineTradeSettlement/ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount/text()",
                    )
                ),
                "vat": [
                    (first(t, "ram:CategoryCode/text()"), _dec(x(t, "ram:RateApplicablePercent/text()")))
                    for t in x(li, "ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax")
                ],
            }
        )
    settle = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement"
    ms = f"{settle}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
    return {
        "id": first(root, "rsm:ExchangedDocument/ram:ID/text()"),
        "type_code": first(root, "rsm:ExchangedDocument/ram:TypeCode/text()"),
        "issued": first(root, "rsm:ExchangedDocument/ram:IssueDateTime/*/text()"),
        "seller": party("SellerTradeParty"),
        "buyer": party("BuyerTradeParty"),
        "lines": lines,
        "currency": first(root, f"{settle}/ram:InvoiceCurrencyCode/text()"),
        "totals": {
            name: _dec(x(root, f"{ms}/ram:{name}/text()"))
            for name in (
                "LineTotalAmount",
                "ChargeTotalAmount",
                "AllowanceTotalAmount",
                "TaxBasisTotalAmount",
                "RoundingAmount",
                "GrandTotalAmount",
                "TotalPrepaidAmount",
                "DuePayableAmount",
            )
        },
        "tax_totals": [(Decimal(a.text.strip()), a.get("currencyID")) for a in x(root, f"{ms}/ram:TaxTotalAmount")],
        "vat_breakdown": [
            (
                first(t, "ram:CategoryCode/text()"),
                _dec(x(t, "ram:BasisAmount/text()")),
                _dec(x(t, "ram:CalculatedAmount/text()")),
            )
            for t in x(root, f"{settle}/ram:ApplicableTradeTax")
        ],
    }


def model_reading(path: Path) -> dict:
    """The same facts, as seedsim's model reads them."""
    m = read(etree.parse(str(path)).getroot())
    agr = m.transaction.agreement

    def party(p):
        if p is None:
            return None
        return {
            "name": p.name,
            "id": p.id.value if p.id else None,
            "global_id": p.global_id.value if p.global_id else None,
            "global_scheme": p.global_id.scheme_id if p.global_id else None,
            "country": p.address.country_id if p.address else None,
            "tax_ids": [t.id.value for t in p.tax_registrations if t.id],
        }

    def value(a):
        return a.value if a is not None else None

    lines = []
    for li in m.lines:
        price = li.agreement.net_price if li.agreement else None
        qty = li.delivery.billed_quantity if li.delivery else None
        lines.append(
            {
                "id": li.document_line.line_id if li.document_line else None,
                "name": li.product.name if li.product else None,
                "net_price": value(price.charge_amount) if price else None,
                "basis_quantity": value(price.basis_quantity) if price else None,
                "quantity": value(qty),
                "unit": qty.unit_code if qty else None,
                "line_total": li.line_total,
                "vat": [(t.category_code, t.rate_percent) for t in (li.settlement.taxes if li.settlement else [])],
            }
        )
    s = m.summation
    return {
        "id": m.document.id,
        "type_code": m.document.type_code,
        "issued": m.document.issue_date_time.date_time_string.value
        if m.document.issue_date_time.date_time_string
        else None,
        "seller": party(agr.seller if agr else None),
        "buyer": party(agr.buyer if agr else None),
        "lines": lines,
        "currency": m.currency,
        "totals": {
            "LineTotalAmount": value(s.line_total),
            "ChargeTotalAmount": value(s.charge_total),
            "AllowanceTotalAmount": value(s.allowance_total),
            "TaxBasisTotalAmount": value(s.tax_basis_total),
            "RoundingAmount": value(s.rounding),
            "GrandTotalAmount": value(s.grand_total),
            "TotalPrepaidAmount": value(s.total_prepaid),
            "DuePayableAmount": value(s.due_payable),
        },
        "tax_totals": [(a.value, a.currency_id) for a in s.tax_totals],
        "vat_breakdown": [
            (t.category_code, value(t.basis_amount), value(t.calculated_amount)) for t in m.settlement.taxes
        ],
    }


@pytest.fixture(params=range(15), ids=lambda i: f"sample{i + 1}")
def sample(request, external) -> Path:
    return samples(external)[request.param]


def test_sample_is_read_without_loss(sample):
    expected, got = xpath_reading(sample), model_reading(sample)
    assert got["lines"], "every sample has lines"
    for key in expected:
        assert got[key] == expected[key], (sample.name, key)
