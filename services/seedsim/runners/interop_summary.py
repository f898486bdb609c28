"""Aggregate interop records into the numbers a tester checks.

Records are de-duplicated by their id (the outbox may publish one twice after
a crash), so the counts are the same however the records travelled.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from seedsim.core.interop import InteropRecord, Stage


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


ACK_TYPE = "Acknowledgement"

#: The summary lines, in the order the demo prints them: (label, stage counted).
SUMMARY_FIELDS: list[tuple[str, Stage]] = [
    ("sent", Stage.SENT),
    ("delivered", Stage.RECEIVED),
    ("valid", Stage.VALID),
    ("acknowledged", Stage.ACK_RECEIVED),
    ("matched", Stage.MATCHED),
    ("discrepancies", Stage.ALERT),
    ("risk_alerts", Stage.RISK_ALERT),
    ("rejected", Stage.NACKED),
    ("dead_lettered", Stage.DEAD_LETTERED),
    ("duplicates", Stage.DUPLICATE),
]


#: the stages an acknowledgement also passes at its receiver, which the summary does not count as messages
ACK_STAGES = (Stage.RECEIVED, Stage.VALID)


def summary_counts(stages: Mapping[Stage, int], ack_stages: Mapping[Stage, int]) -> dict[str, int]:
    """The summary from the records counted per stage, and per stage those about acknowledgements:
    'delivered' and 'valid' count business messages, not the acknowledgements."""
    return {
        label: stages.get(stage, 0) - (ack_stages.get(stage, 0) if stage in ACK_STAGES else 0)
        for label, stage in SUMMARY_FIELDS
    }


@dataclass
class InteropSummary:
    seen: set[str] = field(default_factory=set)
    stages: Counter = field(default_factory=Counter)
    by_type: Counter = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)
    records: list[InteropRecord] = field(default_factory=list)
    listeners: list[Callable[[InteropRecord], None]] = field(default_factory=list)
    #: which records belong to this summary (e.g. one run's consignments on a shared interop topic)
    accept: Callable[[InteropRecord], bool] | None = None
    _changed: asyncio.Event | None = None

    def add(self, rec: InteropRecord) -> None:
        if rec.id in self.seen or (self.accept is not None and not self.accept(rec)):
            return
        self.seen.add(rec.id)
        self.records.append(rec)
        self.stages[rec.stage] += 1
        self.by_type[(rec.stage, rec.message_type, rec.event)] += 1
        if rec.stage == Stage.ACK_RECEIVED and rec.latency_ms is not None and rec.event == "EXIT":
            self.latencies_ms.append(rec.latency_ms)
        for listener in self.listeners:
            listener(rec)
        if self._changed is not None:
            self._changed.set()

    def count(self, stage: Stage, message_type: str | None = None, event: str | None = None) -> int:
        if message_type is None and event is None:
            return self.stages[stage]
        return sum(
            n
            for (s, t, e), n in self.by_type.items()
            if s == stage and (message_type is None or t == message_type) and (event is None or e == event)
        )

    def counts(self) -> dict[str, int]:
        """The summary (see :func:`summary_counts`)."""
        return summary_counts(self.stages, {stage: self.count(stage, ACK_TYPE) for stage in ACK_STAGES})

    async def wait_for(self, predicate: Callable[[InteropSummary], bool], timeout: float) -> bool:
        """Wait until ``predicate`` holds; False on timeout."""
        if self._changed is None:
            self._changed = asyncio.Event()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate(self):
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), timeout=min(remaining, 0.5))
            except TimeoutError:
                pass
        return True
