"""Code lists: the one place where the codes a node accepts are defined.

Each list a rule checks is a data file in ``schemas/code-lists/`` (shipped in the
wheel as ``seedsim/schemas/code-lists``), named by its id: a few ``# key: value``
lines say which published list it is (``title``), who publishes it and which
machine-readable copy the file was made from (``source``), its edition
(``version``), where to read it (``url``) and whether the file holds all of it
(``complete``); then CSV rows of ``code,name`` (and, for some lists, more columns).
:func:`code_list` reads one; :data:`SHIPPED_LISTS` names them all.

ISO 3166-1 holds ``XK`` (Kosovo) beside the officially assigned codes: a
user-assigned code, not in the standard, but the one the EU, CEFTA and the SEED+
administrations use, so nodes must accept it (its row says so).

A national profile may use codes beyond an international list (national
identification types, a national country group...). Those are not written here:
a node is given national code list files (``code_lists`` in its configuration),
each in the same format with ``# extends: <list id>``; :func:`national_codes`
reads them and the rules accept their codes on that node only (through
:class:`seedsim.core.validation.RuleContext`).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

import pycountry

from seedsim.core.shipped_data import CODE_LIST_DIR
from seedsim.core.validation import Issue

#: the shipped lists' ids (each is ``schemas/code-lists/<id>.csv``)
COUNTRY_LIST = "iso-3166-1-alpha-2"
CURRENCY_LIST = "iso-4217"
TRANSPORT_MODE_LIST = "unece-rec19-transport-modes"
UNIT_LIST = "unece-rec20-units"
PACKAGE_LIST = "unece-rec21-package-types"
DOCUMENT_LIST = "untdid-1001-document-names"
INCOTERMS_LIST = "incoterms-2020"
TRANSPORT_MEANS_ID_LIST = "eu-transport-means-id-types"
PHYTO_STATUS_LIST = "ephyto-certificate-status"
SHIPPED_LISTS: tuple[str, ...] = (
    COUNTRY_LIST,
    CURRENCY_LIST,
    TRANSPORT_MODE_LIST,
    UNIT_LIST,
    PACKAGE_LIST,
    DOCUMENT_LIST,
    INCOTERMS_LIST,
    TRANSPORT_MEANS_ID_LIST,
    PHYTO_STATUS_LIST,
)
#: what a shipped list's header must say; a national list says ``extends`` and ``source``
REQUIRED_KEYS = ("id", "title", "source", "version", "url", "complete")


class CodeListError(ValueError):
    """A code list file that cannot be read: the message names the file and what to put right."""


@dataclass(frozen=True)
class CodeList:
    """One code list: its codes with their names, and where it comes from."""

    id: str
    title: str
    source: str
    version: str
    url: str
    complete: str
    names: Mapping[str, str]
    #: the shipped list a national list adds codes to (None for a shipped list)
    extends: str | None = None
    notes: tuple[str, ...] = field(default=())
    #: any further columns, by code (e.g. a unit's status, a currency's numeric code)
    columns: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def __contains__(self, code: object) -> bool:
        return code in self.names

    def __len__(self) -> int:
        return len(self.names)

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)


def read_code_list(path: Path) -> CodeList:
    """The code list in ``path``: ``# key: value`` header lines, then CSV with a ``code`` and a ``name`` column."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise CodeListError(f"no code list file {path}: give an existing file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CodeListError(f"cannot read the code list {path}: {exc}") from None
    header: dict[str, str] = {}
    notes: list[str] = []
    body: list[str] = []
    for line in lines:
        if line.startswith("#") and not body:
            key, sep, value = line[1:].partition(":")
            if not sep:
                raise CodeListError(f"{path}: header line {line!r} is not '# key: value'")
            if key.strip() == "note":
                notes.append(value.strip())
            else:
                header[key.strip()] = value.strip()
        elif line.strip():
            body.append(line)
    reader = csv.DictReader(body)
    rows = list(reader)
    if not rows or "code" not in (reader.fieldnames or ()):
        raise CodeListError(
            f"{path}: after the '# key: value' lines, give a CSV header 'code,name' and one row per code"
        )
    names: dict[str, str] = {}
    columns: dict[str, dict[str, str]] = {}
    for pos, row in enumerate(rows, 2):
        code = (row.get("code") or "").strip()
        if not code:
            raise CodeListError(f"{path}: row {pos} of the CSV has no code")
        if code in names:
            raise CodeListError(f"{path}: code {code!r} is listed twice")
        names[code] = (row.get("name") or "").strip()
        more = {k: v for k, v in row.items() if k not in ("code", "name") and k is not None and v}
        if more:
            columns[code] = more
    return CodeList(
        id=header.get("id", path.stem),
        title=header.get("title", path.stem),
        source=header.get("source", ""),
        version=header.get("version", ""),
        url=header.get("url", ""),
        complete=header.get("complete", ""),
        names=names,
        extends=header.get("extends"),
        notes=tuple(notes),
        columns=columns,
    )


