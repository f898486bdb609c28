"""Nodes act on the Utility Block catalogue: what they send on an event, which data they send, what they check on receipt."""

from __future__ import annotations

import asyncio
import dataclasses
import random
import shutil
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import yaml
from lxml import etree

from seedsim.bootstrap import running_network
from seedsim.config import NodeConfig
from seedsim.core.interop import InteropRecord, Stage, decode_interop
from seedsim.core.network_keys import development_keys
from seedsim.core.response import Response
from seedsim.core.topics import Topics
from seedsim.core.transport import Record
from seedsim.core.transport.memory import InMemoryBus
from seedsim.core.validation import RuleContext, check
from seedsim.core.wco import MetaData
from seedsim.message_catalogue import CATALOGUE
from seedsim.messages.seed import ENTRY_CONFIRMATION, EXPORT_DATA
from seedsim.nodes.customs.customs_node import Event, EventRejected
from seedsim.runners.scenarios.scenario_loader import ScenarioError, loads, shipped
from seedsim.runners.ub_player import export_data
from seedsim.samples.consignments import ConsignmentGenerator
from seedsim.samples.crossings import DEMO_CROSSINGS
from seedsim.utility_blocks.data_set import check as data_set_check
from seedsim.utility_blocks.data_set import minimise, outside, present, rules_for
from seedsim.utility_blocks.loader import UB_DIR, blocks_in
from seedsim.utility_blocks.node_plan import NodePlan

T = Topics()
CROSS = DEMO_CROSSINGS[0]
EXIT_UB = blocks_in()["UB-SEED-EXIT"]
EXPORT_RULES = rules_for(EXIT_UB, "ExportData")


def full_export() -> bytes:
    """An export as the national system holds it: much more than the UB's data set."""
    return EXPORT_DATA.write(export_data(random.Random(3), "RS", "ME"))


def names_in(payload: bytes) -> set[str]:
    return {etree.QName(el).localname for el in etree.fromstring(payload).iter() if isinstance(el.tag, str)}


async def settle(bus, until=lambda: False, rounds=100):
    for _ in range(rounds):
        if until():
            return
        await asyncio.sleep(0.01)


def interop(bus) -> list[InteropRecord]:
    return [rec for r in bus.log(T.interop) for rec in decode_interop(r.value)]


# -- data minimisation, on the document -----------------------------------------------------------


def test_the_sender_keeps_only_the_data_set_and_the_result_is_still_a_valid_export():
    full = full_export()
    assert outside(etree.fromstring(full), EXPORT_RULES), "the national export carries more than the UB's data set"
    small = minimise(full, EXPORT_RULES)
    root = etree.fromstring(small)
    assert outside(root, EXPORT_RULES) == []
    assert not present(root, "/Declaration/Declarant") and present(etree.fromstring(full), "/Declaration/Declarant")
    assert all(present(root, e.path) for e in EXPORT_RULES.minimum)
    mt = EXPORT_DATA
    report, _ = check(root, mt.schema, mt.read, mt.rules, RuleContext(node_country="ME", sender="RS"), mt.name)
    assert report.ok, report.issues
    assert data_set_check(root, EXPORT_RULES) == []
    assert minimise(small, EXPORT_RULES) == small, "a minimised document is left as it is"


@pytest.mark.parametrize("ub_id", sorted(blocks_in()))
def test_every_ub_data_set_leaves_generated_messages_valid(ub_id):
    """Minimising keeps what the XSD and the business rules need, for every message of every UB."""
    ub, rng = blocks_in()[ub_id], random.Random(7)
    for ds in ub.data_set:
        mt = CATALOGUE.by_name[ds.message]
        rules = rules_for(ub, ds.message)
        for _ in range(5):
            doc = mt.generate(rng)
            root = etree.fromstring(minimise(mt.write(doc), rules))
            report, _ = check(root, mt.schema, mt.read, mt.rules, RuleContext(node_country="ME", sender="RS"), mt.name)
            # R110 (an exchanged declaration carries its MRN) concerns the generator, which leaves MRNs to the exchange
            assert [str(i) for i in report.issues if i.severity == "error" and i.rule != "R110"] == []
            assert outside(root, rules) == []


