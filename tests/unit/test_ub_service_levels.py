"""Each Utility Block's service level counts its own conversations, not every message of a type it shares.

Real nodes on the in-process bus: Serbia's customs sends exit data to Montenegro for every consignment,
Serbia's NPPO a phytosanitary certificate for some of them (UB-SEED-PHYTO, on the same consignments),
and one consignment travels under a TIR carnet too. Montenegro's entry confirmation (a type UB-SEED-EXIT,
-PHYTO, -TIR, -ATA, -TRANSIT and -VAT all name) answers the exit data: it counts for UB-SEED-EXIT, and for
UB-SEED-TIR only on the carnet's consignment, never for UB-SEED-PHYTO.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from pathlib import Path

import pytest

from seedsim.bootstrap import running_network
from seedsim.config import AgencyConfig, NodeConfig
from seedsim.core.envelope import UBS_HEADER
from seedsim.core.interop import InteropRecord, Stage, decode_interop
from seedsim.core.topics import Topics
from seedsim.core.transport.memory import InMemoryBus
from seedsim.message_catalogue import CATALOGUE
from seedsim.nodes.customs.customs_node import Event
from seedsim.nodes.inbox_node import send_from
from seedsim.runners.demo import DemoSettings, lodged_xml, run_demo
from seedsim.runners.monitor.monitor_aggregate import MonitorAggregate, aggregate
from seedsim.runners.monitor.monitor_ingest import MonitorIngest
from seedsim.runners.monitor.monitor_metrics import MonitorMetrics
from seedsim.runners.monitor.monitor_store import MonitorStore
from seedsim.runners.monitor.monitored_records import monitored
from seedsim.runners.traces.trace_file import TraceWriter, read_trace
from seedsim.runners.traces.trace_format import TraceHeader
from seedsim.samples.consignments import ConsignmentGenerator
from seedsim.samples.crossings import DEMO_CROSSINGS
from seedsim.utility_blocks import load_all
from tests.unit.run_records import keeping
from tests.unit.seedsim_cli import assert_no_traceback, seedsim
from tests.unit.test_ub_node_documents import client, tir_carnet

T = Topics()
CROSS = DEMO_CROSSINGS[0]
ENTRY_CONFIRMATION = CATALOGUE.by_name["EntryConfirmation"]
#: consignments with a phytosanitary certificate, with exit data only, and with a TIR carnet (and exit data)
PHYTO, EXIT_ONLY, CARNET = 3, 2, 1


def interop(bus) -> list[InteropRecord]:
    return [rec for r in bus.log(T.interop) for rec in decode_interop(r.value)]


async def settle(until, rounds: int = 500) -> None:
    for _ in range(rounds):
        if until():
            return
        await asyncio.sleep(0.01)
    assert until(), "the exchange did not settle"


def all_answered(bus) -> bool:
    recs = interop(bus)
    sent = {r.message_id for r in recs if r.stage == Stage.SENT}
    return bool(sent) and sent <= {r.message_id for r in recs if r.stage in (Stage.ACK_RECEIVED, Stage.NACK_RECEIVED)}


def everything_checked(bus, sender: str, receiver: str, ucr: str) -> bool:
    """Whether every message ``sender`` sent ``receiver`` about ``ucr`` so far has been validated there."""
    recs = interop(bus)
    sent = {
        r.message_id
        for r in recs
        if r.stage == Stage.SENT and (r.node, r.receiver, r.consignment) == (sender, receiver, ucr)
    }
    checked = {r.message_id for r in recs if r.stage in (Stage.VALID, Stage.INVALID) and r.node == receiver}
    return bool(sent) and sent <= checked


async def cross(bus, nodes, c, carnet: bool = False) -> None:
    """A consignment's exit data (and carnet) from RS, its entry at ME."""
    export, import_ = lodged_xml(c)
    assert (await nodes["RS"].lodge(export)).accepted
    assert (await nodes["ME"].lodge(import_)).accepted
    if carnet:
        async with client(nodes["RS"]) as http:
            r = await http.post(
                "/documents",
                params={"consignment": c.ucr},
                content=tir_carnet(c.export.vehicle()),
                headers={"content-type": "application/xml"},
            )
            assert r.status_code == 200, r.text
    await nodes["RS"].on_event(Event.PRE_ARRIVAL, c.ucr, CROSS.exit_office, CROSS.entry_office)
    await nodes["RS"].on_event(Event.EXIT, c.ucr, CROSS.exit_office, CROSS.entry_office)
    await settle(lambda: everything_checked(bus, "RS", "ME", c.ucr))  # the entry confirmation depends on all of it
    await nodes["ME"].on_event(Event.ENTRY, c.ucr, CROSS.entry_office)


