"""Any administration runs a node: a scenario, the CLI and a node's settings take any ISO 3166-1 alpha-2
country (XK included), not only the six SEED+ ones; a code that is no country is refused in one line."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from seedsim.config import NodeConfig
from seedsim.converters.ics_ens import read_ens
from seedsim.core.declaration import Declaration
from seedsim.nodes.customs.ens_entry import ENS_DOCUMENT, speaks_ens
from seedsim.runners.scenarios.scenario_loader import load
from seedsim.runners.scenarios.scenario_run import RunSettings, run_scenario
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


# -- a corridor that enters the EU: RS -> HU at Horgos - Roszke ------------------------------------------


async def play_rs_hu(db_dir: Path) -> list[tuple[str, bytes, Declaration]]:
    """Play the shipped RS -> HU scenario on the in-process bus; every IE315 the HU node keeps, with its
    consignment and the exit data HU received for it."""
    result = await run_scenario(load("rs-hu-horgos-roszke"), RunSettings(db_dir=db_dir), out=lambda s: None)
    assert result.ok, [v.name for v in result.verdicts if not v.ok]
    with closing(sqlite3.connect(db_dir / "hu.sqlite3")) as conn:
        conn.row_factory = sqlite3.Row
        rows = conn.execute(
            "SELECT d.consignment, d.xml, p.data FROM documents d JOIN prearrival p ON p.ucr = d.consignment "
            "WHERE d.type = ?",
            (ENS_DOCUMENT,),
        ).fetchall()
    return [(r["consignment"], bytes(r["xml"]), Declaration.model_validate_json(r["data"])) for r in rows]


async def test_the_hu_node_hands_the_exit_data_to_its_national_ics_as_an_ens(tmp_path):
    kept = await play_rs_hu(tmp_path)
    assert len(kept) == 40  # one IE315 per consignment (the EXIT data replaced the PRE_ARRIVAL one)
    for ucr, xml, exit_data in kept:
        ens = read_ens(xml)
        assert ens.kind == "CC315A" and ens.entry_office.id == "HU403000" and ens.header.place == "RS011030"
        d = ens.declaration()
        assert d.ucr == ucr == exit_data.ucr and d.mrn == exit_data.mrn and d.lrn == exit_data.lrn
        assert d.consignor() == exit_data.consignor() and d.consignee() == exit_data.consignee()
        assert d.commodity_codes() == exit_data.commodity_codes() and d.gross_mass_kg() == exit_data.gross_mass_kg()
        assert d.vehicle() == exit_data.vehicle() and d.total_package_quantity == exit_data.total_package_quantity
    rs = sqlite3.connect(tmp_path / "rs.sqlite3")  # the exit side speaks SEED only
    with closing(rs):
        assert rs.execute("SELECT count(*) FROM documents WHERE type = ?", (ENS_DOCUMENT,)).fetchone()[0] == 0


def test_which_nodes_speak_ens():
    assert speaks_ens(NodeConfig(node="HU")) and not speaks_ens(NodeConfig(node="RS"))
    assert speaks_ens(NodeConfig(node="RS", pre_arrival_format="ics-ens"))
    assert not speaks_ens(NodeConfig(node="HU", pre_arrival_format="seed"))
