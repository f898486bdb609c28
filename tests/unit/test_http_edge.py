"""The HTTP edge of a node (issue 11): every field bounded by the format it carries, XML bodies that say they are
XML, bodies over max_xml_bytes refused before they are read, lone surrogates refused instead of a 500, documents
parsed off the event loop, and events and queries that a retrying client cannot make happen twice."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import httpx
import pytest

from seedsim.bootstrap import running_network
from seedsim.config import NodeConfig
from seedsim.core import xml_safety
from seedsim.core.transport.memory import InMemoryBus
from seedsim.samples.crossings import DEMO_CROSSINGS
from tests.unit.node_api import XML, client

EXAMPLES = Path(__file__).resolve().parents[2] / "schemas" / "examples"
EXPORT = (EXAMPLES / "ExportData" / "valid" / "exportdata-1.xml").read_bytes()
IMPORT = (EXAMPLES / "ImportDeclaration" / "valid" / "import-of-exportdata-1.xml").read_bytes()
UCR = "6RS292083280-C6452822"
EXIT = {"event": "EXIT", "consignment": UCR, "office": "RS015070", "entry_office": "ME200012"}
ENTRY = {"event": "ENTRY", "consignment": UCR, "office": "ME200012"}
JSON = {"content-type": "application/json"}


def refused(r: httpx.Response, status: int, rule: str) -> dict:
    """The one error shape: accepted false, errors each with its rule id; no FastAPI 'detail', no traceback."""
    assert r.status_code == status, r.text
    body = r.json()
    assert body["accepted"] is False and "detail" not in body and "Traceback" not in r.text
    assert [e["rule"] for e in body["errors"]] == [rule], body
    return body["errors"][0]


def big_export(size: int) -> bytes:
    """The example export declaration made ``size`` bytes long by a comment (still a valid declaration)."""
    head, rest = EXPORT.split(b"?>", 1) if EXPORT.startswith(b"<?xml") else (b"", EXPORT)
    head = head + b"?>" if head else b""
    filler = b"<!--" + b"x" * (size - len(EXPORT) - 7) + b"-->"
    return head + filler + rest


async def test_each_field_is_bounded_by_the_format_it_carries(corridor):
    _, nodes = corridor
    async with client(nodes["RS"]) as rs:
        # the hostile test's 1.1 MB office: refused at the door, nothing stored, nothing sent
        huge = refused(await rs.post("/events", json={**EXIT, "office": "RS" + "0" * 1_100_000}), 400, "API101")
        assert huge["pointer"] == "/office"
        assert huge["message"] == (
            "office is 1100002 characters long: a customs office reference number "
            "(ISO 3166 country code and 6 characters) has at most 8"
        )
        assert len(huge["value"]) < 200
        long_ucr = refused(await rs.post("/events", json={**EXIT, "consignment": "U" * 36}), 400, "API101")
        assert long_ucr["message"] == (
            "consignment is 36 characters long: a UCR (WCO UCR Recommendation, ISO 15459) has at most 35"
        )
        entry_office = refused(await rs.post("/events", json={**EXIT, "entry_office": "ME2000120"}), 400, "API101")
        assert entry_office["pointer"] == "/entry_office"
        mrn = refused(await rs.post("/queries", json={"to": "ME", "mrn": "2" * 19}), 400, "API101")
        assert mrn["message"].startswith("mrn is 19 characters long: an MRN (UCC Delegated Regulation Annex B)")
        to = refused(await rs.post("/queries", json={"to": "MEX", "consignment": UCR}), 400, "API101")
        assert "ISO 3166-1 alpha-2 country code has at most 2" in to["message"]
        reason = refused(
            await rs.post("/queries", json={"to": "ME", "consignment": UCR, "reason": "r" * 513}), 400, "API101"
        )
        assert reason["message"] == "reason is 513 characters long: a free text has at most 512"
        doc = refused(
            await rs.post("/documents", params={"consignment": "C" * 36}, content=EXPORT, headers=XML), 400, "API101"
        )
        assert doc["pointer"] == "?consignment"
        ref = refused(await rs.get(f"/consignments/{'R' * 36}"), 400, "API101")
        assert ref["pointer"] == "{ref}"
        refused(await rs.get(f"/messages/{'m' * 129}"), 400, "API101")
        refused(await rs.get("/messages", params={"consignment": "C" * 36}), 400, "API101")
        refused(
            await rs.post("/validate", params={"as": "exchange", "sender": "S" * 17}, content=EXPORT), 400, "API101"
        )
        # the bounds are the formats' lengths: a reference as long as its format is read (and spaces around it dropped)
        ok = await rs.post("/events", json={**EXIT, "office": " rs015070 ", "consignment": "U" * 35})
        assert refused(ok, 409, "API202")["value"] == "U" * 35
        assert (await rs.get("/messages")).json() == []


async def test_lone_surrogates_and_control_characters_are_refused_with_a_reason(corridor):
    _, nodes = corridor
    async with client(nodes["RS"]) as rs:
        for path, raw in (
            ("/events", b'{"event": "EXIT", "consignment": "\\ud800", "office": "RS015070"}'),
            ("/queries", b'{"to": "ME", "consignment": "\\ud800"}'),
        ):
            r = await rs.post(path, content=raw, headers=JSON)
            error = refused(r, 400, "API101")
            assert error["pointer"] == "/consignment"
            assert "holds the character U+D800, which is not printable text" in error["message"]
        control = refused(await rs.post("/events", json={**EXIT, "office": "RS01\x0070"}), 400, "API101")
        assert "U+0000" in control["message"]
        in_reason = refused(
            await rs.post("/queries", json={"to": "ME", "consignment": UCR, "reason": "a\x07"}), 400, "API101"
        )
        assert "U+0007" in in_reason["message"]
        # a lone surrogate where the node quotes it back (an unknown event) is quoted as U+FFFD, not a 500
        event = await rs.post(
            "/events", content=b'{"event": "\\udfff", "consignment": "C-1", "office": "RS015070"}', headers=JSON
        )
        assert refused(event, 400, "API101")["value"] == "\ufffd"
        # free text keeps its line breaks
        asked = await rs.post("/queries", json={"to": "ME", "consignment": UCR, "reason": "line 1\nline 2"})
        assert asked.status_code == 200, asked.text


@pytest.mark.parametrize("limit", ["-1", "0", "10001", str(-(10**30)), str(10**30), "1e3", "many", ""])
async def test_the_messages_limit_is_1_to_10000(corridor, limit):
    _, nodes = corridor
    async with client(nodes["RS"]) as rs:
        error = refused(await rs.get("/messages", params={"limit": limit}), 400, "API101")
        assert error["pointer"] == "?limit"
        assert (await rs.get("/messages", params={"limit": "10000"})).status_code == 200


@pytest.mark.parametrize("path", ["/declarations", "/documents?consignment=C-1", "/validate", "/validate?as=lodging"])
async def test_an_xml_body_must_say_it_is_xml(corridor, path):
    _, nodes = corridor
    async with client(nodes["RS"]) as rs:
        for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
            error = refused(await rs.post(path, content=EXPORT, headers={"content-type": content_type}), 415, "API102")
            assert error["message"].startswith(
                f"POST {path.split('?')[0]} reads an XML document (Content-Type: application/xml), not {content_type.split(';')[0]}"
            )
            assert error["value"] == content_type
        for content_type in ("text/xml", "application/xml; charset=utf-8", "application/vnd.wco.dec+xml"):
            r = await rs.post(path, content=EXPORT, headers={"content-type": content_type})
            assert r.status_code in (200, 422), r.text
    declarations = await nodes["RS"].store.read(lambda c: c.execute("SELECT COUNT(*) FROM declarations").fetchone()[0])
    assert declarations == (1 if path == "/declarations" else 0), "XML sent as text or form data is not lodged"


async def test_a_body_over_max_xml_bytes_is_refused_before_it_is_read(corridor):
    _, nodes = corridor
    limit = nodes["RS"].limits.max_bytes
    chunk = 64 * 1024
    sent = []

    async def chunks(n: int):
        for _ in range(n):
            sent.append(chunk)
            yield b" " * chunk

    total = limit // chunk + 16
    async with client(nodes["RS"]) as rs:
        declared = await rs.post(
            "/declarations", content=chunks(total), headers={**XML, "content-length": str(total * chunk)}
        )
        error = refused(declared, 413, "XML104")
        assert error["message"] == (
            f"the document is {total * chunk} bytes, over the limit of {limit}: split it or raise the node's max_xml_bytes"
        )
        assert len(sent) <= 1, "a Content-Length over the limit is answered without reading the body"
        sent.clear()
        streamed = refused(
            await rs.post("/documents?consignment=C-1", content=chunks(total), headers=XML), 413, "XML104"
        )
        assert streamed["message"].startswith(f"the document is over {limit} bytes, over the limit of {limit}")
        assert len(sent) <= limit // chunk + 2 < total, (
            "a body without Content-Length is refused once it passes the limit"
        )
        as_json = refused(await rs.post("/events", content=b" " * (limit + 1), headers=JSON), 413, "API101")
        assert (
            as_json["message"]
            == f"the body is {limit + 1} bytes, over the node's limit of {limit} bytes: a request to this node is smaller"
        )
        assert (await rs.post("/declarations", content=big_export(limit), headers=XML)).json()["accepted"]


@pytest.mark.parametrize(
    "path",
    ["/declarations", "/documents?consignment=C-1", "/validate", "/validate?as=lodging", "/validate?as=exchange"],
)
async def test_health_answers_while_a_large_document_is_parsed(corridor, monkeypatch, path):
    """The parse of the large document waits until /health has answered: parsed on the event loop, /health could not
    answer until it was done (and the lodging would answer first); parsed off the loop, /health answers first."""
    _, nodes = corridor
    big = big_export(3_600_000)
    parsing, health_answered = threading.Event(), threading.Event()
    released_by_health: list[bool] = []

    lxml_etree = xml_safety.etree

    class GatedEtree:
        """lxml's etree, whose parse of the large document waits (up to 10 s) until /health has answered."""

        def __getattr__(self, name):
            return getattr(lxml_etree, name)

        @staticmethod
        def fromstring(data, *args, **kwargs):
            if len(data) == len(big) and not health_answered.is_set():
                parsing.set()
                released_by_health.append(health_answered.wait(timeout=10))
            return lxml_etree.fromstring(data, *args, **kwargs)

    monkeypatch.setattr(xml_safety, "etree", GatedEtree())
    order: list[str] = []
    async with client(nodes["RS"]) as rs:

        async def lodge() -> httpx.Response:
            r = await rs.post(path, content=big, headers=XML)
            order.append("lodging")
            return r

        lodging = asyncio.create_task(lodge())
        while not parsing.is_set() and not lodging.done():
            await asyncio.sleep(0.01)
        health = await rs.get("/health")
        order.append("health")
        health_answered.set()
        answered = await asyncio.wait_for(lodging, 60)
    assert health.json()["status"] == "ok"
    assert released_by_health == [True], "/health answered while the document was being parsed"
    assert order == ["health", "lodging"]
    assert answered.status_code in (200, 422) and "Traceback" not in answered.text


