"""Identifiers with a published structure: MRN, UCR, customs office codes.

MRN (movement reference number), as defined for the EU customs systems (UCC
Delegated Regulation Annex B, and the NCTS/ECS specifications): 18 characters,

    YY  CC  XXXXXXXXXXXX  P  C
    |   |   |             |  check character over the first 17, ISO 6346 method
    |   |   |             procedure category letter (A export, J transit, R import, ...)
    |   |   12 alphanumerics unique per office and year
    |   ISO 3166 alpha-2 country of the office that issued it
    last two digits of the year of acceptance

UCR (WCO Recommendation on the Unique Consignment Reference, ISO 15459 licence
plate form): year digit, country of the trader, the trader's identifier, then a
trader's reference, e.g. ``6RS101234567-CNS000042``.

Customs office reference number (COL): ISO alpha-2 country + 6 alphanumerics.

TIR carnet number (NCTS phase 5 ``TIRcarnetNumber``, rule R0990: an10/an11 "following the
algorithm defined by IRU"): two letters of which one is X, then a serial of 8 or 9 digits from
25 000 000 up (carnets numbered lower stopped being issued in 2001). The IRU check algorithm is
not public: only the structure is checked.

GS1 keys (GLN, GTIN) end with a mod-10 check digit; the Serbian tax number (PIB) is 9 digits whose
last is an ISO 7064 MOD 11,10 check digit over the first 8.

TIR holder identification number (TIR Convention Annex 9 part II, recommendation of 20 October
2000): ``AAA/BBB/XX..X``, ISO 3166-1 alpha-3 country of authorisation / 3-digit association code /
up to 10 digits.
"""

from __future__ import annotations

import random
import re
import string

from seedsim.core.codes import alpha3_to_alpha2

#: The lengths of the published formats: what a node's HTTP API takes at most in a field carrying one.
MRN_LENGTH = 18  # 2 + 2 + 12 + 1 + 1, as above
UCR_MAX_LENGTH = 35  # WCO UCR Recommendation (an..35), the ISO 15459 licence plate's maximum
OFFICE_LENGTH = 8  # ISO 3166 alpha-2 + 6 alphanumerics
COUNTRY_LENGTH = 2  # ISO 3166-1 alpha-2

MRN_PATTERN = re.compile(r"^[0-9]{2}[A-Z]{2}[A-Z0-9]{12}[A-Z][A-Z0-9]$")
OFFICE_PATTERN = re.compile(r"^[A-Z]{2}[A-Z0-9]{6}$")
CARNET_PATTERN = re.compile(r"^(X[A-Z]|[A-Z]X)([1-9][0-9]{7,8})$")
FIRST_CURRENT_SERIAL = 25_000_000
HOLDER_ID_PATTERN = re.compile(r"^([A-Z]{3})/([0-9]{3})/([0-9]{1,10})$")

#: Procedure category letters (UCC DA Annex B, title II, data element 1/1 MRN).
MRN_PROCEDURES = {
    "A": "Export only",
    "B": "Export and exit summary declaration",
    "C": "Exit summary declaration only",
    "J": "Transit declaration only",
    "K": "Transit declaration and exit summary declaration",
    "R": "Import declaration only",
    "S": "Import declaration and entry summary declaration",
    "T": "Entry summary declaration only",
}

# ISO 6346 letter values: A=10 and up, skipping multiples of 11.
_VALUES: dict[str, int] = {d: int(d) for d in string.digits}
_v = 10
for _letter in string.ascii_uppercase:
    if _v % 11 == 0:
        _v += 1
    _VALUES[_letter] = _v
    _v += 1


def mrn_check_character(first17: str) -> str:
    """The check character of an MRN, from its first 17 characters (ISO 6346 method)."""
    if len(first17) != 17:
        raise ValueError(f"an MRN check character is computed over 17 characters, got {len(first17)}")
    try:
        total = sum(_VALUES[ch] * (2**i) for i, ch in enumerate(first17))
    except KeyError as exc:
        raise ValueError(f"MRN may hold only A-Z and 0-9, found {exc.args[0]!r}") from None
    return str(total % 11 % 10)


def is_valid_mrn(mrn: str) -> bool:
    return bool(MRN_PATTERN.match(mrn)) and mrn_check_character(mrn[:17]) == mrn[17]


def make_mrn(year: int, country: str, serial: str, procedure: str) -> str:
    """Build an MRN; ``serial`` is the 12-character office-unique part."""
    if len(serial) != 12 or not serial.isalnum():
        raise ValueError("the MRN serial part is 12 alphanumerics")
    if procedure not in MRN_PROCEDURES:
        raise ValueError(f"unknown MRN procedure letter {procedure!r}")
    body = f"{year % 100:02d}{country}{serial.upper()}{procedure}"
    return body + mrn_check_character(body)


def is_valid_office(code: str) -> bool:
    return bool(OFFICE_PATTERN.match(code))


def make_ucr(year: int, country: str, trader_id: str, reference: str) -> str:
    """A WCO UCR in the ISO 15459 form: year digit, country, trader id, '-', reference."""
    ucr = f"{year % 10}{country}{trader_id}-{reference}"
    if len(ucr) > UCR_MAX_LENGTH:
        raise ValueError(f"a UCR is at most {UCR_MAX_LENGTH} characters")
    return ucr


def is_valid_carnet_number(number: str) -> bool:
    m = CARNET_PATTERN.match(number)
    return m is not None and int(m.group(2)) >= FIRST_CURRENT_SERIAL


def is_valid_holder_id(holder_id: str) -> bool:
    m = HOLDER_ID_PATTERN.match(holder_id)
    return m is not None and m.group(1) in alpha3_to_alpha2()


def gs1_check_digit(body: str) -> int:
    """GS1 mod-10 check digit (GLN, GTIN): weights 3,1,3,... from the right of the body."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def is_valid_gs1(number: str) -> bool:
    return number.isdigit() and len(number) in (8, 12, 13, 14) and gs1_check_digit(number[:-1]) == int(number[-1])


def iso7064_mod11_10(body: str) -> int:
    """ISO 7064 MOD 11,10 check digit (hybrid system), as used by the Serbian PIB."""
    p = 10
    for d in body:
        s = (int(d) + p) % 10 or 10
        p = (2 * s) % 11
    return (11 - p) % 10


def is_valid_rs_pib(pib: str) -> bool:
    """Serbian PIB: 9 digits, first not 0, the last an ISO 7064 MOD 11,10 check digit over the first 8."""
    return bool(re.fullmatch(r"[1-9][0-9]{8}", pib)) and iso7064_mod11_10(pib[:8]) == int(pib[8])


def random_mrn_serial(rng: random.Random) -> str:
    """A random 12-character MRN serial (A-Z, 0-9), for generated documents."""
    return "".join(rng.choice(string.digits + string.ascii_uppercase) for _ in range(12))


def random_mrn(rng: random.Random, year: int, country: str, procedure: str) -> str:
    """A valid MRN with a random serial, for generated documents."""
    return make_mrn(year, country, random_mrn_serial(rng), procedure)
