"""The veterinary certificate link over a real Apache Kafka broker: the ub-seed-vet scenario (the UB's steps, then
certificates valid, missing, withdrawn, replaced and mismatched) meets the same exact expectations as on the bus."""

from __future__ import annotations

import uuid

import pytest

from seedsim.runners.scenarios.scenario_loader import SCENARIO_DIR, load
from seedsim.runners.scenarios.scenario_run import RunSettings, run_scenario

pytestmark = pytest.mark.kafka


async def test_the_certificate_link_raises_the_same_alerts_over_kafka(secured_kafka, tmp_path):
    lines: list[str] = []
    settings = RunSettings(
        kafka=secured_kafka.bootstrap,
        kafka_credentials=secured_kafka.admin,  # a run plays every node in one process: the operator, as in compose
        topic_prefix=f"seedsim.test-vet-{uuid.uuid4().hex[:8]}",
        db_dir=tmp_path,
    )
    result = await run_scenario(load(SCENARIO_DIR / "ub-seed-vet.yaml"), settings, out=lines.append)
    assert result.completed, "\n".join(lines)
    assert [v.name for v in result.verdicts if not v.ok] == [], "\n".join(lines)
    assert result.ok and "over Kafka" in lines[0]
    text = "\n".join(lines)
    assert "ok   alerts_by_rule.CRT501" in text and "ok   alerts_by_rule.CRT502" in text
    assert "ok   alerts_by_rule.CRT503" in text
    assert "RS-VET -> ME" in text  # the mismatch names the authority that sent the certificate
