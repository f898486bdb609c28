"""One order across topics for re-driving: a capture's runs merged by timestamp, a recording as it was written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seedsim.core.transport import Record
from seedsim.runners.traces import TraceError, TraceHeader, write_trace
from seedsim.runners.traces.trace_format import SENT_ORDER, entry_to_json
from seedsim.runners.traces.trace_order import in_time_order

#: a run as sent: driver and inbox records interleaved in time, over two partitions of the driver topic
SENT = [
    Record("p.driver", b"lodge RS", b"RS", (), 1, 0, 100),
    Record("p.inbox.me", b"exit data", b"C1", (), 0, 0, 105),
    Record("p.driver", b"lodge ME", b"ME", (), 2, 0, 110),
    Record("p.interop", b"valid", None, (), 0, 0, 112),
    Record("p.driver", b"entry ME", b"ME", (), 2, 1, 120),
    Record("p.driver", b"query RS", b"RS", (), 1, 1, 125),  # written ahead of what it sent, in one batch
    Record("p.inbox.rs", b"entry confirmation", b"C1", (), 0, 0, 125),
    Record("p.inbox.me", b"query", b"C1", (), 0, 1, 125),
]


def kcat_file(path: Path, records: list[Record], *extra_lines: bytes) -> Path:
    """What kcat -C -J -e writes topic after topic (the driver topic last, partition 2 before 1): no header."""
    key = {"p.interop": 0, "p.inbox.rs": 1, "p.inbox.me": 2, "p.driver": 3}
    grouped = sorted(records, key=lambda r: (key[r.topic], -(r.partition or 0), r.offset))
    lines = [json.dumps(entry_to_json(r)).encode() for r in grouped]
    path.write_bytes(b"\n".join([*lines[:3], *extra_lines, *lines[3:]]) + b"\n")
    return path


def test_a_capture_grouped_by_topic_is_merged_back_into_the_order_of_sending(tmp_path: Path) -> None:
    ordered = in_time_order(kcat_file(tmp_path / "kcat.jsonl", SENT))
    # ties (125): a driver record first, then the run that comes first in the file
    assert [e.record for e in ordered] == SENT
    assert ordered.header is None and ordered.skipped == []


def test_a_recording_is_played_in_the_order_it_was_written(tmp_path: Path) -> None:
    written = [SENT[1], SENT[0], *SENT[2:]]  # sent in this order, whatever the timestamps say
    path = tmp_path / "recording.jsonl.gz"
    write_trace(path, TraceHeader(source="bus", order=SENT_ORDER), written)
    assert [e.record for e in in_time_order(path)] == written


def test_a_bad_line_of_a_capture_stops_before_anything_is_handed_out_unless_skipped(tmp_path: Path) -> None:
    path = kcat_file(tmp_path / "kcat.jsonl", SENT, b"{not json")
    with pytest.raises(TraceError) as raised:
        next(iter(in_time_order(path)))
    assert raised.value.line == 4
    said: list[TraceError] = []
    ordered = in_time_order(path, skip_bad=True, on_bad=said.append)
    assert [e.record for e in ordered] == SENT
    assert [e.line for e in ordered.skipped] == [4] and said == ordered.skipped
