#!/usr/bin/env python
"""Benchmark of seedsim over a real Kafka broker with each node in its own process, as docker compose runs them.

Run from the repository root::

    .venv/bin/python tests/benchmarks/bench_processes.py [--workers 1,2] [--consignments 3000] [--json out.json]

RS (exit) and ME (entry) run as ``seedsim node`` processes (``--workers N`` each), each with its own SQLite
file; the benchmark process is the driver: it lodges the declarations and fires the events over the nodes'
HTTP API and hears the nodes through the interop topic, as ``seedsim demo --nodes`` and the compose runner
do (:func:`seedsim.runners.demo.run_demo` with ``node_urls``). Without ``--kafka`` (or
``SEEDSIM_KAFKA_BOOTSTRAP``) a broker is started with ``tests/support/kafka_broker.KafkaBroker``.

Phases, each on fresh topics (a new prefix) and fresh node processes and databases:

1. throughput, per worker count: N full consignment lifecycles (export lodged, PRE_ARRIVAL, EXIT, exit data
   validated and acknowledged, import lodged, ENTRY with matching, entry confirmation acknowledged; every
   validation, data-set check and interop record on), C consignments in flight. Lifecycles/s, node messages/s
   (the six exchange records of a lifecycle: two exit data, one entry confirmation, three acknowledgements;
   interop records not counted), CPU per lifecycle of each node's processes and of the driver;
2. paced latency, per rate: the export declarations lodged first (not timed), then EXIT fired at the rate for ``--paced-seconds``; exit -> acknowledgement p50/p99 as RS records it
   (``latency_ms`` of its ``ack_received`` interop record), the offered and achieved rates;
3. baseline: raw aiokafka with the node's producer settings (``KafkaTransport``: acks=all, idempotent,
   linger 2 ms, 256 KiB batches), the same number of records as the throughput run's node messages (real
   exit-data and acknowledgement records), consumed back by a group committing per batch; the ratio is node
   messages/s / baseline records/s.

This is a script, not a test: pytest does not collect it (see conftest.py here).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # for tests.support.kafka_broker and bench_exchange's helpers

from seedsim.bootstrap import make_transport  # noqa: E402
from seedsim.core.interop import Stage, decode_interop  # noqa: E402
from seedsim.core.topics import Topics  # noqa: E402
from seedsim.runners.demo import DemoSettings, lodged_xml, run_demo  # noqa: E402
from seedsim.runners.interop_summary import InteropSummary  # noqa: E402
from seedsim.runners.node_clients import HttpClient  # noqa: E402
from seedsim.samples.consignments import ConsignmentGenerator  # noqa: E402
from seedsim.samples.crossings import DEMO_CROSSINGS  # noqa: E402
from tests.benchmarks.bench_exchange import (  # noqa: E402
    _cpu_s,
    capture_records,
    fire_exits_paced,
    lat_stats,
    phase_baseline,
    say,
)

TARGETS = {
    "lifecycles_per_s": 500.0,  # >=
    "node_messages_ratio": 0.25,  # >= node messages/s / raw aiokafka records/s
    "p99_ms_at_100": 50.0,  # <
    "p99_ms_at_250": 100.0,  # <
}
#: the node's producer settings (seedsim.core.transport.kafka.KafkaTransport.start)
NODE_PRODUCER = {"max_batch_size": 256 * 1024}
CROSSING = DEMO_CROSSINGS[0]
EXIT_C, ENTRY_C = CROSSING.exit_office[:2], CROSSING.entry_office[:2]
SEEDSIM = [sys.executable, "-m", "seedsim"]


# ------------------------------------------------------------------------------------------------
# the nodes, as processes
# ------------------------------------------------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _process_tree_cpu_s(root: int) -> float:
    """User + system CPU seconds of ``root`` and its descendants (alive), from /proc."""
    parent: dict[int, int] = {}
    cpu: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        parent[int(entry)] = int(fields[1])
        cpu[int(entry)] = (int(fields[11]) + int(fields[12])) / tick
    tree, todo = set(), [root]
    while todo:
        pid = todo.pop()
        tree.add(pid)
        todo.extend(p for p, pp in parent.items() if pp == pid and p not in tree)
    return sum(cpu.get(p, 0.0) for p in tree)


@dataclass
class NodeProc:
    country: str
    url: str
    proc: subprocess.Popen
    log: Path

    def cpu_s(self) -> float:
        return _process_tree_cpu_s(self.proc.pid)


@contextmanager
def node_processes(kafka: str, prefix: str, folder: Path, workers: int) -> Iterator[dict[str, NodeProc]]:
    """RS and ME as ``seedsim node`` processes (``--workers``), healthy, stopped on the way out."""
    nodes: dict[str, NodeProc] = {}
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEEDSIM_")}
    try:
        for country, partner in ((EXIT_C, ENTRY_C), (ENTRY_C, EXIT_C)):
            port = _free_port()
            log = folder / f"{country}.log"
            cmd = [
                *SEEDSIM, "node", "--country", country, "--port", str(port), "--kafka", kafka,
                "--db", str(folder / f"{country.lower()}.sqlite3"), "--partners", partner,
                "--topic-prefix", prefix, "--keys", str(folder / "keys"), "--workers", str(workers),
            ]  # fmt: skip
            with open(log, "wb") as out:
                proc = subprocess.Popen(cmd, env=env, cwd=folder, stdin=subprocess.DEVNULL, stdout=out, stderr=out)
            nodes[country] = NodeProc(country, f"http://127.0.0.1:{port}", proc, log)
            _wait_healthy(nodes[country], workers)
        yield nodes
    finally:
        for n in nodes.values():
            n.proc.terminate()
        for n in nodes.values():
            try:
                n.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                n.proc.kill()


def _wait_healthy(node: NodeProc, workers: int, timeout: float = 90) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while True:
        if node.proc.poll() is not None:
            raise RuntimeError(f"node {node.country} exited:\n{node.log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{node.url}/health", timeout=2) as r:
                # every worker says it is up (the first prints the banner once all listen on the socket)
                if r.status == 200 and (workers < 2 or re.search(r"workers:\s+\d+ processes", node.log.read_text())):
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"node {node.country} not healthy in {timeout} s:\n{node.log.read_text()[-3000:]}")
        time.sleep(0.3)


class Meter:
    """Wall time, CPU of each node's processes and of this (driver) process, and the load average, around a run."""

    def __init__(self, nodes: dict[str, NodeProc]) -> None:
        self.nodes = nodes
        self.w0, self.c0 = time.perf_counter(), _cpu_s()
        self.n0 = {c: n.cpu_s() for c, n in nodes.items()}

    def done(self, units: int) -> dict[str, Any]:
        wall = time.perf_counter() - self.w0
        cpu = {c: n.cpu_s() - self.n0[c] for c, n in self.nodes.items()}
        driver = _cpu_s() - self.c0
        return {
            "wall_s": round(wall, 1),
            "node_cpu_s": {c: round(v, 1) for c, v in cpu.items()},
            "node_cpu_ms_per_lifecycle": {c: round(1000 * v / max(1, units), 2) for c, v in cpu.items()},
            "node_cpu_utilisation": {c: round(v / wall, 2) for c, v in cpu.items()},
            "driver_cpu_s": round(driver, 1),
            "driver_cpu_ms_per_lifecycle": round(1000 * driver / max(1, units), 2),
            "loadavg_1m_at_end": round(os.getloadavg()[0], 2),
        }


