"""The report as JUnit XML, for an integrator's CI pipeline: a failed expectation fails the build.

Two test suites, in the JUnit XML form CI servers read (Jenkins, GitLab, GitHub actions' reporters):

* ``expectations``: one test case per expectation of the scenario, failing with its expected and
  actual values; when the expectations were not evaluated (the scenario is not known), one
  skipped test case saying why; when the run did not complete or had problems, one more test
  case, ``run completed``, failing with them;
* ``ub steps``: one test case per step of each Utility Block played (``ub-*`` scenarios), failing
  with what went wrong; when the steps are not known, one skipped test case saying why.

The scenario, seed and source are the suites' properties.
"""

from __future__ import annotations

from typing import Any

from lxml import etree


def _suite(parent: etree._Element, name: str, properties: list[tuple[str, str]]) -> etree._Element:
    suite = etree.SubElement(parent, "testsuite", name=name)
    props = etree.SubElement(suite, "properties")
    for key, value in properties:
        etree.SubElement(props, "property", name=key, value=value)
    return suite


def _case(suite: etree._Element, classname: str, name: str, failure: str | None = None, skipped: str | None = None):
    case = etree.SubElement(suite, "testcase", classname=classname, name=name)
    if failure is not None:
        etree.SubElement(case, "failure", type="expectation", message=failure.split("\n")[0]).text = failure
    if skipped is not None:
        etree.SubElement(case, "skipped", message=skipped)
    return case


def _count(suite: etree._Element) -> dict[str, int]:
    cases = suite.findall("testcase")
    return {
        "tests": len(cases),
        "failures": sum(1 for c in cases if c.find("failure") is not None),
        "errors": 0,
        "skipped": sum(1 for c in cases if c.find("skipped") is not None),
    }


def to_junit(report: dict[str, Any]) -> str:
    scenario = report["scenario"] or "unknown scenario"
    properties = [
        ("scenario", scenario),
        ("seed", "unknown" if report["seed"] is None else str(report["seed"])),
        ("source", f"{report['source']['kind']} {report['source']['name']}"),
    ]
    suites = etree.Element("testsuites", name=f"seedsim report {scenario}")
    expectations = _suite(suites, "expectations", properties)
    exp = report["expectations"]
    if not exp["evaluated"]:
        _case(expectations, scenario, "expectations", skipped=exp["note"] or "not evaluated")
    for v in exp["verdicts"]:
        failure = None if v["ok"] else f"expected {v['expected']}, actual {v['actual']}"
        _case(expectations, scenario, v["name"], failure)
    run = report["run"]
    if run is not None and (not run["completed"] or run["problems"]):
        why = run["problems"] or ["the run timed out waiting for acknowledgements"]
        _case(expectations, scenario, "run completed", "\n".join(why))
    steps = _suite(suites, "ub steps", properties)
    ub = report["ub_steps"]
    if not ub["known"]:
        _case(steps, scenario, "ub steps", skipped=ub["note"] or "not known")
    for s in ub["steps"]:
        name = (
            f"{s['ub']} #{s['play']} step {s['index']} [{s['event']}] {s['message']} {s['sender']} -> {s['receiver']}"
        )
        case = _case(steps, f"{scenario}.{s['ub']}", name, None if s["ok"] else "\n".join(s["errors"]) or "failed")
        if s["latency_ms"] is not None:
            case.set("time", f"{s['latency_ms'] / 1000:.3f}")
    totals = {k: 0 for k in ("tests", "failures", "errors", "skipped")}
    for suite in (expectations, steps):
        for key, n in _count(suite).items():
            suite.set(key, str(n))
            totals[key] += n
    for key, n in totals.items():
        suites.set(key, str(n))
    return etree.tostring(suites, xml_declaration=True, encoding="UTF-8", pretty_print=True).decode("utf-8")