async def settled(node, query, expected, rounds=300):
    for _ in range(rounds):
        got = await node.store.read(lambda conn: conn.execute(query).fetchone()[0])
        if got == expected:
            return got
        await asyncio.sleep(0.01)
    return got


def count(table: str, where: str = "1") -> str:
    return f"SELECT COUNT(*) FROM {table} WHERE {where}"


async def test_a_retried_event_changes_nothing_and_answers_what_the_first_did(corridor):
    _, nodes = corridor
    async with client(nodes["RS"]) as rs, client(nodes["ME"]) as me:
        assert (await me.post("/declarations", content=IMPORT, headers=XML)).json()["accepted"]
        # the hostile test: ENTRY retried with no pre-arrival data raised the alert twice
        first = (await me.post("/events", json=ENTRY)).json()
        again = await me.post("/events", json=ENTRY)
        assert again.status_code == 200 and again.json() == {**first, "repeat": True}
        assert "repeat" not in first and first["status"] == "entered_unannounced"
        assert (await me.get(f"/consignments/{UCR}")).json()["alerts"].__len__() == 1
        # the exit side: an EXIT retried sends the exit data once
        assert (await rs.post("/declarations", content=EXPORT, headers=XML)).json()["accepted"]
        sent = (await rs.post("/events", json=EXIT)).json()
        assert (await rs.post("/events", json={**EXIT, "office": "rs015070"})).json() == {**sent, "repeat": True}
        assert await settled(nodes["ME"], count("prearrival"), 1) == 1
        # the exit data arrived since: ENTRY now acts (matching, one confirmation), and a retry of it does not
        matched = (await me.post("/events", json=ENTRY)).json()
        assert "repeat" not in matched and matched["status"] == "entered_matched"
        assert (await me.post("/events", json=ENTRY)).json() == {**matched, "repeat": True}
        confirmations = count("messages", "type = 'EntryConfirmation' AND direction = 'out'")
        assert await settled(nodes["ME"], confirmations, 1) == 1
        await asyncio.sleep(0.05)
        assert await nodes["ME"].store.read(lambda c: c.execute(confirmations).fetchone()[0]) == 1
    exported = await nodes["RS"].store.read(lambda c: c.execute(count("messages", "type = 'ExportData'")).fetchone()[0])
    assert exported == 1


