"""Every example in schemas/examples is what it claims to be: valid ones validate, invalid ones
report exactly the rules their .expected.json names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seedsim.conformance import validate_document

EXAMPLES = Path(__file__).resolve().parents[2] / "schemas" / "examples"
VALID = sorted(EXAMPLES.glob("*/valid/*.xml"))
INVALID = sorted(EXAMPLES.glob("*/invalid/*.xml"))


def _id(p: Path) -> str:
    return f"{p.parents[1].name}/{p.name}"


@pytest.mark.parametrize("path", VALID, ids=_id)
def test_valid_example(path):
    report = validate_document(path.read_bytes(), str(path))
    assert report.message_type == path.parents[1].name
    assert report.valid, [str(i) for i in report.report.issues]


@pytest.mark.parametrize("path", INVALID, ids=_id)
def test_invalid_example_reports_the_expected_rules(path):
    expected = json.loads(path.with_suffix(".expected.json").read_text())["rules"]
    report = validate_document(path.read_bytes(), str(path))
    assert not report.valid
    assert sorted({i.rule for i in report.report.issues if i.severity == "error"}) == sorted(set(expected))


def test_every_catalogued_type_has_examples():
    from seedsim.message_catalogue import CATALOGUE

    have = {p.parents[1].name for p in VALID} & {p.parents[1].name for p in INVALID}
    missing = sorted(set(CATALOGUE.by_name) - have)
    assert missing == [], f"types without valid and invalid examples in schemas/examples: {missing}"
