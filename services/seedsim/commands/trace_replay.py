"""``seedsim trace record`` and ``seedsim trace replay``: capture a cluster's records, send a trace's messages again.

``record`` captures from any cluster (nodes started by docker compose, a
national system's topics) into a trace file; ``replay`` sends a trace's inbound
messages to named nodes, either nodes running elsewhere (a system under test,
reached through ``--kafka``) or fresh ones it starts for the run (``--fresh``,
on the in-process bus or on Kafka). Both are sub-commands of ``seedsim trace``
(the group that also holds show, stats and diff).

With ``--fresh`` on a trace that recorded what drove the nodes (a seedsim run's
driver topic), the run is played again through the fresh nodes, matching and
alerts included (:mod:`seedsim.runners.traces.trace_redrive`), in one order
across topics (a capture such as kcat's is merged by timestamp first,
:mod:`seedsim.runners.traces.trace_order`); ``--tolerance``
sets their matching tolerances and ``--record`` records what they send, for
``seedsim trace diff``. With ``--fresh`` the nodes stop once they have handled every message sent
(each named by their interop records), or after a minute, which the summary
and the exit code (1) report.

Without ``--fresh`` the nodes are a system under test running elsewhere:
``--record`` then captures, once the replay has sent its messages, every
record on the replayed prefix's topics since the replay started (what was sent,
and the system's acknowledgements, interop records and dead letters) until none
came for 5 s -- the actual trace of conformance by replay, for ``seedsim trace
diff GOLDEN ACTUAL --node X``.

Signatures: each replayed message goes out with a new ``ce_time``, signed again by its sender's key
(:meth:`seedsim.core.network_keys.NetworkKeys.resign`), so the nodes check it as sent now: with ``--fresh``
the run's development keys (the fresh nodes trust them), without it the keys of ``--keys DIR`` (a folder
made by ``seedsim keys init``, holding the senders' private keys, whose trust list the system under test
uses). Without ``--keys`` a replay to nodes elsewhere sends the records as recorded, signatures and
times included (they pass within the receiver's clock window only: ±5 min by default). A trace
recorded unsigned (before messages were signed) is signed as it is replayed, a recorded forgery too:
to replay forgeries as forgeries, send them to nodes elsewhere without --keys.

Exit codes: 0 done, 1 a trace line that cannot be read (named, nothing past
it sent) or a broker that failed, 2 a refused option, 130 Ctrl-C (replay says
how far it got).
"""

from __future__ import annotations

import asyncio
import re
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from seedsim.commands import preflight
from seedsim.commands.shared_options import (
    NO_LOGIN,
    Kafka,
    KeysFolder,
    Verbose,
    kafka_login,
)
from seedsim.commands.terminal import TERMINAL, ProgressHook
from seedsim.core.transport.kafka_credentials import KafkaCredentials

if TYPE_CHECKING:
    from seedsim.core.network_keys import NetworkKeys
    from seedsim.runners.traces import ReplayReport, TraceReader
    from seedsim.runners.traces.trace_order import TimeOrdered

CaptureFrom = Annotated[
    str | None,
    typer.Option(
        "--kafka",
        envvar="SEEDSIM_KAFKA",
        callback=preflight.kafka_address,
        help="Kafka bootstrap servers to capture from, HOST:PORT[,HOST:PORT].",
        show_default="none: required",
    ),
]

#: what an interrupted replay exits with (128 + SIGINT, as the shell reports it)
INTERRUPTED_EXIT = 130
#: how long fresh nodes get to handle what was sent before they stop
FRESH_HANDLED_S = 60.0
#: without --fresh, --record captures the system under test's topics until none came for this long
ANSWERS_IDLE_S = 5.0


def speed_factor(value: str) -> float | None:
    """``1x``, ``10x``, ``0.5x`` or ``max`` (None); Refused otherwise."""
    text = value.strip().lower()
    if text == "max":
        return None
    try:
        factor = float(text.removesuffix("x"))
    except ValueError:
        factor = 0.0
    if factor <= 0 or factor != factor or factor == float("inf"):
        raise preflight.Refused(f"--speed {value!r} is not a factor such as 1x, 10x or 0.5x, or max")
    return factor


def seconds(value: str, option: str) -> float:
    """``2s``, ``2`` or ``0.5s`` as seconds (not negative); Refused otherwise."""
    try:
        result = float(value.strip().lower().removesuffix("s"))
    except ValueError:
        result = -1.0
    if not result >= 0 or result == float("inf"):
        raise preflight.Refused(f"{option} {value!r} is not a number of seconds such as 2s or 0.5s")
    return result


