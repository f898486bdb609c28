"""The monitor's dashboard in a real browser, during and after a scenario run over Kafka.

Chromium loads the dashboard while the run plays and, without a reload (server-sent events), shows:
every node of the scenario on the network; counters equal to the run's own summary; a consignment's
timeline across nodes when it is clicked; each dead letter with its rule and reason. A screenshot
is saved and its path printed.
"""

import json
import os
import re
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from seedsim.core.transport.kafka_acls import MONITOR_USER
from seedsim.runners.scenarios.scenario_loader import find, load
from tests.unit.seedsim_cli import REPO, SEEDSIM, Running, clean_env, free_port

pytestmark = pytest.mark.kafka

SCENARIO = "rs-me-seed-core"  # 100 consignments RS -> ME, planted discrepancies and malformed messages


def _screenshot_dir(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("SEEDSIM_ARTIFACTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_the_dashboard_shows_a_run_over_kafka(browser, secured_kafka, tmp_path):
    prefix = f"seedsim.t-browser-{uuid.uuid4().hex[:8]}"
    port = free_port()
    nodes = load(find(SCENARIO)).nodes
    # as in docker compose: the administrator sets the network up, the monitor logs in as monitor, the run as admin
    secured_kafka.set_up([str(n) for n in nodes], extra_users=(MONITOR_USER,), prefix=prefix)
    monitor = Running(
        "monitor",
        "--kafka",
        secured_kafka.bootstrap,
        "--topic-prefix",
        prefix,
        "--db",
        str(tmp_path / "monitor.sqlite3"),
        "--port",
        str(port),
        "--nodes",
        ",".join(nodes),
        env=secured_kafka.env(secured_kafka.user(MONITOR_USER)),
    )
    run = None
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        monitor.wait_for("stop it with Ctrl-C", timeout=90)
        run = subprocess.Popen(
            [*SEEDSIM, "run", SCENARIO, "--kafka", secured_kafka.bootstrap, "--topic-prefix", prefix, "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=clean_env(**secured_kafka.admin_env),
            cwd=REPO,
        )
        # during the run: the page is loaded once, and fills as records arrive
        page.goto(f"http://127.0.0.1:{port}/")
        page.wait_for_function("Number(document.querySelector('#counter-sent').textContent) > 0", timeout=120_000)
        assert run.poll() is None, "the dashboard was first seen after the run, not during it"
        out, err = run.communicate(timeout=300)
        assert run.returncode == 0, out + err
        summary = json.loads(out)["counts"]

        # after the run, still without a reload: every counter is the run's
        deadline = time.monotonic() + 60
        shown = {}
        while time.monotonic() < deadline:
            shown = {k: page.text_content(f"#counter-{k}") for k in summary}
            if shown == {k: str(v) for k, v in summary.items()}:
                break
            time.sleep(0.5)
        assert shown == {k: str(v) for k, v in summary.items()}

        # the network shows every node of the scenario, and the flow between them
        drawn = page.eval_on_selector_all("#network .node", "els => els.map(e => e.dataset.node)")
        assert set(nodes) <= set(drawn), drawn
        assert page.locator(f'#network .edge[data-edge="{nodes[0]}->{nodes[1]}"]').count() == 1

        # each dead letter with its rule and reason
        dead = page.locator("#dead-letters .dead-letter")
        assert dead.count() == summary["dead_lettered"]
        for i in range(dead.count()):
            assert re.fullmatch(r"[A-Z][A-Z0-9]*[0-9]", dead.nth(i).locator(".rule").text_content().strip())
            assert dead.nth(i).locator(".reason").text_content().strip()

        # a consignment clicked: its timeline across the nodes it crossed
        crossed = page.locator("#consignments li", has=page.locator(".status-matched")).first
        ucr = crossed.locator(".consignment").text_content().strip()
        crossed.locator(".consignment").click()
        page.wait_for_selector("#consignment-view:not([hidden]) #timeline", timeout=10_000)
        assert page.text_content("#consignment-view .consignment-id").strip() == ucr
        across = page.eval_on_selector_all("#consignment-view .timeline-node", "els => els.map(e => e.dataset.node)")
        assert set(across) == set(nodes[:2]), across
        for node in nodes[:2]:
            assert page.locator(f'#timeline .step[data-node="{node}"]').count() > 0
        assert page.locator('#timeline .step[data-stage="received"] details pre').count() > 0  # XML as received

        shot = _screenshot_dir(tmp_path) / "monitor-dashboard.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"dashboard screenshot: {shot}")
    finally:
        page.close()
        if run is not None and run.poll() is None:
            run.kill()
        monitor.stop()
