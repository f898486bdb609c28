"""Conformance with a real national WCO DM profile (HMRC CDS, DEC-DMS:2, WCO DM 3.6).

A node configured as GB validates lodged declarations against the national
schema (``xsd/customs/wrapper_submit.xsd``), and must read every original
declaration's key data the way an independent XPath reading of the file does.
"""

from __future__ import annotations

from datetime import UTC
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from lxml import etree

from seedsim.bootstrap import running_network
from seedsim.config import NodeConfig
from seedsim.core.transport.memory import InMemoryBus
from seedsim.core.wco import MetaData
from seedsim.nodes.customs.customs_api import create_app
from seedsim.samples.consignments import ConsignmentGenerator
from seedsim.samples.crossings import DEMO_CROSSINGS

NS = {"md": "urn:wco:datamodel:WCO:DocumentMetaData-DMS:2", "d": "urn:wco:datamodel:WCO:DEC-DMS:2"}

pytestmark = pytest.mark.external


def samples(external: Path, pattern: str) -> list[Path]:
    folder = external / "hmrc-cds" / "samples" / "declarations"
    return sorted(p for p in folder.iterdir() if p.name.startswith(pattern))


@pytest.fixture
async def gb_node(external, tmp_path):
    cfg = NodeConfig(
        node="GB",
        db=tmp_path / "gb.sqlite3",
        national_schema=str(external / "hmrc-cds" / "xsd" / "customs" / "wrapper_submit.xsd"),
    )
    async with running_network([cfg], InMemoryBus()) as network:
        app = create_app(network.customs["GB"], manage_lifecycle=False)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gb") as client:
            yield client


def lodge(client, path: Path):
    return client.post("/declarations", content=path.read_bytes(), headers={"content-type": "application/xml"})


def xpath_key_data(path: Path) -> dict:
    """Key data read straight from the file with XPath, independently of seedsim's model."""
    t = etree.parse(str(path))
    d = t.find("d:Declaration", NS)

    def first(*paths):
        for p in paths:
            v = d.xpath(p, namespaces=NS)
            if v:
                return v[0].strip()
        return None

    items = d.xpath("d:GoodsShipment/d:GovernmentAgencyGoodsItem", namespaces=NS)
    item_mass = [
        Decimal(x)
        for x in d.xpath(
            "d:GoodsShipment/d:GovernmentAgencyGoodsItem/d:Commodity/d:GoodsMeasure/d:GrossMassMeasure/text()",
            namespaces=NS,
        )
    ]
    total = first("d:TotalGrossMassMeasure/text()")

    def party(*where):
        # a party is compared by its identifier, else by its name (case-folded)
        for w in where:
            if d.find(w, NS) is not None:
                return first(f"{w}/d:ID/text()") or (first(f"{w}/d:Name/text()") or "").upper() or None
        return None

    return {
        "consignor": party("d:GoodsShipment/d:Consignor", "d:Exporter"),
        "consignee": party("d:GoodsShipment/d:Consignee", "d:GoodsShipment/d:Importer"),
        "goods_items": len(items),
        "commodity_codes": [
            c.strip()
            for c in d.xpath(
                "d:GoodsShipment/d:GovernmentAgencyGoodsItem/d:Commodity/d:Classification[d:IdentificationTypeCode='TSP' or d:IdentificationTypeCode='HS'][1]/d:ID/text()",
                namespaces=NS,
            )
        ],
        "gross_mass_kg": Decimal(total) if total else (sum(item_mass, Decimal(0)) if item_mass else None),
        "invoice": first("d:InvoiceAmount/text()"),
        "exit_office": first("d:ExitOffice/d:ID/text()"),
        "declaration_office": first("d:DeclarationOfficeID/text()"),
        "lrn": first("d:FunctionalReferenceID/text()"),
    }


def test_there_are_27_original_declarations(external):
    assert len(samples(external, "FC9_")) == 27


async def test_gb_node_accepts_every_original_declaration_and_reads_its_key_data(external, gb_node):
    for path in samples(external, "FC9_"):
        r = await lodge(gb_node, path)
        assert r.status_code == 200, f"{path.name}: {r.text}"
        body = r.json()
        got, want = body["key_data"], xpath_key_data(path)
        assert body["accepted"] and body["lrn"] == want["lrn"], path.name
        assert body["mrn"][2:4] == "GB" and len(body["mrn"]) == 18
        assert got["consignor"] == want["consignor"], path.name
        assert got["consignee"] == want["consignee"], path.name
        assert got["goods_items"] == want["goods_items"], path.name
        assert got["commodity_codes"] == want["commodity_codes"], path.name
        assert (Decimal(got["gross_mass_kg"]) if got["gross_mass_kg"] else None) == want["gross_mass_kg"], path.name
        if want["invoice"]:
            assert Decimal(got["value"]["amount"]) == Decimal(want["invoice"]), path.name
        assert got["offices"].get("exit") == want["exit_office"], path.name
        assert got["offices"].get("declaration") == want["declaration_office"], path.name


