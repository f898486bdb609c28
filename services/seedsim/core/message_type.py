"""What the catalogue knows of one message type, declared once next to its model.

type -> CloudEvents ``ce_type`` -> XSD in ``schemas/`` -> pydantic model -> channel.
Every exchanged message travels to the recipient node's inbox topic; the
catalogue (:mod:`seedsim.message_catalogue`) is what nodes and ``seedsim validate``
consult to recognise, validate and read a document.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from lxml import etree

from seedsim.core.envelope import Envelope, dataschema_uri, new_id
from seedsim.core.trace_context import TraceContext
from seedsim.core.validation import RuleSet
from seedsim.core.wco import body_in


@dataclass(frozen=True)
class MessageType:
    name: str
    ce_type: str
    #: XSD under ``schemas/`` (or absolute) the whole document must satisfy
    schema: str
    #: Clark name of the element that identifies the type: the document root, or the
    #: body inside ``md:MetaData`` for WCO DM documents
    element: str
    #: document root -> model (may raise on input the schema would refuse)
    read: Callable[[etree._Element], Any]
    #: model -> XML bytes of a whole document
    write: Callable[[Any], bytes]
    description: str
    rules: RuleSet | None = None
    #: tells types with the same element apart: (child element, accepted value prefixes), e.g.
    #: ("TypeCode", ("EX",)) for export declarations, ("FunctionCode", ("09",)) for a Response; a path of
    #: Clark names (``{ns}A/{ns}B``) reaches deeper, e.g. an SPS certificate's ``SPSExchangedDocument/TypeCode``
    discriminator: tuple[str, tuple[str, ...]] | None = None
    #: acknowledgements are not themselves acknowledged
    acknowledged: bool = True
    #: a realistic, valid instance from a random source
    generate: Callable[[random.Random], Any] | None = None

    def envelope(
        self,
        source: str,
        to: str,
        *,
        id: str | None = None,
        subject: str | None = None,
        correlation_id: str | None = None,
        causation_id: str | None = None,
        trigger: str | None = None,
        at: datetime | None = None,
        ubs: tuple[str, ...] = (),
    ) -> Envelope:
        """The CloudEvents envelope of a message of this type from node ``source`` to node ``to``.

        A new id and a new conversation unless given; ``ce_dataschema`` names this type's XSD by its
        absolute URI (``urn:seedsim:schema:<schema>``; ``schema`` stays the path the validator reads).
        The ``traceparent`` puts the message in its conversation's trace, as a span of its own
        (:meth:`TraceContext.of_conversation`). ``ubs``: the Utility Blocks whose conversations it belongs to.
        """
        id, correlation_id = id or new_id(), correlation_id or new_id()
        return Envelope(
            id=id,
            source=source,
            type=self.ce_type,
            subject=subject,
            time=at or datetime.now(UTC),
            recipient=to,
            correlation_id=correlation_id,
            causation_id=causation_id,
            trigger=trigger,
            dataschema=dataschema_uri(self.schema),
            traceparent=TraceContext.of_conversation(correlation_id, id).traceparent,
            ubs=tuple(ubs),
        )

    def matches(self, root: etree._Element) -> bool:
        body = body_in(root)
        return self.matches_body(root if body is None else body)

    def matches_body(self, body: etree._Element) -> bool:
        """Whether the message a document carries (``body_in``, or the root of a wrapper holding none) is of this type."""
        if body.tag != self.element:
            return False
        if self.discriminator:
            tag = self._discriminator_tag
            found = _first_child_text(body, tag) if "/" not in tag else body.findtext(tag)
            return (found or "").strip().startswith(tuple(self.discriminator[1]))
        return True

    @cached_property
    def _discriminator_tag(self) -> str:
        """The Clark name of the discriminating child: in the namespace of :attr:`element` (the body it is read in),
        unless the type names it (a path of Clark names, such as an SPS certificate's document type code)."""
        assert self.discriminator is not None
        child = self.discriminator[0]
        return child if child.startswith("{") else f"{{{etree.QName(self.element).namespace}}}{child}"


def _first_child_text(el: etree._Element, tag: str) -> str | None:
    """The text of ``el``'s first child called ``tag``, as ``el.findtext(tag)``: a loop over the children (the
    discriminator comes early) costs a third of the path look-up, and every document detected does it."""
    for child in el:
        if child.tag == tag:
            return child.text or ""
    return None


class MessageCatalogue:
    """Every message type a network knows: type -> XSD -> model -> topic, indexed three ways.

    By CloudEvents type (what a node reads from a record's headers), by name (what
    Utility Blocks, scenarios and the CLI say) and by document shape (what
    ``seedsim validate`` sees). Nodes are handed one by :mod:`seedsim.bootstrap`;
    :mod:`seedsim.message_catalogue` builds the one seedsim ships.
    """

    def __init__(self, types: Iterable[MessageType]) -> None:
        self._by_ce_type: dict[str, MessageType] = {}
        for mt in types:
            if mt.ce_type in self._by_ce_type:
                raise ValueError(f"message type {mt.ce_type} is declared twice")
            self._by_ce_type[mt.ce_type] = mt
        #: name -> type, e.g. ``by_name["ExportData"]``
        self.by_name: Mapping[str, MessageType] = {mt.name: mt for mt in self._by_ce_type.values()}
        # element -> the types carried in it, in catalogue order: detect tries only those
        self._by_element: dict[object, list[MessageType]] = {}
        for mt in self._by_ce_type.values():
            self._by_element.setdefault(mt.element, []).append(mt)

    def __iter__(self) -> Iterator[MessageType]:
        return iter(self._by_ce_type.values())

    def __len__(self) -> int:
        return len(self._by_ce_type)

    def by_ce_type(self, ce_type: str) -> MessageType | None:
        return self._by_ce_type.get(ce_type)

    def detect(self, root: etree._Element) -> list[MessageType]:
        """The types a document could be, from its root element (and TypeCode/FunctionCode where types share one).

        A type that names a discriminator is the more specific one: it comes before a type of the same element
        that names none (a veterinary certificate, TypeCode 853, before the phytosanitary certificate)."""
        body = body_in(root)
        if body is None:
            body = root
        found = [mt for mt in self._by_element.get(body.tag, ()) if mt.matches_body(body)]
        return sorted(found, key=lambda mt: mt.discriminator is None)
