"""The README's rule tables are the ones the code defines: regenerated, they are equal."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from seedsim.nodes.rule_table import markdown, signature_markdown

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.mark.parametrize(
    ("marker", "generated", "command"),
    [
        ("rule-table", markdown, "python -m seedsim.nodes.rule_table"),
        ("signature-rules", signature_markdown, "python -m seedsim.nodes.rule_table signatures"),
    ],
)
def test_readme_holds_the_generated_table(marker: str, generated: Callable[[], str], command: str) -> None:
    text = README.read_text(encoding="utf-8")
    begin, end = f"<!-- {marker}:begin -->\n", f"\n<!-- {marker}:end -->"
    assert begin in text and end in text, f"README.md lost its {marker} markers"
    shown = text[text.index(begin) + len(begin) : text.index(end)]
    assert shown == generated(), f"README.md's {marker} table differs: paste `{command}` between the markers"
