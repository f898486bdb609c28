"""Import and transit declarations as SEED+ nodes exchange them (WCO DM 3.6 Declaration).

Export data is the SEED core (:mod:`.seed`); these are the other two declaration
kinds of the SEED+ document list. All three share one model and one profile XSD;
the TypeCode (DE 1/1) tells them apart.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from seedsim.core import codes
from seedsim.core.declaration import Declaration, GovernmentProcedure
from seedsim.core.declaration_rules import DECLARATION_RULES, GS, D
from seedsim.core.message_type import MessageType
from seedsim.core.validation import Issue, RuleContext, RuleSet
from seedsim.core.wco import NS_DEC
from seedsim.messages.seed import SEED_SCHEMA, read_declaration, write_declaration
from seedsim.samples.consignments import ConsignmentGenerator
from seedsim.samples.crossings import DEMO_CROSSINGS

TRANSIT_RULES = RuleSet("transit", base=DECLARATION_RULES)


@TRANSIT_RULES.rule("TR101", 123, "A transit declaration names its office of departure and its destination")
def departure_and_destination(d: Declaration, ctx: RuleContext) -> Iterator[Issue]:
    if not d.declaration_office_id:
        yield Issue(
            "TR101",
            123,
            "the office of departure is required: put its reference number in DeclarationOfficeID",
            f"{D}/DeclarationOfficeID",
        )
    gs = d.goods_shipment
    if not (gs and gs.destination and gs.destination.country_code):
        yield Issue(
            "TR101",
            123,
            "the country of destination is required in a transit declaration",
            f"{GS}/Destination/CountryCode",
        )


@TRANSIT_RULES.rule("TR102", 124, "Transit goods are placed under a transit procedure")
def transit_procedure(d: Declaration, ctx: RuleContext) -> Iterator[Issue]:
    for pos, item in enumerate(d.items, 1):
        for ppos, proc in enumerate(item.government_procedures, 1):
            if proc.current_code and proc.current_code not in ("80", "71", "00"):
                yield Issue(
                    "TR102",
                    124,
                    "a transit declaration's goods are under transit (80), not another procedure",
                    f"{GS}/GovernmentAgencyGoodsItem[{pos}]/GovernmentProcedure[{ppos}]/CurrentCode",
                    proc.current_code,
                )


def _generator(seed: int):
    return ConsignmentGenerator(seed, DEMO_CROSSINGS[0])


def generate_import(rng: random.Random) -> Declaration:
    return _generator(rng.randrange(2**31)).make(rng.randint(1, 9_999_999)).import_


def generate_transit(rng: random.Random) -> Declaration:
    """A transit movement from the exit country's office towards the neighbour, e.g. T1 or TIR."""
    d = _generator(rng.randrange(2**31)).make(rng.randint(1, 9_999_999)).export
    items = [
        i.model_copy(update={"government_procedures": [GovernmentProcedure(current_code="80", previous_code="00")]})
        for i in d.items
    ]
    return d.model_copy(
        update={
            "type_code": rng.choice(sorted(codes.TRANSIT_TYPES)),
            "exit_office": None,
            "goods_shipment": d.goods_shipment.model_copy(update={"goods_items": items}),
        }
    )


IMPORT_DECLARATION = MessageType(
    name="ImportDeclaration",
    ce_type="org.seedsim.c2c.import-declaration.v1",
    schema=SEED_SCHEMA,
    element=f"{{{NS_DEC}}}Declaration",
    discriminator=("TypeCode", ("IM",)),
    read=read_declaration,
    write=write_declaration,
    description="Import declaration data, e.g. what the country of entry shares back for matching or audit.",
    rules=DECLARATION_RULES,
    generate=generate_import,
)
TRANSIT_DECLARATION = MessageType(
    name="TransitDeclaration",
    ce_type="org.seedsim.c2c.transit-declaration.v1",
    schema=SEED_SCHEMA,
    element=f"{{{NS_DEC}}}Declaration",
    discriminator=("TypeCode", tuple(codes.TRANSIT_TYPES)),
    read=read_declaration,
    write=write_declaration,
    description="Transit declaration (T1, T2, T2F, TIR) sent ahead to the offices en route and of destination.",
    rules=TRANSIT_RULES,
    generate=generate_transit,
)

MESSAGE_TYPES = [IMPORT_DECLARATION, TRANSIT_DECLARATION]
