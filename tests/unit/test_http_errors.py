"""Every error of every node's HTTP API has one shape, {"accepted": false, "errors": [...]}, each error with a rule id,
and /openapi.json documents it so (issue 8, defect 5)."""

from __future__ import annotations

import json

import httpx
import pytest

from seedsim.bootstrap import make_agency_node
from seedsim.config import AgencyConfig
from seedsim.nodes.http_errors import ErrorBody
from tests.unit.node_api import client

UCR = "6RS292083280-C6452822"
EXIT = {"event": "EXIT", "consignment": UCR, "office": "RS015070", "entry_office": "ME200012"}


@pytest.fixture
async def agency(corridor, tmp_path):
    bus, _ = corridor
    node = make_agency_node(AgencyConfig(node="RS-TAX", db=tmp_path / "tax.db", partners=["ME", "RS"]), bus)
    await node.start()
    yield node
    await node.stop()


def refused(r: httpx.Response, status: int, rule: str) -> dict:
    """The one error shape: accepted false, errors each with its rule id; no FastAPI 'detail', no traceback."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    ErrorBody.model_validate(body)
    assert body["accepted"] is False and "detail" not in body and "Traceback" not in r.text
    assert [e["rule"] for e in body["errors"]] == [rule], body
    return body["errors"][0]


async def test_requests_fastapi_cannot_read_answer_in_the_projects_shape(corridor):
    _, nodes = corridor
    async with client(nodes["RS"]) as rs:
        empty = refused(await rs.post("/events"), 400, "API101")
        assert empty["message"].startswith("the body is empty: send a JSON object with event (required)")
        bad_json = refused(
            await rs.post("/events", content=b'{"event": "EXIT",', headers={"content-type": "application/json"}),
            400,
            "API100",
        )
        assert bad_json["message"].startswith("the body is not valid JSON")
        unknown = refused(await rs.post("/events", json={**EXIT, "event": "EXITT"}), 400, "API101")
        assert unknown == {
            "rule": "API101",
            "code": 171,
            "class": "validation",
            "severity": "error",
            "message": "event must be one of PRE_ARRIVAL, EXIT or ENTRY",
            "pointer": "/event",
            "value": "EXITT",
        }
        missing = refused(await rs.post("/events", json={"event": "EXIT", "consignment": UCR}), 400, "API101")
        assert (missing["pointer"], missing["message"]) == ("/office", "the field office is required")
        xml_to_json = refused(
            await rs.post("/events", content=b"<a/>", headers={"content-type": "application/xml"}), 415, "API102"
        )
        assert "reads a JSON object" in xml_to_json["message"]
        no_ref = refused(await rs.post("/documents", content=b"<a/>"), 400, "API101")
        assert (no_ref["pointer"], no_ref["message"]) == ("?consignment", "the query parameter consignment is required")
        limit = refused(await rs.get("/messages", params={"limit": 0}), 400, "API101")
        assert limit["pointer"] == "?limit" and limit["value"] == "0"


async def test_xml_endpoints_refuse_json_and_name_an_empty_body_with_its_rule(corridor):
    _, nodes = corridor
    async with client(nodes["RS"]) as rs:
        for path in ("/declarations", "/documents?consignment=C-1", "/validate"):
            json_body = refused(await rs.post(path, json={"a": 1}), 415, "API102")
            assert "reads an XML document (Content-Type: application/xml), not application/json" in json_body["message"]
        empty = refused(await rs.post("/declarations", headers={"content-type": "application/xml"}), 422, "XML100")
        assert empty["message"] == "the payload is empty: send a WCO DM XML document"


async def test_unknown_things_routes_and_methods_and_conflicts(corridor):
    _, nodes = corridor
    async with client(nodes["RS"]) as rs:
        cons = refused(await rs.get("/consignments/NOPE-1"), 404, "API201")
        assert cons["message"] == "node RS knows no consignment or declaration NOPE-1: give its UCR or an MRN"
        refused(await rs.get("/messages/no-such-id"), 404, "API201")
        route = refused(await rs.get("/nowhere"), 404, "API103")
        assert "this node has no endpoint GET /nowhere: see /docs" in route["message"]
        refused(await rs.delete("/declarations"), 405, "API103")
        refused(await rs.get("/redoc"), 404, "API103")
        not_lodged = refused(await rs.post("/events", json=EXIT), 409, "API202")
        assert "lodge it first (POST /declarations)" in not_lodged["message"]
        itself = refused(await rs.post("/queries", json={"to": "RS", "consignment": UCR}), 422, "API301")
        assert "asks its neighbours, not itself" in itself["message"]
        stranger = refused(await rs.post("/queries", json={"to": "AL", "consignment": UCR}), 409, "API301")
        assert stranger["message"] == "AL is not a partner of node RS: it asks ME"
        nothing = refused(await rs.post("/queries", json={"to": "ME"}), 400, "API101")
        assert "name the consignment" in nothing["message"]


async def test_an_internal_failure_answers_in_the_same_shape(corridor, monkeypatch):
    _, nodes = corridor

    def broken(conn, ref):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(nodes["RS"].store, "consignment_view", broken)
    async with client(nodes["RS"], raise_app_exceptions=False) as rs:
        failed = refused(await rs.get(f"/consignments/{UCR}"), 500, "I403")
    assert failed["class"] == "internal" and "RuntimeError" in failed["message"]


async def test_agency_nodes_answer_errors_in_the_same_shape(agency):
    async with client(agency) as tax:
        issues_nothing = refused(await tax.post("/issue", json={"to": "ME"}), 409, "API202")
        assert issues_nothing["message"].startswith("a tax administration issues no documents")
        refused(await tax.get("/issued/NOTHING"), 404, "API201")
        refused(await tax.post("/issue", content=b"{", headers={"content-type": "application/json"}), 400, "API100")
        refused(await tax.get("/messages/nothing"), 404, "API201")
        refused(await tax.post("/validate", json={}), 415, "API102")


@pytest.mark.parametrize("kind", ["customs", "agency"])
async def test_openapi_documents_the_error_shape_and_not_fastapis(kind, corridor, agency):
    _, nodes = corridor
    async with client(nodes["RS"] if kind == "customs" else agency) as http:
        spec = (await http.get("/openapi.json")).json()
    text = json.dumps(spec)
    assert "HTTPValidationError" not in text and '"ValidationError"' not in text
    declared = 0
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            for status, response in op["responses"].items():
                if not status.startswith(("4", "5")):
                    continue
                declared += 1
                ref = response["content"]["application/json"]["schema"]["$ref"]
                expected = (
                    {"#/components/schemas/ValidationReportBody"}
                    if (path, status) == ("/validate", "422")
                    else {"#/components/schemas/ErrorBody", "#/components/schemas/DocumentRefusal"}
                )
                assert ref in expected, (method, path, status, ref)
    assert declared >= (12 if kind == "customs" else 6)
    error_body = spec["components"]["schemas"]["ErrorBody"]
    assert error_body["required"] == ["errors"] and error_body["properties"]["accepted"]["const"] is False
    issue = spec["components"]["schemas"]["IssueBody"]
    assert {"rule", "code", "class", "severity", "message"} <= set(issue["required"])


async def test_successful_answers_keep_their_shape(corridor):
    """The error handlers change nothing on the way out of a request that works."""
    _, nodes = corridor
    async with client(nodes["RS"]) as rs:
        health = (await rs.get("/health")).json()
        messages = await rs.get("/messages")
    assert health == {"status": "ok", "node": "RS", "transport": "InMemoryBus"}
    assert messages.status_code == 200 and messages.json() == []
