"""``seedsim run SCENARIO --report DIR`` and ``seedsim report TRACE``: a run's conformance report, as a user gets it.

Each shipped scenario here is run once, through a subprocess, with ``--report``, ``--record`` and
``--json``; the report's numbers are checked against the run's own ``--json`` output, and the report
of the recorded trace against the run's report.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from junitparser import JUnitXml
from lxml import etree

from seedsim.core.interop import batch_values, decode_interop
from tests.unit.seedsim_cli import REPO, assert_no_traceback, seedsim

SCENARIOS = REPO / "scenarios"
#: what only says where a report came from: the rest of a trace's report equals the run's
PROVENANCE = ("source", "run")


@dataclass
class Played:
    result: dict[str, Any]  # the run's --json output
    folder: Path  # its --report DIR
    trace: Path  # its --record trace
    proc: subprocess.CompletedProcess[str]

    @property
    def report(self) -> dict[str, Any]:
        return json.loads((self.folder / "report.json").read_text())

    @property
    def html(self) -> str:
        return (self.folder / "report.html").read_text()

    @property
    def junit(self) -> etree._Element:
        return etree.parse(str(self.folder / "report.junit.xml")).getroot()

    def junit_as_ci_reads_it(self) -> dict[str, dict[str, str | None]]:
        """The report read by junitparser, the JUnit reader CI tools build on: suite -> case -> failure message
        (None: passed), after checking that the totals it recomputes are the ones the report states."""
        xml = JUnitXml.fromfile(str(self.folder / "report.junit.xml"))
        stated = (xml.tests, xml.failures, xml.errors, xml.skipped)
        xml.update_statistics()
        assert (xml.tests, xml.failures, xml.errors, xml.skipped) == stated
        return {
            suite.name: {case.name: (None if case.is_passed else case.result[0].message) for case in suite}
            for suite in xml
        }


def play(scenario: str | Path, where: Path, expect_rc: int = 0) -> Played:
    folder, trace = where / "report", where / "run.trace.jsonl"
    proc = seedsim("run", str(scenario), "--report", str(folder), "--record", str(trace), "--json", timeout=180)
    assert_no_traceback(proc.stdout, proc.stderr)
    assert proc.returncode == expect_rc, proc.stdout + proc.stderr
    return Played(json.loads(proc.stdout), folder, trace, proc)


@pytest.fixture(scope="module")
def ub_run(tmp_path_factory: pytest.TempPathFactory) -> Played:
    return play("ub-seed-ata", tmp_path_factory.mktemp("ub"))


@pytest.fixture(scope="module")
def faulty_run(tmp_path_factory: pytest.TempPathFactory) -> Played:
    return play("fault-malformed", tmp_path_factory.mktemp("faults"))


@pytest.fixture(scope="module")
def alerting_run(tmp_path_factory: pytest.TempPathFactory) -> Played:
    return play("smuggling-pattern", tmp_path_factory.mktemp("alerts"))


def report_of(trace: Path, *extra: str, fmt: str = "json", expect_rc: int = 0) -> str:
    proc = seedsim("report", str(trace), "--format", fmt, *extra, timeout=120)
    assert_no_traceback(proc.stdout, proc.stderr)
    assert proc.returncode == expect_rc, proc.stdout + proc.stderr
    return proc.stdout


def cases_of(junit: etree._Element, suite: str) -> list[etree._Element]:
    (found,) = [s for s in junit.iter("testsuite") if s.get("name") == suite]
    return found.findall("testcase")


# -- the report of a run, against the run's own --json -----------------------------------------------


@pytest.mark.parametrize("which", ["ub_run", "faulty_run", "alerting_run"])
def test_the_reports_numbers_are_the_runs_own(which: str, request: pytest.FixtureRequest):
    run: Played = request.getfixturevalue(which)
    report, result = run.report, run.result
    assert [p.name for p in sorted(run.folder.iterdir())] == ["report.html", "report.json", "report.junit.xml"]
    assert report["scenario"] == result["scenario"] and report["seed"] == result["seed"]
    assert report["counts"] == result["counts"]
    assert report["expectations"]["evaluated"] is True
    assert report["expectations"]["verdicts"] == result["expectations"]
    assert report["ok"] is result["ok"] is True
    assert report["run"] == {"completed": result["completed"], "problems": result["problems"]}
    # the matrix adds up to the summary's counts (business messages; acknowledgements are not counted as sent)
    business = [row for row in report["matrix"] if row["message_type"] != "Acknowledgement"]
    for column, label in (("sent", "sent"), ("acknowledged", "acknowledged"), ("nacked", "rejected")):
        assert sum(row[column] for row in business) == result["counts"][label], column
    assert report["dead_letters"]["total"] == result["counts"]["dead_lettered"]
    assert report["alerts"]["total"] == result["counts"]["discrepancies"] + result["counts"]["risk_alerts"]
    answered = sum(row["acknowledged"] + row["nacked"] for row in business)
    assert sum(e["count"] for e in report["latency"]["by_message_type"]) <= answered
    assert {n["id"] for n in report["nodes"]} >= set(
        yaml.safe_load((SCENARIOS / f"{result['scenario']}.yaml").read_text())["nodes"]
    )


def test_every_expectation_appears_in_the_html_with_its_verdict(faulty_run: Played):
    html = faulty_run.html
    rows = re.findall(r"<tr><td><span class=\"verdict (ok|fail)\">(?:ok|FAIL)</span></td>\s*<td>([^<]+)</td>", html)
    verdicts = {name: cls == "ok" for cls, name in rows}
    for v in faulty_run.result["expectations"]:
        assert verdicts[v["name"]] is v["ok"], v


def test_dead_letters_show_their_rule_and_reason(faulty_run: Played):
    report = faulty_run.report
    assert len(report["dead_letters"]["latest"]) == faulty_run.result["counts"]["dead_lettered"] > 0
    for d in report["dead_letters"]["latest"]:
        assert d["rule"] and d["reason"]
        assert f"<td>{d['rule']}</td>" in faulty_run.html


def test_alerts_show_both_values(alerting_run: Played):
    report = alerting_run.report
    matching = [a for a in report["alerts"]["latest"] if a["kind"] == "matching"]
    assert len(matching) == alerting_run.result["counts"]["discrepancies"] > 0
    compared = [a for a in matching if a["element"]]  # M00 (no pre-arrival data) compares nothing
    assert compared
    for a in compared:
        assert a["exit_value"] and a["entry_value"] and a["exit_value"] != a["entry_value"]
        assert f"<td>{a['exit_value']}</td><td>{a['entry_value']}</td>" in alerting_run.html


def test_service_levels_come_with_a_verdict_per_utility_block(ub_run: Played):
    levels = {sl["ub"]: sl for sl in ub_run.report["service_levels"]}
    assert levels["UB-SEED-ATA"]["status"] == "ok"
    assert levels["UB-SEED-ATA"]["sent"] == ub_run.result["counts"]["sent"]
    assert levels["UB-SEED-ATA"]["measured"] == "by conversation"
    assert "UB-SEED-ATA" in ub_run.html
    row = re.search(
        r"<tr><td><span class=\"verdict status-ok\">ok</span></td>\s*<td>UB-SEED-ATA<.*?</tr>", ub_run.html, re.S
    )
    assert row and "<td>by conversation</td>" in row.group(0)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


@pytest.mark.parametrize("which", ["ub_run", "alerting_run"])
def test_the_html_is_one_self_contained_file(which: str, request: pytest.FixtureRequest):
    html = request.getfixturevalue(which).html
    parser = _Tags()
    parser.feed(html)
    parser.close()
    tags = [t for t, _ in parser.tags]
    assert tags[0] == "html" and "body" in tags and "table" in tags
    assert "script" not in tags and "link" not in tags and "img" not in tags
    assert "svg" in tags and "rect" in tags  # the latency charts, inline
    for tag, attrs in parser.tags:
        for name in ("src", "href", "xlink:href", "action"):
            assert not (attrs.get(name) or "").startswith(("http://", "https://", "//")), (tag, attrs)
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", html)  # nor in the CSS
    assert etree.fromstring(html.encode(), etree.HTMLParser(recover=False)) is not None


# -- JUnit -------------------------------------------------------------------------------------------


def _check_junit_shape(junit: etree._Element) -> None:
    """The structure CI servers read: testsuites > testsuite (name, counts) > properties?, testcase (classname, name)."""
    assert junit.tag == "testsuites"
    total = 0
    for suite in junit:
        assert suite.tag == "testsuite" and suite.get("name")
        children = [c.tag for c in suite]
        assert set(children) <= {"properties", "testcase"} and children.count("properties") <= 1
        assert children[: children.count("properties")] == ["properties"] * children.count("properties")
        cases = suite.findall("testcase")
        assert int(suite.get("tests")) == len(cases)
        assert int(suite.get("failures")) == sum(c.find("failure") is not None for c in cases)
        assert int(suite.get("skipped")) == sum(c.find("skipped") is not None for c in cases)
        assert suite.get("errors") == "0"
        for case in cases:
            assert case.get("classname") and case.get("name")
            assert {c.tag for c in case} <= {"failure", "skipped"}
            for failure in case.findall("failure"):
                assert failure.get("message") and failure.get("type")
        total += len(cases)
    assert int(junit.get("tests")) == total


def test_junit_has_a_test_case_per_expectation_and_per_ub_step(ub_run: Played):
    junit = ub_run.junit
    _check_junit_shape(junit)
    names = [c.get("name") for c in cases_of(junit, "expectations")]
    assert names == [v["name"] for v in ub_run.result["expectations"]]
    (ub,) = [
        ub
        for ub in map(yaml.safe_load, (p.read_text() for p in (REPO / "schemas" / "utility-blocks").glob("*.yaml")))
        if ub["id"] == "UB-SEED-ATA"
    ]
    steps = cases_of(junit, "ub steps")
    assert len(steps) == len(ub["business_process"]["steps"]) == len(ub_run.report["ub_steps"]["steps"])
    assert all(c.find("failure") is None for c in [*cases_of(junit, "expectations"), *steps])
    read = ub_run.junit_as_ci_reads_it()
    assert list(read["expectations"]) == names and set(read["expectations"].values()) == {None}
    assert len(read["ub steps"]) == len(steps) and set(read["ub steps"].values()) == {None}


def test_a_scenario_without_utility_blocks_has_no_ub_step_test_case(faulty_run: Played):
    junit = faulty_run.junit
    _check_junit_shape(junit)
    assert len(cases_of(junit, "expectations")) == len(faulty_run.result["expectations"])
    assert cases_of(junit, "ub steps") == []


def test_a_failed_expectation_fails_its_test_case_and_the_run(tmp_path: Path):
    scenario = yaml.safe_load((SCENARIOS / "ub-seed-cash.yaml").read_text())
    scenario["name"] = "ub-seed-cash-impossible"
    scenario["expectations"]["counts"]["sent"] = 999
    path = tmp_path / "impossible.yaml"
    path.write_text(yaml.safe_dump(scenario))
    run = play(path, tmp_path, expect_rc=1)
    assert run.report["ok"] is False
    junit = run.junit
    _check_junit_shape(junit)
    failed = {c.get("name"): c.find("failure") for c in cases_of(junit, "expectations")}
    assert set(failed) == {v["name"] for v in run.result["expectations"]}
    assert [n for n, f in failed.items() if f is not None] == ["counts.sent"] == run.result["failed"]
    actual = run.result["counts"]["sent"]
    assert failed["counts.sent"].get("message") == f"expected = 999, actual {actual}"
    read = run.junit_as_ci_reads_it()["expectations"]
    assert {n: m for n, m in read.items() if m is not None} == {"counts.sent": f"expected = 999, actual {actual}"}
    assert len(cases_of(junit, "ub steps")) == 2  # UB-SEED-CASH: the declaration and its acknowledgement
    assert "FAIL" in run.html


# -- seedsim report TRACE ----------------------------------------------------------------------------


def _without_provenance(report: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in report.items() if k not in PROVENANCE}
    out["ub_steps"] = {k: v for k, v in report["ub_steps"].items() if k not in ("from", "note")}
    return out


@pytest.mark.parametrize("which", ["ub_run", "faulty_run", "alerting_run"])
def test_the_report_of_a_recorded_trace_is_the_runs_report(which: str, request: pytest.FixtureRequest):
    run: Played = request.getfixturevalue(which)
    from_trace = json.loads(report_of(run.trace))
    assert from_trace["source"]["kind"] == "trace" and from_trace["run"] is None
    assert _without_provenance(from_trace) == _without_provenance(run.report)
    assert from_trace["counts"] == run.result["counts"]


def test_report_writes_html_and_junit_to_a_file(ub_run: Played, tmp_path: Path):
    out = tmp_path / "r.junit.xml"
    said = report_of(ub_run.trace, "-o", str(out), fmt="junit")
    assert said.strip() == f"PASSED: ub-seed-ata (report in {out})"
    junit = etree.parse(str(out)).getroot()
    _check_junit_shape(junit)
    assert [c.get("name") for c in cases_of(junit, "ub steps")] == [
        c.get("name") for c in cases_of(ub_run.junit, "ub steps")
    ]
    proc = seedsim("report", str(ub_run.trace))  # html is the default, to standard output
    assert_no_traceback(proc.stdout, proc.stderr)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("<!DOCTYPE html>") and "ub-seed-ata" in proc.stdout


def test_a_trace_that_names_no_scenario_says_its_expectations_were_not_evaluated(ub_run: Played, tmp_path: Path):
    kcat_like = tmp_path / "kcat.jsonl"
    lines = ub_run.trace.read_text().splitlines(keepends=True)
    assert "seedsim_trace" in lines[0]
    kcat_like.write_text("".join(lines[1:]))  # what kcat -C -J writes: no header
    proc = seedsim("report", str(kcat_like), "--format", "json")
    assert_no_traceback(proc.stdout, proc.stderr)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["expectations"]["evaluated"] is False and report["expectations"]["verdicts"] == []
    assert "not evaluated" in report["expectations"]["note"] and "--scenario" in proc.stderr
    assert report["ub_steps"]["known"] is False and "only known from a run" in report["ub_steps"]["note"]
    assert report["counts"] == ub_run.result["counts"]
    junit = etree.fromstring(report_of(kcat_like, fmt="junit").encode())
    _check_junit_shape(junit)
    (skipped,) = cases_of(junit, "expectations")
    assert "not evaluated" in skipped.find("skipped").get("message")
    # given the scenario, the same trace gives the run's verdicts
    given = json.loads(report_of(kcat_like, "--scenario", "ub-seed-ata"))
    assert given["expectations"]["verdicts"] == ub_run.result["expectations"]


# -- mistakes: one line, exit 2 ----------------------------------------------------------------------


def _refused(*args: str) -> str:
    proc = seedsim(*args)
    assert_no_traceback(proc.stdout, proc.stderr)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stdout == ""
    return proc.stderr


def test_report_mistakes_are_one_line_and_exit_2(ub_run: Played, tmp_path: Path):
    assert "give a trace file" in _refused("report")
    assert "no trace file" in _refused("report", str(tmp_path / "missing.jsonl"))
    assert "not both" in _refused("report", str(ub_run.trace), "--kafka", "localhost:9092")
    assert "only go with --kafka" in _refused("report", str(ub_run.trace), "--from", "2025-01-01T00:00:00Z")
    assert "--format" in _refused("report", str(ub_run.trace), "--format", "xml")
    assert "neither a file nor a shipped scenario" in _refused("report", str(ub_run.trace), "--scenario", "nope")
    assert "-o" in _refused("report", str(ub_run.trace), "-o", str(tmp_path / "no-such-folder" / "r.html"))
    bad = tmp_path / "bad.jsonl"
    lines = ub_run.trace.read_text().splitlines(keepends=True)
    bad.write_text("".join([*lines[:3], "{not json\n", *lines[3:]]))
    said = _refused("report", str(bad))
    assert said.count("\n") == 1 and "line 4" in said and "--skip-bad" in said
    assert json.loads(report_of(bad, "--skip-bad"))["records"] == ub_run.report["records"]


def test_run_report_mistakes_are_one_line_and_exit_2(tmp_path: Path):
    a_file = tmp_path / "report.html"
    a_file.write_text("")
    said = _refused("run", "ub-seed-cash", "--report", str(a_file))
    (error,) = [line for line in said.splitlines() if "Error" in line]  # a usage mistake: usage, then one line
    assert "--report" in error and "is a file" in error


def test_a_folder_of_scenarios_writes_a_report_per_scenario(tmp_path: Path):
    folder = tmp_path / "scenarios"
    folder.mkdir()
    for name in ("ub-seed-cash", "ub-seed-vat"):
        shutil.copy(SCENARIOS / f"{name}.yaml", folder)
    proc = seedsim("run", str(folder), "--report", str(tmp_path / "out"), "--json", timeout=180)
    assert_no_traceback(proc.stdout, proc.stderr)
    assert proc.returncode == 0, proc.stderr
    results = {Path(s["file"]).stem: s for s in json.loads(proc.stdout)["scenarios"]}
    for name, result in results.items():
        report = json.loads((tmp_path / "out" / name / "report.json").read_text())
        assert report["counts"] == result["counts"] and report["expectations"]["verdicts"] == result["expectations"]


def test_a_trace_whose_answer_to_a_ub_step_is_missing_fails_that_step(ub_run: Played, tmp_path: Path):
    """UB steps read back from a trace: take the sender's record of the first answer out, and the step fails."""
    lines = ub_run.trace.read_text().splitlines(keepends=True)
    answers = [
        (i, rec)
        for i, line in enumerate(lines)
        if (entry := json.loads(line)).get("topic", "").endswith(".interop")
        for rec in decode_interop(entry["payload"].encode())
        if rec.stage == "ack_received"
    ]
    assert len(answers) == ub_run.result["counts"]["acknowledged"]
    # the first answer's record taken out of the interop batch that holds it (the line goes when it held only that)
    at, first = answers[0]
    entry = json.loads(lines[at])
    others = [rec for rec in decode_interop(entry["payload"].encode()) if rec.id != first.id]
    lines[at] = "".join(json.dumps({**entry, "payload": v.decode()}) + "\n" for v in batch_values(others))
    cut = tmp_path / "cut.jsonl"
    cut.write_text("".join(lines))
    report = json.loads(report_of(cut, expect_rc=1))
    assert report["ok"] is False
    failed = [s for s in report["ub_steps"]["steps"] if not s["ok"]]
    assert [(s["index"], s["message"]) for s in failed] == [(1, "ATACarnet"), (2, "Acknowledgement")]
    assert "no acknowledgement from ME in the records" in failed[0]["errors"]
    verdicts = {v["name"]: v for v in report["expectations"]["verdicts"]}
    assert verdicts["every_ub_step_acknowledged"]["ok"] is False
    assert verdicts["counts.acknowledged"]["actual"] == str(ub_run.result["counts"]["acknowledged"] - 1)
    junit = etree.fromstring(report_of(cut, fmt="junit", expect_rc=1).encode())
    _check_junit_shape(junit)
    assert [c.find("failure") is not None for c in cases_of(junit, "ub steps")][:3] == [True, True, False]


def test_the_latency_chart_draws_each_bucket_inside_its_axes():
    from seedsim.runners.monitor.latency_histogram import LatencyHistogram
    from seedsim.runners.reports.latency_chart import chart

    h = LatencyHistogram()
    for ms in (1.0, 1.0, 3.0, 40.0, 900.0):
        h.add(ms)
    c = chart({"distribution": h.distribution(), "p50_ms": h.percentile(50), "p95_ms": h.percentile(95)})
    assert [b["n"] for b in c["bars"]] == [2, 1, 1, 1]
    xs = [b["x"] for b in c["bars"]]
    assert xs == sorted(xs) and c["left"] <= xs[0] and xs[-1] + c["bars"][-1]["w"] <= c["right"] + 0.2
    assert max(b["h"] for b in c["bars"]) == c["bottom"] - c["top"]  # the tallest bar fills the plot
    assert [m["name"] for m in c["markers"]] == ["p50", "p95"]
    assert {"1 ms", "10 ms", "100 ms"} <= {t["label"] for t in c["ticks"]}
