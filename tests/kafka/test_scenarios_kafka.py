"""Shipped scenarios over a real Apache Kafka broker: same expectations met as on the in-process bus."""

from __future__ import annotations

import subprocess
import uuid

import pytest

from seedsim.core.topics import Topics
from seedsim.runners.scenarios.scenario_loader import SCENARIO_DIR, load
from seedsim.runners.scenarios.scenario_run import RunSettings, run_scenario

pytestmark = pytest.mark.kafka


@pytest.mark.parametrize(
    "name",
    [
        "western-balkans-corridor",
        "rs-me-seed-core",
        "risk-profiles",
        "fault-node-down",
        "fault-malformed",
        # the SAFE completeness alerts and the AEO mutual recognition's lower-risk alerts, as on the bus
        "ub-safe-advance-cargo",
        "aeo-mra-risk",
    ],
)
async def test_scenario_meets_its_expectations_over_kafka(name, secured_kafka, tmp_path):
    lines: list[str] = []
    settings = RunSettings(
        kafka=secured_kafka.bootstrap,
        kafka_credentials=secured_kafka.admin,  # a run plays every node in one process: the operator, as in compose
        topic_prefix=f"seedsim.test-{name}-{uuid.uuid4().hex[:8]}",
        db_dir=tmp_path,
    )
    result = await run_scenario(load(SCENARIO_DIR / f"{name}.yaml"), settings, out=lines.append)
    assert result.completed, "\n".join(lines)
    assert [v.name for v in result.verdicts if not v.ok] == [], "\n".join(lines)
    assert result.ok
    assert "over Kafka" in lines[0]


async def test_foreign_records_on_the_interop_topic_are_skipped_not_fatal(secured_kafka, tmp_path):
    """Someone else's records on the interop topic (not JSON, JSON of another shape), written with kcat before the
    run: every reader of the topic (the runner, the nodes' replay watch, the monitor) skips them and the run's
    expectations are met as without them."""
    prefix = f"seedsim.test-foreign-{uuid.uuid4().hex[:8]}"
    junk = b"not json at all\n" + b'{"node": 42, "stage": "no such stage"}\n' + b"[1, 2, 3]\n"
    await secured_kafka.create_topics(Topics(prefix).interop)  # the broker makes no topic on first use
    subprocess.run(
        ["kcat", "-P", *secured_kafka.kcat(), "-t", Topics(prefix).interop], input=junk, check=True, timeout=60
    )
    lines: list[str] = []
    settings = RunSettings(
        kafka=secured_kafka.bootstrap, kafka_credentials=secured_kafka.admin, topic_prefix=prefix, db_dir=tmp_path
    )
    result = await run_scenario(load(SCENARIO_DIR / "rs-me-seed-core.yaml"), settings, out=lines.append)
    assert result.completed and result.ok, "\n".join(lines)
