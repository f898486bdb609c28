"""Shipped scenarios over a real Apache Kafka broker: same expectations met as on the in-process bus."""

from __future__ import annotations

import uuid

import pytest

from seedsim.runners.scenarios.scenario_loader import SCENARIO_DIR, load
from seedsim.runners.scenarios.scenario_run import RunSettings, run_scenario

pytestmark = pytest.mark.kafka


@pytest.mark.parametrize(
    "name", ["western-balkans-corridor", "rs-me-seed-core", "risk-profiles", "fault-node-down", "fault-malformed"]
)
async def test_scenario_meets_its_expectations_over_kafka(name, kafka_bootstrap, tmp_path):
    lines: list[str] = []
    settings = RunSettings(
        kafka=kafka_bootstrap, topic_prefix=f"seedsim.test-{name}-{uuid.uuid4().hex[:8]}", db_dir=tmp_path
    )
    result = await run_scenario(load(SCENARIO_DIR / f"{name}.yaml"), settings, out=lines.append)
    assert result.completed, "\n".join(lines)
    assert [v.name for v in result.verdicts if not v.ok] == [], "\n".join(lines)
    assert result.ok
    assert "over Kafka" in lines[0]
