"""Agency nodes on the in-process bus: each kind answers what it should; bad input is NACKed and dead-lettered."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime

import httpx
import pytest
from lxml import etree

from seedsim.bootstrap import running_network
from seedsim.config import AgencyConfig, NodeConfig
from seedsim.core.interop import InteropRecord, Stage, decode_interop
from seedsim.core.response import Response
from seedsim.core.topics import Topics
from seedsim.core.transport.memory import InMemoryBus
from seedsim.message_catalogue import CATALOGUE
from seedsim.messages.query import CONSIGNMENT_QUERY, ConsignmentQuery
from seedsim.messages.seed import ACKNOWLEDGEMENT
from seedsim.nodes.agency.agency_api import create_app
from seedsim.nodes.inbox_node import send_from
from seedsim.runners.hostile_payloads import malformed_record
from seedsim.runners.ub_player import verification_request_for

T = Topics()
AGENCIES = ["RS-NPPO", "RS-CCI", "TR-TIR"]


@pytest.fixture
async def net(tmp_path):
    everyone = AGENCIES + ["ME"]
    configs = [
        AgencyConfig(node=a, db=tmp_path / f"{a}.db", seed=7, partners=[n for n in everyone if n != a])
        for a in AGENCIES
    ]
    configs.append(NodeConfig(node="ME", db=tmp_path / "me.db", partners=AGENCIES))
    async with running_network(configs, InMemoryBus()) as network:
        yield network.transport, network.nodes


async def settle():
    for _ in range(30):
        await asyncio.sleep(0.01)


def interop(bus) -> list[InteropRecord]:
    return [rec for r in bus.log(T.interop) for rec in decode_interop(r.value)]


def received(bus, node: str, type_name: str):
    """The documents of one type that arrived in ``node``'s inbox, read with the catalogue."""
    mt = CATALOGUE.by_name[type_name]
    return [mt.read(etree.fromstring(r.value)) for r in bus.log(T.inbox(node)) if r.header("ce_type") == mt.ce_type]


def query(ref: str) -> bytes:
    q = ConsignmentQuery(
        query_id=f"{random.getrandbits(128):032x}",
        issue_date_time=datetime.now(UTC).replace(microsecond=0),
        requesting_node="ME",
        ucr=ref,
        reason="check before release",
        requested_data=["STATUS"],
    )
    return CONSIGNMENT_QUERY.write(q)


def test_agency_ids_are_country_and_kind():
    assert AgencyConfig(node="rs-nppo").node == "RS-NPPO"
    with pytest.raises(ValueError):
        AgencyConfig(node="RS")
    with pytest.raises(ValueError):
        AgencyConfig(node="QQ-CCI")


async def test_chamber_issues_a_certificate_of_origin_the_customs_node_accepts(net):
    bus, nodes = net
    sent = await nodes["RS-CCI"].issue("ME", consignment="6RS100000001-C0000001")
    await settle()
    [cert] = received(bus, "ME", "CertificateOfOrigin")
    assert cert.id == sent["issued"] and cert.origin_country_code == "RS" and cert.destination_country_code == "ME"
    assert cert.issuing_authority.type_code == "COC"
    stages = {(r.node, r.stage) for r in interop(bus) if r.message_id == sent["message_id"]}
    assert {("ME", Stage.VALID), ("ME", Stage.ACKED), ("RS-CCI", Stage.ACK_RECEIVED)} <= stages


async def test_chamber_answers_a_verification_request_about_its_certificate(net):
    bus, nodes = net
    sent = await nodes["RS-CCI"].issue("ME")
    await settle()
    [cert] = received(bus, "ME", "CertificateOfOrigin")
    mt = CATALOGUE.by_name["OriginVerificationRequest"]
    genuine = verification_request_for(mt.generate(random.Random(1)), cert)
    forged = verification_request_for(mt.generate(random.Random(2)), cert.model_copy(update={"id": "Z 0000000"}))
    for req in (genuine, forged):
        await send_from(nodes["ME"], mt, mt.write(req), "RS-CCI")
    await settle()
    answers = {a.request_id: a for a in received(bus, "ME", "OriginVerificationResponse")}
    assert answers[genuine.id].result_code == "AO" and answers[genuine.id].certificate.id == sent["issued"]
    assert answers[forged.id].result_code == "NA" and answers[forged.id].findings
    assert not [r for r in interop(bus) if r.stage in (Stage.INVALID, Stage.NACKED)]


