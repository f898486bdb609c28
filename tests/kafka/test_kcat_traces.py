"""kcat and seedsim traces: what ``kcat -C -J`` captures from a real broker is a trace seedsim reads as it is.

Testers bring traces captured with kcat (Debian's ``kcat`` package) from any
cluster. Records with repeated, empty and binary headers, keyed and unkeyed,
textual and binary, over two partitions, are produced with aiokafka, captured
with kcat, and read with :func:`read_trace`: every field and every header, in
order, is what was produced. Written back by seedsim, a textual record's line
has kcat's fields, in kcat's order, with kcat's values.

kcat must be installed: a missing kcat fails the test (no skip), locally and in CI.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import uuid

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from seedsim.core.transport import Record
from seedsim.runners.traces import TraceHeader, read_trace, write_trace
from tests.kafka.conftest import SecuredKafka

pytestmark = pytest.mark.kafka

PARTITIONS = 2

#: (key, value, headers) as produced
PRODUCED = [
    (
        b"24RS-C0001",
        "<ExportData>Šabac → Podgorica</ExportData>".encode(),
        [
            ("ce_specversion", b"1.0"),
            ("ce_id", b"0f5c"),
            ("ce_source", b"urn:seedsim:node:RS"),
            ("ce_type", b"org.seedsim.c2c.export-data.v1"),
            ("x-repeat", b"first"),
            ("x-repeat", b"second"),
            ("x-empty", b""),
        ],
    ),
    (b"24RS-C0002", b'{"json": "with \\"quotes\\" and \\\\ and a tab\\t"}', [("ce_id", b"0f5d")]),
    (None, b"no key, no headers", []),
    (b"24RS-C0003", b"\x00\x01\xfe\xff binary payload \x80", [("signature", b"\xde\xad\xbe\xef"), ("ce_id", b"0f5e")]),
    (b"\xff\xfe binary key", b"text", [("ce_id", b"0f5f")]),
]


def kcat() -> str:
    path = shutil.which("kcat")
    if path is None:
        pytest.fail("kcat is not installed: apt-get install kcat (Debian's package; CI installs it in .ci/run)")
    return path


async def produce(kafka: SecuredKafka, topic: str) -> list[Record]:
    """Create ``topic`` and produce :data:`PRODUCED` into it, as the super user (a probe, not a node)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka.bootstrap, **kafka.options())
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=PARTITIONS, replication_factor=1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap, acks="all", **kafka.options())
    await producer.start()
    try:
        sent = []
        for i, (key, value, headers) in enumerate(PRODUCED):
            md = await producer.send_and_wait(topic, value=value, key=key, headers=headers, partition=i % PARTITIONS)
            sent.append(Record(topic, value, key, tuple(headers), md.partition, md.offset, md.timestamp))
        return sent
    finally:
        await producer.stop()


def capture(kafka: SecuredKafka, topic: str) -> bytes:
    """``topic`` as kcat captures it, logged in as the super user."""
    proc = subprocess.run(
        [kcat(), "-C", "-J", "-e", "-q", *kafka.kcat(), "-t", topic, "-o", "beginning"],
        capture_output=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    return proc.stdout


async def test_a_kcat_capture_reads_as_a_trace_with_every_field_and_header_in_order(secured_kafka, tmp_path):
    topic = f"kcat-trace-{uuid.uuid4().hex[:10]}"
    async with asyncio.timeout(90):
        sent = await produce(secured_kafka, topic)
    captured = tmp_path / "capture.json"
    captured.write_bytes(capture(secured_kafka, topic))

    reader = read_trace(captured)
    assert reader.header is None, "a kcat file has no seedsim header and is read as it is"
    entries = sorted(reader, key=lambda e: (e.record.partition, e.record.offset))
    expected = sorted(sent, key=lambda r: (r.partition, r.offset))
    assert [e.record for e in entries] == expected  # topic, partition, offset, timestamp, key, payload, headers
    assert all(e.tstype == "create" and e.broker >= 0 for e in entries)


async def test_seedsim_writes_a_kcat_capture_back_with_kcats_fields_in_kcats_order(secured_kafka, tmp_path):
    topic = f"kcat-order-{uuid.uuid4().hex[:10]}"
    async with asyncio.timeout(90):
        await produce(secured_kafka, topic)
    kcat_lines = capture(secured_kafka, topic).splitlines()
    captured = tmp_path / "capture.json"
    captured.write_bytes(b"\n".join(kcat_lines) + b"\n")

    rewritten = tmp_path / "rewritten.trace.jsonl"
    assert write_trace(rewritten, TraceHeader(source=f"kafka {secured_kafka.bootstrap}"), read_trace(captured)) == len(
        PRODUCED
    )
    header, *ours = [json.loads(line) for line in rewritten.read_text(encoding="utf-8").splitlines()]
    assert header["source"] == f"kafka {secured_kafka.bootstrap}"
    textual = 0
    for kcat_line, our in zip(kcat_lines, ours, strict=True):
        theirs = json.loads(kcat_line.decode("utf-8", "surrogateescape"))
        kcat_fields = list(theirs)
        assert list(our)[: len(kcat_fields)] == kcat_fields, "kcat's fields, in kcat's order"
        encodings = list(our)[len(kcat_fields) :]
        if not encodings:  # a textual record: the very same line content as kcat's
            assert our == theirs
            textual += 1
        else:  # bytes that are not UTF-8: declared base64 (checked byte for byte below); nothing else differs
            assert set(encodings) <= {"key_encoding", "payload_encoding", "headers_encoding"}
            plain = [k for k in kcat_fields if f"{k}_encoding" not in encodings]
            assert {k: our[k] for k in plain} == {k: theirs[k] for k in plain}
    assert textual == 3
    # and the rewritten trace is the same records again
    assert [e.record for e in read_trace(rewritten)] == [e.record for e in read_trace(captured)]
