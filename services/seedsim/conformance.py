"""``seedsim validate``: the conformance check an integrator points at their own system's output.

A document is parsed with the hardened parser, recognised from its root
element, validated against its type's XSD and then -- as far as it can be
read, even where the schema failed -- against its business rules. Every
problem is reported at once. Reports come as text for people, JSON for
scripts and JUnit XML for CI pipelines.

The same document can be judged at three places (:class:`Desk`): on its own,
as this command does by default; at a node's lodging desk (``--as lodging``: a
declaration as a trader lodges it, before the node issues its MRN, by the
national schema and the lodging rules, :func:`lodging_check`); in a node's
inbox. A node's ``POST /validate?as=...`` answers for each, with the checks the
desk itself runs (at the lodging desk also against what the node holds).
"""

from __future__ import annotations

import glob
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from enum import Enum
from functools import partial
from pathlib import Path

from lxml import etree

from seedsim.config import NodeConfig
from seedsim.core import codes
from seedsim.core.declaration import Declaration
from seedsim.core.declaration_rules import LODGING_RULES
from seedsim.core.message_type import MessageCatalogue
from seedsim.core.validation import (
    Issue,
    RuleContext,
    ValidationReport,
    check,
    check_bytes,
    compiled_schema,
    parse_checked,
)
from seedsim.core.wco import NS_DEC
from seedsim.core.xml_safety import XmlLimits
from seedsim.message_catalogue import CATALOGUE
from seedsim.messages.seed import read_declaration


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


@dataclass(frozen=True)
class LodgingDesk:
    """A customs node's lodging desk as ``seedsim validate --as lodging`` stands for it: its national schema, and
    its country (None: the country the document's MetaData names)."""

    national_schema: str = NodeConfig.model_fields["national_schema"].default
    country: str | None = None


def validate_document(
    data: bytes,
    source: str = "<bytes>",
    sender: str | None = None,
    limits: XmlLimits = XmlLimits(),
    lodging: LodgingDesk | None = None,
) -> DocumentReport:
    """``data`` judged on its own (a WCO document as exchanged data from ``sender``, else the country its MetaData
    names) or, with ``lodging``, a declaration as that lodging desk judges it before it issues the MRN."""
    root, unreadable = parse_checked(data, limits)
    if root is None:
        return DocumentReport(source, None, unreadable)
    candidates = CATALOGUE.detect(root)
    if lodging is not None and is_declaration(root):
        country = lodging.country or sender_of(root) or ""
        report, _d = lodging_check(data, lodging.national_schema, country, limits)
        return DocumentReport(source, "Declaration", report)
    if not candidates:
        return DocumentReport(source, None, ValidationReport([unknown_document(root)]))
    mt = candidates[0]
    report, _model = check(root, mt.schema, mt.read, mt.rules, RuleContext(sender=sender or sender_of(root)), mt.name)
    return DocumentReport(source, mt.name, report)


def lodging_check(
    data: bytes,
    national_schema: str,
    node_country: str,
    limits: XmlLimits = XmlLimits(),
    national_codes: Mapping[str, frozenset[str]] | None = None,
) -> tuple[ValidationReport, Declaration | None]:
    """What a customs node's lodging desk finds wrong in a declaration on its own: hardened parse, the national
    schema, and the lodging rules (``LODGING_RULES``: the declaration rules, and that it is ``node_country``'s to
    register). A change (FunctionCode 13) is judged by the rules only once merged into the declaration it amends,
    which the node holds: here, by its schema alone. ``national_codes``: the node's codes beyond the shipped lists."""
    ctx = RuleContext(node_country=node_country, national_codes=national_codes or {})
    report, d, _root = check_bytes(data, limits, national_schema, read_declaration, None, ctx, "declaration")
    # a model read past schema errors may be partial: rules still report what they can, then we stop
    if d is not None and getattr(d, "function_code", None) != codes.FUNCTION_CHANGE:
        report.extend(LODGING_RULES.run(d, ctx))
    return report, d


