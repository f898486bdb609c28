"""``seedsim run --kafka ADDR --record t.jsonl.gz`` on a real broker: the trace counts what the run reported."""

from __future__ import annotations

import gzip
import json
import uuid

import pytest

from tests.unit.seedsim_cli import REPO, assert_no_traceback, seedsim
from tests.unit.test_trace_cli import run_counts_from, stats_of

pytestmark = pytest.mark.kafka


def test_a_run_over_kafka_recorded_to_gzip_counts_what_the_run_reported(secured_kafka, tmp_path):
    trace = tmp_path / "t.jsonl.gz"
    proc = seedsim(
        "run",
        str(REPO / "scenarios" / "fault-malformed.yaml"),
        "--kafka",
        secured_kafka.bootstrap,
        "--topic-prefix",
        f"seedsim.test-record-{uuid.uuid4().hex[:8]}",
        "--record",
        str(trace),
        "--json",
        timeout=240,
        env=secured_kafka.admin_env,  # the operator's run: it creates its topics
    )
    assert_no_traceback(proc.stdout, proc.stderr)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    stats = stats_of(trace)
    assert run_counts_from(trace) == result["counts"]
    assert stats["dead_lettered_copies"] == result["counts"]["dead_lettered"] > 0
    with gzip.open(trace, "rt") as f:
        header = json.loads(f.readline())
        first = json.loads(f.readline())
    assert header["source"] == f"kafka {secured_kafka.bootstrap}"
    assert header["scenario"] == result["scenario"] and header["seed"] == result["seed"]
    assert first["tstype"] == "create" and isinstance(first["ts"], int)
