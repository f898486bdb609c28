"""Any administration runs a node: a scenario, the CLI and a node's settings take any ISO 3166-1 alpha-2
country (XK included), not only the six SEED+ ones; a code that is no country is refused in one line."""

from __future__ import annotations

from seedsim.config import NodeConfig
from tests.unit.seedsim_cli import seedsim

RS_HU = """\
name: rs-hu-small
nodes: [RS, NODE]
corridors:
  - name: horgos-roszke
    crossings:
      - {name: "Horgos (RS) - Roszke (HU)", exit_office: RS011030, entry_office: OFFICE}
traffic:
  - count: 3
    corridor: horgos-roszke
expectations:
  every_export_pre_announced: true
  counts: {acknowledged: 9, matched: 3}
"""


def test_a_scenario_with_an_eu_member_state_runs(tmp_path):
    path = tmp_path / "rs-hu.yaml"
    path.write_text(RS_HU.replace("NODE", "HU").replace("OFFICE", "HU403000"))
    proc = seedsim("run", str(path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 nodes (RS, HU)" in proc.stdout and "rs-hu-small: all expectations met" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_a_code_that_is_no_country_is_refused_in_one_line(tmp_path):
    for node, office, where in (("QQ", "HU403000", "nodes[1]"), ("HU", "QQ403000", "entry_office")):
        path = tmp_path / "bad.yaml"
        path.write_text(RS_HU.replace("NODE", node).replace("OFFICE", office))
        proc = seedsim("run", str(path))
        assert proc.returncode == 2, proc.stdout + proc.stderr
        problems = [line for line in proc.stderr.splitlines() if "QQ" in line]
        assert len(problems) == 1 and where in problems[0], proc.stderr
        assert "'QQ' is not an ISO 3166-1 alpha-2 country code (nor XK)" in problems[0]
        assert "Traceback" not in proc.stderr


def test_the_node_command_refuses_a_code_that_is_no_country():
    proc = seedsim("node", "--country", "QQ")
    assert proc.returncode == 2
    assert "'QQ' is not an ISO 3166 alpha-2 country code" in proc.stderr and "Traceback" not in proc.stderr


def test_the_western_balkans_stay_the_default_partners():
    hu = NodeConfig(node="hu")
    assert hu.node == "HU" and hu.is_partner("RS") and hu.is_partner("XK") and not hu.is_partner("AT")
    assert NodeConfig(node="HU", partners=["RS", "AT"]).is_partner("AT")
