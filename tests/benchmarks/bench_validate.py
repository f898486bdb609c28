"""Validation throughput of ``seedsim validate`` next to ``xmllint --noout --schema`` on the same corpus.

    .venv/bin/python tests/benchmarks/bench_validate.py [--documents 2000] [--json out.json] [--phases]

A corpus of generated export/import declarations (about 1 in 10 planted with a
business-rule error, so the rules have something to find) is written to a
temporary folder. Then, in the same run and on the same files:

* ``xmllint --noout --schema schemas/wco/seedsim_metadata.xsd FILES`` (libxml2's
  own command line: XSD only, no business rules);
* ``seedsim validate FILES --format json`` as a subprocess (hardened parse, type
  detection, XSD, business rules, report);
* the same in-process (``seedsim.conformance.validate_paths``), which leaves out
  interpreter start-up and imports.

The ratio is seedsim's documents/s over xmllint's; the aim is >= 1. Each tool runs once untimed (page
cache, bytecode), then ``--repeat`` times in turns; the best run counts, the median is shown next to it,
with the CPU seconds (user + system, worker processes included) and the load average: on a busy machine
the wall-clock figures of a two-process seedsim suffer more than those of a one-process xmllint.
Needs xmllint (Debian: ``apt-get install libxml2-utils``).

``--phases`` adds where one process's CPU goes per document (``time.process_time``, best of ``--repeat``
passes over the corpus): the hardened parse, type detection, the XSD, reading the document into its model,
the business rules, each timed on its own as every document goes through them in turn, and the whole of
``validate_document`` (what a worker does with a file once read) timed on its own; and the start-up of ``seedsim validate`` (of one document: the
interpreter, the imports, the command line).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "services"))

from seedsim.conformance import sender_of, validate_document, validate_paths  # noqa: E402
from seedsim.core.identifiers import make_mrn  # noqa: E402
from seedsim.core.validation import RuleContext, compiled_schema, parse_checked, validate_xsd  # noqa: E402
from seedsim.core.wco import MetaData  # noqa: E402
from seedsim.core.xml_safety import XmlLimits  # noqa: E402
from seedsim.message_catalogue import CATALOGUE  # noqa: E402
from seedsim.samples.consignments import DISCREPANCY_KINDS, ConsignmentGenerator  # noqa: E402
from seedsim.samples.crossings import DEMO_CROSSINGS  # noqa: E402

TOOLS = ("xmllint", "seedsim_validate_cli", "seedsim_in_process")


def write_corpus(folder: Path, n: int, seed: int) -> list[Path]:
    gen = ConsignmentGenerator(seed, DEMO_CROSSINGS[0])
    rng = random.Random(seed)
    paths = []
    for i in range(1, n // 2 + 1):
        c = gen.make(i, DISCREPANCY_KINDS[i % len(DISCREPANCY_KINDS)] if i % 10 == 0 else None)
        serial = "".join(rng.choice("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(12))
        export = c.export.model_copy(update={"mrn": make_mrn(2026, "RS", serial, "A")})
        if i % 10 == 0:  # a business-rule error the XSD cannot see: gross mass below net mass
            item = export.items[0]
            gm = item.commodity.goods_measure
            bad = item.model_copy(
                update={
                    "commodity": item.commodity.model_copy(
                        update={
                            "goods_measure": gm.model_copy(
                                update={"gross_mass": gm.net_mass.model_copy(update={"value": gm.net_mass.value - 1})}
                            )
                        }
                    )
                }
            )
            export = export.model_copy(
                update={
                    "goods_shipment": export.goods_shipment.model_copy(update={"goods_items": [bad, *export.items[1:]]})
                }
            )
        for kind, d, cc in (("EX", export, "RS"), ("IM", c.import_, "ME")):
            p = folder / f"{kind}-{i:05d}.xml"
            p.write_bytes(d.to_xml(MetaData(wco_type_name="DEC", responsible_country_code=cc)))
            paths.append(p)
    return paths


#: the commands run as an installed seedsim runs: with its bytecode cached (pip compiles it on install; a
#: PYTHONDONTWRITEBYTECODE left in the environment would make every start compile the package from source)
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(cmd: list[str]) -> tuple[float, float, subprocess.CompletedProcess]:
    """Wall seconds and CPU seconds (user + system, the child and its own children) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=ENV)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), proc


def in_process(folder: str) -> tuple[float, float, list]:
    """``validate_paths`` in this process: wall and CPU seconds (this process and its worker processes)."""
    before = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    start = time.perf_counter()
    reports = validate_paths([folder])
    wall = time.perf_counter() - start
    after = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    cpu = sum((a.ru_utime - b.ru_utime) + (a.ru_stime - b.ru_stime) for a, b in zip(after, before, strict=True))
    return wall, cpu, reports


def phases(files: list[Path], repeat: int) -> dict[str, float]:
    """CPU microseconds per document of each phase of validating one document, in this one process.

    Each document goes through the phases in turn as ``validate_document`` takes it (fresh from its bytes, so
    the phases add up to the whole), each phase timed on its own; the best of ``repeat`` passes per phase."""
    limits = XmlLimits()
    datas = [f.read_bytes() for f in files]
    names = ("parse_and_hardening", "type_detection", "xsd", "xml_to_model", "business_rules")
    best = dict.fromkeys((*names, "whole_document"), float("inf"))
    clock = time.process_time
    for _ in range(repeat):
        spent = dict.fromkeys(names, 0.0)
        for data in datas:
            t0 = clock()
            root, _report = parse_checked(data, limits)
            t1 = clock()
            mt = CATALOGUE.detect(root)[0]
            t2 = clock()
            validate_xsd(root, compiled_schema(mt.schema))
            t3 = clock()
            model = mt.read(root)
            t4 = clock()
            mt.rules.run(model, RuleContext(sender=sender_of(root)))
            t5 = clock()
            for name, seconds in zip(names, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4), strict=True):
                spent[name] += seconds
        for name in names:
            best[name] = min(best[name], spent[name])
        start = clock()
        for f, data in zip(files, datas, strict=True):
            validate_document(data, str(f))
        best["whole_document"] = min(best["whole_document"], clock() - start)
    return {name: round(seconds / len(datas) * 1e6, 1) for name, seconds in best.items()}


