"""Where each rule is an error and where a warning: the README's table, made from the rule sets each desk runs.

A document is judged at three places (:class:`seedsim.conformance.Desk`):

* at a customs node's lodging desk -- ``POST /declarations`` runs the node's
  national schema and ``LODGING_RULES`` (the declaration rules, and R113: the
  declaration is the node's to register); ``POST /documents`` runs the schema
  and rules of each type that may be lodged there;
* in a node's inbox -- every type's own rules, with the sender known, then the
  Utility Block data set;
* in ``seedsim validate`` -- every type's own rules; a WCO document is judged as
  exchanged data from the country its MetaData names.

Rules registered in those rule sets are listed from the sets themselves (a rule
added to a set appears here); the checks made outside rule sets (the parser,
the schema, the lodging desk's workflow checks, the envelope, the data set) are
:data:`OTHER_CHECKS`, and the API's own rules :data:`API_RULES`. A test checks
that every rule id in the code is in one of them.

``python -m seedsim.nodes.rule_table`` prints the tables in Markdown; ``... rule_table signatures`` the table of the
signature checks (:data:`SIGNATURE_RULES`), which every inbox runs before any of the others.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from dataclasses import dataclass

from seedsim.core.declaration_rules import LODGING_RULES, WARNING_WHEN_LODGED
from seedsim.core.validation import Rule, RuleSet
from seedsim.core.wco import NS_DEC
from seedsim.message_catalogue import CATALOGUE
from seedsim.nodes.customs.certificate_link import LINK_RULES
from seedsim.nodes.customs.lodged_documents import NODE_BUILT


@dataclass(frozen=True)
class Row:
    rule: str
    code: int
    checks: str
    lodging: str
    exchange: str
    validate: str


E, NO = "error", "—"

#: checks made outside rule sets, by the parser, the schema, the lodging desk, the inbox and ``seedsim validate``
OTHER_CHECKS = [
    Row("XML100", 100, "the payload is empty (or not bytes)", E, E, E),
    Row("XML101", 101, "a DTD or entity declaration (external entities, entity bombs): refused unread", E, E, E),
    Row("XML102", 102, "not well-formed XML, with line and column", E, E, E),
    Row("XML103", 103, "nested too deep", E, E, E),
    Row("XML104", 104, "too large for the node's limit", E, E, E),
    Row(
        "XSD100",
        105,
        "the type's XSD (at POST /declarations: the node's national schema), with the element's path",
        E,
        E,
        E,
    ),
    Row("R100", 106, "business rules not run: the document cannot be read", E, E, E),
    Row("W201", 201, "a change (FunctionCode 13) refers to a declaration the node does not hold", E, NO, NO),
    Row("W202", 202, "a declaration with this LRN was already lodged", E, NO, NO),
    Row(
        "W203",
        203,
        "POST /documents: a declaration (lodged at POST /declarations) or a message the node builds",
        E,
        NO,
        NO,
    ),
    Row("W204", 204, "POST /documents without ?consignment=", E, NO, NO),
    Row(
        "F300",
        300,
        "CloudEvents headers missing, wrong or not UTF-8 (dead-lettered, no acknowledgement)",
        NO,
        E,
        NO,
    ),
    Row("F301", 301, "a sender that is not a partner of the node", NO, E, NO),
    Row("F302", 302, "addressed to another node (ce_recipient)", NO, E, NO),
    Row("F303", 303, "not a type seedsim knows (root element, or ce_type)", E, E, E),
    Row("F305", 305, "a CloudEvents header over 1024 bytes (dead-lettered, no acknowledgement)", NO, E, NO),
    Row(
        "F306",
        306,
        "a ce_id already used for another payload: a conflicting duplicate, acknowledged negatively naming the first "
        "message (a corrected resend carries a new ce_id)",
        NO,
        E,
        NO,
    ),
    Row("I401", 401, "the node failed on the message after retries: dead-lettered", NO, E, NO),
    Row("I402", 402, "`seedsim validate` cannot read the file", NO, NO, E),
    Row("UB301", 301, "an element outside the Utility Block's data set for the message", NO, E, NO),
    Row("UB302", 302, "a minimum element of the Utility Block's data set is missing", NO, E, NO),
    # the certificate link (seedsim.nodes.customs.certificate_link): alerts raised at ENTRY, before release
    *(Row(r.id, r.code, f"certificate link at ENTRY: {r.text}", NO, "alert at ENTRY", NO) for r in LINK_RULES),
]


@dataclass(frozen=True)
class ApiRow:
    rule: str
    code: int
    status: str
    checks: str


#: the rules of a node's HTTP API itself (seedsim.nodes.refusal), every endpoint of every node
API_RULES = [
    ApiRow("API100", 170, "400", "the body is not valid JSON"),
    ApiRow("API101", 171, "400", "a field or parameter is missing or has a value the endpoint does not take"),
    ApiRow("API102", 172, "415", "the body's content type is not one the endpoint reads (XML or JSON)"),
    ApiRow("API103", 173, "404, 405", "no such endpoint, or not with this method"),
    ApiRow(
        "API104",
        174,
        "422",
        "an event's office is not a customs office reference number, not in the node's country, or an office of "
        "entry not in a partner's country",
    ),
    ApiRow("API201", 205, "404", "the node holds no such consignment, declaration (MRN), message or issued document"),
    ApiRow("API202", 206, "409", "not possible yet: lodge the declaration first, no Utility Block step, ..."),
    ApiRow("API301", 304, "409, 422", "the node named is not a partner (or is the node itself)"),
    ApiRow("I403", 403, "500", "the node failed to answer the request (see its log)"),
]


@dataclass(frozen=True)
class SignatureRow:
    rule: str
    code: int
    answered: str
    checks: str


NOT_ANSWERED = "no: dead letter only"
ANSWERED = "yes: NACK and dead letter"

#: the signature checks every inbox runs first (seedsim.core.message_signing), in their order; a record failing one is
#: never parsed; only a proven sender is answered
SIGNATURE_RULES = [
    SignatureRow("F310", 310, NOT_ANSWERED, "unsigned: no `ce_signature` header"),
    SignatureRow("F311", 311, NOT_ANSWERED, "`ce_signature` is not a detached JWS with alg EdDSA"),
    SignatureRow("F312", 312, NOT_ANSWERED, "the key id (`kid`) is not in the trust list"),
    SignatureRow("F313", 313, NOT_ANSWERED, "the key signs for another node than `ce_source`"),
    SignatureRow("F314", 314, NOT_ANSWERED, "the key is revoked"),
    SignatureRow("F315", 315, NOT_ANSWERED, "the signature does not match: a signed header or the payload was changed"),
    SignatureRow("F316", 316, ANSWERED, "the sender's key is not valid now (expired, or not yet valid)"),
    SignatureRow("F317", 317, ANSWERED, "`ce_time` outside the accepted window around the receiver's clock (±5 min)"),
]


def signature_markdown() -> str:
    lines = ["| rule | class | answered | checks |", "| --- | --- | --- | --- |"]
    lines += [f"| {r.rule} | {r.code} | {r.answered} | {r.checks} |" for r in SIGNATURE_RULES]
    return "\n".join(lines)


def _intrinsic(rule: Rule) -> str:
    """``error``, ``warning``, or ``error or warning``: what the rule's own code says of its findings' severity."""
    source = inspect.getsource(rule.fn)
    warnings = source.count('severity="warning"')
    if not warnings:
        return E
    return "warning" if warnings >= source.count("Issue(") else "error or warning"


def _rules_by_id(sets: Iterable[tuple[str, RuleSet | None]]) -> dict[str, tuple[Rule, list[str]]]:
    """Each rule of the ``(what it runs on, rule set)`` pairs, with everything it runs on."""
    found: dict[str, tuple[Rule, list[str]]] = {}
    for what, rules in sets:
        for r in rules.rules if rules else []:
            found.setdefault(r.id, (r, []))[1].append(what)
    return found


def _lodging_rules() -> dict[str, tuple[Rule, list[str]]]:
    """The rules the lodging desks run: a declaration's (POST /declarations), each other lodgeable type's."""
    documents = [
        (mt.name, mt.rules)
        for mt in CATALOGUE
        if mt.name not in NODE_BUILT and mt.element != f"{{{NS_DEC}}}Declaration"
    ]
    return _rules_by_id([("declarations", LODGING_RULES), *documents])


def _type_rules() -> dict[str, tuple[Rule, list[str]]]:
    """The rules of each message type's own rule set (run in the inbox and by ``seedsim validate``)."""
    return _rules_by_id((mt.name, mt.rules) for mt in CATALOGUE)


