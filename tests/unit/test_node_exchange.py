"""Handlers on the in-process bus: what a node does with good, bad and repeated messages."""

from __future__ import annotations

import asyncio

import pytest
from lxml import etree

from seedsim.core.envelope import Envelope
from seedsim.core.interop import InteropRecord, Stage, decode_interop
from seedsim.core.response import Response
from seedsim.core.topics import Topics
from seedsim.core.transport import Record
from seedsim.core.wco import MetaData
from seedsim.messages.seed import ACKNOWLEDGEMENT, ENTRY_CONFIRMATION, EXPORT_DATA
from seedsim.nodes.customs.customs_node import Event, EventRejected
from seedsim.runners.hostile_payloads import malformed_record
from seedsim.samples.consignments import ConsignmentGenerator
from seedsim.samples.crossings import DEMO_CROSSINGS

T = Topics()
CROSS = DEMO_CROSSINGS[0]


async def settle(bus, rounds=50):
    for _ in range(rounds):
        await asyncio.sleep(0.01)


def interop(bus) -> list[InteropRecord]:
    return [rec for r in bus.log(T.interop) for rec in decode_interop(r.value)]


async def lodge_and_exit(nodes, c):
    rs = await nodes["RS"].lodge(c.export.to_xml(MetaData(wco_type_name="DEC", responsible_country_code="RS")))
    assert rs.accepted, rs.report.issues
    return await nodes["RS"].on_event(Event.EXIT, c.ucr, CROSS.exit_office, CROSS.entry_office)


async def test_exit_data_is_validated_stored_and_acknowledged(corridor):
    bus, nodes = corridor
    c = ConsignmentGenerator(1, CROSS).make(1)
    sent = await lodge_and_exit(nodes, c)
    await settle(bus)
    acks = [r for r in bus.log(T.inbox("RS")) if r.header("ce_type") == ACKNOWLEDGEMENT.ce_type]
    assert len(acks) == 1
    ack = Response.from_root(etree.fromstring(acks[0].value))
    assert ack.positive and ack.in_reply_to == sent["message_id"]
    assert acks[0].key == c.ucr.encode() and acks[0].header("ce_causationid") == sent["message_id"]
    stages = [(r.node, r.stage) for r in interop(bus) if r.message_id == sent["message_id"]]
    assert ("ME", Stage.VALID) in stages and ("ME", Stage.ACKED) in stages and ("RS", Stage.ACK_RECEIVED) in stages


async def test_records_carry_cloudevents_headers_and_the_consignment_key(corridor):
    bus, nodes = corridor
    c = ConsignmentGenerator(2, CROSS).make(1)
    await lodge_and_exit(nodes, c)
    rec = bus.log(T.inbox("ME"))[0]
    env = Envelope.from_headers(rec.headers)
    assert rec.key == c.ucr.encode()
    assert (env.source, env.recipient, env.type, env.subject, env.trigger) == (
        "RS",
        "ME",
        EXPORT_DATA.ce_type,
        c.ucr,
        "EXIT",
    )
    assert rec.header("ce_specversion") == "1.0" and rec.header("traceparent").startswith("00-")


@pytest.mark.parametrize(
    "kind, rule",
    [
        ("broken_xml", "XML102"),
        ("external_entity", "XML101"),
        ("entity_bomb", "XML101"),
        ("schema_violation", "XSD100"),
    ],
)
async def test_malformed_message_is_nacked_dead_lettered_and_does_not_stall(corridor, kind, rule):
    bus, nodes = corridor
    await bus.send_batch([malformed_record(kind, "RS", "ME", T)])
    c = ConsignmentGenerator(3, CROSS).make(1)
    await lodge_and_exit(nodes, c)  # a valid message right behind the bad one
    await settle(bus)
    nacks = [
        Response.from_root(etree.fromstring(r.value))
        for r in bus.log(T.inbox("RS"))
        if r.header("ce_type") == ACKNOWLEDGEMENT.ce_type
    ]
    negative = [a for a in nacks if not a.positive]
    assert len(negative) == 1 and negative[0].errors[0].validation_code == rule
    assert negative[0].errors[0].description  # a sentence a sender can act on
    dlq = bus.log(T.dead_letter("ME"))
    assert len(dlq) == 1 and dlq[0].header("dlq_rule") == rule and dlq[0].header("dlq_original_offset") == "0"
    assert any(a.positive for a in nacks), "the valid message behind the bad one was not acknowledged"


async def test_unknown_sender_is_rejected(corridor):
    bus, nodes = corridor
    await bus.send_batch([malformed_record("schema_violation", "AL", "ME", T)])
    await settle(bus)
    invalid = [r for r in interop(bus) if r.stage == Stage.INVALID]
    assert invalid and "F301" in invalid[0].detail
    assert bus.log(T.inbox("AL")), "the negative acknowledgement goes back to the sender's inbox"


