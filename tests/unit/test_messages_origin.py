"""Certificates of origin and their verification: lossless XML, valid generated documents, every rule
fires with the right pointer on a targeted broken instance, catalogue detection."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from seedsim.conformance import validate_document
from seedsim.core.validation import RuleContext, compiled_schema
from seedsim.core.xml_safety import parse_untrusted
from seedsim.message_catalogue import CATALOGUE
from seedsim.messages import origin as o

TYPES = [o.CERTIFICATE_OF_ORIGIN, o.ORIGIN_VERIFICATION_REQUEST, o.ORIGIN_VERIFICATION_RESPONSE]


def test_schema_compiles():
    compiled_schema(o.SCHEMA)


@pytest.mark.parametrize("mt", TYPES, ids=lambda m: m.name)
def test_round_trip_and_validity_over_generated_documents(mt):
    rng = random.Random(f"origin-{mt.name}")
    for n in range(200):
        model = mt.generate(rng)
        xml = mt.write(model)
        assert xml.startswith(b"<?xml")
        assert mt.read(parse_untrusted(xml)) == model, n
        if n % 4 == 0:  # XSD + rules on a quarter keeps the file fast; rules alone on all
            report = validate_document(xml)
            assert report.message_type == mt.name
            assert report.valid, (n, [str(i) for i in report.report.issues])
        else:
            assert [str(i) for i in mt.rules.run(model, RuleContext())] == [], n


@pytest.mark.parametrize("mt", TYPES, ids=lambda m: m.name)
def test_generator_is_deterministic_and_detected(mt):
    assert mt.generate(random.Random(7)) == mt.generate(random.Random(7))
    root = parse_untrusted(mt.write(mt.generate(random.Random(1))))
    assert [m.name for m in CATALOGUE.detect(root)] == [mt.name]
    assert CATALOGUE.by_ce_type(mt.ce_type) is mt


def _later(iso: str, days: int) -> str:
    return (o.date.fromisoformat(iso) + o.timedelta(days=days)).isoformat()


def _set_net_above_gross(c):
    c.goods_items[0].net_mass.value = c.goods_items[0].gross_mass.value + 1


def _no_quantity(c):
    c.goods_items[0].gross_mass = None
    c.goods_items[0].other_quantity = None


CO = "/CertificateOfOrigin"
RQ = "/OriginVerificationRequest"
RS = "/OriginVerificationResponse"
CASES = [
    # CertificateOfOrigin
    (
        o.CERTIFICATE_OF_ORIGIN,
        lambda c: setattr(c.exporter.address, "country_code", "YU"),
        "ORG101",
        f"{CO}/Exporter/Address/CountryCode",
    ),
    (o.CERTIFICATE_OF_ORIGIN, lambda c: setattr(c, "origin_country_code", "QQ"), "ORG101", f"{CO}/OriginCountryCode"),
    (
        o.CERTIFICATE_OF_ORIGIN,
        lambda c: setattr(c.goods_items[0].classification, "id", "7701000000"),
        "ORG102",
        f"{CO}/GoodsItem[1]/Classification/ID",
    ),
    (o.CERTIFICATE_OF_ORIGIN, lambda c: setattr(c, "type_code", "EUR.2"), "ORG103", f"{CO}/TypeCode"),
    (
        o.CERTIFICATE_OF_ORIGIN,
        lambda c: setattr(c.preferential_trade, "agreement_id", "NAFTA"),
        "ORG103",
        f"{CO}/PreferentialTrade/AgreementID",
    ),
    (
        o.CERTIFICATE_OF_ORIGIN,
        lambda c: setattr(c.goods_items[0], "origin_criterion_code", "P"),
        "ORG103",
        f"{CO}/GoodsItem[1]/OriginCriterionCode",
    ),
    (o.CERTIFICATE_OF_ORIGIN, lambda c: setattr(c, "id", "EUR1/2026/17"), "ORG104", f"{CO}/ID"),
    (
        o.CERTIFICATE_OF_ORIGIN,
        lambda c: setattr(c.customs_endorsement, "customs_office_id", "RS01"),
        "ORG104",
        f"{CO}/CustomsEndorsement/CustomsOfficeID",
    ),
    (
        o.CERTIFICATE_OF_ORIGIN,
        lambda c: setattr(c.customs_endorsement, "issuing_country_code", "HR"),
        "ORG104",
        f"{CO}/CustomsEndorsement/CustomsOfficeID",
    ),
    (
        o.CERTIFICATE_OF_ORIGIN,
        lambda c: setattr(c.customs_endorsement, "export_declaration_id", "26RS0000000000000A"),
        "ORG104",
        f"{CO}/CustomsEndorsement/ExportDeclarationID",
    ),
    (o.CERTIFICATE_OF_ORIGIN, _set_net_above_gross, "ORG105", f"{CO}/GoodsItem[1]/GrossMassMeasure"),
    (o.CERTIFICATE_OF_ORIGIN, lambda c: setattr(c, "goods_item_quantity", 99), "ORG106", f"{CO}/GoodsItemQuantity"),
    (
        o.CERTIFICATE_OF_ORIGIN,
        lambda c: setattr(c, "total_package_quantity", 0),
        "ORG106",
        f"{CO}/TotalPackageQuantity",
    ),
    (
        o.CERTIFICATE_OF_ORIGIN,
        lambda c: setattr(c.total_gross_mass, "value", Decimal(1)),
        "ORG106",
        f"{CO}/TotalGrossMassMeasure",
    ),
    (
        o.CERTIFICATE_OF_ORIGIN,
        lambda c: setattr(c.invoices[0], "issue_date", _later(c.issue_date, 5)),
        "ORG107",
        f"{CO}/Invoice[1]/IssueDate",
    ),
    (
        o.CERTIFICATE_OF_ORIGIN,
        lambda c: setattr(c.exporter_declaration, "declaration_date", _later(c.issue_date, 1)),
        "ORG107",
        f"{CO}/ExporterDeclaration/DeclarationDate",
    ),
    (o.CERTIFICATE_OF_ORIGIN, lambda c: setattr(c, "issue_date", _later(c.issue_date, 1)), "ORG107", f"{CO}/IssueDate"),
    (
        o.CERTIFICATE_OF_ORIGIN,
        lambda c: setattr(c.goods_items[0], "invoice_id", "0/0000"),
        "ORG108",
        f"{CO}/GoodsItem[1]/InvoiceID",
    ),
    (
        o.CERTIFICATE_OF_ORIGIN,
        lambda c: setattr(c.goods_items[0], "sequence_numeric", 7),
        "ORG109",
        f"{CO}/GoodsItem[1]/SequenceNumeric",
    ),
    (o.CERTIFICATE_OF_ORIGIN, _no_quantity, "ORG109", f"{CO}/GoodsItem[1]/GrossMassMeasure"),
    (
        o.CERTIFICATE_OF_ORIGIN,
        lambda c: setattr(c, "destination_country_code", c.origin_country_code),
        "ORG110",
        f"{CO}/DestinationCountryCode",
    ),
    (
        o.CERTIFICATE_OF_ORIGIN,
        lambda c: setattr(c, "destination_country_code", "AT"),
        "ORG110",
        f"{CO}/DestinationCountryCode",
    ),
    # OriginVerificationRequest
    (
        o.ORIGIN_VERIFICATION_REQUEST,
        lambda r: setattr(r.requesting_authority.address, "country_code", "YU"),
        "ORG121",
        f"{RQ}/RequestingAuthority/Address/CountryCode",
    ),
    (
        o.ORIGIN_VERIFICATION_REQUEST,
        lambda r: setattr(r.reasons[0], "reason_code", "WHY"),
        "ORG122",
        f"{RQ}/Reason[1]/ReasonCode",
    ),
    (
        o.ORIGIN_VERIFICATION_REQUEST,
        lambda r: setattr(r.requested_documents[0], "type_code", "999"),
        "ORG122",
        f"{RQ}/RequestedDocument[1]/TypeCode",
    ),
    (
        o.ORIGIN_VERIFICATION_REQUEST,
        lambda r: setattr(r.certificate, "type_code", "FORM A"),
        "ORG122",
        f"{RQ}/Certificate/TypeCode",
    ),
    (
        o.ORIGIN_VERIFICATION_REQUEST,
        lambda r: setattr(r.certificate, "issue_date", _later(r.issue_date, 1)),
        "ORG123",
        f"{RQ}/Certificate/IssueDate",
    ),
    (
        o.ORIGIN_VERIFICATION_REQUEST,
        lambda r: setattr(r, "response_due_date", _later(r.issue_date, 400)),
        "ORG123",
        f"{RQ}/ResponseDueDate",
    ),
    (
        o.ORIGIN_VERIFICATION_REQUEST,
        lambda r: setattr(r, "response_due_date", r.issue_date),
        "ORG123",
        f"{RQ}/ResponseDueDate",
    ),
    (o.ORIGIN_VERIFICATION_REQUEST, lambda r: setattr(r, "id", "REQ-1"), "ORG124", f"{RQ}/ID"),
    (
        o.ORIGIN_VERIFICATION_REQUEST,
        lambda r: setattr(r, "import_declaration_id", "26RS0000000000000R"),
        "ORG124",
        f"{RQ}/ImportDeclarationID",
    ),
    # OriginVerificationResponse
    (o.ORIGIN_VERIFICATION_RESPONSE, lambda r: setattr(r, "request_id", None), "ORG131", f"{RS}/RequestID"),
    (
        o.ORIGIN_VERIFICATION_RESPONSE,
        lambda r: setattr(r, "request_id", "ME-OVA-2026-000001"),
        "ORG131",
        f"{RS}/RequestID",
    ),
    (o.ORIGIN_VERIFICATION_RESPONSE, lambda r: setattr(r, "id", "ANSWER-1"), "ORG131", f"{RS}/ID"),
    (o.ORIGIN_VERIFICATION_RESPONSE, lambda r: setattr(r, "result_code", "OK"), "ORG132", f"{RS}/ResultCode"),
    (
        o.ORIGIN_VERIFICATION_RESPONSE,
        lambda r: setattr(r.responding_authority.address, "country_code", "YU"),
        "ORG132",
        f"{RS}/RespondingAuthority/Address/CountryCode",
    ),
    (
        o.ORIGIN_VERIFICATION_RESPONSE,
        lambda r: setattr(r, "issue_date", _later(r.request_date, -1)),
        "ORG133",
        f"{RS}/IssueDate",
    ),
    (
        o.ORIGIN_VERIFICATION_RESPONSE,
        lambda r: setattr(r.certificate, "issue_date", _later(r.request_date, 1)),
        "ORG133",
        f"{RS}/Certificate/IssueDate",
    ),
    (
        o.ORIGIN_VERIFICATION_RESPONSE,
        lambda r: (setattr(r, "result_code", "NA"), setattr(r, "findings", [])),
        "ORG134",
        f"{RS}/Finding",
    ),
]


@pytest.mark.parametrize("mt, mutate, rule, pointer", CASES, ids=[f"{c[2]}:{c[3].rsplit('/', 1)[-1]}" for c in CASES])
def test_rule_fires_with_pointer(mt, mutate, rule, pointer):
    model = mt.generate(random.Random(3)).model_copy(deep=True)
    assert mt.rules.run(model, RuleContext()) == []
    mutate(model)
    found = [(i.rule, i.pointer) for i in mt.rules.run(model, RuleContext()) if i.severity == "error"]
    assert (rule, pointer) in found, found


def test_late_answer_is_a_workflow_warning():
    r = o.generate_response(random.Random(3))
    r.issue_date = _later(r.request_date, 320)
    issues = o.RESPONSE_RULES.run(r, RuleContext())
    assert [(i.rule, i.code, i.severity) for i in issues] == [("ORG133", 201, "warning")]
    report = validate_document(o.write(r))
    assert report.valid  # a warning does not refuse the document


def test_group_codes_are_accepted_in_boxes_4_and_5_only():
    c = o.generate_certificate(random.Random(3))
    c.preferential_trade.agreement_id = "EU-SAA"
    c.preferential_trade.importing_party_id = "EU"
    c.destination_country_code = "EU"
    assert o.CO_RULES.run(c, RuleContext()) == []
    c.exporter.address.country_code = "EU"
    assert [i.rule for i in o.CO_RULES.run(c, RuleContext())] == ["ORG101"]


@pytest.mark.parametrize(
    "code, ok",
    [
        ("080810", True),
        ("0811208000", True),
        ("22042193", True),
        ("7701000000", False),
        ("980000", False),
        ("0000000000", False),
        ("08081", False),
        ("08081A", False),
    ],
)
def test_hs_structure(code, ok):
    assert (o.hs_problem(code) is None) is ok


def test_ten_months_is_calendar_months():
    assert o.add_months(o.date(2026, 3, 31), 10) == o.date(2027, 1, 31)
    assert o.add_months(o.date(2026, 4, 30), 10) == o.date(2027, 2, 28)
