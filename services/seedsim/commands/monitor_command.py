"""``seedsim monitor``: the interoperability monitor as a service, reading a Kafka broker's topics.

It reads the interop topic, and each node's inbox and dead-letter topic (``--nodes``), into its own
SQLite file (``--db``), and serves the dashboard, the JSON API and Prometheus metrics
(:mod:`seedsim.runners.monitor`). Before it starts: the broker answers, the database can be
written, the port is free. Without ``--kafka`` it has nothing to read: it then shows what an
earlier monitor's ``--db`` holds, and refuses when there is none. To watch an in-process run,
``seedsim demo --monitor`` and ``seedsim run SCENARIO --monitor`` start it next to the run.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from seedsim.commands import preflight
from seedsim.commands.serve import Host, TopicPrefix, _OneLineErrors
from seedsim.commands.shared_options import (
    MONITOR_PORT_OPTION,
    NO_LOGIN,
    Kafka,
    MonitorPort,
    Verbose,
    kafka_login,
)
from seedsim.commands.terminal import TERMINAL
from seedsim.core import codes
from seedsim.core.transport.kafka_credentials import KafkaCredentials

Retention = Annotated[
    str | None,
    typer.Option(
        envvar="SEEDSIM_RETENTION",
        callback=preflight.duration,
        help="Delete records older than this from the monitor's database: 7d, 12h, 30m... Default: keep everything.",
        show_default=False,
    ),
]
DEFAULT_DB = Path("var/monitor.sqlite3")
T = TypeVar("T")


@kafka_login
def monitor(
    kafka: Kafka = None,
    login: KafkaCredentials = NO_LOGIN,
    port: MonitorPort = 8080,
    host: Host = "127.0.0.1",
    db: Annotated[
        Path,
        typer.Option(envvar="SEEDSIM_MONITOR_DB", help="The monitor's SQLite file: what it read, kept between runs."),
    ] = DEFAULT_DB,
    retention: Retention = None,
    topic_prefix: TopicPrefix = "seedsim",
    nodes: Annotated[
        str | None,
        typer.Option(
            envvar="SEEDSIM_MONITOR_NODES",
            callback=preflight.partner_list,
            help="Nodes whose inbox (each message's XML) and dead-letter topics to read, comma-separated"
            " (RS,ME,RS-NPPO). The interop topic is read whatever this says. Default: the SEED+ customs nodes.",
            show_default=False,
        ),
    ] = None,
    verbose: Verbose = False,
) -> int:
    """Serve the interoperability monitor: live dashboard, interop matrix, JSON API and /metrics."""
    TERMINAL.set_verbose(verbose)
    if not kafka and not db.exists():
        raise preflight.Refused(
            "nothing to monitor: give --kafka HOST:PORT (the broker the nodes use), or --db FILE of an earlier monitor;"
            " to watch an in-process run, use seedsim demo --monitor or seedsim run SCENARIO --monitor"
        )
    if kafka:
        preflight.kafka_reachable(kafka, credentials=login)
    preflight.writable_database(db)
    sock = preflight.listening_socket(host, port, MONITOR_PORT_OPTION)
    watched = preflight.partners(nodes) or list(codes.SEED_COUNTRIES)
    from seedsim.bootstrap import make_transport
    from seedsim.core.topics import Topics
    from seedsim.runners.monitor.monitor_service import Monitor, MonitorSettings, serving

    source = (
        f"Kafka {kafka}, topics {topic_prefix}.*" if kafka else f"what {db} holds (no --kafka: nothing new is read)"
    )
    settings = MonitorSettings(
        db=db, retention_s=preflight.duration_seconds(retention) if retention else None, source=source
    )
    logging.getLogger("uvicorn.error").addFilter(_OneLineErrors())

    async def main() -> None:
        mon = Monitor(settings)
        held = await mon.open()
        transport = make_transport(kafka, client_id="seedsim-monitor", credentials=login) if kafka else None
        try:
            if transport is not None:
                mon.watch(transport, Topics(topic_prefix), watched, group_of(topic_prefix))
                await transport.start()

            def ready() -> None:
                for line in banner(host, port, db, held, source, retention, watched if kafka else []):
                    TERMINAL.line(line)

            await serving(mon.app, sock, ready)
        finally:
            if transport is not None:
                await transport.stop()
            await mon.close()

    try:
        TERMINAL.run(main)
    finally:
        sock.close()
    return 0


def group_of(topic_prefix: str) -> str:
    """The monitor's consumer group: one per simulation (topic prefix), the same after a restart, so a restarted
    monitor resumes from its committed offsets."""
    return f"{topic_prefix}.monitor"


def url(host: str, port: int) -> str:
    return f"http://{'localhost' if host in ('0.0.0.0', '::') else host}:{port}"


def banner(
    host: str, port: int, db: Path, held: int, source: str, retention: str | None, nodes: list[str]
) -> list[str]:
    base = url(host, port)
    lines = [
        f"seedsim monitor: dashboard on {base}",
        f"  API docs:  {base}/docs   metrics: {base}/metrics",
        f"  reading:   {source}" + (f", inboxes of {', '.join(nodes)}" if nodes else ""),
        f"  state:     {db} ({held} interop records kept{'' if not retention else f', for {retention}'})",
        "  stop it with Ctrl-C",
    ]
    return lines


def beside_the_run(port: int, play: Callable[[Any], Coroutine[Any, Any, T]], timeout: float | None) -> T:
    """Play a run (``play(monitor)``: the run subscribes the monitor to its transport with ``monitor.watch``, and a
    workshop shows its steps on ``monitor.board``) with the dashboard on ``port``, and keep serving after the run
    until Ctrl-C (which ends the command with exit code 130)."""
    from seedsim.commands.demo_and_workshop import run_runner
    from seedsim.runners.monitor.monitor_service import Monitor, MonitorSettings, serving

    sock = preflight.listening_socket("127.0.0.1", port, MONITOR_PORT_OPTION)
    db = Path(tempfile.mkdtemp(prefix="seedsim-monitor-")) / "monitor.sqlite3"  # removed with the command's scratch
    base = url("127.0.0.1", port)
    logging.getLogger("uvicorn.error").addFilter(_OneLineErrors())

    async def main() -> T | None:
        mon = Monitor(MonitorSettings(db=db))
        await mon.open()

        async def during() -> T:
            result = await play(mon)
            TERMINAL.line(f"the run is over; the dashboard stays open on {base}: stop it with Ctrl-C")
            return result

        try:
            return await serving(mon.app, sock, lambda: TERMINAL.line(f"seedsim monitor: dashboard on {base}"), during)
        finally:
            await mon.close()

    try:
        return run_runner(main, timeout)
    finally:
        sock.close()
