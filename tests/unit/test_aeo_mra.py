"""AEO mutual recognition (UB-AEO-MRA): a partner's list of AEO identities makes risk profiles with
``mutual_recognition: lower`` treat its valid security AEOs as lower risk -- fewer alerts, said in the alerts."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from lxml import etree

from seedsim.messages.aeo import DOCUMENT
from seedsim.nodes.customs.risk import RiskProfile, evaluate, recognition_key
from seedsim.runners.scenarios.scenario_loader import load, loads
from seedsim.runners.scenarios.scenario_run import RunSettings, run_scenario
from seedsim.samples.consignments import ConsignmentGenerator
from seedsim.samples.crossings import DEMO_CROSSINGS
from tests.unit.seedsim_cli import seedsim

EXAMPLE = Path(__file__).resolve().parents[2] / "schemas" / "examples" / "AeoIdentityList" / "valid"
SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "aeo-mra-risk.yaml"


def _profile(severity: str, mra: str = "lower") -> RiskProfile:
    return RiskProfile.model_validate(
        {
            "id": f"RP-T-{severity.upper()}",
            "description": "test",
            "severity": severity,
            "action": "notify",
            "mutual_recognition": mra,
            "criteria": {"exit_offices": [DEMO_CROSSINGS[0].exit_office]},
        }
    )


def test_only_valid_security_authorisations_are_recognised():
    identities = DOCUMENT.read(etree.parse(str(EXAMPLE / "aeoidentitylist-1.xml")).getroot())
    assert [(o.type_code, o.status_code, o.recognised) for o in identities.operators] == [
        ("AEOF", "VALID", True),
        ("AEOF", "VALID", True),
        ("AEOS", "SUSPENDED", False),
        ("AEOS", "REVOKED", False),
    ]


def test_a_recognised_aeo_is_one_severity_step_lower_and_a_low_hit_is_waived():
    d = ConsignmentGenerator(3, DEMO_CROSSINGS[0]).make(1).export
    profiles = [_profile("low"), _profile("medium"), _profile("high", mra="none")]
    assert [(h.profile.id, h.severity) for h in evaluate(d, profiles)] == [
        ("RP-T-LOW", "low"),
        ("RP-T-MEDIUM", "medium"),
        ("RP-T-HIGH", "high"),
    ]
    recognised = {recognition_key(d.consignor().id): "AEOF RSAEOF0001 of RS, MRA-ME-RS"}
    hits = evaluate(d, profiles, recognised)
    assert [(h.profile.id, h.severity) for h in hits] == [("RP-T-MEDIUM", "low"), ("RP-T-HIGH", "high")]
    assert hits[0].reasons[-1] == (
        f"consignor {d.consignor().id} is a mutually recognised AEO (AEOF RSAEOF0001 of RS, MRA-ME-RS): "
        "severity medium lowered to low"
    )
    assert hits[0].detail.startswith("[low, notify]")


async def test_under_the_mra_the_office_of_entry_raises_fewer_alerts_and_says_why(tmp_path):
    lines: list[str] = []
    result = await run_scenario(load(SCENARIO), RunSettings(db_dir=tmp_path / "mra"), out=lines.append)
    assert result.ok, "\n".join(lines)
    with closing(sqlite3.connect(tmp_path / "mra" / "me.sqlite3")) as conn:
        alerts = conn.execute("SELECT rule, detail, exit_value FROM alerts WHERE kind = 'risk'").fetchall()
    lowered = [a for a in alerts if "mutually recognised AEO" in a[2]]
    assert len(alerts) == 25 and len(lowered) == 5
    for rule, detail, reasons in lowered:
        assert rule == "RP-JABUKA-FRUIT" and detail.startswith("[low, scanner]")
        assert "consignor Dunav Logistik d.o.o. is a mutually recognised AEO (AEOF RS" in reasons
        assert reasons.endswith("MRA-ME-RS): severity medium lowered to low")
    assert (
        sorted(a[1][:17] for a in alerts if a not in lowered) == ["[low, document_ch"] * 10 + ["[medium, scanner]"] * 10
    )

    # without Serbia's list, every consignment is alerted, at its profile's severity
    text = SCENARIO.read_text(encoding="utf-8").replace(
        "  - {utility_block: UB-AEO-MRA, corridor: jabuka-rance, count: 1}\n", ""
    )
    text = text.replace("  every_ub_step_acknowledged: true\n", "").replace(
        "RP-JABUKA-TEXTILES: 10, RP-JABUKA-FRUIT: 15", "RP-JABUKA-TEXTILES: 15, RP-JABUKA-FRUIT: 15"
    )
    without = await run_scenario(
        loads(text.replace("risk_alerts: 25", "risk_alerts: 30")),
        RunSettings(db_dir=tmp_path / "none"),
        out=lines.append,
    )
    assert without.ok, "\n".join(lines)


def test_the_workshop_plays_the_aeo_ub():
    proc = seedsim("demo", "--ub", "UB-AEO-MRA")
    assert proc.returncode == 0, proc.stderr
    assert (
        "step 1/2 on PRE_ARRIVAL: AeoIdentityList" in proc.stdout
        and "UB-AEO-MRA: 2 step(s), every one acknowledged" in proc.stdout
    )
    assert "Traceback" not in proc.stderr
