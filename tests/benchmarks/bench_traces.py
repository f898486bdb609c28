"""Benchmark: record and replay throughput of traces, next to raw aiokafka, and peak memory at 100,000 records.

Figures (README, "Benchmarks"), each from one run on one broker:

* writing a trace (``TraceWriter``) and reading it back (``read_trace``): records/s and the Python
  heap's peak (tracemalloc) over a 100,000-record trace of real seedsim messages;
* capture from Kafka (``seedsim trace record``'s ``capture``) against a raw aiokafka consumer of the
  same topic: records/s;
* replay to Kafka (``seedsim trace replay``'s ``replay`` at max speed) against a raw aiokafka producer
  sending the same records in batches: records/s;
* the process's peak resident memory (ru_maxrss) for the whole run.

The records are the inbox messages of a real demo run on the in-process bus (exit data,
acknowledgements, entry confirmations with their CloudEvents headers), repeated under new ids until
there are ``--records`` of them. Run: ``.venv/bin/python tests/benchmarks/bench_traces.py`` (starts its
own broker through tests/support/kafka_broker.py, or give ``--kafka HOST:PORT``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import tempfile
import time
import tracemalloc
import uuid
from contextlib import ExitStack
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # for tests.support.kafka_broker

from seedsim.core.topics import Topics  # noqa: E402
from seedsim.core.transport import Record  # noqa: E402
from seedsim.core.transport.memory import InMemoryBus  # noqa: E402
from seedsim.runners import demo  # noqa: E402
from seedsim.runners.traces import TraceEntry, TraceHeader, TraceWriter, read_trace, replay  # noqa: E402
from seedsim.runners.traces.trace_capture import Until, capture  # noqa: E402


def sample_records(n: int) -> list[Record]:
    """``n`` inbox records: a real demo's messages, repeated with fresh ce_ids."""
    bus = InMemoryBus()
    real_make = demo.make_transport
    demo.make_transport = lambda *a, **k: bus  # type: ignore[assignment]
    try:
        asyncio.run(demo.run_demo(demo.DemoSettings(consignments=50, malformed=()), out=lambda s: None))
    finally:
        demo.make_transport = real_make  # type: ignore[assignment]
    topics = Topics()
    seen = [r for node in ("RS", "ME") for r in bus.log(topics.inbox(node))]
    out: list[Record] = []
    while len(out) < n:
        for r in seen:
            headers = tuple((k, uuid.uuid4().hex.encode()) if k == "ce_id" else (k, v) for k, v in r.headers)
            out.append(Record(topic=r.topic, value=r.value, key=r.key, headers=headers, timestamp_ms=r.timestamp_ms))
            if len(out) == n:
                break
    return out


def file_figures(records: list[Record], folder: Path) -> dict[str, float]:
    path = folder / "bench.trace.jsonl"
    header = TraceHeader(source="bench")
    tracemalloc.start()
    t0 = time.perf_counter()
    with TraceWriter(path, header) as w:
        for r in records:
            w.write(TraceEntry(r, tstype="logappend"))
    write_s = time.perf_counter() - t0
    _, write_peak = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    t0 = time.perf_counter()
    n = sum(1 for _ in read_trace(path))
    read_s = time.perf_counter() - t0
    _, read_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert n == len(records)
    return {
        "records": n,
        "file_mb": round(path.stat().st_size / 1e6, 1),
        "write_records_per_s": round(n / write_s),
        "write_peak_heap_mb": round(write_peak / 1e6, 2),
        "read_records_per_s": round(n / read_s),
        "read_peak_heap_mb": round(read_peak / 1e6, 2),
    }


async def kafka_figures(bootstrap: str, records: list[Record], folder: Path) -> dict[str, float]:
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

    from seedsim.core.transport.kafka import KafkaTransport

    run = uuid.uuid4().hex[:6]
    raw_topic, replay_prefix = f"bench.raw.{run}", f"bench.replay-{run}"
    n = len(records)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, max_batch_size=1 << 20)
    await producer.start()
    t0 = time.perf_counter()
    for i in range(0, n, 1000):
        batch = [
            await producer.send(raw_topic, r.value, key=r.key, headers=list(r.headers)) for r in records[i : i + 1000]
        ]
        await asyncio.gather(*batch)
    raw_produce_s = time.perf_counter() - t0
    await producer.stop()

    consumer = AIOKafkaConsumer(raw_topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    got, t0 = 0, time.perf_counter()
    while got < n:
        batches = await consumer.getmany(timeout_ms=1000, max_records=5000)
        got += sum(len(b) for b in batches.values())
    raw_consume_s = time.perf_counter() - t0
    await consumer.stop()

    transport = KafkaTransport(bootstrap, client_id=f"bench-replay-{run}")
    await transport.start()
    entries = [TraceEntry(r, tstype="logappend") for r in records]
    t0 = time.perf_counter()
    report = await replay(entries, ["RS", "ME"], transport, speed=None, topic_prefix=replay_prefix)
    replay_s = time.perf_counter() - t0
    await transport.stop()

    path = folder / "captured.trace.jsonl"
    t0 = time.perf_counter()
    with TraceWriter(path, TraceHeader(source=f"kafka {bootstrap}")) as w:
        captured = await capture(bootstrap, rf"{replay_prefix}\.inbox\..*", w, until=Until(count=n))
    capture_s = time.perf_counter() - t0
    return {
        "raw_aiokafka_produce_per_s": round(n / raw_produce_s),
        "replay_max_speed_per_s": round(len(report.sent) / replay_s),
        "replay_vs_raw_produce": round((len(report.sent) / replay_s) / (n / raw_produce_s), 2),
        "raw_aiokafka_consume_per_s": round(n / raw_consume_s),
        "capture_per_s": round(captured / capture_s),
        "capture_vs_raw_consume": round((captured / capture_s) / (n / raw_consume_s), 2),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--kafka", help="an existing broker HOST:PORT (default: start one)")
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    args = ap.parse_args(argv)
    records = sample_records(args.records)
    with tempfile.TemporaryDirectory(prefix="seedsim-bench-") as tmp, ExitStack() as stack:
        figures: dict[str, object] = {"file": file_figures(records, Path(tmp))}
        if not args.kafka:
            from tests.support.kafka_broker import KafkaBroker

            args.kafka = stack.enter_context(KafkaBroker()).bootstrap
        figures["kafka"] = asyncio.run(kafka_figures(args.kafka, records, Path(tmp)))
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
