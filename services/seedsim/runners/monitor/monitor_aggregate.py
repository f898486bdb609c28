"""What the monitor knows at any moment, built from interop records alone: pure Python, no I/O.

Fed one record at a time, live (:mod:`.monitor_ingest`, after the store said the record is new)
or from a trace (:func:`aggregate`, which drops repeated records by id as a run's summary does),
it keeps in bounded memory:

* the counters a run's summary prints (:func:`seedsim.runners.interop_summary.summary_counts`,
  so the monitor and ``seedsim run`` count alike), and a count per stage;
* the :class:`.interop_matrix.InteropMatrix`, from which the network is derived on request, and
  the :class:`.ub_cells.UbCells` (each UB's conversations, and records naming none by type), from
  which each UB's service level is;
* the latest :data:`FEED` stages, :data:`KEPT` alerts (matching and risk, with both values) and
  :data:`KEPT` dead letters (rule and reason); the store keeps them all;
* on request, the latency distributions per message type and per link (from the matrix's
  histograms), which a run's report draws.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Iterable
from typing import Any

from seedsim.core.interop import InteropRecord, Stage
from seedsim.runners.interop_summary import ACK_STAGES, ACK_TYPE, summary_counts
from seedsim.runners.monitor.interop_matrix import Flow, InteropMatrix
from seedsim.runners.monitor.network_graph import network
from seedsim.runners.monitor.service_levels import service_level
from seedsim.runners.monitor.ub_cells import UbCells
from seedsim.runners.traces.trace_outcomes import Alert
from seedsim.utility_blocks.model import UtilityBlock

FEED = 50
KEPT = 200
_ALERTS = (Stage.ALERT, Stage.RISK_ALERT)


def stage_entry(rec: InteropRecord) -> dict[str, Any]:
    """A record as the feed and the timeline show it."""
    return rec.model_dump(mode="json", exclude_none=True)


def alert_entry(rec: InteropRecord) -> dict[str, Any]:
    """A matching alert (rule, element, exit and entry values) or a risk alert (profile, reasons)."""
    entry = {"ts": rec.ts.isoformat(), "node": rec.node, "consignment": rec.consignment, "rule": rec.result}
    if rec.stage == Stage.RISK_ALERT:
        return {**entry, "kind": "risk", "profile": rec.result, "detail": rec.detail}
    alert = Alert.of(rec)
    return {
        **entry,
        "kind": "matching",
        "element": alert.element,
        "exit_value": alert.exit_value,
        "entry_value": alert.entry_value,
        "detail": rec.detail,
    }


def dead_letter_entry(rec: InteropRecord) -> dict[str, Any]:
    return {
        "ts": rec.ts.isoformat(),
        "node": rec.node,
        "consignment": rec.consignment,
        "message_id": rec.message_id,
        "rule": rec.result,
        "reason": rec.detail,
    }


class MonitorAggregate:
    def __init__(self, blocks: Iterable[UtilityBlock] = ()) -> None:
        self.blocks = list(blocks)
        self.records = 0
        self.stages: Counter[Stage] = Counter()
        self.ack_stages: Counter[Stage] = Counter()
        self.matrix = InteropMatrix()
        self.ub_cells = UbCells()
        self.nodes: set[str] = set()
        self._feed: deque[InteropRecord] = deque(maxlen=FEED)
        self.alerts: deque[dict[str, Any]] = deque(maxlen=KEPT)
        self.dead_letters: deque[dict[str, Any]] = deque(maxlen=KEPT)

    def add(self, rec: InteropRecord) -> None:
        """Count ``rec`` (the caller makes sure each record comes once)."""
        stage = rec.stage
        self.records += 1
        self.stages[stage] += 1
        if rec.message_type == ACK_TYPE and stage in ACK_STAGES:
            self.ack_stages[stage] += 1
        self.nodes.add(rec.node)
        counted_as = self.matrix.add(rec)
        if counted_as is not None:
            self.ub_cells.add(rec, counted_as)
        self._feed.append(rec)
        if stage in _ALERTS:
            self.alerts.append(alert_entry(rec))
        elif stage == Stage.DEAD_LETTERED:
            self.dead_letters.append(dead_letter_entry(rec))

    def feed(self) -> list[dict[str, Any]]:
        """The latest stages, newest first."""
        return [stage_entry(r) for r in reversed(self._feed)]

    def counters(self) -> dict[str, int]:
        """The run summary's counts (sent, delivered, valid, acknowledged, matched, ...)."""
        return summary_counts(self.stages, self.ack_stages)

    def by_stage(self) -> dict[str, int]:
        return {stage.value: self.stages[stage] for stage in Stage}

    def network(self) -> dict[str, Any]:
        return network(self.matrix, self.nodes)

    def service_levels(self) -> list[dict[str, Any]]:
        return [service_level(ub, self.ub_cells, self.blocks) for ub in self.blocks]

    def latencies(self) -> dict[str, list[dict[str, Any]]]:
        """Round-trip latency distributions (send to reading the answer) per message type and per link
        (``RS -> ME``): count, p50, p95 and the histogram's buckets ``[upper bound ms, count]``."""
        keys: dict[str, Callable[[Flow], str]] = {
            "by_message_type": lambda f: f.message_type,
            "by_link": lambda f: f"{f.sender} -> {f.receiver}",
        }
        return {
            name: [
                {
                    "label": label,
                    "count": h.count,
                    "p50_ms": h.percentile(50),
                    "p95_ms": h.percentile(95),
                    "distribution": [list(b) for b in h.distribution()],
                }
                for label, h in self.matrix.latency_by(key).items()
            ]
            for name, key in keys.items()
        }


def aggregate(records: Iterable[InteropRecord], blocks: Iterable[UtilityBlock] = ()) -> MonitorAggregate:
    """The aggregate of ``records`` (a trace's, say), each counted once by id."""
    agg, seen = MonitorAggregate(blocks), set()
    for rec in records:
        if rec.id not in seen:
            seen.add(rec.id)
            agg.add(rec)
    return agg
