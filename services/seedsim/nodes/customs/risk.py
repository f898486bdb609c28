"""Risk profiles run against pre-arrival data: SEED's first purpose.

The office of entry receives the exit data before the truck arrives and runs it
against risk criteria, so an officer can be waiting for the truck. Profiles are
data (``schemas/risk-profiles/*.yaml``, one profile per file, checked against
``schemas/risk-profile.schema.json``) so that analysts change targeting without
touching code. A profile's criteria all must hold (a list holds when any entry
does); criteria on goods items (HS code, origin, value per kg) must hold on the
same item, because "cigarettes" and "from AE" on two different items of one
truck is not the pattern an analyst wrote.

Pure domain code: a declaration and profiles in, hits out. The node records
each hit (see :meth:`CustomsNode._on_export_data`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal

import jsonschema
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from seedsim.core.declaration import Declaration, GoodsItem, Party
from seedsim.core.shipped_data import PROFILE_DIR, PROFILE_SCHEMA

#: what the alerts table's ``element`` column holds for a risk alert, telling it from a matching alert
RISK_ELEMENT = "risk"


class RiskProfileError(ValueError):
    """A profile file that cannot be used; ``problems`` lists every reason, each with its place."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid risk profile(s):\n" + "\n".join(f"  {p}" for p in problems))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ValuePerKg(_Strict):
    hs: str
    below: Decimal | None = None
    above: Decimal | None = None
    currency: str = "EUR"

    def describe(self) -> str:
        bounds = [f"{word} {v}" for word, v in (("below", self.below), ("above", self.above)) if v is not None]
        return f"HS {self.hs} {' or '.join(bounds)} {self.currency}/kg"


class Criteria(_Strict):
    consignors: tuple[str, ...] = ()
    consignees: tuple[str, ...] = ()
    hs: tuple[str, ...] = ()
    origin: tuple[str, ...] = ()
    value_per_kg: tuple[ValuePerKg, ...] = ()
    vehicles: tuple[str, ...] = ()
    exit_offices: tuple[str, ...] = ()


class RiskProfile(_Strict):
    id: str
    description: str
    severity: Literal["low", "medium", "high"]
    action: Literal["notify", "document_check", "scanner", "physical_inspection"]
    criteria: Criteria
    #: lower: a hit on a partner's mutually recognised AEO is one severity step lower (a low one is waived)
    mutual_recognition: Literal["none", "lower"] = "none"


#: severities from the lowest; a hit lowered below the first raises no alert
SEVERITIES = ("low", "medium", "high")


@dataclass(frozen=True)
class RiskHit:
    profile: RiskProfile
    reasons: tuple[str, ...]  # what in the data met each criterion, e.g. "item 1 HS 847130 at 25.00 EUR/kg"
    #: set when the hit is one severity step lower than its profile's, for a partner's mutually recognised AEO
    lowered_to: str | None = None

    @property
    def severity(self) -> str:
        return self.lowered_to or self.profile.severity

    @property
    def detail(self) -> str:
        p = self.profile
        return f"[{self.severity}, {p.action}] {p.description}: {'; '.join(self.reasons)}"


# -- evaluation -----------------------------------------------------------------------------------


def _norm(s: str) -> str:
    return " ".join(s.upper().split())


def _plate(s: str) -> str:
    return s.replace(" ", "").replace("-", "").upper()


def _party(role: str, party: Party | None, listed: tuple[str, ...]) -> str | None:
    if party is None or not listed:
        return None
    wanted = {_norm(x) for x in listed}
    for value in (party.id, party.name):
        if value and _norm(value) in wanted:
            return f"{role} {value} on the watch list"
    return None


def _value_per_kg(item: GoodsItem) -> tuple[Decimal, str] | None:
    gm = item.commodity.goods_measure if item.commodity else None
    if item.statistical_value is None or gm is None or gm.gross_mass is None or gm.gross_mass.value <= 0:
        return None
    return item.statistical_value.value / gm.gross_mass.value, item.statistical_value.currency_id or ""


def _item_reasons(item: GoodsItem, c: Criteria) -> list[str] | None:
    """Why ``item`` meets every goods-item criterion of ``c``, or None if one fails."""
    code = (item.commodity.commodity_code() if item.commodity else None) or ""
    reasons = []
    if c.hs:
        if not any(code.startswith(h) for h in c.hs):
            return None
        reasons.append(f"item {item.sequence_numeric} HS {code}")
    if c.origin:
        origins = [o.country_code for o in item.origins if o.country_code in c.origin]
        if not origins:
            return None
        reasons.append(f"item {item.sequence_numeric} originating in {origins[0]}")
    if c.value_per_kg:
        per_kg = _value_per_kg(item)
        met = per_kg is not None and next(
            (
                vk
                for vk in c.value_per_kg  # thresholds are alternatives
                if code.startswith(vk.hs)
                and per_kg[1] == vk.currency
                and ((vk.below is not None and per_kg[0] < vk.below) or (vk.above is not None and per_kg[0] > vk.above))
            ),
            None,
        )
        if not met:
            return None
        reasons.append(
            f"item {item.sequence_numeric} HS {code} at {per_kg[0]:.2f} {met.currency}/kg ({met.describe()})"
        )
    return reasons


