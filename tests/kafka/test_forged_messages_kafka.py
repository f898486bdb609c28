"""Forgeries over a real Kafka broker, against nodes configured with a trust list and key files (`seedsim keys init`).

A hostile neighbour (it holds ME's key, not RS's) writes exit data "from RS" into ME's inbox topic: refused unanswered,
dead-lettered with the rule, and the exit data ME holds is the genuine one.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from dataclasses import replace

import pytest

from seedsim.bootstrap import running_network
from seedsim.config import NodeConfig
from seedsim.core.envelope import new_id
from seedsim.core.interop import InteropRecord, Stage, decode_interop
from seedsim.core.message_signing import SIGNATURE_HEADER
from seedsim.core.network_keys import NetworkKeys, init_folder
from seedsim.core.topics import Topics
from seedsim.core.transport.kafka import KafkaTransport
from seedsim.core.wco import MetaData
from seedsim.nodes.customs.customs_node import Event
from seedsim.samples.consignments import ConsignmentGenerator
from seedsim.samples.crossings import DEMO_CROSSINGS

pytestmark = pytest.mark.kafka
CROSS = DEMO_CROSSINGS[0]


async def test_forged_exit_data_over_kafka_is_refused_and_changes_nothing(secured_kafka, tmp_path):
    kafka_bootstrap = secured_kafka.bootstrap
    folder = tmp_path / "keys"
    init_folder(folder, ["RS", "ME"])
    topics = Topics(f"t-{uuid.uuid4().hex[:8]}")
    configs = [
        NodeConfig(
            node=c, kafka=kafka_bootstrap, topic_prefix=topics.prefix, db=tmp_path / f"{c}.sqlite3",
            partners=[p], crossings=DEMO_CROSSINGS,
            trust_list=folder / "trust-list.json", signing_key=folder / "private",
        )
        for c, p in (("RS", "ME"), ("ME", "RS"))
    ]  # fmt: skip
    seen: list = []
    # RS and ME share this process's transport, and the test reads and forges through it: the super user's login
    transport = KafkaTransport(kafka_bootstrap, client_id="test-forgeries", credentials=secured_kafka.admin)

    async def keep(records) -> None:
        seen.extend(records)

    transport.subscribe([topics.interop, topics.dead_letter("ME"), topics.inbox("RS"), topics.inbox("ME")], "t", keep)

    def interop() -> list[InteropRecord]:
        return [rec for r in seen if r.topic == topics.interop for rec in decode_interop(r.value)]

    async def until(condition, timeout=60.0):
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, "timed out"
            await asyncio.sleep(0.1)

    c = ConsignmentGenerator(77, CROSS).make(1)
    async with running_network(configs, transport) as network:
        rs, me = network.customs["RS"], network.customs["ME"]
        assert rs.signer.kid.startswith("RS-") and me.signer.kid.startswith("ME-")
        assert (await rs.lodge(c.export.to_xml(MetaData(wco_type_name="DEC", responsible_country_code="RS")))).accepted
        sent = await rs.on_event(Event.EXIT, c.ucr, CROSS.exit_office, CROSS.entry_office)
        await until(
            lambda: any(r.stage == Stage.ACK_RECEIVED and r.message_id == sent["message_id"] for r in interop())
        )
        [genuine] = [r for r in seen if r.topic == topics.inbox("ME") and r.header("ce_id") == sent["message_id"]]

        async def held():
            return await me.store.read(lambda conn: conn.execute("SELECT data FROM prearrival").fetchall())

        before = await held()
        lowered = re.sub(rb'(<InvoiceAmount currencyID="EUR">)(\d+)', lambda m: m[1] + m[2][:-1], genuine.value)

        def forged(**headers: bytes):
            out = {**dict(genuine.headers), "ce_id": new_id().encode(), **headers}
            return replace(genuine, value=lowered, headers=tuple(out.items()), partition=None, offset=None)

        neighbour = NetworkKeys.load(folder / "trust-list.json", folder / "private", node="ME").signer("ME")
        unsigned = forged()
        unsigned = replace(unsigned, headers=tuple(h for h in unsigned.headers if h[0] != SIGNATURE_HEADER))
        cases = {
            "F310": unsigned,
            "F313": neighbour.sign_record(forged()),  # ME's own key, claiming to be RS
            "F315": forged(),  # RS's genuine signature over the original value
        }
        answers_before = sum(r.topic == topics.inbox("RS") for r in seen)
        await transport.send_batch(list(cases.values()))
        await until(lambda: sum(r.topic == topics.dead_letter("ME") for r in seen) == len(cases))
        await asyncio.sleep(1.0)  # an answer would have come by now

        rules = sorted(r.header("dlq_rule") for r in seen if r.topic == topics.dead_letter("ME"))
        assert rules == sorted(cases)
        ids = {r.header("ce_id") for r in cases.values()}
        assert not [r for r in interop() if r.message_id in ids and r.stage == Stage.VALID], "0 of 3 accepted"
        assert await held() == before, "ME still holds the genuine exit value"
        assert sum(r.topic == topics.inbox("RS") for r in seen) == answers_before, "no answer to a forged sender"
