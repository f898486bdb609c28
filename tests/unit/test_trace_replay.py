"""``trace replay`` on real runs: pacing on recorded send times, idempotency against the nodes of a recorded demo.

The demo is played on the in-process bus with its node databases kept, its
records written as a trace; the same nodes (same databases) are started again
and the trace's inbound messages replayed into them. Every expectation comes
from the recorded run (its inbox records, its ids), never from the replay.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pytest

import seedsim.runners.demo as demo
from seedsim.bootstrap import running_network
from seedsim.config import NodeConfig
from seedsim.core.interop import InteropRecord, Stage, decode_interop
from seedsim.core.topics import Topics
from seedsim.core.transport import Record
from seedsim.core.transport.memory import InMemoryBus
from seedsim.runners.traces import TraceHeader, TraceWriter, read_trace
from seedsim.runners.traces.trace_replay import HandledWatch, replay
from seedsim.samples.crossings import DEMO_CROSSINGS

T = Topics()
NODES = ("RS", "ME")


def inbound(key: str, ts: int, n: int, node: str = "me") -> Record:
    return Record(
        topic=f"seedsim.inbox.{node}",
        value=f"<m>{n}</m>".encode(),
        key=key.encode(),
        headers=(("ce_id", f"id-{n}".encode()), ("x-repeat", b"a"), ("x-repeat", b"b")),
        timestamp_ms=ts,
    )


# -- pacing ------------------------------------------------------------------------------------------


def test_replay_at_10x_keeps_order_and_scales_the_recorded_gaps_capped_by_max_wait(tmp_path: Path) -> None:
    base = 1_700_000_000_000
    # recorded gaps between the ME inbox records: 1000 ms, 20000 ms (capped), 500 ms
    records = [
        inbound("A", base, 1),
        Record(topic=T.dead_letter("ME"), value=b"dead", timestamp_ms=base + 10),
        inbound("B", base + 1000, 2),
        Record(topic=T.interop, value=b"{}", timestamp_ms=base + 1500),
        inbound("A", base + 21000, 3),
        inbound("C", base + 21200, 99, node="rs"),
        inbound("A", base + 21500, 4),
    ]
    path = tmp_path / "gaps.trace.jsonl"
    with TraceWriter(path, TraceHeader(source="bus")) as writer:
        writer.write_all(records)

    bus = InMemoryBus()

    async def go():
        await bus.start()
        try:
            return await replay(read_trace(path), ["ME"], bus, speed=10, max_wait_s=0.5)
        finally:
            await bus.stop()

    report = asyncio.run(go())

    # only ME's inbox records, in the recorded order, keys and every header kept
    expected = [r for r in records if r.topic == T.inbox("ME")]
    got = bus.log(T.inbox("ME"))
    assert [(r.key, r.value, r.headers) for r in got] == [(r.key, r.value, r.headers) for r in expected]
    assert bus.log(T.inbox("RS")) == [] and bus.log(T.dead_letter("ME")) == [] and bus.log(T.interop) == []
    assert [s.ce_id for s in report.sent] == ["id-1", "id-2", "id-3", "id-4"]
    assert [s.line for s in report.sent] == [2, 4, 6, 8]  # line 1 is the header
    assert report.read == len(records) and report.left_out == 3 and not report.interrupted

    gaps = [b.sent_at - a.sent_at for a, b in zip(report.sent, report.sent[1:], strict=False)]
    scaled = [0.1, 0.5, 0.05]  # 1000/10, min(20000/10, 0.5), 500/10 ms -> s
    assert all(gap >= want for gap, want in zip(gaps, scaled, strict=True)), gaps
    # faster than recorded (1 s, 20 s, 0.5 s), and the long gap was capped well below its 10x value (2 s)
    assert gaps[0] < 1.0 and gaps[1] < 2.0 and gaps[2] < 0.5, gaps


def test_replay_at_max_speed_does_not_wait_and_rewrite_ids_renames_consistently() -> None:
    base = 1_700_000_000_000
    first = inbound("A", base, 1)
    answer = Record(
        topic="seedsim.inbox.me",
        value=b"<Ack><FunctionalReferenceID>id-1</FunctionalReferenceID></Ack>",
        key=b"A",
        headers=(("ce_id", b"id-2"), ("ce_correlationid", b"id-1"), ("ce_causationid", b"id-1")),
        timestamp_ms=base + 60_000,
    )
    bus = InMemoryBus()

    async def go():
        await bus.start()
        try:
            return await replay([first, answer], ["ME"], bus, speed=None, max_wait_s=30, rewrite_ids=True)
        finally:
            await bus.stop()

    report = asyncio.run(go())
    got = bus.log(T.inbox("ME"))
    new1, new2 = report.rewritten["id-1"], report.rewritten["id-2"]
    assert len({new1, new2, "id-1", "id-2"}) == 4
    assert got[0].header("ce_id") == new1
    assert got[1].header("ce_id") == new2
    assert got[1].header("ce_correlationid") == new1 and got[1].header("ce_causationid") == new1
    assert got[1].value == f"<Ack><FunctionalReferenceID>{new1}</FunctionalReferenceID></Ack>".encode()
    assert report.sent[1].sent_at - report.sent[0].sent_at < 30  # a minute recorded, no pause at max speed


# -- idempotency -------------------------------------------------------------------------------------


def demo_configs() -> list[NodeConfig]:
    return [
        NodeConfig(node=c, partners=[p for p in NODES if p != c], crossings=DEMO_CROSSINGS, topic_prefix=T.prefix)
        for c in NODES
    ]


def record_demo(tmp_path: Path, consignments: int = 4) -> tuple[Path, Path, list[Record]]:
    """The demo on the bus, its node databases kept: (trace, database folder, the run's records)."""
    db_dir = tmp_path / "nodes"
    recorded_bus = InMemoryBus()
    settings = demo.DemoSettings(consignments=consignments, seed=7, discrepancies=1, db_dir=db_dir, timeout=60)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(demo, "make_transport", lambda *args, **kwargs: recorded_bus)
        result = asyncio.run(demo.run_demo(settings, out=lambda _: None))
    assert result.completed
    topics = [T.interop, *(f(n) for n in NODES for f in (T.inbox, T.dead_letter))]
    run = sorted((r for t in topics for r in recorded_bus.log(t)), key=lambda r: r.timestamp_ms or 0)
    path = tmp_path / "demo.trace.jsonl.gz"
    with TraceWriter(path, TraceHeader(source="bus", scenario="demo", seed=7)) as writer:
        writer.write_all(run)
    return path, db_dir, run


def test_replaying_a_recorded_demo_into_the_same_nodes_reports_every_message_as_a_duplicate(tmp_path: Path) -> None:
    path, db_dir, run = record_demo(tmp_path)
    inbox_ids = [r.header("ce_id") for r in run if r.topic in (T.inbox("RS"), T.inbox("ME"))]
    assert inbox_ids and all(inbox_ids)
    stages_before = Counter(rec.stage.value for r in run if r.topic == T.interop for rec in decode_interop(r.value))

    bus = InMemoryBus()
    seen: list[InteropRecord] = []
    all_in = asyncio.Event()

    async def on_interop(records) -> None:
        seen.extend(rec for r in records for rec in decode_interop(r.value))
        if sum(r.stage == Stage.DUPLICATE for r in seen) >= len(inbox_ids):
            all_in.set()

    async def go():
        bus.subscribe([T.interop], group="test-monitor", handler=on_interop)
        async with running_network(demo_configs(), bus, db_dir=db_dir):
            report = await replay(read_trace(path), list(NODES), bus, speed=None)
            await asyncio.wait_for(all_in.wait(), 30)
            await asyncio.sleep(0.3)  # anything a node did besides reporting duplicates would show by now
            return report

    report = asyncio.run(go())
    assert [s.ce_id for s in report.sent] == inbox_ids
    # every replayed message a duplicate, each once, and nothing else happened: no verdict, no answer sent
    assert Counter(r.stage for r in seen) == Counter({Stage.DUPLICATE: len(inbox_ids)})
    assert Counter(r.message_id for r in seen) == Counter(inbox_ids)
    assert len(bus.log(T.inbox("RS"))) + len(bus.log(T.inbox("ME"))) == len(inbox_ids)
    assert bus.log(T.dead_letter("RS")) == [] and bus.log(T.dead_letter("ME")) == []
    assert stages_before[Stage.DUPLICATE.value] == 0


# -- bad traces --------------------------------------------------------------------------------------

GOOD = '{"topic":"seedsim.inbox.me","partition":0,"offset":%d,"tstype":"create","ts":%d,"broker":-1,"headers":["ce_id","id-%d"],"key":"A","payload":"<m/>"}\n'


def good(n: int) -> str:
    return GOOD % (n, 1_700_000_000_000 + n, n)


BAD_LINES = {
    "not JSON": ("{not json\n", "not JSON"),
    "missing field": ('{"topic":"seedsim.inbox.me","partition":0,"offset":9,"payload":"x"}\n', "has no 'key'"),
    "bad base64": (
        '{"topic":"seedsim.inbox.me","partition":0,"offset":9,"key":null,"payload":"%%%","payload_encoding":"base64"}\n',
        "declared base64 but is not base64",
    ),
}


@pytest.mark.parametrize("kind", sorted(BAD_LINES))
def test_a_bad_line_stops_the_replay_there_naming_the_line_unless_skip_bad(tmp_path: Path, kind: str) -> None:
    bad, says = BAD_LINES[kind]
    path = tmp_path / "bad.trace.jsonl"
    path.write_text('{"seedsim_trace":1}\n' + good(1) + good(2) + bad + good(4))

    async def go(skip_bad: bool):
        bus = InMemoryBus()
        await bus.start()
        try:
            return bus, await replay(read_trace(path, skip_bad=skip_bad), ["ME"], bus, speed=None)
        finally:
            await bus.stop()

    sent_before: list[str | None] = []

    async def stopped():
        bus = InMemoryBus()
        await bus.start()
        try:
            await replay(read_trace(path), ["ME"], bus, speed=None)
        finally:
            sent_before.extend(r.header("ce_id") for r in bus.log(T.inbox("ME")))
            await bus.stop()

    with pytest.raises(ValueError) as failed:
        asyncio.run(stopped())
    assert str(failed.value).startswith(f"{path}: line 4: ") and says in str(failed.value)
    assert sent_before == ["id-1", "id-2"]  # what came before it was sent, nothing past it

    bus, report = asyncio.run(go(skip_bad=True))
    assert [r.header("ce_id") for r in bus.log(T.inbox("ME"))] == ["id-1", "id-2", "id-4"]
    assert [s.line for s in report.sent] == [2, 3, 5]


def test_a_bad_line_at_paced_speed_stops_after_the_records_before_it(tmp_path: Path) -> None:
    path = tmp_path / "cut.trace.jsonl"
    path.write_text(good(1) + good(2) + good(3)[:40])  # kcat's file (no header), cut in the middle of line 3
    bus = InMemoryBus()

    async def go():
        await bus.start()
        try:
            await replay(read_trace(path), ["ME"], bus, speed=1, max_wait_s=0.01)
        finally:
            await bus.stop()

    with pytest.raises(ValueError, match=r"line 3: the file ends in the middle of this record"):
        asyncio.run(go())
    assert [r.header("ce_id") for r in bus.log(T.inbox("ME"))] == ["id-1", "id-2"]


def test_a_recorded_demo_replayed_into_a_fresh_node_on_the_bus_gets_the_golden_verdicts(tmp_path: Path) -> None:
    path, _, run = record_demo(tmp_path)

    def verdicts(records: list[Record]) -> dict[str, str]:
        out = {}
        for rec in (rec for r in records for rec in decode_interop(r.value)):
            if rec.node == "ME" and rec.stage in (Stage.VALID, Stage.INVALID) and rec.message_id:
                out[rec.message_id] = rec.stage.value
        return out

    golden = verdicts([r for r in run if r.topic == T.interop])
    assert Counter(golden.values())[Stage.INVALID.value] >= 1 and Counter(golden.values())[Stage.VALID.value] >= 1
    bus = InMemoryBus()

    async def go():
        watch = HandledWatch(bus, T.interop, ["ME"])
        async with running_network([NodeConfig(node="ME", topic_prefix=T.prefix)], bus):
            report = await replay(read_trace(path), ["ME"], bus, speed=None)
            report.unhandled = await watch.wait(report, 30)
            return report

    report = asyncio.run(go())
    assert report.unhandled == [] and len(report.sent) == sum(r.topic == T.inbox("ME") for r in run)
    assert verdicts(bus.log(T.interop)) == golden
