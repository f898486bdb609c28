"""Interop records in batches: one Kafka record per node transaction, read back record by record by every reader."""

from __future__ import annotations

import asyncio
import json
import logging

from seedsim.core.interop import (
    BATCH_FORMAT,
    MAX_BATCH_BYTES,
    InteropBatch,
    InteropRecord,
    Stage,
    batch_values,
    decode_interop,
)
from seedsim.core.record_bounds import MAX_RECORD_BYTES, unsendable
from seedsim.core.sqlite_store import SqliteStore, Tx
from seedsim.core.topics import Topics
from seedsim.core.transport import Record
from seedsim.core.wco import MetaData
from seedsim.nodes.customs.customs_node import Event
from seedsim.runners.demo import DemoSettings, run_demo
from seedsim.runners.interop_summary import InteropSummary
from seedsim.runners.monitor.monitor_aggregate import MonitorAggregate
from seedsim.runners.monitor.monitor_ingest import MonitorIngest
from seedsim.runners.monitor.monitor_metrics import MonitorMetrics
from seedsim.runners.monitor.monitor_store import MonitorStore
from seedsim.samples.consignments import ConsignmentGenerator
from seedsim.samples.crossings import DEMO_CROSSINGS
from seedsim.utility_blocks import load_all

T = Topics()
CROSS = DEMO_CROSSINGS[0]
#: a record as the first wire format wrote it, one per Kafka value (traces recorded before batches hold these)
OLD = b'{"id":"r1","ts":"2025-01-01T00:00:00Z","node":"ME","stage":"valid","message_id":"m1","consignment":"U1"}'


def records(n: int, detail: str = "") -> list[InteropRecord]:
    return [
        InteropRecord(node="RS", stage=Stage.SENT, message_id=f"m{i}", consignment=f"C{i % 7}", detail=detail or None)
        for i in range(n)
    ]


# -- the wire format -------------------------------------------------------------------------------------------


def test_a_value_of_the_first_wire_format_reads_as_a_batch_of_one():
    [rec] = decode_interop(OLD)
    assert (rec.id, rec.node, rec.stage, rec.message_id, rec.consignment) == ("r1", "ME", Stage.VALID, "m1", "U1")
    # written over several lines, or with a newline after it, by an integrator's tool: still one record
    assert decode_interop(json.dumps(json.loads(OLD), indent=2).encode()) == [rec]
    assert decode_interop(OLD + b"\n") == [rec]


def test_a_batch_reads_back_as_the_records_in_their_order():
    recs = records(5) + [InteropRecord(node="ME", stage=Stage.ALERT, detail="line\nbreak \u00e9", ubs=["UB-SEED-EXIT"])]
    [value] = batch_values(recs)
    header, *lines = value.split(b"\n")
    assert json.loads(header) == {"format": BATCH_FORMAT, "version": 1, "records": 6}
    assert lines == [r.to_json() for r in recs], "each line is a record in the first wire format"
    assert decode_interop(value) == recs


def test_foreign_and_broken_values_hold_no_record():
    for value in (
        b"",
        b"not json at all",
        b"{}",
        b'{"node": "RS"}',
        b"\xff\xfe\x00",
        b"[1, 2, 3]\n[4]",
        b'{"format":"seedsim.interop.batch","version":99,"records":1}\n' + OLD,  # a version this code does not know
    ):
        assert decode_interop(value) == [], value
    # a broken line of a batch is left out; the other records of the batch still read
    [value] = batch_values(records(3))
    header, first, second, third = value.split(b"\n")
    assert [r.message_id for r in decode_interop(b"\n".join([header, first, b"{broken", third]))] == ["m0", "m2"]


def test_a_large_transaction_is_split_into_batches_under_the_record_bound():
    recs = records(3000, detail="x" * 250)  # some 1.3 MB of records: over the broker's record limit in one
    assert sum(len(r.to_json()) for r in recs) > MAX_RECORD_BYTES
    batches = InteropBatch(T.interop, "RS")(recs)
    assert len(batches) > 1
    assert all(unsendable(b) is None and len(b.value) <= MAX_BATCH_BYTES for b in batches)
    assert [r for b in batches for r in decode_interop(b.value)] == recs, "all of them, in order"
    assert {(b.topic, b.key) for b in batches} == {(T.interop, b"RS")}, "keyed by the node that wrote them"
    assert MAX_BATCH_BYTES < MAX_RECORD_BYTES


def test_a_record_larger_than_a_batch_travels_alone():
    recs = records(2) + records(1, detail="y" * 5000) + records(2)
    values = batch_values(recs, max_bytes=2000)
    assert [len(decode_interop(v)) for v in values] == [2, 1, 2]


# -- one batch per transaction --------------------------------------------------------------------------------


