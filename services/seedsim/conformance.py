"""``seedsim validate``: the conformance check an integrator points at their own system's output.

A document is parsed with the hardened parser, recognised from its root
element, validated against its type's XSD and then -- as far as it can be
read, even where the schema failed -- against its business rules. Every
problem is reported at once. Reports come as text for people, JSON for
scripts and JUnit XML for CI pipelines.

The same document can be judged at three places (:class:`Desk`): on its own,
as this command does; at a node's lodging desk; in a node's inbox. A node's
``POST /validate?as=...`` answers for each, with the checks the desk itself runs.
"""

from __future__ import annotations

import glob
import json
import os
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from lxml import etree

from seedsim.core.message_type import MessageCatalogue
from seedsim.core.validation import Issue, RuleContext, ValidationReport, check, parse_checked
from seedsim.core.xml_safety import XmlLimits
from seedsim.message_catalogue import CATALOGUE


class Desk(str, Enum):
    """Where a document is judged: the rules and severities differ (see the README's table of rules)."""

    #: the document on its own, by its type's schema and rules, as ``seedsim validate`` judges it
    #: (a WCO document is judged as exchanged data from the country its MetaData names)
    DOCUMENT = "document"
    #: at a node's lodging desk: POST /declarations for a declaration, POST /documents for any other document
    LODGING = "lodging"
    #: in a node's inbox, as sent by a neighbour: the type's rules, the sender's partnership, the Utility Block data set
    EXCHANGE = "exchange"


@dataclass
class DocumentReport:
    source: str
    message_type: str | None
    report: ValidationReport = field(default_factory=ValidationReport)

    @property
    def valid(self) -> bool:
        return self.report.ok

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "type": self.message_type,
            "valid": self.valid,
            "errors": sum(1 for i in self.report.issues if i.severity == "error"),
            "warnings": sum(1 for i in self.report.issues if i.severity != "error"),
            "issues": self.report.grouped(),
        }


def validate_document(
    data: bytes, source: str = "<bytes>", sender: str | None = None, limits: XmlLimits = XmlLimits()
) -> DocumentReport:
    root, unreadable = parse_checked(data, limits)
    if root is None:
        return DocumentReport(source, None, unreadable)
    candidates = CATALOGUE.detect(root)
    if not candidates:
        return DocumentReport(source, None, ValidationReport([unknown_document(root)]))
    mt = candidates[0]
    report, _model = check(root, mt.schema, mt.read, mt.rules, RuleContext(sender=sender or sender_of(root)), mt.name)
    return DocumentReport(source, mt.name, report)


def unknown_document(root: etree._Element, catalogue: MessageCatalogue = CATALOGUE) -> Issue:
    """F303 for a document whose root element is none of the catalogue's types."""
    name = etree.QName(root).localname
    known = ", ".join(sorted(catalogue.by_name))
    return Issue("F303", 303, f"not a document seedsim knows (root element {name}); it validates: {known}", f"/{name}")


def sender_of(root: etree._Element) -> str | None:
    """For WCO documents, the responsible country in MetaData: validate as exchanged data."""
    for child in root:
        if isinstance(child.tag, str) and etree.QName(child).localname == "ResponsibleCountryCode":
            return (child.text or "").strip() or None
    return None


def expand(paths: Iterable[str]) -> list[Path]:
    """Files, folders (every *.xml below) and glob patterns, in a stable order."""
    found: list[Path] = []
    for p in paths:
        matches = [Path(m) for m in sorted(glob.glob(p, recursive=True))] if any(c in p for c in "*?[") else [Path(p)]
        for m in matches:
            if m.is_dir():
                found.extend(sorted(x for x in m.rglob("*") if x.suffix.lower() == ".xml"))
            else:
                found.append(m)
    return found


def _validate_file(path: Path) -> DocumentReport:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return DocumentReport(
            str(path), None, ValidationReport([Issue("I402", 402, f"cannot read the file: {exc.strerror}")])
        )
    return validate_document(data, str(path))


#: below this many files, starting worker processes costs more than it saves
PARALLEL_FROM = 256


def validate_paths(paths: Iterable[str], workers: int | None = None) -> list[DocumentReport]:
    """Validate every document found; large corpora are spread over the machine's cores."""
    files = expand(paths)
    workers = workers if workers is not None else (os.cpu_count() or 1)
    if workers > 1 and len(files) >= PARALLEL_FROM:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(_validate_file, files, chunksize=64))
    return [_validate_file(f) for f in files]


# -- reports ---------------------------------------------------------------------------------------


def as_text(reports: list[DocumentReport]) -> str:
    lines = []
    for r in reports:
        status = "valid" if r.valid else "INVALID"
        lines.append(f"{r.source}: {status} ({r.message_type or 'unknown type'})")
        for g in r.report.grouped():
            count = f" (x{g['count']})" if g["count"] > 1 else ""
            where = f" at {g['pointers'][0]}" if g["pointers"] else (f" line {g['line']}" if g.get("line") else "")
            more = f" and {len(g['pointers']) - 1} more" if len(g["pointers"]) > 1 else ""
            value = f" [value: {g['value']}]" if "value" in g else ""
            lines.append(f"  {g['severity']:<7} {g['rule']:<7} {g['code']}{where}{more}{count}: {g['message']}{value}")
    valid = sum(r.valid for r in reports)
    lines.append(f"{valid} of {len(reports)} document(s) valid")
    return "\n".join(lines)


def as_json(reports: list[DocumentReport]) -> str:
    return json.dumps({"valid": all(r.valid for r in reports), "documents": [r.to_dict() for r in reports]}, indent=2)


def as_junit(reports: list[DocumentReport]) -> str:
    suite = etree.Element(
        "testsuite",
        name="seedsim validate",
        tests=str(len(reports)),
        failures=str(sum(not r.valid for r in reports)),
        errors="0",
    )
    for r in reports:
        case = etree.SubElement(suite, "testcase", classname=r.message_type or "unknown", name=r.source)
        errors = [i for i in r.report.issues if i.severity == "error"]
        if errors:
            failure = etree.SubElement(case, "failure", message=f"{len(errors)} error(s)", type="ValidationError")
            failure.text = "\n".join(str(i) for i in r.report.issues)
    return etree.tostring(suite, xml_declaration=True, encoding="UTF-8", pretty_print=True).decode()


FORMATS = {"text": as_text, "json": as_json, "junit": as_junit}
