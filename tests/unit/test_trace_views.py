"""The trace views on a real run: the demo on the in-process bus, recorded, written, read back, summarised."""

from __future__ import annotations

import json
from collections import Counter

import pytest

import seedsim.runners.demo as demo
from seedsim.core.interop import Stage, decode_interop
from seedsim.core.topics import Topics
from seedsim.core.transport.memory import InMemoryBus
from seedsim.runners.traces import TraceHeader, read_trace, write_trace
from seedsim.runners.traces.trace_stats import render_stats, trace_stats
from seedsim.runners.traces.trace_timeline import EventRow, MessageRow, render_timeline, trace_timeline

CONSIGNMENTS = 6
MALFORMED = ("broken_xml", "schema_violation")


@pytest.fixture
async def recorded(tmp_path, monkeypatch):
    """A demo run on a bus we hold, every record of every topic written to a trace: (path, demo result, bus)."""
    bus = InMemoryBus()
    monkeypatch.setattr(demo, "make_transport", lambda *args, **kwargs: bus)
    settings = demo.DemoSettings(
        consignments=CONSIGNMENTS, seed=7, discrepancies=2, malformed=MALFORMED, db_dir=tmp_path
    )
    result = await demo.run_demo(settings, out=lambda line: None)
    assert result.ok, result.counts
    t = Topics()
    topics = [t.interop, *(f(n) for n in ("RS", "ME") for f in (t.inbox, t.dead_letter))]
    records = sorted((r for topic in topics for r in bus.log(topic)), key=lambda r: r.timestamp_ms)  # as recorded
    path = tmp_path / "demo.trace.jsonl.gz"
    assert write_trace(path, TraceHeader(source="bus", scenario="demo", seed=7), records) == len(records)
    return path, result, bus


async def test_stats_of_a_recorded_run_equal_what_the_run_counted(recorded):
    path, result, bus = recorded
    stats = trace_stats(read_trace(path))
    summary = result.summary

    assert stats["stages"] == {stage.value: n for stage, n in summary.stages.items()}
    assert stats["topics"] == {  # the interop topic's records counted one by one, whatever batches carried them
        topic: sum(len(decode_interop(r.value)) if topic == "seedsim.interop" else 1 for r in bus.log(topic))
        for topic in ("seedsim.inbox.me", "seedsim.inbox.me.dlq", "seedsim.inbox.rs", "seedsim.interop")
    }
    assert (
        stats["topics"]["seedsim.inbox.me.dlq"] == stats["dead_lettered_copies"] == summary.count(Stage.DEAD_LETTERED)
    )
    # every message reached an inbox once and was received there once
    assert stats["messages"] == summary.count(Stage.RECEIVED) == sum(stats["types"].values())
    # business messages were logged as sent; acknowledgements as acked or nacked; the malformed ones were injected
    received = [r for r in summary.records if r.stage == Stage.RECEIVED]
    assert stats["types"] == dict(Counter(r.message_type for r in received))
    assert stats["types"]["ExportData"] == summary.count(Stage.SENT, "ExportData") + len(MALFORMED)
    assert stats["types"]["EntryConfirmation"] == summary.count(Stage.SENT, "EntryConfirmation")
    assert stats["types"]["Acknowledgement"] == summary.count(Stage.ACKED) + summary.count(Stage.NACKED)
    assert stats["senders"] == dict(Counter(r.sender for r in received))
    assert stats["receivers"] == dict(Counter(r.receiver for r in received))
    assert stats["records"] == sum(stats["topics"].values())
    assert json.loads(json.dumps(stats)) == stats


async def test_stats_print_as_aligned_columns(recorded):
    path, result, _ = recorded
    text = render_stats(trace_stats(read_trace(path)))
    blocks = text.strip().split("\n\n")
    assert [b.splitlines()[0].split()[0] for b in blocks[1:]] == ["topic", "sender", "receiver", "type", "stage"]
    for block in blocks:
        widths = {len(line) for line in block.splitlines()}
        assert len(widths) == 1, f"numbers right-aligned in one column:\n{block}"
    stage_lines = dict(line.rsplit(None, 1) for line in blocks[-1].splitlines()[1:])
    assert {k.strip(): int(v) for k, v in stage_lines.items()}["ack_received"] == result.summary.count(
        Stage.ACK_RECEIVED
    )


