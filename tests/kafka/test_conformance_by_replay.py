"""Conformance by replay: a golden run's messages to ME replayed into a separately started node standing as ME.

What an integrator does with their own implementation, done here with a seedsim
node started on its own (``seedsim node``) under another topic prefix of the
same real broker:

1. ``seedsim run SCENARIO --kafka --record golden.jsonl`` -- the golden run;
2. the system under test is started standing as ME;
3. ``seedsim trace replay golden.jsonl --to ME --kafka ... --topic-prefix SUT --record actual.jsonl``
   sends it every message the golden ME received and records its answers;
4. ``seedsim trace diff golden.jsonl actual.jsonl --node ME`` compares ME's verdicts,
   acknowledgements and dead letters.

A node configured as the golden one gives the golden outcome; one configured
with other partners (not RS) is named for every consignment RS sent to it.
Expectations are read from the golden trace as plain JSON, never from seedsim.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

import pytest

try:  # `python -m pytest` puts the repo root on sys.path ...
    from tests.kafka.test_trace_redrive_kafka import seedsim
    from tests.unit.seedsim_cli import REPO, Running, free_port
except ImportError:  # ... plain `pytest` puts tests/ there (rootdir-relative packages)
    from kafka.test_trace_redrive_kafka import seedsim
    from unit.seedsim_cli import REPO, Running, free_port

from tests.kafka.conftest import SecuredKafka

pytestmark = pytest.mark.kafka

SCENARIO = REPO / "scenarios" / "fault-malformed.yaml"  # valid traffic RS -> ME, and records ME refuses


def sent_by_rs_to_me(golden: Path) -> set[str]:
    """The consignments (ce_subject) of the records on ME's inbox that say they come from RS."""
    subjects = set()
    for line in golden.read_text().splitlines()[1:]:
        entry = json.loads(line)
        if not entry["topic"].endswith(".inbox.me"):
            continue
        pairs = entry.get("headers") or []
        headers = dict(zip(pairs[::2], pairs[1::2], strict=True))
        if headers.get("ce_source", "").endswith("RS"):
            subjects.add(headers["ce_subject"])
    return subjects


def against(
    golden: Path, tmp_path: Path, kafka: SecuredKafka, name: str, partners: str
) -> subprocess.CompletedProcess[str]:
    """Start a node standing as ME with ``partners`` (logged in as ME, on a network the administrator set up),
    replay the golden messages to it as the operator, diff its answers."""
    prefix = f"seedsim.test-sut-{name}-{uuid.uuid4().hex[:8]}"
    # on the network: the golden run's senders (HR, its unknown sender, is answered too) and ME's partners
    kafka.set_up(["ME", "RS", "HR", *partners.split(",")], prefix=prefix)
    sut = Running(
        "node", "--country", "ME", "--port", str(free_port()), "--db", str(tmp_path / f"{name}.sqlite3"),
        "--kafka", kafka.bootstrap, "--topic-prefix", prefix, "--partners", partners, "--keys", str(tmp_path / "keys"),
        env=kafka.env(kafka.user("ME")),
    )  # fmt: skip
    try:
        sut.wait_for("listening on", timeout=120)
        # the replay re-signs each message with its sender's key in the keys the node under test trusts
        replay = seedsim(
            "trace", "replay", str(golden), "--to", "ME", "--kafka", kafka.bootstrap, "--topic-prefix", prefix,
            "--record", f"{name}.jsonl", "--keys", str(tmp_path / "keys"), cwd=tmp_path, env=kafka.admin_env,
        )  # fmt: skip
        assert replay.returncode == 0, replay.stdout + replay.stderr
    finally:
        sut.stop()
    return seedsim("trace", "diff", str(golden), f"{name}.jsonl", "--node", "ME", cwd=tmp_path)


def test_a_node_under_test_is_compared_on_what_it_received_and_its_deviations_are_named(
    secured_kafka: SecuredKafka, tmp_path: Path
) -> None:
    run = seedsim(
        "run", str(SCENARIO), "--kafka", secured_kafka.bootstrap,
        "--topic-prefix", f"seedsim.test-gold-{uuid.uuid4().hex[:8]}", "--record", "golden.jsonl", cwd=tmp_path,
        env=secured_kafka.admin_env,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    golden = tmp_path / "golden.jsonl"
    from_rs = sent_by_rs_to_me(golden)
    assert len(from_rs) == 14  # 10 consignments, and the 4 malformed records said to come from RS

    same = against(golden, tmp_path, secured_kafka, "same", "RS")
    assert same.returncode == 0, same.stdout
    assert "EQUAL" in same.stdout
    assert "not compared: matching, alerts and risk alerts: only the messages ME received" in same.stdout

    other = against(golden, tmp_path, secured_kafka, "other", "AL,BA")
    assert other.returncode == 1, other.stdout
    assert f"DIFFERENT: {len(from_rs)} of " in other.stdout
    for subject in from_rs:
        assert f"consignment {subject}: " in other.stdout
    valid = [s for s in from_rs if "MALFORMED" not in s and "FAULT" not in s]
    assert len(valid) == 10
    for when in ("PRE_ARRIVAL", "EXIT"):
        line = f"ExportData RS -> ME on {when}: golden accepted it, actual refused it with F301"
        assert other.stdout.count(line) == len(valid), other.stdout
