"""Veterinary certificates and CHEDs (TRACES NT): the documents, the veterinary authority node, and the certificate
link at the office of entry (CRT501 missing, CRT502 withdrawn, CRT503 mismatch), as a user of the HTTP APIs sees them."""

from __future__ import annotations

import asyncio
import json
import random
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from seedsim.bootstrap import running_network
from seedsim.config import AgencyConfig, NodeConfig
from seedsim.conformance import validate_document
from seedsim.core.topics import Topics
from seedsim.core.transport.memory import InMemoryBus
from seedsim.core.validation import RuleContext
from seedsim.core.wco import MetaData
from seedsim.core.xml_safety import parse_untrusted
from seedsim.message_catalogue import CATALOGUE
from seedsim.messages import veterinary as v
from seedsim.messages.phyto import SPSCertificate
from seedsim.messages.query import CONSIGNMENT_QUERY
from seedsim.nodes.driver_records import driver_action
from seedsim.nodes.inbox_node import send_from
from seedsim.runners.scenarios import corridor as corridors
from seedsim.runners.scenarios.certificates import certificate_for
from seedsim.runners.scenarios.scenario_model import Corridor, Goods, Traffic
from seedsim.samples.crossings import DEMO_CROSSINGS
from tests.unit.node_api import client
from tests.unit.seedsim_cli import seedsim
from tests.unit.test_agency_nodes import query, received

VC, CHED = v.VETERINARY_CERTIFICATE, v.COMMON_HEALTH_ENTRY_DOCUMENT
GOSTUN = DEMO_CROSSINGS[0]
BEEF = Goods(hs_code="020130", description="Fresh boneless meat of bovine animals")


# -- the documents ---------------------------------------------------------------------------------


def test_a_veterinary_certificate_is_an_sps_certificate_told_from_a_phytosanitary_one_by_its_type_code():
    cert = v.generate_certificate(random.Random(3))
    root = parse_untrusted(VC.write(cert))
    assert root.tag == "{urn:un:unece:uncefact:data:standard:SPSCertificate:17}SPSCertificate"
    assert [m.name for m in CATALOGUE.detect(root)][0] == "VeterinaryCertificate"
    phyto = CATALOGUE.by_name["PhytosanitaryCertificate"]
    assert [m.name for m in CATALOGUE.detect(parse_untrusted(phyto.write(phyto.generate(random.Random(3)))))] == [
        "PhytosanitaryCertificate"
    ]
    assert VC.read(root) == cert


def test_ched_references_follow_the_traces_format_and_agree_with_the_type():
    assert v.ched_reference("CHED-P", "ME", 2026, 1234) == "CHEDP.ME.2026.0001234"
    cert = v.generate_certificate(random.Random(4))
    notified = datetime.fromisoformat(cert.document.issue_date_time.date_time_string) + timedelta(hours=3)
    ched = v.ched_for(cert, 42, notified)
    assert ched.reference == f"CHED{ched.type[-1]}.{cert.consignment.import_country.id}.{notified.year}.0000042"
    assert ched.certificate_references() == [cert.document.id]
    assert validate_document(CHED.write(ched)).valid
    wrong = ched.model_copy(update={"reference": f"CHEDX.ME.{notified.year}.0000042"})
    issues = v.CHED_RULES.run(wrong, RuleContext())
    assert [(i.rule, i.pointer) for i in issues] == [("CHD101", "/CommonHealthEntryDocument/Reference")]


def test_a_ched_p_of_live_animals_and_a_plant_on_a_veterinary_certificate_are_refused_with_pointers():
    cert = v.generate_certificate(random.Random(5))
    line = cert.consignment.items[0].trade_line_items[0]
    line.classifications[0].class_code = "080810"  # apples
    [issue] = [i for i in v.CERTIFICATE_RULES.run(cert, RuleContext()) if i.rule == "VET102"]
    assert issue.value == "080810" and "phytosanitary certificate" in issue.message
    notified = datetime(2026, 5, 1, 8)
    ched = v.ched_for(v.generate_certificate(random.Random(5)), 7, notified)
    ched = ched.model_copy(update={"type": "CHED-P"})
    ched.part_one.commodities[0].cn_code = "010229"
    found = {(i.rule, i.pointer) for i in v.CHED_RULES.run(ched, RuleContext())}
    first = "[1]" if len(ched.part_one.commodities) > 1 else ""
    assert ("CHD103", f"/CommonHealthEntryDocument/PartI/Commodity{first}/CNCode") in found


