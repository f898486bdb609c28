"""``seedsim run|demo --record`` and ``seedsim trace stats|show|diff``, as a tester uses them (a subprocess each).

The recordings are made once per module (a run takes seconds): a shipped
scenario twice with its seed, once with another seed, and once as a copy whose
matching tolerances are looser, so that the consignments whose alerts change
are known from the golden trace itself.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from seedsim.runners.interop_summary import SUMMARY_FIELDS
from tests.unit.seedsim_cli import REPO, assert_no_traceback, many, seedsim

SCENARIO = REPO / "scenarios" / "tolerances.yaml"
#: the shipped scenario's tolerances, and looser ones: the gross mass alerts (6% drift) disappear at 7%
TIGHT, LOOSE = "{gross_mass_pct: 4, value_pct: 3}", "{gross_mass_pct: 7, value_pct: 3}"


class Recordings:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.loose = folder / "loose.yaml"
        text = SCENARIO.read_text()
        assert TIGHT in text, "the shipped scenario's tolerances changed: update TIGHT"
        self.loose.write_text(text.replace(TIGHT, LOOSE))
        runs = {
            "golden": (str(SCENARIO), "golden.jsonl"),
            "again": (str(SCENARIO), "again.jsonl.gz"),
            "other_seed": (str(SCENARIO), "other_seed.jsonl", "--seed", "7"),
            "loose": (str(self.loose), "loose.jsonl"),
        }
        done = many(
            [(["run", args[0], "--record", str(folder / args[1]), "--json", *args[2:]], {}) for args in runs.values()],
            timeout=120,
        )
        self.trace: dict[str, Path] = {}
        self.result: dict[str, dict[str, Any]] = {}
        for name, args, proc in zip(runs, runs.values(), done, strict=True):
            assert_no_traceback(proc.stdout, proc.stderr)
            self.trace[name] = folder / args[1]
            self.result[name] = json.loads(proc.stdout)


@pytest.fixture(scope="module")
def rec(tmp_path_factory: pytest.TempPathFactory) -> Recordings:
    return Recordings(tmp_path_factory.mktemp("traces"))


def stats_of(trace: Path, *extra: str) -> dict[str, Any]:
    proc = seedsim("trace", "stats", str(trace), "--json", *extra)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def show_of(trace: Path, *extra: str) -> list[dict[str, Any]]:
    proc = seedsim("trace", "show", str(trace), "--json", *extra)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def run_counts_from(trace: Path) -> dict[str, int]:
    """A run's summary counts as ``trace stats`` and ``trace show`` tell them: each label's interop stage,
    where 'delivered' and 'valid' count business messages, not acknowledgements, so the acknowledgements
    a node received (``trace show`` gives each its receiver's verdict) are taken out of those two."""
    stages = stats_of(trace)["stages"]
    acks = [
        row
        for conversation in show_of(trace, "--type", "Acknowledgement")
        for row in conversation["rows"]
        if row["kind"] == "message"
    ]
    received = {
        "delivered": sum("verdict" in row for row in acks),
        "valid": sum(row.get("verdict") == "valid" for row in acks),
    }
    return {label: stages.get(stage.value, 0) - received.get(label, 0) for label, stage in SUMMARY_FIELDS}


def test_a_recorded_run_counts_what_the_run_reported(rec: Recordings) -> None:
    for name in ("golden", "again", "loose"):
        assert run_counts_from(rec.trace[name]) == rec.result[name]["counts"], name
    header = json.loads(rec.trace["golden"].read_text().splitlines()[0])
    assert header["source"] == "bus" and header["scenario"] == "tolerances"
    assert header["seed"] == rec.result["golden"]["seed"]
    assert json.loads(rec.trace["other_seed"].read_text().splitlines()[0])["seed"] == 7
    assert rec.trace["again"].read_bytes()[:2] == b"\x1f\x8b", "a .gz recording is compressed"


def test_stats_prints_tables_for_a_person(rec: Recordings) -> None:
    proc = seedsim("trace", "stats", str(rec.trace["golden"]))
    assert proc.returncode == 0, proc.stderr
    for heading in ("topic", "sender", "receiver", "type", "stage"):
        assert any(line.split()[:1] == [heading] for line in proc.stdout.splitlines()), heading
    assert "seedsim.interop" in proc.stdout and "ExportData" in proc.stdout


def test_show_a_consignment_prints_its_conversation(rec: Recordings) -> None:
    every = show_of(rec.trace["golden"])
    assert len(every) == rec.result["golden"]["counts"]["matched"] + 6  # every consignment (6 alerted)
    ref = every[0]["consignment"]
    proc = seedsim("trace", "show", str(rec.trace["golden"]), "--consignment", ref)
    assert proc.returncode == 0, proc.stderr
    heads = [line for line in proc.stdout.splitlines() if line.startswith("consignment ")]
    assert len(heads) == 1 and heads[0].startswith(f"consignment {ref}")
    assert "RS -> ME" in proc.stdout and "ExportData (EXIT)" in proc.stdout and "ME -> RS" in proc.stdout
    assert "acked" in proc.stdout and "valid" in proc.stdout
    only_me = seedsim("trace", "show", str(rec.trace["golden"]), "--consignment", ref, "--type", "EntryConfirmation")
    assert "EntryConfirmation" in only_me.stdout and "ExportData" not in only_me.stdout
    missing = seedsim("trace", "show", str(rec.trace["golden"]), "--consignment", "NO-SUCH-REF")
    assert missing.returncode == 1 and "no conversation with consignment NO-SUCH-REF" in missing.stderr
    assert_no_traceback(proc.stderr, missing.stderr)


def test_two_recordings_of_one_scenario_and_seed_are_equal(rec: Recordings) -> None:
    proc = seedsim("trace", "diff", str(rec.trace["golden"]), str(rec.trace["again"]))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "EQUAL" in proc.stdout


def alerted(trace: Path, rule: str) -> set[str]:
    conversations = show_of(trace)
    return {
        c["consignment"]
        for c in conversations
        for row in c["rows"]
        if row.get("stage") == "alert" and row.get("result") == rule
    }


def test_looser_tolerances_name_exactly_the_consignments_whose_alerts_changed(rec: Recordings) -> None:
    changed = alerted(rec.trace["golden"], "M01") - alerted(rec.trace["loose"], "M01")
    assert changed, "the looser tolerance should drop some gross mass alert"
    proc = seedsim("trace", "diff", str(rec.trace["golden"]), str(rec.trace["loose"]), "--format", "json")
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    assert {c["consignment"] for c in report["consignments"] if not c["equal"]} == changed
    text = seedsim("trace", "diff", str(rec.trace["golden"]), str(rec.trace["loose"]))
    assert text.returncode == 1
    for ref in changed:
        assert f"consignment {ref}:" in text.stdout
    assert "alert M01" in text.stdout and "DIFFERENT" in text.stdout


def test_another_seed_is_different_and_names_the_consignments(rec: Recordings) -> None:
    proc = seedsim("trace", "diff", str(rec.trace["golden"]), str(rec.trace["other_seed"]))
    assert proc.returncode == 1, proc.stderr
    golden_refs = {c["consignment"] for c in show_of(rec.trace["golden"])}
    for ref in golden_refs:
        assert f"consignment {ref}:" in proc.stdout
    assert "consignment only in golden" in proc.stdout and "consignment only in actual" in proc.stdout


def test_junit_report_written_to_a_file(rec: Recordings, tmp_path: Path) -> None:
    out = tmp_path / "diff.xml"
    proc = seedsim(
        "trace", "diff", str(rec.trace["golden"]), str(rec.trace["loose"]), "--format", "junit", "-o", str(out)
    )
    assert proc.returncode == 1, proc.stderr
    assert str(out) in proc.stdout and "DIFFERENT" in proc.stdout
    suite = etree.parse(str(out)).getroot().find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    failed = {c.get("name") for c in cases if c.find("failure") is not None}
    assert failed == alerted(rec.trace["golden"], "M01") - alerted(rec.trace["loose"], "M01")
    assert int(suite.get("tests", "0")) == len(cases) == len(failed) + 9


def test_a_line_that_is_not_json_stops_every_reading_command_with_its_number(rec: Recordings, tmp_path: Path) -> None:
    lines = rec.trace["golden"].read_text().splitlines(keepends=True)
    bad = tmp_path / "bad.jsonl"
    bad.write_text("".join(lines[:4]) + "this is not json\n" + "".join(lines[4:]))
    for args in (
        ("stats", str(bad)),
        ("show", str(bad)),
        ("diff", str(rec.trace["golden"]), str(bad)),
    ):
        proc = seedsim("trace", *args)
        assert proc.returncode == 2, (args, proc.stderr)
        assert proc.stderr.count("\n") == 1 and "line 5" in proc.stderr and "not JSON" in proc.stderr, proc.stderr
        assert "--skip-bad" in proc.stderr
        assert_no_traceback(proc.stdout, proc.stderr)
    skipped = seedsim("trace", "stats", str(bad), "--json", "--skip-bad")
    assert skipped.returncode == 0, skipped.stderr
    assert "line 5" in skipped.stderr
    assert json.loads(skipped.stdout) == stats_of(rec.trace["golden"])
    same = seedsim("trace", "diff", str(rec.trace["golden"]), str(bad), "--skip-bad")
    assert same.returncode == 0 and "EQUAL" in same.stdout


def test_a_missing_trace_is_refused_in_one_line(tmp_path: Path) -> None:
    for args in (("stats", str(tmp_path / "none.jsonl")), ("diff", str(tmp_path / "none.jsonl"), str(tmp_path / "x"))):
        proc = seedsim("trace", *args)
        assert proc.returncode == 2
        assert "none.jsonl" in proc.stderr and "cannot open the trace" in proc.stderr
        assert proc.stderr.count("\n") == 1
        assert_no_traceback(proc.stderr)


def test_record_where_no_file_can_be_written_is_refused(tmp_path: Path) -> None:
    for target, says in (
        (tmp_path, "is a folder"),
        (tmp_path / "no" / "t.jsonl", "no folder"),
        (Path("-"), "standard output"),
    ):
        proc = seedsim("run", str(SCENARIO), "--record", str(target))
        assert proc.returncode == 2 and says in proc.stderr and "--record" in proc.stderr, proc.stderr
        assert_no_traceback(proc.stderr)
    folder = seedsim("run", str(REPO / "scenarios"), "--record", str(tmp_path / "t.jsonl"))
    assert folder.returncode == 2 and "one scenario at a time" in folder.stderr


def test_demo_records_its_run(tmp_path: Path) -> None:
    trace = tmp_path / "demo.jsonl"
    proc = seedsim("demo", "--consignments", "4", "--discrepancies", "1", "--record", str(trace), "--json")
    assert proc.returncode == 0, proc.stderr
    counts = json.loads(proc.stdout)["counts"]
    assert run_counts_from(trace) == counts
    header = json.loads(trace.read_text().splitlines()[0])
    assert header["source"] == "bus" and header["seed"] == 42
