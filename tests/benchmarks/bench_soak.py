"""Benchmark: a node's memory through a soak of N messages (default 1,000,000), with a short retention.

The target (issue 12): **a node's memory stays flat through a soak of 1 million messages, under 200 MB.**

One customs node (ME) reads N messages from its inbox: RS's exit data (PRE_ARRIVAL and EXIT) and acknowledgements,
as a demo run sends them, each re-sent with a new ``ce_id``, a new consignment (UCR) every cycle of the demo's
messages, the current time and RS's signature, so every message is new to the node, valid and handled in full
(signature, schema, rules, data set, risk profiles, message log, handled id, acknowledgement, interop records).
The node runs with a short retention (``--retention``, default 30 s for handled ids and the message log, and
``--consignment-retention``, default 30 s, for the customs node's consignments; purged every ``--purge-every``
seconds), so the soak shows that the purge keeps up and that nothing else grows. The database's size on disk (the
file and its write-ahead log) is sampled with the RSS.

The transport: by default a sink that hands the records to the node's inbox handler in batches of ``--batch``
(as the in-process bus does) and counts what the node sends without keeping it (the in-process bus keeps every
record ever sent, which is the bus's memory, not the node's). With ``--kafka HOST:PORT`` the records go through
a real broker: the driver produces them to the node's inbox topic and the node consumes them as it does in
production (the driver's producer lives in the same process and is counted in the RSS too).

The resident memory (RSS, ``/proc/self/status`` VmRSS) of the process is sampled every ``--sample-every``
messages; the messages of a demo run used as templates are made in a child process first, so the measured process
holds only the node and the driver. Printed: the curve every 10%, the peak, messages/s, what the purge deleted,
and the verdict: **flat** when the peak is under 200 MB and the RSS after warm-up (the first 20%) grows by less
than 10% of the warm-up figure (``--growth-mb`` overrides the allowance) to the end.

Run: ``.venv/bin/python tests/benchmarks/bench_soak.py [--messages 1000000] [--retention 30s] [--json out.json]``.
At about 1,000 messages/s on an idle 2-core machine the default takes 15-20 minutes; ``--messages 100000`` 2-3.

Figures (2026-11-30, 2 cores shared with other runs, load average 13-22, so messages/s is the load's, not the
node's): 100,000 messages, retention 30 s (consignments kept): RSS 70.0 MB before the first message, 80.0 MB at
10%, 80.1 MB at the end, peak 80.1 MB, +0.1 MB after warm-up; 55 messages/s; database 115 MB (the consignments).
20,000 messages with ``--consignment-retention 30s``: peak 80.2 MB, +0.1 MB after warm-up; 114 messages/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import re
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from seedsim.core.envelope import Envelope, new_id  # noqa: E402
from seedsim.core.message_signing import SIGNATURE_HEADER  # noqa: E402
from seedsim.core.topics import Topics  # noqa: E402
from seedsim.core.transport import Record  # noqa: E402
from seedsim.core.transport.port import Handler  # noqa: E402

TARGET_MB = 200.0
#: the share of the soak that is warm-up (caches filling, SQLite's page cache, the first purge)
WARM_UP = 0.2
NODE, SENDER = "ME", "RS"
#: the tables whose rows are counted at the end
HELD = ("handled", "messages", "consignments", "prearrival", "alerts", "events")
_UCR = re.compile(rb"-C(\d{7})")


def demo_templates(consignments: int = 20) -> list[tuple[tuple[tuple[str, bytes], ...], bytes]]:
    """The headers and values of what RS sends to ME's inbox in a demo run (run in a child process)."""
    from seedsim.core.transport.memory import InMemoryBus
    from seedsim.runners import demo

    bus = InMemoryBus()
    demo.make_transport = lambda *a, **k: bus  # type: ignore[assignment]
    settings = demo.DemoSettings(consignments=consignments, malformed=(), show_flows=0)
    asyncio.run(demo.run_demo(settings, out=lambda s: None))
    return [(r.headers, r.value) for r in bus.log(Topics().inbox(NODE))]


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def db_mb(path: Path) -> float:
    """The node's database on disk: the file and its write-ahead log."""
    return sum(p.stat().st_size for p in (path, path.with_name(path.name + "-wal")) if p.exists()) / 2**20