# -- the veterinary authority and the link at entry --------------------------------------------------


@pytest.fixture
async def border(tmp_path):
    """RS and ME customs and RS's veterinary authority (RS-VET), on one in-process bus."""
    nodes = ["RS", "ME", "RS-VET"]
    configs = [
        NodeConfig(node=c, db=tmp_path / f"{c}.db", partners=[n for n in nodes if n != c], crossings=DEMO_CROSSINGS)
        for c in ("RS", "ME")
    ]
    configs.append(AgencyConfig(node="RS-VET", db=tmp_path / "vet.db", seed=3, partners=["RS", "ME"]))
    async with running_network(configs, InMemoryBus()) as network:
        yield network.transport, network.nodes


async def settle():
    for _ in range(40):
        await asyncio.sleep(0.01)


def beef_consignment(index: int):
    traffic = Traffic(count=index, corridor="gostun", goods=BEEF)
    corridor = Corridor(name="gostun", crossings=[GOSTUN])
    return corridors.generate(0, traffic, corridor, seed=11)[index - 1]


async def lodge_and_cross(nodes, c) -> dict:
    """Lodge both declarations, send the exit data, and fire ENTRY at ME through its HTTP API: the entry's answer."""
    leg = c.legs[0]
    rs, me = nodes["RS"], nodes["ME"]
    assert (
        await rs.lodge(leg.exit_declaration.to_xml(MetaData(wco_type_name="DEC", responsible_country_code="RS")))
    ).accepted
    await rs.on_event(_event("PRE_ARRIVAL"), c.ucr, GOSTUN.exit_office, GOSTUN.entry_office)
    await settle()
    assert (
        await me.lodge(leg.entry_declaration.to_xml(MetaData(wco_type_name="DEC", responsible_country_code="ME")))
    ).accepted
    async with client(me) as http:
        answer = await http.post(
            "/events", json={"event": "ENTRY", "consignment": c.ucr, "office": GOSTUN.entry_office}
        )
        assert answer.status_code == 200, answer.text
        view = (await http.get(f"/consignments/{c.ucr}")).json()
    return {**answer.json(), "view": view}


def _event(name: str):
    from seedsim.nodes.customs.customs_node import Event

    return Event(name)


async def issue(nodes, c, scale: Decimal = Decimal(1), **changes) -> str:
    cert = certificate_for(c.legs[0].exit_declaration, "RS", "ME", c.index, scale)
    for k, val in changes.items():
        setattr(cert.consignment.consignor, k, val)
    async with client(nodes["RS-VET"]) as http:
        health = (await http.get("/health")).json()
        assert health["kind"] == "VET"
    sent = await nodes["RS-VET"].issue("ME", consignment=c.ucr, doc=cert)
    await settle()
    return sent["issued"]


async def test_a_valid_certificate_lets_the_goods_be_released(border):
    bus, nodes = border
    c = beef_consignment(1)
    await issue(nodes, c)
    answer = await lodge_and_cross(nodes, c)
    assert answer["release"] is True and answer["certificates"] == []
    assert [a["rule"] for a in answer["view"]["alerts"]] == []


async def test_goods_of_animal_origin_without_a_certificate_raise_crt501(border):
    bus, nodes = border
    c = beef_consignment(2)
    answer = await lodge_and_cross(nodes, c)
    assert answer["release"] is False
    [found] = answer["certificates"]
    assert found["rule"] == "CRT501" and "need a veterinary certificate" in found["detail"]
    assert [(a["kind"], a["rule"]) for a in answer["view"]["alerts"]] == [("certificate", "CRT501")]


