"""Benchmark: how fast the monitor ingests the interop stream, and how much memory it holds.

The stream is that of a real demo run on the in-process bus (every interop record of 50
consignments RS -> ME, with planted discrepancies and malformed messages, plus their dead-letter
copies), repeated under new record ids, message ids and consignment references until it is the
stream of ``--consignments`` consignments. The monitor ingests it as it does from a transport:
batches of ``--batch`` records (Kafka's max_poll_records is 500) through ``MonitorIngest.handle``:
decode, store in SQLite (one transaction per batch, on the store's thread) and only the new records
into the aggregate. ``--inboxes`` adds the messages as received (their XML), which the consignment
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

from seedsim.core.interop import InteropRecord
from seedsim.core.transport import Record
from seedsim.runners.demo import DemoSettings, run_demo
from seedsim.runners.monitor.monitor_aggregate import MonitorAggregate
from seedsim.runners.monitor.monitor_ingest import MonitorIngest
from seedsim.runners.monitor.monitor_metrics import MonitorMetrics
from seedsim.runners.monitor.monitor_store import MonitorStore
from seedsim.runners.monitor.monitored_records import monitored
from seedsim.utility_blocks import load_all

TEMPLATE = 50


async def template(inboxes: bool) -> tuple[dict[str, list[Record]], int]:
    """The records of a real demo run, by consignment (and how many consignments they are)."""
    heard: list[Record] = []

    def watch(transport, topics, nodes):
        async def keep(records):
            heard.extend(records)

        wanted = [topics.interop, *(topics.dead_letter(n) for n in nodes)]
        transport.subscribe(wanted + ([topics.inbox(n) for n in nodes] if inboxes else []), "bench", keep)

    with tempfile.TemporaryDirectory() as tmp:
        await run_demo(DemoSettings(consignments=TEMPLATE, db_dir=Path(tmp), watch=watch), out=lambda s: None)
    by: dict[str, list[Record]] = {}
    for r in heard:
        what = monitored(r)
        ref = getattr(what, "consignment", None) or "none"
        by.setdefault(ref, []).append(r)
    return by, TEMPLATE


def renamed(records: list[Record], old: str, new: str, k: int) -> list[Record]:
    """The records of consignment ``old`` as those of ``new``: fresh record ids, the same message ids suffixed."""
    out = []
    for r in records:
        what = monitored(r)
        if isinstance(what, InteropRecord):
            update = {"id": uuid.uuid4().hex, "consignment": new}
            if what.message_id:
                update["message_id"] = f"{what.message_id}-{k}"
            value = what.model_copy(update=update).to_json()
            out.append(Record(r.topic, value, new.encode(), r.headers, timestamp_ms=r.timestamp_ms))
        else:
            headers = tuple(
                (h, f"{v.decode()}-{k}".encode())
                if h == "ce_id"
                else (h, new.encode())
                if h == "ce_subject"
                else (h, v)
                for h, v in r.headers
            )
            out.append(Record(r.topic, r.value, new.encode(), headers, timestamp_ms=r.timestamp_ms))
    return out


def stream(by: dict[str, list[Record]], n: int) -> list[Record]:
    refs = sorted(by)
    out: list[Record] = []
    for k in range(n):
        ref = refs[k % len(refs)]
        out += renamed(by[ref], ref, f"BENCH{k:08d}", k)
    return out


async def ingest_all(ingest: MonitorIngest, records: list[Record], batch: int) -> float:
    started = time.perf_counter()
    for i in range(0, len(records), batch):
        await ingest.handle(records[i : i + batch])
    return time.perf_counter() - started


async def main(args: argparse.Namespace) -> dict:
    by, per = await template(args.inboxes)
    records = stream(by, args.consignments)
    print(f"{args.consignments} consignments: {len(records)} records (template: {per} consignments of a demo run)")
    with tempfile.TemporaryDirectory() as tmp:
        store = MonitorStore(Path(tmp) / "monitor.sqlite3")
        await store.open()
        ingest = MonitorIngest(store, MonitorAggregate(load_all().values()), MonitorMetrics())
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        took = await ingest_all(ingest, records, args.batch)
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        # the aggregate's own size, measured apart (tracemalloc slows everything it watches)
        tracemalloc.start()
        probe = MonitorAggregate(load_all().values())
        for r in records:
            what = monitored(r)
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
        "consignments": args.consignments,
        "records": len(records),
        "inboxes": args.inboxes,
        "consignments_per_s": round(args.consignments / took),
        "records_per_s": round(len(records) / took),
        "aggregate_heap_peak_mb": round(peak / 2**20, 1),
        "rss_growth_while_ingesting_mb": round((rss_after - rss_before) / 1024, 1),
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "redelivered_records_per_s": round(len(records) / again),
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
