"""Traces: every record a run exchanged, in a file a tester can keep, read, inspect and replay.

A trace is JSON Lines, a superset of ``kcat -C -J`` output (:mod:`.trace_format`
documents it, version 1), read and written a line at a time
(:mod:`.trace_file`). The views (:mod:`.trace_stats`, :mod:`.trace_timeline`)
summarise one: counts per topic, sender, receiver, type and interop stage, and
each consignment's conversation. :mod:`.trace_replay` sends a trace's inbound
messages to named nodes again, at a chosen speed. They read the records the transport port
carries, so a trace from the in-process bus, from a seedsim run over Kafka or
from kcat on any cluster is handled alike. ``seedsim run --record`` and
``seedsim demo --record`` write one through :mod:`.trace_recorder`.
"""

from seedsim.runners.traces.trace_diff import Deviation, TraceDiff, diff_traces
from seedsim.runners.traces.trace_file import TraceReader, TraceWriter, read_trace, write_trace
from seedsim.runners.traces.trace_format import FORMAT_VERSION, TraceEntry, TraceError, TraceHeader
from seedsim.runners.traces.trace_recorder import RecordingTransport, recording
from seedsim.runners.traces.trace_replay import ReplayReport, replay

__all__ = [
    "FORMAT_VERSION",
    "Deviation",
    "RecordingTransport",
    "ReplayReport",
    "TraceDiff",
    "TraceEntry",
    "TraceError",
    "TraceHeader",
    "TraceReader",
    "TraceWriter",
    "diff_traces",
    "read_trace",
    "recording",
    "replay",
    "write_trace",
]
