"""``seedsim report --kafka``: the report of a run's live topics, read after the run, is the run's own report."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest

from tests.kafka.conftest import SecuredKafka
from tests.unit.seedsim_cli import assert_no_traceback, seedsim

pytestmark = pytest.mark.kafka

#: what only says where a report came from (live topics carry no seed)
PROVENANCE = ("source", "run", "seed")


def _comparable(report: dict) -> dict:
    out = {k: v for k, v in report.items() if k not in PROVENANCE}
    out["ub_steps"] = {k: v for k, v in report["ub_steps"].items() if k not in ("from", "note")}
    return out


def _run(kafka: SecuredKafka, scenario: str, folder: Path, *extra: str) -> tuple[dict, str]:
    """Run ``scenario`` over Kafka with ``--report`` (as the operator); its report and the output it printed."""
    proc = seedsim(
        "run", scenario, "--kafka", kafka.bootstrap, "--report", str(folder), *extra, timeout=240, env=kafka.admin_env
    )
    assert_no_traceback(proc.stdout, proc.stderr)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads((folder / "report.json").read_text()), proc.stdout


def _report(kafka: SecuredKafka, prefix: str, *extra: str) -> dict:
    """``seedsim report --kafka`` of ``prefix``'s topics, read by the operator (the super user reads any topic)."""
    proc = seedsim(
        "report",
        "--kafka",
        kafka.bootstrap,
        "--topic-prefix",
        prefix,
        "--until",
        "idle:3s",
        "--format",
        "json",
        *extra,
        timeout=120,
        env=kafka.admin_env,
    )
    assert_no_traceback(proc.stdout, proc.stderr)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout)


def test_the_report_of_live_topics_is_the_runs_report(secured_kafka, tmp_path):
    """A run with dead letters, under the default topic prefix the run prints: the scenario is read from it."""
    ran, printed = _run(secured_kafka, "fault-malformed", tmp_path / "run")
    (prefix,) = re.findall(r"\(topics (\S+)\.\*\)", printed.splitlines()[0])
    live = _report(secured_kafka, prefix)
    assert live["source"] == {"kind": "kafka", "name": f"{secured_kafka.bootstrap} {prefix}", "unreadable": 0}
    assert live["expectations"]["evaluated"] is True
    assert _comparable(live) == _comparable(ran)
    assert live["dead_letters"]["total"] == ran["counts"]["dead_lettered"] > 0


def test_the_report_of_a_ub_run_on_live_topics_has_its_ub_steps(secured_kafka, tmp_path):
    prefix = f"seedsim.test-report-{uuid.uuid4().hex[:8]}"
    ran, _printed = _run(secured_kafka, "ub-seed-phyto", tmp_path / "run", "--topic-prefix", prefix)
    live = _report(secured_kafka, prefix, "--scenario", "ub-seed-phyto")
    assert _comparable(live) == _comparable(ran)
    assert live["ub_steps"]["steps"] and all(s["ok"] for s in live["ub_steps"]["steps"])
    junit = seedsim(
        "report",
        "--kafka",
        secured_kafka.bootstrap,
        "--topic-prefix",
        prefix,
        "--until",
        "idle:3s",
        "--format",
        "junit",
        "--scenario",
        "ub-seed-phyto",
        timeout=120,
        env=secured_kafka.admin_env,
    )
    assert junit.returncode == 0, junit.stderr
    assert junit.stdout.count("<testcase ") == len(ran["expectations"]["verdicts"]) + len(ran["ub_steps"]["steps"])


def test_mistakes_with_kafka_are_one_line_and_exit_2(secured_kafka):
    for args, said in (
        (("--until", "soon"), "--until"),
        (("--from", "yesterday"), "--from"),
        (("--topic-prefix", f"seedsim.nothing-{uuid.uuid4().hex[:8]}"), "no interop record"),
    ):
        proc = seedsim(
            "report", "--kafka", secured_kafka.bootstrap, *args, "--format", "json", timeout=120,
            env=secured_kafka.admin_env,
        )  # fmt: skip
        assert_no_traceback(proc.stdout, proc.stderr)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert said in proc.stderr and proc.stdout == ""
