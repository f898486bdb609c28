"""Crossings per second of ``seedsim run`` on the in-process bus (issue 12's target: at least 1,000).

    .venv/bin/python tests/benchmarks/bench_bus_run.py [--consignments 300] [--repeat 3]
        [--profile out.prof] [--json out.json]

A *crossing* is one consignment crossing one border (a corridor leg): the exit
node lodges the export declaration, sends PRE_ARRIVAL and EXIT data, the entry
node validates, acknowledges and matches it, lodges the import declaration and
confirms the entry (3 signed node messages and their acknowledgements, plus the
interop records of every stage). The scenario is generated: N consignments
over a corridor of two crossings, Tabanovce (MK) - Presevo (RS) then Sremska
Raca (RS) - Raca (BA) (as in the shipped ``western-balkans-corridor``), with a
few planted discrepancies, so each run is 2N crossings. It is the same code as
``seedsim run`` without ``--kafka`` (``run_scenario``), minus the printing.

Before timing, a small run warms up imports and compiled schemas. Then the run is
repeated ``--repeat`` times; the best counts, the median is shown too, with the CPU
time per crossing (this process: nodes, bus and driver share one process and one
core). Every run's expectations (exact counts, alerts by rule, nothing lost)
are checked: a run that does not meet them is reported as a failure, not timed.
``--profile FILE`` writes a cProfile of one more run (read it with ``python -m
pstats FILE``) and prints the top functions by cumulative and by own time.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "services"))

from seedsim.runners.scenarios.scenario_loader import loads  # noqa: E402
from seedsim.runners.scenarios.scenario_run import RunResult, RunSettings, run_scenario  # noqa: E402

LEGS = 2


def scenario_text(consignments: int) -> str:
    """N consignments MK -> RS -> BA, two planted discrepancies at the final entry, exact expectations."""
    crossings = consignments * LEGS
    return f"""
name: bench-bus-run
description: Generated benchmark, {consignments} consignments over two crossings.
seed: 2026
timeout_s: 600
nodes: [MK, RS, BA]
corridors:
  - name: pan-european-x
    crossings:
      - {{name: "Tabanovce (MK) - Presevo (RS)", exit_office: MK001023, entry_office: RS018031}}
      - {{name: "Sremska Raca (RS) - Raca (BA)", exit_office: RS016020, entry_office: BA041010}}
traffic:
  - {{count: {consignments}, corridor: pan-european-x, seed: 1, discrepancies: {{mass: 1, vehicle: 1}}}}
expectations:
  every_export_pre_announced: true
  no_message_lost: true
  no_duplicate_applied: true
  counts: {{sent: {crossings * 3}, acknowledged: {crossings * 3}, matched: {crossings - 2}, rejected: 0, dead_lettered: 0}}
  alerts: {{exactly: 2}}
  alerts_by_rule: {{M01: 1, M06: 1}}
  nacks: 0
"""


def one_run(
    consignments: int, concurrency: int, profile: cProfile.Profile | None = None
) -> tuple[RunResult, float, float]:
    """(result, wall s, CPU s) of one run; the CPU is this process's (user + system)."""
    sc = loads(scenario_text(consignments), "bench-bus-run")
    settings = RunSettings(concurrency=concurrency)
    cpu0, t0 = time.process_time(), time.perf_counter()
    if profile:
        profile.enable()
    result = asyncio.run(run_scenario(sc, settings, out=lambda line: None))
    if profile:
        profile.disable()
    return result, time.perf_counter() - t0, time.process_time() - cpu0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--consignments", type=int, default=300, help="consignments per run (each crosses twice)")
    ap.add_argument("--concurrency", type=int, default=16, help="consignments in flight (seedsim run's default)")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs; the best counts")
    ap.add_argument("--profile", type=Path, help="also profile one run into this file")
    ap.add_argument("--json", type=Path, help="write the figures as JSON")
    a = ap.parse_args(argv)

    warm, _, _ = one_run(20, a.concurrency)
    if not warm.ok:
        print(f"warm-up run failed its expectations: {warm.failed or warm.problems}", file=sys.stderr)
        return 1
    crossings = a.consignments * LEGS
    runs = []
    for k in range(a.repeat):
        result, wall, cpu = one_run(a.consignments, a.concurrency)
        if not result.ok:
            print(f"run {k + 1} failed its expectations: {result.failed or result.problems}", file=sys.stderr)
            return 1
        runs.append((wall, cpu))
        print(
            f"run {k + 1}: {crossings} crossings in {wall:.2f} s ({crossings / wall:,.0f}/s), CPU {cpu:.2f} s",
            file=sys.stderr,
        )
    best = min(w for w, _ in runs)
    figures = {
        "consignments": a.consignments,
        "crossings": crossings,
        "concurrency": a.concurrency,
        "best_s": round(best, 3),
        "median_s": round(statistics.median(w for w, _ in runs), 3),
        "crossings_per_s": round(crossings / best, 1),
        "cpu_ms_per_crossing": round(1000 * statistics.median(c for _, c in runs) / crossings, 2),
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }
    print(
        f"seedsim run, in-process bus: {crossings} crossings ({a.consignments} consignments x {LEGS}), "
        f"concurrency {a.concurrency}\n"
        f"  best {figures['best_s']} s, median {figures['median_s']} s -> {figures['crossings_per_s']:,} crossings/s "
        f"(target 1,000)\n"
        f"  CPU {figures['cpu_ms_per_crossing']} ms per crossing (median run); load average {figures['load_avg_1m']}"
    )
    if a.profile:
        prof = cProfile.Profile()
        result, wall, _ = one_run(a.consignments, a.concurrency, prof)
        prof.dump_stats(a.profile)
        print(f"\nprofiled run: {crossings / wall:,.0f} crossings/s under cProfile; {a.profile}")
        for key in ("cumulative", "tottime"):
            pstats.Stats(str(a.profile)).sort_stats(key).print_stats(30)
    if a.json:
        a.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
