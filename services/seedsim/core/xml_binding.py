"""A small declarative binding between pydantic models and namespaced XML.

WCO DM documents are deep trees of optional elements whose order is fixed by
the schema. Rather than hand-write a reader and a writer per class, a model
declares its fields in schema order, each with the WCO element name as its
alias; :func:`to_element` and :func:`from_element` walk that declaration.

* A field whose type is an :class:`XmlModel` is a child element; a ``list[...]``
  is a repeated element; a scalar (``str``, ``int``, ``Decimal``) is a leaf.
* :func:`attribute` marks a field written as an XML attribute (``currencyID``),
  :func:`text` the field that holds the element's own text.
* Reading tolerates elements a model does not declare (a national profile may
  carry more than the SEED data set); schema validation is where strictness lives.

One binding serves every message type in the catalogue.
"""

from __future__ import annotations

import contextvars
import types
import typing
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any, ClassVar, Generic, TypeVar

from lxml import etree
from pydantic import BaseModel, ConfigDict, Field, ValidationError

M = TypeVar("M", bound="XmlModel")


class XmlModel(BaseModel):
    """Base for models bound to XML; field order is element order."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid", validate_assignment=False)
    #: Element name when the model is written as a document root.
    xml_tag: ClassVar[str] = ""


def attribute(alias: str, default: Any = None, **kw: Any) -> Any:
    return Field(default, alias=alias, json_schema_extra={"xml": "attribute"}, **kw)


def text(default: Any = ..., **kw: Any) -> Any:
    return Field(default, json_schema_extra={"xml": "text"}, **kw)


def element_in(ns: str, alias: str, default: Any = None, **kw: Any) -> Any:
    """A child element whose namespace differs from its parent's."""
    if "default_factory" in kw:
        return Field(alias=alias, json_schema_extra={"ns": ns}, **kw)
    return Field(default, alias=alias, json_schema_extra={"ns": ns}, **kw)


@dataclass(frozen=True)
class _Slot:
    name: str  # python attribute
    tag: str  # XML local name
    kind: str  # "element" | "attribute" | "text"
    scalar: type | None  # str/int/Decimal for leaves, None for models
    model: type[XmlModel] | None
    repeated: bool
    ns: str | None = None  # element in another namespace than its parent (e.g. a *_DS DateTimeString)


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """Strip Optional and list; report whether it was a list."""
    repeated = False
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        annotation = args[0]
        origin = typing.get_origin(annotation)
    if origin is list:
        repeated = True
        annotation = typing.get_args(annotation)[0]
    return annotation, repeated


@cache
def _plan(cls: type[XmlModel]) -> tuple[_Slot, ...]:
    slots = []
    for name, info in cls.model_fields.items():
        extra: dict[str, Any] = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        kind = extra.get("xml", "element")
        inner, repeated = _unwrap(info.annotation)
        is_model = isinstance(inner, type) and issubclass(inner, XmlModel)
        slots.append(
            _Slot(
                name=name,
                tag=info.alias or name,
                kind=kind,
                scalar=None if is_model else inner,
                model=inner if is_model else None,
                repeated=repeated,
                ns=extra.get("ns"),
            )
        )
    return tuple(slots)


