"""A node registers only its own declarations, and POST /validate?as=... answers as the desk that receives the document.

Issue 8, defect 4: an RS node accepted an export declaration lodged at office XX015070 and issued an
MRN for it, while its own /validate refused the same file.
"""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

from lxml import etree

from seedsim.conformance import validate_document
from seedsim.core.network_keys import development_keys
from seedsim.core.response import Response
from seedsim.core.topics import Topics
from seedsim.core.transport import Record
from seedsim.message_catalogue import CATALOGUE
from seedsim.messages.seed import ACKNOWLEDGEMENT, EXPORT_DATA
from seedsim.nodes.customs.customs_node import Event
from seedsim.samples.crossings import DEMO_CROSSINGS
from tests.unit.node_api import XML, client

EXAMPLES = Path(__file__).resolve().parents[2] / "schemas" / "examples"
EXPORT = (EXAMPLES / "ExportData" / "valid" / "exportdata-1.xml").read_bytes()
IMPORT = (EXAMPLES / "ImportDeclaration" / "valid" / "importdeclaration-1.xml").read_bytes()
MRN = b"<ID>26RS23O1ARVVENJPA5</ID>"
T = Topics()
CROSS = DEMO_CROSSINGS[0]


def without_mrn(xml: bytes, lrn: str) -> bytes:
    """The example as a trader lodges it: no MRN (the node issues it), its own LRN."""
    return xml.replace(MRN, b"").replace(b"EX2606452822", lrn.encode())


def in_country_xx(xml: bytes) -> bytes:
    """The file of the issue: every RS office and country code made XX."""
    for old, new in [
        (b"RS015070", b"XX015070"),
        (b"<md:ResponsibleCountryCode>RS", b"<md:ResponsibleCountryCode>XX"),
        (b"<CountryCode>RS", b"<CountryCode>XX"),
        (b"<ID>RS</ID>", b"<ID>XX</ID>"),
        (b"<RegistrationNationalityCode>RS", b"<RegistrationNationalityCode>XX"),
    ]:
        xml = xml.replace(old, new)
    return xml


def error_rules(issues: list[dict]) -> set[str]:
    return {i["rule"] for i in issues if i["severity"] == "error"}


async def test_a_node_issues_no_mrn_for_a_declaration_lodged_at_another_countrys_office(corridor):
    _, nodes = corridor
    xx = in_country_xx(without_mrn(EXPORT, "EX-XX-1"))
    async with client(nodes["RS"]) as rs:
        r = await rs.post("/declarations", content=xx, headers=XML)
        assert r.status_code == 422, r.text
        body = r.json()
        assert body["accepted"] is False and "mrn" not in body
        r113 = [e for e in body["errors"] if e["rule"] == "R113"]
        assert {e["pointer"] for e in r113} == {
            "/MetaData/Declaration/DeclarationOfficeID",
            "/MetaData/Declaration/ExitOffice/ID",
        }
        assert all(e["value"] == "XX015070" and e["severity"] == "error" and e["class"] == "validation" for e in r113)
        assert "XX015070 is in XX, not in RS" in r113[0]["message"]
        assert "lodge this one with the customs of XX" in r113[0]["message"]
        # nothing was registered
        assert (await rs.get("/consignments/6RS292083280-C6452822")).status_code == 404


async def test_a_lodged_declaration_may_carry_only_an_mrn_its_node_issued(corridor):
    _, nodes = corridor
    foreign = EXPORT.replace(MRN, b"<ID>26XX23O1ARVVENJPA5</ID>").replace(b"EX2606452822", b"EX-MRN-1")
    async with client(nodes["RS"]) as rs:
        r = await rs.post("/declarations", content=foreign, headers=XML)
    assert r.status_code == 422
    [issue] = [e for e in r.json()["errors"] if e["rule"] == "R113"]
    assert issue["pointer"] == "/MetaData/Declaration/ID" and issue["value"] == "26XX23O1ARVVENJPA5"
    assert "leave ID out and node RS issues one" in issue["message"]


async def test_validate_as_lodging_gives_the_verdict_of_the_desk_that_receives_the_document(corridor):
    """Each document is asked about first, then lodged: the answers agree (status, accepted, error rules)."""
    _, nodes = corridor
    tir = CATALOGUE.by_name["TIRCarnet"]
    ack = CATALOGUE.by_name["Acknowledgement"]
    change = EXPORT.replace(b"<FunctionCode>9</FunctionCode>", b"<FunctionCode>13</FunctionCode>").replace(
        b"<TypeCode>EXA</TypeCode>", b"<TypeCode>COR</TypeCode>"
    )
    cases = [
        ("an RS export declaration", "/declarations", without_mrn(EXPORT, "EX-OK-1"), True),
        ("the same LRN again (W202)", "/declarations", without_mrn(EXPORT, "EX-OK-1"), False),
        ("the XX file of the issue", "/declarations", in_country_xx(without_mrn(EXPORT, "EX-XX-2")), False),
        ("a Montenegrin import declaration", "/declarations", IMPORT, False),
        ("a change of a declaration RS does not hold (W201)", "/declarations", change, False),
        ("an empty body (XML100)", "/declarations", b"", False),
        ("a TIR carnet", "/documents?consignment=C-1", tir.write(tir.generate(random.Random(5))), True),
        ("an acknowledgement (W203)", "/documents?consignment=C-1", ack.write(ack.generate(random.Random(1))), False),
    ]
    async with client(nodes["RS"]) as rs:
        for what, desk, doc, accepted in cases:
            asked = await rs.post("/validate", params={"as": "lodging"}, content=doc, headers=XML)
            lodged = await rs.post(desk, content=doc, headers=XML)
            assert lodged.json()["accepted"] is accepted, (what, lodged.text)
            assert asked.status_code == lodged.status_code, (what, asked.text, lodged.text)
            assert asked.json()["valid"] is accepted, (what, asked.text)
            assert error_rules(asked.json()["issues"]) == error_rules(lodged.json()["errors"]), what


