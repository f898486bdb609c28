"""``seedsim run --kafka ADDR --record t.jsonl``: each recorded record is where the broker has it.

The recorder writes what the Kafka adapter's ``send_batch`` returns, the records
as the broker placed them. Read back afterwards by a plain aiokafka consumer of
the run's topics, the broker holds at each recorded (topic, partition, offset)
the recorded payload, and nothing the recording left out. The scenario delays,
reorders and re-sends records (a fault-injecting proxy above the recorder), so
records sent late and sent twice are among them.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from seedsim.runners.traces import read_trace
from tests.kafka.conftest import SecuredKafka

try:  # `python -m pytest` puts the repo root on sys.path ...
    from tests.kafka.test_trace_capture_replay import everything_on
    from tests.unit.seedsim_cli import REPO, assert_no_traceback, seedsim
except ImportError:  # ... plain `pytest` puts tests/ there (rootdir-relative packages)
    from kafka.test_trace_capture_replay import everything_on
    from unit.seedsim_cli import REPO, assert_no_traceback, seedsim

pytestmark = pytest.mark.kafka


async def test_a_kafka_recording_has_the_brokers_partition_and_offset_for_every_record(
    secured_kafka: SecuredKafka, tmp_path: Path
) -> None:
    trace = tmp_path / "t.jsonl"
    prefix = f"seedsim.test-positions-{uuid.uuid4().hex[:8]}"
    proc = seedsim(
        "run", str(REPO / "scenarios" / "fault-duplicates-reordering.yaml"), "--kafka", secured_kafka.bootstrap,
        "--topic-prefix", prefix, "--record", str(trace), timeout=240, env=secured_kafka.admin_env,
    )  # fmt: skip
    assert_no_traceback(proc.stdout, proc.stderr)
    assert proc.returncode == 0, proc.stdout + proc.stderr

    entries = list(read_trace(trace))
    assert entries and all(e.record.partition is not None and e.record.offset is not None for e in entries)
    assert not any('"offset":-1' in line for line in trace.read_text().splitlines()), "no unknown position"
    assert {e.tstype for e in entries} == {"create"} and all(e.record.timestamp_ms for e in entries)
    recorded = [(e.record.topic, e.record.partition, e.record.offset, e.record.value) for e in entries]
    assert len(set(recorded)) == len(recorded), "each position once"

    topics = sorted({e.record.topic for e in entries})
    assert f"{prefix}.inbox.ba" in topics and f"{prefix}.interop" in topics, "delayed records and interop recorded"
    on_broker = await everything_on(secured_kafka, topics)
    assert set(recorded) == on_broker  # the same payload at the same topic, partition and offset; nothing more
