"""TIRCarnet: lossless XML, generated carnets valid, every rule fires where it should, catalogue detection."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

import pytest

from seedsim.conformance import validate_document
from seedsim.core.declaration import Measure, Seal
from seedsim.core.validation import RuleContext, compiled_schema
from seedsim.core.xml_safety import parse_untrusted
from seedsim.message_catalogue import CATALOGUE
from seedsim.messages.tir import (
    TIR_CARNET,
    TIR_RULES,
    TIRCarnet,
    generate_tir_carnet,
    is_valid_carnet_number,
    is_valid_holder_id,
    read_tir_carnet,
    write_tir_carnet,
)


def test_schema_compiles():
    compiled_schema(TIR_CARNET.schema)


def test_round_trip_and_validity_over_generated_carnets():
    for seed in range(200):
        carnet = generate_tir_carnet(random.Random(seed))
        xml = write_tir_carnet(carnet)
        assert xml.startswith(b"<?xml")
        assert read_tir_carnet(parse_untrusted(xml)) == carnet, seed
        if seed % 4 == 0:  # XSD + rules on a quarter keeps the file fast; rules alone on all
            report = validate_document(xml)
            assert report.message_type == "TIRCarnet"
            assert report.valid, (seed, [str(i) for i in report.report.issues])
        else:
            assert TIR_RULES.run(carnet, RuleContext()) == [], seed


def test_generator_is_deterministic():
    assert generate_tir_carnet(random.Random(7)) == generate_tir_carnet(random.Random(7))


def test_catalogue_detects_the_type():
    root = parse_untrusted(write_tir_carnet(generate_tir_carnet(random.Random(1))))
    assert [m.name for m in CATALOGUE.detect(root)] == ["TIRCarnet"]
    assert CATALOGUE.by_ce_type("org.seedsim.c2c.tir-carnet.v1") is TIR_CARNET


@pytest.mark.parametrize(
    "number, ok",
    [
        ("XA25000000", True),
        ("AX999999999", True),
        ("XZ72345678", True),
        ("XA24999999", False),  # the withdrawn series below 25 000 000
        ("AB12345678", False),
        ("XA2500000", False),
        ("XA1234567890", False),
        ("xa25000000", False),
        ("12345678", False),
    ],
)
def test_carnet_number_structure(number, ok):
    assert is_valid_carnet_number(number) is ok


@pytest.mark.parametrize(
    "holder_id, ok",
    [
        ("SRB/001/1234", True),
        ("TUR/078/1234567890", True),
        ("XKX/001/1", True),
        ("SRB/01/1234", False),
        ("RS/001/1234", False),
        ("QQQ/001/1", False),
        ("SRB/001/12345678901", False),
        ("SRB-001-123", False),
    ],
)
def test_holder_id_structure(holder_id, ok):
    assert is_valid_holder_id(holder_id) is ok


# -- each rule on a targeted broken carnet -------------------------------------------------------


def _base() -> TIRCarnet:
    """A carnet that went all the way: at least three operations, all terminated, several items."""
    seed = 0
    while True:
        c = generate_tir_carnet(random.Random(seed))
        if (
            len(c.operations) >= 3
            and all(o.termination for o in c.operations)
            and len(c.items) >= 2
            and c.items[1].commodity.goods_measure.net_mass is not None
        ):
            return c
        seed += 1


BASE = _base()


def _op(c: TIRCarnet, i: int, **update) -> TIRCarnet:
    ops = list(c.operations)
    ops[i] = ops[i].model_copy(update=update)
    return c.model_copy(update={"operations": ops})


def _term(c: TIRCarnet, i: int, **update) -> TIRCarnet:
    return _op(c, i, termination=c.operations[i].termination.model_copy(update=update))


def _start(c: TIRCarnet, i: int, **update) -> TIRCarnet:
    return _op(c, i, start=c.operations[i].start.model_copy(update=update))


def _item(c: TIRCarnet, i: int, **commodity_update) -> TIRCarnet:
    items = list(c.items)
    items[i] = items[i].model_copy(update={"commodity": items[i].commodity.model_copy(update=commodity_update)})
    return c.model_copy(update={"items": items})


def _masses(c: TIRCarnet, i: int, gross: str, net: str) -> TIRCarnet:
    gm = c.items[i].commodity.goods_measure.model_copy(
        update={"gross_mass": Measure(value=Decimal(gross)), "net_mass": Measure(value=Decimal(net))}
    )
    return _item(c, i, goods_measure=gm)


C = "/TIRCarnet"
CASES = {
    "TIR101": (lambda c: c.model_copy(update={"reference_id": "XA12345678"}), f"{C}/ReferenceID"),
    "TIR102": (
        lambda c: c.model_copy(update={"holder": c.holder.model_copy(update={"id": "RS/1/123"})}),
        f"{C}/Holder/ID",
    ),
    "TIR103": (
        lambda c: c.model_copy(
            update={
                "holder": c.holder.model_copy(
                    update={"address": c.holder.address.model_copy(update={"country_code": "YU"})}
                )
            }
        ),
        f"{C}/Holder/Address/CountryCode",
    ),
    "TIR104": (lambda c: _term(c, 0, office_id="ZZ12"), f"{C}/TIROperation[1]/Termination/OfficeID"),
    "TIR105": (
        lambda c: _item(
            c, 1, classifications=[c.items[1].commodity.classifications[0].model_copy(update={"id": "98AB12"})]
        ),
        f"{C}/ConsignmentItem[2]/Commodity/Classification[1]/ID",
    ),
    "TIR106": (
        lambda c: _masses(c, 1, "100", "150").model_copy(update={"total_gross_mass": None}),
        f"{C}/ConsignmentItem[2]/Commodity/GoodsMeasure/GrossMassMeasure",
    ),
    "TIR107": (
        lambda c: c.model_copy(update={"total_package_quantity": c.total_package_quantity + 1}),
        f"{C}/TotalPackageQuantity",
    ),
    "TIR108": (
        lambda c: c.model_copy(update={"validity_date": date(2025, 12, 31)}),
        f"{C}/TIROperation[1]/Start/DateTime",
    ),
    "TIR109": (
        lambda c: _term(c, 2, date_time="2025-01-01T00:00:00+01:00"),
        f"{C}/TIROperation[3]/Termination/DateTime",
    ),
    "TIR110": (lambda c: _op(c, 1, sequence_numeric=5), f"{C}/TIROperation[2]/SequenceNumeric"),
    "TIR201": (lambda c: _op(c, 2, start=None), f"{C}/TIROperation[3]/Termination"),
    "TIR202": (
        lambda c: _term(c, 1, seals=[Seal(sequence_numeric=1, id="NEW0001")]),
        f"{C}/TIROperation[2]/Termination/Seal",
    ),
    "TIR203": (
        lambda c: _start(c, 2, date_time=c.operations[0].start.date_time),
        f"{C}/TIROperation[3]/Start/DateTime",
    ),
    "TIR204": (lambda c: c.model_copy(update={"voucher_quantity": 4}), f"{C}/VoucherQuantity"),
}


def test_every_rule_has_a_case():
    assert sorted(CASES) == sorted(r.id for r in TIR_RULES.rules)
    assert all(len(r.id) <= 8 and r.id.startswith("TIR") for r in TIR_RULES.rules)


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_fires_with_pointer(rule_id):
    break_it, pointer = CASES[rule_id]
    issues = TIR_RULES.run(break_it(BASE), RuleContext())
    assert {i.rule for i in issues} == {rule_id}, [str(i) for i in issues]
    assert pointer in {i.pointer for i in issues}
    assert all(i.severity == "error" and i.message for i in issues)
    assert (issues[0].code // 100) == int(rule_id[3])  # TIR1xx validation, TIR2xx workflow


def test_broken_seals_need_remarks():
    c = _term(BASE, 0, seals_intact="false", remarks=None, seals=[])
    issues = TIR_RULES.run(c, RuleContext())
    assert [(i.rule, i.pointer) for i in issues] == [("TIR202", f"{C}/TIROperation[1]/Termination/Remarks")]
    assert (
        TIR_RULES.run(
            _term(BASE, 0, seals_intact="false", remarks="Seal 1 broken; goods checked, new seal", seals=[]),
            RuleContext(),
        )
        == []
    )


def test_next_country_cannot_start_before_the_previous_terminated():
    issues = TIR_RULES.run(_op(BASE, 1, termination=None), RuleContext())
    assert [(i.rule, i.pointer) for i in issues] == [("TIR203", f"{C}/TIROperation[3]/Start")]


def test_office_outside_the_operations_country():
    issues = TIR_RULES.run(_start(BASE, 1, office_id="HR000123"), RuleContext())
    assert [(i.rule, i.pointer) for i in issues] == [("TIR104", f"{C}/TIROperation[2]/Start/OfficeID")]


def test_total_gross_mass():
    c = BASE.model_copy(update={"total_gross_mass": Measure(value=BASE.total_gross_mass.value + 1, unit_code="KGM")})
    issues = TIR_RULES.run(c, RuleContext())
    assert [(i.rule, i.pointer) for i in issues] == [("TIR107", f"{C}/TotalGrossMassMeasure")]


def test_invalid_document_reports_schema_and_rules_at_once():
    xml = write_tir_carnet(BASE.model_copy(update={"reference_id": "AB1"})).replace(b"<ChainID>IRU</ChainID>", b"")
    report = validate_document(xml)
    assert {i.rule for i in report.report.errors} == {"XSD100", "TIR101"}
