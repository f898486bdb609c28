"""Prometheus metrics of the interop stream, in a registry of the monitor's own.

``seedsim_interop_records_total{node, message_type, stage}`` counts the records (each once), and
``seedsim_interop_latency_ms{node, message_type, stage}`` is the histogram of the latencies the
records carry (the round trip from sending a message to reading its answer, at the sender). A
registry per monitor, not the process-wide default, so two monitors in one process (tests) do
not share counts.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from seedsim.core.interop import InteropRecord

LATENCY_BUCKETS_MS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 30000)
CONTENT_TYPE = CONTENT_TYPE_LATEST


class MonitorMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        labels = ("node", "message_type", "stage")
        self.records = Counter(
            "seedsim_interop_records",
            "Interop records, by node, message type and stage",
            labels,
            registry=self.registry,
        )
        self.latency = Histogram(
            "seedsim_interop_latency_ms",
            "Latency an interop record carries (ms): sending a message to reading its answer",
            labels,
            buckets=LATENCY_BUCKETS_MS,
            registry=self.registry,
        )
        self.dead_letters = Counter(
            "seedsim_dead_letters",
            "Dead-lettered copies read, by node and rule",
            ("node", "rule"),
            registry=self.registry,
        )

        self._children: dict[tuple[str, str, str], tuple[Any, Any]] = {}

    def observe(self, rec: InteropRecord) -> None:
        labels = (rec.node, rec.message_type or "", rec.stage.value)
        child = self._children.get(labels)
        if child is None:  # prometheus-client's labels() is slow enough to matter at thousands of records a second
            child = self._children[labels] = (self.records.labels(*labels), self.latency.labels(*labels))
        child[0].inc()
        if rec.latency_ms is not None:
            child[1].observe(rec.latency_ms)

    def dead_letter(self, node: str, rule: str) -> None:
        self.dead_letters.labels(node, rule).inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
