#!/usr/bin/env python
"""Benchmark of the seedsim exchange over a real Apache Kafka broker.

Run from the repository root::

    .venv/bin/python tests/benchmarks/bench_exchange.py [--consignments 10000] [--kafka HOST:PORT] [--json out.json]

Without ``--kafka`` (or ``SEEDSIM_KAFKA_BOOTSTRAP``) a broker is started with
``tests/support/kafka_broker.KafkaBroker``. One run measures, each phase on its
own topics (a fresh topic prefix) and its own SQLite files:

1. throughput  -- ``run_demo`` end to end for N consignments (exchanges/s, messages/s);
2. latency     -- Exit -> acknowledgement back at the sender, p50/p99: at full speed
                  (from phase 1) and with the EXIT events paced at ``--paced-rates``;
3. baseline    -- the same records (real exit-data / ack XML, CloudEvents headers)
                  produced and consumed with plain aiokafka, no processing;
4. memory      -- peak RSS of ONE customs node (separate process) holding N pending
                  consignments (export lodged + PRE_ARRIVAL sent, never entered);
5. profile     -- where the time goes: cProfile of the whole process during a short
                  full-flow run, and one node's inbox handling (wall breakdown with
                  the production threading for batches of 1 and of --profile-batch,
                  then cProfile), the SQLite work run inline so one profile sees it all.

This is a script, not a test: pytest does not collect it (see conftest.py here).
See README.md in this folder for what each figure means.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import cProfile
import json
import logging
import os
import pstats
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # for tests.support.kafka_broker

from seedsim.bootstrap import make_customs_node, make_transport, running_network  # noqa: E402
from seedsim.config import NodeConfig  # noqa: E402
from seedsim.core.interop import Stage, decode_interop  # noqa: E402
from seedsim.core.topics import Topics  # noqa: E402
from seedsim.core.transport import Record  # noqa: E402
from seedsim.core.transport.memory import InMemoryBus  # noqa: E402
from seedsim.core.wco import MetaData  # noqa: E402
from seedsim.messages.seed import ACKNOWLEDGEMENT  # noqa: E402
from seedsim.nodes.customs.customs_node import Event  # noqa: E402
from seedsim.runners.demo import DemoSettings, run_demo  # noqa: E402
from seedsim.runners.interop_summary import InteropSummary, percentile  # noqa: E402
from seedsim.runners.node_clients import InProcessClient  # noqa: E402
from seedsim.samples.consignments import ConsignmentGenerator  # noqa: E402
from seedsim.samples.crossings import DEMO_CROSSINGS  # noqa: E402

TARGETS = {
    "exchanges_per_s": 2500.0,  # >=
    "paced_p99_ms": 50.0,  # <  (at 500 exchanges/s)
    "baseline_ratio": 0.25,  # >=
    "node_peak_rss_mb": 200.0,  # <  (10,000 pending consignments)
}

CROSSING = DEMO_CROSSINGS[0]
EXIT_C, ENTRY_C = CROSSING.exit_office[:2], CROSSING.entry_office[:2]


def say(msg: str = "") -> None:
    print(msg, file=sys.stderr, flush=True)


def _round(x: float | None, nd: int = 1) -> float | None:
    return None if x is None else round(x, nd)


def lat_stats(values: list[float]) -> dict[str, Any]:
    return {
        "n": len(values),
        "p50_ms": _round(percentile(values, 50)),
        "p99_ms": _round(percentile(values, 99)),
        "max_ms": _round(max(values) if values else None),
    }


def export_xml(c) -> bytes:
    return c.export.to_xml(MetaData(wco_type_name="DEC", responsible_country_code=EXIT_C))


def node_configs(db_dir: Path, prefix: str, kafka: str | None) -> dict[str, NodeConfig]:
    return {
        country: NodeConfig(
            node=country,
            kafka=kafka,
            db=db_dir / f"{country.lower()}.sqlite3",
            partners=[c for c in (EXIT_C, ENTRY_C) if c != country],
            crossings=DEMO_CROSSINGS,
            topic_prefix=prefix,
        )
        for country in (EXIT_C, ENTRY_C)
    }


# ------------------------------------------------------------------------------------------------
# 1. throughput (and full-speed latency): the flagship demo, end to end
# ------------------------------------------------------------------------------------------------


async def phase_throughput(bootstrap: str, n: int, concurrency: int, discrepancies: int) -> dict[str, Any]:
    settings = DemoSettings(
        consignments=n,
        kafka=bootstrap,
        show_flows=0,
        malformed=(),
        discrepancies=discrepancies,
        concurrency=concurrency,
        timeout=600.0,
    )
    result = await run_demo(settings, out=lambda _line: None)
    s = result.summary
    elapsed = max(result.elapsed_s - 0.2, 1e-9)  # run_demo sleeps 0.2 s after the last record before counting
    exchanges = s.count(Stage.ACK_RECEIVED, "ExportData", "EXIT")
    # node-to-node messages: ExportData x2 (PRE_ARRIVAL, EXIT), EntryConfirmation, and one ack for each of those
    business = s.count(Stage.SENT)
    acks = s.count(Stage.ACKED) + s.count(Stage.NACKED)
    interop = len(s.records)
    return {
        "consignments": n,
        "concurrency": concurrency,
        "completed": result.completed,
        "counts_ok": result.ok,
        "counts": result.counts,
        "elapsed_s": round(elapsed, 2),
        "exchanges": exchanges,
        "exchanges_per_s": round(exchanges / elapsed, 1),
        "node_messages": business + acks,
        "node_messages_per_s": round((business + acks) / elapsed, 1),
        "interop_records": interop,
        "kafka_records_per_s": round((business + acks + interop) / elapsed, 1),
        "latency_full_speed": lat_stats(result.latencies_ms),
    }


# ------------------------------------------------------------------------------------------------
# 2. latency with EXIT paced: a small driver on the same node / client classes as run_demo
# ------------------------------------------------------------------------------------------------


async def fire_exits_paced(client, consignments, rate: float, in_flight: int | None = None) -> float:
    """Fire EXIT at RS for each consignment, the i-th at t0 + i/rate (at once when the loop is behind), and wait
    for every answer; returns the seconds the firing took (the offered rate is len / that). ``in_flight``: at most
    that many requests open at once (an HTTP client's pool slows down badly with thousands waiting in it)."""
    loop = asyncio.get_running_loop()
    limit = asyncio.Semaphore(in_flight or len(consignments) or 1)

    async def fire(c) -> None:
        async with limit:
            await client.event(EXIT_C, Event.EXIT, c.ucr, CROSSING.exit_office, CROSSING.entry_office)

    tasks = []
    t0 = loop.time()
    for i, c in enumerate(consignments):
        delay = t0 + i / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(fire(c)))
    offered_s = loop.time() - t0
    await asyncio.gather(*tasks)
    return offered_s


