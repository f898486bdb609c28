"""``seedsim demo --nodes ...`` when a node it drives is killed during the run (issue 11): one line naming the node
that stopped answering, exit code 1, no traceback.

Two customs nodes run as ``seedsim node`` processes over a real broker; the demo drives them over HTTP. Once ME has
received the first exit data, ME is killed.
"""

from __future__ import annotations

import json
import time
import urllib.request
import uuid

import pytest

from tests.kafka.node_processes import seedsim_nodes
from tests.unit.seedsim_cli import Running, assert_no_traceback

pytestmark = pytest.mark.kafka


def received_any(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/messages?limit=1", timeout=2) as r:
            return bool(json.loads(r.read()))
    except OSError:
        return False


def test_a_node_killed_during_the_demo_is_named_in_one_line(secured_kafka, tmp_path):
    prefix = f"seedsim.t-killed-{uuid.uuid4().hex[:8]}"
    with seedsim_nodes(secured_kafka, prefix, tmp_path, ("RS", "ME")) as nodes:
        rs, me = nodes
        demo = Running(
            "demo",
            "--consignments",
            "2000",
            "--nodes",
            f"RS={rs.url},ME={me.url}",
            "--kafka",
            secured_kafka.bootstrap,
            "--topic-prefix",
            prefix,
            "--timeout",
            "20",
            env=secured_kafka.admin_env,  # the runner logs in as admin, as in compose
        )
        try:
            deadline = time.monotonic() + 120
            while not received_any(me.url):
                assert demo.proc.poll() is None, demo.proc.communicate()
                assert time.monotonic() < deadline, "ME received nothing from the demo"
                time.sleep(0.2)
            me.proc.kill()
            me.proc.wait(timeout=15)
            out, err = demo.proc.communicate(timeout=120)
        finally:
            demo.stop()
    stdout, stderr = demo.out.decode() + out.decode(), err.decode()
    assert demo.proc.returncode == 1, stdout + stderr
    assert_no_traceback(stdout, stderr)
    lines = [line for line in stderr.splitlines() if f"node ME at {me.url} stopped answering during the run" in line]
    assert len(lines) == 1, stderr
    assert "is it still running?" in lines[0]
