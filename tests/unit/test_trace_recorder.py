"""The recording transport: every record sent, in the order sent, across topics, where the transport put it;
nothing a send refused."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pytest

from seedsim.core.topics import Topics
from seedsim.core.transport import Record
from seedsim.core.transport.memory import InMemoryBus
from seedsim.runners.scenarios.transport_faults import FaultyTransport
from seedsim.runners.traces import TraceEntry, read_trace, recording
from tests.unit.seedsim_cli import REPO, assert_no_traceback, seedsim


async def test_records_are_written_as_sent_in_order_with_the_bus_as_source(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    bus = InMemoryBus()
    transport = recording(bus, path, None, scenario="s", seed=3)
    await transport.start()
    sent = [
        Record("p.inbox.me", b"<a/>", b"K1", (("ce_id", b"1"), ("ce_id", b"again"))),
        Record("p.interop", b"{}", None),
        Record("p.inbox.me", b"\xff\xfe", b"K2"),
    ]
    placed = [*await transport.send_batch(sent[:2]), *await transport.send_batch(sent[2:])]
    await transport.stop()
    reader = read_trace(path)
    entries = list(reader)
    assert reader.header is not None and (reader.header.source, reader.header.scenario, reader.header.seed) == (
        "bus",
        "s",
        3,
    )
    assert [(e.record.topic, e.record.value, e.record.key, e.record.headers) for e in entries] == [
        (r.topic, r.value, r.key, r.headers) for r in sent
    ]
    assert {e.tstype for e in entries} == {"logappend"}
    assert [r.value for r in bus.log("p.inbox.me")] == [b"<a/>", b"\xff\xfe"], "the bus got them all"
    # where the bus put each record: the trace and what send_batch returned say the same
    on_bus = [bus.log("p.inbox.me")[0], bus.log("p.interop")[0], bus.log("p.inbox.me")[1]]
    assert placed == on_bus
    assert [(r.partition, r.offset, r.timestamp_ms) for r in placed] == [
        (0, 0, on_bus[0].timestamp_ms),
        (0, 0, on_bus[1].timestamp_ms),
        (0, 1, on_bus[2].timestamp_ms),
    ]
    assert [(e.record.partition, e.record.offset, e.record.timestamp_ms) for e in entries] == [
        (r.partition, r.offset, r.timestamp_ms) for r in on_bus
    ]
    third = json.loads(path.read_text().splitlines()[3])
    assert (third["topic"], third["partition"], third["offset"], third["tstype"]) == ("p.inbox.me", 0, 1, "logappend")


class Refusing(InMemoryBus):
    async def send_batch(self, records: Sequence[Record]) -> list[Record]:
        raise ConnectionError("broker gone")


async def test_a_send_the_transport_refused_is_not_in_the_trace(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl.gz"
    transport = recording(Refusing(), path, "localhost:9092")
    await transport.start()
    with pytest.raises(ConnectionError):
        await transport.send_batch([Record("p.inbox.me", b"x")])
    await transport.stop()
    reader = read_trace(path)
    assert list(reader) == []
    assert reader.header is not None and reader.header.source == "kafka localhost:9092"


async def test_under_a_delaying_proxy_a_held_record_is_recorded_where_it_landed_when_it_was_sent(
    tmp_path: Path,
) -> None:
    path = tmp_path / "t.jsonl"
    bus = InMemoryBus()
    topics = Topics("p")
    proxy = FaultyTransport(recording(bus, path, None), topics, seed=1)
    proxy.delay("ME", ms=50)
    await proxy.start()
    held = Record(topics.inbox("ME"), b"<held/>", b"K")
    returned = await proxy.send_batch([held, Record(topics.interop, b"{}"), Record(topics.inbox("RS"), b"<now/>")])
    assert [(r.topic, r.value, r.offset) for r in returned] == [
        (topics.interop, b"{}", 0),
        (topics.inbox("RS"), b"<now/>", 0),
    ]
    assert bus.log(topics.inbox("ME")) == [], "held back: not on the bus yet"
    await proxy.send_batch([Record(topics.interop, b"{}")])
    await proxy.stop()  # sends what is still held, then stops
    entries = list(read_trace(path))
    assert [(e.record.topic, e.record.partition, e.record.offset) for e in entries] == [
        (topics.interop, 0, 0),
        (topics.inbox("RS"), 0, 0),
        (topics.interop, 0, 1),
        (topics.inbox("ME"), 0, 0),
    ]
    assert entries[-1].record == bus.log(topics.inbox("ME"))[0]


def recorded_run(scenario: str, trace: Path) -> list[TraceEntry]:
    proc = seedsim("run", str(REPO / "scenarios" / f"{scenario}.yaml"), "--record", str(trace), timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert_no_traceback(proc.stdout, proc.stderr)
    return list(read_trace(trace))


def test_a_recorded_run_with_delays_and_duplicates_has_every_position_of_every_topic(tmp_path: Path) -> None:
    entries = recorded_run("fault-duplicates-reordering", tmp_path / "run.jsonl")
    offsets: dict[str, list[int]] = {}
    for e in entries:
        assert e.record.partition == 0 and e.record.offset is not None, e  # the bus has one partition
        assert e.tstype == "logappend" and e.record.timestamp_ms
        offsets.setdefault(e.record.topic, []).append(e.record.offset)
    for topic, seen in offsets.items():
        assert seen == list(range(len(seen))), f"{topic}: each offset once, from 0, in order, no gap"
    inboxes = {t for t in offsets if ".inbox." in t and not t.endswith(".dlq")}
    assert {t.rsplit(".", 1)[1] for t in inboxes} == {"rs", "me", "ba"}, "delayed records (to BA) are recorded"
    to_me = Counter(e.record.header("ce_id") for e in entries if e.record.topic.endswith(".inbox.me"))
    assert sum(n - 1 for n in to_me.values()) == 8, "each re-sent duplicate is recorded, where it landed"
    without_header = [line for line in (tmp_path / "run.jsonl").read_text().splitlines()[1:]]
    assert not any('"partition":-1' in line or '"offset":-1' in line for line in without_header)


def test_without_a_file_the_transport_is_not_wrapped() -> None:
    bus = InMemoryBus()
    assert recording(bus, None, None) is bus
