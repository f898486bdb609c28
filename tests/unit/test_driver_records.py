"""Nodes write what drove them to the driver topic, whoever drove them, so any recorded run can be re-driven.

Two ways a tester gets a trace whose re-drive reproduces the run:

* a person (or a national system) drives the nodes through their HTTP API --
  lodging, events, a query -- while the bus is recorded;
* a shipped scenario with faults the runner injects (malformed and unknown-sender
  messages in a node's name, re-sent duplicates), Utility Block steps the
  player hands to the nodes, or a certificate an agency node issues, recorded
  with ``seedsim run --record``.

Either trace, replayed into fresh nodes with ``seedsim trace replay --fresh``,
gives the golden outcome by ``seedsim trace diff``. Every expectation is read
from the golden trace as plain JSON lines, not from seedsim's reader.
"""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
from pathlib import Path

import pytest

from seedsim.bootstrap import running_network
from seedsim.config import NodeConfig
from seedsim.core.transport.memory import InMemoryBus
from seedsim.runners.traces import recording
from seedsim.samples.crossings import DEMO_CROSSINGS
from tests.unit.node_api import XML, client
from tests.unit.seedsim_cli import REPO, assert_no_traceback, clean_env
from tests.unit.test_trace_replay_cli import command

EXAMPLES = REPO / "schemas" / "examples"
EXPORT = (EXAMPLES / "ExportData" / "valid" / "exportdata-1.xml").read_bytes()
IMPORT = (EXAMPLES / "ImportDeclaration" / "valid" / "import-of-exportdata-1.xml").read_bytes()
UCR = "6RS292083280-C6452822"


def seedsim(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        command(*args), capture_output=True, text=True, timeout=240, env=clean_env(), cwd=cwd, stdin=subprocess.DEVNULL
    )
    assert_no_traceback(done.stdout, done.stderr)
    return done


def entries(trace: Path) -> list[dict]:
    """A trace's records as plain JSON objects (the header line left out)."""
    return [json.loads(line) for line in trace.read_text().splitlines()[1:]]


def driver(entry: dict) -> dict | None:
    return json.loads(entry["payload"]) if entry["topic"].endswith(".driver") else None


def header(entry: dict, name: str) -> str | None:
    pairs = entry.get("headers") or []
    return next((pairs[i + 1] for i in range(0, len(pairs), 2) if pairs[i] == name), None)


def redrive_and_diff(golden: Path, nodes: str) -> None:
    where = golden.parent
    replayed = seedsim("trace", "replay", str(golden), "--to", nodes, "--fresh", "--record", "actual.jsonl", cwd=where)
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    assert "problem" not in replayed.stdout, replayed.stdout
    diff = seedsim("trace", "diff", str(golden), str(where / "actual.jsonl"), cwd=where)
    assert diff.returncode == 0, diff.stdout
    assert "EQUAL" in diff.stdout
    drove = [d for d in map(driver, entries(golden)) if d is not None]
    assert [d for d in map(driver, entries(where / "actual.jsonl")) if d is not None] == drove


