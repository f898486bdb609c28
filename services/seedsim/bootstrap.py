"""Wiring: the one place that picks adapters and builds nodes from configuration.

Everything a node depends on is handed in here, as cosmicpython's bootstrap hands
in its handlers: the transport (Kafka when a bootstrap address is given, else an
in-process bus), its store (one SQLite file) and the message catalogue it
recognises, validates and reads messages with. The CLI, the demo, the scenario
runner, the Utility Block player, the benchmarks and the tests build nodes only
through :func:`make_customs_node`, :func:`make_agency_node` and
:func:`running_network`.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from seedsim.config import AgencyConfig, NodeConfig
from seedsim.core.message_type import MessageCatalogue
from seedsim.core.network_keys import NetworkKeys, development_keys
from seedsim.core.transport import Transport
from seedsim.core.transport.kafka_credentials import ANONYMOUS, KafkaCredentials
from seedsim.core.transport.memory import InMemoryBus
from seedsim.message_catalogue import CATALOGUE
from seedsim.nodes.agency.agency_node import AgencyNode
from seedsim.nodes.customs.customs_node import CustomsNode
from seedsim.nodes.inbox_node import InboxNode

N = TypeVar("N", bound=InboxNode)


def make_transport(
    kafka: str | None, client_id: str = "seedsim", credentials: KafkaCredentials = ANONYMOUS
) -> Transport:
    """Kafka when a bootstrap address is given (as the user ``credentials`` name), else a fresh in-process bus."""
    if kafka:
        from seedsim.core.transport.kafka import KafkaTransport  # only the Kafka adapter imports aiokafka

        return KafkaTransport(kafka, client_id=client_id, credentials=credentials)
    return InMemoryBus()


def _own_transport(config: NodeConfig | AgencyConfig) -> Transport:
    return make_transport(
        config.kafka, client_id=f"seedsim-{config.node.lower()}", credentials=config.kafka_credentials()
    )


def network_keys(config: NodeConfig | AgencyConfig) -> NetworkKeys:
    """The keys a node signs and verifies with: its trust list and key files when configured, else this process's
    development keyring (unsigned only where the configuration allows it: the benchmark's comparison)."""
    if not config.signing:
        return NetworkKeys.unsigned()
    if config.trust_list is not None:
        return NetworkKeys.load(config.trust_list, config.signing_key, config.node)
    return development_keys()


def make_customs_node(
    config: NodeConfig,
    transport: Transport | None = None,
    catalogue: MessageCatalogue = CATALOGUE,
    keys: NetworkKeys | None = None,
) -> CustomsNode:
    """A customs node on ``transport`` (default: its own, from ``config.kafka``), signing with ``keys`` (default:
    :func:`network_keys`)."""
    node = CustomsNode(config, transport or _own_transport(config), catalogue, keys=keys or network_keys(config))
    return _as_worker(node, config)


def make_agency_node(
    config: AgencyConfig,
    transport: Transport | None = None,
    catalogue: MessageCatalogue = CATALOGUE,
    keys: NetworkKeys | None = None,
) -> AgencyNode:
    """A border-agency node on ``transport`` (default: its own, from ``config.kafka``), signing with ``keys``."""
    node = AgencyNode(config, transport or _own_transport(config), catalogue, keys=keys or network_keys(config))
    return _as_worker(node, config)


def _as_worker(node: N, config: NodeConfig | AgencyConfig) -> N:
    """``node`` as worker ``config.worker`` of its node: the outbox rows it queues are its own, and it sends only
    those (and a gone worker's); see :mod:`seedsim.core.worker_lease`."""
    node.store.worker = config.worker
    return node


@dataclass
class Network:
    """Nodes running on one transport: customs nodes by country, agency nodes by id (``RS-NPPO``)."""

    transport: Transport
    customs: dict[str, CustomsNode] = field(default_factory=dict)
    agencies: dict[str, AgencyNode] = field(default_factory=dict)

    @property
    def nodes(self) -> dict[str, InboxNode]:
        return {**self.customs, **self.agencies}


@asynccontextmanager
async def running_network(
    configs: Iterable[NodeConfig | AgencyConfig],
    transport: Transport,
    *,
    db_dir: Path | None = None,
    catalogue: MessageCatalogue = CATALOGUE,
) -> AsyncIterator[Network]:
    """Build and start a set of nodes on ``transport``; stop them and the transport on the way out.

    A config without a database file gets one in ``db_dir`` (a temporary folder,
    removed afterwards, when ``db_dir`` is None). The transport starts first (a
    node sends what a crash left in its outbox as it starts), then the nodes; on
    the way out the transport stops first, so no record arrives at a node whose
    store is closing, then the nodes flush and close their stores. Subscribe
    anything else (a monitor of the interop topic) before entering.
    """
    with tempfile.TemporaryDirectory(prefix="seedsim-") as tmp:
        folder = db_dir or Path(tmp)
        network = Network(transport)
        for config in configs:
            if config.db is None:
                config = config.model_copy(update={"db": folder / f"{config.node.lower()}.sqlite3"})
            if isinstance(config, AgencyConfig):
                network.agencies[config.node] = make_agency_node(config, transport, catalogue)
            else:
                network.customs[config.node] = make_customs_node(config, transport, catalogue)
        started: list[InboxNode] = []
        await transport.start()
        try:
            for node in network.nodes.values():
                await node.start()
                started.append(node)
            yield network
        finally:
            await transport.stop()
            for node in started:
                await node.stop()
