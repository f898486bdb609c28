"""A customs node sends the documents lodged for a consignment when the UB steps say so, not only what it builds."""

from __future__ import annotations

import asyncio
import random

import httpx
import pytest
from lxml import etree

from seedsim.core.interop import InteropRecord, Stage, decode_interop
from seedsim.core.topics import Topics
from seedsim.core.wco import MetaData
from seedsim.message_catalogue import CATALOGUE
from seedsim.nodes.customs.customs_api import create_app
from seedsim.nodes.customs.customs_node import Event, EventRejected
from seedsim.samples.consignments import ConsignmentGenerator
from seedsim.samples.crossings import DEMO_CROSSINGS
from seedsim.utility_blocks.data_set import outside, rules_for
from seedsim.utility_blocks.loader import blocks_in

T = Topics()
CROSS = DEMO_CROSSINGS[0]
TIR, CASH = CATALOGUE.by_name["TIRCarnet"], CATALOGUE.by_name["CashDeclaration"]


def interop(bus) -> list[InteropRecord]:
    return [rec for r in bus.log(T.interop) for rec in decode_interop(r.value)]


async def settle(until, rounds=200):
    for _ in range(rounds):
        if until():
            return
        await asyncio.sleep(0.01)


def tir_carnet(vehicle: str | None = None) -> bytes:
    """A generated carnet, made the consignment's: the truck is the one in the export declaration."""
    carnet = TIR.generate(random.Random(5))
    if vehicle:
        carnet = carnet.model_copy(
            update={"border_transport_means": carnet.border_transport_means.model_copy(update={"id": vehicle})}
        )
    return TIR.write(carnet)


def cash_declaration() -> bytes:
    """A traveller on the truck declares cash leaving Serbia at the office of exit."""
    cash = CASH.generate(random.Random(6)).model_copy(
        update={"direction_code": "EXIT", "customs_office_id": CROSS.exit_office}
    )
    return CASH.write(cash)


def client(node) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(node, manage_lifecycle=False)), base_url="http://rs"
    )


async def test_documents_lodged_for_a_consignment_go_to_the_neighbour_on_exit_with_the_export_data(corridor):
    bus, nodes = corridor
    c = ConsignmentGenerator(21, CROSS).make(1)
    assert (
        await nodes["RS"].lodge(c.export.to_xml(MetaData(wco_type_name="DEC", responsible_country_code="RS")))
    ).accepted
    async with client(nodes["RS"]) as http:
        carnet = tir_carnet(c.export.vehicle())
        for doc, type_name in ((carnet, "TIRCarnet"), (cash_declaration(), "CashDeclaration")):
            r = await http.post(
                "/documents", params={"consignment": c.ucr}, content=doc, headers={"content-type": "application/xml"}
            )
            assert r.status_code == 200, r.text
            assert r.json()["accepted"] and r.json()["type"] == type_name and r.json()["status"] == "lodged"

        result = await nodes["RS"].on_event(Event.EXIT, c.ucr, CROSS.exit_office, CROSS.entry_office)
        assert {(s["type"], s["utility_block"]) for s in result["sent"]} == {
            ("ExportData", "UB-SEED-EXIT"),
            ("TIRCarnet", "UB-SEED-TIR"),
            ("CashDeclaration", "UB-SEED-CASH"),
        }
        assert any("EmptyTruckCrossing" in note for note in result["skipped"]), (
            "a step with nothing to send is noted, not an error"
        )
        sent_ids = {s["message_id"] for s in result["sent"]}
        await settle(lambda: sent_ids <= {r.message_id for r in interop(bus) if r.stage == Stage.ACK_RECEIVED})

        # the neighbour received, validated and acknowledged all three
        by_stage = {(r.node, r.stage, r.message_type) for r in interop(bus) if r.message_id in sent_ids}
        for type_name in ("ExportData", "TIRCarnet", "CashDeclaration"):
            assert {("ME", Stage.VALID, type_name), ("ME", Stage.ACKED, type_name)} <= by_stage
        assert not bus.log(T.dead_letter("ME"))
        # what left the node is the carnet lodged for this consignment, reduced to UB-SEED-TIR's data set
        received = {r.header("ce_type"): r for r in bus.log(T.inbox("ME"))}
        assert received[TIR.ce_type].header("ce_subject") == c.ucr
        sent, lodged = etree.fromstring(received[TIR.ce_type].value), etree.fromstring(carnet)
        assert sent.findtext("{*}ReferenceID") == lodged.findtext("{*}ReferenceID")
        assert sent.findtext("{*}BorderTransportMeans/{*}ID") == c.export.vehicle()
        tir_rules = rules_for(blocks_in()["UB-SEED-TIR"], "TIRCarnet")
        assert outside(lodged, tir_rules) and outside(sent, tir_rules) == []

        messages = (await http.get("/messages", params={"consignment": c.ucr})).json()
        out = {(m["type"], m["result"]) for m in messages if m["direction"] == "out"}
        assert {("ExportData", "acked"), ("TIRCarnet", "acked"), ("CashDeclaration", "acked")} <= out
        held = (await http.get(f"/consignments/{c.ucr}")).json()["documents"]
        assert sorted(d["type"] for d in held) == ["CashDeclaration", "TIRCarnet"]