class SinkTransport:
    """A transport that hands the driver's records to the node's inbox handler and counts what the node sends."""

    def __init__(self) -> None:
        self.handler: Handler | None = None
        self.sent = 0

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def ensure_topics(self, topics: Sequence[str]) -> None:
        pass

    async def send_batch(self, records: Sequence[Record]) -> Sequence[Record]:
        self.sent += len(records)
        return records

    def subscribe(self, topics: Sequence[str], group: str, handler: Handler) -> None:
        self.handler = handler


class Messages:
    """Soak messages made from the demo's: each with a new id, time and signature; a new UCR each cycle."""

    def __init__(self, templates: list[tuple[tuple[tuple[str, bytes], ...], bytes]]) -> None:
        from seedsim.core.network_keys import development_keys

        self.templates = [(Envelope.from_headers(h), v) for h, v in templates]
        self.span = 1 + max(int(m.group(1)) for _, v in self.templates if (m := _UCR.search(v)))
        self.signer = development_keys().signer(SENDER)
        self.topic = Topics().inbox(NODE)

    def record(self, n: int, offset: int) -> Record:
        env, value = self.templates[n % len(self.templates)]
        cycle = n // len(self.templates)
        found = _UCR.search(value)
        if found:
            number = (cycle * self.span + int(found.group(1))) % 10**7
            old, new = found.group(0), b"-C%07d" % number
            value = value.replace(old, new)
            env = replace(env, subject=(env.subject or "").replace(old.decode(), new.decode()))
        env = replace(env, id=new_id(), time=datetime.now(UTC))
        headers = [h for h in env.to_headers() if h[0] != SIGNATURE_HEADER]
        signed = tuple(self.signer.sign(headers, value)) if self.signer else tuple(headers)
        return Record(self.topic, value, (env.subject or "").encode(), signed, 0, offset)


async def soak(args: argparse.Namespace, templates: list[Any]) -> dict[str, Any]:
    from seedsim.bootstrap import make_customs_node, make_transport
    from seedsim.commands.preflight import duration_seconds
    from seedsim.config import NodeConfig

    retention = duration_seconds(args.retention)
    messages = Messages(templates)
    with tempfile.TemporaryDirectory(prefix="seedsim-soak-") as tmp:
        config = NodeConfig(
            node=NODE,
            db=Path(tmp) / "me.sqlite3",
            partners=[SENDER],
            kafka=args.kafka,
            topic_prefix=f"seedsim.soak-{new_id()[:8]}" if args.kafka else "seedsim",
            idempotency_window_s=retention,
            message_log_retention_s=retention,
            purge_every_s=duration_seconds(args.purge_every),
            consignment_retention_s=duration_seconds(args.consignment_retention)
            if args.consignment_retention
            else None,
        )
        if args.kafka:
            transport: Any = make_transport(args.kafka, client_id="seedsim-soak-node")
            driver: Any = make_transport(args.kafka, client_id="seedsim-soak-driver")
            messages.topic = Topics(config.topic_prefix).inbox(NODE)
        else:
            transport = driver = SinkTransport()
        node = make_customs_node(config, transport)
        handled = _handled_counter(node)
        await transport.start()
        if driver is not transport:
            await driver.start()
        await node.start()
        db = config.db_path()
        samples: list[tuple[int, float, float, float]] = [(0, 0.0, rss_mb(), db_mb(db))]
        t0 = time.perf_counter()
        try:
            sent = 0
            while sent < args.messages:
                batch = [messages.record(n, n) for n in range(sent, min(sent + args.batch, args.messages))]
                sent += len(batch)
                if driver is transport and transport.handler is not None:
                    await transport.handler(batch)
                else:
                    await driver.send_batch(batch)
                    while sent - handled() > 4 * args.batch:  # the broker holds the rest: keep the lag bounded
                        await asyncio.sleep(0.01)
                if sent % args.sample_every < args.batch:
                    samples.append((sent, time.perf_counter() - t0, rss_mb(), db_mb(db)))
                    if args.progress:
                        at = samples[-1]
                        print(
                            f"  {sent:>9,} messages  {at[2]:6.1f} MB  db {at[3]:6.1f} MB", file=sys.stderr, flush=True
                        )
            while handled() < args.messages:
                await asyncio.sleep(0.05)
            elapsed = time.perf_counter() - t0
            samples.append((args.messages, elapsed, rss_mb(), db_mb(db)))
            await node.purge()
            purged = dict(node.metrics.purged)
            held = await node.store.read(
                lambda c: {t: c.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in HELD}
            )
        finally:
            if driver is not transport:
                await driver.stop()
            await transport.stop()
            await node.stop()
    return {
        "messages": args.messages,
        "elapsed_s": round(elapsed, 1),
        "messages_per_s": round(args.messages / elapsed, 1),
        "samples": samples,
        "purged": purged,
        "rows_held_at_end": held,
        "retention": args.retention,
    }


