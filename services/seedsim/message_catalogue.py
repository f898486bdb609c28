"""The message catalogue: every message type seedsim knows, gathered from ``seedsim.messages``.

Each family module declares its types once (schema, model, rules, generator);
this module only indexes them: by CloudEvents type for nodes, by name for the
CLI, and by document shape for ``seedsim validate``.
"""

from __future__ import annotations

import importlib
import pkgutil

from lxml import etree

from seedsim import messages
from seedsim.core.message_type import MessageType
from seedsim.messages import seed

#: every module in seedsim.messages is a family; adding one needs no change here
FAMILIES = [importlib.import_module(f"{messages.__name__}.{m.name}") for m in pkgutil.iter_modules(messages.__path__)]

CATALOGUE: dict[str, MessageType] = {}
for _family in FAMILIES:
    for _m in getattr(_family, "MESSAGE_TYPES", ()):
        if _m.ce_type in CATALOGUE:
            raise RuntimeError(f"message type {_m.ce_type} is declared twice ({_family.__name__})")
        CATALOGUE[_m.ce_type] = _m
BY_NAME: dict[str, MessageType] = {m.name: m for m in CATALOGUE.values()}

# re-exported for the nodes
EXPORT_DATA = seed.EXPORT_DATA
ACKNOWLEDGEMENT = seed.ACKNOWLEDGEMENT
ENTRY_CONFIRMATION = seed.ENTRY_CONFIRMATION


def by_ce_type(ce_type: str) -> MessageType | None:
    return CATALOGUE.get(ce_type)


def detect(root: etree._Element) -> list[MessageType]:
    """The types a document could be, from its root element (and TypeCode for declarations)."""
    return [m for m in CATALOGUE.values() if m.matches(root)]
