"""The README's curl walk-through of a node, step by step, through the nodes' HTTP APIs on the in-process bus:
lodge the shipped example pair, fire the events, read the consignment by UCR and by MRN, fetch a message's XML."""

from __future__ import annotations

import asyncio
from pathlib import Path

from lxml import etree

from tests.unit.node_api import XML, client

EXAMPLES = Path(__file__).resolve().parents[2] / "schemas" / "examples"
EXPORT = (EXAMPLES / "ExportData" / "valid" / "exportdata-1.xml").read_bytes()
IMPORT = (EXAMPLES / "ImportDeclaration" / "valid" / "import-of-exportdata-1.xml").read_bytes()
UCR, MRN = "6RS292083280-C6452822", "26RS23O1ARVVENJPA5"


async def test_the_walkthrough(corridor):
    _, nodes = corridor
    async with client(nodes["RS"]) as rs, client(nodes["ME"]) as me:
        # 1. ask the lodging desk, then lodge the pair
        assert (await rs.post("/validate", params={"as": "lodging"}, content=EXPORT, headers=XML)).json()["valid"]
        lodged = (await rs.post("/declarations", content=EXPORT, headers=XML)).json()
        assert lodged["accepted"] and lodged["mrn"] == MRN and lodged["ucr"] == UCR
        assert (await me.post("/declarations", content=IMPORT, headers=XML)).json()["accepted"]
        # 2. the events
        offices = {"consignment": UCR, "office": "RS015070", "entry_office": "ME200012"}
        assert (await rs.post("/events", json={"event": "PRE_ARRIVAL", **offices})).json()["sent_to"] == "ME"
        assert (await rs.post("/events", json={"event": "EXIT", **offices})).json()["status"] == "exited"
        for _ in range(200):
            if (await me.get(f"/consignments/{UCR}")).json()["pre_arrival"]:
                break
            await asyncio.sleep(0.01)
        entered = (await me.post("/events", json={"event": "ENTRY", "consignment": UCR, "office": "ME200012"})).json()
        assert entered["status"] == "entered_matched" and entered["discrepancies"] == []
        # 3. the consignment, by UCR and by MRN, at both nodes
        for _ in range(200):
            view = (await rs.get(f"/consignments/{UCR}")).json()
            if view["status"] == "entry_confirmed":
                break
            await asyncio.sleep(0.01)
        assert view["status"] == "entry_confirmed"
        assert (await rs.get(f"/consignments/{MRN}")).json()["consignment"] == UCR
        assert (await me.get(f"/consignments/{MRN}")).json()["status"] == "entered_matched"
        # 4. a message's XML
        listed = (await rs.get("/messages", params={"consignment": UCR})).json()
        confirmation = next(m["message_id"] for m in listed if m["type"] == "EntryConfirmation")
        xml = await rs.get(f"/messages/{confirmation}")
        assert xml.headers["content-type"] == "application/xml"
        assert etree.fromstring(xml.content).findtext(".//{*}AdditionalInformation/{*}StatementCode") == "M10"
        # 5. mistakes, answered in the one error shape
        wrong = (await rs.post("/events", json={"event": "EXIT", "consignment": UCR, "office": "ME200012"})).json()
        assert wrong["errors"][0]["rule"] == "API104"
        elsewhere = (await rs.post("/validate", params={"as": "lodging"}, content=IMPORT, headers=XML)).json()
        assert [i["rule"] for i in elsewhere["issues"]] == ["R113"]