async def test_changes_apply_to_held_declarations_and_are_refused_otherwise(external, gb_node):
    for path in samples(external, "FC9_"):
        assert (await lodge(gb_node, path)).status_code == 200
    outcomes = {}
    for path in samples(external, "FC13_"):
        r = await lodge(gb_node, path)
        outcomes[path.name] = (r.status_code, r.json())
    # The IM011a cancellation refers (by LRN) to the IMK original lodged above: applied.
    applied = outcomes["FC13_INV__TT_IM011a__TT_IM011a_Cancellation.xml"]
    assert applied[0] == 200 and applied[1]["status"] == "cancelled"
    # Every other change refers to a declaration this node never held: a workflow error naming it.
    for name, (status, body) in outcomes.items():
        if name.startswith("FC13_INV__TT_IM011a"):
            continue
        assert status == 422, name
        (err,) = [e for e in body["errors"] if e["rule"] == "W201"]
        assert (
            err["class"] == "workflow"
            and err["value"] in Path(external / "hmrc-cds/samples/declarations" / name).read_text()
        )


async def test_an_amendment_adds_a_goods_item_to_the_declaration_it_refers_to(external, gb_node):
    original = external / "hmrc-cds/samples/declarations/FC9_IMA__TT_Add_Item_Scenario_v1__Step1_Declaration.xml"
    amendment = external / "hmrc-cds/samples/declarations/FC13_COR__TT_Add_Item_Scenario_v1__Step2_Amendment.xml"
    r = await lodge(gb_node, original)
    mrn = r.json()["mrn"]
    assert r.json()["key_data"]["goods_items"] == 2
    # the sample refers to the MRN the national system gave; point it at the one this node gave
    text = amendment.read_bytes().replace(b"<ID>23GB6W3GLSX9Z5JAR4</ID>", f"<ID>{mrn}</ID>".encode())
    r = await gb_node.post("/declarations", content=text, headers={"content-type": "application/xml"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "amended" and body["mrn"] == mrn
    assert body["key_data"]["goods_items"] == 3 and "85102000" in body["key_data"]["commodity_codes"]


async def test_the_negative_sample_is_rejected_with_a_clear_error(external, gb_node):
    (path,) = samples(external, "NEGATIVE__")
    r = await lodge(gb_node, path)
    assert r.status_code == 422
    errors = r.json()["errors"]
    assert any(
        e["rule"] == "XSD100" and "unknown" in e["message"] and e["pointer"].endswith("/Declaration/unknown")
        for e in errors
    )


def test_generated_declarations_validate_against_the_national_profile(external):
    schema = etree.XMLSchema(etree.parse(str(external / "hmrc-cds/xsd/customs/wrapper_submit.xsd")))
    gen = ConsignmentGenerator(2024, DEMO_CROSSINGS[0])
    for i in range(1, 101):
        c = gen.make(i, "undervaluation" if i % 10 == 0 else None)
        for d, cc in ((c.export, "RS"), (c.import_, "ME")):
            doc = etree.fromstring(d.to_xml(MetaData(wco_type_name="DEC", responsible_country_code=cc)))
            assert schema.validate(doc), schema.error_log


def test_acknowledgements_validate_against_the_notification_profile(external):
    from datetime import datetime

    from seedsim.core.response import acknowledgement
    from seedsim.core.validation import Issue

    schema = etree.XMLSchema(etree.parse(str(external / "hmrc-cds/local-wrappers/wrapper_notification.xsd")))
    for issues in (
        [],
        [Issue("R101", 110, "not an ISO 3166 code", "/MetaData/Declaration/Exporter/Address/CountryCode", "QQ")],
    ):
        ack = acknowledgement("0" * 32, issues, datetime.now(UTC), mrn="26RS00000000001ZA5")
        assert schema.validate(
            etree.fromstring(ack.to_xml(MetaData(wco_type_name="RES", responsible_country_code="ME")))
        ), schema.error_log