async def phase_paced(bootstrap: str, n: int, rate: float, seed: int, concurrency: int) -> dict[str, Any]:
    run_id = uuid.uuid4().hex[:8]
    topics = Topics(f"seedsim.bench-paced-{run_id}")
    transport = make_transport(bootstrap, client_id=f"seedsim-bench-{run_id}")
    summary = InteropSummary()

    async def on_interop(records) -> None:  # a batch of one partition's records, as run_demo's monitor
        for record in [records] if isinstance(records, Record) else records:
            for rec in decode_interop(record.value):  # a batch of the records of one node transaction
                summary.add(rec)

    gen = ConsignmentGenerator(seed, CROSSING)
    consignments = [gen.make(i) for i in range(1, n + 1)]
    loop = asyncio.get_running_loop()
    with tempfile.TemporaryDirectory(prefix="seedsim-bench-paced-") as tmp:
        transport.subscribe([topics.interop], group=f"seedsim-bench-monitor-{run_id}", handler=on_interop)
        async with running_network(node_configs(Path(tmp), topics.prefix, bootstrap).values(), transport) as network:
            client = InProcessClient(network.customs)
            # stage (not timed): lodge the export declaration and send PRE_ARRIVAL for every consignment,
            # and wait until every PRE_ARRIVAL is acknowledged, so only EXIT traffic runs while we measure
            limiter = asyncio.Semaphore(concurrency)

            async def stage(c) -> None:
                async with limiter:
                    await client.lodge(EXIT_C, export_xml(c))
                    await client.event(EXIT_C, Event.PRE_ARRIVAL, c.ucr, CROSSING.exit_office, CROSSING.entry_office)

            t_stage = time.perf_counter()
            await asyncio.gather(*(stage(c) for c in consignments))
            staged = await summary.wait_for(
                lambda s: s.count(Stage.ACK_RECEIVED, "ExportData", "PRE_ARRIVAL") >= n, timeout=120 + n / 5
            )
            if not staged:
                raise RuntimeError(
                    f"paced phase: PRE_ARRIVAL of {n} consignments not all acknowledged in time "
                    f"({summary.count(Stage.ACK_RECEIVED, 'ExportData', 'PRE_ARRIVAL')} seen)"
                )
            stage_s = time.perf_counter() - t_stage
            await asyncio.sleep(1.0)  # let the sent-marks flusher and the consumers settle

            t0 = loop.time()
            offered_s = await fire_exits_paced(client, consignments, rate)
            events_done_s = loop.time() - t0
            done = await summary.wait_for(
                lambda s: s.count(Stage.ACK_RECEIVED, "ExportData", "EXIT") >= n, timeout=120 + n / 5
            )
            drained_s = loop.time() - t0
    lat = summary.latencies_ms
    # how latency evolves over the run: first and last tenth of the exits (in ack order)
    tenth = max(1, len(lat) // 10)
    return {
        "exchanges": n,
        "target_rate_per_s": rate,
        "staged_ok": staged,
        "stage_s": round(stage_s, 1),
        "completed": done,
        "offered_rate_per_s": round(n / offered_s, 1) if offered_s > 0 else None,
        "exit_events_done_s": round(events_done_s, 2),
        "drained_s": round(drained_s, 2),
        "achieved_exchanges_per_s": round(n / drained_s, 1),
        "latency": lat_stats(lat),
        "latency_first_10pct": lat_stats(lat[:tenth]),
        "latency_last_10pct": lat_stats(lat[-tenth:]),
    }


# ------------------------------------------------------------------------------------------------
# sample records: the real ExportData (EXIT) and Acknowledgement records, with their headers
# ------------------------------------------------------------------------------------------------


async def capture_records(
    n: int, seed: int, db_dir: Path, with_me: bool = False
) -> tuple[list[Record], list[Record], list[Record], dict[str, Any]]:
    """Play lodge + PRE_ARRIVAL + EXIT for n consignments at RS on the in-process bus. Returns every
    ExportData record RS addressed to ME, the EXIT ones, and (with_me: an ME node on the bus handles
    them) ME's acknowledgements of the EXIT ones, plus their sizes. Nodes are stopped at the end."""
    bus = InMemoryBus()
    prefix = f"seedsim.bench-capture-{uuid.uuid4().hex[:8]}"
    topics = Topics(prefix)
    cfgs = node_configs(db_dir, prefix, None)

    def ack_records() -> list[Record]:
        return [
            r
            for r in bus.log(topics.inbox(EXIT_C))
            if r.header("ce_type") == ACKNOWLEDGEMENT.ce_type and r.header("ce_trigger") == "EXIT"
        ]

    async with running_network([cfgs[EXIT_C]] + ([cfgs[ENTRY_C]] if with_me else []), bus) as network:
        rs = network.customs[EXIT_C]
        gen = ConsignmentGenerator(seed, CROSSING)
        for i in range(1, n + 1):
            c = gen.make(i)
            await rs.lodge(export_xml(c))
            await rs.on_event(Event.PRE_ARRIVAL, c.ucr, CROSSING.exit_office, CROSSING.entry_office)
            await rs.on_event(Event.EXIT, c.ucr, CROSSING.exit_office, CROSSING.entry_office)
        if with_me:
            for _ in range(600):
                if len(ack_records()) >= n:
                    break
                await asyncio.sleep(0.05)
    export_records = list(bus.log(topics.inbox(ENTRY_C)))
    exits = [r for r in export_records if r.header("ce_trigger") == "EXIT"]
    acks = ack_records()

    def sizes(recs: list[Record], what: str) -> dict[str, int]:
        if not recs:
            return {}
        return {
            f"{what}_value_bytes": round(sum(len(r.value) for r in recs) / len(recs)),
            f"{what}_header_bytes": round(sum(sum(len(k) + len(v) for k, v in r.headers) for r in recs) / len(recs)),
        }

    return export_records, exits, acks, {**sizes(exits, "exit_data"), **sizes(acks, "ack")}


# ------------------------------------------------------------------------------------------------
# 3. broker-only baseline
# ------------------------------------------------------------------------------------------------


async def phase_baseline(
    bootstrap: str, n_exchanges: int, exit_samples: list[Record], ack_samples: list[Record], **producer_overrides: Any
) -> dict[str, Any]:
    """2 records per exchange (one real exit-data record, one real ack record) produced with the
    producer settings of KafkaTransport, and consumed back by a consumer group committing per batch,
    like KafkaTransport; no processing. Timed from the first send to the last record consumed."""
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

    if not exit_samples or not ack_samples:
        raise RuntimeError("no sample records captured (exit data or acknowledgements missing)")

    from seedsim.core.transport.kafka import KafkaTransport

    run_id = uuid.uuid4().hex[:8]
    topic = f"seedsim.bench-baseline-{run_id}"
    await KafkaTransport(bootstrap).ensure_topics([topic])  # 3 partitions, like the node topics
    producer_cfg = dict(acks="all", enable_idempotence=True, linger_ms=2, request_timeout_ms=30000)  # = KafkaTransport
    producer_cfg.update(producer_overrides)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, client_id=f"bench-baseline-{run_id}", **producer_cfg)
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"bench-baseline-{run_id}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=500,
        session_timeout_ms=10000,
        heartbeat_interval_ms=1000,
    )
    await producer.start()
    await consumer.start()
    total = 2 * n_exchanges
    try:
        while not consumer.assignment():
            await asyncio.sleep(0.05)
        received = 0
        done = asyncio.Event()

        async def consume() -> None:
            nonlocal received
            while received < total:
                batch = await consumer.getmany(timeout_ms=200, max_records=500)
                for tp, msgs in batch.items():
                    received += len(msgs)
                    if msgs:
                        await consumer.commit({TopicPartition(tp.topic, tp.partition): msgs[-1].offset + 1})
            done.set()

        samples = [r for pair in zip(exit_samples, ack_samples, strict=False) for r in pair]
        t0 = time.perf_counter()
        ctask = asyncio.create_task(consume())
        futures = []
        for i in range(total):
            r = samples[i % len(samples)]
            futures.append(await producer.send(topic, value=r.value, key=r.key, headers=list(r.headers)))
        await asyncio.gather(*futures)
        produced_s = time.perf_counter() - t0
        await asyncio.wait_for(ctask, timeout=600)
        elapsed = time.perf_counter() - t0

        # serial request/response cost: one send awaited at a time (what a node's inbox loop does per record)
        serial = []
        for i in range(300):
            r = samples[i % len(samples)]
            t = time.perf_counter()
            await (await producer.send(topic, value=r.value, key=r.key, headers=list(r.headers)))
            serial.append((time.perf_counter() - t) * 1000)
    finally:
        await consumer.stop()
        await producer.stop()
    return {
        "producer": {k: v for k, v in producer_cfg.items() if k != "request_timeout_ms"},
        "records": total,
        "elapsed_s": round(elapsed, 2),
        "produce_s": round(produced_s, 2),
        "records_per_s": round(total / elapsed, 1),
        "exchange_equivalents_per_s": round(n_exchanges / elapsed, 1),
        "avg_record_bytes": round(
            sum(len(r.value) + sum(len(k) + len(v) for k, v in r.headers) for r in samples) / len(samples)
        ),
        "serial_send_ack_ms": {"p50": _round(percentile(serial, 50), 2), "p99": _round(percentile(serial, 99), 2)},
    }


