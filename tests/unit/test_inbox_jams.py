"""On the in-process bus: what keeps one record from jamming a node's inbox or outbox (the same over Kafka:
tests/kafka/test_inbox_faults.py). Bounded answers and dead letters, parking, conflicting duplicates, headers that
are not UTF-8, a store that cannot write, /health, and a start that does not wait for the outbox."""

from __future__ import annotations

import asyncio

from lxml import etree

from seedsim.bootstrap import make_customs_node
from seedsim.config import NodeConfig
from seedsim.core.envelope import Envelope, EnvelopeError
from seedsim.core.interop import Stage
from seedsim.core.network_keys import development_keys
from seedsim.core.record_bounds import MAX_HEADER_BYTES, cut, legal_topic, unsendable
from seedsim.core.response import Response
from seedsim.core.transport import Record
from seedsim.core.transport.memory import InMemoryBus
from seedsim.messages.seed import ACKNOWLEDGEMENT, EXPORT_DATA
from seedsim.runners.hostile_payloads import SCHEMA_VIOLATION
from seedsim.samples.consignments import ConsignmentGenerator
from seedsim.samples.crossings import DEMO_CROSSINGS
from tests.support.unwritable_store import Unwritable
from tests.unit.node_api import client
from tests.unit.test_node_exchange import CROSS, T, interop, lodge_and_exit, settle


def test_bounds_cut_long_values_and_say_so():
    assert cut(b"short") == b"short"
    long = cut(b"x" * 5000)
    assert len(long) == MAX_HEADER_BYTES and long.endswith(b"...[cut: 5000 bytes]")
    assert legal_topic("seedsim.inbox.rs") and not legal_topic("seedsim.inbox.r s") and not legal_topic("a" * 250)
    assert "not legal" in unsendable(Record(topic="seedsim.inbox.r s", value=b""))
    assert "over the" in unsendable(Record(topic="t", value=b"x" * 1_000_001))
    assert unsendable(Record(topic="t", value=b"x")) is None


def test_an_envelope_with_a_header_over_the_bound_is_malformed_but_a_long_trace_header_is_ignored():
    env = EXPORT_DATA.envelope("RS", "ME", subject="UCR1", trigger="EXIT")
    headers = dict(env.to_headers())
    try:
        Envelope.from_headers(list({**headers, "ce_subject": b"S" * 600_000}.items()))
    except EnvelopeError as exc:
        assert "ce_subject is 600000 bytes, over the 1024-byte bound" in str(exc)
    else:
        raise AssertionError("a 600 KB ce_subject was read")
    read = Envelope.from_headers(list({**headers, "tracestate": b"k=" + b"v" * 5000}.items()))
    assert read.subject == "UCR1" and read.tracestate is None


async def test_a_header_that_is_not_utf8_is_dead_lettered_and_the_inbox_goes_on(corridor):
    bus, nodes = corridor
    env = EXPORT_DATA.envelope("RS", "ME", subject="BAD", trigger="EXIT")
    headers = (*env.to_headers(), ("x-note", b"\xff\xfe"))
    await bus.send_batch([Record(topic=T.inbox("ME"), value=b"<x/>", key=b"BAD", headers=headers)])
    await lodge_and_exit(nodes, ConsignmentGenerator(61, CROSS).make(1))
    await settle(bus)
    [dead] = bus.log(T.dead_letter("ME"))
    assert dead.header("dlq_rule") == "F300" and "not UTF-8" in dead.header("dlq_reason")
    assert ("x-note", b"\xff\xfe") in dead.headers, "the copy keeps the header as it came"
    assert any(r.stage == Stage.ACK_RECEIVED for r in interop(bus)), "the valid message behind it was not answered"


