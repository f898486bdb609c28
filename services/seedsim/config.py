"""The configuration of every seedsim node: what it is called, how it is reached, where it keeps its state.

:class:`ServiceConfig` is what every node has (transport, port, database,
partners, topics, Utility Blocks); :class:`NodeConfig` adds a customs node's
offices, national schema, matching tolerances and risk profiles;
:class:`AgencyConfig` names a border agency by country and kind. The CLI fills
them from its options and from ``SEEDSIM_*`` environment variables (what
docker-compose sets), in that order of precedence; :mod:`seedsim.bootstrap`
builds nodes from them.

Every node keeps its handled message ids for an idempotency window and its message log for a retention, and
purges what is older (:mod:`seedsim.core.retention`). A redelivery older than the idempotency window would be
handled again: keep it longer than the broker's retention of the inbox topics (both 7 days by default).
"""

from __future__ import annotations

from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from seedsim.core import codes
from seedsim.core.identifiers import is_valid_office
from seedsim.core.retention import IDEMPOTENCY_WINDOW_S, MESSAGE_LOG_RETENTION_S, PURGE_EVERY_S, Retention
from seedsim.core.transport.kafka_credentials import KafkaCredentials


def known_country(code: str) -> str:
    """``code`` if it is an ISO 3166-1 alpha-2 code or XK (any administration may run a node), else a ValueError."""
    if code not in codes.countries():
        raise ValueError(
            f"{code!r} is not an ISO 3166-1 alpha-2 country code (nor XK): name the administration by its "
            "two capital letters, e.g. RS or HU"
        )
    return code


class BorderCrossing(BaseModel):
    """A pair of offices facing each other across a border: exit on one side, entry on the other."""

    name: str
    exit_office: str
    entry_office: str

    @field_validator("exit_office", "entry_office")
    @classmethod
    def _office(cls, v: str) -> str:
        if not is_valid_office(v):
            raise ValueError(f"{v!r} is not a customs office reference number (country + 6 characters)")
        known_country(v[:2])
        return v


class Tolerances(BaseModel):
    """How far entry data may differ from exit data before it is a discrepancy (percent)."""

    gross_mass_pct: Decimal = Decimal("2")
    value_pct: Decimal = Decimal("5")


class ServiceConfig(BaseModel):
    """What every seedsim node has, customs or agency: how it is reached and where it keeps its state."""

    node: str
    kafka: str | None = Field(None, description="Kafka bootstrap HOST:PORT; none = in-process bus")
    kafka_username: str | None = Field(None, description="user on a secured Kafka broker (SASL SCRAM-SHA-512)")
    kafka_password: str | None = Field(None, repr=False, description="that user's password")
    kafka_security_protocol: str | None = Field(
        None, description="PLAINTEXT, SASL_PLAINTEXT or SASL_SSL; none = SASL_PLAINTEXT with a user, else PLAINTEXT"
    )
    kafka_ca_file: Path | None = Field(None, description="CA certificate (PEM) of the broker's TLS, with SASL_SSL")
    port: int = 8000
    host: str = "127.0.0.1"
    db: Path | None = Field(None, description="SQLite file; default ./var/<node>.sqlite3")
    partners: list[str] = Field(
        default_factory=list, description="nodes this node exchanges with; empty = the SEED+ nodes"
    )
    max_xml_bytes: int = 4 * 1024 * 1024
    topic_prefix: str = Field("seedsim", description="prefix of every topic name (see seedsim.core.topics)")
    utility_blocks: Path | None = Field(
        None,
        description="directory of the Utility Block files the node acts on; none = the shipped schemas/utility-blocks",
    )
    trust_list: Path | None = Field(
        None,
        description="the network's trust list (seedsim keys init); none = the development keyring (see seedsim.core.network_keys)",
    )
    signing_key: Path | None = Field(
        None, description="this node's private key (PEM), or a folder of them (<kid>.pem); read with trust_list"
    )
    clock_skew_s: float = Field(300, gt=0, description="how far a message's ce_time may be from this node's clock (s)")
    signing: bool = Field(
        True, description="False: sign and verify nothing; refused outside the in-process bus (the signing benchmark)"
    )
    code_lists: list[Path] = Field(
        default_factory=list,
        description="national code list files: each adds codes to one shipped list ('# extends: <list id>', "
        "see seedsim.core.codes), accepted by this node only; none = the international lists alone",
    )

    worker: int = Field(
        0, ge=0, description="which of the node's worker processes this is (seedsim node --workers); they share db"
    )

    idempotency_window_s: float = Field(
        IDEMPOTENCY_WINDOW_S,
        gt=0,
        description="how long handled message ids are kept (s): a redelivery older than this is handled again, so keep"
        " it longer than the broker's retention",
    )
    message_log_retention_s: float = Field(
        MESSAGE_LOG_RETENTION_S,
        gt=0,
        description="how long the message log keeps a message and its payload (s); a message sent and not yet"
        " acknowledged is kept up to the idempotency window",
    )
    purge_every_s: float = Field(
        PURGE_EVERY_S, gt=0, description="how often the node deletes what is older than its retention (s)"
    )
    consignment_retention_s: float | None = Field(
        None,
        gt=0,
        description="how long a customs node keeps a consignment nothing happened to, with its declarations,"
        " pre-arrival data, alerts, answers and documents (s); none = for ever",
    )

    def retention(self) -> Retention:
        """How long the node keeps handled ids and its message log (see :mod:`seedsim.core.retention`)."""
        return Retention(
            self.idempotency_window_s,
            self.message_log_retention_s,
            self.purge_every_s,
            consignments_s=self.consignment_retention_s,
        )

    @model_validator(mode="after")
    def _signing_off_in_process_only(self) -> ServiceConfig:
        if not self.signing and self.kafka:
            raise ValueError("signing may be turned off on the in-process bus only (for the signing benchmark)")
        if self.signing_key is not None and self.trust_list is None:
            raise ValueError("a signing key needs the trust list that names it: give trust_list too")
        return self

    @model_validator(mode="after")
    def _code_lists_readable(self) -> ServiceConfig:
        self.national_codes()  # a CodeListError (a ValueError) names the file and what to put right
        return self

    def national_codes(self) -> dict[str, frozenset[str]]:
        """The codes this node accepts beyond the shipped lists, by the id of the list they extend."""
        return codes.national_codes(self.code_lists)

    @model_validator(mode="after")
    def _credentials_fit(self) -> ServiceConfig:
        self.kafka_credentials()  # a ValueError says what does not fit
        return self

    def kafka_credentials(self) -> KafkaCredentials:
        """Who this node is on its Kafka broker (see :mod:`seedsim.core.transport.kafka_credentials`)."""
        return KafkaCredentials.of(
            self.kafka_username, self.kafka_password, self.kafka_security_protocol, self.kafka_ca_file
        )

    def db_path(self) -> Path:
        return self.db or Path("var") / f"{self.node.lower()}.sqlite3"


