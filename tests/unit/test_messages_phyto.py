"""Phytosanitary certificates (ePhyto / UN/CEFACT SPS): lossless XML in the UN/CEFACT namespaces, valid
generated certificates, every rule fires with the right pointer, catalogue detection."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from seedsim.conformance import validate_document
from seedsim.core.validation import RuleContext, compiled_schema
from seedsim.core.xml_safety import parse_untrusted
from seedsim.message_catalogue import CATALOGUE
from seedsim.messages import phyto as p

MT = p.PHYTOSANITARY_CERTIFICATE
C = "/SPSCertificate/SPSConsignment"
D = "/SPSCertificate/SPSExchangedDocument"
LINE = f"{C}/IncludedSPSConsignmentItem/IncludedSPSTradeLineItem"


def test_schema_compiles():
    compiled_schema(MT.schema)


def test_round_trip_and_validity_over_generated_certificates():
    rng = random.Random("phyto")
    for n in range(200):
        cert = MT.generate(rng)
        xml = MT.write(cert)
        assert xml.startswith(b"<?xml")
        assert MT.read(parse_untrusted(xml)) == cert, n
        if n % 4 == 0:
            report = validate_document(xml)
            assert report.message_type == MT.name
            assert report.valid, (n, [str(i) for i in report.report.issues])
        else:
            assert [str(i) for i in p.RULES.run(cert, RuleContext())] == [], n


def test_document_uses_the_un_cefact_namespaces_and_is_detected():
    root = parse_untrusted(MT.write(MT.generate(random.Random(1))))
    assert root.tag == "{urn:un:unece:uncefact:data:standard:SPSCertificate:17}SPSCertificate"
    assert root.nsmap == p.NSMAP
    assert root.find(f"{{{p.RSM}}}SPSExchangedDocument/{{{p.RAM}}}TypeCode").text == "851"
    assert [m.name for m in CATALOGUE.detect(root)] == [MT.name]
    assert CATALOGUE.by_ce_type("org.seedsim.c2c.phytosanitary-certificate.v1") is MT
    assert MT.generate(random.Random(7)) == MT.generate(random.Random(7))


def _one_line(seed: int = 3) -> p.SPSCertificate:
    """A generated certificate cut to one trade line item (simple pointers), with a fumigation."""
    cert = MT.generate(random.Random(seed)).model_copy(deep=True)
    item = cert.consignment.items[0]
    item.trade_line_items = item.trade_line_items[:1]
    issued = datetime.fromisoformat(cert.document.issue_date_time.date_time_string)
    item.trade_line_items[0].processes = [p._treatment(random.Random(1), issued)]
    return cert


def _line(c: p.SPSCertificate) -> p.TradeLineItem:
    return c.consignment.items[0].trade_line_items[0]


def _shift(dt: p.DateTime, days: int) -> p.DateTime:
    return p.DateTime(
        date_time_string=(datetime.fromisoformat(dt.date_time_string) + timedelta(days=days)).isoformat(
            timespec="seconds"
        )
    )


def _start_after_issue(c):
    _line(c).processes[0].period.start = _shift(c.document.issue_date_time, 1)


def _end_before_start(c):
    per = _line(c).processes[0].period
    per.end = _shift(per.start, -1)


CASES = [
    (lambda c: setattr(c.consignment.import_country, "id", "YU"), "PHY101", f"{C}/ImportSPSCountry/ID"),
    (
        lambda c: setattr(c.consignment.consignor.address, "country_id", "QQ"),
        "PHY101",
        f"{C}/ConsignorSPSParty/SpecifiedSPSAddress/CountryID",
    ),
    (lambda c: setattr(_line(c).origins[0], "id", "YU"), "PHY101", f"{LINE}/OriginSPSCountry/ID"),
    (
        lambda c: setattr(_line(c).classifications[0], "class_code", "990000"),
        "PHY102",
        f"{LINE}/ApplicableSPSClassification[1]/ClassCode",
    ),
    (
        lambda c: setattr(_line(c).classifications[0], "class_code", "08081"),
        "PHY102",
        f"{LINE}/ApplicableSPSClassification[1]/ClassCode",
    ),
    (_start_after_issue, "PHY103", f"{LINE}/AppliedSPSProcess/CompletionSPSPeriod/StartDateTime"),
    (_end_before_start, "PHY103", f"{LINE}/AppliedSPSProcess/CompletionSPSPeriod/EndDateTime"),
    (lambda c: setattr(_line(c), "scientific_name", None), "PHY104", f"{LINE}/ScientificName"),
    (lambda c: setattr(_line(c), "scientific_name", "Malus"), "PHY104", f"{LINE}/ScientificName"),
    (lambda c: setattr(_line(c).net_weight, "value", Decimal(0)), "PHY105", f"{LINE}/NetWeightMeasure"),
    (
        lambda c: setattr(_line(c).gross_weight, "value", _line(c).net_weight.value - 1),
        "PHY105",
        f"{LINE}/GrossWeightMeasure",
    ),
    (
        lambda c: setattr(_line(c).packages[0], "item_quantity", Decimal(0)),
        "PHY105",
        f"{LINE}/PhysicalSPSPackage/ItemQuantity",
    ),
    (lambda c: setattr(c.document, "type_code", "852"), "PHY106", f"{D}/TypeCode"),
    (lambda c: setattr(c.document, "type_code", "657"), "PHY106", f"{C}/ReExportSPSCountry"),
    (lambda c: setattr(c.document, "status_code", "39"), "PHY106", f"{D}/StatusCode"),
    (
        lambda c: setattr(c.consignment.conveyances[0], "mode_code", "R"),
        "PHY106",
        f"{C}/MainCarriageSPSTransportMovement/ModeCode",
    ),
    (lambda c: setattr(_line(c).processes[0], "type_code", "MAGIC"), "PHY106", f"{LINE}/AppliedSPSProcess/TypeCode"),
    (
        lambda c: setattr(c.consignment, "point_of_entry", p.Location(id="BELGRADE")),
        "PHY107",
        f"{C}/UnloadingBaseportSPSLocation/ID",
    ),
    (
        lambda c: setattr(c.consignment, "point_of_entry", p.Location(id="ATVIE")),
        "PHY107",
        f"{C}/UnloadingBaseportSPSLocation/ID",
    ),
    (lambda c: setattr(_line(c), "sequence_numeric", 2), "PHY108", f"{LINE}/SequenceNumeric"),
]


@pytest.mark.parametrize("mutate, rule, pointer", CASES, ids=[f"{c[1]}:{c[2].rsplit('/', 1)[-1]}" for c in CASES])
def test_rule_fires_with_pointer(mutate, rule, pointer):
    cert = _one_line()
    assert p.RULES.run(cert, RuleContext()) == []
    mutate(cert)
    found = [(i.rule, i.pointer) for i in p.RULES.run(cert, RuleContext()) if i.severity == "error"]
    assert (rule, pointer) in found, found


def test_pointers_index_repeated_trade_line_items():
    cert = MT.generate(random.Random(3)).model_copy(deep=True)
    lines = cert.consignment.items[0].trade_line_items
    lines.append(lines[0].model_copy(update={"sequence_numeric": len(lines) + 1, "scientific_name": "apple"}))
    issues = p.RULES.run(cert, RuleContext())
    assert [(i.rule, i.pointer) for i in issues] == [("PHY104", f"{LINE}[{len(lines)}]/ScientificName")]


@pytest.mark.parametrize(
    "name, ok",
    [
        ("Malus domestica", True),
        ("Rubus idaeus", True),
        ("Fragaria x ananassa", True),
        ("Prunus avium var. juliana", True),
        ("Brassica oleracea subsp. capitata", True),
        ("Malus", False),
        ("malus domestica", False),
        ("Malus Domestica", False),
        ("Malus spp.", False),
        ("Apples", False),
    ],
)
def test_botanical_name_needs_genus_and_species(name, ok):
    assert bool(p.BOTANICAL_NAME.match(name)) is ok


def test_a_re_export_certificate_with_its_country_is_valid():
    cert = _one_line()
    cert.document.type_code = "657"
    cert.consignment.re_export_country = p.Country(id="MK", name="North Macedonia")
    assert validate_document(MT.write(cert)).valid