def _hit(d: Declaration, p: RiskProfile) -> RiskHit | None:
    c, reasons = p.criteria, []
    for role, party, listed in (("consignor", d.consignor(), c.consignors), ("consignee", d.consignee(), c.consignees)):
        if listed:
            reason = _party(role, party, listed)
            if reason is None:
                return None
            reasons.append(reason)
    if c.vehicles:
        plate = d.vehicle()
        if not plate or _plate(plate) not in {_plate(v) for v in c.vehicles}:
            return None
        reasons.append(f"vehicle {plate} on the watch list")
    if c.exit_offices:
        office = d.exit_office.id if d.exit_office else None
        if office not in c.exit_offices:
            return None
        reasons.append(f"exited at {office}")
    if c.hs or c.origin or c.value_per_kg:
        item_reasons = next((r for r in (_item_reasons(i, c) for i in d.items) if r is not None), None)
        if item_reasons is None:
            return None
        reasons += item_reasons
    return RiskHit(p, tuple(reasons))


def recognition_key(value: str) -> str:
    """How a trader's identifier or name is looked up among the recognised AEOs."""
    return _norm(value)


def _recognised_trader(d: Declaration, recognised: Mapping[str, str]) -> tuple[str, str] | None:
    """(who, which authorisation) when the consignor, else the exporter, is in ``recognised``."""
    for role, party in (("consignor", d.consignor()), ("exporter", d.exporter)):
        for value in (party.id, party.name) if party else ():
            if value and recognition_key(value) in recognised:
                return f"{role} {value}", recognised[recognition_key(value)]
    return None


def _mutually_recognised(hit: RiskHit, d: Declaration, recognised: Mapping[str, str]) -> RiskHit | None:
    """A hit under an MRA: one severity step lower for a partner's AEO, None (waived) below low."""
    if hit.profile.mutual_recognition != "lower" or not recognised:
        return hit
    trader = _recognised_trader(d, recognised)
    if trader is None:
        return hit
    step = SEVERITIES.index(hit.profile.severity) - 1
    if step < 0:
        return None
    lowered = SEVERITIES[step]
    because = (
        f"{trader[0]} is a mutually recognised AEO ({trader[1]}): severity {hit.profile.severity} lowered to {lowered}"
    )
    return RiskHit(hit.profile, (*hit.reasons, because), lowered)


def evaluate(d: Declaration, profiles: list[RiskProfile], recognised: Mapping[str, str] | None = None) -> list[RiskHit]:
    """The profiles ``d`` hits, in the order given, each with what met its criteria. ``recognised`` maps the
    identifiers and names (:func:`recognition_key`) of partners' mutually recognised AEOs to their authorisation:
    a profile with ``mutual_recognition: lower`` treats those traders as lower risk."""
    hits = (_hit(d, p) for p in profiles)
    kept = (_mutually_recognised(h, d, recognised or {}) for h in hits if h is not None)
    return [h for h in kept if h is not None]


# -- loading ----------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(PROFILE_SCHEMA.read_text(encoding="utf-8")))


def _pointer(parts) -> str:
    return "/" + "/".join(str(p) for p in parts)


@lru_cache(maxsize=64)
def load_file(path: Path) -> RiskProfile:
    """One profile file, checked against the JSON Schema; raises RiskProfileError naming every problem."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RiskProfileError([f"{path}: cannot read the file as YAML: {exc}"]) from exc
    problems = [
        f"{path} at {_pointer(e.absolute_path)}: {e.message}"
        for e in sorted(_validator().iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    ]
    if problems:
        raise RiskProfileError(problems)
    try:
        return RiskProfile.model_validate(data)
    except ValidationError as exc:  # the schema should catch everything; this is a safety net
        raise RiskProfileError([f"{path} at {_pointer(e['loc'])}: {e['msg']}" for e in exc.errors()]) from exc


def resolve(name: str) -> Path:
    """A profile named by path, or by file name (with or without .yaml) under ``schemas/risk-profiles``."""
    p = Path(name)
    if p.suffix not in (".yaml", ".yml"):
        p = p.with_suffix(".yaml")
    return p if p.is_file() or p.is_absolute() or len(p.parts) > 1 else PROFILE_DIR / p


def load(names: list[str] | None = None) -> list[RiskProfile]:
    """The profiles a node runs: ``None`` = every shipped file; every problem in every file is reported together."""
    paths = sorted(PROFILE_DIR.glob("*.yaml")) if names is None else [resolve(n) for n in names]
    profiles, problems = [], []
    for path in paths:
        try:
            profiles.append(load_file(path.resolve()))
        except RiskProfileError as exc:
            problems += exc.problems
    seen: dict[str, int] = {}
    for p in profiles:
        seen[p.id] = seen.get(p.id, 0) + 1
    problems += [
        f"profile id {pid} is used by {n} files: ids are the alerts' rule, make them unique"
        for pid, n in seen.items()
        if n > 1
    ]
    if problems:
        raise RiskProfileError(problems)
    return profiles
