"""The report's three forms, and the folder ``seedsim run --report DIR`` writes them in.

``report.html`` (for a person), ``report.json`` (the same data, keys documented in
:mod:`.run_report`) and ``report.junit.xml`` (for a CI pipeline).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from seedsim.runners.reports.report_html import to_html
from seedsim.runners.reports.report_junit import to_junit


def to_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2) + "\n"


#: format name -> (renderer, file name in a report folder)
FORMATS: dict[str, tuple[Callable[[dict[str, Any]], str], str]] = {
    "html": (to_html, "report.html"),
    "json": (to_json, "report.json"),
    "junit": (to_junit, "report.junit.xml"),
}


def write_report(folder: Path, report: dict[str, Any]) -> list[Path]:
    """Write the report in every form into ``folder`` (made if missing); the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for render, name in FORMATS.values():
        path = folder / name
        path.write_text(render(report), encoding="utf-8")
        written.append(path)
    return written
