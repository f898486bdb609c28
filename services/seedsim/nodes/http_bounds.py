"""What a node's HTTP API takes at its edge: how long each field may be and which characters, by the format it carries.

A field is bounded by the real format it names, so that a megabyte "office" or consignment reference is
refused at the door (400, rule ``API101``, saying the format and its length) instead of travelling into the
node's store and into a message to a neighbour:

========================  ==========  =====================================================================
field                     at most     format
========================  ==========  =====================================================================
consignment, ``{ref}``    35          UCR (WCO UCR Recommendation, ISO 15459 licence plate: an..35)
mrn                       18          MRN (UCC Delegated Regulation Annex B: 18 characters)
office, entry_office      8           customs office reference number (ISO 3166 alpha-2 + 6 characters)
to (a query)              2           a customs node: ISO 3166-1 alpha-2 country code
to, sender (a node)       16          a node: a country code, or an agency's id such as ``RS-PHYTO``
event                     16          PRE_ARRIVAL, EXIT or ENTRY
``{message_id}``          128         a message id (seedsim's: 32 hex digits; a partner's CloudEvents id)
``{ref}`` (issued)        35          a certificate or carnet number (WCO DM document identifier, an..35)
reason                    512         free text (the length of a WCO DM statement description)
========================  ==========  =====================================================================

Every text must be printable: no control characters and no lone surrogates. JSON can carry a lone
surrogate in (``"\\ud800"``), but neither UTF-8 nor XML can carry it on, so a node that took one failed
later, answering 500. Free text (``reason``) may hold tabs and line breaks. Surrounding spaces are dropped
before a reference is measured (``" rs016020"`` is the office ``rs016020``).
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, NamedTuple

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from seedsim.core.identifiers import COUNTRY_LENGTH, MRN_LENGTH, OFFICE_LENGTH, UCR_MAX_LENGTH

#: the pydantic error type of a refused text: :mod:`.http_errors` answers its message as it is
BOUNDED_TEXT = "bounded_text"


class Bound(NamedTuple):
    """The format a field carries, as a sentence names it, and its greatest length."""

    format: str
    max_length: int
    free_text: bool = False


UCR = Bound("a UCR (WCO UCR Recommendation, ISO 15459)", UCR_MAX_LENGTH)
MRN = Bound("an MRN (UCC Delegated Regulation Annex B)", MRN_LENGTH)
OFFICE = Bound("a customs office reference number (ISO 3166 country code and 6 characters)", OFFICE_LENGTH)
COUNTRY = Bound("a customs node's ISO 3166-1 alpha-2 country code", COUNTRY_LENGTH)
NODE = Bound("a node (a country code, or an agency's id such as RS-PHYTO)", 16)
EVENT = Bound("an event (PRE_ARRIVAL, EXIT or ENTRY)", 16)
MESSAGE_ID = Bound("a message id", 128)
DOCUMENT_REF = Bound("a certificate or carnet number (WCO DM document identifier)", 35)
REASON = Bound("a free text", 512, free_text=True)

_FREE_TEXT_CONTROLS = frozenset("\t\n\r")


def unprintable(value: str, free_text: bool = False) -> str | None:
    """The first character of ``value`` no field takes (a control character, a lone surrogate...), else None."""
    for ch in value:
        if not ch.isprintable() and not (free_text and ch in _FREE_TEXT_CONTROLS):
            return ch
    return None


def check(bound: Bound, value: str) -> str:
    """``value`` without surrounding spaces, when it fits ``bound``; else a pydantic error saying why."""
    value = value if bound.free_text else value.strip()
    if len(value) > bound.max_length:
        raise PydanticCustomError(
            BOUNDED_TEXT,
            "is {length} characters long: {format} has at most {max_length}",
            {"length": len(value), "format": bound.format, "max_length": bound.max_length},
        )
    bad = unprintable(value, bound.free_text)
    if bad is not None:
        raise PydanticCustomError(
            BOUNDED_TEXT,
            "holds the character {char}, which is not printable text: send {format} in printable characters",
            {"char": f"U+{ord(bad):04X}", "format": bound.format},
        )
    return value


def _bounded(bound: Bound) -> AfterValidator:
    return AfterValidator(partial(check, bound))


# the types of the bounded fields and parameters (query and path parameters add their Query/Path to these)
UcrText = Annotated[str, _bounded(UCR)]
MrnText = Annotated[str, _bounded(MRN)]
OfficeText = Annotated[str, _bounded(OFFICE)]
CountryText = Annotated[str, _bounded(COUNTRY)]
NodeText = Annotated[str, _bounded(NODE)]
EventText = Annotated[str, _bounded(EVENT)]
MessageIdText = Annotated[str, _bounded(MESSAGE_ID)]
DocumentRefText = Annotated[str, _bounded(DOCUMENT_REF)]
ReasonText = Annotated[str, _bounded(REASON)]