def test_the_receiver_check_names_the_extra_element_and_the_missing_minimum():
    extra = dataclasses.replace(EXPORT_RULES, paths=EXPORT_RULES.paths | {"/Declaration/Declarant"})
    root = etree.fromstring(minimise(full_export(), extra))  # the data set plus a Declarant
    for el in root.iter("{*}Consignor"):
        el.remove(next(c for c in el if etree.QName(c).localname == "Name"))
    issues = data_set_check(root, EXPORT_RULES)
    assert [(i.rule, i.code, i.pointer) for i in issues] == [
        ("UB301", 301, "/MetaData/Declaration/Declarant"),
        ("UB302", 302, "/MetaData/Declaration/GoodsShipment/Consignor/Name"),
    ]
    assert "not in the data set of UB-SEED-EXIT" in issues[0].message and "remove it" in issues[0].message
    assert issues[0].error_class.name.lower() == "functional"


# -- on the wire ----------------------------------------------------------------------------------


async def test_a_node_sends_the_data_set_only_and_the_neighbour_accepts_it(corridor):
    bus, nodes = corridor
    c = ConsignmentGenerator(11, CROSS).make(1)
    lodged = c.export.to_xml(MetaData(wco_type_name="DEC", responsible_country_code="RS"))
    assert (await nodes["RS"].lodge(lodged)).accepted
    sent = await nodes["RS"].on_event(Event.PRE_ARRIVAL, c.ucr, CROSS.exit_office, CROSS.entry_office)
    assert sent["utility_block"] == "UB-SEED-EXIT"
    await settle(bus, lambda: any(r.stage == Stage.ACK_RECEIVED for r in interop(bus)))
    [record] = bus.log(T.inbox("ME"))
    assert outside(etree.fromstring(record.value), EXPORT_RULES) == []
    assert "Declarant" in names_in(lodged) and "Declarant" not in names_in(record.value)
    assert {(r.node, r.stage) for r in interop(bus) if r.message_id == sent["message_id"]} >= {
        ("ME", Stage.VALID),
        ("RS", Stage.ACK_RECEIVED),
    }


def signed_by(node, env, payload):
    """The headers of ``env``, signed by ``node``'s key: as the node would send them."""
    return development_keys().signer(node).sign(env.to_headers(), payload)


async def test_a_message_with_an_element_outside_the_data_set_is_nacked_with_ub301_and_dead_lettered(corridor):
    bus, nodes = corridor
    crafted = minimise(
        full_export(), dataclasses.replace(EXPORT_RULES, paths=EXPORT_RULES.paths | {"/Declaration/Declarant"})
    )
    env = EXPORT_DATA.envelope("RS", "ME", subject="UCR-CRAFTED", trigger="PRE_ARRIVAL")
    await bus.send_batch(
        [Record(topic=T.inbox("ME"), key=b"UCR-CRAFTED", value=crafted, headers=signed_by("RS", env, crafted))]
    )
    await settle(bus, lambda: bus.log(T.dead_letter("ME")) and bus.log(T.inbox("RS")))
    [nack] = [Response.from_root(etree.fromstring(r.value)) for r in bus.log(T.inbox("RS"))]
    assert not nack.positive
    assert [e.validation_code for e in nack.errors] == ["UB301"]
    assert "/MetaData/Declaration/Declarant" in nack.errors[0].description
    [dead] = bus.log(T.dead_letter("ME"))
    assert dead.header("dlq_rule") == "UB301" and dead.header("dlq_error_class") == "functional"
    assert dead.header("dlq_pointer") == "/MetaData/Declaration/Declarant"


# -- what is sent on which event comes from the UB files ------------------------------------------


def test_the_plan_reads_roles_and_events_from_the_ub_files():
    customs, nppo = NodePlan.load("RS"), NodePlan.load("RS-NPPO")
    assert [(s.ub.id, s.index) for s in customs.on_event("PRE_ARRIVAL", ["ExportData"])] == [("UB-SEED-EXIT", 1)]
    assert [(s.ub.id, s.index) for s in customs.on_event("EXIT", ["ExportData"])] == [("UB-SEED-EXIT", 3)]
    assert customs.on_event("ENTRY", ["ExportData"]) == []
    assert [(s.ub.id, s.message, s.step.to_role) for s in customs.continuing("ENTRY", "ExportData")] == [
        ("UB-SEED-EXIT", "EntryConfirmation", "exporting_customs")
    ]
    assert [s.ub.id for s in nppo.on_event("PRE_ARRIVAL", ["PhytosanitaryCertificate"])] == ["UB-SEED-PHYTO"]
    assert nppo.on_event("PRE_ARRIVAL", ["ExportData"]) == [], "an NPPO plays no customs role"
    assert customs.roles(blocks_in()["UB-SEED-PHYTO"]) == ["importing_customs"]