# ------------------------------------------------------------------------------------------------
# 4. memory of one node with N pending consignments (runs in a child process)
# ------------------------------------------------------------------------------------------------


def _proc_status() -> dict[str, float]:
    out = {}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            k, _, v = line.partition(":")
            if k in ("VmHWM", "VmRSS"):
                out[k] = int(v.split()[0]) / 1024  # kB -> MiB
    except OSError:
        pass
    return out


async def memory_child(bootstrap: str | None, n: int, seed: int, concurrency: int) -> dict[str, Any]:
    prefix = f"seedsim.bench-mem-{uuid.uuid4().hex[:8]}"
    transport = make_transport(bootstrap, client_id=f"seedsim-bench-mem-{prefix[-8:]}")
    with tempfile.TemporaryDirectory(prefix="seedsim-bench-mem-") as tmp:
        cfg = node_configs(Path(tmp), prefix, bootstrap)[EXIT_C]
        async with running_network([cfg], transport) as network:
            node = network.customs[EXIT_C]
            after_start = _proc_status()
            gen = ConsignmentGenerator(seed, CROSSING)
            next_i = 1
            done = 0
            marks: list[float] = []  # time at every 1000th consignment done: does lodging slow down as the store fills?
            t0 = time.perf_counter()

            async def worker() -> None:
                nonlocal next_i, done
                while next_i <= n:
                    i = next_i
                    next_i += 1
                    c = gen.make(i)  # generated on the fly: the driver holds no list of 10,000 consignments
                    res = await node.lodge(export_xml(c))
                    if not res.accepted:
                        raise RuntimeError(f"lodge rejected: {[str(x) for x in res.report.issues]}")
                    await node.on_event(Event.PRE_ARRIVAL, c.ucr, CROSSING.exit_office, CROSSING.entry_office)
                    done += 1
                    if done % 1000 == 0:
                        marks.append(time.perf_counter() - t0)

            await asyncio.gather(*(worker() for _ in range(concurrency)))
            load_s = time.perf_counter() - t0
            await asyncio.sleep(0.6)  # one more sent-marks flush
            pending = await node.store.read(
                lambda conn: conn.execute(
                    "SELECT COUNT(*) FROM consignments WHERE status = 'pre_arrival_sent'"
                ).fetchone()[0]
            )
            end = _proc_status()
            db_mb = sum(p.stat().st_size for p in Path(tmp).glob("*")) / 2**20
    return {
        "consignments": n,
        "pending": pending,
        "load_s": round(load_s, 1),
        "lodge_plus_prearrival_per_s": round(n / load_s, 1),
        "per_1000_s": [round(b - a, 2) for a, b in zip([0.0, *marks], marks, strict=False)],
        "rss_after_start_mb": _round(after_start.get("VmRSS")),
        "rss_end_mb": _round(end.get("VmRSS")),
        "vm_hwm_mb": _round(end.get("VmHWM")),
        # not the node's figure: Linux carries the parent's high-water mark over fork/vfork + exec into ru_maxrss,
        # so it shows the (much bigger) benchmark process; VmHWM is per address space and is the one reported
        "ru_maxrss_mb_not_used": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "sqlite_files_mb": round(db_mb, 1),
        "transport": "kafka" if bootstrap else "in-process bus",
    }


