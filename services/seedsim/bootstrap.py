"""Wiring: the one place that picks adapters and builds services from configuration."""

from __future__ import annotations

from seedsim.config import NodeConfig
from seedsim.core.transport import Transport
from seedsim.core.transport.memory import InMemoryBus
from seedsim.nodes.customs.customs_node import CustomsNode


def make_transport(kafka: str | None, client_id: str = "seedsim") -> Transport:
    """Kafka when a bootstrap address is given, else a fresh in-process bus."""
    if kafka:
        from seedsim.core.transport.kafka import KafkaTransport  # only the Kafka adapter imports aiokafka

        return KafkaTransport(kafka, client_id=client_id)
    return InMemoryBus()


def make_customs_node(config: NodeConfig, transport: Transport | None = None) -> CustomsNode:
    return CustomsNode(config, transport or make_transport(config.kafka, client_id=f"seedsim-{config.node.lower()}"))