def _edited_catalogue(tmp_path: Path, drop_events: set[str]) -> Path:
    """A copy of the shipped UBs whose SEED core UB no longer has steps on ``drop_events``."""
    directory = tmp_path / "ubs"
    shutil.copytree(UB_DIR, directory)
    path = directory / "seed-exit.yaml"
    data = yaml.safe_load(path.read_text())
    data["business_process"]["steps"] = [s for s in data["business_process"]["steps"] if s["event"] not in drop_events]
    if "ENTRY" in drop_events:
        data["data_set"] = [d for d in data["data_set"] if d["message"] != "EntryConfirmation"]
        data["examples"] = [e for e in data["examples"] if "EntryConfirmation" not in e]
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return directory


@asynccontextmanager
async def _pair(tmp_path: Path, ubs: Path):
    configs = [
        NodeConfig(node=c, db=tmp_path / f"{c}.sqlite3", partners=[p], crossings=DEMO_CROSSINGS, utility_blocks=ubs)
        for c, p in (("RS", "ME"), ("ME", "RS"))
    ]
    async with running_network(configs, InMemoryBus()) as network:
        yield network.transport, network.customs


async def test_without_an_exit_step_in_the_ub_a_node_sends_nothing_on_exit(tmp_path):
    async with _pair(tmp_path, _edited_catalogue(tmp_path, {"EXIT"})) as (bus, nodes):
        c = ConsignmentGenerator(12, CROSS).make(1)
        assert (
            await nodes["RS"].lodge(c.export.to_xml(MetaData(wco_type_name="DEC", responsible_country_code="RS")))
        ).accepted
        assert (await nodes["RS"].on_event(Event.PRE_ARRIVAL, c.ucr, CROSS.exit_office, CROSS.entry_office))[
            "message_id"
        ]
        with pytest.raises(EventRejected, match="no Utility Block has a customs role send ExportData on EXIT"):
            await nodes["RS"].on_event(Event.EXIT, c.ucr, CROSS.exit_office, CROSS.entry_office)


async def test_without_an_entry_step_in_the_ub_the_entry_is_matched_but_not_confirmed(tmp_path):
    async with _pair(tmp_path, _edited_catalogue(tmp_path, {"ENTRY"})) as (bus, nodes):
        c = ConsignmentGenerator(13, CROSS).make(1)
        assert (
            await nodes["RS"].lodge(c.export.to_xml(MetaData(wco_type_name="DEC", responsible_country_code="RS")))
        ).accepted
        await nodes["RS"].on_event(Event.EXIT, c.ucr, CROSS.exit_office, CROSS.entry_office)
        await settle(bus, lambda: any(r.stage == Stage.ACK_RECEIVED for r in interop(bus)))
        assert (
            await nodes["ME"].lodge(c.import_.to_xml(MetaData(wco_type_name="DEC", responsible_country_code="ME")))
        ).accepted
        result = await nodes["ME"].on_event(Event.ENTRY, c.ucr, CROSS.entry_office)
        await settle(bus, rounds=20)
        assert result["status"] == "entered_matched" and "message_id" not in result
        assert not [r for r in bus.log(T.inbox("RS")) if r.header("ce_type") == ENTRY_CONFIRMATION.ce_type]


# -- one scenario per UB --------------------------------------------------------------------------


def test_every_shipped_ub_has_its_scenario():
    names = {p.stem for p in shipped()}
    assert {f"ub-{ub_id[3:].lower()}" for ub_id in blocks_in()} <= names


def test_a_scenario_naming_an_unknown_ub_is_refused_with_the_known_ones():
    text = """\
name: bad
nodes: [RS, ME]
corridors:
  - name: g
    crossings: [{name: g, exit_office: RS015070, entry_office: ME200012}]
traffic:
  - {utility_block: UB-NOPE, corridor: g, count: 1}
expectations: {every_ub_step_acknowledged: true}
"""
    with pytest.raises(ScenarioError, match=r"no Utility Block 'UB-NOPE'.*UB-SEED-EXIT"):
        loads(text, "bad.yaml")
