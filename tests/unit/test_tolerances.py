"""Matching tolerances: from the SEED core Utility Block by default, overridden by node config or scenario."""

from __future__ import annotations

import pytest
import yaml

from seedsim.bootstrap import make_customs_node
from seedsim.config import NodeConfig, Tolerances
from seedsim.core.transport.memory import InMemoryBus
from seedsim.nodes.customs.matching import effective_tolerances, match
from seedsim.runners.scenarios.corridor import drift
from seedsim.runners.scenarios.scenario_loader import SCENARIO_DIR, ScenarioError, load, loads
from seedsim.runners.scenarios.scenario_model import Traffic
from seedsim.runners.scenarios.scenario_run import RunSettings, run_scenario
from seedsim.samples.consignments import ConsignmentGenerator
from seedsim.samples.crossings import DEMO_CROSSINGS
from seedsim.utility_blocks.loader import UB_DIR, load_file

CROSS = DEMO_CROSSINGS[0]


def drifted(mass_pct: float = 0, value_pct: float = 0):
    c = ConsignmentGenerator(21, CROSS).make(1)
    return c.export, drift(
        c.import_, Traffic(count=1, corridor="x", drift={"gross_mass_pct": mass_pct, "value_pct": value_pct})
    )


def test_a_node_takes_its_tolerances_from_the_seed_core_utility_block(tmp_path):
    ub = load_file(UB_DIR / "seed-exit.yaml").matching.tolerances
    node = make_customs_node(NodeConfig(node="ME", db=tmp_path / "me.db"), InMemoryBus())
    assert (float(node.tolerances.gross_mass_pct), float(node.tolerances.value_pct)) == (
        ub.gross_mass_pct,
        ub.value_pct,
    )


def test_node_config_overrides_only_the_tolerances_it_sets(tmp_path):
    node = make_customs_node(NodeConfig(node="ME", db=tmp_path / "me.db", tolerances={"value_pct": 1}), InMemoryBus())
    assert float(node.tolerances.value_pct) == 1
    assert (
        float(node.tolerances.gross_mass_pct) == load_file(UB_DIR / "seed-exit.yaml").matching.tolerances.gross_mass_pct
    )


def test_a_difference_within_tolerance_matches_and_beyond_it_is_an_alert_with_both_values_and_the_rule():
    exit_data, entry = drifted(mass_pct=3)
    assert match(exit_data, entry, effective_tolerances(Tolerances(gross_mass_pct=4))) == []
    (d,) = match(exit_data, entry, effective_tolerances(Tolerances()))  # the UB's 2%
    assert (d.rule, d.element) == ("M01", "gross mass (kg)")
    assert (d.exit_value, d.entry_value) == (str(exit_data.gross_mass_kg()), str(entry.gross_mass_kg()))
    assert "tolerance 2" in d.detail

    exit_data, entry = drifted(value_pct=4)
    assert match(exit_data, entry, effective_tolerances(Tolerances())) == []  # the UB's 5%
    (d,) = match(exit_data, entry, effective_tolerances(Tolerances(value_pct=3)))
    assert d.rule == "M03" and d.exit_value.endswith("EUR") and "lower by 4.0%" in d.detail


async def test_the_tolerances_scenario_depends_on_its_own_tolerances(tmp_path):
    """Without its matching section the same traffic gives other alerts: the override is what is tested."""
    data = yaml.safe_load((SCENARIO_DIR / "tolerances.yaml").read_text())
    del data["matching"]
    result = await run_scenario(loads(yaml.safe_dump(data)), RunSettings(db_dir=tmp_path), out=lambda _: None)
    assert result.completed
    by_name = {v.name: v for v in result.verdicts}
    # UB defaults: the 3% mass drift now alerts (M01 on 6 + 3), the 4% value drift now passes (M03 0)
    assert (by_name["alerts_by_rule.M01"].actual, by_name["alerts_by_rule.M03"].actual) == ("9", "0")
    assert not result.ok


def test_a_scenario_with_a_negative_tolerance_is_refused_with_its_line(tmp_path):
    text = (
        (SCENARIO_DIR / "tolerances.yaml")
        .read_text()
        .replace("gross_mass_pct: 4, value_pct: 3", "gross_mass_pct: -4, value_pct: 3")
    )
    with pytest.raises(ScenarioError) as err:
        loads(text, "t.yaml")
    (problem,) = err.value.problems
    assert "matching.tolerances.gross_mass_pct" in problem and "line " in problem and "minimum" in problem


def test_the_shipped_scenarios_include_the_new_cases():
    names = {p.stem for p in SCENARIO_DIR.glob("*.yaml")}
    assert {"risk-profiles", "tolerances", "rs-me-seed-core", "bad-day-border"} <= names and len(names) >= 10
    assert load(SCENARIO_DIR / "tolerances.yaml").matching.tolerances.gross_mass_pct == 4
