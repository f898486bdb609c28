"""Each Utility Block's measured service against its governance section.

A UB's governance names a service level (``availability_pct``, ``p95_latency_ms``) and monitoring
thresholds (``max_nack_rate``, ``max_dead_letters``). The monitor measures them over the UB's own
conversations: every message names the UBs whose conversations it belongs to (its sender writes
them in ``ce_seedsimubs``; an acknowledgement belongs to those of the message it answers), and
every interop record about it repeats them (``ubs``), so each record is counted for exactly those
UBs (:mod:`.ub_cells`). A type several UBs share is no longer guessed at: an EntryConfirmation
answering exit data counts for UB-SEED-EXIT, and for UB-SEED-TIR only when that consignment's TIR
carnet came with it; a run of exit data alone leaves UB-SEED-PHYTO with no traffic.

Records that name no UB (a trace recorded before they did, a system that does not send
``ce_seedsimubs``) are attributed by message type, as before: over the UB's message types (every
type its steps exchange, but the acknowledgement), where a type other UBs share counts for it only
once it has traffic of its own (a type only it exchanges, or records naming it). Each service level
says how it was measured (``measured``): ``by conversation``, ``by message type``, or both when
records of both kinds counted.

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
from seedsim.runners.monitor.interop_matrix import MatrixCell
from seedsim.runners.monitor.ub_cells import UbCells
from seedsim.utility_blocks.model import UtilityBlock

BY_CONVERSATION = "by conversation"
BY_MESSAGE_TYPE = "by message type"


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _types(ub: UtilityBlock) -> set[str]:
    return {m for m in ub.messages() if m != ACK_TYPE}


def _seen(cell: MatrixCell | None) -> bool:
    return cell is not None and any(cell.counts.values())


def measured_types(ub: UtilityBlock, blocks: Iterable[UtilityBlock], cells: UbCells) -> set[str]:
    """The message types the records naming no UB are attributed to ``ub`` by: its own (no other of ``blocks``
    exchanges them) and, once it has traffic of its own (of those types, or records naming it), those it shares;
    all of them when it has no type of its own."""
    types = _types(ub)
    shared = set().union(*(_types(other) for other in blocks if other.id != ub.id)) & types
    own = types - shared
    if own and not _seen(cells.by_ub.get(ub.id)) and not any(_seen(cells.by_type.get(t)) for t in own):
        return own
    return types


def _measured(by_conversation: MatrixCell | None, by_type: MatrixCell, cells: UbCells) -> str:
    """How a UB was measured: from records naming it, from records attributed by type, or both (with no traffic:
    the way the records seen so far would have measured it)."""
    ways = [w for w, c in ((BY_CONVERSATION, by_conversation), (BY_MESSAGE_TYPE, by_type)) if _seen(c)]
    if not ways:
        ways = [BY_CONVERSATION if cells.named or not cells.unnamed else BY_MESSAGE_TYPE]
    return " and ".join(ways)


def service_level(ub: UtilityBlock, cells: UbCells, blocks: Iterable[UtilityBlock] = ()) -> dict[str, Any]:
    types = measured_types(ub, blocks, cells)
    by_type = MatrixCell()
    for t in types & cells.by_type.keys():
        by_type.merge(cells.by_type[t])
    by_conversation = cells.by_ub.get(ub.id)
    cell = MatrixCell()
    cell.merge(by_type)
    if by_conversation is not None:
        cell.merge(by_conversation)
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
        "message_types": sorted(_types(ub) if _seen(by_conversation) else types),
        "measured": _measured(by_conversation, by_type, cells),
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
