"""Risk profiles on pre-arrival data: each shipped profile hits what it targets and nothing else,
alerts are recorded before the truck arrives, and a broken profile file is refused clearly."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from seedsim.bootstrap import make_customs_node, running_network
from seedsim.config import BorderCrossing, NodeConfig
from seedsim.core.declaration import Office
from seedsim.core.interop import InteropRecord, Stage, decode_interop
from seedsim.core.topics import Topics
from seedsim.core.transport.memory import InMemoryBus
from seedsim.core.wco import MetaData
from seedsim.nodes.customs import risk
from seedsim.nodes.customs.customs_api import create_app
from seedsim.nodes.customs.customs_node import Event
from seedsim.runners.scenarios.corridor import reshape
from seedsim.runners.scenarios.scenario_model import Traffic
from seedsim.samples.consignments import ConsignmentGenerator
from seedsim.samples.crossings import DEMO_CROSSINGS

CROSS = DEMO_CROSSINGS[0]
SHIPPED = risk.load()


def craft(d, p: risk.RiskProfile):
    """``d`` changed just enough to meet every criterion of ``p`` (through the scenarios' reshape)."""
    c = p.criteria
    assert not c.consignees, f"{p.id}: teach craft() the new criterion"
    goods = None
    if c.hs or c.origin or c.value_per_kg:
        hs = (c.hs[0] if c.hs else c.value_per_kg[0].hs).ljust(6, "0")
        per_kg = None
        if c.value_per_kg:
            vk = c.value_per_kg[0]
            per_kg = float(vk.below / 2 if vk.below is not None else vk.above * 2)
        goods = {"hs_code": hs, "origin": c.origin[0] if c.origin else None, "value_per_kg": per_kg}
    traffic = Traffic(
        count=1,
        corridor="x",
        goods=goods,
        vehicle=c.vehicles[0] if c.vehicles else None,
        consignor={"name": c.consignors[0]} if c.consignors else None,
    )
    crafted = reshape(d, traffic)
    if c.exit_offices:
        crafted = crafted.model_copy(update={"exit_office": Office(id=c.exit_offices[0])})
    return crafted


def test_the_project_ships_realistic_profiles():
    ids = {p.id for p in SHIPPED}
    assert {"RP-LAPTOP-UNDERVALUED", "RP-CIGARETTES-ROUTE", "RP-WATCHLIST-CONSIGNOR"} <= ids
    assert all(p.description and p.severity and p.action for p in SHIPPED)


@pytest.mark.parametrize("profile", SHIPPED, ids=lambda p: p.id)
def test_each_shipped_profile_hits_a_crafted_consignment_and_not_a_clean_one(profile):
    clean = ConsignmentGenerator(5, CROSS).make(1).export
    assert risk.evaluate(clean, SHIPPED) == []
    hits = risk.evaluate(craft(clean, profile), SHIPPED)
    assert [h.profile.id for h in hits] == [profile.id]
    assert hits[0].reasons and profile.description in hits[0].detail


def test_no_shipped_profile_hits_the_generators_ordinary_traffic():
    """So the demo and the other scenarios raise matching alerts only."""
    for seed, crossing in ((42, CROSS), (7, BorderCrossing(name="x", exit_office="MK001015", entry_office="XK000101"))):
        gen = ConsignmentGenerator(seed, crossing)
        assert [h.profile.id for i in range(1, 201) for h in risk.evaluate(gen.make(i).export, SHIPPED)] == []


def test_value_per_kg_is_judged_per_item_of_the_chapter_and_only_in_its_currency():
    laptops = next(p for p in SHIPPED if p.id == "RP-LAPTOP-UNDERVALUED")
    d = craft(ConsignmentGenerator(5, CROSS).make(1).export, laptops)
    (hit,) = risk.evaluate(d, [laptops])
    assert "30.00 EUR/kg" in hit.reasons[0] and "below 60" in hit.reasons[0]
    in_usd = d.model_copy(
        update={
            "goods_shipment": d.goods_shipment.model_copy(
                update={
                    "goods_items": [
                        i.model_copy(
                            update={"statistical_value": i.statistical_value.model_copy(update={"currency_id": "USD"})}
                        )
                        for i in d.items
                    ]
                }
            )
        }
    )
    assert risk.evaluate(in_usd, [laptops]) == []  # no conversion: not compared


def test_goods_criteria_must_hold_on_the_same_item_and_office_and_consignee_criteria_apply():
    d = ConsignmentGenerator(5, CROSS).make(1).export
    consignee = d.consignee().name
    p = risk.RiskProfile(
        id="RP-T",
        description="t",
        severity="low",
        action="notify",
        criteria=risk.Criteria(
            hs=("2402",), origin=("AE",), exit_offices=(CROSS.exit_office,), consignees=(consignee,)
        ),
    )
    cigarettes = reshape(d, Traffic(count=1, corridor="x", goods={"hs_code": "240220", "origin": "AE"}))
    (hit,) = risk.evaluate(cigarettes, [p])
    assert any(CROSS.exit_office in r for r in hit.reasons) and any(consignee in r for r in hit.reasons)
    other_office = cigarettes.model_copy(
        update={"exit_office": cigarettes.exit_office.model_copy(update={"id": "RS016020"})}
    )
    assert risk.evaluate(other_office, [p]) == []
    not_from_ae = reshape(d, Traffic(count=1, corridor="x", goods={"hs_code": "240220", "origin": "RS"}))
    assert risk.evaluate(not_from_ae, [p]) == []


# -- at the node ----------------------------------------------------------------------------------


async def settle():
    for _ in range(40):
        await asyncio.sleep(0.01)


def interop(bus) -> list[InteropRecord]:
    return [rec for r in bus.log(Topics().interop) for rec in decode_interop(r.value)]


async def test_risk_alerts_are_recorded_on_pre_arrival_data_before_entry_and_told_from_matching_alerts(corridor):
    bus, nodes = corridor
    watch = next(p for p in SHIPPED if p.id == "RP-WATCHLIST-CONSIGNOR")
    c = ConsignmentGenerator(9, CROSS).make(1, planted="vehicle")
    export, import_ = craft(c.export, watch), craft(c.import_, watch)
    assert (
        await nodes["RS"].lodge(export.to_xml(MetaData(wco_type_name="DEC", responsible_country_code="RS")))
    ).accepted
    await nodes["RS"].on_event(Event.PRE_ARRIVAL, c.ucr, CROSS.exit_office, CROSS.entry_office)
    await settle()

    app = create_app(nodes["ME"], manage_lifecycle=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://me") as me:
        before = (await me.get(f"/consignments/{c.ucr}")).json()
        assert before["status"] == "pre_announced"  # the truck has not arrived
        (alert,) = before["alerts"]
        assert (alert["kind"], alert["rule"]) == ("risk", "RP-WATCHLIST-CONSIGNOR")
        assert "Balkan Tobacco Trading" in alert["exit_value"] and "PRE_ARRIVAL" in alert["detail"]

        await nodes["RS"].on_event(Event.EXIT, c.ucr, CROSS.exit_office, CROSS.entry_office)
        await settle()
        assert (
            len((await me.get(f"/consignments/{c.ucr}")).json()["alerts"]) == 1
        )  # once per consignment, not again on EXIT

        assert (
            await nodes["ME"].lodge(import_.to_xml(MetaData(wco_type_name="DEC", responsible_country_code="ME")))
        ).accepted
        await nodes["ME"].on_event(Event.ENTRY, c.ucr, CROSS.entry_office)
        after = (await me.get(f"/consignments/{c.ucr}")).json()
    assert {(a["kind"], a["rule"], a["element"]) for a in after["alerts"]} == {
        ("risk", "RP-WATCHLIST-CONSIGNOR", "risk"),
        ("matching", "M06", "vehicle"),
    }

    alerts = [r for r in interop(bus) if r.stage in (Stage.ALERT, Stage.RISK_ALERT) and r.consignment == c.ucr]
    assert [(r.stage, r.result, r.event) for r in sorted(alerts, key=lambda r: r.ts)] == [
        (Stage.RISK_ALERT, "RP-WATCHLIST-CONSIGNOR", "PRE_ARRIVAL"),
        (Stage.ALERT, "M06", "ENTRY"),
    ]
    assert alerts[0].node == "ME" and alerts[0].sender == "RS" and "physical_inspection" in alerts[0].detail


async def test_a_node_runs_only_the_profiles_its_config_names(tmp_path):
    laptops = next(p for p in SHIPPED if p.id == "RP-LAPTOP-UNDERVALUED")
    configs = [
        NodeConfig(
            node=k,
            db=tmp_path / f"{k}.db",
            partners=[o],
            crossings=DEMO_CROSSINGS,
            risk_profiles=["watchlist-consignor"] if k == "ME" else [],
        )
        for k, o in (("RS", "ME"), ("ME", "RS"))
    ]
    async with running_network(configs, InMemoryBus()) as network:
        bus, nodes = network.transport, network.customs
        c = ConsignmentGenerator(3, CROSS).make(1)
        export = craft(c.export, laptops)  # under-valued laptops, but ME does not run that profile
        await nodes["RS"].lodge(export.to_xml(MetaData(wco_type_name="DEC", responsible_country_code="RS")))
        await nodes["RS"].on_event(Event.EXIT, c.ucr, CROSS.exit_office, CROSS.entry_office)
        await settle()
    assert [p.id for p in nodes["ME"].risk_profiles] == ["RP-WATCHLIST-CONSIGNOR"] and nodes["RS"].risk_profiles == []
    assert [r for r in interop(bus) if r.stage in (Stage.ALERT, Stage.RISK_ALERT)] == []


# -- broken profile files -------------------------------------------------------------------------

BROKEN = """\
id: RP-BROKEN
description: a profile with three mistakes
severity: urgent
action: document_check
criteria:
  value_per_kg:
    - {hs: "8471"}
  hs_codes: ["8471"]
"""


def test_a_malformed_profile_is_rejected_naming_the_file_and_every_problem(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN)
    with pytest.raises(risk.RiskProfileError) as err:
        risk.load([str(path)])
    text = str(err.value)
    assert len(err.value.problems) == 3, text
    assert str(path) in text
    assert "/severity" in text and "'urgent' is not one of" in text
    assert "/criteria" in text and "'hs_codes' was unexpected" in text
    assert "/criteria/value_per_kg/0" in text  # a threshold without below or above


def test_a_node_refuses_to_start_with_a_broken_profile_and_profile_ids_are_unique(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN)
    with pytest.raises(risk.RiskProfileError, match="severity"):
        make_customs_node(NodeConfig(node="ME", db=tmp_path / "me.db", risk_profiles=[str(path)]), InMemoryBus())
    twin = tmp_path / "twin.yaml"
    twin.write_text((risk.PROFILE_DIR / "laptops-undervalued.yaml").read_text())
    with pytest.raises(risk.RiskProfileError, match="RP-LAPTOP-UNDERVALUED is used by 2 files"):
        risk.load(["laptops-undervalued", str(twin)])
    with pytest.raises(risk.RiskProfileError, match="cannot read"):
        risk.load(["no-such-profile"])