async def test_the_timeline_of_a_consignment_shows_exit_data_its_ack_and_the_entry_confirmation_in_order(recorded):
    path, result, _ = recorded
    matched = next(r.consignment for r in result.summary.records if r.stage == Stage.MATCHED)
    (conv,) = trace_timeline(read_trace(path), consignment=matched)
    assert conv.consignment == matched
    messages = conv.messages
    assert [(m.sender, m.receiver, m.type, m.event) for m in messages if m.type != "Acknowledgement"] == [
        ("RS", "ME", "ExportData", "PRE_ARRIVAL"),
        ("RS", "ME", "ExportData", "EXIT"),
        ("ME", "RS", "EntryConfirmation", "ENTRY"),
    ]
    exit_data = next(m for m in messages if m.event == "EXIT" and m.type == "ExportData")
    ack = next(m for m in messages if m.causation_id == exit_data.message_id)
    confirmation = next(m for m in messages if m.type == "EntryConfirmation")
    rows = conv.rows
    assert rows.index(exit_data) < rows.index(ack) < rows.index(confirmation)
    assert (ack.sender, ack.receiver, ack.type, ack.event) == ("ME", "RS", "Acknowledgement", "EXIT")
    # what the interop records say about the exit data: the receiver's verdict, its ack, the sender's latency
    latency = next(
        r.latency_ms
        for r in result.summary.records
        if r.stage == Stage.ACK_RECEIVED and r.message_id == exit_data.message_id
    )
    assert (exit_data.verdict, exit_data.rule, exit_data.ack, exit_data.latency_ms) == ("valid", None, "acked", latency)
    assert all(m.verdict == "valid" for m in messages)
    assert not any(m.dead_lettered or m.duplicates or m.deliveries != 1 for m in messages)
    events = [(r.node, r.stage) for r in rows if isinstance(r, EventRow)]
    assert events == [("RS", "submitted"), ("ME", "submitted"), ("ME", "matched")]
    assert rows.index(next(r for r in rows if isinstance(r, EventRow) and r.stage == "matched")) > rows.index(exit_data)

    text = render_timeline([conv])
    lines = text.splitlines()
    assert lines[0].startswith(f"consignment {matched}  ") and lines[0].endswith("(6 messages)")
    exit_line = next(line for line in lines if "ExportData (EXIT)" in line)
    assert "RS -> ME" in exit_line and "valid" in exit_line and "acked" in exit_line
    assert f"latency {latency:.1f} ms" in exit_line
    assert lines.index(exit_line) < next(i for i, line in enumerate(lines) if "EntryConfirmation (ENTRY)" in line)
    message_lines = [line for line in lines[1:] if "->" in line]
    assert len({line.index("->") for line in message_lines}) == 1, "columns line up"


async def test_the_timeline_shows_alerts_and_refused_messages(recorded):
    path, result, _ = recorded
    alert = next(r for r in result.summary.records if r.stage == Stage.ALERT)
    (conv,) = trace_timeline(read_trace(path), consignment=alert.consignment)
    (row,) = [r for r in conv.rows if isinstance(r, EventRow) and r.stage == "alert"]
    assert (row.node, row.result, row.detail) == (alert.node, alert.result, alert.detail)
    (line,) = [line for line in render_timeline([conv]).splitlines() if "alert (ENTRY)" in line]
    assert f"[{alert.node}]" in line and line.endswith(f"  {alert.result} {alert.detail}")

    (broken,) = trace_timeline(read_trace(path), consignment="MALFORMED-broken_xml")
    refused = next(m for m in broken.messages if m.type == "ExportData")
    invalid = next(
        r for r in result.summary.records if r.stage == Stage.INVALID and r.consignment == "MALFORMED-broken_xml"
    )
    assert (refused.verdict, refused.rule, refused.ack, refused.dead_lettered) == (
        "invalid",
        invalid.result,
        "nacked",
        invalid.result,
    )
    line = next(line for line in render_timeline([broken]).splitlines() if "ExportData" in line)
    assert f"invalid {invalid.result}" in line and "nacked" in line and f"dead-lettered ({invalid.result})" in line


async def test_the_timeline_is_filtered_by_consignment_node_and_type(recorded):
    path, result, _ = recorded
    everything = trace_timeline(read_trace(path))
    assert {c.consignment for c in everything} == {
        r.consignment for r in result.summary.records if r.consignment is not None
    }
    assert sum(len(c.messages) for c in everything) == result.summary.count(Stage.RECEIVED)

    exit_data = trace_timeline(read_trace(path), type="exportdata")
    assert {m.type for c in exit_data for m in c.messages} == {"ExportData"}
    assert sum(len(c.messages) for c in exit_data) == trace_stats(read_trace(path))["types"]["ExportData"]

    by_me = trace_timeline(read_trace(path), node="me")
    assert all(
        "ME" in ((r.sender, r.receiver) if isinstance(r, MessageRow) else (r.sender, r.receiver, r.node))
        for c in by_me
        for r in c.rows
    )
    assert not trace_timeline(read_trace(path), consignment="NO-SUCH-CONSIGNMENT")
    assert render_timeline([]) == ""


async def test_a_message_delivered_twice_is_one_row_that_says_so(recorded):
    path, _, _ = recorded
    entries = list(read_trace(path))
    replayed = next(e for e in entries if e.record.header("ce_type") == "org.seedsim.c2c.entry-confirmation.v1")
    (conv,) = trace_timeline([*entries, replayed], consignment=replayed.record.header("ce_subject"))
    (row,) = [m for m in conv.messages if m.type == "EntryConfirmation"]
    assert row.deliveries == 2
    assert "delivered 2x" in render_timeline([conv])
