"""A latency distribution in constant memory: counts in logarithmic buckets.

A live monitor cannot keep every latency it has seen, so each flow keeps counts in buckets whose
bounds grow by :data:`RATIO` (5 %) from :data:`FIRST_MS`: a percentile read from them is within
5 % of the exact one, whatever the number of messages, and two distributions add up (a network
edge is the sum of its message types, a Utility Block of its messages). The buckets are also
what a chart of the distribution draws.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

FIRST_MS = 0.1
RATIO = 1.05
_LOG_RATIO = math.log(RATIO)


def bucket_of(ms: float) -> int:
    """The bucket of ``ms``: 0 holds everything up to FIRST_MS, bucket k up to FIRST_MS * RATIO**k."""
    if ms <= FIRST_MS:
        return 0
    return math.ceil(math.log(ms / FIRST_MS) / _LOG_RATIO)


def upper_bound(bucket: int) -> float:
    return FIRST_MS * RATIO**bucket


@dataclass
class LatencyHistogram:
    buckets: Counter[int] = field(default_factory=Counter)
    count: int = 0

    def add(self, ms: float) -> None:
        self.buckets[bucket_of(ms)] += 1
        self.count += 1

    def merge(self, other: LatencyHistogram) -> None:
        self.buckets.update(other.buckets)
        self.count += other.count

    def percentile(self, p: float) -> float | None:
        """The ``p``-th percentile (the upper bound of its bucket, rounded to 0.1 ms); None when empty."""
        if not self.count:
            return None
        rank = max(1, math.ceil(p / 100 * self.count))
        seen = 0
        for bucket in sorted(self.buckets):
            seen += self.buckets[bucket]
            if seen >= rank:
                return round(upper_bound(bucket), 1)
        return None  # not reached: the buckets hold count values

    def distribution(self) -> list[tuple[float, int]]:
        """(upper bound in ms, count) per non-empty bucket, in order: what a chart draws."""
        return [(round(upper_bound(b), 3), self.buckets[b]) for b in sorted(self.buckets)]