def start_up(file: Path, repeat: int) -> float:
    """CPU seconds (best of ``repeat``) of ``seedsim validate`` of one document: interpreter, imports, command line."""
    return min(timed([sys.executable, "-m", "seedsim.cli", "validate", str(file)])[1] for _ in range(repeat))


def summary(n: int, walls: list[float], cpus: list[float], valid: int) -> dict:
    """The best of the repeated runs (the least disturbed by whatever else ran), and the median next to it."""
    best = min(walls)
    return {
        "seconds": round(best, 3),
        "docs_per_s": round(n / best, 1),
        "median_seconds": round(statistics.median(walls), 3),
        "median_docs_per_s": round(n / statistics.median(walls), 1),
        "cpu_seconds": round(min(cpus), 3),
        "valid": valid,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--documents", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=5, help="runs of each tool, taken in turns; the best one counts")
    ap.add_argument("--json")
    ap.add_argument("--phases", action="store_true", help="add the CPU per document of each phase, in one process")
    args = ap.parse_args()
    xmllint = shutil.which("xmllint")
    if not xmllint:
        print("xmllint not found: apt-get install libxml2-utils", file=sys.stderr)
        return 2
    schema = str(ROOT / "schemas" / "wco" / "seedsim_metadata.xsd")
    runs: dict[str, tuple[list[float], list[float]]] = {k: ([], []) for k in TOOLS}
    with tempfile.TemporaryDirectory(prefix="seedsim-validate-bench-") as tmp:
        files = write_corpus(Path(tmp), args.documents, args.seed)
        names = [str(p) for p in files]
        n = len(names)
        # the same files for both: xmllint is given every one of them in one invocation, as seedsim is their folder
        xmllint_cmd = [xmllint, "--noout", "--schema", schema, *names]
        seedsim_cli = [sys.executable, "-m", "seedsim.cli", "validate", "--format", "json", tmp]
        # once each, not timed: the files in the page cache, seedsim's bytecode written, for every tool alike
        timed(xmllint_cmd)
        timed(seedsim_cli)
        in_process(tmp)
        for _ in range(args.repeat):  # in turns, so a busy moment of the machine does not favour one tool
            wall, cpu, proc = timed(xmllint_cmd)
            xmllint_valid = proc.stderr.count(" validates")
            runs["xmllint"][0].append(wall)
            runs["xmllint"][1].append(cpu)

            wall, cpu, proc = timed(seedsim_cli)
            cli_report = json.loads(proc.stdout)
            cli_valid = sum(d["valid"] for d in cli_report["documents"])
            runs["seedsim_validate_cli"][0].append(wall)
            runs["seedsim_validate_cli"][1].append(cpu)

            wall, cpu, reports = in_process(tmp)
            runs["seedsim_in_process"][0].append(wall)
            runs["seedsim_in_process"][1].append(cpu)
        if args.phases:
            per_phase = phases(files, args.repeat)
            startup = start_up(files[0], args.repeat)

    valid = {
        "xmllint": xmllint_valid,
        "seedsim_validate_cli": cli_valid,
        "seedsim_in_process": sum(r.valid for r in reports),
    }
    figures: dict = {"documents": n, "repeat": args.repeat}
    for k in TOOLS:
        figures[k] = summary(n, *runs[k], valid[k])
    for k, name in (("seedsim_validate_cli", "cli"), ("seedsim_in_process", "in_process")):
        figures[f"ratio_{name}_vs_xmllint"] = round(figures[k]["docs_per_s"] / figures["xmllint"]["docs_per_s"], 3)
    if args.phases:
        figures["cpu_us_per_document"] = per_phase
        figures["validate_start_up_cpu_seconds"] = round(startup, 3)
    figures["cores"] = len(os.sched_getaffinity(0))
    figures["load_average_1min"] = round(os.getloadavg()[0], 2)
    print(f"{n} documents ({n - valid['seedsim_in_process']} with a business-rule error xmllint cannot see)")
    print(f"best of {args.repeat} runs each (median in brackets); CPU = user + system seconds")
    for k in TOOLS:
        f = figures[k]
        print(
            f"  {k:<22} {f['docs_per_s']:>9.1f} docs/s ({f['median_docs_per_s']:.1f})"
            f"  {f['seconds']:.3f} s, CPU {f['cpu_seconds']:.3f} s, {f['valid']} valid"
        )
    print(
        f"  ratio seedsim validate / xmllint: {figures['ratio_cli_vs_xmllint']} (CLI),"
        f" {figures['ratio_in_process_vs_xmllint']} (in-process); aim >= 1"
    )
    if args.phases:
        print("  CPU per document, one process (us): " + ", ".join(f"{k} {v}" for k, v in per_phase.items()))
        print(f"  start-up (seedsim validate of one document): {startup:.3f} s CPU")
    print(f"  {figures['cores']} cores, 1-minute load average at the end {figures['load_average_1min']}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
