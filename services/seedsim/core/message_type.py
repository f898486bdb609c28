"""What the catalogue knows of one message type, declared once next to its model.

type -> CloudEvents ``ce_type`` -> XSD in ``schemas/`` -> pydantic model -> channel.
Every exchanged message travels to the recipient node's inbox topic; the
catalogue (:mod:`seedsim.message_catalogue`) is what nodes and ``seedsim validate``
consult to recognise, validate and read a document.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lxml import etree

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
    #: ("TypeCode", ("EX",)) for export declarations, ("FunctionCode", ("09",)) for a Response
    discriminator: tuple[str, tuple[str, ...]] | None = None
    #: acknowledgements are not themselves acknowledged
    acknowledged: bool = True
    #: a realistic, valid instance from a random source
    generate: Callable[[random.Random], Any] | None = None

    def matches(self, root: etree._Element) -> bool:
        body = body_in(root)
        if body is None:
            body = root
        if body.tag != self.element:
            return False
        if self.discriminator:
            child, prefixes = self.discriminator
            value = (body.findtext(f"{{{etree.QName(body).namespace}}}{child}") or "").strip()
            return any(value.startswith(p) for p in prefixes)
        return True
