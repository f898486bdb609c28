"""A Utility Block's data set, enforced: the sender strips, the receiver checks (UB301, UB302).

A UB lists, per message, the elements the exchange may carry (its maximum data
set) and those it must carry (its minimum data set: ``set: minimum`` with
``min >= 1``). Data minimisation works on the XML document, generically, for
every message type:

* an element is *allowed* when its path (local names from the message's
  identifying element, as in the UB file) is in the data set, is an ancestor of
  a data-set path (a wrapper), lies inside a data-set element, or is required by
  the message's XSD whenever its parent is present (stripping it would make the
  document invalid);
* :func:`minimise` removes every element that is not allowed, outermost first;
  the WCO ``MetaData`` wrapper around a declaration is not part of the message
  and stays; attributes qualify their element's value (unit, currency) and stay;
* :func:`check` is the receiver's side: ``UB301`` for each element outside the
  data set (the outermost one, with its pointer), ``UB302`` for each element of
  the minimum data set that is absent. Both are functional errors (class 3xx):
  the message is NACKed and dead-lettered like any invalid message.

When several UBs may govern a message (the same type on the same event, e.g.
EntryConfirmation closes five UBs), :func:`merge` makes one rule set from
them: allowed is the union of their data sets, required only what every one
of them requires; if one of them sets no data set for the message, it is not
constrained at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from lxml import etree

from seedsim.core.validation import Issue
from seedsim.core.wco import body_in
from seedsim.message_catalogue import CATALOGUE
from seedsim.utility_blocks.model import Element, UtilityBlock
from seedsim.utility_blocks.xsd_paths import required_paths

#: the most paths whose verdict one rule set remembers (a message type has a few hundred)
VERDICTS_KEPT = 4096


@dataclass(frozen=True)
class DataSetRules:
    """What one message may and must carry under one or more UBs."""

    ubs: tuple[str, ...]
    message: str
    paths: frozenset[str]  # data-set element paths (attribute steps dropped)
    minimum: tuple[Element, ...]  # elements every governing UB requires (set: minimum, min >= 1)

    @property
    def label(self) -> str:
        return "/".join(self.ubs)

    @property
    def required_by_xsd(self) -> frozenset[str]:
        return required_paths(CATALOGUE.by_name[self.message])

    @cached_property
    def _kept(self) -> frozenset[str]:
        """Data-set paths, every element that wraps one, and what the XSD requires: computed once."""
        wrappers = {p[:i] for p in self.paths for i in range(1, len(p)) if p[i] == "/"}
        return frozenset(self.paths) | frozenset(wrappers) | self.required_by_xsd

    @cached_property
    def _verdicts(self) -> dict[str, bool]:
        """:meth:`allows` per path already asked: the same few paths come back in every message of the type.
        At most :data:`VERDICTS_KEPT` of them, so that documents full of made-up elements cannot grow it."""
        return {}

    def allows(self, path: str) -> bool:
        """In the data set, wrapping a data-set element, required by the XSD, or inside a data-set element."""
        verdicts = self._verdicts
        verdict = verdicts.get(path)
        if verdict is None:
            verdict = path in self._kept or any(path[:i] in self.paths for i in range(1, len(path)) if path[i] == "/")
            if len(verdicts) < VERDICTS_KEPT:
                verdicts[path] = verdict
        return verdict


def _element_path(path: str) -> str:
    return path.split("/@", 1)[0]


def rules_for(ub: UtilityBlock, message: str) -> DataSetRules | None:
    """The data-set rules of ``message`` in ``ub``; None when the UB sets no data set for it."""
    ds = next((d for d in ub.data_set if d.message == message), None)
    if ds is None:
        return None
    return DataSetRules(
        (ub.id,),
        message,
        frozenset(_element_path(e.path) for e in ds.elements),
        tuple(e for e in ds.elements if e.set == "minimum" and e.min >= 1),
    )


def merge(message: str, blocks: list[UtilityBlock]) -> DataSetRules | None:
    """One rule set for a message several UBs may govern (see the module docstring); None = unconstrained."""
    found = [rules_for(ub, message) for ub in blocks]
    if not found or any(r is None for r in found):
        return None
    if len(found) == 1:
        return found[0]
    required = set.intersection(*({e.path for e in r.minimum} for r in found))
    minimum = tuple({e.path: e for r in found for e in r.minimum if e.path in required}.values())
    return DataSetRules(
        tuple(i for r in found for i in r.ubs), message, frozenset().union(*(r.paths for r in found)), minimum
    )


# -- the document -----------------------------------------------------------------------------------


def _body(root: etree._Element) -> tuple[etree._Element, str]:
    """The message element (inside a MetaData wrapper, if any) and the pointer prefix of its parent."""
    body = body_in(root)
    if body is None or body is root:
        return root, ""
    return body, f"/{etree.QName(root).localname}"


def _children(el: etree._Element) -> list[etree._Element]:
    return [c for c in el if isinstance(c.tag, str)]


def _outside(el: etree._Element, path: str, rules: DataSetRules, out: list[tuple[etree._Element, str]]) -> None:
    for child in _children(el):
        child_path = f"{path}/{child.tag.rpartition('}')[2]}"
        if rules.allows(child_path):
            _outside(child, child_path, rules, out)
        else:
            out.append((child, child_path))


def outside(root: etree._Element, rules: DataSetRules) -> list[tuple[etree._Element, str]]:
    """The outermost elements outside the data set, with their data-set paths."""
    body, _ = _body(root)
    out: list[tuple[etree._Element, str]] = []
    _outside(body, f"/{etree.QName(body).localname}", rules, out)
    return out


def present(root: etree._Element, path: str) -> bool:
    """Whether the document has the element (or attribute) at a data-set path."""
    body, _ = _body(root)
    parts = path.strip("/").split("/")
    if parts[0] != etree.QName(body).localname:
        return False
    attribute = parts.pop()[1:] if parts[-1].startswith("@") else None
    steps = "/".join(f"{{*}}{p}" for p in parts[1:])  # lxml's ElementPath: any namespace, in C
    nodes = body.iterfind(steps) if steps else iter((body,))
    if attribute is None:
        return next(nodes, None) is not None
    return any(n.get(attribute) is not None for n in nodes)


def minimise(payload: bytes, rules: DataSetRules | None) -> bytes:
    """``payload`` with every element outside the data set removed; unchanged (same bytes) when nothing is outside."""
    if rules is None:
        return payload
    root = etree.fromstring(payload, etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=True))
    extra = outside(root, rules)
    if not extra:
        return payload
    for el, _ in extra:
        el.getparent().remove(el)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def check(root: etree._Element, rules: DataSetRules | None) -> list[Issue]:
    """The receiver's data-set check: UB301 per element outside the data set, UB302 per missing minimum element."""
    if rules is None:
        return []
    _, prefix = _body(root)
    issues = [
        Issue(
            "UB301",
            301,
            f"{etree.QName(el).localname} is not in the data set of {rules.label} for {rules.message}: remove it",
            prefix + path,
        )
        for el, path in outside(root, rules)
    ]
    issues += [
        Issue(
            "UB302",
            302,
            f"{e.name} is in the minimum data set of {rules.label} for {rules.message}: add it",
            prefix + e.path,
        )
        for e in rules.minimum
        if not present(root, e.path)
    ]
    return issues
