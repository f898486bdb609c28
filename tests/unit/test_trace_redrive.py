"""``seedsim trace replay --fresh`` re-drives a recorded run: the whole outcome again, matching and alerts included.

A shipped scenario is run on the in-process bus with ``--record``; its trace
holds what drove the nodes (the driver topic). The trace is replayed into fresh
nodes with ``--record``, and ``seedsim trace diff`` compares the two traces.
Every expectation is computed from the golden trace (its driver records, the
declarations they lodged), never from the replay.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from tests.unit.seedsim_cli import REPO, assert_no_traceback, clean_env
from tests.unit.test_trace_replay_cli import command

SCENARIO = REPO / "scenarios" / "tolerances.yaml"
#: the tolerances the scenario sets (scenarios/tolerances.yaml, matching:), which fresh nodes are given
SCENARIO_TOLERANCES = {"gross_mass_pct": Decimal(4), "value_pct": Decimal(3)}


def seedsim(*args: str, cwd: Path, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        command(*args), capture_output=True, text=True, timeout=timeout, env=clean_env(), cwd=cwd,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert_no_traceback(done.stdout, done.stderr)
    return done


def driver_records(trace: Path) -> list[dict[str, object]]:
    """The driver records of a trace file, read as plain JSON lines (not with seedsim's reader)."""
    out = []
    for line in trace.read_text().splitlines()[1:]:
        entry = json.loads(line)
        if entry["topic"].endswith(".driver"):
            out.append(json.loads(entry["payload"]))
    return out


def gross_masses(trace: Path) -> dict[str, tuple[Decimal, Decimal]]:
    """Per consignment, the total gross mass declared at exit (RS) and at entry (ME), from the lodged XML."""
    records = driver_records(trace)
    ucrs = {str(r["consignment"]) for r in records if r["action"] == "event"}
    mass: dict[tuple[str, str], Decimal] = {}
    for r in records:
        if r["action"] == "lodge":
            xml = base64.b64decode(str(r["xml_b64"])).decode()
            (ucr,) = [u for u in ucrs if u in xml]
            (total,) = re.findall(r"<TotalGrossMassMeasure[^>]*>([^<]+)<", xml)
            mass[(ucr, str(r["node"]))] = Decimal(total)
    return {u: (mass[(u, "RS")], mass[(u, "ME")]) for u in ucrs}


def tolerance_args(tolerances: dict[str, Decimal]) -> list[str]:
    return [a for name, pct in tolerances.items() for a in ("--tolerance", f"{name}={pct}")]


@pytest.fixture(scope="module")
def golden(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("redrive")
    run = seedsim("run", str(SCENARIO), "--record", "golden.jsonl", cwd=where)
    assert run.returncode == 0, run.stdout + run.stderr
    return where / "golden.jsonl"


def test_a_run_records_what_drove_its_nodes(golden: Path) -> None:
    records = driver_records(golden)
    ucrs = {r["consignment"] for r in records if r["action"] == "event"}
    assert len(ucrs) == 12  # the scenario's traffic: 6 + 3 + 3 consignments
    for ucr in ucrs:
        events = [(r["node"], r["event"]) for r in records if r.get("consignment") == ucr]
        assert events == [("RS", "PRE_ARRIVAL"), ("RS", "EXIT"), ("ME", "ENTRY")]
    lodged = [r["node"] for r in records if r["action"] == "lodge"]
    assert sorted(lodged) == ["ME"] * 12 + ["RS"] * 12


def test_a_recorded_run_replayed_into_fresh_nodes_has_the_golden_outcome(golden: Path) -> None:
    where = golden.parent
    replayed = seedsim(
        "trace", "replay", str(golden), "--to", "RS", "--to", "ME", "--fresh", "--record", "actual.jsonl",
        *tolerance_args(SCENARIO_TOLERANCES), cwd=where,
    )  # fmt: skip
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    assert f"re-drove 2 fresh node(s) with {len(driver_records(golden))} driver record(s)" in replayed.stdout
    assert "problem" not in replayed.stdout
    diff = seedsim("trace", "diff", str(golden), str(where / "actual.jsonl"), cwd=where)
    assert diff.returncode == 0, diff.stdout
    assert "EQUAL: the 12 consignments have the golden outcome" in diff.stdout
    # the replay's own recording holds what drove its nodes, as the golden trace does
    assert driver_records(where / "actual.jsonl") == driver_records(golden)


def test_c_tighter_gross_mass_tolerance_names_exactly_the_consignments_whose_alerts_changed(golden: Path) -> None:
    where = golden.parent
    tighter = {**SCENARIO_TOLERANCES, "gross_mass_pct": Decimal("2.5")}

    def alerts(exit_kg: Decimal, entry_kg: Decimal, tolerance: Decimal) -> bool:
        return abs(exit_kg - entry_kg) * 100 / max(exit_kg, entry_kg) > tolerance

    masses = gross_masses(golden)
    changed = {
        ucr
        for ucr, (e, i) in masses.items()
        if alerts(e, i, tighter["gross_mass_pct"]) != alerts(e, i, SCENARIO_TOLERANCES["gross_mass_pct"])
    }
    assert changed and changed != set(masses)  # the check means something: some change, not all
    replayed = seedsim(
        "trace", "replay", str(golden), "--to", "RS,ME", "--fresh", "--record", "tight.jsonl",
        *tolerance_args(tighter), cwd=where,
    )  # fmt: skip
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    diff = seedsim("trace", "diff", str(golden), str(where / "tight.jsonl"), "--format", "json", cwd=where)
    assert diff.returncode == 1
    report = json.loads(diff.stdout)
    named = {c["consignment"] for c in report["consignments"] if not c["equal"]}
    assert named == changed
    for c in report["consignments"]:
        if c["consignment"] in changed:
            e, i = masses[c["consignment"]]
            assert {d["subject"] for d in c["deviations"]} == {"matching", "alert M01 gross mass (kg)"}
            assert [d["actual"] for d in c["deviations"] if d["kind"] == "alert"] == [f"exit {e} / entry {i}"]


def test_re_driving_says_that_speed_and_rewrite_ids_do_not_apply(golden: Path) -> None:
    where = golden.parent
    replayed = seedsim(
        "trace", "replay", str(golden), "--to", "RS,ME", "--fresh", "--speed", "10x", "--rewrite-ids",
        "--record", "paced.jsonl", *tolerance_args(SCENARIO_TOLERANCES), cwd=where,
    )  # fmt: skip
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    assert "--speed and --rewrite-ids do not apply" in replayed.stdout + replayed.stderr
    diff = seedsim("trace", "diff", str(golden), str(where / "paced.jsonl"), cwd=where)
    assert diff.returncode == 0, diff.stdout


def test_tolerance_needs_fresh_and_a_known_name(tmp_path: Path) -> None:
    trace = tmp_path / "t.jsonl"
    trace.write_text("")
    for args, says in [
        (["--tolerance", "gross_mass_pct=1"], "--tolerance configures the fresh nodes: add --fresh"),
        (["--fresh", "--tolerance", "mass=1"], "--tolerance 'mass=1' is not NAME=PCT"),
        (["--fresh", "--tolerance", "value_pct=lots"], "--tolerance 'value_pct=lots' is not NAME=PCT"),
    ]:
        done = seedsim("trace", "replay", str(trace), "--to", "ME", "--kafka", "localhost:1", *args, cwd=tmp_path)
        assert done.returncode == 2
        assert says in done.stdout + done.stderr
