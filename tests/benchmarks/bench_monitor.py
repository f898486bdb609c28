"""Benchmark: how fast the monitor ingests the interop stream, and how much memory it holds.

The stream is that of a real demo run on the in-process bus (every interop record of 50
consignments RS -> ME, with planted discrepancies and malformed messages, plus their dead-letter
copies; the interop records in the batch records the nodes wrote), repeated under new record ids,
message ids and consignment references until it is the stream of ``--consignments`` consignments
(rounded up to whole copies of the run). The monitor ingests it as it does from a transport:
batches of ``--batch`` Kafka records (Kafka's max_poll_records is 500) through ``MonitorIngest.handle``:
decode, store in SQLite (one transaction per batch, on the store's thread) and only the new records
into the aggregate. ``records`` and ``records_per_s`` count what the monitor reads one by one
(interop records, dead letters, messages), whatever number of Kafka records carried them. ``--inboxes`` adds the messages as received (their XML), which the consignment
view shows. Printed: consignments/s and records/s, the Python heap's peak (tracemalloc) and the
process's resident memory growth while ingesting (ru_maxrss; the stream itself is built in memory
before), then the same stream delivered a second time (every
record already stored: what a restart before the commit costs), and a rebuild from the store.

Run: ``.venv/bin/python tests/benchmarks/bench_monitor.py --consignments 20000``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path

from seedsim.core.interop import InteropRecord, batch_values, decode_interop
from seedsim.core.transport import Record
from seedsim.runners.demo import DemoSettings, run_demo
from seedsim.runners.monitor.monitor_aggregate import MonitorAggregate
from seedsim.runners.monitor.monitor_ingest import MonitorIngest
from seedsim.runners.monitor.monitor_metrics import MonitorMetrics
from seedsim.runners.monitor.monitor_store import MonitorStore
from seedsim.runners.monitor.monitored_records import monitored
from seedsim.runners.traces.trace_records import is_interop_topic
from seedsim.utility_blocks import load_all

TEMPLATE = 50


async def template(inboxes: bool) -> tuple[list[Record], int]:
    """The records of a real demo run, in the order they came (and how many consignments they are about)."""
    heard: list[Record] = []

    def watch(transport, topics, nodes):
        async def keep(records):
            heard.extend(records)

        wanted = [topics.interop, *(topics.dead_letter(n) for n in nodes)]
        transport.subscribe(wanted + ([topics.inbox(n) for n in nodes] if inboxes else []), "bench", keep)

    with tempfile.TemporaryDirectory() as tmp:
        await run_demo(DemoSettings(consignments=TEMPLATE, db_dir=Path(tmp), watch=watch), out=lambda s: None)
    return heard, TEMPLATE


def renamed(records: list[Record], k: int) -> list[Record]:
    """The records of the template run as those of its ``k``-th copy: every consignment reference and message id
    suffixed, fresh interop record ids; the interop records in batches as the nodes wrote them."""

    def ref(value: str | None) -> str | None:
        return f"{value}-{k}" if value else value

    out = []
    for r in records:
        if is_interop_topic(r.topic):
            recs = [
                x.model_copy(
                    update={"id": uuid.uuid4().hex, "consignment": ref(x.consignment), "message_id": ref(x.message_id)}
                )
                for x in decode_interop(r.value)
            ]
            out += [Record(r.topic, v, r.key, r.headers, timestamp_ms=r.timestamp_ms) for v in batch_values(recs)]
        else:
            headers = tuple(
                (h, f"{v.decode()}-{k}".encode()) if h in ("ce_id", "ce_subject") else (h, v) for h, v in r.headers
            )
            key = f"{r.key.decode()}-{k}".encode() if r.key else r.key
            out.append(Record(r.topic, r.value, key, headers, timestamp_ms=r.timestamp_ms))
    return out


def stream(template: list[Record], copies: int) -> list[Record]:
    out: list[Record] = []
    for k in range(copies):
        out += renamed(template, k)
    return out


async def ingest_all(ingest: MonitorIngest, records: list[Record], batch: int) -> float:
    started = time.perf_counter()
    for i in range(0, len(records), batch):
        await ingest.handle(records[i : i + batch])
    return time.perf_counter() - started


async def main(args: argparse.Namespace) -> dict:
    heard, per = await template(args.inboxes)
    copies = -(-args.consignments // per)
    records = stream(heard, copies)
    consignments = copies * per
    # what the monitor reads, one each: interop records (a batch holds several), dead letters, messages
    monitored_n = sum(len(monitored(r)) for r in records)
    print(
        f"{consignments} consignments: {monitored_n} records in {len(records)} Kafka records"
        f" (template: {per} consignments of a demo run)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        store = MonitorStore(Path(tmp) / "monitor.sqlite3")
        await store.open()
        ingest = MonitorIngest(store, MonitorAggregate(load_all().values()), MonitorMetrics())
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        cpu = time.process_time()
        took = await ingest_all(ingest, records, args.batch)
        cpu = time.process_time() - cpu  # every thread of the process: the store's too
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        # the aggregate's own size, measured apart (tracemalloc slows everything it watches)
        tracemalloc.start()
        probe = MonitorAggregate(load_all().values())
        for r in records:
            for what in monitored(r):
                if isinstance(what, InteropRecord):
                    probe.add(what)
        _now, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        again = await ingest_all(ingest, records, args.batch)
        started = time.perf_counter()
        rebuilt = await ingest.rebuild()
        rebuild_s = time.perf_counter() - started
        size = (Path(tmp) / "monitor.sqlite3").stat().st_size
        await store.close()
    result = {
        "consignments": consignments,
        "records": monitored_n,
        "kafka_records": len(records),
        "inboxes": args.inboxes,
        "consignments_per_s": round(consignments / took),
        "records_per_s": round(monitored_n / took),
        "cpu_us_per_record": round(cpu / monitored_n * 1e6, 2),
        "aggregate_heap_peak_mb": round(peak / 2**20, 1),
        "rss_growth_while_ingesting_mb": round((rss_after - rss_before) / 1024, 1),
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "redelivered_records_per_s": round(monitored_n / again),
        "rebuild_records_per_s": round(rebuilt / rebuild_s),
        "db_mb": round(size / 2**20, 1),
        "counted_sent": ingest.aggregate.counters()["sent"],
    }
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--consignments", type=int, default=20000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--inboxes", action="store_true", help="also the messages as received (their XML)")
    print(json.dumps(asyncio.run(main(parser.parse_args())), indent=2))