def is_declaration(root: etree._Element) -> bool:
    """Whether a document is a WCO DM declaration (what POST /declarations takes), of any type code."""
    return any(isinstance(el.tag, str) and el.tag == f"{{{NS_DEC}}}Declaration" for el in (root, *root))


def unknown_document(root: etree._Element, catalogue: MessageCatalogue = CATALOGUE) -> Issue:
    """F303 for a document whose root element is none of the catalogue's types."""
    name = etree.QName(root).localname
    known = ", ".join(sorted(catalogue.by_name))
    return Issue("F303", 303, f"not a document seedsim knows (root element {name}); it validates: {known}", f"/{name}")


def sender_of(root: etree._Element) -> str | None:
    """For WCO documents, the responsible country in MetaData: validate as exchanged data."""
    for child in root:
        tag = child.tag
        # the local name, in any namespace (or none), without building a QName for every child
        if isinstance(tag, str) and (tag == "ResponsibleCountryCode" or tag.endswith("}ResponsibleCountryCode")):
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


def _validate_file(path: Path, lodging: LodgingDesk | None = None) -> DocumentReport:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return DocumentReport(
            str(path), None, ValidationReport([Issue("I402", 402, f"cannot read the file: {exc.strerror}")])
        )
    return validate_document(data, str(path), lodging=lodging)


def _validate_chunk(paths: list[Path], lodging: LodgingDesk | None = None) -> list[DocumentReport]:
    """What one worker process does with one chunk: the same as the sequential loop, on fewer files."""
    return [_validate_file(p, lodging) for p in paths]


def _compile_schemas(lodging: LodgingDesk | None = None) -> None:
    """Compile every schema a document may need (each is kept per process and thread by ``compiled_schema``).

    Called in the command's process before its workers are forked, so they inherit the compiled schemas,
    and as each worker's initializer, which then finds them already there (or compiles them once)."""
    for mt in CATALOGUE:
        compiled_schema(mt.schema)
    if lodging is not None:
        compiled_schema(lodging.national_schema)


#: below this many files, starting worker processes costs more than it saves
PARALLEL_FROM = 256
#: files a worker is handed at a time: enough that passing them costs little, few enough for smooth progress
CHUNK = 64


def workers_available() -> int:
    """The cores this process may run on (its CPU affinity, which a container or ``taskset`` may narrow)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def validate_files(
    files: Sequence[Path],
    workers: int | None = None,
    lodging: LodgingDesk | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[DocumentReport]:
    """Validate ``files``; the reports come in the files' order, the same whether or not it ran in parallel.

    From :data:`PARALLEL_FROM` files on, one pool of worker processes (one per core by default) takes them
    :data:`CHUNK` at a time; ``progress(done, total)`` is told as each file or chunk is done."""
    total = len(files)
    workers = workers if workers is not None else workers_available()
    reports: list[DocumentReport] = []
    if workers <= 1 or total < PARALLEL_FROM:
        for f in files:
            reports.append(_validate_file(f, lodging))
            if progress is not None:
                progress(len(reports), total)
        return reports
    _compile_schemas(lodging)
    chunks = [list(files[i : i + CHUNK]) for i in range(0, total, CHUNK)]
    with ProcessPoolExecutor(max_workers=workers, initializer=_compile_schemas, initargs=(lodging,)) as pool:
        for done in pool.map(partial(_validate_chunk, lodging=lodging), chunks):
            reports += done
            if progress is not None:
                progress(len(reports), total)
    return reports


def validate_paths(
    paths: Iterable[str], workers: int | None = None, lodging: LodgingDesk | None = None
) -> list[DocumentReport]:
    """Validate every document found (declarations at ``lodging``, if given); large corpora are spread over the
    machine's cores (:func:`validate_files`)."""
    return validate_files(expand(paths), workers, lodging)


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
