"""Prometheus metrics of the interop stream, in a registry of the monitor's own.

``seedsim_interop_records_total{node, message_type, stage}`` counts the records (each once),
``seedsim_interop_latency_ms{node, message_type, stage}`` is the histogram of the latencies the
records carry (the round trip from sending a message to reading its answer, at the sender), and
``seedsim_dead_letters_total{node, rule}`` counts the dead-lettered copies read. A registry per
monitor, not the process-wide default, so two monitors in one process (tests) do not share counts.

The monitor counts thousands of records a second, so a record costs a dict lookup, an increment
and, with a latency, a bisection into the buckets; prometheus-client's own metric objects (a lock
and a label lookup per call) are built only when Prometheus scrapes ``/metrics``, by a collector
that reads these counts.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from seedsim.core.interop import InteropRecord

LATENCY_BUCKETS_MS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 30000)
CONTENT_TYPE = CONTENT_TYPE_LATEST
_LABELS = ["node", "message_type", "stage"]


@dataclass
class _Counted:
    """The records of one label set: how many, and the latencies they carried, per bucket (the last: +Inf)."""

    records: int = 0
    buckets: list[int] = field(default_factory=lambda: [0] * (len(LATENCY_BUCKETS_MS) + 1))
    latency_sum: float = 0.0


class MonitorMetrics:
    def __init__(self) -> None:
        self.counted: dict[tuple[str, str, str], _Counted] = {}
        self.dead_letters: Counter[tuple[str, str]] = Counter()
        self.registry = CollectorRegistry()
        self.registry.register(_Exposed(self))

    def observe(self, rec: InteropRecord) -> None:
        labels = (rec.node, rec.message_type or "", rec.stage.value)
        counted = self.counted.get(labels)
        if counted is None:
            counted = self.counted[labels] = _Counted()
        counted.records += 1
        if rec.latency_ms is not None:
            counted.buckets[bisect_left(LATENCY_BUCKETS_MS, rec.latency_ms)] += 1
            counted.latency_sum += rec.latency_ms

    def dead_letter(self, node: str, rule: str) -> None:
        self.dead_letters[(node, rule)] += 1

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class _Exposed(Collector):
    """The counts as Prometheus metric families, built when scraped."""

    def __init__(self, metrics: MonitorMetrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        records = CounterMetricFamily(
            "seedsim_interop_records", "Interop records, by node, message type and stage", labels=_LABELS
        )
        latency = HistogramMetricFamily(
            "seedsim_interop_latency_ms",
            "Latency an interop record carries (ms): sending a message to reading its answer",
            labels=_LABELS,
        )
        for labels, counted in sorted(self.metrics.counted.items()):
            records.add_metric(list(labels), counted.records)
            cumulative, buckets = 0, []
            for bound, n in zip((*map(str, LATENCY_BUCKETS_MS), "+Inf"), counted.buckets, strict=True):
                cumulative += n
                buckets.append((bound, cumulative))
            latency.add_metric(list(labels), buckets, counted.latency_sum)
        dead = CounterMetricFamily(
            "seedsim_dead_letters", "Dead-lettered copies read, by node and rule", labels=["node", "rule"]
        )
        for (node, rule), n in sorted(self.metrics.dead_letters.items()):
            dead.add_metric([node, rule], n)
        yield from (records, latency, dead)