# ------------------------------------------------------------------------------------------------
# 1. throughput: full lifecycles against node processes
# ------------------------------------------------------------------------------------------------


async def phase_throughput(kafka: str, n: int, concurrency: int, workers: int, seed: int) -> dict[str, Any]:
    prefix = f"seedsim.bench-proc-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory(prefix="seedsim-bench-proc-") as tmp:
        with node_processes(kafka, prefix, Path(tmp), workers) as nodes:
            settings = DemoSettings(
                consignments=n,
                seed=seed,
                discrepancies=5,
                malformed=(),
                kafka=kafka,
                node_urls={c: p.url for c, p in nodes.items()},
                topic_prefix=prefix,
                concurrency=concurrency,
                show_flows=0,
                timeout=900,
            )
            meter = Meter(nodes)
            result = await run_demo(settings, out=lambda line: None)
            machine = meter.done(n)
    if not result.ok:
        raise RuntimeError(
            f"throughput run with {workers} worker(s): counts {result.counts}, expected {result.expected}"
        )
    elapsed = result.elapsed_s
    interop = len(result.summary.records)
    return {
        "workers_per_node": workers,
        "lifecycles": n,
        "concurrency": concurrency,
        "elapsed_s": round(elapsed, 2),
        "lifecycles_per_s": round(n / elapsed, 1),
        "node_messages_per_s": round(6 * n / elapsed, 1),
        "interop_records_per_s": round(interop / elapsed, 1),
        "counts": result.counts,
        "exit_ack_latency_full_speed": lat_stats(result.latencies_ms),
        "machine": machine,
    }


# ------------------------------------------------------------------------------------------------
# 2. paced exit -> ack latency
# ------------------------------------------------------------------------------------------------