def _fmt(value: Any) -> str:
    """XML Schema lexical forms: decimals without exponent, xs:boolean, xs:date, xs:dateTime."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


@cache
def _writing_plan(cls: type[XmlModel], ns: str) -> tuple[tuple[_Slot, str], ...]:
    """Each slot with the Clark name its elements get under a parent in ``ns``: built once per model and namespace,
    not once per element written."""
    return tuple((s, f"{{{s.ns or ns}}}{s.tag}") for s in _plan(cls))


def to_element(model: XmlModel, tag: str, ns: str, parent: etree._Element | None = None) -> etree._Element:
    """Write ``model`` as element ``{ns}tag`` (appended to ``parent`` if given)."""
    qname = f"{{{ns}}}{tag}"
    el = etree.SubElement(parent, qname) if parent is not None else etree.Element(qname, nsmap={None: ns})
    for slot, child_qname in _writing_plan(type(model), ns):
        value = getattr(model, slot.name)
        if value is None or (slot.repeated and not value):
            continue
        if slot.kind == "attribute":
            el.set(slot.tag, _fmt(value))
        elif slot.kind == "text":
            el.text = _fmt(value)
        else:
            for item in value if slot.repeated else (value,):
                if slot.model is not None:
                    to_element(item, slot.tag, slot.ns or ns, el)
                else:  # a str (most leaves) as it is: _fmt's last step, without the call
                    etree.SubElement(el, child_qname).text = item if type(item) is str else _fmt(item)
    return el


def _scalar(kind: type | None, raw: str) -> Any:
    raw = raw.strip()
    if kind is int:
        return int(raw)
    if kind is Decimal:
        return Decimal(raw)
    if kind is bool:
        if raw not in ("true", "false", "1", "0"):
            raise ValueError(f"{raw!r} is not an xs:boolean")
        return raw in ("true", "1")
    if kind is datetime:
        return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    if kind is date:
        return date.fromisoformat(raw)
    return raw


_lenient = contextvars.ContextVar("seedsim_lenient_reading", default=False)


@contextmanager
def lenient_reading() -> Iterator[None]:
    """Read as much as can be read: values that do not convert are left out, and a model
    missing required values is built anyway. For running business rules on a document the
    schema already refused, so a sender sees every problem at once."""
    token = _lenient.set(True)
    try:
        yield
    finally:
        _lenient.reset(token)


@cache
def _reading_plan(cls: type[XmlModel], ns: str) -> tuple[tuple[_Slot, ...], dict[object, _Slot]]:
    """Attribute/text slots, and child slots by Clark name: built once per model and namespace."""
    own = tuple(s for s in _plan(cls) if s.kind != "element")
    children: dict[object, _Slot] = {f"{{{s.ns or ns}}}{s.tag}": s for s in _plan(cls) if s.kind == "element"}
    return own, children


def from_element(cls: type[M], el: etree._Element, ns: str) -> M:
    """Read an instance of ``cls`` from ``el``; children in other namespaces or unknown are ignored.

    The whole tree's values are gathered first and validated by pydantic in one call (in Rust, level
    after level), rather than one call per element from Python: a declaration reads in about 3/4 of the
    time. Where anything in that goes wrong -- a value that does not convert, a model that does not
    validate -- it is read again element by element (:func:`_read_by_level`), so what is raised, and what
    lenient reading keeps, is exactly what reading level by level gives."""
    try:
        return cls.model_validate(_values(cls, el, ns))
    except Exception:
        return _read_by_level(cls, el, ns)


def _own_values(own: tuple[_Slot, ...], el: etree._Element) -> dict[str, Any]:
    """An element's attributes and own text, by field name: where reading a model starts."""
    data: dict[str, Any] = {}
    for slot in own:
        if slot.kind == "attribute":
            raw = el.get(slot.tag)
            if raw is not None:
                data[slot.name] = _scalar(slot.scalar, raw)
        else:
            data[slot.name] = _scalar(slot.scalar, el.text or "")
    return data


def _put(data: dict[str, Any], slot: _Slot, value: Any) -> None:
    """A child's value into its field: appended to a repeated one, else the first occurrence kept."""
    if slot.repeated:
        data.setdefault(slot.name, []).append(value)
    elif slot.name not in data:
        data[slot.name] = value


def _known_children(by_tag: dict[object, _Slot], el: etree._Element) -> Iterator[tuple[_Slot, etree._Element]]:
    """The children of ``el`` a model declares, with their slot; others (and comments, PIs: their tags are not
    str) are ignored."""
    for child in el:
        slot = by_tag.get(child.tag)
        if slot is not None:
            yield slot, child