def node_list(values: list[str]) -> list[str]:
    """``--to RS --to ME`` or ``--to RS,ME``: node ids, each checked."""
    nodes: list[str] = []
    for value in values:
        for item in value.split(","):
            item = item.strip()
            if not item:
                continue
            try:
                node = preflight.node_id(item)
            except typer.BadParameter as exc:
                raise preflight.Refused(f"--to {item!r}: {exc.message}") from None
            if node and node not in nodes:
                nodes.append(node)
    if not nodes:
        raise preflight.Refused("--to names no node: give the nodes to replay to, e.g. --to ME or --to RS,ME")
    return nodes


@dataclass(frozen=True)
class Fresh:
    """How fresh nodes are started and fed: their tolerances, and whether the trace re-drives them."""

    tolerances: dict[str, float]
    drives: bool
    source: str


def tolerance_map(values: list[str]) -> dict[str, float]:
    """``gross_mass_pct=2.5`` (repeatable) as the fresh nodes' matching tolerances; Refused otherwise."""
    from seedsim.config import Tolerances

    known, result = sorted(Tolerances.model_fields), {}
    for value in values:
        name, sep, pct = value.partition("=")
        name = name.strip()
        try:
            number = float(pct)
        except ValueError:
            number = -1.0
        if not sep or name not in known or not number >= 0 or number == float("inf"):
            raise preflight.Refused(
                f"--tolerance {value!r} is not NAME=PCT with NAME one of {', '.join(known)} and PCT a percentage"
            )
        result[name] = number
    return result


@kafka_login
def record(
    output: Annotated[
        str, typer.Option("--output", "-o", help="The trace file to write (.gz compresses; - is stdout).")
    ],
    kafka: CaptureFrom = None,
    login: KafkaCredentials = NO_LOGIN,
    topics: Annotated[
        str | None,
        typer.Option(
            "--topics", help="A regular expression the whole topic name matches.", show_default="seedsim\\..*"
        ),
    ] = None,
    from_: Annotated[
        str | None,
        typer.Option("--from", help="Start at this time (ISO 8601, UTC unless it says).", show_default="the beginning"),
    ] = None,
    until: Annotated[
        str, typer.Option(help="Stop once idle for a while (idle:5s), after N records (count:N) or at a time.")
    ] = "idle:5s",
    verbose: Verbose = False,
) -> int:
    """Capture every record of a cluster's topics into a trace file (kcat -C -J's format, plus a first line)."""
    from seedsim.runners.traces import TraceHeader, TraceWriter
    from seedsim.runners.traces.trace_capture import Until, capture, default_pattern, time_ms

    TERMINAL.set_verbose(verbose)
    if not kafka:
        raise preflight.Refused("trace record reads a Kafka cluster: give its address with --kafka or SEEDSIM_KAFKA")
    pattern = topics or default_pattern()
    try:
        re.compile(pattern)
    except re.error as exc:
        raise preflight.Refused(f"--topics {pattern!r} is not a regular expression: {exc}") from None
    try:
        stop = Until.parse(until)
    except ValueError as exc:
        raise preflight.Refused(str(exc)) from None
    try:
        start = None if from_ is None else time_ms(from_)
    except ValueError:
        raise preflight.Refused(f"--from {from_!r} is not a time such as 2025-05-01T10:00:00Z") from None
    preflight.kafka_reachable(kafka, credentials=login)
    with (
        TraceWriter(output, TraceHeader(source=f"kafka {kafka}")) as writer,
        TERMINAL.progress("recorded", stream=None if output != "-" else sys.stderr) as hook,
    ):
        count = TERMINAL.run(
            lambda: capture(
                kafka, pattern, writer, from_time=start, until=stop, progress=lambda n: hook(n, n), credentials=login
            )
        )
    TERMINAL.note(f"recorded {count} record(s) of topics matching {pattern} into {output}")
    return 0