async def test_an_invalid_document_is_refused_at_lodging_with_every_error(corridor):
    _, nodes = corridor
    root = etree.fromstring(tir_carnet())
    root.find("{*}ReferenceID").text = "not a carnet"  # wrong number (rule)
    root.remove(root.find("{*}Holder"))  # and a required element gone (XSD)
    async with client(nodes["RS"]) as http:
        r = await http.post(
            "/documents",
            params={"consignment": "UCR-1"},
            content=etree.tostring(root),
            headers={"content-type": "application/xml"},
        )
        assert r.status_code == 422
        body = r.json()
        assert not body["accepted"] and body["type"] == "TIRCarnet"
        assert len(body["errors"]) >= 2 and {e["class"] for e in body["errors"]} >= {"validation"}
        assert any("ReferenceID" in (e.get("pointer") or "") for e in body["errors"])
        # a declaration belongs at POST /declarations, a stranger document is named as such
        c = ConsignmentGenerator(22, CROSS).make(1)
        r = await http.post(
            "/documents",
            params={"consignment": c.ucr},
            headers={"content-type": "application/xml"},
            content=c.export.to_xml(MetaData(wco_type_name="DEC", responsible_country_code="RS")),
        )
        assert r.status_code == 422 and "POST /declarations" in r.json()["errors"][0]["message"]
        r = await http.post(
            "/documents", params={"consignment": c.ucr}, content=b"<Nope/>", headers={"content-type": "application/xml"}
        )
        assert r.status_code == 422 and r.json()["errors"][0]["rule"] == "F303"
    assert await nodes["RS"].store.read(lambda conn: conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]) == 0


async def test_lodging_the_same_document_twice_keeps_one_and_a_changed_one_replaces_it(corridor):
    bus, nodes = corridor
    doc = cash_declaration()
    first = await nodes["RS"].lodge_document(doc, "UCR-CASH-1")
    again = await nodes["RS"].lodge_document(doc, "UCR-CASH-1")
    assert (first.status, again.status) == ("lodged", "unchanged") and first.document_id == again.document_id
    changed = CASH.write(
        CASH.read(etree.fromstring(doc)).model_copy(
            update={"intended_use_description": None, "intended_use_codes": ["BUSINESS"]}
        )
    )
    assert (await nodes["RS"].lodge_document(changed, "UCR-CASH-1")).status == "replaced"
    assert (await nodes["RS"].lodge_document(doc, "UCR-CASH-2")).status == "lodged", (
        "another consignment holds its own copy"
    )
    rows = await nodes["RS"].store.read(
        lambda conn: conn.execute("SELECT consignment, xml FROM documents ORDER BY seq").fetchall()
    )
    assert [(r["consignment"], bytes(r["xml"]) == changed) for r in rows] == [
        ("UCR-CASH-1", True),
        ("UCR-CASH-2", False),
    ]
    await settle(lambda: False, rounds=5)
    submitted = [r for r in interop(bus) if r.stage == Stage.SUBMITTED and r.message_type == "CashDeclaration"]
    assert [r.result for r in submitted] == ["lodged", "replaced", "lodged"]


async def test_a_consignment_with_only_a_cash_declaration_sends_it_on_exit_and_nothing_on_pre_arrival(corridor):
    bus, nodes = corridor
    assert (await nodes["RS"].lodge_document(cash_declaration(), "TRAVELLER-7")).accepted
    result = await nodes["RS"].on_event(
        Event.EXIT, "TRAVELLER-7", CROSS.exit_office
    )  # entry office from the border crossing
    assert [s["type"] for s in result["sent"]] == ["CashDeclaration"] and result["sent_to"] == "ME"
    assert "message_id" not in result, "no ExportData without an export declaration"
    assert any("ExportData" in n for n in result["skipped"])
    # no PRE_ARRIVAL step names a cash declaration: nothing at all to send, today's refusal
    with pytest.raises(EventRejected, match="no export declaration for consignment TRAVELLER-7"):
        await nodes["RS"].on_event(Event.PRE_ARRIVAL, "TRAVELLER-7", CROSS.exit_office)
