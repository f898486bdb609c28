"""The message catalogue: each message type declared once.

type -> CloudEvents ``ce_type`` -> XSD in ``schemas/`` -> pydantic model -> channel.
Every message travels to the recipient node's inbox topic
(:func:`seedsim.core.topics.inbox`); the catalogue is what a node consults to
validate and read what arrives.
"""

from __future__ import annotations

from dataclasses import dataclass

from .declaration import DeclarationDocument
from .declaration_rules import EXCHANGE_RULES
from .response import Response
from .validation import RuleSet

SEED_SCHEMA = "wco/seedsim_metadata.xsd"


@dataclass(frozen=True)
class MessageType:
    name: str
    ce_type: str
    schema: str
    model: type
    description: str
    rules: RuleSet | None = None
    #: acknowledgements are not themselves acknowledged
    acknowledged: bool = True


EXPORT_DATA = MessageType(
    name="ExportData",
    ce_type="org.seedsim.c2c.export-data.v1",
    schema=SEED_SCHEMA,
    model=DeclarationDocument,
    description="Export declaration data sent to the neighbour's office of entry on Pre-Arrival and on Exit (SEED core).",
    rules=EXCHANGE_RULES,
)
ACKNOWLEDGEMENT = MessageType(
    name="Acknowledgement",
    ce_type="org.seedsim.c2c.acknowledgement.v1",
    schema=SEED_SCHEMA,
    model=Response,
    description="Positive (01) or negative (03) acknowledgement of a received message, with every error.",
    acknowledged=False,
)
ENTRY_CONFIRMATION = MessageType(
    name="EntryConfirmation",
    ce_type="org.seedsim.c2c.entry-confirmation.v1",
    schema=SEED_SCHEMA,
    model=Response,
    description="The office of entry confirms to the exporting country that the goods entered, with the match result.",
)

CATALOGUE: dict[str, MessageType] = {m.ce_type: m for m in (EXPORT_DATA, ACKNOWLEDGEMENT, ENTRY_CONFIRMATION)}


def by_ce_type(ce_type: str) -> MessageType | None:
    return CATALOGUE.get(ce_type)
