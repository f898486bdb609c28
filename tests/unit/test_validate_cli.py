"""``seedsim validate``: files, folders and globs in; text, JSON and JUnit out; exit 0 only when all are valid."""

from __future__ import annotations

import json
from pathlib import Path

from lxml import etree

from seedsim.cli import main
from seedsim.runners.hostile_payloads import XXE

EXAMPLES = Path(__file__).resolve().parents[2] / "schemas" / "examples"


def test_valid_documents_exit_zero(capsys):
    assert main(["validate", str(EXAMPLES / "ExportData" / "valid")]) == 0
    out = capsys.readouterr().out
    assert "2 of 2 document(s) valid" in out


def test_json_report_lists_every_problem_with_pointer(capsys, tmp_path):
    assert main(["validate", "--format", "json", str(EXAMPLES / "ExportData" / "invalid" / "*.xml")]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is False and len(report["documents"]) == 3
    doc = next(d for d in report["documents"] if d["source"].endswith("gross-below-net-and-unknown-country.xml"))
    rules = {i["rule"]: i for i in doc["issues"]}
    assert set(rules) == {"R101", "R104"}
    assert rules["R101"]["pointer"].endswith("/Consignee/Address/CountryCode") and rules["R101"]["value"] == "QQ"
    assert rules["R104"]["class"] == "validation" and rules["R104"]["severity"] == "error"


def test_junit_report_for_pipelines(tmp_path):
    bad = tmp_path / "xxe.xml"
    bad.write_bytes(XXE)
    out = tmp_path / "report.xml"
    assert (
        main(["validate", "--format", "junit", "-o", str(out), str(bad), str(EXAMPLES / "EntryConfirmation" / "valid")])
        == 1
    )
    suite = etree.parse(str(out)).getroot()
    assert suite.get("tests") == "3" and suite.get("failures") == "1"
    failure = suite.find(f"testcase[@name='{bad}']/failure")
    assert failure is not None and "XML101" in failure.text


def test_unknown_documents_say_what_seedsim_validates(capsys, tmp_path):
    other = tmp_path / "other.xml"
    other.write_bytes(b"<Invoice xmlns='urn:example'/>")
    assert main(["validate", str(other)]) == 1
    out = capsys.readouterr().out
    assert "F303" in out and "ExportData" in out


def test_rules_still_run_where_the_schema_failed():
    from seedsim.conformance import validate_document

    doc = (EXAMPLES / "ExportData" / "invalid" / "gross-below-net-and-unknown-country.xml").read_text()
    # break the schema too: a non-numeric goods item count and an unknown element
    broken = doc.replace("<GoodsItemQuantity>", "<GoodsItemQuantity>x", 1).replace(
        "<TotalPackageQuantity>", "<Extra/><TotalPackageQuantity>", 1
    )
    report = validate_document(broken.encode())
    rules = {i.rule for i in report.report.issues if i.severity == "error"}
    assert {"XSD100", "R101", "R104"} <= rules, rules
    assert sum(1 for i in report.report.issues if i.rule == "XSD100") == 2