async def test_the_xx_file_is_refused_by_every_desk_of_the_node(corridor):
    """The issue's complaint: /validate refused what /declarations accepted. Now no desk accepts it."""
    _, nodes = corridor
    xx = in_country_xx(without_mrn(EXPORT, "EX-XX-3"))
    async with client(nodes["RS"]) as rs:
        for desk in ("document", "lodging", "exchange"):
            r = await rs.post("/validate", params={"as": desk, "sender": "ME"}, content=xx, headers=XML)
            assert r.status_code == 422 and not r.json()["valid"], (desk, r.text)


async def test_validate_by_default_judges_the_document_as_seedsim_validate_does(corridor):
    _, nodes = corridor
    xx = in_country_xx(EXPORT)
    async with client(nodes["ME"]) as me:
        r = await me.post("/validate", content=xx, headers=XML)
        spec = (await me.get("/openapi.json")).json()
    assert r.json() == validate_document(xx, "request").to_dict()
    assert r.status_code == 422 and error_rules(r.json()["issues"]) == {"R101"}
    [as_param] = [p for p in spec["paths"]["/validate"]["post"]["parameters"] if p["name"] == "as"]
    assert as_param["schema"]["default"] == "document"
    assert set(spec["components"]["schemas"]["Desk"]["enum"]) == {"document", "lodging", "exchange"}


async def test_validate_as_exchange_answers_what_the_inbox_answers(corridor):
    """The full example is not reduced to the UB data set: the inbox refuses it with UB301, and so does /validate."""
    bus, nodes = corridor
    async with client(nodes["ME"]) as me:
        asked = await me.post("/validate", params={"as": "exchange", "sender": "RS"}, content=EXPORT, headers=XML)
        env = EXPORT_DATA.envelope("RS", "ME", subject="6RS292083280-C6452822", trigger="EXIT")
        headers = development_keys().signer("RS").sign(env.to_headers(), EXPORT)  # as RS sends it
        await bus.send_batch([Record(topic=T.inbox("ME"), value=EXPORT, headers=headers)])
        for _ in range(100):
            acks = [r for r in bus.log(T.inbox("RS")) if r.header("ce_type") == ACKNOWLEDGEMENT.ce_type]
            if acks:
                break
            await asyncio.sleep(0.01)
        nack = Response.from_root(etree.fromstring(acks[0].value))
        assert not nack.positive
        assert asked.status_code == 422
        assert error_rules(asked.json()["issues"]) == {e.validation_code for e in nack.errors} == {"UB301"}
        not_partner = await me.post("/validate", params={"as": "exchange", "sender": "AL"}, content=EXPORT, headers=XML)
        assert "F301" in error_rules(not_partner.json()["issues"])


async def test_what_a_node_sends_passes_its_neighbours_inbox_check(corridor):
    _, nodes = corridor
    async with client(nodes["RS"]) as rs, client(nodes["ME"]) as me:
        assert (await rs.post("/declarations", content=without_mrn(EXPORT, "EX-SENT-1"), headers=XML)).json()[
            "accepted"
        ]
        sent = await nodes["RS"].on_event(Event.EXIT, "6RS292083280-C6452822", CROSS.exit_office, CROSS.entry_office)
        payload = (await rs.get(f"/messages/{sent['message_id']}")).content
        r = await me.post("/validate", params={"as": "exchange", "sender": "RS", "event": "EXIT"}, content=payload)
    assert r.status_code == 200 and r.json()["valid"] and r.json()["type"] == "ExportData", r.text


async def test_an_agency_has_no_lodging_desk_to_ask(tmp_path):
    from seedsim.bootstrap import make_agency_node
    from seedsim.config import AgencyConfig
    from seedsim.core.transport.memory import InMemoryBus

    node = make_agency_node(AgencyConfig(node="RS-NPPO", db=tmp_path / "nppo.db"), InMemoryBus())
    await node.start()
    try:
        async with client(node) as http:
            r = await http.post("/validate", params={"as": "lodging"}, content=EXPORT, headers=XML)
    finally:
        await node.stop()
    assert r.status_code == 400
    [e] = r.json()["errors"]
    assert e["rule"] == "API101" and e["pointer"] == "?as" and "use as=exchange" in e["message"]
