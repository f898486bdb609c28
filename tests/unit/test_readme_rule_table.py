"""The README's rule tables are the ones the code defines: regenerated, they are equal."""

from __future__ import annotations

from pathlib import Path

from seedsim.nodes.rule_table import markdown, signature_markdown

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_holds_the_generated_rule_tables() -> None:
    text = README.read_text(encoding="utf-8")
    begin, end = "<!-- rule-table:begin -->\n", "\n<!-- rule-table:end -->"
    assert begin in text and end in text, "README.md lost its rule-table markers"
    shown = text[text.index(begin) + len(begin) : text.index(end)]
    assert shown == markdown(), (
        "README.md's rule tables differ: paste `python -m seedsim.nodes.rule_table` between the markers"
    )


def test_readme_holds_the_generated_signature_rules() -> None:
    text = README.read_text(encoding="utf-8")
    begin, end = "<!-- signature-rules:begin -->\n", "\n<!-- signature-rules:end -->"
    assert begin in text and end in text, "README.md lost its signature-rules markers"
    shown = text[text.index(begin) + len(begin) : text.index(end)]
    assert shown == signature_markdown(), (
        "README.md's signature rules differ: paste `python -m seedsim.nodes.rule_table signatures` between the markers"
    )
