"""Scenario files: every shipped one plays with its expectations met; broken ones are refused clearly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seedsim.cli import main
from seedsim.runners.scenarios.scenario_loader import ScenarioError, load, loads, schema, shipped
from seedsim.runners.scenarios.scenario_model import Scenario
from seedsim.runners.scenarios.scenario_run import RunSettings, run_scenario

SCENARIOS = shipped()

SMALL = """\
name: small
seed: 4
nodes: [RS, ME]
corridors:
  - name: gostun
    crossings:
      - {name: "Gostun (RS) - Dobrakovo (ME)", exit_office: RS015070, entry_office: ME200012}
traffic:
  - {count: 5, corridor: gostun, discrepancies: {undervaluation: 1, vehicle: 1}}
expectations:
  counts: {sent: 15, matched: 3}
  alerts: ALERTS
"""


def test_the_project_ships_the_starting_scenarios():
    names = {p.stem for p in SCENARIOS}
    assert {
        "western-balkans-corridor",
        "under-valuation-ring",
        "smuggling-pattern",
        "fault-malformed",
        "fault-node-down",
        "fault-duplicates-reordering",
    } <= names


def test_the_western_balkans_corridor_passes_all_six_administrations():
    sc = load(Path(SCENARIOS[0]).parent / "western-balkans-corridor.yaml")
    assert set(sc.nodes) == {"AL", "BA", "ME", "MK", "RS", "XK"}
    assert {c for cor in sc.corridors for c in cor.countries} == set(sc.nodes)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
async def test_every_shipped_scenario_meets_its_expectations_on_the_in_process_bus(path, tmp_path):
    lines: list[str] = []
    result = await run_scenario(load(path), RunSettings(db_dir=tmp_path), out=lines.append)
    assert result.completed, "\n".join(lines)
    assert result.verdicts, "a scenario states at least one expectation"
    assert [v.name for v in result.verdicts if not v.ok] == [], "\n".join(lines)
    assert result.ok and not result.problems
    assert lines[-1].endswith("all expectations met")


def test_a_failed_expectation_makes_seedsim_run_exit_non_zero_naming_it(tmp_path, capsys):
    path = tmp_path / "small.yaml"
    path.write_text(SMALL.replace("ALERTS", "{exactly: 3}"))  # two are planted
    assert main(["run", str(path)]) == 1
    out, err = capsys.readouterr()
    assert "FAIL alerts" in out and "expected = 3" in out and "actual 2" in out
    assert "alerts" in err and "counts.sent" not in err  # names the failed one only

    path.write_text(SMALL.replace("ALERTS", "2"))
    assert main(["run", str(path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["ok"] and result["failed"] == [] and result["counts"]["discrepancies"] == 2


def test_a_malformed_scenario_is_rejected_with_every_problem_located(tmp_path, capsys):
    bad = (
        SMALL.replace("ALERTS", "2")
        .replace("undervaluation: 1", "undervalution: 1")
        .replace("entry_office: ME200012", "entry_office: ME2000")
        .replace("seed: 4", "seed: four")
    )
    path = tmp_path / "bad.yaml"
    path.write_text(bad)
    with pytest.raises(ScenarioError) as info:
        load(path)
    text = str(info.value)
    assert str(path) in text
    assert "line 2, seed: 'four' is not of type 'integer'" in text
    assert "corridors[0].crossings[0].entry_office" in text and "country + 6 characters" in text
    assert (
        "traffic[0].discrepancies" in text and "undervalution" in text and "undervaluation" in text
    )  # what to use instead
    assert len(info.value.problems) == 3

    assert main(["run", str(path)]) == 2
    assert "not a valid scenario" in capsys.readouterr().err


def test_cross_references_the_schema_cannot_check_are_reported_too():
    broken = SMALL.replace("ALERTS", "2").replace("corridor: gostun,", "corridor: nowhere,")
    with pytest.raises(
        ScenarioError, match=r"line 9, traffic\[0\]\.corridor: no corridor named 'nowhere': use one of \['gostun'\]"
    ):
        loads(broken)
    not_chained = SMALL.replace("ALERTS", "2").replace(
        "entry_office: ME200012}",
        "entry_office: ME200012}\n      - {name: x, exit_office: BA041010, entry_office: RS015070}",
    )
    with pytest.raises(ScenarioError, match="must start in ME"):
        loads(not_chained)
    with pytest.raises(ScenarioError, match="not valid YAML"):
        loads("name: [unclosed")


async def test_the_same_seed_gives_the_same_counts(tmp_path):
    sc = load(Path(SCENARIOS[0]).parent / "smuggling-pattern.yaml")
    runs = []
    for k in range(2):
        (tmp_path / str(k)).mkdir()
        r = await run_scenario(sc, RunSettings(db_dir=tmp_path / str(k), seed=123), out=lambda s: None)
        runs.append(
            (
                r.seed,
                r.counts,
                sorted((rec.result, rec.detail) for rec in r.summary.records if rec.stage.value == "alert"),
            )
        )
    assert runs[0] == runs[1]
    assert runs[0][0] == 123


def test_the_model_mirrors_the_published_schema():
    s = schema()
    assert set(s["properties"]) == set(Scenario.model_fields)
    fault_kinds = set(s["$defs"]["fault"]["properties"]["kind"]["enum"])
    assert fault_kinds == {"malformed", "unknown_sender", "duplicates", "reorder", "delay", "node_down"}
    assert set(s["$defs"]["expectations"]["properties"]) == set(
        Scenario.model_fields["expectations"].annotation.model_fields
    )


def test_procedure_mix_reaches_the_declarations():
    """A traffic's procedure mix shows in the lodged declarations (DE 1/10), both sides."""
    from seedsim.runners.scenarios.corridor import generate
    from seedsim.runners.scenarios.scenario_loader import load

    scenario = load(next(p for p in SCENARIOS if p.name == "western-balkans-corridor.yaml"))
    traffic = scenario.traffic[1]
    corridor = next(c for c in scenario.corridors if c.name == traffic.corridor)
    consignments = generate(1, traffic, corridor, traffic.seed)
    procs = [
        (
            c.legs[0].exit_declaration.items[0].government_procedures[0].current_code,
            c.legs[-1].entry_declaration.items[0].government_procedures[0].current_code,
        )
        for c in consignments
    ]
    assert sorted(procs) == sorted([("23", "53")] * 2 + [("31", "40")] + [("10", "40")] * 3)
