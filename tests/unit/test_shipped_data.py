"""Shipped data in a checkout, and shipped scenarios found by name from any directory.

An editable install runs seedsim from the checkout, so the shipped files are the
repository's own ``schemas/`` and ``scenarios/`` and the paths seedsim prints
(UB docs links, XSD references) stay what they were. Installed from a wheel they
are package data: tests/packaging/test_wheel_install.py checks that case.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from seedsim.core import shipped_data
from seedsim.runners.scenarios.scenario_loader import ScenarioError, load, shipped

REPO = Path(__file__).resolve().parents[2]


def test_a_checkout_reads_the_repository_folders():
    assert shipped_data.DATA_ROOT == REPO
    assert shipped_data.SCHEMA_DIR == REPO / "schemas"
    assert shipped_data.SCENARIO_DIR == REPO / "scenarios"
    for path in (shipped_data.UB_SCHEMA, shipped_data.PROFILE_SCHEMA, shipped_data.SCENARIO_SCHEMA):
        assert path.is_file(), path


@pytest.mark.parametrize("name", ["western-balkans-corridor", "western-balkans-corridor.yaml"])
def test_a_shipped_scenario_loads_by_name_from_any_directory(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert load(name).name == "western-balkans-corridor"


def test_a_file_of_that_name_in_the_working_directory_comes_first(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    own = (REPO / "scenarios" / "tolerances.yaml").read_text().replace("name: tolerances", "name: my-tolerances", 1)
    assert "name: my-tolerances" in own
    Path("tolerances.yaml").write_text(own)
    assert load("tolerances.yaml").name == "my-tolerances"
    assert load("tolerances").name == "tolerances"


def test_an_unknown_name_lists_the_shipped_scenarios(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ScenarioError) as err:
        load("western-balkans")
    assert err.value.problems[0] == "cannot read the file: No such file or directory"
    assert "nor is it a shipped scenario" in err.value.problems[1]
    assert all(p.stem in err.value.problems[1] for p in shipped())


def test_a_missing_path_is_not_looked_up_by_name(tmp_path):
    with pytest.raises(ScenarioError) as err:
        load(tmp_path / "western-balkans-corridor.yaml")
    assert err.value.problems == ["cannot read the file: No such file or directory"]