def phase_memory(bootstrap: str, n: int, seed: int) -> dict[str, Any]:
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--memory-child",
        "--consignments",
        str(n),
        "--seed",
        str(seed),
        "--kafka",
        bootstrap,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    if proc.returncode != 0:
        raise RuntimeError(f"memory child failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------------------------------------
# 5. where the time goes in one node's inbox handling
# ------------------------------------------------------------------------------------------------


class InlineExecutor(concurrent.futures.Executor):
    """Runs the store's work on the calling thread, so cProfile (one thread) sees all of it."""

    def submit(self, fn, /, *args, **kwargs):
        fut: concurrent.futures.Future = concurrent.futures.Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            fut.set_exception(exc)
        return fut


# (label, predicate on a pstats key (file, line, func)); cumulative time of the matching functions
PROFILE_BUCKETS: list[tuple[str, Any]] = [
    ("XML parse (parse_untrusted)", lambda f, fn: f.endswith("xml_safety.py") and fn == "parse_untrusted"),
    ("XSD validation (validate_xsd)", lambda f, fn: f.endswith("validation.py") and fn == "validate_xsd"),
    (
        "XML -> model binding (from_root)",
        lambda f, fn: fn == "from_root" and ("declaration.py" in f or "response.py" in f),
    ),
    ("business rules (RuleSet.run)", lambda f, fn: f.endswith("validation.py") and fn == "run"),
    ("ack XML build (to_xml)", lambda f, fn: fn == "to_xml" and f.endswith("response.py")),
    ("interop records built in tx (_interop)", lambda f, fn: f.endswith("inbox_node.py") and fn == "interop"),
    ("pydantic model_dump_json (all)", lambda f, fn: fn == "model_dump_json"),
    ("pydantic model_validate_json (all)", lambda f, fn: fn == "model_validate_json"),
    ("interop log lines (emit_to_log)", lambda f, fn: f.endswith("interop.py") and fn == "emit_to_log"),
    ("SQLite C calls (execute/commit/fetch)", lambda f, fn: "sqlite3" in fn),
    ("Tx.send (outbox insert + headers JSON)", lambda f, fn: f.endswith("sqlite_store.py") and fn == "send"),
    ("aiokafka (all Python code)", None),  # tottime of every function in aiokafka/*
    ("event loop select() (idle / waiting for Kafka)", lambda f, fn: fn == "select" and "selectors" in f),
]


def _kind(file: str, func: str) -> str:
    """Which kind of work a function's own time is (disjoint: every function in exactly one kind)."""
    if func == "<method 'poll' of 'select.epoll' objects>":
        return "idle: event loop waiting (Kafka round trips, timers)"
    if "sqlite3" in func:
        return "SQLite (C calls)"
    if (
        "lxml" in func
        or "lxml" in file
        or file.endswith(("xml_binding.py", "xml_safety.py", "validation.py", "wco.py"))
    ):
        return "XML: parse, XSD, XML<->model binding, serialise"
    if "pydantic" in file or "pydantic" in func:
        return "pydantic (validation / JSON)"
    if "aiokafka" in file or "_socket.socket" in func or "kafka" in file.lower() and "seedsim" not in file:
        return "Kafka client (aiokafka Python + socket calls)"
    if "/asyncio/" in file or "selectors" in file or "_contextvars" in func or "_asyncio" in func:
        return "asyncio machinery"
    if "/json/" in file or "json" in func:
        return "json (stdlib)"
    if "/seedsim/" in file:
        return "seedsim Python code (service, store, envelope, rules...)"
    return "other (stdlib, uuid, datetime, logging, ...)"


def own_time_by_kind(stats: dict, wall_s: float, units: int) -> list[dict[str, Any]]:
    acc: dict[str, float] = {}
    for (f, _l, fn), v in stats.items():
        k = _kind(f, fn)
        acc[k] = acc.get(k, 0.0) + v[2]
    return [
        {
            "kind": k,
            "s": round(t, 3),
            "pct_of_wall": round(100 * t / wall_s, 1),
            "ms_per_unit": round(1000 * t / units, 3),
        }
        for k, t in sorted(acc.items(), key=lambda kv: -kv[1])
    ]


def summarise_profile(prof: cProfile.Profile, wall_s: float, records: int) -> dict[str, Any]:
    st = pstats.Stats(prof)
    stats = st.stats  # {(file, line, func): (cc, nc, tt, ct, callers)}
    total_tt = sum(v[2] for v in stats.values())
    buckets = []
    for label, pred in PROFILE_BUCKETS:
        if pred is None:
            t = sum(v[2] for (f, _l, _fn), v in stats.items() if "aiokafka" in f)
        else:
            t = sum(v[3] for (f, _l, fn), v in stats.items() if pred(f, fn))
        buckets.append(
            {
                "what": label,
                "s": round(t, 3),
                "pct_of_wall": round(100 * t / wall_s, 1),
                "ms_per_record": round(1000 * t / records, 3),
            }
        )
    top = sorted(stats.items(), key=lambda kv: kv[1][2], reverse=True)[:15]
    top_own = [
        {"function": f"{Path(f).name}:{line}({fn})", "tottime_s": round(v[2], 3), "calls": v[1]}
        for (f, line, fn), v in top
    ]
    return {
        "records": records,
        "profiled_wall_s": round(wall_s, 2),
        "profiled_cpu_s": round(total_tt, 2),
        "buckets_cumulative": buckets,
        "own_time_by_kind": own_time_by_kind(stats, wall_s, records),
        "top_own_time": top_own,
    }


def _chunks(records: list[Record], size: int) -> list[list[Record]]:
    return [records[i : i + size] for i in range(0, len(records), size)]


async def _handle(node, batch: list[Record]) -> None:
    """Hand a batch to the node the way its Kafka consumer does."""
    if hasattr(node, "on_records"):
        await node.on_records(batch)
    else:  # older node API: one record at a time
        for r in batch:
            await node.on_record(r)


async def _timed_replay(node, records: list[Record], batch: int) -> dict[str, Any]:
    """Replay records into the node's inbox handler in batches of ``batch``, one batch after the
    other, as KafkaTransport._consume does; time the store transaction(s) and the Kafka send
    (instance-level wrappers, removed after)."""
    tx_t, send_t = [], []
    store, transport = node.store, node.transport
    wrapped = {name: getattr(store, name) for name in ("transaction", "transaction_each") if hasattr(store, name)}
    orig_send = transport.send_batch

    def timing(fn):
        async def run(work, *args):
            if getattr(work, "__name__", "") == "_mark":  # the node's sent-marks flusher, not the replay
                return await fn(work, *args)
            t = time.perf_counter()
            try:
                return await fn(work, *args)
            finally:
                tx_t.append(time.perf_counter() - t)

        return run

    async def send(recs):
        t = time.perf_counter()
        try:
            return await orig_send(recs)
        finally:
            send_t.append(time.perf_counter() - t)

    for name, fn in wrapped.items():
        setattr(store, name, timing(fn))
    transport.send_batch = send
    per = []
    t0 = time.perf_counter()
    try:
        for chunk in _chunks(records, batch):
            t = time.perf_counter()
            await _handle(node, chunk)
            per.append((time.perf_counter() - t) * 1000)
    finally:
        for name in wrapped:
            delattr(store, name)  # back to the class's method
        transport.send_batch = orig_send
    wall = time.perf_counter() - t0
    n = len(records)
    return {
        "records": n,
        "batch": batch,
        "records_per_s": round(n / wall, 1),
        "ms_per_record": round(1000 * wall / n, 3),
        "batch_ms": {"p50": _round(percentile(per, 50), 2), "p99": _round(percentile(per, 99), 2)},
        "store_transaction_ms_per_record": round(1000 * sum(tx_t) / n, 3),
        "kafka_send_batch_ms_per_record": round(1000 * sum(send_t) / n, 3),
        "rest_ms_per_record": round(1000 * (wall - sum(tx_t) - sum(send_t)) / n, 3),
    }


async def _profiled_replay(node, records: list[Record], batch: int) -> dict[str, Any]:
    store = node.store
    threaded = store._executor
    store._executor = InlineExecutor()
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    try:
        for chunk in _chunks(records, batch):
            await _handle(node, chunk)
    finally:
        prof.disable()
        store._executor = threaded
    result = summarise_profile(prof, time.perf_counter() - t0, len(records))
    result["batch"] = batch
    return result


# stages of the full flow: cumulative time (nested: SQLite and XML work is inside the stages that do it)
FLOW_STAGES: list[tuple[str, Any]] = [
    ("node: inbox records (_inbox_tx)", lambda f, fn: f.endswith("inbox_node.py") and fn == "_inbox_tx"),
    ("node: lodge, checks outside the tx (validator.check)", lambda f, fn: f.endswith("service.py") and fn == "lodge"),
    ("node: lodge tx (_lodge_tx)", lambda f, fn: f.endswith("service.py") and fn == "_lodge_tx"),
    ("node: EXIT / PRE_ARRIVAL tx (_exit_tx)", lambda f, fn: f.endswith("service.py") and fn == "_exit_tx"),
    ("node: ENTRY tx, matching (_entry_tx)", lambda f, fn: f.endswith("service.py") and fn == "_entry_tx"),
    ("node: interop records in tx (_interop)", lambda f, fn: f.endswith("inbox_node.py") and fn == "interop"),
    (
        "node: after-commit re-parse + log of interop (model_validate_json, emit_to_log in _dispatch)",
        lambda f, fn: (
            (f.endswith("interop.py") and fn == "emit_to_log") or (f.endswith("inbox_node.py") and fn == "<listcomp>")
        ),
    ),
    ("node: outbox sent-marks (mark_sent)", lambda f, fn: f.endswith("sqlite_store.py") and fn == "_mark"),
    (
        "Kafka producer (KafkaTransport.send_batch, CPU part)",
        lambda f, fn: f.endswith("kafka.py") and "seedsim" in f and fn == "send_batch",
    ),
    ("harness: driver builds the declarations' XML (demo play -> to_xml)", None),
    (
        "harness: monitor reads the interop topic (demo on_interop)",
        lambda f, fn: f.endswith("demo.py") and fn == "on_interop",
    ),
]


async def phase_flow_profile(bootstrap: str, n: int) -> dict[str, Any]:
    """cProfile of the whole benchmark process while run_demo plays n consignments over Kafka; the
    stores' SQLite work is run inline (module-level swap of the executor factory, restored after)
    so the single profiled thread sees everything the process does."""
    import seedsim.core.sqlite_store as sqlite_store

    settings = DemoSettings(
        consignments=n,
        kafka=bootstrap,
        show_flows=0,
        malformed=(),
        discrepancies=min(5, n),
        concurrency=64,
        timeout=600.0,
    )
    orig = sqlite_store.ThreadPoolExecutor
    sqlite_store.ThreadPoolExecutor = lambda **_kw: InlineExecutor()
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    try:
        result = await run_demo(settings, out=lambda _line: None)
    finally:
        prof.disable()
        sqlite_store.ThreadPoolExecutor = orig
    wall = time.perf_counter() - t0
    stats = pstats.Stats(prof).stats
    stages = []
    for label, pred in FLOW_STAGES:
        if pred is None:  # Declaration.to_xml called from demo.play (the driver), not from the node
            t = 0.0
            for (f, _l, fn), v in stats.items():
                if fn == "to_xml" and f.endswith("declaration.py"):
                    t += sum(ct for (cf, _cl, cfn), (_cc, _nc, _tt, ct) in v[4].items() if cf.endswith("demo.py"))
        else:
            t = sum(v[3] for (f, _l, fn), v in stats.items() if pred(f, fn))
        stages.append(
            {
                "stage": label,
                "s": round(t, 3),
                "pct_of_wall": round(100 * t / wall, 1),
                "ms_per_consignment": round(1000 * t / n, 3),
            }
        )
    return {
        "consignments": n,
        "completed": result.ok,
        "profiled_wall_s": round(wall, 2),
        "exchanges_per_s_under_profiler": round(n / wall, 1),
        "stages_cumulative": stages,
        "own_time_by_kind": own_time_by_kind(stats, wall, n),
    }


async def phase_profile(bootstrap: str, n: int, seed: int, batch: int = 50) -> dict[str, Any]:
    """ME's inbox handling ExportData (PRE_ARRIVAL + EXIT), then RS's inbox handling ME's acks,
    both sending their output over real Kafka. Records are captured on the in-process bus first."""
    run_id = uuid.uuid4().hex[:8]
    prefix = f"seedsim.bench-prof-{run_id}"
    topics = Topics(prefix)
    with tempfile.TemporaryDirectory(prefix="seedsim-bench-prof-") as tmp:
        db = Path(tmp)
        export_records, _exits, _acks, _ = await capture_records(n, seed, db)  # fills db/rs.sqlite3 (RS's own state)
        transport = make_transport(bootstrap, client_id=f"seedsim-bench-prof-{run_id}")
        cfgs = node_configs(db, prefix, bootstrap)
        async with running_network([cfgs[ENTRY_C]], transport) as network:
            me = network.customs[ENTRY_C]
            # RS is built by hand, outside the network: it reopens the database capture_records filled (its own
            # state) and only opens its store -- started, it would also consume ME's acks from Kafka while we
            # replay them
            rs = make_customs_node(cfgs[EXIT_C], transport)
            await rs.store.open()
            acks: list[Record] = []
            orig_send = transport.send_batch

            async def capture_send(recs):
                acks.extend(r for r in recs if r.topic == topics.inbox(EXIT_C))
                return await orig_send(recs)

            transport.send_batch = capture_send
            try:
                # the capture ran with another prefix: readdress the records to this run's inbox topic
                recs = [
                    Record(topics.inbox(ENTRY_C), r.value, r.key, r.headers, 0, i, r.timestamp_ms)
                    for i, r in enumerate(export_records)
                ]
                out: dict[str, Any] = {}

                async def measure(node, rs_: list[Record]) -> dict[str, Any]:
                    # records split in three: handled one per batch (a node under light load), in batches of
                    # `batch` (under load: the consumer fetches what accumulated), and profiled in batches
                    await _handle(node, rs_[:1])  # warm-up (first-call imports, statement cache)
                    third = (len(rs_) - 1) // 3
                    return {
                        "wall_batch_1": await _timed_replay(node, rs_[1 : 1 + third], 1),
                        "wall_batched": await _timed_replay(node, rs_[1 + third : 1 + 2 * third], batch),
                        "profile": await _profiled_replay(node, rs_[1 + 2 * third :], batch),
                    }

                out["me_export_data"] = await measure(me, recs)
                ack_recs = [Record(r.topic, r.value, r.key, r.headers, 0, i) for i, r in enumerate(acks)]
                out["rs_acknowledgement"] = await measure(rs, ack_recs)
            finally:
                transport.send_batch = orig_send
                await rs.stop()
    return out


# ------------------------------------------------------------------------------------------------
# report
# ------------------------------------------------------------------------------------------------


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "FAIL")


