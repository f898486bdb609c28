"""``seedsim trace stats``: how many records a trace holds, per topic, sender, receiver, type and stage.

A tester's first question about a trace is whether it holds what the run was
meant to exchange. Messages (records on the inboxes, see
:mod:`.trace_records`) are counted per sender (``ce_source``), receiver
(``ce_recipient``) and type (the catalogue's name for ``ce_type``); the copies
on dead-letter topics are counted apart, not as messages again. Stages come
from the interop records, de-duplicated by their id as
:class:`seedsim.runners.interop_summary.InteropSummary` does, so a trace of a
run gives the run's own stage counts. The interop topic counts its interop records one by one
(a Kafka record there is a batch of them: :mod:`seedsim.core.interop`), so a trace recorded
before batches and one recorded after give the same figures. Only counters are kept, never the
records: a trace of any length is summarised in constant memory (bar the ids
of interop records, needed to de-duplicate them).

The result is a plain dict, ready for ``json.dumps``; :func:`render_stats`
prints it as aligned columns.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from seedsim.core.interop import InteropRecord, Stage
from seedsim.core.transport import Record
from seedsim.runners.traces.trace_columns import aligned
from seedsim.runners.traces.trace_format import TraceEntry
from seedsim.runners.traces.trace_records import DEAD_LETTER, NONE, UNREADABLE, TracedMessage, classified

_STAGE_ORDER = {stage.value: i for i, stage in enumerate(Stage)}

#: the count tables of the stats, in the order they are printed: (key, what a row names, what it counts)
TABLES = (
    ("topics", "topic", "records"),
    ("senders", "sender", "messages"),
    ("receivers", "receiver", "messages"),
    ("types", "type", "messages"),
    ("stages", "stage", "interop records"),
)


def trace_stats(entries: Iterable[TraceEntry | Record]) -> dict[str, Any]:
    """Counts over ``entries`` (a trace reader, or any records): totals, then one table per dimension."""
    topics: Counter[str] = Counter()
    senders: Counter[str] = Counter()
    receivers: Counter[str] = Counter()
    types: Counter[str] = Counter()
    stages: Counter[str] = Counter()
    totals = Counter({"records": 0, "messages": 0, "dead_lettered_copies": 0, "interop_records": 0})
    for record, what in classified(entries):
        totals["records"] += 1
        topics[record.topic] += 1
        if isinstance(what, InteropRecord):
            totals["interop_records"] += 1
            stages[what.stage.value] += 1
        elif isinstance(what, TracedMessage):
            totals["messages"] += 1
            senders[what.sender or NONE] += 1
            receivers[what.receiver or NONE] += 1
            types[what.type or NONE] += 1
        elif what == DEAD_LETTER:
            totals["dead_lettered_copies"] += 1
        elif what == UNREADABLE:
            totals["unreadable_interop_records"] += 1
    return {
        **totals,
        "topics": dict(sorted(topics.items())),
        "senders": dict(sorted(senders.items())),
        "receivers": dict(sorted(receivers.items())),
        "types": dict(sorted(types.items(), key=lambda kv: (-kv[1], kv[0]))),
        "stages": dict(sorted(stages.items(), key=lambda kv: _STAGE_ORDER.get(kv[0], len(_STAGE_ORDER)))),
    }


def render_stats(stats: dict[str, Any]) -> str:
    """The stats as text: the totals, then each table with its columns aligned."""
    totals = [(name.replace("_", " "), str(n)) for name, n in stats.items() if isinstance(n, int)]
    lines = aligned(totals, right={1})
    for key, names, counts in TABLES:
        table = stats.get(key) or {}
        lines.append("")
        lines.extend(aligned([(names, counts), *((k, str(n)) for k, n in table.items())], right={1}))
        if not table:
            lines.append(f"  (no {counts})")
    return "\n".join(lines) + "\n"
