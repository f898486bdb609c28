"""The message catalogue seedsim ships: every message type, gathered from the families in ``seedsim.messages``.

Each family module declares its types once (schema, model, rules, generator) in
``MESSAGE_TYPES``; this module only gathers them into one
:class:`~seedsim.core.message_type.MessageCatalogue`, which
:mod:`seedsim.bootstrap` hands to the nodes and which ``seedsim validate``,
the Utility Block checks and the runners consult. Adding a family module needs
no change here.
"""

from __future__ import annotations

import importlib
import pkgutil

from seedsim import messages
from seedsim.core.message_type import MessageCatalogue

#: every module in seedsim.messages is a family
FAMILIES = [importlib.import_module(f"{messages.__name__}.{m.name}") for m in pkgutil.iter_modules(messages.__path__)]

CATALOGUE = MessageCatalogue(mt for family in FAMILIES for mt in getattr(family, "MESSAGE_TYPES", ()))