async def test_the_same_id_with_another_payload_is_refused_naming_the_first(corridor):
    bus, nodes = corridor
    env = EXPORT_DATA.envelope("RS", "ME", subject="RESENT", trigger="EXIT")
    rs = development_keys().signer("RS")  # RS signs each payload it sends

    def signed(value: bytes) -> Record:
        return Record(T.inbox("ME"), value, b"RESENT", tuple(rs.sign(env.to_headers(), value)))

    first = signed(SCHEMA_VIOLATION)
    await bus.send_batch([first])
    await settle(bus)
    await bus.send_batch([signed(SCHEMA_VIOLATION.replace(b"<unknown/>", b""))])  # corrected, same id
    await bus.send_batch([first])  # the very same again: a redelivery
    await settle(bus)
    nacks = [
        Response.from_root(etree.fromstring(r.value))
        for r in bus.log(T.inbox("RS"))
        if r.header("ce_type") == ACKNOWLEDGEMENT.ce_type
    ]
    assert len(nacks) == 2 and not any(a.positive for a in nacks)
    said = nacks[1].errors[0].description
    assert f"ce_id {env.id} names the message received at" in said and "rejected" in said
    assert "a corrected resend carries a new ce_id" in said
    assert [r.header("dlq_rule") for r in bus.log(T.dead_letter("ME"))] == ["XSD100", "F306"]
    assert nacks[1].errors[0].validation_code == "F306"
    me = [r for r in interop(bus) if r.node == "ME" and r.message_id == env.id]
    assert [r.stage for r in me if r.stage in (Stage.INVALID, Stage.DUPLICATE)] == [
        Stage.INVALID,
        Stage.INVALID,
        Stage.DUPLICATE,
    ]
    logged = await nodes["ME"].store.read(nodes["ME"].store.message_payload, env.id)
    assert bytes(logged["payload"]) == SCHEMA_VIOLATION, "the first message's log entry was overwritten"


async def test_a_nack_is_not_sent_where_no_topic_should_be_made(corridor):
    bus, nodes = corridor
    for source in ("FORGED", "R S"):
        env = EXPORT_DATA.envelope(source, "ME", subject="FORGED", trigger="EXIT")
        await bus.send_batch([Record(topic=T.inbox("ME"), value=b"<x/>", headers=tuple(env.to_headers()))])
    await settle(bus)
    # neither is signed by a key of the trust list (F310): dead-lettered, never answered
    assert [r.header("dlq_rule") for r in bus.log(T.dead_letter("ME"))] == ["F310", "F310"]
    assert not [t for t in bus._logs if "forged" in t or " " in t], "a topic was made for a forged sender"


def queue_unsendable(tx) -> None:
    """Queue what no broker would take (a topic name it refuses, a value over the record bound) between two
    records it would: ``seedsim.fine`` must still go out."""
    tx.send(Record(topic="seedsim.inbox.r s", value=b"to an illegal topic"))
    tx.send(Record(topic=T.interop, value=b"x" * 2_000_000))
    tx.send(Record(topic="seedsim.fine", value=b"fine"))


async def test_an_outbox_row_the_broker_would_refuse_is_parked_and_the_rest_goes_out(corridor):
    bus, nodes = corridor
    me = nodes["ME"]
    await me.run(queue_unsendable)
    assert [r.value for r in bus.log("seedsim.fine")] == [b"fine"]
    parked = await me.store.parked()
    assert [(p["kind"], p["topic"]) for p in parked] == [("outbox", "seedsim.inbox.r s"), ("outbox", T.interop)]
    assert "not legal" in parked[0]["reason"] and "over the 1000000-byte bound" in parked[1]["reason"]
    await settle(bus)
    assert await me.store.unsent() == []
    said = [r for r in interop(bus) if r.node == "ME" and r.result == "parked"]
    assert [r.stage for r in said] == [Stage.DEAD_LETTERED] * 2 and "seedsim.inbox.r s" in said[0].detail
    async with client(me) as http:
        health = await http.get("/health")
    assert health.status_code == 200 and health.json()["parked"] == 2 and health.json()["last_parked_at"]


class RefusesOne:
    """A transport that refuses one topic for good, as Kafka does a record over its size limit."""

    def __init__(self, bus, topic: str):
        self.bus, self.topic = bus, topic

    async def send_batch(self, records):
        if any(r.topic == self.topic for r in records):
            exc = RuntimeError("MessageSizeTooLargeError")
            exc.retriable = False  # type: ignore[attr-defined]
            raise exc
        return await self.bus.send_batch(records)

    def __getattr__(self, name):
        return getattr(self.bus, name)


async def test_a_record_the_transport_refuses_for_good_is_parked_not_retried_forever(corridor):
    bus, nodes = corridor
    me = nodes["ME"]
    me.transport = RefusesOne(bus, "seedsim.refused")

    def queue(tx):
        for topic in ("seedsim.a", "seedsim.refused", "seedsim.b"):
            tx.send(Record(topic=topic, value=topic.encode()))

    await asyncio.wait_for(me.run(queue), timeout=10)
    assert [len(bus.log(t)) for t in ("seedsim.a", "seedsim.refused", "seedsim.b")] == [1, 0, 1]
    [parked] = await me.store.parked()
    assert parked["topic"] == "seedsim.refused" and "MessageSizeTooLargeError" in parked["reason"]