async def drive_over_http(trace: Path, db: Path) -> None:
    """The README's curl walk-through through the nodes' HTTP APIs, on a bus recorded into ``trace``."""
    configs = [
        NodeConfig(node=c, db=db / f"{c}.sqlite3", partners=[p], crossings=DEMO_CROSSINGS)
        for c, p in (("RS", "ME"), ("ME", "RS"))
    ]
    async with running_network(configs, recording(InMemoryBus(), trace, None)) as network:
        async with client(network.customs["RS"]) as rs, client(network.customs["ME"]) as me:
            assert (await rs.post("/declarations", content=EXPORT, headers=XML)).json()["accepted"]
            assert (await me.post("/declarations", content=IMPORT, headers=XML)).json()["accepted"]
            offices = {"consignment": UCR, "office": "RS015070", "entry_office": "ME200012"}
            wrong = await rs.post("/events", json={**offices, "event": "EXIT", "office": "ME200012"})
            assert wrong.json()["errors"][0]["rule"] == "API104"  # refused: nothing done, nothing written
            assert (await rs.post("/events", json={"event": "PRE_ARRIVAL", **offices})).status_code == 200
            assert (await rs.post("/events", json={"event": "EXIT", **offices})).status_code == 200
            for _ in range(500):
                if (await me.get(f"/consignments/{UCR}")).json()["pre_arrival"]:
                    break
                await asyncio.sleep(0.01)
            entry = {"event": "ENTRY", "consignment": UCR, "office": "ME200012"}
            assert (await me.post("/events", json=entry)).json()["status"] == "entered_matched"
            assert (await me.post("/queries", json={"to": "RS", "consignment": UCR})).status_code == 200
            for _ in range(500):
                view = (await rs.get(f"/consignments/{UCR}")).json()
                answered = (await me.get("/messages", params={"consignment": UCR})).json()
                if view["status"] == "entry_confirmed" and any(
                    m["type"] == "ConsignmentQueryResponse" for m in answered
                ):
                    break
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.2)  # the last acknowledgements


def test_driving_nodes_through_their_http_api_is_recorded_and_re_drives_to_the_same_outcome(tmp_path: Path) -> None:
    golden = tmp_path / "golden.jsonl"
    asyncio.run(drive_over_http(golden, tmp_path))
    records = entries(golden)
    drove = [(d["node"], d["action"], d.get("event") or d.get("to")) for d in map(driver, records) if d]
    assert drove == [
        ("RS", "lodge", None),
        ("ME", "lodge", None),
        ("RS", "event", "PRE_ARRIVAL"),
        ("RS", "event", "EXIT"),
        ("ME", "event", "ENTRY"),
        ("ME", "query", "RS"),
    ]
    lodged = [base64.b64decode(d["xml_b64"]) for d in map(driver, records) if d and d["action"] == "lodge"]
    assert lodged == [EXPORT, IMPORT]  # the bytes as posted
    # each action is in the trace before the message it caused
    for event in ("PRE_ARRIVAL", "EXIT"):
        fired = next(i for i, r in enumerate(records) if (driver(r) or {}).get("event") == event)
        sent = next(i for i, r in enumerate(records) if header(r, "ce_trigger") == event)
        assert fired < sent
    redrive_and_diff(golden, "RS,ME")


@pytest.mark.parametrize(
    ("scenario", "nodes"),
    [
        ("fault-malformed", "RS,ME"),  # messages injected in RS's (and HR's) name
        ("fault-duplicates-reordering", "RS,ME,BA"),  # re-sent duplicates
        ("ub-seed-exit", "RS,ME"),  # Utility Block steps handed to the nodes by the player
        ("ub-seed-phyto", "RS,ME,RS-NPPO"),  # a certificate issued by an agency node, started fresh too
    ],
)
def test_a_scenario_with_injections_duplicates_or_ub_steps_re_drives_to_the_golden_outcome(
    tmp_path: Path, scenario: str, nodes: str
) -> None:
    run = seedsim("run", str(REPO / "scenarios" / f"{scenario}.yaml"), "--record", "golden.jsonl", cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    golden = tmp_path / "golden.jsonl"
    records = entries(golden)
    if scenario == "fault-malformed":
        forged = [r["topic"] for r in records if header(r, "seedsim-injected") and ".inbox." in r["topic"]]
        assert forged == ["seedsim.inbox.me"] * 5 + ["seedsim.inbox.me.dlq"] * 5  # sent, then dead-lettered
    if scenario == "ub-seed-exit":
        handed = [d for d in map(driver, records) if d and d["action"] == "send"]
        assert {d["type"] for d in handed} == {"ExportData", "EntryConfirmation"}
    if scenario == "ub-seed-phyto":
        issued = [d for d in map(driver, records) if d and d["action"] == "issue"]
        assert [(d["node"], d["to"]) for d in issued] == [("RS-NPPO", "ME")]
    redrive_and_diff(golden, nodes)
