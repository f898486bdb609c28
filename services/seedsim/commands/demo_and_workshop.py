"""``seedsim demo``: the flagship RS -> ME run, or with ``--ub`` the workshop walk through one Utility Block.

The demo (:mod:`seedsim.runners.demo`) plays a batch of consignments across
one border and prints the flow of the first few and a summary; the workshop
(:mod:`seedsim.runners.workshop`) narrates one UB step by step for a class.
They share the command because a trainer moves from one to the other; the
options of one are refused with the other, so a setting is never silently
ignored.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from enum import Enum
from typing import Annotated, Any

import typer

from seedsim.commands import preflight
from seedsim.commands.shared_options import (
    NO_LOGIN,
    Json,
    Kafka,
    KeysFolder,
    Monitor,
    MonitorPort,
    Nodes,
    Verbose,
    kafka_login,
)
from seedsim.commands.terminal import TERMINAL
from seedsim.commands.trace_files import RecordOption
from seedsim.core.transport.kafka_credentials import KafkaCredentials

DEFAULT_MALFORMED = "broken_xml,external_entity,schema_violation"


class WorkshopFault(str, Enum):
    nack = "nack"


def utility_block_id(value: str | None) -> str | None:
    from seedsim.utility_blocks import UtilityBlockError, load_all

    if value is None:
        return None
    try:
        blocks = load_all()
    except UtilityBlockError as exc:
        raise typer.BadParameter(f"the Utility Blocks cannot be read: {exc}") from None
    if value.upper() not in blocks:
        raise typer.BadParameter(f"no Utility Block {value!r}: one of {', '.join(sorted(blocks))}")
    return value.upper()


#: options that belong to one mode: given on the command line with the other, they are refused
DEMO_ONLY = (
    "kafka",
    "nodes",
    "consignments",
    "discrepancies",
    "malformed",
    "topic_prefix",
    "show_flows",
    "timeout",
    "json_",
    "record",
    "keys",
)
WORKSHOP_ONLY = ("pause", "show_xml", "fault", "country_a", "country_b")


def _given(ctx: typer.Context, names: tuple[str, ...]) -> list[str]:
    """The options among ``names`` set on the command line (not from SEEDSIM_* variables or defaults)."""
    given = []
    for name in names:
        source = ctx.get_parameter_source(name)
        if source is not None and source.name == "COMMANDLINE":
            given.append("--" + name.rstrip("_").replace("_", "-"))
    return given


@kafka_login
def demo(
    ctx: typer.Context,
    kafka: Kafka = None,
    login: KafkaCredentials = NO_LOGIN,
    nodes: Nodes = None,
    consignments: Annotated[
        int, typer.Option(envvar="SEEDSIM_CONSIGNMENTS", min=1, help="How many consignments cross the border.")
    ] = 100,
    seed: Annotated[
        int,
        typer.Option(envvar="SEEDSIM_SEED", help="Random seed: the same seed gives the same consignments and counts."),
    ] = 42,
    discrepancies: Annotated[
        int,
        typer.Option(
            envvar="SEEDSIM_DISCREPANCIES",
            min=0,
            help="Consignments whose import differs from the export (at most --consignments).",
        ),
    ] = 5,
    malformed: Annotated[
        str,
        typer.Option(
            envvar="SEEDSIM_MALFORMED",
            callback=preflight.malformed_list,
            help="Hostile messages to inject, comma-separated: broken_xml, external_entity, schema_violation,"
            ' entity_bomb ("" for none).',
        ),
    ] = DEFAULT_MALFORMED,
    topic_prefix: Annotated[
        str | None,
        typer.Option(
            envvar="SEEDSIM_TOPIC_PREFIX",
            help="Prefix of the Kafka topics. Default: a fresh one per run; with --nodes, the nodes' (seedsim).",
            show_default=False,
        ),
    ] = None,
    show_flows: Annotated[int, typer.Option(min=0, help="Consignments whose every step is printed.")] = 2,
    timeout: Annotated[
        float,
        typer.Option(min=0.1, help="Seconds to wait for each answer (and, up to 60, for --nodes to answer /health)."),
    ] = 300.0,
    json_: Json = False,
    record: RecordOption = None,
    monitor: Monitor = False,
    port: MonitorPort = 8080,
    ub: Annotated[
        str | None,
        typer.Option(
            callback=utility_block_id,
            help="Workshop mode: play and narrate one Utility Block step by step, e.g. UB-SEED-ORIGIN."
            " Default: the demo.",
            show_default=False,
        ),
    ] = None,
    pause: Annotated[bool, typer.Option("--pause", help="With --ub: wait for Enter at each step.")] = False,
    show_xml: Annotated[bool, typer.Option("--show-xml", help="With --ub: show each message as sent.")] = False,
    fault: Annotated[
        WorkshopFault | None,
        typer.Option(
            help="With --ub: demonstrate a fault, e.g. nack (a negative acknowledgement). Default: none.",
            show_default=False,
        ),
    ] = None,
    country_a: Annotated[
        str, typer.Option(callback=preflight.country_code, help="With --ub: the country where the first step starts.")
    ] = "RS",
    country_b: Annotated[
        str, typer.Option(callback=preflight.country_code, help="With --ub: the other country.")
    ] = "ME",
    keys: KeysFolder = None,
    verbose: Verbose = False,
) -> int:
    """Run the flagship RS -> ME demo and print the flow and a summary (or, with --ub, a workshop)."""
    TERMINAL.set_verbose(verbose)
    if ub:
        other = _given(ctx, DEMO_ONLY)
        if other:
            raise preflight.Refused(
                f"{', '.join(other)}: not for workshop mode (--ub), which plays one Utility Block on the in-process bus"
            )
        if country_a == country_b:
            raise preflight.Refused(
                f"--country-a and --country-b are both {country_a}: a Utility Block is an exchange between two"
                " countries, give two different ones"
            )
        monitor_refused(ctx, monitor, json_)
        return _workshop(ub, country_a, country_b, pause, show_xml, fault, seed, port if monitor else None)
    other = _given(ctx, WORKSHOP_ONLY)
    if other:
        raise preflight.Refused(f"{', '.join(other)}: only in workshop mode, with --ub ID")
    if discrepancies > consignments:
        raise preflight.Refused(
            f"--discrepancies {discrepancies} with --consignments {consignments}: at most one discrepancy per consignment"
        )
    node_urls = preflight.node_urls(nodes) if nodes else None
    if node_urls:
        from seedsim.samples.crossings import DEMO_CROSSINGS

        crossing = DEMO_CROSSINGS[0]
        needed = [crossing.exit_office[:2], crossing.entry_office[:2]]
        missing = [c for c in needed if c not in node_urls]
        if missing:
            raise preflight.Refused(
                f"--nodes has no URL for {', '.join(missing)}: the demo crosses {crossing.name} and drives both nodes,"
                f" {','.join(f'{c}=http://host:port' for c in needed)}"
            )
        if not kafka:
            raise preflight.Refused(
                "--nodes without --kafka: nodes that run elsewhere are heard only through their Kafka broker"
                " (the demo reads their interop records there): add --kafka HOST:PORT, the broker the nodes use"
            )
    if keys is not None and not node_urls:
        raise preflight.Refused("--keys signs for nodes elsewhere (--nodes): the demo's own nodes use its own keys")
    if node_urls and record:
        raise preflight.Refused(
            "--record with --nodes: nodes that run elsewhere send through their own broker connection, not this run's;"
            " capture their topics with kcat -C -J (or seedsim trace record) instead"
        )
    if kafka:
        preflight.kafka_reachable(kafka, credentials=login)
    monitor_refused(ctx, monitor, json_)

    from seedsim.runners.demo import DemoSettings, run_demo

    settings = DemoSettings(
        consignments=consignments,
        seed=seed,
        discrepancies=discrepancies,
        malformed=preflight.malformed_kinds(malformed),
        kafka=kafka,
        kafka_credentials=login,
        node_urls=node_urls,
        topic_prefix=topic_prefix,
        show_flows=show_flows,
        timeout=timeout,
        record=record,
        keys=preflight.keys_folder(keys) if keys is not None else None,
    )
    # with --json, stdout is the JSON alone: progress goes to stderr
    with TERMINAL.progress("consignments played", stream=sys.stderr if json_ else None) as progress:
        out = (lambda s: None) if json_ else TERMINAL.line
        if monitor:
            from seedsim.commands.monitor_command import beside_the_run

            result = beside_the_run(
                port, lambda mon: run_demo(replace(settings, watch=mon.watch), out=out, progress=progress), timeout
            )
        else:
            result = run_runner(lambda: run_demo(settings, out=out, progress=progress), timeout)
    if json_:
        TERMINAL.line(
            json.dumps(
                {
                    "counts": result.counts,
                    "expected": result.expected,
                    "completed": result.completed,
                    "elapsed_s": round(result.elapsed_s, 3),
                },
                indent=2,
            )
        )
    return 0 if result.ok else 1


def monitor_refused(ctx: typer.Context, monitor: bool, json_: bool) -> None:
    """``--port`` belongs to ``--monitor``, whose dashboard lines would mix with ``--json``'s output."""
    if not monitor and _given(ctx, ("port",)):
        raise preflight.Refused("--port is the dashboard's port: add --monitor to serve it next to the run")
    if monitor and json_:
        raise preflight.Refused(
            "--monitor with --json: the JSON is printed when the run ends, the dashboard stays open after it;"
            " use one of them, or read the monitor's JSON API (/api/counters)"
        )


