"""A trace in one order across topics, for re-driving: a capture's partitions merged by timestamp.

Re-driving fresh nodes (:mod:`.trace_redrive`) plays a trace in its order: a
driver record is applied once the node has read the messages that came before
it. A seedsim recording is in that order already: its lines are the records as
they were sent, across all topics (its header says ``"order": "sent"``). A
capture is not: ``kcat -C -J -e`` run topic after topic writes each topic's
records together, partition after partition, and ``seedsim trace record`` writes
partitions as the broker hands them out. Only the records of one partition are
in order there, so played as it is, a capture would lodge and fire everything
on the driver topic before (or after) any message it caused or followed.

:func:`in_time_order` restores one order: the trace's runs (lines in a row of
one topic and partition) are merged by timestamp (``ts``), each run's records
kept in their own order and a tie going to a driver record (written by a node
ahead of what its action sent, in the same batch), then to the run that comes
first in the file. A recording is given in its file order.

It streams: a first pass notes where each run starts and how many records it
holds (memory grows with the number of runs, not records), then one reader per
run, opened at its first line, feeds a k-way merge that holds one record per
run. A capture has a run per topic-partition (kcat) or per fetched batch
(``trace record``); past :data:`MAX_RUNS` runs, open files would outnumber
reason, and the trace is read into memory and sorted instead (stable, by
timestamp): the one case where memory grows with the trace.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from seedsim.runners.traces.trace_file import read_trace
from seedsim.runners.traces.trace_format import SENT_ORDER, TraceEntry, TraceError, TraceHeader
from seedsim.runners.traces.trace_records import DRIVER_SUFFIX

#: the most runs merged from open files; a trace with more is sorted in memory
MAX_RUNS = 256


@dataclass
class Run:
    """Lines in a row of one topic and partition: from ``line``, ``count`` readable records."""

    topic: str
    partition: int | None
    line: int
    count: int = 0


class TimeOrdered:
    """A trace's entries in one order across topics (see the module); iterate once.

    Bad lines are found by the first pass: without ``skip_bad`` the first raises
    :class:`TraceError` before anything is handed out; with it each is passed to
    ``on_bad`` once and listed in :attr:`skipped`.
    """

    def __init__(
        self, path: str | Path, *, skip_bad: bool = False, on_bad: Callable[[TraceError], None] | None = None
    ) -> None:
        self.path = str(path)
        self.skip_bad, self.on_bad = skip_bad, on_bad
        self.skipped: list[TraceError] = []
        self.header: TraceHeader | None = None

    def __iter__(self) -> Iterator[TraceEntry]:
        reader = read_trace(self.path, skip_bad=self.skip_bad, on_bad=self._bad)
        self.header = reader.header
        if reader.header is not None and reader.header.order == SENT_ORDER:
            return iter(reader)
        runs: list[Run] = []
        for entry in reader:
            r = entry.record
            if not runs or (runs[-1].topic, runs[-1].partition) != (r.topic, r.partition):
                runs.append(Run(r.topic, r.partition, entry.line or 0))
            runs[-1].count += 1
        if len(runs) > MAX_RUNS:
            everything = _stamped(read_trace(self.path, skip_bad=True), 0)
            return (entry for *_, entry in sorted(everything, key=_timed))
        merged = heapq.merge(*(_stamped(self._run(run), n) for n, run in enumerate(runs)), key=_timed)
        return (entry for *_, entry in merged)

    def _bad(self, exc: TraceError) -> None:
        self.skipped.append(exc)
        if self.on_bad is not None:
            self.on_bad(exc)

    def _run(self, run: Run) -> Iterator[TraceEntry]:
        return itertools.islice(read_trace(self.path, skip_bad=True, from_line=run.line), run.count)


def _stamped(entries: Iterable[TraceEntry], number: int) -> Iterator[tuple[int, int, int, TraceEntry]]:
    """(timestamp, rank, ``number``, entry) of each entry; a record without a timestamp takes its predecessor's.
    A driver record ranks first among records of the same millisecond: a node writes it ahead of what the
    action sent, in one batch, so they share a timestamp."""
    ts = 0
    for entry in entries:
        ts = entry.record.timestamp_ms if entry.record.timestamp_ms is not None else ts
        yield ts, 0 if entry.record.topic.endswith(DRIVER_SUFFIX) else 1, number, entry


def _timed(item: tuple[int, int, int, TraceEntry]) -> tuple[int, int, int]:
    return item[0], item[1], item[2]


def in_time_order(
    path: str | Path, *, skip_bad: bool = False, on_bad: Callable[[TraceError], None] | None = None
) -> TimeOrdered:
    """The entries of the trace at ``path`` in one order across topics: its own for a recording, else merged by time."""
    return TimeOrdered(path, skip_bad=skip_bad, on_bad=on_bad)
