"""Trace files: what is written is read back exactly, kcat's files read as they are, bad lines are named."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from seedsim.core.transport import Record
from seedsim.runners.traces import (
    FORMAT_VERSION,
    TraceEntry,
    TraceError,
    TraceHeader,
    TraceWriter,
    read_trace,
    write_trace,
)

KCAT_ORDER = ["topic", "partition", "offset", "tstype", "ts", "broker", "headers", "key", "payload"]

RECORDS = [
    Record(
        "seedsim.inbox.me",
        "<Declaration>Šabac – Podgorica</Declaration>".encode(),
        b"24RS-C0001",
        (("ce_id", b"a1"), ("ce_source", b"urn:seedsim:node:RS"), ("x", b"1"), ("x", b"2"), ("empty", b"")),
        0,
        7,
        1_700_000_000_123,
    ),
    Record("seedsim.inbox.rs", b"\x00\xff\xfe binary", None, (("sig", b"\x80\x81"),), 2, 0, 1_700_000_000_200),
    Record("seedsim.interop", b'{"stage":"sent"}', b"\xc3\x28", (), 1, 3, 1_700_000_000_300),
    Record("seedsim.inbox.me", b"", None),  # never sent: no partition, offset or timestamp
]


def lines(path: Path) -> list[dict]:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


@pytest.mark.parametrize("name", ["run.trace.jsonl", "run.trace.jsonl.gz"])
def test_records_written_are_read_back_exactly_with_the_header(tmp_path, name):
    path = tmp_path / name
    header = TraceHeader(source="kafka localhost:9092", scenario="corridor", seed=42, extra={"note": "kept"})
    assert write_trace(path, header, RECORDS) == len(RECORDS)

    reader = read_trace(path)
    assert reader.header == header
    entries = list(reader)
    assert [e.record for e in entries] == RECORDS
    assert [e.line for e in entries] == [2, 3, 4, 5]
    assert [e.tstype for e in entries] == ["create", "create", "create", "unknown"]
    assert path.read_bytes().startswith(b"\x1f\x8b") == name.endswith(".gz")


def test_a_line_has_kcats_fields_in_kcats_order_and_declares_only_the_encodings_it_needs(tmp_path):
    path = tmp_path / "t.jsonl"
    write_trace(path, TraceHeader(source="bus"), RECORDS)
    first, *rest = lines(path)
    assert list(first) == ["seedsim_trace", "seedsim_version", "created", "source"]
    assert first["seedsim_trace"] == FORMAT_VERSION and first["source"] == "bus"

    text, binary, binary_key, unsent = rest
    assert list(text) == KCAT_ORDER
    assert text["headers"] == ["ce_id", "a1", "ce_source", "urn:seedsim:node:RS", "x", "1", "x", "2", "empty", ""]
    assert text["payload"] == "<Declaration>Šabac – Podgorica</Declaration>"
    assert list(binary) == [*KCAT_ORDER, "payload_encoding", "headers_encoding"]
    assert binary["key"] is None and binary["payload"] == "AP/+IGJpbmFyeQ==" and binary["headers"] == ["sig", "gIE="]
    assert list(binary_key) == [*[k for k in KCAT_ORDER if k != "headers"], "key_encoding"]
    assert unsent == {
        "topic": "seedsim.inbox.me",
        "partition": -1,
        "offset": -1,
        "broker": -1,
        "key": None,
        "payload": "",
    }


def test_a_kcat_capture_is_read_as_it_is_raw_bytes_included(tmp_path):
    # what kcat -C -J writes: no header line, bytes that are not UTF-8 raw in the strings, null values,
    # a record without headers and one without a timestamp
    path = tmp_path / "kcat.json"
    path.write_bytes(
        b'{"topic":"t","partition":1,"offset":0,"tstype":"create","ts":1795981308167,"broker":1,'
        b'"headers":["ce_id","abc","n",null,"bin","\xff"],"key":"k1","payload":"a\\"b\\\\c\\u0001\\ttab \xc5\xa0"}\n'
        b'{"topic":"t","partition":1,"offset":1,"tstype":"logappend","ts":1795981309252,"broker":1,"key":null,"payload":"\xff\xfebin"}\n'
        b'{"topic":"t","partition":0,"offset":5,"broker":-1,"key":"","payload":null}\n'
    )
    reader = read_trace(path)
    assert reader.header is None
    first, second, third = reader
    assert first.record == Record(
        "t", 'a"b\\c\x01\ttab Š'.encode(), b"k1", (("ce_id", b"abc"), ("n", b""), ("bin", b"\xff")), 1, 0, 1795981308167
    )
    assert (first.tstype, first.broker) == ("create", 1)
    assert second.record.value == b"\xff\xfebin" and second.record.key is None and second.tstype == "logappend"
    assert third.record == Record("t", b"", b"", (), 0, 5, None) and third.tstype == "unknown"


def test_kcats_map_form_of_headers_is_read_too(tmp_path):
    path = tmp_path / "kcat-map.json"
    path.write_text(
        '{"topic":"t","partition":0,"offset":0,"headers":{"a":["1","2"],"b":[null]},"key":null,"payload":"p"}\n'
    )
    (entry,) = read_trace(path)
    assert entry.record.headers == (("a", b"1"), ("a", b"2"), ("b", b""))


def test_a_gzip_file_is_recognised_by_its_bytes_whatever_its_name(tmp_path):
    plain = tmp_path / "t.jsonl"
    write_trace(plain, None, RECORDS)
    disguised = tmp_path / "compressed-but-named.jsonl"
    disguised.write_bytes(gzip.compress(plain.read_bytes()))
    assert [e.record for e in read_trace(disguised)] == RECORDS


GOOD = '{"topic":"t","partition":0,"offset":%d,"key":null,"payload":"ok %d"}'


def trace_text(*bad_lines: str, bad_at: int = 3, total: int = 5) -> str:
    """A trace whose line ``bad_at`` (1-based, the header is line 1) is ``bad_lines``' first."""
    rows = [json.dumps({"seedsim_trace": 1})]
    for i in range(2, total + 1):
        rows.append(bad_lines[0] if i == bad_at else GOOD % (i, i))
    return "\n".join(rows) + "\n"


