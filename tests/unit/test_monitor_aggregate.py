"""The monitor's aggregate, fed by what a real in-process run puts on its topics, against the run's own summary."""

from seedsim.core.interop import InteropRecord
from seedsim.runners.demo import DemoSettings, run_demo
from seedsim.runners.interop_summary import ACK_TYPE
from seedsim.runners.monitor.interop_matrix import COLUMNS
from seedsim.runners.monitor.monitor_aggregate import aggregate
from seedsim.runners.monitor.monitored_records import DeadLetter, ReceivedMessage, monitored
from seedsim.runners.scenarios.scenario_loader import find, load
from seedsim.runners.scenarios.scenario_run import RunSettings, run_scenario
from seedsim.utility_blocks import load_all
from tests.unit.run_records import keeping


async def test_the_aggregate_counts_what_the_demo_summary_counts(tmp_path):
    heard = []
    result = await run_demo(
        DemoSettings(consignments=30, seed=7, discrepancies=3, db_dir=tmp_path, watch=keeping(heard)),
        out=lambda line: None,
    )
    assert result.completed
    read = [x for r in heard for x in monitored(r)]
    agg = aggregate((x for x in read if isinstance(x, InteropRecord)), load_all().values())
    assert agg.counters() == result.counts

    # the matrix's business rows add up to the summary
    rows = [r for r in agg.matrix.rows() if r["message_type"] != ACK_TYPE]
    total = {c: sum(r[c] for r in rows) for c in COLUMNS}
    assert total["sent"] == result.counts["sent"]
    assert total["delivered"] == result.counts["delivered"]
    assert total["valid"] == result.counts["valid"]
    assert total["acknowledged"] == result.counts["acknowledged"]
    assert total["nacked"] == result.counts["rejected"]
    assert total["dead_lettered"] == result.counts["dead_lettered"]

    # the network: both nodes, the exit data flow with its latency
    graph = agg.network()
    assert {n["id"] for n in graph["nodes"]} == {"RS", "ME"}
    rs_me = next(e for e in graph["edges"] if (e["sender"], e["receiver"]) == ("RS", "ME"))
    assert rs_me["p95_ms"] is not None and rs_me["health"] in ("green", "amber", "red")

    # alerts with both values, dead letters with rule and reason
    assert len([a for a in agg.alerts if a["kind"] == "matching"]) == result.counts["discrepancies"]
    assert all(a["exit_value"] and a["entry_value"] for a in agg.alerts if a["kind"] == "matching")
    assert len(agg.dead_letters) == result.counts["dead_lettered"]
    assert all(d["rule"] and d["reason"] for d in agg.dead_letters)
    copies = [x for x in read if isinstance(x, DeadLetter)]
    assert len(copies) == result.counts["dead_lettered"] and all(c.rule != "?" for c in copies)
    assert any(isinstance(x, ReceivedMessage) and x.payload.startswith(b"<") for x in read)

    # the SEED core exchange measured against its UB's governance
    levels = {s["ub"]: s for s in agg.service_levels()}
    seed_exit = levels["UB-SEED-EXIT"]
    assert seed_exit["sent"] == result.counts["sent"]  # the demo's exit data and entry confirmations, all of them
    assert seed_exit["status"] in ("ok", "breach") and seed_exit["ack_rate"] == 1.0
    assert seed_exit["measured"] == "by conversation"  # each message named UB-SEED-EXIT
    # the demo sends no certificate, carnet, transit or VAT proof: those UBs have no traffic, although their
    # business process also ends with the EntryConfirmation the demo sends
    for ub in ("UB-SEED-PHYTO", "UB-SEED-TIR", "UB-SEED-ATA", "UB-SEED-TRANSIT", "UB-SEED-VAT"):
        assert "EntryConfirmation" in load_all()[ub].messages()
        assert (levels[ub]["sent"], levels[ub]["status"]) == (0, "no traffic"), ub


async def test_the_aggregate_counts_what_a_scenario_summary_counts(tmp_path):
    heard = []
    scenario = load(find("fault-malformed"))
    result = await run_scenario(scenario, RunSettings(db_dir=tmp_path, watch=keeping(heard)), out=lambda line: None)
    assert result.ok
    agg = aggregate(x for r in heard for x in monitored(r) if isinstance(x, InteropRecord))
    assert agg.counters() == result.counts
    assert {d["rule"] for d in agg.dead_letters} == {
        r.result for r in result.summary.records if r.stage.value == "dead_lettered"
    }
