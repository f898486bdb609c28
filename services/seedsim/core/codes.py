"""Code lists: the one place where the codes a node accepts are defined.

ISO 3166-1 alpha-2 and ISO 4217 come from ``pycountry`` (which ships the
Debian iso-codes tables), so they follow the published standards rather than a
hand-typed copy. ``XK`` (Kosovo) is a user-assigned ISO 3166 code, not in the
standard list, but it is the code the EU and CEFTA customs administrations use,
so SEED+ nodes must accept it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache

import pycountry

from seedsim.core.validation import Issue

#: User-assigned alpha-2 codes in customs use beside ISO 3166-1 proper.
USER_ASSIGNED_COUNTRIES: dict[str, str] = {"XK": "Kosovo"}

#: The SEED+ administrations (CEFTA Additional Protocol 5).
SEED_COUNTRIES: tuple[str, ...] = ("AL", "BA", "ME", "MK", "RS", "XK")

#: UN/ECE Recommendation 19 mode of transport codes (WCO DE 7/4 ModeCode).
TRANSPORT_MODES: dict[str, str] = {
    "0": "Mode of transport not specified",
    "1": "Maritime transport",
    "2": "Rail transport",
    "3": "Road transport",
    "4": "Air transport",
    "5": "Mail",
    "7": "Fixed transport installations",
    "8": "Inland water transport",
    "9": "Mode of transport not known",
}

#: Means of transport identification type (EU/WCO DE 7/7, 7/14 type codes).
TRANSPORT_MEANS_ID_TYPES: dict[str, str] = {
    "10": "IMO ship identification number",
    "11": "Name of the sea-going vessel",
    "20": "Wagon number",
    "21": "Train number",
    "30": "Registration number of the road vehicle",
    "31": "Registration number of the road trailer",
    "40": "IATA flight number",
    "41": "Registration number of the aircraft",
    "80": "European Vessel Identification Number (ENI code)",
    "81": "Name of the inland waterways vessel",
}

#: Declaration/FunctionCode (UN/EDIFACT 1225 message function code), as used by WCO DM.
FUNCTION_ORIGINAL = "9"
FUNCTION_CHANGE = "13"  # amendment (TypeCode COR) or cancellation (TypeCode INV)

#: First two letters of Declaration/TypeCode (EU DE 1/1).
DECLARATION_KINDS = {"EX": "export", "IM": "import", "CO": "customs goods (special fiscal territories)"}
#: Transit declaration types (EU DE 1/1 for transit, as in NCTS): the whole TypeCode.
TRANSIT_TYPES = {
    "T": "mixed consignment (T1 and T2 goods items)",
    "T1": "external Union transit",
    "T2": "internal Union transit",
    "T2F": "internal transit, special fiscal territories",
    "TIR": "TIR operation",
}

#: Classification/IdentificationTypeCode values read as a commodity code (UN/EDIFACT 7143 "HS";
#: TRC, the 2-digit TARIC add-on, is not one;
#: TSP is the national tariff code list used by a DMS profile for the 8-digit CN code).
COMMODITY_CODE_TYPES = ("HS", "TSP")


@lru_cache(maxsize=1)
def countries() -> frozenset[str]:
    """Every alpha-2 code a node accepts: ISO 3166-1 plus the user-assigned ones above."""
    return frozenset(c.alpha_2 for c in pycountry.countries) | frozenset(USER_ASSIGNED_COUNTRIES)


@lru_cache(maxsize=1)
def alpha3_to_alpha2() -> dict[str, str]:
    """ISO 3166-1 alpha-3 -> alpha-2, plus XKX for Kosovo (user-assigned, like XK)."""
    table = {c.alpha_3: c.alpha_2 for c in pycountry.countries}
    table["XKX"] = "XK"
    return table


def alpha3_of(alpha2: str) -> str:
    return next(a3 for a3, a2 in alpha3_to_alpha2().items() if a2 == alpha2)


def hs_code_problem(code: str) -> str | None:
    """Why ``code`` is not an HS-based commodity code, or None: the 6-digit HS subheading, or 8 or 10
    digits with a national extension (CN, TARIC-like tariffs); chapter 01-97, 77 reserved."""
    if not code.isdigit() or len(code) not in (6, 8, 10):
        return "an HS-based commodity code has 6 digits (the HS subheading), or 8 or 10 with a national extension"
    chapter = int(code[:2])
    if not 1 <= chapter <= 97 or chapter == 77:
        return "no such HS chapter: chapters run from 01 to 97, and 77 is reserved"
    return None


def is_hs_code(code: str) -> bool:
    return hs_code_problem(code) is None


@lru_cache(maxsize=1)
def currencies() -> frozenset[str]:
    """ISO 4217 alphabetic currency codes."""
    return frozenset(c.alpha_3 for c in pycountry.currencies)


def country_name(code: str) -> str:
    if code in USER_ASSIGNED_COUNTRIES:
        return USER_ASSIGNED_COUNTRIES[code]
    found = pycountry.countries.get(alpha_2=code)
    return found.name if found else code


def country_code_issues(
    rule: str,
    code: int,
    fields: Iterable[tuple[str, str | None]],
    message: str = "not an ISO 3166-1 alpha-2 country code",
    extra: Iterable[str] = (),
    severity: str = "error",
) -> Iterator[Issue]:
    """An issue for each ``(pointer, value)`` whose value is not a country code a node accepts
    (:func:`countries`, or one of ``extra``, e.g. the country groups a certificate of origin may
    name); a value of None is absent, not wrong."""
    known = countries()
    also = frozenset(extra)
    for pointer, value in fields:
        if value is not None and value not in known and value not in also:
            yield Issue(rule, code, message, pointer, value, severity=severity)