@kafka_login
def replay(
    trace: Annotated[Path, typer.Argument(help="The trace file (seedsim's or kcat -C -J's; .gz read as it is).")],
    to: Annotated[
        list[str], typer.Option("--to", help="A node to replay to (repeat, or RS,ME): its inbox's records are sent.")
    ],
    kafka: Kafka = None,
    login: KafkaCredentials = NO_LOGIN,
    speed: Annotated[str, typer.Option(help="1x (as recorded), 10x (ten times faster), or max.")] = "max",
    max_wait: Annotated[str, typer.Option("--max-wait", help="The longest pause between two records.")] = "2s",
    rewrite_ids: Annotated[
        bool, typer.Option("--rewrite-ids", help="Give every message a new id (references follow).")
    ] = False,
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Start fresh nodes for the run (on --kafka, or the in-process bus).")
    ] = False,
    skip_bad: Annotated[
        bool, typer.Option("--skip-bad", help="Read past lines that cannot be read (each is reported).")
    ] = False,
    record_to: Annotated[
        Path | None,
        typer.Option(
            "--record",
            help="Record the replay's outcome: with --fresh, what the fresh nodes send; without, every record on "
            "the replayed prefix's topics from the replay's start until idle 5 s (the system under test's answers).",
            show_default="no recording",
        ),
    ] = None,
    tolerance: Annotated[
        list[str] | None,
        typer.Option(
            "--tolerance",
            help="With --fresh: a matching tolerance of the fresh nodes, NAME=PCT (gross_mass_pct, value_pct); repeat.",
            show_default="the SEED core Utility Block's",
        ),
    ] = None,
    topic_prefix: Annotated[
        str | None,
        typer.Option(
            help="Send to this prefix's inboxes instead of the recorded topics.",
            show_default="the recorded topics; with --fresh, seedsim",
        ),
    ] = None,
    keys: KeysFolder = None,
    verbose: Verbose = False,
) -> int:
    """Send a trace's recorded inbound messages to nodes again: keys, headers and order kept, gaps scaled."""
    from seedsim.runners.traces import TraceError, read_trace
    from seedsim.runners.traces.trace_order import in_time_order
    from seedsim.runners.traces.trace_redrive import drives

    TERMINAL.set_verbose(verbose)
    factor, pause = speed_factor(speed), seconds(max_wait, "--max-wait")
    nodes = node_list(to)
    tolerances = tolerance_map(tolerance or [])
    if tolerances and not fresh:
        raise preflight.Refused("--tolerance configures the fresh nodes: add --fresh")
    if not fresh and not kafka:
        raise preflight.Refused(
            "without --fresh the nodes run elsewhere: give their broker with --kafka (or add --fresh to start nodes)"
        )
    if not trace.is_file():
        raise preflight.Refused(f"{trace}: no such trace file")
    if keys is not None and fresh:
        raise preflight.Refused("the fresh nodes trust this run's development keys: leave out --keys with --fresh")
    signing = preflight.keys_folder(keys) if keys is not None else None
    if kafka:
        preflight.kafka_reachable(kafka, credentials=login)

    def on_bad(exc: TraceError) -> None:
        TERMINAL.note(f"skipped {exc}")

    try:
        reader: TraceReader | TimeOrdered = read_trace(trace, skip_bad=skip_bad, on_bad=on_bad)
        how = Fresh(tolerances, drives(read_trace(trace, skip_bad=True), nodes), str(trace)) if fresh else None
        if how is not None and how.drives:  # re-driving needs one order across topics, which a capture lacks
            reader.close()
            reader = in_time_order(trace, skip_bad=skip_bad, on_bad=on_bad)
        if how is not None and how.drives and (factor is not None or rewrite_ids):
            TERMINAL.note(
                "re-driving fresh nodes from the trace's driver records: --speed and --rewrite-ids do not apply"
                " (the run is played as fast as the nodes go; the fresh nodes give the ids)"
            )
        with TERMINAL.progress("replayed", stream=sys.stderr) as hook:
            report = TERMINAL.run(
                lambda: _replay(
                    reader, nodes, kafka, login, how, factor, pause, rewrite_ids, topic_prefix, hook, record_to, signing
                )
            )
    except TraceError as exc:
        TERMINAL.error(f"{exc}" + ("" if exc.line is None else "; nothing past this line was replayed"))
        return 1
    except asyncio.CancelledError:  # Ctrl-C while the nodes or the transport were starting or stopping
        TERMINAL.note("interrupted (Ctrl-C) before the replay started or after it ended; see the lines above")
        return INTERRUPTED_EXIT
    TERMINAL.line(report.summary())
    for problem in report.problems:
        TERMINAL.line(f"  problem: {problem}")
    if record_to is not None:
        TERMINAL.line(f"recorded the replay into {record_to}")
    if reader.skipped:
        TERMINAL.line(f"skipped {len(reader.skipped)} bad line(s)")
    return INTERRUPTED_EXIT if report.interrupted else 1 if report.unhandled else 0


