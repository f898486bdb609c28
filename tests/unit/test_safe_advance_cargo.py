"""SAFE advance export cargo information (UB-SAFE-ADVANCE-CARGO): the key data elements, the office of
entry's completeness check (SAFE102: acknowledged, but an alert) and the workshop playing the UB."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from lxml import etree

from seedsim.core.interop import Stage
from seedsim.messages.safe import DOCUMENT, missing_key_elements
from seedsim.runners.scenarios.scenario_loader import load
from seedsim.runners.scenarios.scenario_run import RunSettings, run_scenario
from tests.unit.seedsim_cli import seedsim

EXAMPLES = Path(__file__).resolve().parents[2] / "schemas" / "examples" / "AdvanceCargoInformation"


def _record(name: str):
    return DOCUMENT.read(etree.parse(str(EXAMPLES / "valid" / name)).getroot())


def test_a_complete_record_lacks_nothing_and_an_incomplete_one_says_what():
    assert missing_key_elements(_record("advancecargoinformation-1.xml")) == []
    missing = missing_key_elements(_record("advancecargoinformation-3-incomplete.xml"))
    assert missing == [
        ("/AdvanceCargoInformation/Carrier", "carrier (name or identifier)"),
        ("/AdvanceCargoInformation/TransportEquipment/Seal/ID", "seal numbers"),
    ]


async def test_the_office_of_entry_acknowledges_an_incomplete_record_and_alerts(tmp_path):
    lines: list[str] = []
    result = await run_scenario(load("ub-safe-advance-cargo"), RunSettings(db_dir=tmp_path), out=lines.append)
    assert result.ok, "\n".join(lines)
    with closing(sqlite3.connect(tmp_path / "me.sqlite3")) as conn:
        alerts = conn.execute("SELECT ucr, kind, rule, element, detail FROM alerts").fetchall()
    assert len(alerts) == 2
    for ucr, kind, rule, element, detail in alerts:
        assert (kind, rule) == ("security", "SAFE102") and ucr
        assert element in (
            "/AdvanceCargoInformation/TransportEquipment/Seal/ID",
            "/AdvanceCargoInformation/Carrier",
            "/AdvanceCargoInformation/LoadingLocation",
        )
        assert "lacks 1 key data element(s)" in detail
    said = [r for r in result.summary.records if r.stage == Stage.RISK_ALERT]
    assert [(r.receiver, r.message_type, r.result) for r in said] == [("ME", "AdvanceCargoInformation", "SAFE102")] * 2
    assert all(r.detail.startswith("SAFE advance cargo information") for r in said)


def test_the_workshop_plays_the_safe_ub():
    proc = seedsim("demo", "--ub", "UB-SAFE-ADVANCE-CARGO")
    assert proc.returncode == 0, proc.stderr
    assert "step 1/2 on PRE_ARRIVAL: AdvanceCargoInformation" in proc.stdout
    assert "/AdvanceCargoInformation/UCR = " in proc.stdout and "Traceback" not in proc.stderr
