"""Validation throughput of ``seedsim validate`` next to ``xmllint --noout --schema`` on the same corpus.

    .venv/bin/python tests/benchmarks/bench_validate.py [--documents 2000] [--json out.json]

A corpus of generated export/import declarations (about 1 in 10 planted with a
business-rule error, so the rules have something to find) is written to a
temporary folder. Then, in the same run and on the same files:

* ``xmllint --noout --schema schemas/wco/seedsim_metadata.xsd FILES`` (libxml2's
  own command line: XSD only, no business rules);
* ``seedsim validate FILES --format json`` as a subprocess (hardened parse, type
  detection, XSD, business rules, report);
* the same in-process (``seedsim.conformance.validate_paths``), which leaves out
  interpreter start-up and imports.

The ratio is seedsim's documents/s over xmllint's; the aim is >= 1.
Needs xmllint (Debian: ``apt-get install libxml2-utils``).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "services"))

from seedsim.conformance import validate_paths  # noqa: E402
from seedsim.core.identifiers import make_mrn  # noqa: E402
from seedsim.core.wco import MetaData  # noqa: E402
from seedsim.samples.consignments import DISCREPANCY_KINDS, ConsignmentGenerator  # noqa: E402
from seedsim.samples.crossings import DEMO_CROSSINGS  # noqa: E402


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


def timed(cmd: list[str]) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    return time.perf_counter() - start, proc


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--documents", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json")
    args = ap.parse_args()
    xmllint = shutil.which("xmllint")
    if not xmllint:
        print("xmllint not found: apt-get install libxml2-utils", file=sys.stderr)
        return 2
    schema = str(ROOT / "schemas" / "wco" / "seedsim_metadata.xsd")
    with tempfile.TemporaryDirectory(prefix="seedsim-validate-bench-") as tmp:
        files = write_corpus(Path(tmp), args.documents, args.seed)
        names = [str(p) for p in files]
        n = len(names)

        t_xmllint, proc = timed([xmllint, "--noout", "--schema", schema, *names])
        xmllint_valid = proc.stderr.count(" validates")

        seedsim_cli = [sys.executable, "-m", "seedsim.cli", "validate", "--format", "json", tmp]
        t_cli, proc = timed(seedsim_cli)
        cli_report = json.loads(proc.stdout)
        cli_valid = sum(d["valid"] for d in cli_report["documents"])

        start = time.perf_counter()
        reports = validate_paths([tmp])
        t_inproc = time.perf_counter() - start

    figures = {
        "documents": n,
        "xmllint": {"seconds": round(t_xmllint, 3), "docs_per_s": round(n / t_xmllint, 1), "valid": xmllint_valid},
        "seedsim_validate_cli": {"seconds": round(t_cli, 3), "docs_per_s": round(n / t_cli, 1), "valid": cli_valid},
        "seedsim_in_process": {
            "seconds": round(t_inproc, 3),
            "docs_per_s": round(n / t_inproc, 1),
            "valid": sum(r.valid for r in reports),
        },
    }
    figures["ratio_cli_vs_xmllint"] = round(
        figures["seedsim_validate_cli"]["docs_per_s"] / figures["xmllint"]["docs_per_s"], 3
    )
    figures["ratio_in_process_vs_xmllint"] = round(
        figures["seedsim_in_process"]["docs_per_s"] / figures["xmllint"]["docs_per_s"], 3
    )
    print(f"{n} documents ({n - figures['seedsim_in_process']['valid']} with a business-rule error xmllint cannot see)")
    for k in ("xmllint", "seedsim_validate_cli", "seedsim_in_process"):
        f = figures[k]
        print(f"  {k:<22} {f['docs_per_s']:>9.1f} docs/s  ({f['seconds']:.2f} s, {f['valid']} valid)")
    print(
        f"  ratio seedsim validate / xmllint: {figures['ratio_cli_vs_xmllint']} (CLI), {figures['ratio_in_process_vs_xmllint']} (in-process); aim >= 1"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
