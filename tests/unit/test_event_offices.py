"""POST /events says what is wrong with an event's offices in the user's terms (issue 8, defect 8).

At RS, an EXIT at the Montenegrin office ME200012 used to answer "RS is not a partner of node RS".
"""

from __future__ import annotations

import httpx

from seedsim.core.wco import MetaData
from seedsim.samples.consignments import ConsignmentGenerator
from seedsim.samples.crossings import DEMO_CROSSINGS
from tests.unit.node_api import client

CROSS = DEMO_CROSSINGS[0]


def refusal(r: httpx.Response, status: int = 422) -> dict:
    assert r.status_code == status, r.text
    [error] = r.json()["errors"]
    assert r.json()["accepted"] is False and error["rule"] == "API104" and "Traceback" not in r.text
    return error


async def test_an_exit_at_a_neighbours_office_is_refused_in_the_users_terms(corridor):
    _, nodes = corridor
    async with client(nodes["RS"]) as rs:
        r = await rs.post("/events", json={"event": "EXIT", "consignment": "C-1", "office": "ME200012"})
    error = refusal(r)
    assert error["message"] == (
        "office ME200012 is not in RS: an EXIT at node RS happens at an office in RS; give the office of exit in RS "
        "as office, e.g. RS015070, and the neighbour's office of entry as entry_office"
    )
    assert (error["pointer"], error["value"]) == ("/office", "ME200012")
    assert "partner" not in error["message"]


async def test_each_wrong_office_is_named(corridor):
    _, nodes = corridor
    cases = [
        (
            "RS",
            {"event": "PRE_ARRIVAL", "office": "RS15"},
            "/office",
            "office 'RS15' is not a customs office reference number (country code and 6 characters, e.g. RS015070)",
        ),
        (
            "RS",
            {"event": "EXIT", "office": "RS015070", "entry_office": "RS016020"},
            "/entry_office",
            "entry_office RS016020 is in RS, this node's own country: the office of entry is the neighbour's, "
            "where the goods arrive (ME)",
        ),
        (
            "RS",
            {"event": "EXIT", "office": "RS015070", "entry_office": "AL090012"},
            "/entry_office",
            "entry_office AL090012 is in AL, which is not a partner of node RS (partners: ME): "
            "give an office of entry in a partner's country",
        ),
        (
            "ME",
            {"event": "ENTRY", "office": "RS015070"},
            "/office",
            "office RS015070 is not in ME: an ENTRY at node ME happens at the office of entry in ME, e.g. ME200012; "
            "the office of exit is in the exit data the neighbour sent",
        ),
    ]
    for node, event, pointer, message in cases:
        async with client(nodes[node]) as http:
            error = refusal(await http.post("/events", json={"consignment": "C-1", **event}))
        assert (error["pointer"], error["message"]) == (pointer, message), event


async def test_an_exit_at_an_office_without_a_known_crossing_asks_for_the_office_of_entry(corridor):
    _, nodes = corridor
    c = ConsignmentGenerator(31, CROSS).make(1)
    assert (
        await nodes["RS"].lodge(c.export.to_xml(MetaData(wco_type_name="DEC", responsible_country_code="RS")))
    ).accepted
    async with client(nodes["RS"]) as rs:
        error = refusal(await rs.post("/events", json={"event": "EXIT", "consignment": c.ucr, "office": "RS016020"}))
        assert error["pointer"] == "/entry_office"
        assert error["message"].startswith(
            "no office of entry known for the office of exit RS016020: give entry_office"
        )
        # the same event with the office written in lower case and the office of entry given goes out
        ok = await rs.post(
            "/events",
            json={"event": "EXIT", "consignment": c.ucr, "office": " rs016020", "entry_office": "me200012"},
        )
    assert ok.status_code == 200, ok.text
    assert (ok.json()["sent_to"], ok.json()["entry_office"]) == ("ME", "ME200012")
