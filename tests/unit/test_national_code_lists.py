"""A national profile's codes beyond an international list are a node's setting, not code.

A node is given national code list files (``code_lists`` / ``seedsim node --code-list``), each extending one
shipped list; that node accepts their codes, its neighbours do not.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from seedsim.bootstrap import running_network
from seedsim.config import NodeConfig
from seedsim.core import codes
from seedsim.core.transport.memory import InMemoryBus
from seedsim.samples.crossings import DEMO_CROSSINGS
from tests.unit.node_api import XML, client
from tests.unit.seedsim_cli import seedsim

EXAMPLES = Path(__file__).resolve().parents[2] / "schemas" / "examples"
EXPORT = (EXAMPLES / "ExportData" / "valid" / "exportdata-1.xml").read_bytes()
ROAD_VEHICLE = b"<IdentificationTypeCode>30</IdentificationTypeCode>"
#: the export example with a means-of-transport identification type no international list has
NATIONAL_TYPE = EXPORT.replace(ROAD_VEHICLE, b"<IdentificationTypeCode>39</IdentificationTypeCode>")


def national_list(folder: Path) -> Path:
    path = folder / "me-transport-means-id-types.csv"
    path.write_text(
        f"# extends: {codes.TRANSPORT_MEANS_ID_LIST}\n"
        "# source: a national customs tariff's code list (the test's own)\n"
        "code,name\n"
        "39,Registration number of a national inland barge\n"
    )
    return path


@pytest.fixture
async def three_nodes(tmp_path):
    """RS sends to ME, which has the national list, and to MK, which has not."""
    configs = [
        NodeConfig(node="RS", db=tmp_path / "rs.sqlite3", partners=["ME", "MK"], crossings=DEMO_CROSSINGS),
        NodeConfig(
            node="ME",
            db=tmp_path / "me.sqlite3",
            partners=["RS"],
            crossings=DEMO_CROSSINGS,
            code_lists=[national_list(tmp_path)],
        ),
        NodeConfig(node="MK", db=tmp_path / "mk.sqlite3", partners=["RS"], crossings=DEMO_CROSSINGS),
    ]
    async with running_network(configs, InMemoryBus()) as network:
        yield network.customs


def r106(issues: list[dict]) -> list[dict]:
    return [i for i in issues if i["rule"] == "R106"]


async def test_the_node_with_the_national_list_accepts_its_code_and_the_other_refuses_it(three_nodes):
    assert NATIONAL_TYPE != EXPORT
    async with client(three_nodes["ME"]) as me, client(three_nodes["MK"]) as mk:
        params = {"as": "exchange", "sender": "RS"}
        at_me = (await me.post("/validate", params=params, content=NATIONAL_TYPE, headers=XML)).json()
        at_mk = (await mk.post("/validate", params=params, content=NATIONAL_TYPE, headers=XML)).json()
    assert r106(at_me["issues"]) == []
    [refused] = r106(at_mk["issues"])
    assert refused["severity"] == "error" and refused["value"] == "39"
    assert refused["pointer"] == "/MetaData/Declaration/BorderTransportMeans/IdentificationTypeCode"


async def test_without_the_national_code_both_nodes_agree(three_nodes):
    async with client(three_nodes["ME"]) as me, client(three_nodes["MK"]) as mk:
        params = {"as": "exchange", "sender": "RS"}
        for node in (me, mk):
            assert (
                r106((await node.post("/validate", params=params, content=EXPORT, headers=XML)).json()["issues"]) == []
            )


def test_a_node_setting_with_a_list_that_extends_nothing_is_refused_in_one_line(tmp_path):
    bad = tmp_path / "national.csv"
    bad.write_text("# extends: procedure-codes\n# source: a national tariff\ncode,name\n80,Transit\n")
    r = seedsim("node", "--country", "ME", "--code-list", str(bad))
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "Traceback" not in r.stdout + r.stderr
    assert "'# extends: procedure-codes' names no shipped list" in r.stderr
    assert codes.TRANSPORT_MEANS_ID_LIST in r.stderr


def test_a_missing_national_list_file_is_refused_in_one_line(tmp_path):
    r = seedsim("agency", "--id", "RS-NPPO", "--code-list", str(tmp_path / "nowhere.csv"))
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "Traceback" not in r.stdout + r.stderr
    assert "no code list file" in r.stderr and "nowhere.csv" in r.stderr
