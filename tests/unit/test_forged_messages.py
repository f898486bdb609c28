"""Forgeries a hostile tester sent, refused by the signature check: none is accepted, none changes a node's state.

The four cases of issue 11: exit data "from RS" overwriting the real exit value, a negative acknowledgement "from ME"
flipping RS's message to refused, a query "from ME" making RS publish data into ME's inbox, and a genuine message with
a header swapped. Each is sent in every way a forger can sign it: unsigned, with a key the network does not trust,
with another node's key, and (a genuine signature) over changed content.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from datetime import UTC, datetime

from seedsim.core.envelope import new_id
from seedsim.core.interop import InteropRecord, Stage, decode_interop
from seedsim.core.message_signing import SIGNATURE_HEADER, Signer
from seedsim.core.network_keys import development_keys, new_key
from seedsim.core.response import acknowledgement
from seedsim.core.topics import Topics
from seedsim.core.transport import Record
from seedsim.core.validation import Issue
from seedsim.core.wco import MetaData
from seedsim.messages.query import CONSIGNMENT_QUERY, CONSIGNMENT_QUERY_RESPONSE, ConsignmentQuery
from seedsim.messages.seed import ACKNOWLEDGEMENT, EXPORT_DATA
from seedsim.nodes.customs.customs_node import Event
from seedsim.nodes.inbox_node import inbox_record
from seedsim.samples.consignments import ConsignmentGenerator
from seedsim.samples.crossings import DEMO_CROSSINGS

T = Topics()
CROSS = DEMO_CROSSINGS[0]
#: a key pair the network never heard of (the forger's own)
_STRANGER_KEY, _STRANGER_PRIVATE = new_key("RS", datetime.now(UTC))
STRANGER = Signer("RS", _STRANGER_KEY.kid, _STRANGER_PRIVATE)


async def until(condition, timeout=10.0):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.02)


def interop(bus) -> list[InteropRecord]:
    return [rec for r in bus.log(T.interop) for rec in decode_interop(r.value)]


def forgeries(record: Record, claimed: str) -> dict[str, Record]:
    """``record`` (as ``claimed`` would send it) in every form a forger can give it, each with an id of its own."""

    def fresh(r: Record) -> Record:
        return replace(r, headers=tuple((k, new_id().encode() if k == "ce_id" else v) for k, v in r.headers))

    unsigned = fresh(replace(record, headers=tuple((k, v) for k, v in record.headers if k != SIGNATURE_HEADER)))
    other_node = "AL" if claimed != "AL" else "BA"
    return {
        "F310": unsigned,
        "F312": STRANGER.sign_record(fresh(unsigned)),
        "F313": development_keys().signer(other_node).sign_record(fresh(unsigned)),
    }


def dead_letter_rules(bus, node: str) -> list[str]:
    return [r.header("dlq_rule") for r in bus.log(T.dead_letter(node))]


async def exit_consignment(nodes, seed: int):
    c = ConsignmentGenerator(seed, CROSS).make(1)
    lodged = await nodes["RS"].lodge(c.export.to_xml(MetaData(wco_type_name="DEC", responsible_country_code="RS")))
    assert lodged.accepted
    sent = await nodes["RS"].on_event(Event.EXIT, c.ucr, CROSS.exit_office, CROSS.entry_office)
    return c, sent


async def prearrival(node, ucr: str):
    return await node.store.read(
        lambda conn: [tuple(r) for r in conn.execute("SELECT * FROM prearrival WHERE ucr = ?", (ucr,))]
    )


async def test_forged_exit_data_from_rs_is_refused_and_the_exit_value_stays(corridor):
    bus, nodes = corridor
    c, sent = await exit_consignment(nodes, 41)
    await until(lambda: any(r.stage == Stage.ACK_RECEIVED for r in interop(bus)))
    before = await prearrival(nodes["ME"], c.ucr)
    assert before, "the genuine exit data is held"
    [genuine] = [r for r in bus.log(T.inbox("ME")) if r.header("ce_id") == sent["message_id"]]

    # the forged exit data: the real declaration "from RS", its value made a tenth of what it was
    changed = re.sub(rb'(<InvoiceAmount currencyID="EUR">)(\d+)', lambda m: m[1] + m[2][:-1], genuine.value, count=1)
    assert changed != genuine.value
    env = EXPORT_DATA.envelope("RS", "ME", subject=c.ucr, trigger="EXIT")
    forged = inbox_record(T, env, changed, None)
    cases = forgeries(forged, "RS")
    # a genuine signature by RS, over the genuine content, with the value changed under it
    cases["F315"] = replace(genuine, value=changed, headers=tuple(
        (k, new_id().encode() if k == "ce_id" else v) for k, v in genuine.headers))  # fmt: skip
    acks_before = len(bus.log(T.inbox("RS")))
    await bus.send_batch(list(cases.values()))
    await until(lambda: len(bus.log(T.dead_letter("ME"))) == len(cases))

    assert sorted(dead_letter_rules(bus, "ME")) == sorted(cases), "each forgery refused by its signature rule"
    forged_ids = {r.header("ce_id") for r in cases.values()}
    accepted = [r for r in interop(bus) if r.message_id in forged_ids and r.stage == Stage.VALID]
    assert accepted == [], "0 of N forgeries accepted"
    assert await prearrival(nodes["ME"], c.ucr) == before, "the exit data is the genuine one"
    await asyncio.sleep(0.2)
    assert len(bus.log(T.inbox("RS"))) == acks_before, "no answer to a forged sender"


async def test_a_forged_nack_from_me_does_not_flip_rs_message_to_refused(corridor):
    bus, nodes = corridor
    c, sent = await exit_consignment(nodes, 42)
    await until(lambda: any(r.stage == Stage.ACK_RECEIVED for r in interop(bus)))

    async def ack_state():
        return await nodes["RS"].store.read(
            lambda conn: conn.execute(
                "SELECT result FROM messages WHERE message_id = ? AND direction = 'out'", (sent["message_id"],)
            ).fetchone()[0]
        )

    assert await ack_state() == "acked"
    nack = acknowledgement(sent["message_id"], [Issue("R106", 106, "made up")], datetime.now(UTC), mrn=None)
    env = replace(
        ACKNOWLEDGEMENT.envelope("ME", "RS", subject=c.ucr, causation_id=sent["message_id"]),
        dataschema=ACKNOWLEDGEMENT.schema,
    )
    cases = forgeries(inbox_record(T, env, nack.to_xml(MetaData(wco_type_name="RES")), None), "ME")
    # ME's genuine positive acknowledgement, its signature kept, its payload made negative
    [genuine] = [r for r in bus.log(T.inbox("RS")) if r.header("ce_causationid") == sent["message_id"]]
    cases["F315"] = replace(genuine, value=nack.to_xml(MetaData(wco_type_name="RES")), headers=tuple(
        (k, new_id().encode() if k == "ce_id" else v) for k, v in genuine.headers))  # fmt: skip
    await bus.send_batch(list(cases.values()))
    await until(lambda: len(bus.log(T.dead_letter("RS"))) == len(cases))

    assert sorted(dead_letter_rules(bus, "RS")) == sorted(cases)
    assert not [r for r in interop(bus) if r.stage == Stage.NACK_RECEIVED], "no forged NACK was taken"
    assert await ack_state() == "acked", "RS's message is still acknowledged"
    await asyncio.sleep(0.2)
    assert not [r for r in bus.log(T.inbox("ME")) if r.header("ce_type") == ACKNOWLEDGEMENT.ce_type]


async def test_a_forged_query_from_me_makes_rs_publish_nothing_into_me_inbox(corridor):
    bus, nodes = corridor
    c, _ = await exit_consignment(nodes, 43)
    await until(lambda: any(r.stage == Stage.ACK_RECEIVED for r in interop(bus)))
    q = ConsignmentQuery(
        query_id=new_id(),
        issue_date_time=datetime.now(UTC).replace(microsecond=0),
        requesting_node="ME",
        ucr=c.ucr,
        mrn=None,
        reason="forged",
        requested_data=["STATUS", "DECLARATION", "PRE_ARRIVAL"],
    )
    env = CONSIGNMENT_QUERY.envelope("ME", "RS", id=q.query_id, subject=c.ucr)
    cases = forgeries(inbox_record(T, env, CONSIGNMENT_QUERY.write(q), None), "ME")
    inbox_before = list(bus.log(T.inbox("ME")))
    await bus.send_batch(list(cases.values()))
    await until(lambda: len(bus.log(T.dead_letter("RS"))) == len(cases))
    await asyncio.sleep(0.2)

    assert sorted(dead_letter_rules(bus, "RS")) == sorted(cases)
    assert bus.log(T.inbox("ME")) == inbox_before, "nothing published into ME's inbox: no answer, no NACK"
    assert not [r for r in bus.log(T.inbox("ME")) if r.header("ce_type") == CONSIGNMENT_QUERY_RESPONSE.ce_type]


async def test_a_genuine_message_with_a_header_swapped_is_refused(corridor):
    """RS's real, signed exit data re-addressed (ce_recipient), re-subjected (ce_subject) or re-typed: F315."""
    bus, nodes = corridor
    c, sent = await exit_consignment(nodes, 44)
    await until(lambda: any(r.stage == Stage.ACK_RECEIVED for r in interop(bus)))
    [genuine] = [r for r in bus.log(T.inbox("ME")) if r.header("ce_id") == sent["message_id"]]
    before = await prearrival(nodes["ME"], c.ucr)

    def swapped(name: str, value: bytes) -> Record:
        return replace(genuine, headers=tuple((k, value if k == name else v) for k, v in genuine.headers))

    # the genuine id kept: the signature is checked before the duplicate check, so each is refused, not a duplicate
    swaps = [
        swapped("ce_subject", b"UCR-SOMEONE-ELSE"),
        swapped("ce_recipient", b"AL"),
        swapped("ce_trigger", b"PRE_ARRIVAL"),
        swapped("ce_correlationid", new_id().encode()),
    ]
    await bus.send_batch(swaps)
    await until(lambda: len(bus.log(T.dead_letter("ME"))) == len(swaps))
    assert dead_letter_rules(bus, "ME") == ["F315"] * len(swaps)
    valid = [r for r in interop(bus) if r.message_id == sent["message_id"] and r.stage == Stage.VALID]
    assert len(valid) == 1, "only the genuine message was ever accepted"
    assert await prearrival(nodes["ME"], c.ucr) == before
    # a forgery never marks its claimed id handled: the genuine message stays what it was
    assert not [r for r in interop(bus) if r.message_id == sent["message_id"] and r.stage == Stage.DUPLICATE]