def print_report(r: dict[str, Any]) -> None:
    tp, bl, mem = r.get("throughput"), r.get("baseline"), r.get("memory")
    paced = r.get("paced") or []
    rows: list[tuple[str, str, str, str]] = []
    if tp:
        rows.append(
            (
                f"exchanges/s, full flow ({tp['consignments']} consignments, concurrency {tp['concurrency']})",
                f"{tp['exchanges_per_s']:.1f}",
                f">= {TARGETS['exchanges_per_s']:.0f}",
                verdict(tp["exchanges_per_s"] >= TARGETS["exchanges_per_s"]),
            )
        )
        rows.append(
            ("node-to-node messages/s (ExportData x2, EntryConf, 3 acks)", f"{tp['node_messages_per_s']:.1f}", "", "")
        )
        rows.append(("all Kafka records/s (incl. interop records)", f"{tp['kafka_records_per_s']:.1f}", "", ""))
        rows.append(("elapsed, full flow", f"{tp['elapsed_s']:.1f} s", "", "" if tp["counts_ok"] else "COUNTS WRONG"))
        lf = tp["latency_full_speed"]
        rows.append(("exit->ack p50 / p99, full speed", f"{lf['p50_ms']} / {lf['p99_ms']} ms", "", ""))
    for p in paced:
        lp = p["latency"]
        rows.append(
            (
                f"exit->ack p50 / p99, EXIT paced at {p['target_rate_per_s']:.0f}/s ({p['exchanges']} exits)",
                f"{lp['p50_ms']} / {lp['p99_ms']} ms",
                f"p99 < {TARGETS['paced_p99_ms']:.0f} ms" if p["target_rate_per_s"] == 500 else "",
                verdict(lp["p99_ms"] is not None and lp["p99_ms"] < TARGETS["paced_p99_ms"])
                if p["target_rate_per_s"] == 500
                else "",
            )
        )
        rows.append(
            ("  offered / achieved exchanges/s", f"{p['offered_rate_per_s']} / {p['achieved_exchanges_per_s']}", "", "")
        )
    if bl:
        rows.append((f"broker-only baseline records/s ({bl['records']} records)", f"{bl['records_per_s']:.1f}", "", ""))
        rows.append(
            ("  = baseline exchange-equivalents/s (records/s / 2)", f"{bl['exchange_equivalents_per_s']:.1f}", "", "")
        )
        if tp:
            ratio = r["ratio"]
            rows.append(
                (
                    "ratio: seedsim exchanges/s / baseline exch.-equiv/s",
                    f"{ratio:.4f}",
                    f">= {TARGETS['baseline_ratio']}",
                    verdict(ratio >= TARGETS["baseline_ratio"]),
                )
            )
        bb = r.get("baseline_big_batches")
        if bb:
            rows.append(("  baseline records/s, 1 MiB producer batches (info)", f"{bb['records_per_s']:.1f}", "", ""))
            if "ratio_vs_big_batches" in r:
                rows.append(("  ratio against that baseline (info)", f"{r['ratio_vs_big_batches']:.4f}", "", ""))
        rows.append(
            (
                "  single send awaited (acks=all) p50 / p99",
                f"{bl['serial_send_ack_ms']['p50']} / {bl['serial_send_ack_ms']['p99']} ms",
                "",
                "",
            )
        )
    if mem:
        peak = mem["vm_hwm_mb"]
        rows.append(
            (
                f"node peak RSS, {mem['pending']} pending consignments",
                f"{peak:.1f} MB",
                f"< {TARGETS['node_peak_rss_mb']:.0f} MB",
                verdict(peak < TARGETS["node_peak_rss_mb"]),
            )
        )
        rows.append(("  RSS after start / at end", f"{mem['rss_after_start_mb']} / {mem['rss_end_mb']} MB", "", ""))
    loads = [
        (k, r[k]["machine"]["loadavg_1m_at_end"]) for k in ("baseline", "throughput", "memory", "profile") if r.get(k)
    ]
    loads += [(f"paced {p['target_rate_per_s']:.0f}/s", p["machine"]["loadavg_1m_at_end"]) for p in paced]
    if tp:
        rows.append(
            (
                "CPU of the benchmark process per exchange, full flow",
                f"{tp['bench_process_cpu_ms_per_exchange']} ms",
                "",
                "",
            )
        )
    w = max(len(x[0]) for x in rows) if rows else 40
    say("")
    say(f"{'metric':<{w}}  {'measured':>22}  {'target':<14} verdict")
    say("-" * (w + 48))
    for a, b, c, d in rows:
        say(f"{a:<{w}}  {b:>22}  {c:<14} {d}")
    if loads:
        say(
            f"load average (1 min) at the end of each phase, {r['machine_cpus']} CPUs (well above {r['machine_cpus']}: a busy machine, "
            f"figures pessimistic): " + ", ".join(f"{k} {v}" for k, v in loads)
        )
    prof = r.get("profile")
    if prof and prof.get("full_flow"):
        ff = prof["full_flow"]
        say("")
        say(
            f"where the time goes -- whole process, full flow, {ff['consignments']} consignments "
            f"(cProfile, SQLite inline; {ff['profiled_wall_s']} s wall):"
        )
        if tp:
            say(
                f"  unprofiled, the throughput run used {tp['bench_process_cpu_ms_per_exchange']} ms CPU of the benchmark process "
                f"per consignment ({tp['machine']['bench_process_cpu_s']} s CPU in {tp['elapsed_s']} s)"
            )
        say("  own time by kind of work (disjoint):")
        for k in ff["own_time_by_kind"]:
            say(f"    {k['kind']:<60} {k['ms_per_unit']:>8.3f} ms/consignment  {k['pct_of_wall']:>5.1f}%")
        say("  by stage (cumulative, nested):")
        for st_ in sorted(ff["stages_cumulative"], key=lambda b: -b["s"]):
            say(f"    {st_['stage']:<60} {st_['ms_per_consignment']:>8.3f} ms/consignment  {st_['pct_of_wall']:>5.1f}%")
    if prof and prof.get("me_export_data"):
        for key, title in (
            ("me_export_data", "ME inbox, ExportData"),
            ("rs_acknowledgement", "RS inbox, Acknowledgement"),
        ):
            p = prof[key]["profile"]
            say("")
            say(f"where the time goes -- {title} (batches one after another, as the consumer loop runs them):")
            for wk in ("wall_batch_1", "wall_batched"):
                wall = prof[key][wk]
                say(
                    f"  batches of {wall['batch']:>3}: {wall['records_per_s']:>7} records/s; per record {wall['ms_per_record']} ms = "
                    f"store transaction {wall['store_transaction_ms_per_record']} + Kafka send_batch (await acks) "
                    f"{wall['kafka_send_batch_ms_per_record']} + rest {wall['rest_ms_per_record']}"
                )
            say(
                f"  cProfile ({p['records']} records in batches of {p['batch']}, SQLite inline; profiler overhead inflates Python code), cumulative:"
            )
            for b in sorted(p["buckets_cumulative"], key=lambda b: -b["s"]):
                say(f"    {b['what']:<48} {b['ms_per_record']:>8.3f} ms/record  {b['pct_of_wall']:>5.1f}%")
            say("  own time by kind of work (disjoint):")
            for k in p["own_time_by_kind"]:
                say(f"    {k['kind']:<60} {k['ms_per_unit']:>8.3f} ms/record  {k['pct_of_wall']:>5.1f}%")
            say("  top own time:")
            for t in p["top_own_time"][:10]:
                say(f"    {t['function']:<60} {t['tottime_s']:>7.3f} s  {t['calls']:>8} calls")