@pytest.fixture
async def rs_alone(tmp_path):
    """Node RS with its partner ME not running: what RS asks ME stays unanswered."""
    config = NodeConfig(node="RS", db=tmp_path / "RS.sqlite3", partners=["ME"], crossings=DEMO_CROSSINGS)
    async with running_network([config], InMemoryBus()) as network:
        yield network.customs["RS"]


async def test_a_retried_query_is_sent_once_until_it_is_answered(rs_alone):
    node = rs_alone
    queries = count("messages", "type = 'ConsignmentQuery'")
    async with client(node) as rs:
        ask = {"to": "ME", "consignment": UCR, "reason": "audit"}
        first = (await rs.post("/queries", json=ask)).json()
        assert (await rs.post("/queries", json={**ask, "to": "me"})).json() == {**first, "repeat": True}
        assert await node.store.read(lambda c: c.execute(queries).fetchone()[0]) == 1
        # another question is another query
        other = (await rs.post("/queries", json={**ask, "reason": "risk"})).json()
        assert "repeat" not in other and other["query_id"] != first["query_id"]
        # once ME's answer has arrived, asking again asks again (ME may hold more by now)
        await node.run(
            lambda tx: node.store.save_answer(
                tx, first["query_id"], "ME", UCR, False, None, "{}", "2026-01-01T00:00:00Z"
            )
        )
        again = (await rs.post("/queries", json=ask)).json()
        assert "repeat" not in again and again["query_id"] != first["query_id"]
        assert await node.store.read(lambda c: c.execute(queries).fetchone()[0]) == 3
