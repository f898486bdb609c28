"""A latency distribution drawn as an SVG bar chart: the geometry, so the template only lays it out.

The distribution is the monitor's histogram (:mod:`seedsim.runners.monitor.latency_histogram`):
counts in buckets whose bounds grow by 5 %. The x axis is logarithmic, as the buckets are (a bar
per bucket, as wide as the bucket), spanning at least a factor of ten; ticks at 1, 2 and 5 times
the powers of ten; the p50 and p95 are marked by vertical lines.
"""

from __future__ import annotations

import math
from typing import Any

from seedsim.runners.monitor.latency_histogram import RATIO

WIDTH, HEIGHT = 460, 150
LEFT, RIGHT, TOP, BOTTOM = 36, 12, 14, 28
#: the narrowest span of the x axis (max / min)
MIN_SPAN = 10.0


def _ticks(lo: float, hi: float) -> list[float]:
    ticks = []
    for power in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1):
        for m in (1, 2, 5):
            value = m * 10.0**power
            if lo <= value <= hi:
                ticks.append(value)
    return ticks


def _label(ms: float) -> str:
    return f"{ms / 1000:g} s" if ms >= 1000 else f"{ms:g} ms"


def chart(entry: dict[str, Any]) -> dict[str, Any]:
    """Bars, ticks and percentile markers of one entry of the aggregate's ``latencies()``."""
    dist = [(float(ub), int(n)) for ub, n in entry["distribution"]]
    lo, hi = dist[0][0] / RATIO, dist[-1][0]
    if hi / lo < MIN_SPAN:  # widen around the middle, geometrically
        middle = math.sqrt(lo * hi)
        lo, hi = middle / math.sqrt(MIN_SPAN), middle * math.sqrt(MIN_SPAN)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    span = math.log(hi / lo)

    def x(ms: float) -> float:
        return round(LEFT + math.log(max(ms, lo) / lo) / span * plot_w, 1)

    tallest = max(n for _, n in dist)
    bars = []
    for ub, n in dist:
        x1, x2 = x(ub / RATIO), x(ub)
        h = round(n / tallest * plot_h, 1)
        bars.append(
            {"x": x1, "w": max(1.5, round(x2 - x1, 1)), "y": round(TOP + plot_h - h, 1), "h": h, "ms": ub, "n": n}
        )
    markers = [
        {"name": name, "x": x(entry[key]), "label": f"{name} {_label(entry[key])}"}
        for name, key in (("p50", "p50_ms"), ("p95", "p95_ms"))
        if entry.get(key) is not None
    ]
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "top": TOP,
        "bottom": TOP + plot_h,
        "right": WIDTH - RIGHT,
        "tallest": tallest,
        "bars": bars,
        "ticks": [{"x": x(t), "label": _label(t)} for t in _ticks(lo, hi)],
        "markers": markers,
    }
