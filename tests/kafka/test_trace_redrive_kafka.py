"""A scenario recorded over Kafka, re-driven into fresh nodes over Kafka at max speed and on the bus: identical.

``seedsim run --kafka --record`` writes the golden trace, what drove the nodes
included (the driver topic). ``seedsim trace replay --fresh --kafka`` starts
fresh nodes under a prefix of their own on the same broker and plays the run
again, recording what they send; ``seedsim trace diff`` must find the golden
outcome, and so must a replay of the same trace on the in-process bus.
"""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import pytest

try:  # `python -m pytest` puts the repo root on sys.path ...
    from tests.unit.seedsim_cli import REPO, assert_no_traceback, clean_env
    from tests.unit.test_trace_redrive import SCENARIO, SCENARIO_TOLERANCES, driver_records, tolerance_args
    from tests.unit.test_trace_replay_cli import command
except ImportError:  # ... plain `pytest` puts tests/ there (rootdir-relative packages)
    from unit.seedsim_cli import REPO, assert_no_traceback, clean_env
    from unit.test_trace_redrive import SCENARIO, SCENARIO_TOLERANCES, driver_records, tolerance_args
    from unit.test_trace_replay_cli import command

from tests.kafka.conftest import SecuredKafka

pytestmark = pytest.mark.kafka


def seedsim(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``seedsim ARGS`` in ``cwd``; ``env``: SEEDSIM_* settings (the login of a command that uses Kafka)."""
    done = subprocess.run(
        command(*args), capture_output=True, text=True, timeout=300, env=clean_env(**(env or {})), cwd=cwd,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert_no_traceback(done.stdout, done.stderr)
    return done


def test_a_kafka_run_replayed_into_fresh_nodes_over_kafka_and_on_the_bus_is_identical(
    secured_kafka: SecuredKafka, tmp_path: Path
) -> None:
    assert REPO.is_dir()
    kafka, operator = secured_kafka.bootstrap, secured_kafka.admin_env  # the run and the replay create their topics
    run = seedsim(
        "run", str(SCENARIO), "--kafka", kafka, "--topic-prefix", f"seedsim.test-golden-{uuid.uuid4().hex[:8]}",
        "--record", "golden.jsonl", cwd=tmp_path, env=operator,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    golden = tmp_path / "golden.jsonl"
    driven = len(driver_records(golden))
    assert driven == 60  # 12 consignments: 2 declarations lodged and 3 events fired each

    on_kafka = seedsim(
        "trace", "replay", str(golden), "--to", "RS,ME", "--fresh", "--kafka", kafka,
        "--topic-prefix", f"seedsim.test-redrive-{uuid.uuid4().hex[:8]}", "--speed", "max",
        "--record", "kafka.jsonl", *tolerance_args(SCENARIO_TOLERANCES), cwd=tmp_path, env=operator,
    )  # fmt: skip
    assert on_kafka.returncode == 0, on_kafka.stdout + on_kafka.stderr
    assert f"re-drove 2 fresh node(s) with {driven} driver record(s)" in on_kafka.stdout

    on_bus = seedsim(
        "trace", "replay", str(golden), "--to", "RS,ME", "--fresh", "--record", "bus.jsonl",
        *tolerance_args(SCENARIO_TOLERANCES), cwd=tmp_path,
    )  # fmt: skip
    assert on_bus.returncode == 0, on_bus.stdout + on_bus.stderr

    for actual in ("kafka.jsonl", "bus.jsonl"):
        diff = seedsim("trace", "diff", str(golden), actual, cwd=tmp_path)
        assert diff.returncode == 0, diff.stdout
        assert "EQUAL: the 12 consignments have the golden outcome" in diff.stdout