async def _replay(
    reader: TraceReader | TimeOrdered,
    nodes: list[str],
    kafka: str | None,
    login: KafkaCredentials,
    fresh: Fresh | None,
    factor: float | None,
    pause: float,
    rewrite_ids: bool,
    topic_prefix: str | None,
    hook: ProgressHook,
    record_to: Path | None = None,
    signing: NetworkKeys | None = None,
) -> ReplayReport:
    from seedsim.bootstrap import make_transport, running_network
    from seedsim.config import AgencyConfig, NodeConfig, login_settings
    from seedsim.core.codes import SEED_COUNTRIES
    from seedsim.core.network_keys import development_keys
    from seedsim.core.topics import DEFAULT_PREFIX, Topics
    from seedsim.runners.traces import recording
    from seedsim.runners.traces import replay as send_again
    from seedsim.runners.traces.trace_redrive import InboxCopies, redrive
    from seedsim.runners.traces.trace_replay import HandledWatch, answer_topics

    # fresh nodes: record what they send; a system under test: capture its topics afterwards (answers included)
    inner = make_transport(kafka, client_id="seedsim-trace-replay", credentials=login)
    transport = recording(inner, record_to, kafka) if fresh else inner
    if fresh:  # fresh nodes listen on one prefix: the records go to its inboxes whatever the trace's was
        topic_prefix = topic_prefix or DEFAULT_PREFIX
    keys = development_keys() if fresh else signing

    async def go() -> ReplayReport:
        return await send_again(
            reader,
            nodes,
            transport,
            speed=factor,
            max_wait_s=pause,
            rewrite_ids=rewrite_ids,
            topic_prefix=topic_prefix,
            progress=hook,
            resign=keys.resign if keys is not None else None,
        )

    with _ctrl_c_cancels():
        if not fresh:
            started_ms = int(time.time() * 1000)
            await transport.start()
            try:
                report = await go()
                if record_to is not None:  # so the capture sees them, even before the system answers
                    await transport.ensure_topics(answer_topics(report.sent))
            finally:
                await transport.stop()
            if record_to is not None and kafka and report.sent:
                await _record_answers(kafka, login, report, started_ms, record_to)
            return report
        # partners left open: a customs node exchanges with every SEED country and the agencies replayed with it,
        # an agency with every SEED node (as a scenario's nodes do)
        extra: dict[str, Any] = {"tolerances": fresh.tolerances} if fresh.tolerances else {}
        agencies = [n for n in nodes if "-" in n]
        configs = [
            AgencyConfig(node=n, kafka=kafka, topic_prefix=topic_prefix, **login_settings(login))
            if "-" in n
            else NodeConfig(
                node=n,
                kafka=kafka,
                topic_prefix=topic_prefix,
                **login_settings(login),
                partners=[c for c in (*SEED_COUNTRIES, *agencies) if c != n],
                **extra,
            )
            for n in nodes
        ]
        watch = HandledWatch(transport, Topics(topic_prefix).interop, nodes)
        copies = InboxCopies(transport, [Topics(topic_prefix).inbox(n) for n in nodes]) if fresh.drives else None
        async with running_network(configs, transport) as network:
            if copies is not None:  # the trace says what drove the nodes: the whole run is played again
                return await redrive(
                    reader, network.nodes, transport, Topics(topic_prefix), watch, copies,
                    wait_s=FRESH_HANDLED_S, source=fresh.source, progress=hook, resign=development_keys().resign,
                )  # fmt: skip
            report = await go()
            if not report.interrupted:
                report.unhandled = await watch.wait(report, FRESH_HANDLED_S)
            return report


async def _record_answers(
    kafka: str, login: KafkaCredentials, report: ReplayReport, started_ms: int, record_to: Path
) -> None:
    """Everything on the topics of the prefixes replayed to since ``started_ms`` (the messages sent, the system
    under test's acknowledgements, interop records and dead letters), until idle for :data:`ANSWERS_IDLE_S`."""
    from seedsim.runners.traces import TraceHeader, TraceWriter
    from seedsim.runners.traces.trace_capture import Until, capture, default_pattern

    prefixes = sorted({s.topic.rpartition(".inbox.")[0] for s in report.sent})
    pattern = "|".join(f"(?:{default_pattern(p)})" for p in prefixes)
    TERMINAL.note(f"recording the answers on {', '.join(p + '.*' for p in prefixes)} until idle {ANSWERS_IDLE_S:g} s")
    with TraceWriter(record_to, TraceHeader(source=f"kafka {kafka}")) as writer:
        until = Until(idle_s=ANSWERS_IDLE_S)
        await capture(kafka, pattern, writer, from_time=started_ms, until=until, credentials=login)


@contextmanager
def _ctrl_c_cancels() -> Iterator[None]:
    """While replaying, Ctrl-C cancels the replay (which stops before its next send and reports) instead of ending
    the process at once; a second Ctrl-C ends it as any command."""
    loop, task = asyncio.get_running_loop(), asyncio.current_task()
    previous = signal.getsignal(signal.SIGINT)
    if task is None or threading.current_thread() is not threading.main_thread():
        yield
        return

    def first() -> None:
        loop.remove_signal_handler(signal.SIGINT)
        signal.signal(signal.SIGINT, previous)
        task.cancel()

    loop.add_signal_handler(signal.SIGINT, first)
    try:
        yield
    finally:
        loop.remove_signal_handler(signal.SIGINT)
        signal.signal(signal.SIGINT, previous)
