"""The report as one self-contained HTML file: what a person opens, mails or attaches to a CI run.

Rendered from the report document (:mod:`.run_report`) by a Jinja2 template shipped in the package
(``templates/report.html``), with its CSS inline and its charts as inline SVG
(:mod:`.latency_chart`): no script, no image file, no URL, so it opens the same in an air-gapped
lab, in a mail client or as a CI artefact. Autoescaping is on: node ids, rules and reasons come
from the records, which a hostile sender may have written.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from seedsim.runners.reports.latency_chart import chart

TEMPLATES = Path(__file__).resolve().parent / "templates"


@cache
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True
    )
    env.filters["ms"] = lambda v: "–" if v is None else f"{v:.1f} ms"
    env.filters["rate"] = lambda v: "–" if v is None else f"{v * 100:.1f} %"
    return env


def to_html(report: dict[str, Any]) -> str:
    charts = {
        kind: [{**entry, "chart": chart(entry)} for entry in entries] for kind, entries in report["latency"].items()
    }
    return _environment().get_template("report.html").render(r=report, charts=charts)
