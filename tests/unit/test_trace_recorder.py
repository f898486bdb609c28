"""The recording transport: every record sent, in the order sent, across topics; nothing a send refused."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from seedsim.core.transport import Record
from seedsim.core.transport.memory import InMemoryBus
from seedsim.runners.traces import read_trace, recording


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
    await transport.send_batch(sent[:2])
    await transport.send_batch(sent[2:])
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
    assert all(e.record.partition is None and e.record.offset is None for e in entries)
    assert [r.value for r in bus.log("p.inbox.me")] == [b"<a/>", b"\xff\xfe"], "the bus got them all"
    first = json.loads(path.read_text().splitlines()[1])
    assert (first["partition"], first["offset"]) == (-1, -1)


class Refusing(InMemoryBus):
    async def send_batch(self, records: Sequence[Record]) -> None:
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


def test_without_a_file_the_transport_is_not_wrapped() -> None:
    bus = InMemoryBus()
    assert recording(bus, None, None) is bus
