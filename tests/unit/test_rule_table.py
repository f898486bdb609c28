"""The README's table of rules (``python -m seedsim.nodes.rule_table``) lists every rule id the code defines, and
says of each desk what that desk really answers: checked on every example in schemas/examples."""

from __future__ import annotations

import re
from pathlib import Path

from seedsim.nodes.rule_table import API_RULES, SIGNATURE_RULES, document_rules, markdown, signature_markdown
from tests.unit.node_api import XML, client

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted((ROOT / "services" / "seedsim").rglob("*.py"))
EXAMPLES = sorted((ROOT / "schemas" / "examples").glob("*/*/*.xml"))
#: a rule id as the code writes one: letters, then three digits, in quotes
RULE_ID = re.compile(r"""["']([A-Z]{1,4}[0-9]{3})["']""")


def test_the_table_lists_every_rule_id_the_code_defines_and_no_other():
    in_code = {m for path in SOURCES for m in RULE_ID.findall(path.read_text())}
    listed = [r.rule for r in document_rules()] + [r.rule for r in API_RULES] + [r.rule for r in SIGNATURE_RULES]
    assert len(listed) == len(set(listed)), "a rule is listed twice"
    assert sorted(in_code - set(listed)) == [], "rule ids in the code that the table does not list"
    assert sorted(set(listed) - in_code) == [], "rule ids in the table that the code no longer has"


def test_the_markdown_has_one_row_per_rule():
    text = markdown()
    for r in document_rules():
        assert f"| {r.rule} | {r.code} | {r.checks} | {r.lodging} | {r.exchange} | {r.validate} |" in text
    for r in API_RULES:
        assert f"| {r.rule} | {r.code} | {r.status} |" in text
    for r in SIGNATURE_RULES:
        assert f"| {r.rule} | {r.code} | {r.answered} | {r.checks} |" in signature_markdown()


async def test_each_desk_answers_as_the_table_says(corridor):
    """Every issue a desk reports on an example is listed for that desk, with that severity."""
    _, nodes = corridor
    table = {r.rule: r for r in document_rules()}
    column = {"document": "validate", "lodging": "lodging", "exchange": "exchange"}
    seen: dict[str, set[tuple[str, str]]] = {desk: set() for desk in column}
    async with client(nodes["ME"]) as me:
        for path in EXAMPLES:
            for desk, cell in column.items():
                r = await me.post(
                    "/validate",
                    params={"as": desk, "sender": "RS"},
                    content=path.read_bytes(),
                    headers=XML,
                )
                assert r.status_code in (200, 422), (path, desk, r.text)
                for issue in r.json()["issues"]:
                    said = getattr(table[issue["rule"]], cell)
                    assert said != "—" and issue["severity"] in said, (path.name, desk, issue["rule"], said)
                    seen[desk].add((issue["rule"], issue["severity"]))
    # the examples do reach the desks' differences: lodging-only, exchange-only and lenient rules
    assert {("R113", "error"), ("W203", "error"), ("R101", "warning")} <= seen["lodging"]
    assert {("UB301", "error"), ("R110", "error")} <= seen["exchange"]
    assert ("R101", "error") in seen["document"] and ("R101", "error") in seen["exchange"]
