"""Validation: XSD first, then business rules; every problem reported at once.

An :class:`Issue` is what a sender needs to fix its message: a rule id, an
eTIR-style class (1xx validation, 2xx workflow, 3xx functional, 4xx internal),
a severity, an XPath pointer, the offending value and a sentence. Negative
acknowledgements carry exactly these issues.

Schemas are compiled once per thread (:func:`compiled_schema`) and reused;
business rules are small functions registered with an id (:func:`rule`).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import Any

from lxml import etree

# SCHEMA_DIR is also imported from here by the XSD walkers and the AsyncAPI writer
from seedsim.core.shipped_data import SCHEMA_DIR as SCHEMA_DIR
from seedsim.core.xml_binding import lenient_reading
from seedsim.core.xml_safety import UnsafeXmlError, XmlLimits, parse_untrusted


class ErrorClass(IntEnum):
    """eTIR error classes: the hundreds digit of an issue's code."""

    VALIDATION = 100
    WORKFLOW = 200
    FUNCTIONAL = 300
    INTERNAL = 400


MAX_VALUE_CHARS = 120


def shorten(value: str | None) -> str | None:
    """Offending values are quoted in reports; a 10 kB text node is not helpful there."""
    if value is None or len(value) <= MAX_VALUE_CHARS:
        return value
    return value[: MAX_VALUE_CHARS - 1] + "…"