async def test_a_withdrawn_certificate_raises_crt502_and_the_authority_says_so_when_asked(border):
    bus, nodes = border
    c = beef_consignment(3)
    ref = await issue(nodes, c)
    async with client(nodes["RS-VET"]) as http:
        withdrawn = (await http.post(f"/issued/{ref}/withdraw", json={})).json()
        again = (await http.post(f"/issued/{ref}/withdraw", json={})).json()
        missing = await http.post("/issued/RS-VET-2026-99999/withdraw", json={})
    assert withdrawn["withdrawn"] == ref and withdrawn["sent_to"] == "ME"
    assert again == {"withdrawn": ref, "repeat": True}
    assert missing.status_code == 404 and "issued no certificate RS-VET-2026-99999" in missing.text
    await send_from(nodes["ME"], CONSIGNMENT_QUERY, query(ref), "RS-VET")
    await settle()
    answers = {a.ucr: a for a in received(bus, "ME", "ConsignmentQueryResponse")}
    assert answers[ref].found and answers[ref].status == "certificate_withdrawn"
    answer = await lodge_and_cross(nodes, c)
    [found] = answer["certificates"]
    assert (
        answer["release"] is False
        and found["rule"] == "CRT502"
        and f"certificate {ref} was withdrawn" in found["detail"]
    )


async def test_a_replaced_certificate_is_followed_by_its_replacement_and_the_goods_are_released(border):
    bus, nodes = border
    c = beef_consignment(4)
    ref = await issue(nodes, c)
    async with client(nodes["RS-VET"]) as http:
        replaced = (await http.post(f"/issued/{ref}/withdraw", json={"replace": True})).json()
    await send_from(nodes["ME"], CONSIGNMENT_QUERY, query(ref), "RS-VET")
    await settle()
    answers = {a.ucr: a for a in received(bus, "ME", "ConsignmentQueryResponse")}
    assert answers[ref].status == f"certificate_replaced_by {replaced['replaced_by']}"
    answer = await lodge_and_cross(nodes, c)
    assert answer["release"] is True and answer["certificates"] == []


async def test_a_certificate_that_differs_from_the_declaration_raises_crt503_per_element(border):
    bus, nodes = border
    c = beef_consignment(5)
    await issue(nodes, c, Decimal("1.5"), name="Somebody Else d.o.o.")
    answer = await lodge_and_cross(nodes, c)
    assert answer["release"] is False
    assert sorted((f["rule"], f["element"]) for f in answer["certificates"]) == [
        ("CRT503", "consignor"),
        ("CRT503", "net quantity"),
    ]
    consignor = next(f for f in answer["certificates"] if f["element"] == "consignor")
    assert consignor["certified"] == "Somebody Else d.o.o." and consignor["declared"]


async def test_the_veterinary_authority_enters_the_ched_for_a_certificate_it_issued(border):
    bus, nodes = border
    c = beef_consignment(6)
    ref = await issue(nodes, c)
    async with client(nodes["RS-VET"]) as http:
        ched = (await http.post("/ched", json={"to": "ME", "certificate": ref, "consignment": c.ucr})).json()
        unknown = await http.post("/ched", json={"to": "ME", "certificate": "RS-VET-2026-00000"})
    assert ched["type"] == "CommonHealthEntryDocument" and ched["issued"].startswith("CHEDP.ME.")
    assert unknown.status_code == 404 and "no veterinary certificate RS-VET-2026-00000" in unknown.text
    await settle()
    [doc] = received(bus, "ME", "CommonHealthEntryDocument")
    assert doc.reference == ched["issued"] and doc.certificate_references() == [ref]
    assert doc.part_two is not None and doc.part_two.decision == "ACCEPTABLE"


async def test_goods_that_need_no_certificate_are_answered_as_before(border):
    bus, nodes = border
    traffic = Traffic(count=1, corridor="gostun")
    c = corridors.generate(0, traffic, Corridor(name="gostun", crossings=[GOSTUN]), seed=3)[0]
    answer = await lodge_and_cross(nodes, c)
    assert "release" not in answer and "certificates" not in answer


# -- the command line ---------------------------------------------------------------------------------