def _handled_counter(node: Any) -> Any:
    """How many inbox records the node has handled so far (counted as its inbox handler returns)."""
    count = [0]
    inner = node.on_records

    async def counting(records: Sequence[Record]) -> None:
        await inner(records)
        count[0] += len(records)

    node.on_records = counting
    return lambda: count[0]


def verdict(result: dict[str, Any], growth_mb: float | None) -> dict[str, Any]:
    samples = result["samples"]
    n = result["messages"]
    peak = max(s[2] for s in samples)
    warm = [s for s in samples if s[0] >= WARM_UP * n]
    at_warm, at_end = warm[0][2], samples[-1][2]
    allowance = growth_mb if growth_mb is not None else 0.1 * at_warm
    # the trend after warm-up: least-squares slope of RSS over messages, per 100,000 messages
    xs, ys = [s[0] for s in warm], [s[2] for s in warm]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    var = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var * 100_000 if var else 0.0
    growth = at_end - at_warm
    return {
        "peak_mb": round(peak, 1),
        "database_peak_mb": round(max(s[3] for s in samples), 1),
        "rss_after_warm_up_mb": round(at_warm, 1),
        "rss_end_mb": round(at_end, 1),
        "growth_after_warm_up_mb": round(growth, 1),
        "slope_mb_per_100k": round(slope, 2),
        "flat": peak < TARGET_MB and growth < allowance,
    }


def curve(samples: list[tuple[int, float, float, float]], n: int) -> list[tuple[int, float, float, float]]:
    """The sample nearest each 10% of the soak."""
    points = []
    for tenth in range(11):
        want = n * tenth // 10
        points.append(min(samples, key=lambda s: abs(s[0] - want)))
    return points


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--retention", default="30s", help="idempotency window and message-log retention")
    parser.add_argument("--purge-every", default="5s")
    parser.add_argument(
        "--consignment-retention", default="30s", help="the customs node's consignment retention; '' keeps them all"
    )
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--sample-every", type=int, default=5000)
    parser.add_argument("--growth-mb", type=float, help="the RSS growth after warm-up still called flat")
    parser.add_argument("--kafka", default=os.environ.get("SEEDSIM_KAFKA_BOOTSTRAP"))
    parser.add_argument("--progress", action="store_true", help="print every sample to stderr")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    with multiprocessing.get_context("spawn").Pool(1) as pool:
        templates = pool.apply(demo_templates)
    result = asyncio.run(soak(args, templates))
    result.update(verdict(result, args.growth_mb))
    result["load_1m"] = round(os.getloadavg()[0], 2)
    result["transport"] = f"kafka {args.kafka}" if args.kafka else "in-process sink"
    print(f"soak of {args.messages:,} messages into one node ({result['transport']}), retention {args.retention}:")
    print(f"  {'messages':>11}  {'elapsed':>8}  {'RSS':>9}  {'database':>9}")
    for sent, at, mb, disk in curve(result["samples"], args.messages):
        print(f"  {sent:>11,}  {at:>7.1f}s  {mb:>6.1f} MB  {disk:>6.1f} MB")
    print(
        f"peak {result['peak_mb']} MB (target < {TARGET_MB:.0f} MB); after warm-up {result['rss_after_warm_up_mb']} MB"
        f" -> end {result['rss_end_mb']} MB ({result['growth_after_warm_up_mb']:+} MB,"
        f" {result['slope_mb_per_100k']:+} MB per 100k messages); database peak {result['database_peak_mb']} MB"
    )
    print(
        f"{result['messages_per_s']:,} messages/s; purged {result['purged']}; held at end {result['rows_held_at_end']}"
    )
    print(f"memory {'FLAT' if result['flat'] else 'NOT FLAT'}; load average {result['load_1m']}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
