"""Every element path a message type's XSD allows, so a UB cannot name an element that does not exist.

lxml validates against an XSD but does not expose its structure, so this walks
the schema documents themselves (following ``xs:include``, chameleon includes
included, and ``xs:import``). seedsim's XSDs use global elements, named and
anonymous complex types, sequences, choices, simple content and attributes;
that is all the walk needs. Paths are local names from the message type's
identifying element (``MessageType.element``), e.g.
``/Declaration/GoodsShipment/UCR/ID``; attributes are a last ``/@name`` step.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from lxml import etree

from seedsim.core.message_type import MessageType
from seedsim.core.validation import SCHEMA_DIR

XS = "{http://www.w3.org/2001/XMLSchema}"
_MAX_DEPTH = 25


class _SchemaSet:
    """Global elements and complex types of a schema and everything it includes or imports."""

    def __init__(self, root_file: Path):
        self.elements: dict[tuple[str, str], etree._Element] = {}
        self.types: dict[tuple[str, str], etree._Element] = {}
        self._seen: set[tuple[Path, str]] = set()
        self._load(root_file.resolve(), None)

    def _load(self, path: Path, chameleon_ns: str | None) -> None:
        doc = etree.parse(str(path)).getroot()
        ns = doc.get("targetNamespace") or chameleon_ns or ""
        if (path, ns) in self._seen:
            return
        self._seen.add((path, ns))
        for child in doc:
            if child.tag == f"{XS}element":
                self.elements[(ns, child.get("name"))] = child
            elif child.tag == f"{XS}complexType":
                self.types[(ns, child.get("name"))] = child
            elif child.tag in (f"{XS}include", f"{XS}import") and child.get("schemaLocation"):
                self._load(
                    (path.parent / child.get("schemaLocation")).resolve(), ns if child.tag == f"{XS}include" else None
                )

    def type_of(self, decl: etree._Element) -> etree._Element | None:
        """The complex type of an element declaration (anonymous or named), None for simple types."""
        inline = decl.find(f"{XS}complexType")
        if inline is not None:
            return inline
        qname = decl.get("type")
        if not qname:
            return None
        prefix, _, local = qname.rpartition(":")
        ns = decl.nsmap.get(prefix or None, "")
        if ns == XS[1:-1]:
            return None
        # a chameleon-included type lives under the includer's namespace
        found = self.types.get((ns, local))
        return found if found is not None else next((t for (_, n), t in self.types.items() if n == local), None)

    def referenced(self, ref: etree._Element) -> etree._Element | None:
        """The global element an ``<xs:element ref=...>`` points to."""
        prefix, _, local = ref.get("ref").rpartition(":")
        return self.elements.get((ref.nsmap.get(prefix or None, ""), local))


def _walk(schemas: _SchemaSet, ctype: etree._Element, prefix: str, out: set[str], depth: int) -> None:
    if depth > _MAX_DEPTH:
        return
    for node in ctype.iter(f"{XS}element", f"{XS}attribute", f"{XS}extension"):
        # only this type's own particles: skip those that belong to a nested anonymous type
        owner = next(a for a in node.iterancestors(f"{XS}complexType"))
        if owner is not ctype:
            continue
        if node.tag == f"{XS}attribute" and node.get("name"):
            out.add(f"{prefix}/@{node.get('name')}")
        elif node.tag == f"{XS}extension" and node.get("base"):
            base = schemas.type_of(etree.Element(f"{XS}element", type=node.get("base"), nsmap=node.nsmap))
            if base is not None:
                _walk(schemas, base, prefix, out, depth + 1)
        elif node.tag == f"{XS}element":
            if node.get("ref"):
                node = schemas.referenced(node)
                if node is None:
                    continue
            path = f"{prefix}/{node.get('name')}"
            out.add(path)
            child = schemas.type_of(node)
            if child is not None:
                _walk(schemas, child, path, out, depth + 1)


@cache
def _root(schema: str, element: str) -> tuple[_SchemaSet, Any, str]:
    """The schema set, the global declaration of ``element`` (Clark name) and its local name: read once."""
    path = Path(schema) if Path(schema).is_absolute() else SCHEMA_DIR / schema
    schemas = _SchemaSet(path)
    ns, local = element[1:].split("}", 1) if element.startswith("{") else ("", element)
    decl = schemas.elements.get((ns, local))
    if decl is None:
        raise LookupError(f"{schema} declares no global element {element}")
    return schemas, decl, local


@cache
def _paths(schema: str, element: str) -> frozenset[str]:
    schemas, decl, local = _root(schema, element)
    out = {f"/{local}"}
    ctype = schemas.type_of(decl)
    if ctype is not None:
        _walk(schemas, ctype, f"/{local}", out, 0)
    return frozenset(out)


def element_paths(message_type: MessageType) -> frozenset[str]:
    """Every element (and attribute) path the message type's schema allows under its identifying element."""
    return _paths(message_type.schema, message_type.element)


def _mandatory(node: etree._Element, ctype: etree._Element) -> bool:
    """Whether a particle must occur whenever its parent does: minOccurs not 0, not in an optional group.

    A branch of a mandatory choice counts as required: a valid document holds only the branch it chose.
    """
    if node.tag == f"{XS}attribute":
        return node.get("use") == "required"
    if node.get("minOccurs", "1") == "0":
        return False
    for a in node.iterancestors():
        if a is ctype:
            return True
        if a.get("minOccurs", "1") == "0":
            return False
    return True


def _walk_required(schemas: _SchemaSet, ctype: etree._Element, prefix: str, out: set[str], depth: int) -> None:
    if depth > _MAX_DEPTH:
        return
    for node in ctype.iter(f"{XS}element", f"{XS}extension"):
        if next(a for a in node.iterancestors(f"{XS}complexType")) is not ctype:
            continue
        if node.tag == f"{XS}extension" and node.get("base"):
            base = schemas.type_of(etree.Element(f"{XS}element", type=node.get("base"), nsmap=node.nsmap))
            if base is not None:
                _walk_required(schemas, base, prefix, out, depth + 1)
        elif node.tag == f"{XS}element":
            decl = schemas.referenced(node) if node.get("ref") else node
            if decl is None:
                continue
            path = f"{prefix}/{decl.get('name')}"
            if _mandatory(node, ctype):
                out.add(path)
            child = schemas.type_of(decl)
            if child is not None:
                _walk_required(schemas, child, path, out, depth + 1)


@cache
def _required(schema: str, element: str) -> frozenset[str]:
    schemas, decl, local = _root(schema, element)
    out: set[str] = set()
    ctype = schemas.type_of(decl)
    if ctype is not None:
        _walk_required(schemas, ctype, f"/{local}", out, 0)
    return frozenset(out)


def required_paths(message_type: MessageType) -> frozenset[str]:
    """Element paths the XSD requires whenever their parent element is present (minOccurs >= 1; any branch of a mandatory choice).

    Data minimisation keeps these: stripping them would make the document invalid.
    """
    return _required(message_type.schema, message_type.element)
