"""Benchmark: what signing costs -- per message (sign, verify) and end to end (the demo, signed and unsigned).

Figures (README, "Signed messages"):

* **sign** and **verify**: µs per message of :meth:`Signer.signature` and :func:`verify` (the canonical JSON of the
  signed attributes, SHA-256 of the value, one Ed25519 operation, base64url), over the real inbox messages of a demo
  run (exit data, acknowledgements, entry confirmations), median of ``--repeat`` passes; verify also against the
  same keys read from a trust list file (as a node started with ``trust_list`` holds them: it looks for a change of
  the file at most once a second, so a revocation takes effect without a restart);
* **end to end**: ``run_demo`` on the in-process bus, two customs nodes (RS, ME), ``--consignments`` consignments,
  once with signing on (every message signed and checked) and once off (``DemoSettings.signing=False``, which the
  configuration refuses outside the in-process bus): exchanges/s and messages/s of each, alternating runs, best of
  ``--runs`` each, and the relative cost.

Run: ``.venv/bin/python tests/benchmarks/bench_signing.py [--consignments 1000] [--runs 3] [--json out.json]``.
The machine should be otherwise idle (the 1-minute load average is printed).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from seedsim.core.message_signing import SIGNATURE_HEADER, verify  # noqa: E402
from seedsim.core.network_keys import development_keys  # noqa: E402
from seedsim.core.topics import Topics  # noqa: E402
from seedsim.core.transport import Record  # noqa: E402
from seedsim.core.transport.memory import InMemoryBus  # noqa: E402
from seedsim.core.trust_list import TrustList  # noqa: E402
from seedsim.runners import demo  # noqa: E402


def demo_messages() -> list[Record]:
    """The inbox records of a 50-consignment demo on the bus, as the nodes signed them."""
    bus = InMemoryBus()
    real = demo.make_transport
    demo.make_transport = lambda *a, **k: bus  # type: ignore[assignment]
    try:
        asyncio.run(demo.run_demo(demo.DemoSettings(consignments=50, malformed=(), show_flows=0), out=lambda s: None))
    finally:
        demo.make_transport = real  # type: ignore[assignment]
    return [r for n in ("RS", "ME") for r in bus.log(Topics().inbox(n))]


def per_message(records: list[Record], repeat: int) -> dict[str, float]:
    keys = development_keys()
    signer = keys.signer("RS")
    assert signer is not None
    unsigned = [tuple(h for h in r.headers if h[0] != SIGNATURE_HEADER) for r in records]
    signed = [r.headers for r in records]
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp:  # the same keys as a node holds them: read from a trust list file
        on_file = TrustList.load(TrustList(keys.trust.keys.values()).save(Path(tmp) / "trust-list.json"))
    sign_runs, verify_runs, file_runs = [], [], []
    for _ in range(repeat):
        t = time.perf_counter()
        for headers, r in zip(unsigned, records, strict=True):
            signer.signature(headers, r.value)
        sign_runs.append((time.perf_counter() - t) / len(records) * 1e6)
        t = time.perf_counter()
        for headers, r in zip(signed, records, strict=True):
            assert verify(headers, r.value, keys.trust, now).ok
        verify_runs.append((time.perf_counter() - t) / len(records) * 1e6)
        t = time.perf_counter()
        for headers, r in zip(signed, records, strict=True):
            assert verify(headers, r.value, on_file, now).ok
        file_runs.append((time.perf_counter() - t) / len(records) * 1e6)
    sizes = sorted(len(r.value) for r in records)
    return {
        "messages": len(records),
        "median_value_bytes": sizes[len(sizes) // 2],
        "sign_us": round(statistics.median(sign_runs), 1),
        "verify_us": round(statistics.median(verify_runs), 1),
        "verify_file_trust_list_us": round(statistics.median(file_runs), 1),
    }


def end_to_end(consignments: int, runs: int) -> dict[str, dict[str, float]]:
    best: dict[str, dict[str, float]] = {}
    for _ in range(runs):
        for signing in (True, False):
            settings = demo.DemoSettings(consignments=consignments, malformed=(), show_flows=0, signing=signing)
            result = asyncio.run(demo.run_demo(settings, out=lambda s: None))
            assert result.completed, result.counts
            elapsed = max(result.elapsed_s - 0.2, 1e-9)  # run_demo waits 0.2 s after the last record
            figures = {
                "exchanges_per_s": round(consignments / elapsed, 1),
                "messages_per_s": round(result.counts["delivered"] / elapsed, 1),
                "elapsed_s": round(elapsed, 2),
            }
            name = "signed" if signing else "unsigned"
            if name not in best or figures["elapsed_s"] < best[name]["elapsed_s"]:
                best[name] = figures
    best["cost"] = {
        "throughput_change_pct": round(
            (best["signed"]["exchanges_per_s"] / best["unsigned"]["exchanges_per_s"] - 1) * 100, 1
        )
    }
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--consignments", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    records = demo_messages()
    figures = {"per_message": per_message(records, args.repeat)}
    print(f"per message ({figures['per_message']['messages']} demo messages): {figures['per_message']}", flush=True)
    figures["end_to_end"] = end_to_end(args.consignments, args.runs)
    figures["load_1m"] = round(os.getloadavg()[0], 2)
    figures["cpus"] = os.cpu_count()
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
