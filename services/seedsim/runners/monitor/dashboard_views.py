"""What the dashboard's templates draw, computed here so the templates only lay it out.

The network is drawn server-side as inline SVG: nodes on a circle (customs nodes first, by
country, then agency nodes), each flow a curved arrow (so A -> B and B -> A do not overlap),
coloured by health, labelled with its count and p95 latency. In workshop mode the step being
played is highlighted: its sender, its receiver and the arrow between them (drawn even before
the first message of that flow). Consignments are listed with a status read from their stages.
"""

from __future__ import annotations

import math
from typing import Any

SIZE = 460
_CENTRE, _RADIUS, _NODE_R = SIZE / 2, SIZE / 2 - 60, 24


def network_drawing(graph: dict[str, Any], current: tuple[str, str] | None = None) -> dict[str, Any]:
    """Nodes with x, y; edges with an SVG path and a label position; ``current`` (sender, receiver): the flow of
    the workshop step being played, marked ``current`` on its nodes and its edge."""
    known = {n["id"] for n in graph["nodes"]}
    extra = [{"id": n, "kind": "agency" if "-" in n else "customs"} for n in current or () if n not in known]
    ordered = sorted([*graph["nodes"], *extra], key=lambda n: (n["kind"] != "customs", n["id"]))
    at: dict[str, tuple[float, float]] = {}
    nodes = []
    for i, n in enumerate(ordered):
        angle = -math.pi / 2 + 2 * math.pi * i / max(1, len(ordered))
        x, y = _CENTRE + _RADIUS * math.cos(angle), _CENTRE + _RADIUS * math.sin(angle)
        at[n["id"]] = (x, y)
        nodes.append({**n, "x": round(x, 1), "y": round(y, 1), "current": current is not None and n["id"] in current})
    flows = list(graph["edges"])
    if current is not None and not any((e["sender"], e["receiver"]) == current for e in flows):
        flows.append({"sender": current[0], "receiver": current[1], "messages": 0, "health": "grey", "p95_ms": None})
    edges = []
    for e in flows:
        if e["sender"] not in at or e["receiver"] not in at:
            continue
        (x1, y1), (x2, y2) = at[e["sender"]], at[e["receiver"]]
        dx, dy = x2 - x1, y2 - y1
        length = math.hypot(dx, dy) or 1.0
        ux, uy = dx / length, dy / length
        # start and end on the circles' rims; bend to the right of the direction of travel
        sx, sy, tx, ty = x1 + ux * _NODE_R, y1 + uy * _NODE_R, x2 - ux * (_NODE_R + 4), y2 - uy * (_NODE_R + 4)
        bend = min(70.0, length / 3)
        cx, cy = (sx + tx) / 2 - uy * bend, (sy + ty) / 2 + ux * bend
        edges.append(
            {
                **e,
                "current": (e["sender"], e["receiver"]) == current,
                "path": f"M{sx:.1f},{sy:.1f} Q{cx:.1f},{cy:.1f} {tx:.1f},{ty:.1f}",
                "label_x": round((sx + tx) / 4 + cx / 2, 1),
                "label_y": round((sy + ty) / 4 + cy / 2, 1),
            }
        )
    return {"size": SIZE, "node_r": _NODE_R, "nodes": nodes, "edges": edges}


def consignment_status(stages: list[str]) -> str:
    """``dead-lettered``, ``alert``, ``risk alert``, ``matched`` or ``in progress``."""
    if "dead_lettered" in stages or "nacked" in stages:
        return "dead-lettered"
    if "alert" in stages:
        return "alert"
    if "risk_alert" in stages:
        return "risk alert"
    if "matched" in stages:
        return "matched"
    return "in progress"
