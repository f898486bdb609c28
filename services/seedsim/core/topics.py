"""Kafka topic names: the one place they are spelled.

Each node reads one inbox; what it cannot handle goes to that inbox's
dead-letter topic; every node writes its interoperability records to one
shared topic, which the interop monitor reads. What drove the nodes (the
declarations lodged, the events fired) goes to the driver topic, which no node
reads: it is there so a recorded run can be re-driven into fresh nodes. A prefix lets several
simulations share a broker without seeing each other's traffic.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_PREFIX = "seedsim"


@dataclass(frozen=True)
class Topics:
    prefix: str = DEFAULT_PREFIX

    @property
    def interop(self) -> str:
        return f"{self.prefix}.interop"

    @property
    def driver(self) -> str:
        return f"{self.prefix}.driver"

    def inbox(self, node: str) -> str:
        return f"{self.prefix}.inbox.{node.lower()}"

    def dead_letter(self, node: str) -> str:
        return f"{self.inbox(node)}.dlq"