BAD_LINES = {
    "not JSON": ('{"topic": "t", "partition": 0,, }', "not JSON"),
    "missing payload": ('{"topic":"t","partition":0,"offset":1,"key":null}', "the record has no 'payload'"),
    "missing topic": ('{"partition":0,"offset":1,"key":null,"payload":"x"}', "the record has no 'topic'"),
    "not base64": (
        '{"topic":"t","partition":0,"offset":1,"key":null,"payload":"not*base64!","payload_encoding":"base64"}',
        "payload is declared base64 but is not base64",
    ),
    "unknown encoding": (
        '{"topic":"t","partition":0,"offset":1,"key":null,"payload":"x","payload_encoding":"rot13"}',
        "payload_encoding 'rot13' is unknown",
    ),
    "offset not an integer": (
        '{"topic":"t","partition":0,"offset":"one","key":null,"payload":"x"}',
        "'offset' must be an integer",
    ),
    "odd headers": (
        '{"topic":"t","partition":0,"offset":1,"headers":["a"],"key":null,"payload":"x"}',
        "headers must be",
    ),
    "not an object": ("[1, 2, 3]", "a record must be a JSON object"),
}


def read_until_error(path: Path) -> tuple[list[bytes], TraceError]:
    """The payloads yielded before the reader raised, and what it raised."""
    got = []
    with pytest.raises(TraceError) as caught:
        for entry in read_trace(path):
            got.append(entry.record.value)
    return got, caught.value


@pytest.fixture(params=list(BAD_LINES))
def bad_trace(request, tmp_path) -> tuple[Path, str]:
    """A trace whose line 3 is bad, and the start of the reason the reader must give."""
    bad, reason = BAD_LINES[request.param]
    path = tmp_path / "bad.jsonl"
    path.write_text(trace_text(bad, bad_at=3))
    return path, reason


def test_a_bad_line_stops_the_reader_there_naming_the_line_and_what_to_do(bad_trace):
    path, reason = bad_trace
    got, error = read_until_error(path)
    assert got == [b"ok 2"], "everything before the bad line, nothing past it"
    assert error.line == 3
    assert str(error).startswith(f"{path}: line 3: {reason}")
    assert "--skip-bad" in str(error)


def test_skip_bad_reports_the_bad_line_and_reads_on(bad_trace):
    path, reason = bad_trace
    reported = []
    reader = read_trace(path, skip_bad=True, on_bad=reported.append)
    assert [e.record.value for e in reader] == [b"ok 2", b"ok 4", b"ok 5"]
    assert [e.line for e in reported] == [3] and reason in reported[0].reason
    assert reader.skipped == reported


def test_a_truncated_file_says_the_recording_was_cut_and_keeps_what_came_before(tmp_path):
    path = tmp_path / "cut.jsonl"
    whole = trace_text("", bad_at=99, total=4)
    path.write_text(whole[: whole.rindex("ok 4") - 20])  # the last line cut mid-record
    got, error = read_until_error(path)
    assert got == [b"ok 2", b"ok 3"]
    assert error.line == 4
    assert "the file ends in the middle of this record" in str(error)

    reported = []
    assert len(list(read_trace(path, skip_bad=True, on_bad=reported.append))) == 2
    assert [e.line for e in reported] == [4]


