"""ATACarnet: lossless XML, generated carnets valid, every rule fires where it should, catalogue detection."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

import pytest

from seedsim.conformance import validate_document
from seedsim.core.validation import RuleContext, compiled_schema
from seedsim.core.xml_safety import parse_untrusted
from seedsim.message_catalogue import CATALOGUE
from seedsim.messages.ata import (
    ATA_CARNET,
    EXPORTATION,
    IMPORTATION,
    REEXPORTATION,
    RULES,
    ATACarnet,
    Voucher,
    generate,
    hs_code_problem,
    read,
    write,
)


def test_schema_compiles():
    compiled_schema(ATA_CARNET.schema)


def test_round_trip_and_validity_over_generated_carnets():
    kinds = set()
    for seed in range(200):
        carnet = generate(random.Random(seed))
        kinds.add(carnet.voucher.type_code)
        xml = write(carnet)
        assert xml.startswith(b"<?xml")
        assert read(parse_untrusted(xml)) == carnet, seed
        report = validate_document(xml)
        assert report.message_type == "ATACarnet"
        assert report.valid and not report.report.issues, (seed, [str(i) for i in report.report.issues])
    assert kinds == {"EXPORTATION", "IMPORTATION", "REEXPORTATION", "REIMPORTATION", "TRANSIT"}


def test_generator_is_deterministic():
    assert generate(random.Random(7)) == generate(random.Random(7))


def test_catalogue_detects_the_type():
    root = parse_untrusted(write(generate(random.Random(1))))
    assert [m.name for m in CATALOGUE.detect(root)] == ["ATACarnet"]
    assert CATALOGUE.by_ce_type("org.seedsim.c2c.ata-carnet.v1") is ATA_CARNET


def _base() -> ATACarnet:
    """A carnet issued in RS with two listed items, exported from RS and now imported into ME."""
    seed = next(
        s for s in range(1000) if len((c := generate(random.Random(s))).goods_items) >= 2 and c.issuing_country == "RS"
    )
    c = generate(random.Random(seed))
    day = c.issue_date + timedelta(days=10)
    export = Voucher(
        type_code=EXPORTATION,
        colour_code="YELLOW",
        counterfoil_numeric=1,
        goods_item_refs=[1, 2],
        customs_office_id="RS015003",
        action_date=day,
    )
    import_ = Voucher(
        type_code=IMPORTATION,
        colour_code="WHITE",
        counterfoil_numeric=1,
        goods_item_refs=[1, 2],
        customs_office_id="ME200012",
        action_date=day + timedelta(days=1),
        final_reexportation_date=day + timedelta(days=90),
    )
    return c.model_copy(update={"used_vouchers": [export], "voucher": import_})


def _voucher(c: ATACarnet, **change) -> ATACarnet:
    return c.model_copy(update={"voucher": c.voucher.model_copy(update=change)})


def _item(c: ATACarnet, **change) -> ATACarnet:
    return c.model_copy(update={"goods_items": [c.goods_items[0].model_copy(update=change), *c.goods_items[1:]]})


CASES = {
    "ATA101": (lambda c: c.model_copy(update={"carnet_id": "RS-12"}), "/ATACarnet/CarnetID"),
    "ATA102": (
        lambda c: c.model_copy(update={"expiry_date": c.issue_date + timedelta(days=400)}),
        "/ATACarnet/ExpiryDate",
    ),
    "ATA103": (
        lambda c: _voucher(c, action_date=c.expiry_date + timedelta(days=1), final_reexportation_date=None),
        "/ATACarnet/Voucher/ActionDate",
    ),
    "ATA104": (lambda c: _voucher(c, final_reexportation_date=None), "/ATACarnet/Voucher/FinalReexportationDate"),
    "ATA105": (lambda c: _voucher(c, goods_item_refs=[1, 99]), "/ATACarnet/Voucher/GoodsItemSequenceNumeric[2]"),
    "ATA106": (
        lambda c: c.model_copy(update={"total_value": c.total_value.model_copy(update={"value": Decimal("1.00")})}),
        "/ATACarnet/TotalValueAmount",
    ),
    "ATA107": (lambda c: _item(c, origin_country_code="QQ"), "/ATACarnet/GoodsItem[1]/OriginCountryCode"),
    "ATA108": (lambda c: _item(c, hs_code="770100"), "/ATACarnet/GoodsItem[1]/ClassificationID"),
    "ATA109": (lambda c: _voucher(c, colour_code="BLUE"), "/ATACarnet/Voucher/ColourCode"),
    "ATA110": (lambda c: _voucher(c, customs_office_id="ME12"), "/ATACarnet/Voucher/CustomsOfficeID"),
    "ATA201": (
        lambda c: _voucher(c, type_code=REEXPORTATION, final_reexportation_date=None, customs_office_id="AL100100"),
        "/ATACarnet/Voucher/TypeCode",
    ),
    "ATA202": (
        lambda c: c.model_copy(
            update={"used_vouchers": [c.used_vouchers[0].model_copy(update={"customs_office_id": "ME200012"})]}
        ),
        "/ATACarnet/UsedVoucher[1]/CustomsOfficeID",
    ),
}


def test_the_base_carnet_is_clean():
    assert RULES.run(_base(), RuleContext()) == []


def test_every_rule_has_a_case():
    assert {r.id for r in RULES.rules} == set(CASES)


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_fires_with_pointer(rule):
    breaks, pointer = CASES[rule]
    issues = [i for i in RULES.run(breaks(_base()), RuleContext()) if i.rule == rule]
    assert issues, rule
    assert issues[0].pointer == pointer and issues[0].severity == "error"
    assert issues[0].message


def test_reexportation_of_an_item_never_imported():
    c = _base()
    c = c.model_copy(
        update={
            "used_vouchers": [*c.used_vouchers, c.voucher.model_copy(update={"goods_item_refs": [1]})],
            "voucher": Voucher(
                type_code=REEXPORTATION,
                colour_code="WHITE",
                counterfoil_numeric=1,
                goods_item_refs=[1, 2],
                customs_office_id="ME200012",
                action_date=c.voucher.action_date + timedelta(days=3),
            ),
        }
    )
    issues = RULES.run(c, RuleContext())
    assert [(i.rule, i.pointer, i.value) for i in issues] == [
        ("ATA201", "/ATACarnet/Voucher/GoodsItemSequenceNumeric[2]", "2")
    ]


def test_carnet_number_must_carry_the_issuing_country():
    issues = RULES.run(_base().model_copy(update={"carnet_id": "AL1234567"}), RuleContext())
    assert [i.rule for i in issues] == ["ATA101"] and "RS" in issues[0].message


@pytest.mark.parametrize(
    "code, ok",
    [("852589", True), ("8471300000", True), ("0101", False), ("770100", False), ("980000", False), ("85258x", False)],
)
def test_hs_code_structure(code, ok):
    assert (hs_code_problem(code) is None) is ok
