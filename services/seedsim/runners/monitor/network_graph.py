"""The network as a graph: customs and agency nodes, one edge per sender -> receiver flow.

An edge adds up the matrix cells of every message type between two nodes: how many messages,
their p95 round-trip latency, and their error rate (refused by the receiver's check, over
delivered). Its health colour says at a glance which link between two administrations fails:

* ``grey``: nothing delivered yet;
* ``red``: more than :data:`RED_ERROR_RATE` of the messages refused;
* ``amber``: some refused, or p95 latency above :data:`LATENCY_TARGET_MS` (the SEED core UB's
  service level; each UB's own target is checked in :mod:`.service_levels`);
* ``green``: otherwise.

Customs nodes are named by country (``RS``), agency nodes ``<country>-<kind>`` (``RS-NPPO``).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from seedsim.runners.monitor.interop_matrix import UNKNOWN, Flow, InteropMatrix, MatrixCell

RED_ERROR_RATE = 0.05
LATENCY_TARGET_MS = 2000.0


def node_kind(node: str) -> str:
    return "agency" if "-" in node else "customs"


def health(cell: MatrixCell) -> str:
    delivered = cell.counts["delivered"]
    if not delivered:
        return "grey"
    rate = cell.counts["invalid"] / delivered
    p95 = cell.latency.percentile(95)
    if rate > RED_ERROR_RATE:
        return "red"
    if rate > 0 or (p95 is not None and p95 > LATENCY_TARGET_MS):
        return "amber"
    return "green"


def network(matrix: InteropMatrix, known_nodes: set[str]) -> dict[str, Any]:
    """``{"nodes": [{id, kind}], "edges": [{sender, receiver, messages, delivered, p95_ms, error_rate, health}]}``."""
    by_pair: dict[tuple[str, str], list[Flow]] = defaultdict(list)
    for flow in matrix.cells:
        by_pair[(flow.sender, flow.receiver)].append(flow)
    nodes = set(known_nodes) | {n for pair in by_pair for n in pair}
    nodes.discard(UNKNOWN)
    edges = []
    for (sender, receiver), flows in sorted(by_pair.items()):
        cell = matrix.total(flows)
        delivered = cell.counts["delivered"]
        edges.append(
            {
                "sender": sender,
                "receiver": receiver,
                "messages": max(cell.counts["sent"], delivered),
                "delivered": delivered,
                "p95_ms": cell.latency.percentile(95),
                "error_rate": round(cell.counts["invalid"] / delivered, 4) if delivered else None,
                "health": health(cell),
            }
        )
    return {"nodes": [{"id": n, "kind": node_kind(n)} for n in sorted(nodes)], "edges": edges}