def test_a_truncated_gzip_file_names_where_it_breaks_off(tmp_path):
    path = tmp_path / "cut.jsonl.gz"
    write_trace(path, None, (Record("t", b"x" * 100 + str(i).encode(), None, (), 0, i, 1) for i in range(5000)))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    got, error = read_until_error(path)
    assert 0 < len(got) < 5000
    assert error.line == len(got) + 2  # the header, then the records read
    assert "the compressed file breaks off here" in str(error)


def test_an_unknown_format_version_stops_on_line_1_even_with_skip_bad(tmp_path):
    path = tmp_path / "future.jsonl"
    path.write_text('{"seedsim_trace": 2, "seedsim_version": "9.0.0"}\n' + GOOD % (1, 1) + "\n")
    for skip_bad in (False, True):
        with pytest.raises(TraceError) as caught:
            read_trace(path, skip_bad=skip_bad)
        assert caught.value.line == 1
        assert f"trace format version 2 is not one this seedsim reads (it reads version {FORMAT_VERSION})" in str(
            caught.value
        )
        assert "seedsim that wrote it (9.0.0), or upgrade seedsim" in str(caught.value)


def test_a_second_header_is_a_bad_line(tmp_path):
    path = tmp_path / "joined.jsonl"
    path.write_text(trace_text('{"seedsim_trace": 1}', bad_at=4))
    with pytest.raises(TraceError, match="line 4: a trace header .* belongs on the first line only"):
        list(read_trace(path))


def test_a_missing_file_and_a_second_read_are_clear_errors(tmp_path):
    with pytest.raises(TraceError, match="cannot open the trace: No such file or directory"):
        read_trace(tmp_path / "nope.jsonl")
    path = tmp_path / "t.jsonl"
    write_trace(path, None, RECORDS)
    reader = read_trace(path)
    list(reader)
    with pytest.raises(TraceError, match="read once"):
        list(reader)


def test_the_writer_takes_entries_and_keeps_their_timestamp_type_and_broker(tmp_path):
    path = tmp_path / "t.jsonl"
    entry = TraceEntry(RECORDS[0], tstype="logappend", broker=3)
    with TraceWriter(path, TraceHeader(source="bus")) as writer:
        writer.write(entry)
        writer.write(RECORDS[1])
    assert writer.count == 2
    got = list(read_trace(path))
    assert got == [entry, TraceEntry(RECORDS[1])]
    assert (got[0].tstype, got[0].broker) == ("logappend", 3)


def test_a_trace_is_read_from_standard_input(tmp_path):
    path = tmp_path / "t.jsonl.gz"
    write_trace(path, TraceHeader(source="bus"), RECORDS)
    code = (
        "from seedsim.runners.traces import read_trace\n"
        "r = read_trace('-')\n"
        "print(r.header.source, [e.record.offset for e in r])\n"
    )
    with path.open("rb") as stdin:
        proc = subprocess.run([sys.executable, "-c", code], stdin=stdin, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "bus [7, 0, 3, None]"


def test_a_trace_is_written_to_standard_output(tmp_path):
    code = (
        "from seedsim.core.transport import Record\n"
        "from seedsim.runners.traces import TraceHeader, write_trace\n"
        "write_trace('-', TraceHeader(source='bus'), [Record('t', b'\\xff', b'k', (), 0, 1, 2)])\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    path = tmp_path / "from-stdout.jsonl"
    path.write_bytes(proc.stdout)
    reader = read_trace(path)
    assert reader.header.source == "bus"
    assert [e.record for e in reader] == [Record("t", b"\xff", b"k", (), 0, 1, 2)]


N = 100_000
PAYLOAD = b"<ExportData>" + b"x" * 400 + b"</ExportData>"


def generated(n: int):
    for i in range(n):
        yield Record(
            "seedsim.inbox.me",
            PAYLOAD,
            f"C{i:07d}".encode(),
            (("ce_id", f"{i:032x}".encode()), ("ce_type", b"org.seedsim.c2c.export-data.v1")),
            0,
            i,
            1_700_000_000_000 + i,
        )


def test_a_100000_record_trace_is_written_and_read_in_constant_memory(tmp_path):
    path = tmp_path / "big.jsonl"
    written = write_trace(path, TraceHeader(source="bus"), generated(N))  # from a generator, line by line
    size = path.stat().st_size
    assert written == N and size > 50_000_000
    tracemalloc.start()
    try:
        count, last = 0, None
        for entry in read_trace(path):
            count += 1
            last = entry
        _, read_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == N and last is not None and last.record.offset == N - 1
    assert read_peak < size / 100, f"reading peaked at {read_peak} bytes for a {size}-byte trace"


def test_writing_holds_one_record_at_a_time(tmp_path):
    path = tmp_path / "written.jsonl"
    tracemalloc.start()
    try:
        write_trace(path, TraceHeader(source="bus"), generated(N // 10))
        _, write_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    size = path.stat().st_size
    assert write_peak < size / 20, f"writing peaked at {write_peak} bytes for a {size}-byte trace"