async def phase_paced(kafka: str, rate: float, seconds: float, workers: int, seed: int) -> dict[str, Any]:
    n = int(rate * seconds)
    run = uuid.uuid4().hex[:8]
    topics = Topics(f"seedsim.bench-paced-{run}")
    listener = make_transport(kafka, client_id=f"seedsim-bench-{run}")
    summary = InteropSummary()

    async def on_interop(records) -> None:
        for r in records:
            for rec in decode_interop(r.value):  # a batch: the records of one node transaction
                summary.add(rec)

    gen = ConsignmentGenerator(seed, CROSSING, run=run[:4])
    consignments = [gen.make(i) for i in range(1, n + 1)]
    loop = asyncio.get_running_loop()
    with tempfile.TemporaryDirectory(prefix="seedsim-bench-paced-") as tmp:
        with node_processes(kafka, topics.prefix, Path(tmp), workers) as nodes:
            client = HttpClient({c: p.url for c, p in nodes.items()})
            listener.subscribe([topics.interop], group=f"seedsim-bench-monitor-{run}", handler=on_interop)
            await listener.start()
            try:
                # staged, not timed: every export declaration lodged (EXIT needs nothing else)
                limiter = asyncio.Semaphore(8)

                async def stage(c) -> None:
                    async with limiter:
                        await client.lodge(EXIT_C, lodged_xml(c)[0])

                t_stage = time.perf_counter()
                await asyncio.gather(*(stage(c) for c in consignments))
                stage_s = time.perf_counter() - t_stage
                await asyncio.sleep(2.0)  # the nodes' sent-marks and consumers settle
                meter = Meter(nodes)
                t0 = loop.time()
                offered_s = await fire_exits_paced(client, consignments, rate, in_flight=64)
                done = await summary.wait_for(
                    lambda s: s.count(Stage.ACK_RECEIVED, "ExportData", "EXIT") >= n, timeout=300
                )
                drained_s = loop.time() - t0
                machine = meter.done(n)
            finally:
                await client.close()
                await listener.stop()
    lat = summary.latencies_ms
    tenth = max(1, len(lat) // 10)
    return {
        "workers_per_node": workers,
        "target_rate_per_s": rate,
        "exits": n,
        "stage_s": round(stage_s, 1),
        "completed": done,
        "offered_rate_per_s": round(n / offered_s, 1),
        "achieved_rate_per_s": round(n / drained_s, 1),
        "latency": lat_stats(lat),
        "latency_first_10pct": lat_stats(lat[:tenth]),
        "latency_last_10pct": lat_stats(lat[-tenth:]),
        "machine": machine,
    }


# ------------------------------------------------------------------------------------------------


def _save(args, results: dict[str, Any]) -> None:
    """Write the figures so far (a later phase that fails leaves the earlier ones)."""
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")


async def main_async(args) -> dict[str, Any]:
    results: dict[str, Any] = {
        "targets": TARGETS,
        "machine_cpus": os.cpu_count(),
        "loadavg_1m_at_start": round(os.getloadavg()[0], 2),
        "driver": "the benchmark process (run_demo with node_urls: HTTP to the nodes, the interop topic read back)",
        "throughput": [],
        "paced": [],
    }
    phases = set(args.phases.split(","))
    worker_counts = [int(w) for w in args.workers.split(",") if w]
    if "baseline" in phases:
        with tempfile.TemporaryDirectory(prefix="seedsim-bench-cap-") as tmp:
            _all, exits, acks, sizes = await capture_records(200, args.seed, Path(tmp), with_me=True)
        results["record_sizes"] = sizes
        records = 6 * args.consignments
        say(f"[baseline] {records} records through plain aiokafka, the node's producer settings ...")
        await phase_baseline(args.kafka, min(records // 2, 5000), exits, acks, **NODE_PRODUCER)  # warm-up
        results["baseline"] = await phase_baseline(args.kafka, records // 2, exits, acks, **NODE_PRODUCER)
        results["baseline"]["loadavg_1m_at_end"] = round(os.getloadavg()[0], 2)
        say(f"           {results['baseline']['records_per_s']} records/s")
        _save(args, results)
    if "throughput" in phases:
        for w in worker_counts:
            say(
                f"[throughput] {args.consignments} lifecycles, {w} worker(s) per node, {args.concurrency} in flight ..."
            )
            t = await phase_throughput(args.kafka, args.consignments, args.concurrency, w, args.seed)
            if "baseline" in results:
                t["ratio_node_messages_to_baseline"] = round(
                    t["node_messages_per_s"] / results["baseline"]["records_per_s"], 4
                )
            results["throughput"].append(t)
            _save(args, results)
            say(
                f"           {t['lifecycles_per_s']} lifecycles/s, {t['node_messages_per_s']} node messages/s"
                f" (load {t['machine']['loadavg_1m_at_end']})"
            )
    if "paced" in phases:
        for w in [int(x) for x in args.paced_workers.split(",") if x]:
            for rate in [float(x) for x in args.paced_rates.split(",") if x]:
                say(f"[paced] EXIT at {rate:.0f}/s for {args.paced_seconds:.0f} s, {w} worker(s) per node ...")
                p = await phase_paced(args.kafka, rate, args.paced_seconds, w, args.seed + 1)
                results["paced"].append(p)
                _save(args, results)
                say(
                    f"           p50 {p['latency']['p50_ms']} ms, p99 {p['latency']['p99_ms']} ms,"
                    f" achieved {p['achieved_rate_per_s']}/s (load {p['machine']['loadavg_1m_at_end']})"
                )
    verdicts: dict[str, bool] = {}
    if results["throughput"]:
        best = max(t["lifecycles_per_s"] for t in results["throughput"])
        verdicts["lifecycles_per_s"] = best >= TARGETS["lifecycles_per_s"]
        ratios = [
            t["ratio_node_messages_to_baseline"]
            for t in results["throughput"]
            if "ratio_node_messages_to_baseline" in t
        ]
        if ratios:
            verdicts["node_messages_ratio"] = max(ratios) >= TARGETS["node_messages_ratio"]
    for p in results["paced"]:
        key = f"p99_ms_at_{p['target_rate_per_s']:.0f}"
        if key in TARGETS and p["latency"]["p99_ms"] is not None:
            verdicts[f"{key}_workers_{p['workers_per_node']}"] = p["latency"]["p99_ms"] < TARGETS[key]
    results["verdicts"] = verdicts
    return results


def print_report(r: dict[str, Any]) -> None:
    say("")
    say(f"nodes as processes; driver: {r['driver']}; load at start {r['loadavg_1m_at_start']}")
    if "baseline" in r:
        say(f"raw aiokafka, node producer settings: {r['baseline']['records_per_s']} records/s")
    for t in r["throughput"]:
        m = t["machine"]
        say(
            f"{t['workers_per_node']} worker(s)/node: {t['lifecycles_per_s']} lifecycles/s, {t['node_messages_per_s']}"
            f" node messages/s (ratio {t.get('ratio_node_messages_to_baseline')}), exit->ack p50/p99 at full speed"
            f" {t['exit_ack_latency_full_speed']['p50_ms']}/{t['exit_ack_latency_full_speed']['p99_ms']} ms;"
            f" CPU ms/lifecycle {m['node_cpu_ms_per_lifecycle']}, driver {m['driver_cpu_ms_per_lifecycle']};"
            f" load {m['loadavg_1m_at_end']}"
        )
    for p in r["paced"]:
        say(
            f"paced {p['target_rate_per_s']:.0f}/s x {p['exits']} ({p['workers_per_node']} worker(s)/node): p50"
            f" {p['latency']['p50_ms']} ms, p99 {p['latency']['p99_ms']} ms, last tenth p99"
            f" {p['latency_last_10pct']['p99_ms']} ms; offered {p['offered_rate_per_s']}/s, achieved"
            f" {p['achieved_rate_per_s']}/s; load {p['machine']['loadavg_1m_at_end']}"
        )
    say(f"verdicts (target met): {r['verdicts']}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kafka", default=os.environ.get("SEEDSIM_KAFKA_BOOTSTRAP"), help="a running broker HOST:PORT")
    ap.add_argument("--consignments", type=int, default=3000, help="lifecycles per throughput run (default 3000)")
    ap.add_argument("--concurrency", type=int, default=64, help="consignments in flight (default 64)")
    ap.add_argument("--workers", default="1,2", help="worker processes per node, one throughput run each (1,2)")
    ap.add_argument("--paced-rates", default="100,250", help="EXIT rates per second of the latency runs (100,250)")
    ap.add_argument("--paced-seconds", type=float, default=60.0, help="how long each rate is held (60)")
    ap.add_argument("--paced-workers", default="1", help="worker counts of the latency runs (1)")
    ap.add_argument("--phases", default="baseline,throughput,paced", help="subset of phases to run")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    with ExitStack() as stack:
        if not args.kafka:
            from tests.support.kafka_broker import KafkaBroker

            say("starting a Kafka broker (tests/support/kafka_broker.py) ...")
            broker = stack.enter_context(KafkaBroker())
            args.kafka = broker.bootstrap
        t0 = time.perf_counter()
        results = asyncio.run(main_async(args))
        results["kafka"] = args.kafka
        results["total_run_s"] = round(time.perf_counter() - t0, 1)
    print_report(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")
        say(f"figures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
