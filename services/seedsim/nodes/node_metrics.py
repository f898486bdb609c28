"""A node's Prometheus metrics (``GET /metrics``), in a registry of the node's own: what it parked.

A record the node can neither answer nor dead-letter after bounded retries, and an outbox row the
transport refuses for good, are parked in the store's ``parked`` table so the inbox moves on
(:mod:`seedsim.nodes.inbox_node`). An operator must learn of it without reading logs:

* ``seedsim_records_parked_total{node, reason}`` counts the records parked since the node started,
  by why (:data:`PARK_REASONS`);
* ``seedsim_parked_records{node, kind}`` is how many records the parking table holds now, by kind
  (``inbox``: a record received, ``outbox``: a record not sent), kept across restarts;
* ``seedsim_rows_purged_total{node, table}`` counts the rows the retention's purge deleted since the node
  started (``handled``: ids older than the idempotency window, ``messages``: message-log rows older than the
  log's retention, ``consignments``: a customs node's consignments past the consignment retention; see
  :mod:`seedsim.core.retention`).

A registry per node, not the process-wide default, so several nodes in one process (the demo,
tests) do not share counts. The counts are plain integers, turned into metric families only when
Prometheus scrapes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

CONTENT_TYPE = CONTENT_TYPE_LATEST

#: why a record was parked: the label values of seedsim_records_parked_total
DEAD_LETTER_FAILED = "dead_letter_failed"  # received, not handled after retries, and its dead letter failed too
TOO_LARGE = "too_large"  # to send, over the record bound (seedsim.core.record_bounds)
ILLEGAL_TOPIC = "illegal_topic"  # to send, to a topic name a broker refuses
TRANSPORT_REFUSED = "transport_refused"  # to send, refused for good by the transport
PARK_REASONS = (DEAD_LETTER_FAILED, TOO_LARGE, ILLEGAL_TOPIC, TRANSPORT_REFUSED)
#: what the parking table holds: the label values of seedsim_parked_records
PARKED_KINDS = ("inbox", "outbox")
#: what the retention's purge deletes from: the label values of seedsim_rows_purged_total
PURGED_TABLES = ("handled", "messages", "consignments")


class NodeMetrics:
    """The counts of one node; :meth:`exposition` renders them with the parking table's current contents."""

    def __init__(self, node: str) -> None:
        self.node = node
        self.parked: Counter[str] = Counter({reason: 0 for reason in PARK_REASONS})
        self._held: Mapping[str, int] = {}
        self.purged: Counter[str] = Counter({table: 0 for table in PURGED_TABLES})
        self.registry = CollectorRegistry()
        self.registry.register(_Exposed(self))

    def count_parked(self, reason: str, n: int = 1) -> None:
        self.parked[reason] += n

    def count_purged(self, table: str, n: int) -> None:
        self.purged[table] += n

    def exposition(self, held: Mapping[str, int]) -> bytes:
        """The Prometheus text format, with ``held`` (parked records in the store now, by kind)."""
        self._held = held
        return generate_latest(self.registry)


class _Exposed(Collector):
    def __init__(self, metrics: NodeMetrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        m = self.metrics
        parked = _counter(
            "seedsim_records_parked",
            "Records parked since the node started (neither answered nor dead-lettered, or never sendable), by reason",
            m.node,
            "reason",
            m.parked,
        )
        held = GaugeMetricFamily(
            "seedsim_parked_records",
            "Records the node's parking table holds now, by kind (inbox: received, outbox: not sent)",
            labels=["node", "kind"],
        )
        for kind in PARKED_KINDS:
            held.add_metric([m.node, kind], m._held.get(kind, 0))
        purged = _counter(
            "seedsim_rows_purged",
            "Rows the retention's purge deleted since the node started, by table (handled ids, message log)",
            m.node,
            "table",
            m.purged,
        )
        yield from (parked, held, purged)


def _counter(name: str, documentation: str, node: str, label: str, counts: Counter[str]) -> CounterMetricFamily:
    """A counter family of ``node`` with one sample per ``label`` value of ``counts``."""
    family = CounterMetricFamily(name, documentation, labels=["node", label])
    for value, n in sorted(counts.items()):
        family.add_metric([node, value], n)
    return family
