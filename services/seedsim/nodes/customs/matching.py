"""SEED matching: compare the exit data a neighbour sent with the import declaration at entry.

:func:`match` is pure domain code: two declarations and tolerances in, discrepancies out. The
elements compared are the ones SEED administrations compare (gross mass, HS
code, value, consignor, consignee, vehicle); each difference becomes one
discrepancy with both values and the rule that found it.

The tolerances come from the SEED core Utility Block's ``matching`` section
(``schemas/utility-blocks/seed-exit.yaml``), the exchange's agreed terms; a
node's configuration (or a scenario, through it) overrides any of them by
setting it explicitly (:func:`effective_tolerances`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal
from functools import lru_cache

from seedsim.config import Tolerances
from seedsim.core.declaration import Declaration
from seedsim.utility_blocks.loader import UB_DIR, load_file


@dataclass(frozen=True)
class Discrepancy:
    rule: str
    element: str
    exit_value: str | None
    entry_value: str | None
    detail: str

    def to_dict(self) -> dict:
        return asdict(self)


#: the Utility Block whose ``matching`` section the node applies at entry
SEED_CORE_UB = "seed-exit.yaml"


@lru_cache(maxsize=4)
def ub_tolerances(file_name: str = SEED_CORE_UB) -> dict[str, Decimal]:
    """The tolerances a Utility Block sets (loaded and checked by the UB loader); only those it names."""
    ub = load_file(UB_DIR / file_name)
    tol = ub.matching.tolerances if ub.matching else None
    return {k: Decimal(str(v)) for k, v in (tol.model_dump(exclude_none=True) if tol else {}).items()}


def effective_tolerances(configured: Tolerances, ub_file: str = SEED_CORE_UB) -> Tolerances:
    """Fields set explicitly in ``configured`` win; the others come from the UB, else the model's defaults."""
    explicit = {k: getattr(configured, k) for k in configured.model_fields_set}
    return Tolerances(**{**ub_tolerances(ub_file), **explicit})


def _pct_diff(a: Decimal, b: Decimal) -> Decimal:
    base = max(abs(a), abs(b))
    return Decimal(0) if base == 0 else abs(a - b) * 100 / base


def match(exit_data: Declaration, entry: Declaration, tol: Tolerances) -> list[Discrepancy]:
    found: list[Discrepancy] = []

    em, im = exit_data.gross_mass_kg(), entry.gross_mass_kg()
    if em is not None and im is not None and _pct_diff(em, im) > tol.gross_mass_pct:
        found.append(
            Discrepancy(
                "M01",
                "gross mass (kg)",
                str(em),
                str(im),
                f"differs by {_pct_diff(em, im):.1f}% (tolerance {tol.gross_mass_pct}%)",
            )
        )

    eh, ih = exit_data.hs_subheadings(), entry.hs_subheadings()
    if eh and ih and eh != ih:
        found.append(
            Discrepancy(
                "M02",
                "HS code",
                ",".join(sorted(eh)),
                ",".join(sorted(ih)),
                "the goods are classified differently at exit and at entry",
            )
        )

    ev, iv = exit_data.value(), entry.value()
    if ev is not None and iv is not None:
        if ev.currency_id != iv.currency_id:
            found.append(
                Discrepancy(
                    "M03",
                    "value",
                    f"{ev.value} {ev.currency_id}",
                    f"{iv.value} {iv.currency_id}",
                    "declared in different currencies: convert before comparing",
                )
            )
        elif _pct_diff(ev.value, iv.value) > tol.value_pct:
            direction = "lower" if iv.value < ev.value else "higher"
            found.append(
                Discrepancy(
                    "M03",
                    "value",
                    f"{ev.value} {ev.currency_id}",
                    f"{iv.value} {iv.currency_id}",
                    f"entry value {direction} by {_pct_diff(ev.value, iv.value):.1f}% (tolerance {tol.value_pct}%)",
                )
            )

    for rule, element, a, b in (
        ("M04", "consignor", exit_data.consignor(), entry.consignor()),
        ("M05", "consignee", exit_data.consignee(), entry.consignee()),
    ):
        la, lb = (a.label() if a else None), (b.label() if b else None)
        if la and lb and la != lb:
            found.append(Discrepancy(rule, element, la, lb, f"the {element} differs between exit and entry"))

    va, vb = exit_data.vehicle(), entry.vehicle()
    if va and vb and va.replace(" ", "").upper() != vb.replace(" ", "").upper():
        found.append(Discrepancy("M06", "vehicle", va, vb, "a different vehicle crossed than the one that exited"))
    return found
