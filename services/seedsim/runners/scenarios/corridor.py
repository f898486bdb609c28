"""Consignments along a corridor of several border crossings, built on the demo's generator.

The model, kept simple on purpose:

* the generator makes one consignment for the whole corridor: the export
  declaration lodged in the first country (office of exit = the first
  crossing's exit office) and the import declaration lodged in the last
  country (office of entry = the last crossing's entry office); a planted
  discrepancy changes that final import declaration only;
* in each transit country the consignment is declared in and out with the
  same goods, parties and vehicle: an entry declaration (TypeCode IMA at its
  office of entry, matched against the previous country's exit data) and an
  exit declaration (TypeCode EXA at its office of exit, whose data is sent on
  to the next country). A real transit country would use a T1 or TIR
  movement; the node matches only import-kind declarations at entry today;
* so every crossing is one "leg": exit data sent at the exit, matched at the
  entry, confirmed back; legs of one consignment share its UCR.

A traffic may also craft what the generator would never make, on both sides
alike (:func:`reshape`: given goods, origin and value per kg, a consignor, a
vehicle), to hit risk profiles, and may let the final import drift a little
from the exit data (``drift``), to test matching tolerances.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from seedsim.config import BorderCrossing
from seedsim.core.declaration import Amount, Classification, Declaration, GoodsMeasure, Measure, Office, Origin
from seedsim.runners.scenarios.scenario_model import Corridor, Traffic
from seedsim.samples.consignments import ConsignmentGenerator


@dataclass(frozen=True)
class Leg:
    crossing: BorderCrossing
    exit_declaration: Declaration  # lodged in the country of exit
    entry_declaration: Declaration  # lodged in the country of entry

    @property
    def exit_country(self) -> str:
        return self.crossing.exit_office[:2]

    @property
    def entry_country(self) -> str:
        return self.crossing.entry_office[:2]


@dataclass(frozen=True)
class CorridorConsignment:
    traffic: int
    index: int
    ucr: str
    legs: list[Leg]
    planted: str | None = None


def scale(d: Declaration, value: float | None, mass: float | None) -> Declaration:
    """The same declaration with values and masses multiplied (totals kept equal to the items' sum)."""
    if not value and not mass:
        return d
    fv, fm = Decimal(str(value or 1)), Decimal(str(mass or 1))
    items = []
    for i in d.items:
        gm = i.commodity.goods_measure
        new_gm = GoodsMeasure(
            gross_mass=Measure(
                value=max(Decimal(1), (gm.gross_mass.value * fm).quantize(Decimal("1"))), unit_code="KGM"
            ),
            net_mass=Measure(value=max(Decimal(1), (gm.net_mass.value * fm).quantize(Decimal("1"))), unit_code="KGM"),
        )
        items.append(
            i.model_copy(
                update={
                    "statistical_value": Amount(
                        value=(i.statistical_value.value * fv).quantize(Decimal("0.01")),
                        currency_id=i.statistical_value.currency_id,
                    ),
                    "commodity": i.commodity.model_copy(update={"goods_measure": new_gm}),
                }
            )
        )
    return d.model_copy(
        update={
            "invoice_amount": Amount(
                value=sum((i.statistical_value.value for i in items), Decimal(0)),
                currency_id=d.invoice_amount.currency_id,
            ),
            "total_gross_mass": Measure(
                value=sum((i.commodity.goods_measure.gross_mass.value for i in items), Decimal(0)), unit_code="KGM"
            ),
            "goods_shipment": d.goods_shipment.model_copy(update={"goods_items": items}),
        }
    )


def reshape(d: Declaration, traffic: Traffic) -> Declaration:
    """``d`` with the goods, consignor and vehicle the traffic names (values kept equal to the items' sum)."""
    g = traffic.goods
    if g is not None:
        items = []
        for i in d.items:
            gross = i.commodity.goods_measure.gross_mass.value
            value = (
                (gross * Decimal(str(g.value_per_kg))).quantize(Decimal("0.01"))
                if g.value_per_kg
                else i.statistical_value.value
            )
            commodity = i.commodity.model_copy(
                update={
                    "classifications": [Classification(id=g.hs_code, identification_type_code="HS")],
                    "description": g.description or i.commodity.description,
                }
            )
            items.append(
                i.model_copy(
                    update={
                        "commodity": commodity,
                        "statistical_value": Amount(value=value, currency_id=i.statistical_value.currency_id),
                        "origins": [Origin(country_code=g.origin, type_code="1")] if g.origin else i.origins,
                    }
                )
            )
        d = d.model_copy(
            update={
                "invoice_amount": Amount(
                    value=sum((i.statistical_value.value for i in items), Decimal(0)),
                    currency_id=d.invoice_amount.currency_id,
                ),
                "goods_shipment": d.goods_shipment.model_copy(update={"goods_items": items}),
            }
        )
    if traffic.consignor is not None:
        party = d.goods_shipment.consignor.model_copy(update={"name": traffic.consignor.name})
        d = d.model_copy(
            update={"exporter": party, "goods_shipment": d.goods_shipment.model_copy(update={"consignor": party})}
        )
    if traffic.vehicle:
        cons = d.goods_shipment.consignment
        means = {
            k: getattr(cons, k).model_copy(update={"id": traffic.vehicle})
            for k in ("departure_transport_means", "arrival_transport_means")
            if getattr(cons, k) is not None
        }
        d = d.model_copy(
            update={
                "border_transport_means": d.border_transport_means.model_copy(update={"id": traffic.vehicle}),
                "goods_shipment": d.goods_shipment.model_copy(update={"consignment": cons.model_copy(update=means)}),
            }
        )
    return d


def drift(d: Declaration, traffic: Traffic) -> Declaration:
    """The final import declaring ``drift`` percent less mass and value than the exit data."""
    if traffic.drift is None:
        return d
    return scale(d, 1 - traffic.drift.value_pct / 100, 1 - traffic.drift.gross_mass_pct / 100)


def _at_exit(d: Declaration, office: str) -> Declaration:
    return d.model_copy(update={"declaration_office_id": office, "exit_office": Office(id=office)})


def _at_entry(d: Declaration, office: str) -> Declaration:
    return d.model_copy(update={"declaration_office_id": office})


def planted_mix(rng: random.Random, traffic: Traffic) -> dict[int, str]:
    """Which consignment (1-based index) carries which planted discrepancy: a seeded sample."""
    kinds = [k for k, n in sorted(traffic.discrepancies.items()) for _ in range(n)]
    return dict(zip(sorted(rng.sample(range(1, traffic.count + 1), len(kinds))), kinds, strict=False))


def generate(
    traffic_no: int, traffic: Traffic, corridor: Corridor, seed: int, run: str = ""
) -> list[CorridorConsignment]:
    """The consignments of one traffic generator, reproducible from ``seed``; ``run`` tags their references
    (against nodes that outlive the run: see :mod:`.remote_nodes`), nothing else."""
    first, last = corridor.crossings[0], corridor.crossings[-1]
    whole = BorderCrossing(name=corridor.name, exit_office=first.exit_office, entry_office=last.entry_office)
    # the run tag keeps references (LRN, UCR) of two generators apart on the same nodes
    gen = ConsignmentGenerator(seed, whole, run=f"{run}T{traffic_no}")
    if traffic.traders:
        gen.importers = gen.importers[: traffic.traders]
    planted = planted_mix(random.Random(seed), traffic)
    codes = [code for code, n in sorted(traffic.procedures.items()) for _ in range(n)]
    procedure_of = dict(
        zip(sorted(random.Random(seed + 1).sample(range(1, traffic.count + 1), len(codes))), codes, strict=False)
    )
    out = []
    for i in range(1, traffic.count + 1):
        c = gen.make(i, procedure=procedure_of.get(i, "1000"))
        export, import_ = (
            reshape(scale(d, traffic.value_scale, traffic.mass_scale), traffic) for d in (c.export, c.import_)
        )
        final_import = drift(
            gen.plant(import_, planted[i]) if i in planted else import_, traffic
        )  # the generator's own fraud patterns
        legs = []
        for k, x in enumerate(corridor.crossings):
            exit_d = export if k == 0 else _at_exit(export, x.exit_office)
            entry_d = final_import if k == len(corridor.crossings) - 1 else _at_entry(import_, x.entry_office)
            legs.append(Leg(x, exit_d, entry_d))
        out.append(CorridorConsignment(traffic_no, i, c.ucr, legs, planted.get(i)))
    return out
