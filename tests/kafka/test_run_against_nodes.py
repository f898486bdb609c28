"""``seedsim run SCENARIO --nodes ...``: a scenario played against nodes that run elsewhere, over a real broker.

Two customs nodes run as ``seedsim node`` processes (as docker-compose runs
them); the run starts none, drives them over HTTP and reads their interop
records from the broker. ``fault-malformed`` also puts hostile records on
ME's inbox topic, which reaches nodes elsewhere too. The same scenario is
played twice against the same nodes: the second run's references are its
own (no collision with the first) and it counts only its own records, so
both meet the scenario's expectations with the same counts. A URL given for
a node the scenario does not use (docker-compose gives all six) is ignored.
"""

from __future__ import annotations

import json
import uuid

import httpx
import pytest

from tests.kafka.node_processes import seedsim_nodes
from tests.unit.seedsim_cli import assert_no_traceback, free_port, seedsim

pytestmark = pytest.mark.kafka


def test_a_scenario_plays_twice_against_the_same_nodes_elsewhere(secured_kafka, tmp_path):
    prefix = f"seedsim.t-remote-{uuid.uuid4().hex[:8]}"
    # HR, fault-malformed's unknown sender, has no inbox on this network and ME may not create one: ME's negative
    # acknowledgement to HR is refused for good by the broker, parked, and everything behind it still goes out
    with seedsim_nodes(secured_kafka, prefix, tmp_path, ("RS", "ME")) as nodes:
        urls = {node.country: node.url for node in nodes}
        argv = ["run", "fault-malformed", "--json", "--kafka", secured_kafka.bootstrap, "--topic-prefix", prefix]
        # the nodes made their development keys in their folder (./var/keys): the run signs its faults with them
        argv += ["--keys", str(tmp_path / "var" / "keys")]
        # a node the scenario does not use (AL, not running) is neither waited for nor driven
        argv += ["--nodes", ",".join(f"{c}={u}" for c, u in urls.items()) + f",AL=http://127.0.0.1:{free_port()}"]
        results = []
        for _ in range(2):
            r = seedsim(*argv, timeout=180, env=secured_kafka.admin_env)  # the runner logs in as admin, as in compose
            assert r.returncode == 0, r.stdout + r.stderr
            assert_no_traceback(r.stdout, r.stderr)
            results.append(json.loads(r.stdout))
        first, second = results
        assert first["ok"] and second["ok"], (first["failed"], second["failed"])
        assert first["counts"] == second["counts"]
        counts = first["counts"]
        # 10 consignments x 3 messages, all acknowledged; 5 hostile records rejected and dead-lettered
        assert (counts["sent"], counts["acknowledged"], counts["matched"]) == (30, 30, 10)
        assert (counts["rejected"], counts["dead_lettered"]) == (5, 5)

        # the run printed, not the JSON: it says which nodes it drives
        r = seedsim(*[a for a in argv if a != "--json"], timeout=180, env=secured_kafka.admin_env)
        assert r.returncode == 0, r.stdout + r.stderr
        assert (
            f"over the nodes at RS {urls['RS']}, ME {urls['ME']}, heard through Kafka {secured_kafka.bootstrap}"
            in r.stdout
        )
        assert "fault-malformed: all expectations met" in r.stdout
        me = next(node for node in nodes if node.country == "ME")
        metrics = httpx.get(f"{me.url}/metrics", timeout=10).text
        parked = [line for line in metrics.splitlines() if line.startswith("seedsim_records_parked_total{")]
        assert any('reason="transport_refused"' in line and float(line.rsplit(" ", 1)[1]) >= 1 for line in parked), (
            metrics
        )
        health = httpx.get(f"{me.url}/health", timeout=10)
        assert health.status_code == 200 and health.json()["parked"] >= 1, health.text
        for node in nodes:
            assert node.proc.poll() is None, f"node {node.country} died:\n{node.log.read_text()}"
            assert "Traceback" not in node.log.read_text(errors="replace"), node.log.read_text()
