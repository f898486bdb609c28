"""kcat interoperability: a run's topics captured with Debian's kcat, replayed by seedsim, diffed against seedsim's own
recording of the same run: identical.

A shipped scenario runs over the real broker under a prefix of its own and
records itself (``--record own.jsonl``). A tester then captures every topic of
that prefix (inboxes, dead-letter topics, the interop topic and the driver
topic), listed by ``kcat -L``, with ``kcat -C -J -e`` one topic after another
into one file: kcat's file, records grouped by topic and partition, no seedsim
header. The topics go in reverse order, so the driver topic (what the scenario
lodged and fired) comes after every message it caused: the order across topics
is lost, and re-driving must restore it from the timestamps. ``seedsim trace replay kcat.jsonl --fresh`` re-drives fresh nodes from
it (on the in-process bus and on Kafka) and records them; ``seedsim trace diff``
finds the run's own outcome in both.

kcat must be installed: a missing kcat fails the test (no skip), locally and in CI.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from seedsim.runners.traces import read_trace
from tests.kafka.conftest import SecuredKafka

try:  # `python -m pytest` puts the repo root on sys.path ...
    from tests.kafka.test_trace_redrive_kafka import seedsim
    from tests.unit.test_trace_redrive import SCENARIO, SCENARIO_TOLERANCES, driver_records, tolerance_args
except ImportError:  # ... plain `pytest` puts tests/ there (rootdir-relative packages)
    from kafka.test_trace_redrive_kafka import seedsim
    from unit.test_trace_redrive import SCENARIO, SCENARIO_TOLERANCES, driver_records, tolerance_args

pytestmark = pytest.mark.kafka


def kcat(*args: str) -> bytes:
    path = shutil.which("kcat")
    if path is None:
        pytest.fail("kcat is not installed: apt-get install kcat (Debian's package; CI installs it in .ci/run)")
    done = subprocess.run([path, *args], capture_output=True, timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return done.stdout


def topics_of(kafka: SecuredKafka, prefix: str) -> list[str]:
    """The broker's topics under ``prefix``, as ``kcat -L -J`` lists them (to the super user: the tester's tool)."""
    listing = json.loads(kcat("-L", "-J", *kafka.kcat()))
    return sorted(t["topic"] for t in listing["topics"] if t["topic"].startswith(prefix + "."))


def fields(path: Path) -> set[tuple[object, ...]]:
    return {
        (r.topic, r.partition, r.offset, r.timestamp_ms, e.tstype, r.key, r.value, r.headers)
        for e in read_trace(path)
        for r in [e.record]
    }


def test_a_kcat_capture_of_a_run_replays_to_the_runs_own_recorded_outcome(
    secured_kafka: SecuredKafka, tmp_path: Path
) -> None:
    prefix = f"seedsim.test-kcat-{uuid.uuid4().hex[:8]}"
    kafka, operator = secured_kafka.bootstrap, secured_kafka.admin_env  # the run and the replay create their topics
    run = seedsim(
        "run", str(SCENARIO), "--kafka", kafka, "--topic-prefix", prefix, "--record", "own.jsonl",
        cwd=tmp_path, env=operator,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    own = tmp_path / "own.jsonl"

    topics = topics_of(secured_kafka, prefix)
    assert {f"{prefix}.driver", f"{prefix}.interop", f"{prefix}.inbox.rs", f"{prefix}.inbox.me"} <= set(topics)
    captured = tmp_path / "kcat.jsonl"
    with captured.open("wb") as out:  # what a tester does: each topic from its beginning to its end, one file
        for topic in reversed(topics):  # the driver topic last: every message before what caused it
            out.write(kcat("-C", "-J", "-e", "-q", *secured_kafka.kcat(), "-t", topic, "-o", "beginning"))
    assert read_trace(captured).header is None, "kcat's file, as kcat wrote it"
    # the run's own recording and kcat read the same records at the same positions, field for field
    assert fields(captured) == fields(own)
    assert sum(e.record.topic.endswith(".driver") for e in read_trace(captured)) == len(driver_records(own)) == 60

    fresh_on_kafka = ("--kafka", kafka, "--topic-prefix", f"seedsim.test-kcat-fresh-{uuid.uuid4().hex[:8]}")
    for name, where, login in (("bus.jsonl", (), None), ("kafka.jsonl", fresh_on_kafka, operator)):
        replay = seedsim(
            "trace", "replay", str(captured), "--to", "RS,ME", "--fresh", *where, "--record", name,
            *tolerance_args(SCENARIO_TOLERANCES), cwd=tmp_path, env=login,
        )  # fmt: skip
        assert replay.returncode == 0, replay.stdout + replay.stderr
        assert "re-drove 2 fresh node(s) with 60 driver record(s)" in replay.stdout
        diff = seedsim("trace", "diff", str(own), name, cwd=tmp_path)
        assert diff.returncode == 0, f"{name}:\n{diff.stdout}"
        assert "EQUAL: the 12 consignments have the golden outcome" in diff.stdout
