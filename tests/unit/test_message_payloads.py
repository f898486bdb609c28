"""GET /messages/{id} returns the XML a node sent or received; GET /consignments/{ref} takes a UCR or an MRN;
an entry confirmation's match code has one meaning (issue 8, defect 11)."""

from __future__ import annotations

import asyncio
import sqlite3

from lxml import etree

from seedsim.bootstrap import make_customs_node
from seedsim.config import NodeConfig
from seedsim.core.response import Response
from seedsim.core.transport.memory import InMemoryBus
from seedsim.core.wco import MetaData
from seedsim.nodes.customs.customs_node import Event
from seedsim.samples.consignments import ConsignmentGenerator
from seedsim.samples.crossings import DEMO_CROSSINGS
from tests.unit.node_api import client

CROSS = DEMO_CROSSINGS[0]


async def until(check, rounds=200):
    for _ in range(rounds):
        if await check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("not reached")


async def crossing(nodes, seed: int):
    """One consignment lodged at RS and ME, EXIT at RS, ENTRY at ME once the exit data arrived."""
    c = ConsignmentGenerator(seed, CROSS).make(1)
    lodged = await nodes["RS"].lodge(c.export.to_xml(MetaData(wco_type_name="DEC", responsible_country_code="RS")))
    assert (
        await nodes["ME"].lodge(c.import_.to_xml(MetaData(wco_type_name="DEC", responsible_country_code="ME")))
    ).accepted
    sent = await nodes["RS"].on_event(Event.EXIT, c.ucr, CROSS.exit_office, CROSS.entry_office)
    async with client(nodes["ME"]) as me:

        async def arrived():
            return (await me.get(f"/consignments/{c.ucr}")).json()["pre_arrival"] is not None

        await until(arrived)
    entered = await nodes["ME"].on_event(Event.ENTRY, c.ucr, CROSS.entry_office)
    async with client(nodes["RS"]) as rs:

        async def confirmed():  # RS holds the entry confirmation: nothing more changes at RS
            view = (await rs.get(f"/consignments/{c.ucr}")).json()
            return view["status"] == "entry_confirmed" and len(view["messages"]) == 4

        await until(confirmed)
    return c, lodged.mrn, sent, entered


async def test_a_message_s_xml_is_the_same_at_both_ends(corridor):
    _, nodes = corridor
    c, _, sent, _ = await crossing(nodes, 41)
    async with client(nodes["RS"]) as rs, client(nodes["ME"]) as me:
        out = await rs.get(f"/messages/{sent['message_id']}")
        got = await me.get(f"/messages/{sent['message_id']}")
        listed = (await rs.get("/messages", params={"consignment": c.ucr})).json()
    assert out.status_code == got.status_code == 200
    assert out.headers["content-type"] == "application/xml"
    assert out.content == got.content and etree.fromstring(out.content).findtext(".//{*}UCR/{*}ID") == c.ucr
    assert all("payload" not in m for m in listed), "the message list keeps its shape"
    assert {m["type"] for m in listed} >= {"ExportData", "Acknowledgement", "EntryConfirmation"}


async def test_entry_confirmation_says_matched_with_its_own_code_and_m00_stays_the_missing_data_alert(corridor):
    _, nodes = corridor
    _, _, _, entered = await crossing(nodes, 42)
    assert entered["status"] == "entered_matched"
    async with client(nodes["ME"]) as me:
        confirmation = Response.from_root(
            etree.fromstring((await me.get(f"/messages/{entered['message_id']}")).content)
        )
        stray = ConsignmentGenerator(43, CROSS).make(2)  # another LRN than the crossing's
        assert (
            await nodes["ME"].lodge(stray.import_.to_xml(MetaData(wco_type_name="DEC", responsible_country_code="ME")))
        ).accepted
        await nodes["ME"].on_event(Event.ENTRY, stray.ucr, CROSS.entry_office)
        alerts = (await me.get(f"/consignments/{stray.ucr}")).json()["alerts"]
    [statement] = confirmation.additional_information
    assert (statement.statement_type_code, statement.statement_code) == ("MAT", "M10")
    assert [(a["rule"], a["element"]) for a in alerts] == [("M00", "pre-arrival data")]


async def test_a_consignment_is_found_by_the_mrn_of_its_declaration(corridor):
    _, nodes = corridor
    c, mrn, _, _ = await crossing(nodes, 44)
    async with client(nodes["RS"]) as rs, client(nodes["ME"]) as me:
        by_ucr = (await rs.get(f"/consignments/{c.ucr}")).json()
        by_mrn = await rs.get(f"/consignments/{mrn}")
        at_entry = await me.get(f"/consignments/{mrn}")  # ME knows the MRN from the exit data RS sent
    assert by_mrn.status_code == 200 and by_mrn.json() == by_ucr
    assert by_ucr["consignment"] == c.ucr and by_ucr["declarations"][0]["mrn"] == mrn
    assert at_entry.status_code == 200 and at_entry.json()["consignment"] == c.ucr
    assert at_entry.json()["pre_arrival"]["mrn"] == mrn


OLD_MESSAGES = """
CREATE TABLE messages (
    message_id TEXT NOT NULL, direction TEXT NOT NULL, type TEXT, peer TEXT, ucr TEXT, trigger TEXT,
    result TEXT, at TEXT NOT NULL, acked_at TEXT, PRIMARY KEY (message_id, direction)
);
INSERT INTO messages VALUES ('old-1', 'out', 'ExportData', 'ME', 'C-OLD', 'EXIT', 'acked', '2026-01-01T00:00:00+00:00', NULL);
"""


async def test_a_database_from_before_payloads_opens_and_says_why_an_old_message_has_none(tmp_path):
    db = tmp_path / "rs.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.executescript(OLD_MESSAGES)
    bus = InMemoryBus()
    node = make_customs_node(NodeConfig(node="RS", db=db, partners=["ME"], crossings=DEMO_CROSSINGS), bus)
    await bus.start()
    await node.start()
    try:
        c = ConsignmentGenerator(45, CROSS).make(1)
        assert (
            await node.lodge(c.export.to_xml(MetaData(wco_type_name="DEC", responsible_country_code="RS")))
        ).accepted
        sent = await node.on_event(Event.EXIT, c.ucr, CROSS.exit_office, CROSS.entry_office)
        async with client(node) as rs:
            old = await rs.get("/messages/old-1")
            new = await rs.get(f"/messages/{sent['message_id']}")
            listed = (await rs.get("/messages")).json()
    finally:
        await node.stop()
        await bus.stop()
    assert old.status_code == 404
    [error] = old.json()["errors"]
    assert error["rule"] == "API201" and "logged by an older seedsim that did not keep payloads" in error["message"]
    assert new.status_code == 200 and new.content.startswith(b"<?xml")
    assert {m["message_id"] for m in listed} == {"old-1", sent["message_id"]}