def run_runner(main: Any, timeout: float | None) -> Any:
    """Run a runner's coroutine (the demo, a scenario) on the terminal's event loop; what a user can act on
    (a node that does not answer, a broker gone, a time-out) becomes one line instead of a traceback."""
    from seedsim.runners.node_clients import NodeUnreachable, RunnerError

    try:
        return TERMINAL.run(main)
    except NodeUnreachable as exc:
        raise preflight.Refused(f"{exc} (check --nodes)") from None
    except RunnerError as exc:
        raise preflight.Refused(str(exc), exit_code=1) from None
    except ConnectionError as exc:  # the broker went away between the check and the start
        raise preflight.Refused(
            f"lost the Kafka broker ({exc.__cause__ or exc}): is it still running at the --kafka address?"
        ) from None
    except TimeoutError:
        waited = f"{timeout:g} s" if timeout else "the scenario's timeout_s"
        raise preflight.Refused(f"a message was not answered within {waited} (--timeout)", exit_code=1) from None


def _workshop(
    ub: str,
    country_a: str,
    country_b: str,
    pause: bool,
    show_xml: bool,
    fault: WorkshopFault | None,
    seed: int,
    monitor_port: int | None = None,
) -> int:
    """Workshop mode; with ``monitor_port``, the dashboard next to it highlights each step on the network."""
    from seedsim.runners.workshop import run_workshop

    # passed only when set, so the workshop runner receives what it knows
    extra: dict[str, Any] = {}
    if show_xml:
        extra["show_xml"] = True
    if fault is not None:
        extra["fault"] = fault.value
    try:
        if monitor_port is None:
            ok = TERMINAL.run(
                lambda: run_workshop(ub, country_a, country_b, pause, out=TERMINAL.line, seed=seed, **extra)
            )
        else:
            from seedsim.commands.monitor_command import beside_the_run

            ok = beside_the_run(
                monitor_port,
                lambda mon: run_workshop(
                    ub,
                    country_a,
                    country_b,
                    pause,
                    out=TERMINAL.line,
                    seed=seed,
                    watch=mon.watch,
                    on_step=mon.board.show,
                    **extra,
                ),  # fmt: skip
                None,
            )
    except (KeyError, ValueError) as exc:
        TERMINAL.error(str(exc.args[0] if exc.args else exc))
        return 2
    return 0 if ok else 1
