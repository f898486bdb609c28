"""The scenario as Python objects: a pydantic mirror of ``schemas/scenario.schema.json``.

The JSON Schema is what the project publishes (editors and other tools check
files against it); this model is what the runner plays. The loader checks a
file against the schema first, so these classes only add what a schema cannot
say: cross-references (a traffic's corridor exists, crossings chain up, nodes
are declared) and defaults.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from seedsim.config import BorderCrossing, known_country
from seedsim.samples.consignments import DISCREPANCY_KINDS, PROCEDURES
from seedsim.utility_blocks.loader import blocks_in

#: a customs administration, by its ISO 3166-1 alpha-2 code (XK included): the six SEED+ ones or any other
Country = Annotated[str, AfterValidator(known_country)]


class Misplaced(ValueError):
    """A problem found by a cross-check, with where in the document it is (for the loader's line numbers)."""

    def __init__(self, loc: tuple, message: str):
        super().__init__(message)
        self.loc = loc


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Corridor(_Strict):
    """Ordered border crossings; the consignment exits at each exit office and enters at each entry office."""

    name: str
    crossings: list[BorderCrossing] = Field(min_length=1)

    @property
    def countries(self) -> list[str]:
        return [self.crossings[0].exit_office[:2], *(c.entry_office[:2] for c in self.crossings)]

    @model_validator(mode="after")
    def _chain(self) -> Corridor:
        for a, b in zip(self.crossings, self.crossings[1:], strict=False):
            if a.entry_office[:2] != b.exit_office[:2]:
                raise ValueError(
                    f"corridor {self.name!r}: crossing {b.name!r} must start in {a.entry_office[:2]}, "
                    f"the country crossing {a.name!r} enters (its exit office is {b.exit_office})"
                )
        for c in self.crossings:
            if c.exit_office[:2] == c.entry_office[:2]:
                raise ValueError(
                    f"corridor {self.name!r}: crossing {c.name!r} does not cross a border ({c.exit_office} -> {c.entry_office})"
                )
        if len(set(self.countries)) != len(self.countries):
            raise ValueError(
                f"corridor {self.name!r} passes a country twice ({' -> '.join(self.countries)}): split it into two corridors"
            )
        return self


class Goods(_Strict):
    """Every goods item of a traffic declared as these goods (both sides): crafted traffic for risk profiles."""

    hs_code: str = Field(pattern=r"^[0-9]{6}$")
    description: str | None = None
    origin: str | None = Field(None, pattern=r"^[A-Z]{2}$")
    value_per_kg: float | None = Field(None, gt=0)


class Consignor(_Strict):
    name: str = Field(min_length=2)


class Drift(_Strict):
    """How much less (percent; negative = more) the final import declares than the exit data: weighing and rounding noise."""

    gross_mass_pct: float = Field(0, gt=-100, lt=100)
    value_pct: float = Field(0, gt=-100, lt=100)


class Certificates(_Strict):
    """Veterinary certificates issued for a traffic's consignments, with planted faults (one per consignment at most)."""

    missing: int = Field(0, ge=0)
    withdrawn: int = Field(0, ge=0)
    replaced: int = Field(0, ge=0)
    mismatch: int = Field(0, ge=0)

    def planted(self) -> list[str]:
        return [k for k in ("missing", "withdrawn", "replaced", "mismatch") for _ in range(getattr(self, k))]


class Traffic(_Strict):
    count: int = Field(ge=1)
    corridor: str
    seed: int | None = None
    discrepancies: dict[str, int] = Field(default_factory=dict)
    value_scale: float | None = None
    mass_scale: float | None = None
    traders: int | None = None
    mode: Literal["auto", "lodge_only"] = "auto"
    goods: Goods | None = None
    consignor: Consignor | None = None
    vehicle: str | None = Field(None, min_length=2)
    drift: Drift | None = None
    #: procedure mix: customs procedure code (DE 1/10: 1000, 2300, 3151) -> how many consignments; the rest 1000
    procedures: dict[str, int] = Field(default_factory=dict)
    #: play this Utility Block through the nodes ``count`` times instead of generating consignments
    utility_block: str | None = Field(None, pattern=r"^UB-[A-Z0-9][A-Z0-9-]*$")
    #: the exporting country's veterinary authority certifies each consignment (faults planted as said)
    certificates: Certificates | None = None

    @model_validator(mode="after")
    def _mix(self) -> Traffic:
        if self.utility_block is not None:
            crafted = [
                k
                for k in (
                    "discrepancies",
                    "value_scale",
                    "mass_scale",
                    "traders",
                    "goods",
                    "consignor",
                    "vehicle",
                    "drift",
                    "procedures",
                    "certificates",
                )
                if getattr(self, k)
            ]
            if crafted or self.mode != "auto":
                raise ValueError(
                    f"a utility_block traffic plays the UB's own messages: drop {', '.join(crafted or ['mode'])}"
                )
        if self.certificates is not None and len(self.certificates.planted()) > self.count:
            raise ValueError(
                f"{len(self.certificates.planted())} planted certificate faults for {self.count} consignments: "
                "plant at most one per consignment"
            )
        bad = set(self.procedures) - set(PROCEDURES)
        if bad:
            raise ValueError(f"unknown procedure code(s) {sorted(bad)}: use {', '.join(PROCEDURES)}")
        if sum(self.procedures.values()) > self.count:
            raise ValueError(
                f"{sum(self.procedures.values())} consignments in the procedure mix for a traffic of {self.count}"
            )
        unknown = set(self.discrepancies) - set(DISCREPANCY_KINDS)
        if unknown:
            raise ValueError(f"unknown discrepancy kind(s) {sorted(unknown)}: use {', '.join(DISCREPANCY_KINDS)}")
        if sum(self.discrepancies.values()) > self.count:
            raise ValueError(
                f"{sum(self.discrepancies.values())} planted discrepancies for {self.count} consignments: plant at most one per consignment"
            )
        return self


class GeneratedRef(_Strict):
    traffic: int = Field(ge=0)
    index: int = Field(ge=1)


class TimelineEvent(_Strict):
    step: int = Field(ge=0)
    node: Country
    event: Literal["PRE_ARRIVAL", "EXIT", "ENTRY"]
    consignment: str | GeneratedRef
    office: str | None = None
    entry_office: str | None = None


class Malformed(_Strict):
    kind: Literal["malformed"]
    node: Country
    payload: Literal["broken_xml", "external_entity", "schema_violation", "entity_bomb"]
    sender: Country | None = None
    count: int = Field(1, ge=1)


class UnknownSender(_Strict):
    kind: Literal["unknown_sender"]
    node: Country
    sender: str
    count: int = Field(1, ge=1)


class Duplicates(_Strict):
    kind: Literal["duplicates"]
    node: Country
    count: int = Field(ge=1)


class Reorder(_Strict):
    kind: Literal["reorder"]
    node: Country
    jitter_ms: float = Field(gt=0)


class Delay(_Strict):
    kind: Literal["delay"]
    node: Country
    ms: float = Field(gt=0)


class NodeDown(_Strict):
    kind: Literal["node_down"]
    node: Country
    after_ms: float = Field(0, ge=0)
    for_s: float = Field(gt=0)


Fault = Annotated[Malformed | UnknownSender | Duplicates | Reorder | Delay | NodeDown, Field(discriminator="kind")]


class Bound(_Strict):
    """What a number must be; an integer in the file means ``exactly``."""

    exactly: float | None = None
    at_least: float | None = None
    at_most: float | None = None
    below: float | None = None
    above: float | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, v):
        return {"exactly": v} if isinstance(v, (int, float)) and not isinstance(v, bool) else v

    def holds(self, actual: float | None) -> bool:
        if actual is None:
            return False
        return all(
            (
                self.exactly is None or actual == self.exactly,
                self.at_least is None or actual >= self.at_least,
                self.at_most is None or actual <= self.at_most,
                self.below is None or actual < self.below,
                self.above is None or actual > self.above,
            )
        )

    def __str__(self) -> str:
        words = {"exactly": "=", "at_least": ">=", "at_most": "<=", "below": "<", "above": ">"}
        return " and ".join(f"{words[k]} {v:g}" for k, v in self.model_dump(exclude_none=True).items())