def test_ub_list_shows_the_veterinary_ub_and_the_workshop_plays_it():
    listed = seedsim("ub", "list")
    assert listed.returncode == 0 and "Traceback" not in listed.stderr
    [row] = [line for line in listed.stdout.splitlines() if line.startswith("UB-SEED-VET ")]
    assert "VeterinaryCertificate, Acknowledgement, CommonHealthEntryDocument" in row
    played = seedsim("demo", "--ub", "UB-SEED-VET", timeout=120)
    assert played.returncode == 0, played.stdout + played.stderr
    assert "Traceback" not in played.stderr
    assert "exporting_veterinary_authority (RS-VET) -> importing_customs (ME)" in " ".join(played.stdout.split())
    assert "/CommonHealthEntryDocument/Reference = CHEDP.ME.2026." in played.stdout  # the CHED of the certificate
    assert played.stdout.rstrip().endswith("UB-SEED-VET: 4 step(s), every one acknowledged")


def test_seedsim_run_of_the_veterinary_scenario_names_each_certificate_alert():
    done = seedsim("run", "scenarios/ub-seed-vet.yaml", timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    out = " ".join(done.stdout.split())
    assert "need a veterinary certificate and none was received for the consignment" in out
    assert "was withdrawn: the goods are not released" in out
    assert "net quantity: certificate RS-VET-" in out and "more than 2.0% away from what is declared" in out
    assert "ok alerts_by_rule.CRT501 expected = 1 actual 1" in out
    assert done.stdout.rstrip().endswith("ub-seed-vet: all expectations met")


async def test_withdrawals_and_cheds_are_driver_records_a_fresh_authority_redoes(border, tmp_path):
    """A trace re-driven (seedsim trace replay --fresh) withdraws and enters the CHED again, as recorded."""
    bus, nodes = border
    c = beef_consignment(7)
    ref = await issue(nodes, c)
    async with client(nodes["RS-VET"]) as http:
        assert (await http.post(f"/issued/{ref}/withdraw", json={})).status_code == 200
        assert (
            await http.post("/ched", json={"to": "ME", "certificate": ref, "consignment": c.ucr})
        ).status_code == 200
    actions = [driver_action(r) for r in bus.log(Topics().driver) if r.key == b"RS-VET"]
    assert [a.action for a in actions] == ["issue", "withdraw", "ched"]
    assert actions[1].args == {"ref": ref, "replace": False}
    fresh_configs = [
        NodeConfig(node="ME", db=tmp_path / "me2.db", partners=["RS-VET"], crossings=DEMO_CROSSINGS),
        AgencyConfig(node="RS-VET", db=tmp_path / "vet2.db", seed=3, partners=["ME"]),
    ]
    async with running_network(fresh_configs, InMemoryBus()) as fresh:
        for a in actions:
            await fresh.nodes["RS-VET"].redo(a)
        await settle()
        held = await fresh.nodes["ME"].store.read(lambda conn: fresh.nodes["ME"].store.certificates_for(conn, c.ucr))
    kept = {h["type"]: (h["ref"], json.loads(h["facts"])["active"]) for h in held}
    assert kept["VeterinaryCertificate"] == (ref, False)  # withdrawn again
    assert kept["CommonHealthEntryDocument"][0].startswith("CHEDP.ME.") and len(kept) == 2


async def test_a_ched_that_refuses_the_consignment_stops_release_with_crt504(border):
    bus, nodes = border
    c = beef_consignment(8)
    ref = await issue(nodes, c)
    held = await nodes["RS-VET"].store.read(lambda conn: nodes["RS-VET"].store.issued(conn, ref))
    cert = VC.read(parse_untrusted(VC.write(SPSCertificate.model_validate_json(held["data"]))))
    notified = datetime.fromisoformat(cert.document.issue_date_time.date_time_string) + timedelta(hours=1)
    ched = v.ched_for(cert, 99, notified)
    ched.status = "REJECTED"
    ched.part_two.decision, ched.part_two.reason = "NOT_ACCEPTABLE", "cold chain broken: 9 °C in the trailer"
    await send_from(nodes["RS-VET"], CHED, CHED.write(ched), "ME", subject=c.ucr)
    await settle()
    answer = await lodge_and_cross(nodes, c)
    [found] = answer["certificates"]
    assert answer["release"] is False and found["rule"] == "CRT504" and found["certified"] == ched.reference
    assert "not acceptable" in found["detail"]