async def test_redelivered_message_changes_nothing_and_is_logged_as_duplicate(corridor):
    bus, nodes = corridor
    c = ConsignmentGenerator(4, CROSS).make(1)
    await lodge_and_exit(nodes, c)
    await settle(bus)
    original = bus.log(T.inbox("ME"))[0]
    await bus.send_batch(
        [Record(topic=original.topic, value=original.value, key=original.key, headers=original.headers)]
    )
    await settle(bus)
    recs = interop(bus)
    assert [r.stage for r in recs if r.node == "ME" and r.stage == Stage.DUPLICATE] == [Stage.DUPLICATE]
    assert sum(1 for r in recs if r.node == "ME" and r.stage == Stage.ACKED) == 1
    acks = [r for r in bus.log(T.inbox("RS")) if r.header("ce_type") == ACKNOWLEDGEMENT.ce_type]
    assert len(acks) == 1


async def test_entry_matches_exit_data_and_confirms_back(corridor):
    bus, nodes = corridor
    gen = ConsignmentGenerator(5, CROSS)
    clean, fraud = gen.make(1), gen.make(2, "undervaluation")
    for c in (clean, fraud):
        await lodge_and_exit(nodes, c)
    await settle(bus)
    results = {}
    for c in (clean, fraud):
        r = await nodes["ME"].lodge(c.import_.to_xml(MetaData(wco_type_name="DEC", responsible_country_code="ME")))
        assert r.accepted
        results[c.ucr] = await nodes["ME"].on_event(Event.ENTRY, c.ucr, CROSS.entry_office)
    await settle(bus)
    assert results[clean.ucr]["status"] == "entered_matched"
    assert [d["rule"] for d in results[fraud.ucr]["discrepancies"]] == ["M03"]
    alerts = [r for r in interop(bus) if r.stage == Stage.ALERT]
    assert len(alerts) == 1 and alerts[0].consignment == fraud.ucr
    confirmations = [r for r in bus.log(T.inbox("RS")) if r.header("ce_type") == ENTRY_CONFIRMATION.ce_type]
    assert {r.key.decode() for r in confirmations} == {clean.ucr, fraud.ucr}


async def test_events_without_a_declaration_are_refused_with_what_to_do(corridor):
    _, nodes = corridor
    with pytest.raises(EventRejected, match="lodge it first"):
        await nodes["RS"].on_event(Event.EXIT, "6RS000000000-NOPE", CROSS.exit_office)


async def test_state_survives_a_restart(tmp_path):
    from seedsim.bootstrap import make_customs_node
    from seedsim.config import NodeConfig
    from seedsim.core.transport.memory import InMemoryBus

    cfg = NodeConfig(node="RS", db=tmp_path / "rs.sqlite3", partners=["ME"], crossings=DEMO_CROSSINGS)
    c = ConsignmentGenerator(6, CROSS).make(1)
    bus = InMemoryBus()
    node = make_customs_node(cfg, bus)
    await bus.start()
    await node.start()
    lodged = await node.lodge(c.export.to_xml(MetaData(wco_type_name="DEC", responsible_country_code="RS")))
    await node.stop()
    await bus.stop()
    node2 = make_customs_node(cfg, InMemoryBus())
    await node2.transport.start()
    await node2.start()
    held = await node2.store.read(lambda conn: conn.execute("SELECT mrn, status FROM declarations").fetchall())
    await node2.stop()
    await node2.transport.stop()
    assert [tuple(r) for r in held] == [(lodged.mrn, "accepted")]


async def test_a_node_asks_its_neighbour_and_gets_the_key_data(corridor):
    import httpx

    from seedsim.nodes.customs.customs_api import create_app

    bus, nodes = corridor
    c = ConsignmentGenerator(8, CROSS).make(1)
    await lodge_and_exit(nodes, c)
    await settle(bus)
    app = create_app(nodes["ME"], manage_lifecycle=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://me") as me:
        r = await me.post("/queries", json={"to": "RS", "consignment": c.ucr, "reason": "check before entry"})
        assert r.status_code == 200, r.text
        await settle(bus)
        body = (await me.get(f"/consignments/{c.ucr}")).json()
    (answer,) = body["answers"]
    assert answer["from"] == "RS" and answer["found"] and answer["status"] == "exited_acked"
    (decl,) = answer["declarations"]
    assert decl["source"] == "DECLARATION" and decl["type_code"] == "EXA"
    assert decl["gross_mass"]["value"] == str(c.export.gross_mass_kg())