class Expectations(_Strict):
    every_export_pre_announced: Literal[True] | None = None
    no_message_lost: Literal[True] | None = None
    no_duplicate_applied: Literal[True] | None = None
    alerts: Bound | None = None
    alerts_by_rule: dict[str, Bound] = Field(default_factory=dict)
    nacks: Bound | None = None
    dead_letters: Bound | None = None
    latency_p95_ms: Bound | None = None
    #: per Utility Block: p95 of send -> acknowledgement over the messages its steps send
    ub_latency_p95_ms: dict[str, Bound] = Field(default_factory=dict)
    counts: dict[str, Bound] = Field(default_factory=dict)
    risk_alerts: Bound | None = None
    risk_alerts_before_entry: Literal[True] | None = None
    every_ub_step_acknowledged: Literal[True] | None = None


class ScenarioTolerances(_Strict):
    gross_mass_pct: float | None = Field(None, ge=0)
    value_pct: float | None = Field(None, ge=0)


class Matching(_Strict):
    """Overrides of the SEED core Utility Block's matching section, for every node of the scenario."""

    tolerances: ScenarioTolerances = Field(default_factory=ScenarioTolerances)


class Scenario(_Strict):
    name: str
    description: str = ""
    seed: int = 42
    timeout_s: float = 60.0
    nodes: list[Country]
    corridors: list[Corridor]
    traffic: list[Traffic]
    timeline: list[TimelineEvent] = Field(default_factory=list)
    faults: list[Fault] = Field(default_factory=list)
    matching: Matching | None = None
    risk_profiles: list[str] | None = None  # none = every shipped profile
    expectations: Expectations

    def corridor(self, name: str) -> Corridor:
        return next(c for c in self.corridors if c.name == name)

    def partners(self, node: str) -> list[str]:
        """The neighbours ``node`` exchanges with: the countries next to it on any corridor."""
        out: set[str] = set()
        for c in self.corridors:
            for x in c.crossings:
                a, b = x.exit_office[:2], x.entry_office[:2]
                if node in (a, b):
                    out.add(b if node == a else a)
        return sorted(out)

    @model_validator(mode="after")
    def _references(self) -> Scenario:
        names = [c.name for c in self.corridors]
        if len(set(names)) != len(names):
            raise Misplaced(("corridors",), f"corridor names must be unique: {names}")
        for n, c in enumerate(self.corridors):
            missing = [k for k in c.countries if k not in self.nodes]
            if missing:
                raise Misplaced(
                    ("corridors", n),
                    f"corridor {c.name!r} passes {', '.join(missing)}: add {'it' if len(missing) == 1 else 'them'} to nodes",
                )
        for i, t in enumerate(self.traffic):
            if t.corridor not in names:
                raise Misplaced(("traffic", i, "corridor"), f"no corridor named {t.corridor!r}: use one of {names}")
            if t.utility_block is not None:
                known = blocks_in()
                if t.utility_block not in known:
                    raise Misplaced(
                        ("traffic", i, "utility_block"),
                        f"no Utility Block {t.utility_block!r}: use one of {sorted(known)}",
                    )
        for i, e in enumerate(self.timeline):
            if isinstance(e.consignment, GeneratedRef):
                ref = e.consignment
                if ref.traffic >= len(self.traffic) or ref.index > self.traffic[ref.traffic].count:
                    raise Misplaced(
                        ("timeline", i, "consignment"),
                        f"consignment {ref.index} of traffic[{ref.traffic}] does not exist",
                    )
        for i, f in enumerate(self.faults):
            if f.node not in self.nodes:
                raise Misplaced(
                    ("faults", i, "node"), f"node {f.node} is not in nodes {self.nodes}: add it or target another node"
                )
        return self
