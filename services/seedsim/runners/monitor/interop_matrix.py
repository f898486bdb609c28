"""The interop matrix: who sends what to whom, and what became of it.

One cell per sender x receiver x message type, counted from the stages of the interop records
(each record is about one message, and names its sender, receiver and type):

========================  ==============================================================
column                    counted from
========================  ==============================================================
sent                      ``sent`` (at the sender)
delivered                 ``received`` (at the receiver)
valid / invalid           ``valid`` / ``invalid`` (the receiver's check)
acknowledged              ``ack_received``: the sender got a positive acknowledgement
nacked                    ``nacked``: the receiver answered negatively (counted even when the
                          sender, e.g. a hostile one, never hears it)
dead_lettered             ``dead_lettered`` at the receiver
p50_ms / p95_ms           ``ack_received`` / ``nack_received`` latency: from sending the message
                          to the sender reading its answer (a round trip)
========================  ==============================================================

So the sums over the business message types are the run summary's sent, delivered, valid,
acknowledged, rejected and dead-lettered counts. A ``dead_lettered`` record names only its
receiver; its sender and type are those of the ``received`` record of the same message, remembered
for the last :data:`REMEMBERED` messages (a record without an envelope has neither: ``?``).
"""

from __future__ import annotations

import csv
import io
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from seedsim.core.interop import InteropRecord, Stage
from seedsim.runners.monitor.latency_histogram import LatencyHistogram

UNKNOWN = "?"
REMEMBERED = 50_000
COLUMNS = ("sent", "delivered", "valid", "invalid", "acknowledged", "nacked", "dead_lettered")
#: the column each stage counts in
COUNTED = {
    Stage.SENT: "sent",
    Stage.RECEIVED: "delivered",
    Stage.VALID: "valid",
    Stage.INVALID: "invalid",
    Stage.ACK_RECEIVED: "acknowledged",
    Stage.NACKED: "nacked",
    Stage.DEAD_LETTERED: "dead_lettered",
}
#: the stages whose latency is a round trip (sending to reading the answer)
ANSWERED = (Stage.ACK_RECEIVED, Stage.NACK_RECEIVED)


@dataclass(frozen=True, order=True)
class Flow:
    """Messages of one type from one node to another."""

    sender: str
    receiver: str
    message_type: str


@dataclass
class MatrixCell:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COLUMNS, 0))
    latency: LatencyHistogram = field(default_factory=LatencyHistogram)

    def count(self, stage: Stage, latency_ms: float | None) -> None:
        """Count a record of ``stage`` (in its column, and its round-trip latency if it is an answer's)."""
        column = COUNTED.get(stage)
        if column is not None:
            self.counts[column] += 1
        if latency_ms is not None and stage in ANSWERED:
            self.latency.add(latency_ms)

    def merge(self, other: MatrixCell) -> None:
        for k, n in other.counts.items():
            self.counts[k] += n
        self.latency.merge(other.latency)

    def row(self) -> dict[str, Any]:
        return {**self.counts, "p50_ms": self.latency.percentile(50), "p95_ms": self.latency.percentile(95)}


class InteropMatrix:
    def __init__(self) -> None:
        self.cells: dict[Flow, MatrixCell] = {}
        self._received: OrderedDict[str, tuple[str, str]] = OrderedDict()
        #: the cells by (sender, receiver, type), as :meth:`add` finds them: a tuple hashes in C, a Flow in Python
        self._by_key: dict[tuple[str, str, str], MatrixCell] = {}

    def cell(self, flow: Flow) -> MatrixCell:
        found = self.cells.get(flow)
        if found is None:
            found = self.cells[flow] = MatrixCell()
        return found

    def add(self, rec: InteropRecord) -> str | None:
        """Count ``rec`` in its cell; the message type it was counted under (a dead letter's is that of the message
        received), None when its stage counts nowhere."""
        stage = rec.stage
        if stage not in COUNTED and stage not in ANSWERED:
            return None
        sender, message_type = rec.sender, rec.message_type
        if stage == Stage.RECEIVED and rec.message_id:
            self._remember(rec.message_id, sender or UNKNOWN, message_type or UNKNOWN)
        elif stage == Stage.DEAD_LETTERED and rec.message_id and rec.message_id in self._received:
            sender, message_type = self._received[rec.message_id]
        receiver = rec.receiver or (rec.node if stage != Stage.SENT else None)
        key = (sender or UNKNOWN, receiver or UNKNOWN, message_type or UNKNOWN)
        cell = self._by_key.get(key)
        if cell is None:
            cell = self._by_key[key] = self.cell(Flow(*key))
        cell.count(stage, rec.latency_ms)
        return key[2]

    def _remember(self, message_id: str, sender: str, message_type: str) -> None:
        self._received[message_id] = (sender, message_type)
        if len(self._received) > REMEMBERED:
            self._received.popitem(last=False)

    def rows(self) -> list[dict[str, Any]]:
        """One dict per cell, ordered by sender, receiver and type: the matrix as JSON."""
        return [
            {"sender": f.sender, "receiver": f.receiver, "message_type": f.message_type, **self.cells[f].row()}
            for f in sorted(self.cells)
        ]

    def csv(self) -> str:
        out = io.StringIO()
        fields = ["sender", "receiver", "message_type", *COLUMNS, "p50_ms", "p95_ms"]
        writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        for row in self.rows():
            writer.writerow({k: "" if v is None else v for k, v in row.items()})
        return out.getvalue()

    def latency_by(self, key: Callable[[Flow], str]) -> dict[str, LatencyHistogram]:
        """The round-trip latency distributions added up per ``key`` of a flow (its type, its link...), by key."""
        out: dict[str, LatencyHistogram] = {}
        for flow in sorted(self.cells):
            histogram = self.cells[flow].latency
            if histogram.count:
                out.setdefault(key(flow), LatencyHistogram()).merge(histogram)
        return dict(sorted(out.items()))

    def total(self, flows: list[Flow]) -> MatrixCell:
        """The cells of ``flows`` added up."""
        total = MatrixCell()
        for f in flows:
            total.merge(self.cells[f])
        return total
