"""Each Utility Block's measured service against its governance section.

A UB's governance names a service level (``availability_pct``, ``p95_latency_ms``) and monitoring
thresholds (``max_nack_rate``, ``max_dead_letters``). The monitor measures them over the matrix
cells of the UB's message types (every type its steps exchange, but the acknowledgement itself).
A type several UBs share (EntryConfirmation closes UB-SEED-EXIT, -PHYTO, -TIR...) counts for a UB
only once a type of its own (PhytosanitaryCertificate for UB-SEED-PHYTO) has been seen: a run of
exit data alone is UB-SEED-EXIT's traffic, not the phytosanitary one's. When two UBs both have
traffic of their own, the shared type counts for both (the matrix does not know which conversation
a message closes):

* p95 latency: of the round trip from sending to reading the acknowledgement;
* acknowledgement rate: acknowledged over sent, checked against ``availability_pct`` (the share of
  messages the exchange answered is what availability means to its users);
* nack rate: negatively acknowledged over delivered, against ``max_nack_rate``;
* dead letters, against ``max_dead_letters``.

A UB whose messages have not been seen has no verdict (``no traffic``), not a pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from seedsim.runners.interop_summary import ACK_TYPE
from seedsim.runners.monitor.interop_matrix import InteropMatrix
from seedsim.utility_blocks.model import UtilityBlock


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _types(ub: UtilityBlock) -> set[str]:
    return {m for m in ub.messages() if m != ACK_TYPE}


def measured_types(ub: UtilityBlock, blocks: Iterable[UtilityBlock], matrix: InteropMatrix) -> set[str]:
    """The message types ``ub`` is measured over: its own (no other of ``blocks`` exchanges them) and, once one
    of those has traffic, those it shares; all of them when it has none of its own."""
    types = _types(ub)
    shared = set().union(*(_types(other) for other in blocks if other.id != ub.id)) & types
    own = types - shared
    if own and not any(f.message_type in own for f, cell in matrix.cells.items() if any(cell.counts.values())):
        return own
    return types


def service_level(ub: UtilityBlock, matrix: InteropMatrix, blocks: Iterable[UtilityBlock] = ()) -> dict[str, Any]:
    types = measured_types(ub, blocks, matrix)
    cell = matrix.total([f for f in matrix.cells if f.message_type in types])
    sl, mon = ub.governance.service_level, ub.governance.monitoring
    c = cell.counts
    p95 = cell.latency.percentile(95)
    ack_rate, nack_rate = _rate(c["acknowledged"], c["sent"]), _rate(c["nacked"], c["delivered"])
    breaches = []
    if p95 is not None and p95 > sl.p95_latency_ms:
        breaches.append(f"p95 latency {p95:g} ms > {sl.p95_latency_ms} ms")
    if ack_rate is not None and ack_rate * 100 < sl.availability_pct:
        breaches.append(f"acknowledged {ack_rate * 100:.1f} % < {sl.availability_pct:g} %")
    if nack_rate is not None and nack_rate > mon.max_nack_rate:
        breaches.append(f"nack rate {nack_rate:.2%} > {mon.max_nack_rate:.2%}")
    if c["dead_lettered"] > mon.max_dead_letters:
        breaches.append(f"{c['dead_lettered']} dead letters > {mon.max_dead_letters}")
    seen = c["sent"] or c["delivered"]
    return {
        "ub": ub.id,
        "title": ub.title,
        "message_types": sorted(types),
        "sent": c["sent"],
        "delivered": c["delivered"],
        "acknowledged": c["acknowledged"],
        "nacked": c["nacked"],
        "dead_lettered": c["dead_lettered"],
        "p95_ms": p95,
        "ack_rate": ack_rate,
        "nack_rate": nack_rate,
        "target": {
            "p95_latency_ms": sl.p95_latency_ms,
            "availability_pct": sl.availability_pct,
            "max_nack_rate": mon.max_nack_rate,
            "max_dead_letters": mon.max_dead_letters,
        },
        "breaches": breaches,
        "status": "no traffic" if not seen else ("breach" if breaches else "ok"),
    }