async def test_a_transaction_queues_its_interop_records_as_one_batch_and_a_failed_unit_none(tmp_path):
    store = SqliteStore(tmp_path / "s.sqlite3")
    await store.open()
    batch = InteropBatch(T.interop, "RS")

    def unit(tx: Tx, i: int) -> None:
        for stage in (Stage.RECEIVED, Stage.VALID, Stage.ACKED):
            tx.gather(batch, InteropRecord(node="RS", stage=stage, message_id=f"m{i}"))
        tx.send(Record(T.inbox("ME"), f"ack {i}".encode()))
        if i == 2:
            raise RuntimeError("this unit fails: its records are rolled back with it")

    try:
        _results, outbox, rest = await store.transaction_each(unit, [0, 1, 2, 3])
        assert rest == [2, 3]
        interop = [r for _, r in outbox if r.topic == T.interop]
        assert len(interop) == 1, "one Kafka record for the transaction's interop records"
        assert [(r.message_id, r.stage) for r in decode_interop(interop[0].value)] == [
            (f"m{i}", s) for i in (0, 1) for s in (Stage.RECEIVED, Stage.VALID, Stage.ACKED)
        ]
        unsent = [r for _, r in await store.unsent()]
        assert [r.value for r in unsent] == [r.value for _, r in outbox], "queued in the outbox, in the commit"
    finally:
        await store.close()


async def test_an_exchange_writes_a_batch_per_transaction_and_logs_a_line_per_record(corridor, caplog):
    bus, nodes = corridor
    c = ConsignmentGenerator(3, CROSS).make(1)
    with caplog.at_level(logging.INFO, logger="seedsim.interop"):
        lodged = await nodes["RS"].lodge(c.export.to_xml(MetaData(wco_type_name="DEC", responsible_country_code="RS")))
        assert lodged.accepted
        sent = await nodes["RS"].on_event(Event.EXIT, c.ucr, CROSS.exit_office, CROSS.entry_office)
        for _ in range(200):
            await asyncio.sleep(0.01)
            if any(r.stage == Stage.ACK_RECEIVED for b in bus.log(T.interop) for r in decode_interop(b.value)):
                break
    batches = bus.log(T.interop)
    recs = [r for b in batches for r in decode_interop(b.value)]
    assert ("RS", Stage.ACK_RECEIVED, sent["message_id"]) in {(r.node, r.stage, r.message_id) for r in recs}
    assert len(batches) < len(recs)
    assert all(b.key == decode_interop(b.value)[0].node.encode() for b in batches), "keyed by the node"
    assert all(len({r.node for r in decode_interop(b.value)}) == 1 for b in batches), "one node's transaction each"
    # ME handled the exit data in one transaction: received, valid, acked (and its own sent of the ack) in one batch
    me = [decode_interop(b.value) for b in batches if b.key == b"ME"]
    assert any({Stage.RECEIVED, Stage.VALID, Stage.ACKED} <= {r.stage for r in batch} for batch in me)
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "seedsim.interop"]
    assert sorted(line["id"] for line in lines) == sorted(r.id for r in recs), "one log line per interop record"


# -- readers see what they saw ---------------------------------------------------------------------------------


async def test_a_demo_on_the_bus_counts_what_it_counted_before_batches(tmp_path):
    heard: list[Record] = []

    def watch(transport, topics, nodes):
        async def keep(got):
            heard.extend(got)

        transport.subscribe([topics.interop], "test-batches", keep)

    result = await run_demo(
        DemoSettings(consignments=200, seed=2026, discrepancies=5, db_dir=tmp_path, watch=watch, show_flows=0),
        out=lambda s: None,
    )
    assert result.completed, result.counts
    # the figures the demo gives over Kafka (tests/kafka/test_exchange_over_kafka.py), as before batches
    c = result.counts
    assert (c["sent"], c["delivered"], c["valid"], c["acknowledged"]) == (600, 603, 600, 600), c
    assert (c["matched"], c["discrepancies"], c["rejected"], c["dead_lettered"]) == (195, 5, 3, 3), c
    recs = [r for b in heard for r in decode_interop(b.value)]
    assert len(recs) == len(result.summary.records)
    assert len(heard) * 3 < len(recs), f"{len(heard)} Kafka records for {len(recs)} interop records"
    # the same records one per Kafka value (the first wire format) are counted the same
    one_by_one = InteropSummary()
    for rec in (r for v in (x.to_json() for x in recs) for r in decode_interop(v)):
        one_by_one.add(rec)
    assert one_by_one.counts() == c


async def test_the_monitor_skips_a_foreign_value_and_counts_the_batches_around_it(tmp_path):
    store = MonitorStore(tmp_path / "monitor.sqlite3")
    await store.open()
    ingest = MonitorIngest(store, MonitorAggregate(load_all().values()), MonitorMetrics())
    good = records(4)
    first, second = batch_values(good[:2]), batch_values(good[2:])
    try:
        await ingest.handle(
            [
                Record(T.interop, first[0], b"RS"),
                Record(T.interop, b"someone else's record"),
                Record(T.interop, second[0], b"RS"),
            ]
        )
        assert ingest.unreadable == 1
        assert (await store.counts())["interop"] == 4, "each interop record stored alone"
        assert ingest.aggregate.counters()["sent"] == 4
        assert await ingest.rebuild() == 4, "and read back from the store, one by one"
    finally:
        await store.close()