@dataclass(frozen=True)
class Issue:
    rule: str
    code: int
    message: str
    pointer: str | None = None
    value: str | None = None
    severity: str = "error"
    line: int | None = None

    @property
    def error_class(self) -> ErrorClass:
        return ErrorClass(self.code // 100 * 100)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["class"] = self.error_class.name.lower()
        return {k: v for k, v in d.items() if v is not None}

    def __str__(self) -> str:
        where = f" at {self.pointer}" if self.pointer else (f" (line {self.line})" if self.line else "")
        got = f" [value: {self.value}]" if self.value is not None else ""
        return f"{self.rule}/{self.code}{where}: {self.message}{got}"


@dataclass
class ValidationReport:
    issues: list[Issue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(i.severity == "error" for i in self.issues)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    def extend(self, issues: Iterable[Issue]) -> ValidationReport:
        self.issues.extend(issues)
        return self

    def grouped(self) -> list[dict[str, Any]]:
        """Issues with the same rule and message grouped, with a count and their pointers."""
        groups: dict[tuple[str, str], dict[str, Any]] = {}
        for i in self.issues:
            g = groups.setdefault((i.rule, i.message), {**i.to_dict(), "count": 0, "pointers": []})
            g["count"] += 1
            if i.pointer:
                g["pointers"].append(i.pointer)
        return list(groups.values())

    def to_dict(self) -> dict[str, Any]:
        return {"valid": self.ok, "errors": [i.to_dict() for i in self.issues]}


def from_unsafe(exc: UnsafeXmlError) -> Issue:
    return Issue(rule=exc.code, code=int(exc.code[3:]), message=exc.message, line=exc.line)


# -- XSD ---------------------------------------------------------------------------------------

_per_thread = threading.local()


def compiled_schema(path: str | Path) -> etree.XMLSchema:
    """The compiled XSD at ``path`` (relative paths are under the shipped ``schemas/``).

    Compiled once per thread, not once per process: an ``XMLSchema`` keeps the
    error log of its last ``validate()`` on the object, so two threads sharing
    one could read each other's (empty) log and accept an invalid document.
    """
    cache = getattr(_per_thread, "schemas", None)
    if cache is None:
        cache = _per_thread.schemas = {}
    schema = cache.get(path)
    if schema is None:
        p = Path(path)
        if not p.is_absolute():
            p = SCHEMA_DIR / p
        if not p.exists():
            raise FileNotFoundError(f"schema {p} not found: check the node's schema settings")
        parser = etree.XMLParser(no_network=True, resolve_entities=False)
        schema = cache[path] = etree.XMLSchema(etree.parse(str(p), parser))
    return schema


def readable_path(el: etree._Element | None) -> str:
    """An XPath of local names with 1-based positions where a name repeats."""
    parts = []
    while el is not None:
        name = etree.QName(el).localname
        parent = el.getparent()
        if parent is not None:
            same = [c for c in parent if c.tag == el.tag]
            if len(same) > 1:
                name += f"[{same.index(el) + 1}]"
        parts.append(name)
        el = parent
    return "/" + "/".join(reversed(parts))


_VALUE_IN_MESSAGE = re.compile(r"The value '([^']*)'")


def validate_xsd(root: etree._Element, schema: etree.XMLSchema) -> list[Issue]:
    if schema.validate(root):
        return []
    issues = []
    tree = root.getroottree()
    # libxml2 writes error paths with the document's own prefixes
    nsmap = {k: v for el in (root, *root[:1]) for k, v in el.nsmap.items() if k}
    for entry in schema.error_log:
        pointer = None
        value = None
        try:
            found = (
                [e for e in tree.xpath(entry.path, namespaces=nsmap) if isinstance(e, etree._Element)]
                if entry.path
                else []
            )
        except etree.XPathError:
            found = []
        if found:
            el = next((e for e in found if e.sourceline == entry.line), found[0])
            pointer = readable_path(el)
            if len(el) == 0 and el.text is not None:
                value = el.text.strip()
        m = _VALUE_IN_MESSAGE.search(entry.message)
        if m:
            value = m.group(1)
        message = re.sub(r"\{(?:urn|https?):[^}]*\}", "", entry.message)  # Clark namespaces, not {6} quantifiers
        issues.append(
            Issue(
                rule="XSD100",
                code=105,
                message=f"{message} Correct the element to match the schema.",
                pointer=pointer,
                value=shorten(value),
                line=entry.line,
            )
        )
    return issues


# -- business rules ----------------------------------------------------------------------------

RuleFn = Callable[[Any, "RuleContext"], Iterator[Issue]]


@dataclass(frozen=True)
class Rule:
    id: str
    code: int
    title: str
    fn: RuleFn


@dataclass
class RuleContext:
    """What a rule may know besides the document: who sent it, which node checks it."""

    node_country: str | None = None
    sender: str | None = None
    #: the checking node's national codes beyond the shipped lists, by list id (seedsim.core.codes.national_codes)
    national_codes: Mapping[str, frozenset[str]] = field(default_factory=dict)


class RuleSet:
    """A named, ordered set of business rules; rules are added with :meth:`rule`."""

    def __init__(self, name: str, base: RuleSet | None = None):
        self.name = name
        self.base = base
        self._own: list[Rule] = []

    @property
    def rules(self) -> list[Rule]:
        """The base set's rules (as they are now, not when this set was made), then this set's own."""
        return (self.base.rules if self.base else []) + self._own

    def rule(self, id: str, code: int, title: str) -> Callable[[RuleFn], RuleFn]:
        def register(fn: RuleFn) -> RuleFn:
            self._own.append(Rule(id, code, title, fn))
            return fn

        return register

    def run(self, doc: Any, ctx: RuleContext) -> list[Issue]:
        issues: list[Issue] = []
        for r in self.rules:
            try:
                issues.extend(r.fn(doc, ctx))
            except Exception as exc:  # a rule that cannot read the document reports it, never crashes the node
                issues.append(Issue(rule=r.id, code=400, message=f"rule could not run: {exc}", severity="warning"))
        return issues


# -- the one check sequence ------------------------------------------------------------------------


def parse_checked(data: bytes, limits: XmlLimits) -> tuple[etree._Element | None, ValidationReport]:
    """Parse untrusted bytes with the hardened parser; what cannot be parsed safely is a report with its one issue."""
    try:
        return parse_untrusted(data, limits), ValidationReport()
    except UnsafeXmlError as exc:
        return None, ValidationReport([from_unsafe(exc)])


def check(
    root: etree._Element,
    schema: str,
    read: Callable[[etree._Element], Any],
    rules: RuleSet | None,
    ctx: RuleContext,
    what: str = "document",
) -> tuple[ValidationReport, Any]:
    """XSD, then -- on what can be read, even where the schema failed -- the business rules.

    The one sequence every check in seedsim follows: ``seedsim validate``, a node's
    inbox and a node's lodging desk. Returns the report and the model (None when the
    document could not be read at all).
    """
    report = ValidationReport(validate_xsd(root, compiled_schema(schema)))
    try:
        if report.ok:
            model = read(root)
        else:
            with lenient_reading():
                model = read(root)
    except Exception as exc:  # the rules need a readable document; say why they could not run
        report.extend(
            [
                Issue(
                    "R100",
                    106,
                    f"business rules not run: the {what} cannot be read ({str(exc).splitlines()[0][:200]})",
                    severity="error" if report.ok else "warning",
                )
            ]
        )
        return report, None
    if rules is not None:
        findings = rules.run(model, ctx)
        if not report.ok:  # a partial model: a rule that could not run on it is no news
            findings = [i for i in findings if i.code != 400]
        report.extend(findings)
    return report, model


def check_bytes(
    data: bytes,
    limits: XmlLimits,
    schema: str,
    read: Callable[[etree._Element], Any],
    rules: RuleSet | None,
    ctx: RuleContext,
    what: str = "document",
) -> tuple[ValidationReport, Any, etree._Element | None]:
    """:func:`parse_checked` then :func:`check`: the report, the model and the parsed root (None when unsafe or broken)."""
    root, report = parse_checked(data, limits)
    if root is None:
        return report, None, None
    report, model = check(root, schema, read, rules, ctx, what)
    return report, model, root
