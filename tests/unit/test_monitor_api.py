"""The monitor's JSON API, Prometheus metrics and dashboard, through the ASGI app, after a real in-process run."""

import csv
import io
import re

import httpx
import pytest

from seedsim.runners.monitor.monitor_service import Monitor, MonitorSettings
from seedsim.runners.scenarios.scenario_loader import find, load
from seedsim.runners.scenarios.scenario_run import RunSettings, run_scenario


@pytest.fixture
async def watched_run(tmp_path):
    monitor = Monitor(MonitorSettings(db=tmp_path / "monitor.sqlite3"))
    await monitor.open()
    result = await run_scenario(
        load(find("fault-malformed")), RunSettings(db_dir=tmp_path, watch=monitor.watch), out=lambda line: None
    )
    assert result.ok
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=monitor.app), base_url="http://monitor")
    yield client, result
    await client.aclose()
    await monitor.close()


async def test_the_api_counts_what_the_run_counted(watched_run):
    client, result = watched_run
    counters = (await client.get("/api/counters")).json()
    assert counters["counters"] == result.counts
    assert counters["stored"]["dead_letter"] == result.counts["dead_lettered"]

    network = (await client.get("/api/network")).json()
    assert {n["id"] for n in network["nodes"]} >= {"RS", "ME"}
    assert any(e["sender"] == "RS" and e["receiver"] == "ME" for e in network["edges"])

    rows = (await client.get("/api/matrix")).json()
    assert sum(r["sent"] for r in rows) == result.counts["sent"]
    exported = (await client.get("/api/matrix", params={"format": "csv"})).text
    assert list(csv.DictReader(io.StringIO(exported))) == [
        {k: "" if v is None else str(v) for k, v in r.items()} for r in rows
    ]

    dead = (await client.get("/api/dead-letters")).json()
    assert len(dead) == result.counts["dead_lettered"]
    assert all(d["rule"] and d["reason"] for d in dead)

    levels = {s["ub"]: s for s in (await client.get("/api/service-levels")).json()}
    assert levels["UB-SEED-EXIT"]["sent"] > 0 and levels["UB-SEED-EXIT"]["status"] in ("ok", "breach")
    # every message of the run (the injected malformed ones too) named its UB: measured over its conversations
    assert levels["UB-SEED-EXIT"]["measured"] == "by conversation"
    assert levels["UB-SEED-EXIT"]["sent"] == result.counts["sent"]

    openapi = (await client.get("/openapi.json")).json()
    for path in ("/api/counters", "/api/network", "/api/matrix", "/api/service-levels", "/api/alerts"):
        assert path in openapi["paths"]
    assert "/api/consignments/{consignment}" in openapi["paths"]


async def test_a_consignment_timeline_shows_every_node_and_each_message_as_received(watched_run):
    client, result = watched_run
    listed = (await client.get("/api/consignments")).json()
    crossed = next(c for c in listed if c["status"] == "matched")
    view = (await client.get(f"/api/consignments/{crossed['consignment']}")).json()
    assert set(view["nodes"]) == {"RS", "ME"}
    received = [s for s in view["steps"] if s["stage"] == "received" and s.get("message_type") == "ExportData"]
    assert received and all(s["message"]["xml"].lstrip().startswith("<") for s in received)

    refused = next(c for c in listed if c["status"] == "dead-lettered")
    steps = (await client.get(f"/api/consignments/{refused['consignment']}")).json()["steps"]
    dead = next(s for s in steps if s["stage"] == "dead_lettered")
    assert dead["dead_letter"]["rule"] and dead["dead_letter"]["reason"]

    missing = await client.get("/api/consignments/NO-SUCH-UCR")
    assert missing.status_code == 404 and "/api/consignments" in missing.json()["detail"]


async def test_metrics_and_the_dashboard(watched_run):
    client, result = watched_run
    metrics = (await client.get("/metrics")).text
    assert 'seedsim_interop_records_total{message_type="ExportData",node="RS",stage="sent"}' in metrics
    assert "seedsim_interop_latency_ms_bucket" in metrics

    page = await client.get("/")
    assert page.status_code == 200
    assert 'data-node="RS"' in page.text and 'data-node="ME"' in page.text
    assert f'id="counter-sent" data-counter="sent">{result.counts["sent"]}<' in page.text
    # the service levels say how each UB was measured
    exit_row = re.search(r'<tr class="ub [^"]*" data-ub="UB-SEED-EXIT">(.*?)</tr>', page.text, re.S)
    assert exit_row and '<td class="measured">by conversation</td>' in exit_row.group(1)
    # everything the page loads comes from the monitor itself (no CDN: it works air-gapped)
    loaded = re.findall(r'(?:src|href)="([^"#]*)"', page.text)
    assert "/static/dashboard.js" in loaded and all(u.startswith("/") for u in loaded), loaded
    script = await client.get("/static/dashboard.js")
    assert script.status_code == 200 and "EventSource" in script.text
