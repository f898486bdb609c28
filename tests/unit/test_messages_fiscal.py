"""CashDeclaration and VatRefundExportProof: lossless XML, generated documents valid, every rule
fires where it should, catalogue detection."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest

from seedsim.conformance import validate_document
from seedsim.core.declaration import Amount
from seedsim.core.identifiers import make_mrn
from seedsim.core.validation import RuleContext, compiled_schema
from seedsim.core.xml_safety import parse_untrusted
from seedsim.message_catalogue import CATALOGUE
from seedsim.messages.fiscal import (
    CASH_DECLARATION,
    CASH_RULES,
    VAT_REFUND_EXPORT_PROOF,
    VAT_RULES,
    CashDeclaration,
    CashItem,
    Traveller,
    VatRefundExportProof,
)

TYPES = [CASH_DECLARATION, VAT_REFUND_EXPORT_PROOF]


@pytest.mark.parametrize("mt", TYPES, ids=lambda m: m.name)
def test_schema_compiles(mt):
    compiled_schema(mt.schema)


@pytest.mark.parametrize("mt", TYPES, ids=lambda m: m.name)
def test_round_trip_and_validity_over_generated_documents(mt):
    for seed in range(200):
        doc = mt.generate(random.Random(seed))
        xml = mt.write(doc)
        assert xml.startswith(b"<?xml")
        assert mt.read(parse_untrusted(xml)) == doc, seed
        report = validate_document(xml)
        assert report.message_type == mt.name
        assert report.valid and not report.report.issues, (seed, [str(i) for i in report.report.issues])


@pytest.mark.parametrize("mt", TYPES, ids=lambda m: m.name)
def test_generator_is_deterministic(mt):
    assert mt.generate(random.Random(7)) == mt.generate(random.Random(7))


@pytest.mark.parametrize("mt", TYPES, ids=lambda m: m.name)
def test_catalogue_detects_the_type(mt):
    root = parse_untrusted(mt.write(mt.generate(random.Random(1))))
    assert CATALOGUE.detect(root) == [mt]
    assert CATALOGUE.by_ce_type(mt.ce_type) is mt


# -- cash declaration ----------------------------------------------------------------------------


def _cash() -> CashDeclaration:
    """A generated declaration with a EUR item and a USD item, and no "other" provenance or use."""
    for seed in range(1000):
        d = CASH_DECLARATION.generate(random.Random(seed))
        if (
            len(d.cash_items) >= 2
            and d.cash_items[1].eur_amount
            and "OTHER" not in d.provenance_codes + d.intended_use_codes
        ):
            return d
    raise AssertionError("no suitable generated declaration")


def _cash_item(d: CashDeclaration, pos: int, **change) -> CashDeclaration:
    items = list(d.cash_items)
    items[pos] = items[pos].model_copy(update=change)
    return d.model_copy(update={"cash_items": items})


CASH_CASES = {
    "CSH101": (
        lambda d: _cash_item(d, 1, amount=Amount(value=Decimal(500), currency_id="DIN")),
        "/CashDeclaration/CashItem[2]/Amount/@currencyID",
    ),
    "CSH102": (
        lambda d: _cash_item(d, 0, amount=Amount(value=Decimal(0), currency_id="EUR")),
        "/CashDeclaration/CashItem[1]/Amount",
    ),
    "CSH103": (lambda d: _cash_item(d, 1, eur_amount=None), "/CashDeclaration/CashItem[2]/EURAmount"),
    "CSH104": (
        lambda d: d.model_copy(
            update={
                "cash_items": [
                    CashItem(
                        sequence_numeric=1, type_code="CURRENCY", amount=Amount(value=Decimal(9999), currency_id="EUR")
                    )
                ],
                "total_eur": Amount(value=Decimal(9999), currency_id="EUR"),
            }
        ),
        "/CashDeclaration/TotalEURAmount",
    ),
    "CSH105": (
        lambda d: d.model_copy(update={"carrier": d.carrier.model_copy(update={"identity_document": None})}),
        "/CashDeclaration/Carrier/IdentityDocument",
    ),
    "CSH106": (
        lambda d: d.model_copy(
            update={"transport": d.transport.model_copy(update={"transit_country_codes": ["HR", "YU"]})}
        ),
        "/CashDeclaration/Transport/TransitCountryCode[2]",
    ),
    "CSH107": (
        lambda d: d.model_copy(
            update={
                "transport": d.transport.model_copy(
                    update={"arrival_date": d.transport.departure_date - timedelta(days=1)}
                )
            }
        ),
        "/CashDeclaration/Transport/ArrivalDate",
    ),
    "CSH108": (
        lambda d: d.model_copy(update={"transport": d.transport.model_copy(update={"mode_code": "10"})}),
        "/CashDeclaration/Transport/ModeCode",
    ),
    "CSH109": (
        lambda d: d.model_copy(update={"intended_use_codes": ["OTHER"], "intended_use_description": None}),
        "/CashDeclaration/IntendedUseDescription",
    ),
}

# -- VAT-refund export proof ---------------------------------------------------------------------


def _proof(tourist: bool = False) -> VatRefundExportProof:
    for seed in range(1000):
        p = VAT_REFUND_EXPORT_PROOF.generate(random.Random(seed))
        if (p.traveller is not None) is tourist and len(p.goods_items) >= 2:
            return p
    raise AssertionError("no suitable generated proof")


def _vat_item(p: VatRefundExportProof, pos: int, **change) -> VatRefundExportProof:
    items = list(p.goods_items)
    items[pos] = items[pos].model_copy(update=change)
    return p.model_copy(update={"goods_items": items})


def _declaration(p: VatRefundExportProof, **change) -> VatRefundExportProof:
    return p.model_copy(update={"export_declaration": p.export_declaration.model_copy(update=change)})


VAT_CASES = {
    "VAT101": (
        lambda p: _declaration(p, mrn=make_mrn(2025, "RS", "000000000001", "R")),
        "/VatRefundExportProof/ExportDeclaration/ID",
    ),
    "VAT102": (
        lambda p: p.model_copy(
            update={"exit_date": date.today() + timedelta(days=30), "issue_date": date.today() + timedelta(days=30)}
        ),
        "/VatRefundExportProof/ExitDate",
    ),
    "VAT103": (
        lambda p: _declaration(p, goods_item_quantity=1),
        "/VatRefundExportProof/ExportDeclaration/GoodsItemQuantity",
    ),
    "VAT104": (
        lambda p: _vat_item(p, 1, value=Amount(value=Decimal(10), currency_id="DIN")),
        "/VatRefundExportProof/GoodsItem[2]/ValueAmount/@currencyID",
    ),
    "VAT105": (
        lambda p: p.model_copy(update={"exit_office_id": "HR000001" if p.exit_office_id[:2] != "HR" else "AT000001"}),
        "/VatRefundExportProof/ExitOfficeID",
    ),
    "VAT106": (lambda p: _vat_item(p, 0, hs_code="0811"), "/VatRefundExportProof/GoodsItem[1]/ClassificationID"),
    "VAT107": (lambda p: _vat_item(p, 1, invoice_id="NO-SUCH-INVOICE"), "/VatRefundExportProof/GoodsItem[2]/InvoiceID"),
    "VAT301": (
        lambda p: p.model_copy(
            update={
                "traveller": Traveller(name="Anna Weber", identity_document_id="C01X00T47", residence_country_code="DE")
            }
        ),
        "/VatRefundExportProof/TaxFreeFormID",
    ),
}

ALL = [(CASH_RULES, _cash, rule, *case) for rule, case in CASH_CASES.items()] + [
    (VAT_RULES, _proof, rule, *case) for rule, case in VAT_CASES.items()
]


def test_the_base_documents_are_clean():
    assert CASH_RULES.run(_cash(), RuleContext()) == []
    assert VAT_RULES.run(_proof(), RuleContext()) == []
    assert VAT_RULES.run(_proof(tourist=True), RuleContext()) == []


def test_every_rule_has_a_case():
    assert {r.id for r in CASH_RULES.rules} == set(CASH_CASES)
    assert {r.id for r in VAT_RULES.rules} == set(VAT_CASES)


@pytest.mark.parametrize("rules, base, rule, breaks, pointer", ALL, ids=[a[2] for a in ALL])
def test_rule_fires_with_pointer(rules, base, rule, breaks, pointer):
    issues = [i for i in rules.run(breaks(base()), RuleContext()) if i.rule == rule]
    assert issues, rule
    assert issues[0].pointer == pointer
    assert issues[0].severity == ("warning" if rule == "CSH104" else "error")
    assert issues[0].message


def test_mrn_check_character_is_checked():
    p = _proof()
    mrn = p.export_declaration.mrn
    wrong = mrn[:17] + str((int(mrn[17]) + 1) % 10)
    issues = VAT_RULES.run(_declaration(p, mrn=wrong), RuleContext())
    assert [(i.rule, i.value) for i in issues] == [("VAT101", wrong)] and "check character" in issues[0].message


def test_tourist_resident_in_the_exporting_country_is_refused():
    p = _proof(tourist=True)
    home = p.export_declaration.mrn[2:4]
    bad = p.model_copy(update={"traveller": p.traveller.model_copy(update={"residence_country_code": home})})
    assert [(i.rule, i.pointer) for i in VAT_RULES.run(bad, RuleContext())] == [
        ("VAT301", "/VatRefundExportProof/Traveller/ResidenceCountryCode")
    ]


def test_exit_before_acceptance():
    p = _proof()
    bad = _declaration(p, acceptance_date=p.exit_date + timedelta(days=1))
    assert [(i.rule, i.pointer) for i in VAT_RULES.run(bad, RuleContext())] == [
        ("VAT102", "/VatRefundExportProof/ExitDate")
    ]