def login_settings(credentials: KafkaCredentials) -> dict[str, object]:
    """The :class:`ServiceConfig` fields that say ``credentials`` (for a node that logs in as a tool's user)."""
    return {
        "kafka_username": credentials.username,
        "kafka_password": credentials.password,
        "kafka_security_protocol": credentials.security_protocol,
        "kafka_ca_file": credentials.ca_file,
    }


class AgencyKind(str, Enum):
    NPPO = "NPPO"
    CCI = "CCI"
    TIR = "TIR"
    TAX = "TAX"
    VET = "VET"
    MED = "MED"


def agency_id(country: str, kind: AgencyKind | str) -> str:
    return f"{country.upper()}-{AgencyKind(kind).value}"


class AgencyConfig(ServiceConfig):
    """A border-agency node, named by its country and kind."""

    node: str = Field(
        description="agency node id: ISO 3166 country code, a dash, the kind (NPPO, CCI, TIR, TAX, VET, MED), e.g. RS-NPPO"
    )
    port: int = 8100
    seed: int | None = Field(None, description="random seed of the documents it issues (same seed, same documents)")

    @field_validator("node")
    @classmethod
    def _node(cls, v: str) -> str:
        country, _, kind = v.upper().partition("-")
        if country not in codes.countries() or kind not in AgencyKind.__members__:
            raise ValueError(
                f"{v!r} is not an agency node id: <country>-<kind>, kind one of {', '.join(AgencyKind.__members__)}"
            )
        return f"{country}-{kind}"

    @property
    def country(self) -> str:
        return self.node.split("-")[0]

    @property
    def kind(self) -> AgencyKind:
        return AgencyKind(self.node.split("-")[1])

    def is_partner(self, node: str) -> bool:
        if self.partners:
            return node in self.partners
        country, _, kind = node.partition("-")
        return country in codes.SEED_COUNTRIES and (not kind or kind in AgencyKind.__members__) and node != self.node


class NodeConfig(ServiceConfig):
    """A customs node, named by its country."""

    node: str = Field(description="node id; for a customs node its ISO 3166 country code")
    national_schema: str = Field(
        "wco/seedsim_metadata.xsd",
        description="XSD that declarations lodged at this node must satisfy (path under schemas/, or absolute)",
    )
    crossings: list[BorderCrossing] = Field(default_factory=list)
    tolerances: Tolerances = Field(default_factory=Tolerances)
    risk_profiles: list[str] | None = Field(
        None,
        description="risk profiles run on pre-arrival data: files, or names under schemas/risk-profiles/; none = every shipped profile, [] = none",
    )
    pre_arrival_format: Literal["auto", "seed", "ics-ens"] = Field(
        "auto",
        description="what the national system gets from received exit data: seed = the WCO DM exit data only; ics-ens = "
        "also the EU entry summary declaration (ICS1 IE315) the ENS adapter writes; auto = ics-ens in an EU member state",
    )
    required_certificates: list[str] = Field(
        default_factory=lambda: ["VeterinaryCertificate"],
        description="the certificates the office of entry requires before release, by message type "
        "(seedsim.nodes.customs.certificate_link): VeterinaryCertificate, CertificateOfPharmaceuticalProduct",
    )

    @field_validator("node")
    @classmethod
    def _node(cls, v: str) -> str:
        v = v.upper()
        if v not in codes.countries():
            raise ValueError(f"{v!r} is not an ISO 3166 alpha-2 country code (customs nodes are named by country)")
        return v

    @property
    def country(self) -> str:
        return self.node

    def is_partner(self, node: str) -> bool:
        known = self.partners or [c for c in codes.SEED_COUNTRIES if c != self.node]
        return node in known

    def entry_office_for(self, exit_office: str) -> str | None:
        for c in self.crossings:
            if c.exit_office == exit_office:
                return c.entry_office
        return None
