"""Pydantic models mirroring ``schemas/utility-block.schema.json``.

The JSON Schema is what the project publishes and what the loader validates
first (so errors carry a JSON pointer); these models give the rest of seedsim
typed access to a UB that already passed it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

#: the consignment events the nodes fire; a UB may also name another event
CORE_EVENTS = ("PRE_ARRIVAL", "EXIT", "ENTRY")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class Purpose(_Model):
    need: str
    scope: str
    beneficiaries: list[str]


class LegalInstrument(_Model):
    instrument: str
    kind: Literal["agreement", "mutual_assistance", "data_protection", "convention", "regulation", "standard"]
    note: str | None = None


class Role(_Model):
    id: str
    kind: Literal["customs", "agency"]
    description: str


class Step(_Model):
    from_role: str = Field(alias="from")
    to_role: str = Field(alias="to")
    message: str
    event: str
    timing: str
    note: str | None = None


class BusinessProcess(_Model):
    roles: list[Role]
    trigger: str
    steps: list[Step]

    def role(self, role_id: str) -> Role | None:
        return next((r for r in self.roles if r.id == role_id), None)


class Element(_Model):
    path: str
    wco_id: str | None = None
    name: str
    min: int
    max: int | Literal["unbounded"]
    set: Literal["minimum", "maximum"]


class MessageDataSet(_Model):
    message: str
    elements: list[Element]


class Exchange(_Model):
    mechanism: Literal["push", "pull", "query"]
    acknowledgement_required: bool
    timeout_s: float
    retries: int
    channel: str
    errors: str | None = None
    security: str | None = None


class Comparison(_Model):
    element: str
    alert: str
    path: str | None = None


class Tolerances(_Model):
    gross_mass_pct: float | None = None
    value_pct: float | None = None


class Matching(_Model):
    compare: list[Comparison]
    tolerances: Tolerances | None = None


class ServiceLevel(_Model):
    availability_pct: float
    p95_latency_ms: int


class Monitoring(_Model):
    max_nack_rate: float
    max_dead_letters: int


class Governance(_Model):
    service_level: ServiceLevel
    monitoring: Monitoring
    change: str | None = None


class UtilityBlock(_Model):
    id: str
    title: str
    version: str
    purpose: Purpose
    legal_basis: list[LegalInstrument]
    business_process: BusinessProcess
    data_set: list[MessageDataSet]
    exchange: Exchange
    matching: Matching | None = None
    governance: Governance
    examples: list[str]

    def messages(self) -> list[str]:
        """Message types the UB exchanges, in the order its steps first use them."""
        return list(dict.fromkeys(s.message for s in self.business_process.steps))
