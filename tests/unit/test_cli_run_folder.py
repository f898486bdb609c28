"""``seedsim run FOLDER``: every scenario in a folder, one line each and a total; exit 0 only when all pass."""

from __future__ import annotations

import json

from tests.unit.seedsim_cli import assert_no_traceback, seedsim
from tests.unit.test_scenarios import SMALL


def test_a_folder_of_scenarios_one_line_each_and_a_total(tmp_path):
    (tmp_path / "a-passes.yaml").write_text(SMALL.replace("ALERTS", "2"))
    (tmp_path / "b-fails.yaml").write_text(SMALL.replace("ALERTS", "{exactly: 3}").replace("small", "small-b"))
    (tmp_path / "c-broken.yaml").write_text("name: broken\nnodes: RS\n")
    (tmp_path / "notes.txt").write_text("not a scenario")
    r = seedsim("run", str(tmp_path))
    assert r.returncode == 1, r.stderr
    lines = [line for line in r.stdout.splitlines() if not line.startswith("  ")]  # progress lines are indented
    assert lines[0].startswith("PASS  a-passes") and "15 sent" in lines[0]
    assert lines[1].startswith("FAIL  b-fails") and lines[1].endswith(": alerts")
    assert lines[2].startswith("ERROR c-broken") and "not a valid scenario" in lines[2]
    assert lines[3].startswith("1 of 3 scenario(s) passed in ")
    assert len(lines) == 4
    assert_no_traceback(r.stdout, r.stderr)


def test_a_folder_where_all_pass_exits_0_and_json_lists_each(tmp_path):
    (tmp_path / "one.yaml").write_text(SMALL.replace("ALERTS", "2"))
    (tmp_path / "two.yaml").write_text(SMALL.replace("ALERTS", "2").replace("name: small", "name: two"))
    r = seedsim("run", str(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.splitlines()[-1].startswith("2 of 2 scenario(s) passed")
    r = seedsim("run", str(tmp_path), "--json", "--seed", "4")
    assert r.returncode == 0
    result = json.loads(r.stdout)
    assert result["ok"] and result["passed"] == 2
    assert [s["scenario"] for s in result["scenarios"]] == ["small", "two"]


def test_an_empty_folder_is_refused(tmp_path):
    r = seedsim("run", str(tmp_path))
    assert r.returncode == 2 and r.stderr.strip() == f"Error: no scenario (*.yaml) in {tmp_path}"