@cache
def code_list(list_id: str) -> CodeList:
    """The shipped list ``list_id`` (one of :data:`SHIPPED_LISTS`), read once."""
    if list_id not in SHIPPED_LISTS:
        raise KeyError(f"no shipped code list {list_id!r}: the lists are {', '.join(SHIPPED_LISTS)}")
    path = CODE_LIST_DIR / f"{list_id}.csv"
    found = read_code_list(path)
    missing = [k for k in REQUIRED_KEYS if not getattr(found, k)]
    if missing or found.id != list_id:
        raise CodeListError(f"{path}: the header must say {', '.join(REQUIRED_KEYS)} (id {list_id}); missing {missing}")
    return found


def national_codes(paths: Iterable[Path | str]) -> dict[str, frozenset[str]]:
    """The codes a node accepts beyond the shipped lists, by the id of the list they extend: each file is a
    code list whose header says ``# extends: <shipped list id>`` and ``# source:`` (who publishes the codes)."""
    extra: dict[str, set[str]] = {}
    for given in paths:
        path = Path(given)
        found = read_code_list(path)
        if found.extends not in SHIPPED_LISTS:
            said = (
                f"'# extends: {found.extends}' names no shipped list"
                if found.extends
                else "it has no '# extends:' line"
            )
            raise CodeListError(f"{path}: {said}; a national code list extends one of {', '.join(SHIPPED_LISTS)}")
        if not found.source:
            raise CodeListError(f"{path}: say who publishes these codes in a '# source:' line")
        extra.setdefault(found.extends, set()).update(found.names)
    return {list_id: frozenset(found_codes) for list_id, found_codes in extra.items()}


def accepts(list_id: str, code: str, national: Mapping[str, frozenset[str]] | None = None) -> bool:
    """Whether ``code`` is in the shipped list ``list_id`` or in a node's national extension of it."""
    return code in code_list(list_id) or (national is not None and code in national.get(list_id, ()))


#: User-assigned alpha-2 codes in customs use beside ISO 3166-1 proper.
USER_ASSIGNED_COUNTRIES: dict[str, str] = {"XK": "Kosovo"}

#: The SEED+ administrations (CEFTA Additional Protocol 5).
SEED_COUNTRIES: tuple[str, ...] = ("AL", "BA", "ME", "MK", "RS", "XK")

#: UN/ECE Recommendation 19 mode of transport codes (WCO DE 7/4 ModeCode): all ten, 0 to 9.
TRANSPORT_MODES: Mapping[str, str] = code_list(TRANSPORT_MODE_LIST).names

#: what every rule says of a mode of transport outside UN/ECE Recommendation 19 (which defines every digit)
TRANSPORT_MODE_MESSAGE = (
    "not a UN/ECE Recommendation 19 mode of transport code: 0 not specified, 1 sea, 2 rail, 3 road, 4 air, 5 mail, "
    "6 multimodal, 7 fixed installation, 8 inland water, 9 not applicable"
)

#: Means of transport identification type (EU/WCO DE 7/7, 7/14 type codes).
TRANSPORT_MEANS_ID_TYPES: Mapping[str, str] = code_list(TRANSPORT_MEANS_ID_LIST).names

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
    return frozenset(code_list(COUNTRY_LIST)) | frozenset(USER_ASSIGNED_COUNTRIES)


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
    """ISO 4217 alphabetic currency codes (List One: the current ones)."""
    return frozenset(code_list(CURRENCY_LIST))


def country_name(code: str) -> str:
    if code in USER_ASSIGNED_COUNTRIES:
        return USER_ASSIGNED_COUNTRIES[code]
    return code_list(COUNTRY_LIST).names.get(code, code)


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
