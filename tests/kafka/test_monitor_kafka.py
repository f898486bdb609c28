"""``seedsim monitor`` over a real broker: stopped and restarted in the middle of a run, it counts what the run counted.

The monitor stores each record before its offset is committed and counts a record once by its id,
so a monitor killed mid-run (Ctrl-C ends the process at once) and started again on the same
database loses nothing and counts nothing twice. As in docker compose, the administrator sets the network up,
the monitor logs in as ``monitor`` and the run as ``admin``.
"""

import json
import subprocess
import time
import urllib.request
import uuid

import pytest

from seedsim.core.transport.kafka_acls import MONITOR_USER
from tests.kafka.conftest import SecuredKafka
from tests.unit.seedsim_cli import REPO, SEEDSIM, Running, assert_no_traceback, clean_env, free_port

pytestmark = pytest.mark.kafka


def _counters(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/counters", timeout=10) as r:
        return json.loads(r.read())


def _monitor(kafka: SecuredKafka, prefix, db, port):
    run = Running(
        "monitor", "--kafka", kafka.bootstrap, "--topic-prefix", prefix, "--db", str(db), "--port", str(port),
        "--nodes", "RS,ME", env=kafka.env(kafka.user(MONITOR_USER)),
    )  # fmt: skip
    run.wait_for("stop it with Ctrl-C", timeout=90)
    return run


def test_a_monitor_restarted_mid_run_counts_what_the_run_counted(secured_kafka, tmp_path):
    prefix = f"seedsim.t-monitor-{uuid.uuid4().hex[:8]}"
    secured_kafka.set_up(["RS", "ME"], extra_users=(MONITOR_USER,), prefix=prefix)
    db, port = tmp_path / "monitor.sqlite3", free_port()
    first = _monitor(secured_kafka, prefix, db, port)
    second = None
    scenario = subprocess.Popen(
        [*SEEDSIM, "run", "rs-me-seed-core", "--kafka", secured_kafka.bootstrap, "--topic-prefix", prefix, "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(**secured_kafka.admin_env),
        cwd=REPO,
    )
    try:
        deadline = time.monotonic() + 120
        while _counters(port)["records"] < 100:
            assert time.monotonic() < deadline and scenario.poll() is None, "the monitor read nothing of the run"
            time.sleep(0.2)
        code, _took, err = first.interrupt()
        assert code == 130 and "interrupted" in err
        assert_no_traceback(err)
        assert scenario.poll() is None, "the monitor was stopped after the run, not in the middle of it"

        second = _monitor(secured_kafka, prefix, db, port)
        out, err = scenario.communicate(timeout=300)
        assert scenario.returncode == 0, out + err
        summary = json.loads(out)["counts"]

        deadline = time.monotonic() + 90
        while (seen := _counters(port))["counters"] != summary and time.monotonic() < deadline:
            time.sleep(0.5)
        assert seen["counters"] == summary
        assert seen["records"] == seen["stored"]["interop"], "each interop record counted once"
        assert seen["stored"]["dead_letter"] == summary["dead_lettered"]
    finally:
        if scenario.poll() is None:
            scenario.kill()
        first.stop()
        if second is not None:
            second.stop()