@cache
def _values_plan(
    cls: type[XmlModel], ns: str
) -> tuple[tuple[_Slot, ...], dict[object, tuple[str, bool, type[XmlModel] | None, str, type | None]]]:
    """:func:`_reading_plan` as plain tuples for :func:`_values`, the per-document hot path: each child's field name,
    whether it repeats, its model, its namespace and its scalar type, without attribute look-ups on a slot."""
    own, by_tag = _reading_plan(cls, ns)
    return own, {tag: (s.name, s.repeated, s.model, s.ns or ns, s.scalar) for tag, s in by_tag.items()}


def _values(cls: type[XmlModel], el: etree._Element, ns: str) -> dict[str, Any]:
    """The values of ``el`` and its descendants as nested dicts of field names, for ``cls.model_validate``.

    What :func:`_own_values`, :func:`_known_children` and :func:`_put` do, written out in one loop: it runs for
    every element of every document read (about a hundred in a declaration), where each call costs."""
    own, by_tag = _values_plan(cls, ns)
    data = _own_values(own, el) if own else {}
    slot_of = by_tag.get
    for child in el:
        slot = slot_of(child.tag)
        if slot is None:
            continue
        name, repeated, model, child_ns, scalar = slot
        value: Any
        if model is not None:
            value = _values(model, child, child_ns)
        elif scalar is str:  # most leaves: _scalar's first step, without the call
            text = child.text
            value = text.strip() if text else ""
        else:
            value = _scalar(scalar, child.text or "")
        if repeated:
            items = data.get(name)
            if items is None:
                data[name] = [value]
            else:
                items.append(value)
        elif name not in data:
            data[name] = value
    return data


def _read_by_level(cls: type[M], el: etree._Element, ns: str) -> M:
    """Read ``cls`` from ``el`` validating each element's model as it is read (lenient reading acts here)."""
    own, by_tag = _reading_plan(cls, ns)
    data = _own_values(own, el)
    for slot, child in _known_children(by_tag, el):
        child_ns = slot.ns or ns
        try:
            value = (
                _read_by_level(slot.model, child, child_ns)
                if slot.model is not None
                else _scalar(slot.scalar, child.text or "")
            )
        except (ValueError, ArithmeticError, ValidationError):
            if not _lenient.get():
                raise
            continue
        _put(data, slot, value)
    try:
        return cls.model_validate(data)
    except ValidationError:
        if not _lenient.get():
            raise
        # pydantic.mypy types model_construct as returning the class it is defined on, not Self
        return cls.model_construct(**{k: v for k, v in data.items()})  # type: ignore[return-value]


@dataclass(frozen=True, eq=False)
class XmlDocument(Generic[M]):
    """A model written as a whole document: the one reader and writer every message family uses.

    ``nsmap`` (prefix -> namespace) is declared on the root, for standards whose documents are
    read with fixed prefixes (UN/CEFACT rsm/ram/udt); without it the root's namespace is the default one.
    """

    model: type[M]
    tag: str
    namespace: str
    nsmap: dict[str | None, str] | None = None
    pretty_print: bool = False

    @property
    def element(self) -> str:
        """The root's Clark name."""
        return f"{{{self.namespace}}}{self.tag}"

    def read(self, root: etree._Element) -> M:
        if root.tag != self.element:
            raise ValueError(f"expected a {self.element} document, found {etree.QName(root).text}")
        return from_element(self.model, root, self.namespace)

    def write(self, model: M) -> bytes:
        if self.nsmap is None:
            el = to_element(model, self.tag, self.namespace)
        else:
            # to_element declares a namespace where it is first used: building under a holder that
            # declares them all, then detaching, keeps every declaration on the root
            holder = etree.Element(f"{{{self.namespace}}}holder", nsmap=self.nsmap)
            el = to_element(model, self.tag, self.namespace, holder)
            holder.remove(el)
        return etree.tostring(el, xml_declaration=True, encoding="UTF-8", pretty_print=self.pretty_print)