def _types(names: list[str]) -> str:
    declarations = {"ExportData", "ImportDeclaration", "TransitDeclaration"}
    shown = sorted({"declarations" if n in declarations else n for n in names})
    return ", ".join(shown)


def document_rules() -> list[Row]:
    """Every rule a document can break, with its severity at each desk (— where the desk does not check it)."""
    lodging, typed = _lodging_rules(), _type_rules()
    rows = []
    for rule_id in set(lodging) | set(typed):
        rule = (lodging.get(rule_id) or typed[rule_id])[0]
        types = lodging.get(rule_id, (rule, []))[1] + typed.get(rule_id, (rule, []))[1]
        base = _intrinsic(rule)
        lenient = rule_id in WARNING_WHEN_LODGED
        part = WARNING_WHEN_LODGED.get(rule_id)
        when_lodged = f"warning for {part}" if part else "warning"
        without_country = f"{base}; when MetaData names no ResponsibleCountryCode, {when_lodged}"
        rows.append(
            Row(
                rule_id,
                rule.code,
                f"{rule.title} ({_types(types)})",
                NO if rule_id not in lodging else (when_lodged if lenient else base),
                base if rule_id in typed else NO,
                NO if rule_id not in typed else (without_country if lenient else base),
            )
        )
    return sorted([*rows, *OTHER_CHECKS], key=lambda r: _order(r.rule))


#: the table's order: the parser and the schema, declarations, the lodging desk, the inbox, then each family
FIRST = ["XML", "XSD", "R", "TR", "W", "F", "I", "UB"]


def _order(rule_id: str) -> tuple[int, str, int]:
    letters = rule_id.rstrip("0123456789")
    rank = FIRST.index(letters) if letters in FIRST else len(FIRST)
    return rank, letters, int(rule_id[len(letters) :])


def markdown() -> str:
    lines = [
        "| rule | class | checks | at lodging | in exchange | in `seedsim validate` |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    lines += [
        f"| {r.rule} | {r.code} | {r.checks} | {r.lodging} | {r.exchange} | {r.validate} |" for r in document_rules()
    ]
    lines += ["", "| rule | class | HTTP status | checks |", "| --- | --- | --- | --- |"]
    lines += [f"| {r.rule} | {r.code} | {r.status} | {r.checks} |" for r in API_RULES]
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    print(signature_markdown() if sys.argv[1:] == ["signatures"] else markdown())
