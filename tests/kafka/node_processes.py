"""Nodes as the tests over Kafka run them: ``seedsim node`` processes, each on a free port, logging to a file.

:func:`seedsim_nodes` starts customs nodes as docker-compose runs them (for the tests that drive nodes
elsewhere); :func:`rs_and_me` starts RS and ME exchanging pre-arrival data, heard through the interop topic."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seedsim.core.topics import Topics
from seedsim.core.transport.kafka import KafkaTransport
from seedsim.core.wco import MetaData
from seedsim.nodes.customs.customs_node import Event
from seedsim.runners.node_clients import HttpClient
from seedsim.samples.consignments import ConsignmentGenerator, GeneratedConsignment
from seedsim.samples.crossings import DEMO_CROSSINGS
from tests.kafka.conftest import SecuredKafka
from tests.kafka.interop_watch import InteropSummary, watch
from tests.unit.seedsim_cli import SEEDSIM, clean_env, free_port


def _start_node(
    country: str,
    partner: str,
    port: int,
    kafka: str,
    db: Path,
    prefix: str,
    log: Path,
    extra_env: dict[str, str] | None = None,
) -> subprocess.Popen:
    """``seedsim node`` for ``country`` exchanging with ``partner``; ``extra_env`` adds SEEDSIM_* settings (a login)."""
    env = {**os.environ, "SEEDSIM_TOPIC_PREFIX": prefix, **(extra_env or {})}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "seedsim.cli",
            "node",
            "--country",
            country,
            "--port",
            str(port),
            "--kafka",
            kafka,
            "--db",
            str(db),
            "--partners",
            partner,
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("ab"),
    )


def _stop(procs: dict[str, subprocess.Popen]) -> None:
    for p in procs.values():
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()


@dataclass
class Pair:
    """RS and ME as processes, what an observer of the interop topic heard, and an HTTP client of both."""

    procs: dict[str, subprocess.Popen]
    logs: dict[str, Path]
    summary: InteropSummary
    client: HttpClient
    start: Callable[[str], subprocess.Popen]

    def log_tails(self) -> str:
        return "\n".join(f"{c} log: {log.read_text()[-2000:]}" for c, log in self.logs.items())

    async def send_exports(self, seed: int, n: int) -> list[GeneratedConsignment]:
        """Lodge ``n`` export declarations at RS (one after the other) and return them; EXIT each with
        :meth:`exits`, which sends the pre-arrival data to ME."""
        gen = ConsignmentGenerator(seed, DEMO_CROSSINGS[0])
        consignments = [gen.make(i) for i in range(1, n + 1)]
        for c in consignments:
            await self.client.lodge("RS", c.export.to_xml(MetaData(wco_type_name="DEC", responsible_country_code="RS")))
        return consignments

    def exits(self, consignments: list[GeneratedConsignment]) -> Awaitable[list[Any]]:
        cross = DEMO_CROSSINGS[0]
        sends = [
            self.client.event("RS", Event.EXIT, c.ucr, cross.exit_office, cross.entry_office) for c in consignments
        ]
        return asyncio.gather(*sends)


@asynccontextmanager
async def rs_and_me(
    kafka: str, prefix: str, tmp_path: Path, observer: KafkaTransport, env_of: Callable[[str], dict[str, str]]
) -> AsyncIterator[Pair]:
    """RS and ME started on ``kafka`` under ``prefix`` (``env_of(node)``: its extra settings, e.g. its login),
    ``observer`` subscribed to the interop topic; all stopped on the way out."""
    ports = {"RS": free_port(), "ME": free_port()}
    logs = {c: tmp_path / f"{c}.log" for c in ports}
    partner = {"RS": "ME", "ME": "RS"}

    def start(c: str) -> subprocess.Popen:
        db = tmp_path / f"{c.lower()}.sqlite3"
        return _start_node(c, partner[c], ports[c], kafka, db, prefix, logs[c], extra_env=env_of(c))

    summary = watch(observer, Topics(prefix), group=f"{prefix}.monitor")
    procs = {c: start(c) for c in ports}
    client = HttpClient({c: f"http://127.0.0.1:{p}" for c, p in ports.items()})
    try:
        await observer.start()
        await client.wait_ready(timeout=60)
        yield Pair(procs, logs, summary, client, start)
    finally:
        _stop(procs)
        await client.close()
        await observer.stop()


@dataclass
class NodeProcess:
    country: str
    url: str
    log: Path
    proc: subprocess.Popen


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


@contextmanager
def seedsim_nodes(
    kafka: SecuredKafka, prefix: str, folder: Path, countries: tuple[str, ...], also_on_network: tuple[str, ...] = ()
) -> Iterator[list[NodeProcess]]:
    """Customs nodes for ``countries`` on broker ``kafka`` (topic prefix ``prefix``), each answering /health; they
    are stopped on the way out. As docker-compose runs them: the administrator sets the network up first (topics,
    a user per node, ACLs; ``also_on_network``: members that run no node here) and each node logs in as itself."""
    kafka.set_up([*countries, *also_on_network], prefix=prefix)
    nodes: list[NodeProcess] = []
    try:
        for country in countries:
            port = free_port()
            log = folder / f"{country}.log"
            with open(log, "wb") as out:
                proc = subprocess.Popen(
                    [*SEEDSIM, "node", "--country", country, "--port", str(port)],
                    env=clean_env(
                        **kafka.env(kafka.user(country)),
                        SEEDSIM_KAFKA=kafka.bootstrap,
                        SEEDSIM_TOPIC_PREFIX=prefix,
                        SEEDSIM_DB=str(folder / f"{country}.sqlite3"),
                        SEEDSIM_PARTNERS=",".join(countries),
                    ),
                    cwd=folder,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            nodes.append(NodeProcess(country, f"http://127.0.0.1:{port}", log, proc))
        deadline = time.monotonic() + 90
        for node in nodes:
            while not healthy(node.url):
                assert node.proc.poll() is None, f"node {node.country} exited:\n{node.log.read_text()}"
                assert time.monotonic() < deadline, f"node {node.country} not healthy:\n{node.log.read_text()}"
                time.sleep(0.3)
        yield nodes
    finally:
        for node in nodes:
            node.proc.terminate()
        for node in nodes:
            try:
                node.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                node.proc.kill()