@pytest.fixture
async def two_ubs(tmp_path: Path):
    """Exit data for every consignment, a phytosanitary certificate for PHYTO of them, a TIR carnet (and exit data)
    for the last: (the bus, the nodes, the consignments), every message answered."""
    configs = [
        NodeConfig(node="RS", db=tmp_path / "rs.db", partners=["ME"], crossings=DEMO_CROSSINGS),
        NodeConfig(node="ME", db=tmp_path / "me.db", partners=["RS", "RS-NPPO"], crossings=DEMO_CROSSINGS),
        AgencyConfig(node="RS-NPPO", db=tmp_path / "nppo.db", seed=3, partners=["ME"]),
    ]
    bus = InMemoryBus()
    async with running_network(configs, bus) as network:
        made = ConsignmentGenerator(11, CROSS)
        consignments = [made.make(i) for i in range(1, PHYTO + EXIT_ONLY + CARNET + 1)]
        for i, c in enumerate(consignments):
            if i < PHYTO:
                await network.nodes["RS-NPPO"].issue("ME", consignment=c.ucr)
            await cross(bus, network.nodes, c, carnet=i == len(consignments) - 1)
        await settle(lambda: all_answered(bus))
        yield bus, network.nodes, consignments


async def test_each_ub_counts_its_own_conversations_when_two_are_active_on_the_same_consignments(two_ubs):
    bus, nodes, consignments = two_ubs
    recs = interop(bus)
    sent = [r for r in recs if r.stage == Stage.SENT]
    certificates = [r for r in sent if r.message_type == "PhytosanitaryCertificate"]
    carnets = [r for r in sent if r.message_type == "TIRCarnet"]
    exit_data = [r for r in sent if r.message_type in ("ExportData", "EntryConfirmation")]
    assert len(certificates) == PHYTO and len(carnets) == 2  # on PRE_ARRIVAL and on EXIT
    assert len(exit_data) == 3 * len(consignments)  # exit data twice, one entry confirmation each

    levels = {s["ub"]: s for s in aggregate(recs, load_all().values()).service_levels()}
    phyto, seed_exit, tir = levels["UB-SEED-PHYTO"], levels["UB-SEED-EXIT"], levels["UB-SEED-TIR"]
    # the phytosanitary conversations only: the entry confirmations answered the exit data
    assert (phyto["sent"], phyto["acknowledged"], phyto["status"]) == (PHYTO, PHYTO, "ok")
    assert (seed_exit["sent"], seed_exit["acknowledged"]) == (len(exit_data), len(exit_data))
    # the carnet's consignment: its entry confirmation closes the TIR conversation as well
    assert (tir["sent"], tir["acknowledged"]) == (len(carnets) + 1, len(carnets) + 1)
    for s in (phyto, seed_exit, tir):
        assert s["measured"] == "by conversation" and s["ack_rate"] == 1.0 and s["nacked"] == 0
    for ub in ("UB-SEED-ATA", "UB-SEED-TRANSIT", "UB-SEED-VAT"):
        assert (levels[ub]["sent"], levels[ub]["status"]) == (0, "no traffic"), ub

    # each stage of a message names the same UBs, the acknowledgement's included
    confirmation_of_carnet = next(
        r for r in sent if r.message_type == "EntryConfirmation" and r.consignment == consignments[-1].ucr
    )
    stages = {r.stage: r.ubs for r in recs if r.message_id == confirmation_of_carnet.message_id}
    assert set(stages) >= {Stage.SENT, Stage.RECEIVED, Stage.VALID, Stage.ACKED, Stage.ACK_RECEIVED}
    assert all(sorted(ubs) == ["UB-SEED-EXIT", "UB-SEED-TIR"] for ubs in stages.values()), stages
    # and the message itself says so, in a CloudEvents extension attribute
    on_the_wire = {r.header("ce_id"): r.header(UBS_HEADER) for r in bus.log(T.inbox("RS"))}
    assert on_the_wire[confirmation_of_carnet.message_id] == "UB-SEED-EXIT,UB-SEED-TIR"


async def test_a_nack_counts_against_the_ub_of_the_message_it_refuses(two_ubs):
    bus, nodes, consignments = two_ubs
    # ME sends RS a broken entry confirmation about a consignment that had a certificate and exit data: a type
    # UB-SEED-PHYTO names too, but this one answers exit data, so it is UB-SEED-EXIT's conversation
    c = consignments[0]
    env = await send_from(
        nodes["ME"], ENTRY_CONFIRMATION, b"<not-a-confirmation/>", "RS", subject=c.ucr, trigger="ENTRY"
    )
    assert env.ubs == ("UB-SEED-EXIT",)
    await settle(lambda: all_answered(bus))
    recs = interop(bus)
    refused = {r.stage: r.ubs for r in recs if r.message_id == env.id}
    assert {Stage.INVALID, Stage.NACKED, Stage.DEAD_LETTERED, Stage.NACK_RECEIVED} <= set(refused), refused
    assert all(ubs == ["UB-SEED-EXIT"] for ubs in refused.values()), refused

    levels = {s["ub"]: s for s in aggregate(recs, load_all().values()).service_levels()}
    seed_exit, phyto = levels["UB-SEED-EXIT"], levels["UB-SEED-PHYTO"]
    assert (seed_exit["nacked"], seed_exit["dead_lettered"]) == (1, 1)
    assert seed_exit["nack_rate"] == round(1 / seed_exit["delivered"], 4)
    flagged = any("nack rate" in b for b in seed_exit["breaches"])
    assert flagged is (seed_exit["nack_rate"] > seed_exit["target"]["max_nack_rate"])
    assert (phyto["nacked"], phyto["dead_lettered"], phyto["status"]) == (0, 0, "ok")


