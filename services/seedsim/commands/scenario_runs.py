"""``seedsim run``: play a scenario file, or every scenario in a folder, and check their expectations.

One file: its report (traffic, faults, summary, each expectation). A folder:
one line per scenario (passed, or what failed) and a total -- the form a test
suite takes in CI. Either way the exit code is 0 only when every expectation
of every scenario is met. ``--report DIR`` also writes the conformance report
(HTML, JSON, JUnit: :mod:`seedsim.commands.run_reports`).

With ``--nodes`` one scenario plays against nodes that run elsewhere (as
docker-compose runs them), driven over HTTP and heard through their broker.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer

from seedsim.commands import preflight
from seedsim.commands.demo_and_workshop import monitor_refused, run_runner
from seedsim.commands.run_reports import ReportOption, write_run_report
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


@kafka_login
def run(
    ctx: typer.Context,
    scenario: Annotated[
        Path,
        typer.Argument(
            help="A scenario YAML file (e.g. scenarios/western-balkans-corridor.yaml), the name of a shipped "
            "scenario (e.g. western-balkans-corridor), or a folder: every *.yaml in it.",
            envvar="SEEDSIM_SCENARIO",
            show_default=False,
        ),
    ],
    kafka: Kafka = None,
    login: KafkaCredentials = NO_LOGIN,
    seed: Annotated[
        int | None,
        typer.Option(help="Override the scenario's seed (same seed, same counts).", show_default="the scenario's"),
    ] = None,
    topic_prefix: Annotated[
        str | None,
        typer.Option(
            envvar="SEEDSIM_TOPIC_PREFIX",
            help="Prefix of the Kafka topics.",
            show_default="a fresh one per run on Kafka; with --nodes, the nodes' (seedsim)",
        ),
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(min=0.1, help="Override the scenario's timeout_s (seconds).", show_default="the scenario's"),
    ] = None,
    json_: Json = False,
    record: RecordOption = None,
    report: ReportOption = None,
    monitor: Monitor = False,
    port: MonitorPort = 8080,
    nodes: Nodes = None,
    keys: KeysFolder = None,
    verbose: Verbose = False,
) -> int:
    """Play scenarios (nodes, corridors, traffic, faults) and check their expectations."""
    TERMINAL.set_verbose(verbose)
    from seedsim.runners.scenarios.scenario_loader import find, shipped
    from seedsim.runners.scenarios.scenario_run import RunSettings

    if not find(scenario).exists():
        names = ", ".join(p.stem for p in shipped())
        raise preflight.Refused(
            f"'{scenario}' does not exist, nor is it a shipped scenario: name a scenario file, a folder, or one of {names}"
        )
    if kafka:
        preflight.kafka_reachable(kafka, credentials=login)
    if record and scenario.is_dir():
        raise preflight.Refused(
            f"--record with a folder: record one scenario at a time (seedsim run {scenario}/NAME.yaml)"
        )
    monitor_refused(ctx, monitor, json_)
    if monitor and scenario.is_dir():
        raise preflight.Refused(
            f"--monitor with a folder: watch one scenario at a time (seedsim run {scenario}/NAME.yaml --monitor)"
        )
    settings = RunSettings(
        kafka=kafka, kafka_credentials=login, seed=seed, topic_prefix=topic_prefix, timeout=timeout, record=record
    )
    if keys is not None:  # nodes elsewhere trust this folder's keys: the faults injected in a node's name use them
        if not nodes:
            raise preflight.Refused(
                "--keys signs for nodes elsewhere (--nodes): the nodes a run starts use its own keys"
            )
        settings.keys = preflight.keys_folder(keys)
    if nodes:
        settings.node_urls = _nodes_elsewhere(nodes, kafka, scenario, record, monitor)
    if scenario.is_dir():
        return _run_folder(scenario, settings, json_, report)
    return _run_file(scenario, settings, json_, port if monitor else None, report)


def _run_file(
    path: Path, settings: Any, json_: bool, monitor_port: int | None = None, report: Path | None = None
) -> int:
    from seedsim.runners.scenarios.scenario_loader import ScenarioError, load
    from seedsim.runners.scenarios.scenario_run import run_scenario

    try:
        scenario = load(path)
    except ScenarioError as exc:
        TERMINAL.error(str(exc))
        return 2
    if settings.node_urls:
        from seedsim.runners.scenarios.remote_nodes import refusal

        problem = refusal(scenario, settings.node_urls)
        if problem:
            raise preflight.Refused(problem)
    out = (lambda s: None) if json_ else TERMINAL.line
    with TERMINAL.progress("consignments played", enabled=not json_) as progress:
        if monitor_port is not None:
            from seedsim.commands.monitor_command import beside_the_run

            result = beside_the_run(
                monitor_port,
                lambda mon: run_scenario(scenario, replace(settings, watch=mon.watch), out=out, progress=progress),
                settings.timeout,
            )
        else:
            result = run_runner(lambda: run_scenario(scenario, settings, out=out, progress=progress), settings.timeout)
    if report is not None:
        write_run_report(report, result, str(path))
    if json_:
        TERMINAL.line(json.dumps(result.to_dict(), indent=2))
    if not result.ok:
        TERMINAL.note(
            f"{scenario.name}: expectation(s) not met: {', '.join(result.failed + result.problems) or 'run incomplete (timed out)'}"
        )
    return 0 if result.ok else 1


def _nodes_elsewhere(nodes: str, kafka: str | None, scenario: Path, record: Path | None, monitor: bool) -> dict:
    """``--nodes``: the URL of each node to drive, once the options given with it are known to fit."""
    if not kafka:
        raise preflight.Refused(
            "--nodes without --kafka: nodes that run elsewhere are heard only through their Kafka broker"
            " (the run reads their interop records there): add --kafka HOST:PORT, the broker the nodes use"
        )
    if scenario.is_dir():
        raise preflight.Refused(
            f"--nodes with a folder: play one scenario at a time against nodes elsewhere (seedsim run {scenario}/NAME.yaml)"
        )
    if record:
        raise preflight.Refused(
            "--record with --nodes: nodes that run elsewhere send through their own broker connection, not this run's;"
            " capture their topics with kcat -C -J (or seedsim trace record) instead"
        )
    if monitor:
        raise preflight.Refused(
            "--monitor with --nodes: the run starts no node to watch; run seedsim monitor --kafka HOST:PORT beside"
            " the nodes (docker compose starts one, on http://localhost:8080)"
        )
    return preflight.node_urls(nodes)


def _run_folder(folder: Path, settings: Any, json_: bool, report: Path | None = None) -> int:
    from seedsim.runners.scenarios.scenario_loader import ScenarioError, load
    from seedsim.runners.scenarios.scenario_run import run_scenario

    files = sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    if not files:
        raise preflight.Refused(f"no scenario (*.yaml) in {folder}")
    started = time.perf_counter()
    passed, results = 0, []
    width = max(len(p.stem) for p in files)
    for path in files:
        try:
            scenario = load(path)
        except ScenarioError as exc:
            results.append({"file": str(path), "ok": False, "problems": exc.problems})
            _say(json_, f"ERROR {path.stem:<{width}}  not a valid scenario: {'; '.join(exc.problems)}", "red")
            continue
        with TERMINAL.progress(scenario.name, transient=True, enabled=not json_) as progress:
            result = run_runner(
                lambda s=scenario: run_scenario(s, settings, out=lambda line: None, progress=progress),
                settings.timeout,
            )
        results.append({"file": str(path), **result.to_dict()})
        if report is not None:
            write_run_report(report / path.stem, result, str(path))
        counts = f"{result.counts['sent']} sent, {result.elapsed_s:.1f} s"
        if result.ok:
            passed += 1
            _say(json_, f"PASS  {path.stem:<{width}}  ({counts})", "green")
        else:
            why = ", ".join(result.failed + result.problems) or "run incomplete (timed out)"
            _say(json_, f"FAIL  {path.stem:<{width}}  ({counts}): {why}", "red")
    ok = passed == len(files)
    total = f"{passed} of {len(files)} scenario(s) passed in {time.perf_counter() - started:.1f} s"
    if json_:
        TERMINAL.line(json.dumps({"ok": ok, "passed": passed, "scenarios": results}, indent=2))
    else:
        TERMINAL.line(total, "bold green" if ok else "bold red")
    return 0 if ok else 1


def _say(json_: bool, line: str, style: str) -> None:
    if not json_:
        TERMINAL.line(line, style)