async def test_a_store_that_cannot_write_pauses_the_inbox_and_says_so_then_resumes(corridor):
    bus, nodes = corridor
    me = nodes["ME"]
    broken = Unwritable(me.store)
    gen = ConsignmentGenerator(62, CROSS)
    await lodge_and_exit(nodes, gen.make(1))
    await asyncio.sleep(1.0)
    async with client(me) as http:
        sick = await http.get("/health")
        assert sick.status_code == 503 and sick.json()["status"] == "unhealthy"
        assert "the store cannot write since" in sick.json()["problems"][0]
        assert not [r for r in interop(bus) if r.node == "ME"], "ME handled a record it could not store"
        broken.restore()
        await lodge_and_exit(nodes, gen.make(2))
        for _ in range(100):
            if len([r for r in interop(bus) if r.stage == Stage.ACK_RECEIVED]) == 2:
                break
            await asyncio.sleep(0.05)
        well = await http.get("/health")
    assert well.status_code == 200 and well.json()["status"] == "ok"
    valid = [r for r in interop(bus) if r.node == "ME" and r.stage == Stage.VALID]
    assert len(valid) == 2 and len({r.message_id for r in valid}) == 2
    assert not bus.log(T.dead_letter("ME")) and await me.store.parked() == []


async def test_the_outbox_cleaner_survives_a_store_that_cannot_write(corridor):
    bus, nodes = corridor
    me = nodes["ME"]
    me._sent_seqs.append(123456)
    broken = Unwritable(me.store)
    await asyncio.sleep(0.6)
    assert not me._flusher.done() and 123456 in me._sent_seqs
    broken.restore()
    await asyncio.sleep(0.6)
    assert not me._flusher.done() and me._sent_seqs == []


class Stalled:
    """A transport whose sends wait until released: a broker slow to take a large outbox."""

    def __init__(self, bus):
        self.bus, self.go = bus, asyncio.Event()

    async def send_batch(self, records):
        await self.go.wait()
        return await self.bus.send_batch(records)

    def __getattr__(self, name):
        return getattr(self.bus, name)


async def test_start_serves_at_once_and_drains_the_outbox_in_the_background(tmp_path):
    config = NodeConfig(node="ME", db=tmp_path / "me.sqlite3", partners=["RS"], crossings=DEMO_CROSSINGS)
    bus = InMemoryBus()
    crashed = make_customs_node(config, bus)  # a node that crashed with three records in its outbox
    await crashed.store.open()
    await crashed.store.transaction(
        lambda tx: [tx.send(Record(topic="seedsim.later", value=b"%d" % i)) for i in range(3)]
    )
    await crashed.store.close()
    stalled = Stalled(bus)
    me = make_customs_node(config, stalled)
    await bus.start()
    try:
        await asyncio.wait_for(me.start(), timeout=5)  # does not wait for the outbox
        async with client(me) as http:
            draining = (await http.get("/health")).json()
            stalled.go.set()
            for _ in range(100):
                if len(bus.log("seedsim.later")) == 3:
                    break
                await asyncio.sleep(0.02)
            drained = (await http.get("/health")).json()
    finally:
        await bus.stop()
        await me.stop()
    assert draining["outbox_draining"] is True and draining["status"] == "ok"
    assert len(bus.log("seedsim.later")) == 3 and "outbox_draining" not in drained


async def test_a_record_with_a_header_over_the_bound_is_dead_lettered_under_its_own_rule_unanswered(corridor):
    bus, nodes = corridor
    env = EXPORT_DATA.envelope("RS", "ME", subject="LONG", trigger="EXIT")
    headers = tuple((k, b"S" * 600_000 if k == "ce_subject" else v) for k, v in env.to_headers())
    await bus.send_batch([Record(topic=T.inbox("ME"), value=b"<x/>", key=b"LONG", headers=headers)])
    await settle(bus)
    [dead] = bus.log(T.dead_letter("ME"))
    assert dead.header("dlq_rule") == "F305" and dead.header("dlq_error_class") == "functional"
    assert "ce_subject is 600000 bytes, over the 1024-byte bound" in dead.header("dlq_reason")
    assert not bus.log(T.inbox("RS")), "a record with an over-long header was answered"