async def test_nppo_issues_a_phytosanitary_certificate_and_answers_a_check_on_it(net):
    bus, nodes = net
    sent = await nodes["RS-NPPO"].issue("ME")
    await send_from(nodes["ME"], CONSIGNMENT_QUERY, query(sent["issued"]), "RS-NPPO")
    await send_from(nodes["ME"], CONSIGNMENT_QUERY, query("RS-2026-00000"), "RS-NPPO")
    await settle()
    [cert] = received(bus, "ME", "PhytosanitaryCertificate")
    assert cert.document.id == sent["issued"] and cert.consignment.export_country.id == "RS"
    answers = {a.ucr: a for a in received(bus, "ME", "ConsignmentQueryResponse")}
    assert answers[sent["issued"]].found and answers[sent["issued"]].status == "certificate_issued"
    assert not answers["RS-2026-00000"].found


async def test_tir_chain_confirms_the_guarantee_of_a_carnet_it_registered(net):
    bus, nodes = net
    registered = await nodes["TR-TIR"].issue()
    assert "message_id" not in registered  # the chain keeps the carnet; carnets travel customs to customs
    await send_from(nodes["ME"], CONSIGNMENT_QUERY, query(registered["issued"]), "TR-TIR")
    await send_from(nodes["ME"], CONSIGNMENT_QUERY, query("XA00000000"), "TR-TIR")
    await settle()
    answers = {a.ucr: a for a in received(bus, "ME", "ConsignmentQueryResponse")}
    assert (
        answers[registered["issued"]].status == "guarantee_valid"
        and answers[registered["issued"]].responding_node == "TR"
    )
    assert not answers["XA00000000"].found


@pytest.mark.parametrize("kind", ["broken_xml", "external_entity", "schema_violation"])
async def test_bad_input_is_nacked_and_dead_lettered(net, kind):
    bus, nodes = net
    await bus.send_batch([malformed_record(kind, "ME", "RS-NPPO", T)])
    await settle()
    [dead] = bus.log(T.dead_letter("RS-NPPO"))
    assert dead.header("dlq_rule") and dead.header("dlq_original_topic") == T.inbox("RS-NPPO")
    [ack] = [r for r in bus.log(T.inbox("ME")) if r.header("ce_type") == ACKNOWLEDGEMENT.ce_type]
    assert not Response.from_root(etree.fromstring(ack.value)).positive
    assert any(r.node == "RS-NPPO" and r.stage == Stage.NACKED for r in interop(bus))


async def test_an_unknown_sender_is_refused(net):
    bus, nodes = net
    await bus.send_batch([malformed_record("schema_violation", "AL", "RS-CCI", T)])
    await settle()
    [bad] = [r for r in interop(bus) if r.node == "RS-CCI" and r.stage == Stage.INVALID]
    assert bad.result == "F301" and "unknown sender 'AL'" in bad.detail


async def test_http_api_health_issue_and_lookup(net):
    bus, nodes = net
    app = create_app(nodes["RS-CCI"], manage_lifecycle=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://cci") as client:
        assert (await client.get("/health")).json()["kind"] == "CCI"
        issued = (await client.post("/issue", json={"to": "ME"})).json()
        assert issued["sent_to"] == "ME"
        found = (await client.get(f"/issued/{issued['issued']}")).json()
        assert found["type"] == "CertificateOfOrigin" and found["data"]["origin_country_code"] == "RS"
        assert (await client.get("/issued/nothing")).status_code == 404
        await settle()
        assert any(m["type"] == "Acknowledgement" for m in (await client.get("/messages")).json())


async def test_a_retried_issue_request_issues_and_sends_nothing_again(net):
    bus, nodes = net
    app = create_app(nodes["RS-CCI"], manage_lifecycle=False)
    request = {"to": "ME", "consignment": "RS-RETRY-1"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://cci") as client:
        first = await client.post("/issue", json=request)
        again = await client.post("/issue", json=request)
        other = await client.post("/issue", json={"to": "ME", "consignment": "RS-RETRY-2"})
        await settle()
        sent = [m for m in (await client.get("/messages")).json() if m["type"] == "CertificateOfOrigin"]
    assert first.status_code == again.status_code == other.status_code == 200
    assert "repeat" not in first.json() and again.json() == {**first.json(), "repeat": True}
    assert "repeat" not in other.json() and other.json()["issued"] != first.json()["issued"]
    certificates = received(bus, "ME", "CertificateOfOrigin")
    assert len(certificates) == 2, "the retried request sent a second certificate"
    issued = await nodes["RS-CCI"].store.read(lambda c: c.execute("SELECT count(*) FROM issued").fetchone()[0])
    assert issued == 2 and len(sent) == 2
