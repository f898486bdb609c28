"""A step's message broken on purpose, so that its receiver answers with a negative acknowledgement.

Workshop mode's ``--fault nack`` shows a room what a NACK is: the receiver
refuses a message, says which rule each error breaks and what to fix, and the
sender must correct it and send it again. The breakage is one a real sender
makes, about the Utility Block's data set (:mod:`seedsim.utility_blocks.data_set`):

* **one element too many** (rule ``UB301``): the sender's national system hands
  over the full document, and one element the UB's data set leaves out stays in
  it (data minimisation skipped for it). Used whenever the full document has such
  an element, so the message stays valid against its schema and the NACK has
  exactly one error;
* **one element missing** (rule ``UB302``): otherwise, an element of the UB's
  minimum data set is left out, preferably one the schema does not require too
  (else the schema check, ``XSD100``, refuses it as well).

The breakage is judged against the data set the *receiver* checks
(``DataSetRules``, e.g. from its node plan): a message several UBs govern may be
unconstrained there (an EntryConfirmation closes five UBs, not all of which set
a data set for it), and then it cannot be broken this way (None).
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from seedsim.core.wco import body_in
from seedsim.utility_blocks.data_set import DataSetRules, outside

#: the faults a workshop can put into one step's message
FAULTS = ("nack",)

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=True)


@dataclass(frozen=True)
class Breakage:
    """What was done to a message, in the words the narration uses."""

    rule: str  # the rule the receiver will find broken: UB301 or UB302
    path: str  # data-set path of the element added or left out
    what: str  # one sentence for the room


def _serialize(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def one_element_too_many(rules: DataSetRules | None, full: bytes) -> tuple[bytes, Breakage] | None:
    """``full`` minimised by hand except for its first element outside the data set; None if it has none."""
    if rules is None:
        return None
    root = etree.fromstring(full, _PARSER)
    extra = outside(root, rules)
    if not extra:
        return None
    (kept, path), rest = extra[0], extra[1:]
    for el, _ in rest:
        el.getparent().remove(el)
    name = etree.QName(kept).localname
    return _serialize(root), Breakage(
        "UB301",
        path,
        f"the sender leaves {name} ({path}) in the message, though the data set of {rules.label} does not list it",
    )


def one_element_missing(rules: DataSetRules | None, minimised: bytes) -> tuple[bytes, Breakage] | None:
    """``minimised`` without one element of the minimum data set; None if there is none to leave out."""
    elements = [e for e in (rules.minimum if rules else ()) if "/@" not in e.path]
    if rules is None or not elements:
        return None
    required = rules.required_by_xsd
    element = next((e for e in elements if e.path not in required), elements[0])
    root = etree.fromstring(minimised, _PARSER)
    body = body_in(root)
    steps = "/".join(f"{{*}}{p}" for p in element.path.strip("/").split("/")[1:])
    found = list(body.iterfind(steps)) if body is not None else []
    if not found:
        return None
    for el in found:
        el.getparent().remove(el)
    return _serialize(root), Breakage(
        "UB302",
        element.path,
        f"the sender leaves out {element.name} ({element.path}), which the minimum data set of {rules.label} requires",
    )


def break_message(rules: DataSetRules | None, full: bytes, minimised: bytes) -> tuple[bytes, Breakage] | None:
    """The message as the faulty sender sends it, and what was broken; None when it cannot be broken.

    ``rules``: the data set the receiver checks the message against; ``full``: the document as the sender's
    national system hands it over; ``minimised``: as the sender's node would send it.
    """
    return one_element_too_many(rules, full) or one_element_missing(rules, minimised)
