"""Codes in words: what a trainer says aloud when a message carries ``AO``, ``03`` or ``UB301``.

Messages carry codes, and a room of customs officers and integrators reads
``ResultCode = AO`` as noise until someone says "authentic and the products
originating". Workshop mode (:mod:`seedsim.runners.workshop`) puts these words
next to each code it shows. The words come from where the codes are defined,
so they cannot drift from what the nodes accept:

* country codes: ISO 3166-1 through :func:`seedsim.core.codes.country_name`
  (and the country groups a certificate of origin may name);
* code lists of the message families (origin verification results, reasons,
  certificate forms, ePhyto certificate types, transit types, modes of transport);
* acknowledgement and entry-confirmation function codes (``01``, ``03``, ``09``),
  the match result of an entry confirmation (``MAT``/``DIS``) and the match
  codes of the Utility Blocks' ``matching`` sections (``M01``...);
* the rule id of an error: the title its :class:`~seedsim.core.validation.RuleSet`
  registered, or the network-level rules every node applies (XML safety, XSD,
  envelope, Utility Block data set).

A code without words here is shown as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache

from seedsim.core import codes
from seedsim.core.response import ACCEPTED, GOODS_ENTERED, REJECTED
from seedsim.message_catalogue import CATALOGUE
from seedsim.messages import origin, phyto
from seedsim.utility_blocks import load_all

#: Response/FunctionCode (WCO DE 017) as seedsim uses it (see :mod:`seedsim.core.response`)
FUNCTION_CODES = {
    ACCEPTED: "positive acknowledgement: read and accepted",
    REJECTED: "negative acknowledgement: refused, with every error",
    GOODS_ENTERED: "goods entered: the office of entry confirms the arrival, with the match result",
}
#: AdditionalInformation/StatementTypeCode of an entry confirmation (rule ENT101)
STATEMENT_TYPES = {"MAT": "the exit and entry data matched", "DIS": "a discrepancy between exit and entry data"}
#: Third letter of Declaration/TypeCode: EU data element 1/2, additional declaration type (UCC DA Annex B)
ADDITIONAL_DECLARATION_TYPES = {
    "A": "standard declaration",
    "B": "simplified declaration, occasional",
    "C": "simplified declaration, regular use",
    "D": "standard declaration lodged before the goods are presented",
    "E": "simplified declaration, occasional, lodged before the goods are presented",
    "F": "simplified declaration, regular use, lodged before the goods are presented",
    "X": "supplementary declaration (after B or E)",
    "Y": "supplementary declaration (after C or F)",
    "Z": "supplementary declaration (entry in the declarant's records)",
}
#: rules every node applies whatever the message (README, "Validation"): not in any message family's RuleSet
NETWORK_RULES = {
    "XML100": "the payload is empty or not XML",
    "XML101": "the document declares a DTD or entities, which WCO DM messages must not",
    "XML102": "the document is not well-formed XML",
    "XML103": "elements nested too deep",
    "XML104": "the document is too large",
    "XSD100": "the message does not match its XML schema",
    "R100": "the business rules could not read the document",
    "F300": "bad CloudEvents headers",
    "F301": "a sender the node does not exchange with",
    "F302": "a message addressed to another node",
    "F303": "a message type the node does not know",
    "F305": "a CloudEvents header too long to answer",
    "F306": "a message id already used for another payload",
    "F310": "an unsigned message",
    "F311": "a signature that cannot be read",
    "F312": "signed with a key the network does not trust",
    "F313": "signed with another node's key",
    "F314": "signed with a revoked key",
    "F315": "a forged or changed message: the signature does not match",
    "F316": "signed with a key that has expired (or is not valid yet)",
    "F317": "sent at a time too far from the receiver's clock",
    "I401": "the receiving node failed internally",
    "UB301": "an element outside the Utility Block's data set",
    "UB302": "an element of the Utility Block's minimum data set is missing",
}


def country_words(code: str) -> str | None:
    """The country's name (or a group a certificate of origin may name), None if ``code`` is neither."""
    if code in codes.countries():
        return codes.country_name(code)
    return origin.GROUPS.get(code)


def declaration_type_words(code: str) -> str | None:
    """``EXA`` -> export, standard declaration; a transit type (``T1``) -> its kind of transit."""
    if code in codes.TRANSIT_TYPES:
        return codes.TRANSIT_TYPES[code]
    kind = codes.DECLARATION_KINDS.get(code[:2])
    if kind is None:
        return None
    extra = ADDITIONAL_DECLARATION_TYPES.get(code[2:])
    return f"{kind}, {extra}" if extra else kind


@cache
def match_codes() -> dict[str, str]:
    """The alert codes of every Utility Block's ``matching`` section: ``M01`` -> what differs."""
    return {
        c.alert: f"{c.element} differs between exit and entry"
        for ub in load_all().values()
        if ub.matching
        for c in ub.matching.compare
    }


def rule_words(rule: str, message: str | None = None) -> str | None:
    """What a rule checks: a network-level rule, else the title the rule's RuleSet gives it (``message``'s first)."""
    if rule in NETWORK_RULES:
        return NETWORK_RULES[rule]
    mt = CATALOGUE.by_name.get(message) if message else None
    for rules in [mt.rules if mt else None, *(t.rules for t in CATALOGUE)]:
        found = next((r.title for r in rules.rules if r.id == rule), None) if rules else None
        if found:
            return found
    return None


def _last(path: str) -> tuple[str, str]:
    parts = path.strip("/").split("/")
    return (parts[-2] if len(parts) > 1 else ""), parts[-1]


#: data-set path (local names from the message's element) -> the code list of its values
CODE_LISTS: dict[str, Mapping[str, str]] = {
    "/CertificateOfOrigin/TypeCode": origin.FORMS,
    "/CertificateOfOrigin/PreferentialTrade/AgreementID": origin.AGREEMENTS,
    "/CertificateOfOrigin/GoodsItem/OriginCriterionCode": origin.ORIGIN_CRITERIA,
    "/CertificateOfOrigin/IssuingAuthority/TypeCode": origin.AUTHORITY_TYPES,
    "/OriginVerificationRequest/Reason/ReasonCode": origin.REASONS,
    "/OriginVerificationRequest/RequestedDocument/TypeCode": origin.DOCUMENT_TYPES,
    "/OriginVerificationResponse/ResultCode": origin.RESULTS,
    "/SPSCertificate/SPSExchangedDocument/TypeCode": phyto.CERTIFICATE_TYPES,
    "/SPSCertificate/SPSExchangedDocument/StatusCode": phyto.STATUSES,
    "/Response/FunctionCode": FUNCTION_CODES,
    "/Response/AdditionalInformation/StatementTypeCode": STATEMENT_TYPES,
}


def value_words(path: str, value: str, about: str | None = None) -> str | None:
    """Words for the value at a data-set path, or None when it is not a code seedsim can explain.

    ``about``: for an acknowledgement, the message it answers (whose rules its errors name).
    """
    if path in CODE_LISTS:
        return CODE_LISTS[path].get(value)
    parent, last = _last(path)
    by_path: dict[str, Callable[[str], str | None]] = {
        "/Declaration/TypeCode": declaration_type_words,
        "/Response/AdditionalInformation/StatementCode": lambda v: match_codes().get(v),
        "/Response/Error/ValidationCode": lambda v: rule_words(v, about),
    }
    if path in by_path:
        return by_path[path](value)
    if last.endswith(("CountryCode", "NationalityCode")) or (last == "ID" and parent.endswith("Country")):
        return country_words(value)
    if last == "ModeCode":
        return codes.TRANSPORT_MODES.get(value)
    return None