async def test_a_restart_rebuilds_the_same_service_levels_from_the_monitor_store(two_ubs, tmp_path):
    bus, _, _ = two_ubs
    heard = list(bus.log(T.interop))
    db = tmp_path / "monitor.sqlite3"
    store = MonitorStore(db)
    await store.open()
    ingest = MonitorIngest(store, MonitorAggregate(load_all().values()), MonitorMetrics())
    await ingest.handle(heard)
    counted = ingest.aggregate.service_levels()
    assert {s["ub"]: s["sent"] for s in counted}["UB-SEED-PHYTO"] == PHYTO
    await store.close()

    store = MonitorStore(db)
    await store.open()
    again = MonitorIngest(store, MonitorAggregate(load_all().values()), MonitorMetrics())
    await again.rebuild()
    assert again.aggregate.service_levels() == counted
    await store.close()


async def test_a_run_of_exit_data_alone_leaves_the_phytosanitary_ub_without_traffic(tmp_path):
    heard = []
    result = await run_demo(
        DemoSettings(consignments=5, seed=3, discrepancies=1, malformed=(), db_dir=tmp_path, watch=keeping(heard)),
        out=lambda line: None,
    )
    assert result.completed
    recs = [x for r in heard for x in monitored(r) if isinstance(x, InteropRecord)]
    levels = {s["ub"]: s for s in aggregate(recs, load_all().values()).service_levels()}
    assert (levels["UB-SEED-PHYTO"]["sent"], levels["UB-SEED-PHYTO"]["status"]) == (0, "no traffic")
    assert levels["UB-SEED-EXIT"]["sent"] == result.counts["sent"] == 15
    assert levels["UB-SEED-EXIT"]["measured"] == "by conversation"


# -- a trace recorded before messages named their Utility Blocks ---------------------------------------------


def without_ubs(trace: Path, old: Path) -> int:
    """``trace`` as a version before this one recorded it: no ``ubs`` in its interop records, no ``ce_seedsimubs``
    on its messages; how many records named UBs."""
    named = 0
    with TraceWriter(old, TraceHeader(source="bus")) as writer:
        for entry in read_trace(trace):
            r = entry.record
            if r.topic == T.interop:  # one record per value, as the interop topic held them then
                for rec in decode_interop(r.value):
                    body = json.loads(rec.to_json())
                    named += bool(body.pop("ubs", None))
                    writer.write(replace(r, value=json.dumps(body).encode()))
                continue
            if any(k == UBS_HEADER for k, _ in r.headers):
                headers = tuple((k, v) for k, v in r.headers if k != UBS_HEADER)
                r = replace(r, headers=headers)
            writer.write(r)
    return named


def report_json(trace: Path) -> dict:
    done = seedsim("report", str(trace), "--format", "json", timeout=120)
    assert_no_traceback(done.stdout, done.stderr)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)


def test_a_trace_recorded_before_records_named_their_ubs_still_reports_and_replays(tmp_path):
    trace, old = tmp_path / "run.trace.jsonl", tmp_path / "old.trace.jsonl"
    done = seedsim("run", "ub-seed-phyto", "--record", str(trace), "--json", timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    sent = json.loads(done.stdout)["counts"]["sent"]
    assert without_ubs(trace, old) > 0

    now, before = report_json(trace), report_json(old)
    assert before["counts"] == now["counts"]
    phyto_now = next(s for s in now["service_levels"] if s["ub"] == "UB-SEED-PHYTO")
    phyto_before = next(s for s in before["service_levels"] if s["ub"] == "UB-SEED-PHYTO")
    # measured by message type, the same numbers: the UB's conversation is all the trace holds
    assert phyto_now["measured"] == "by conversation" and phyto_before["measured"] == "by message type"
    for key in ("sent", "acknowledged", "nacked", "dead_lettered", "status"):
        assert phyto_before[key] == phyto_now[key], key
    assert phyto_before["sent"] == sent and phyto_before["status"] == "ok"

    done = seedsim("trace", "replay", str(old), "--to", "ME", "--fresh", timeout=120)
    assert_no_traceback(done.stdout, done.stderr)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "sent " in done.stdout and "record(s) to ME" in done.stdout
