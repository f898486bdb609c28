"""``seedsim node`` processes, as docker-compose runs them, for the tests that drive nodes elsewhere."""

from __future__ import annotations

import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.unit.seedsim_cli import SEEDSIM, clean_env, free_port


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
def seedsim_nodes(kafka: str, prefix: str, folder: Path, countries: tuple[str, ...]) -> Iterator[list[NodeProcess]]:
    """Customs nodes for ``countries`` on broker ``kafka`` (topic prefix ``prefix``), each answering /health; they
    are stopped on the way out."""
    nodes: list[NodeProcess] = []
    try:
        for country in countries:
            port = free_port()
            log = folder / f"{country}.log"
            with open(log, "wb") as out:
                proc = subprocess.Popen(
                    [*SEEDSIM, "node", "--country", country, "--port", str(port)],
                    env=clean_env(
                        SEEDSIM_KAFKA=kafka,
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