def _cpu_s() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


class PhaseClock:
    """Wall time, CPU time of this process and the load average around a phase.

    The machine may be shared: a load average well above the CPU count means the
    figures of that phase were taken on a busy machine."""

    def __init__(self) -> None:
        self.w0 = time.perf_counter()
        self.c0 = _cpu_s()

    def done(self) -> dict[str, Any]:
        return {
            "wall_s": round(time.perf_counter() - self.w0, 1),
            "bench_process_cpu_s": round(_cpu_s() - self.c0, 1),
            "loadavg_1m_at_end": round(os.getloadavg()[0], 2),
            "bench_process_rss_mb_at_end": _round(_proc_status().get("VmRSS")),
        }


async def main_async(args) -> dict[str, Any]:
    results: dict[str, Any] = {
        "targets": TARGETS,
        "consignments": args.consignments,
        "machine_cpus": os.cpu_count(),
        "loadavg_1m_at_start": round(os.getloadavg()[0], 2),
    }
    bootstrap = args.kafka
    phases = set(args.phases.split(","))
    with tempfile.TemporaryDirectory(prefix="seedsim-bench-cap-") as tmp:
        _all, exit_samples, ack_samples, sizes = await capture_records(
            min(200, args.consignments), args.seed, Path(tmp), with_me=True
        )
    results["record_sizes"] = sizes
    if "baseline" in phases:
        say(f"[baseline] {2 * args.consignments} records through plain aiokafka ...")
        # warm-up, not reported: a freshly started broker JVM (C1 JIT only) is several times slower at first
        await phase_baseline(bootstrap, min(args.consignments, 5000), exit_samples, ack_samples)
        clock = PhaseClock()
        results["baseline"] = await phase_baseline(bootstrap, args.consignments, exit_samples, ack_samples)
        results["baseline"]["machine"] = clock.done()
        say(f"           {results['baseline']['records_per_s']} records/s with KafkaTransport's producer settings")
        # the same, with batches big enough that the producer is not what limits the broker round trip
        results["baseline_big_batches"] = await phase_baseline(
            bootstrap, args.consignments, exit_samples, ack_samples, max_batch_size=1024 * 1024, linger_ms=5
        )
        say(f"           {results['baseline_big_batches']['records_per_s']} records/s with 1 MiB producer batches")
    if "throughput" in phases:
        say(f"[throughput] run_demo, {args.consignments} consignments over Kafka, concurrency {args.concurrency} ...")
        clock = PhaseClock()
        results["throughput"] = await phase_throughput(
            bootstrap, args.consignments, args.concurrency, args.discrepancies
        )
        results["throughput"]["machine"] = m = clock.done()
        results["throughput"]["bench_process_cpu_ms_per_exchange"] = round(
            1000 * m["bench_process_cpu_s"] / max(1, results["throughput"]["exchanges"]), 2
        )
        say(
            f"           {results['throughput']['exchanges_per_s']} exchanges/s in {results['throughput']['elapsed_s']} s"
        )
    if "paced" in phases:
        results["paced"] = []
        for rate in [float(x) for x in args.paced_rates.split(",") if x]:
            n = min(args.paced_exchanges, args.consignments)
            say(f"[paced] {n} EXIT events at {rate:.0f}/s (after staging lodge + PRE_ARRIVAL) ...")
            clock = PhaseClock()
            p = await phase_paced(bootstrap, n, rate, args.seed + 1, args.concurrency)
            p["machine"] = clock.done()
            results["paced"].append(p)
            say(
                f"           p50 {p['latency']['p50_ms']} ms, p99 {p['latency']['p99_ms']} ms, achieved {p['achieved_exchanges_per_s']}/s"
            )
    if "memory" in phases:
        say(f"[memory] one RS node in a child process, {args.consignments} export declarations + PRE_ARRIVAL ...")
        clock = PhaseClock()
        results["memory"] = phase_memory(bootstrap, args.consignments, args.seed + 2)
        results["memory"]["machine"] = clock.done()
        say(f"           peak {results['memory']['vm_hwm_mb']} MB")
    if "profile" in phases:
        say(f"[profile] one node's inbox, {args.profile_consignments} consignments' messages ...")
        clock = PhaseClock()
        results["profile"] = await phase_profile(
            bootstrap, args.profile_consignments, args.seed + 3, args.profile_batch
        )
        say(f"[profile] whole process, full flow of {args.profile_consignments} consignments (run_demo) ...")
        results["profile"]["full_flow"] = await phase_flow_profile(bootstrap, args.profile_consignments)
        results["profile"]["machine"] = clock.done()
    if "throughput" in results and "baseline" in results:
        results["ratio"] = round(
            results["throughput"]["exchanges_per_s"] / results["baseline"]["exchange_equivalents_per_s"], 4
        )
        if "baseline_big_batches" in results:
            results["ratio_vs_big_batches"] = round(
                results["throughput"]["exchanges_per_s"]
                / results["baseline_big_batches"]["exchange_equivalents_per_s"],
                4,
            )
    verdicts = {}
    if "throughput" in results:
        verdicts["exchanges_per_s"] = results["throughput"]["exchanges_per_s"] >= TARGETS["exchanges_per_s"]
    p500 = [p for p in results.get("paced", []) if p["target_rate_per_s"] == 500]
    if p500:
        verdicts["paced_p99_ms"] = (
            p500[0]["latency"]["p99_ms"] is not None and p500[0]["latency"]["p99_ms"] < TARGETS["paced_p99_ms"]
        )
    if "ratio" in results:
        verdicts["baseline_ratio"] = results["ratio"] >= TARGETS["baseline_ratio"]
    if "memory" in results:
        m = results["memory"]
        verdicts["node_peak_rss_mb"] = m["vm_hwm_mb"] is not None and m["vm_hwm_mb"] < TARGETS["node_peak_rss_mb"]
    results["verdicts"] = verdicts
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--consignments",
        type=int,
        default=10_000,
        help="consignments for throughput, baseline and memory (default 10000)",
    )
    ap.add_argument(
        "--kafka",
        default=os.environ.get("SEEDSIM_KAFKA_BOOTSTRAP"),
        help="bootstrap HOST:PORT of a running broker (default: $SEEDSIM_KAFKA_BOOTSTRAP, else start one)",
    )
    ap.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    ap.add_argument(
        "--concurrency", type=int, default=64, help="consignments in flight in the demo driver (default 64)"
    )
    ap.add_argument(
        "--discrepancies", type=int, default=5, help="planted discrepancies in the throughput run (default 5)"
    )
    ap.add_argument(
        "--paced-rates", default="500", help="comma-separated EXIT rates per second for the latency phase (default 500)"
    )
    ap.add_argument("--paced-exchanges", type=int, default=2000, help="EXIT events per paced run (default 2000)")
    ap.add_argument(
        "--profile-consignments", type=int, default=400, help="consignments replayed in the profile phase (default 400)"
    )
    ap.add_argument("--profile-batch", type=int, default=50, help="inbox batch size in the profile phase (default 50)")
    ap.add_argument("--phases", default="baseline,throughput,paced,memory,profile", help="subset of phases to run")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--memory-child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    # aiokafka logs "topic not found" at ERROR while the fresh topics of each phase are being created
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)

    if args.memory_child:
        print(json.dumps(asyncio.run(memory_child(args.kafka, args.consignments, args.seed, concurrency=32))))
        return 0

    with ExitStack() as stack:
        if not args.kafka:
            from tests.support.kafka_broker import KafkaBroker

            say("starting a Kafka broker (tests/support/kafka_broker.py) ...")
            broker = stack.enter_context(KafkaBroker())
            args.kafka = broker.bootstrap
            say(f"broker ({broker.mode}) at {args.kafka}")
        t0 = time.perf_counter()
        results = asyncio.run(main_async(args))
        results["kafka"] = args.kafka
        results["total_run_s"] = round(time.perf_counter() - t0, 1)
    print_report(results)
    say(f"\ntotal benchmark time {results['total_run_s']} s")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")
        say(f"figures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
