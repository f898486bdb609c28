"""docker-compose.yml and the Dockerfile, checked without a Docker engine.

* ``test_compose_file_is_valid`` runs a real Compose implementation's
  ``config`` check (``docker compose`` v2 or Debian's ``docker-compose`` v1;
  neither needs a daemon for it).  In CI (``CI`` set) a missing implementation
  fails the test; elsewhere it skips saying what to install.
* ``test_image_declares_every_imported_distribution``: the image installs the
  project with ``pip install -e /app``, i.e. only what ``pyproject.toml``
  declares, so every third-party module the services import must be declared.
* ``test_compose_services_run_as_local_processes`` runs every project service
  of docker-compose.yml (those with ``build:``) with its own command and
  environment as a local process against the suite's real Kafka broker: host
  names, ports, paths and the broker address are mapped to this machine, the
  rest is taken as written.  The runner must finish the demo with every
  expected count met.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
import uuid
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
DOCKERFILE = REPO_ROOT / "Dockerfile"
PYPROJECT = REPO_ROOT / "pyproject.toml"

#: Debian/Ubuntu package that provides a Compose implementation usable without a daemon.
COMPOSE_INSTALL_HINT = "apt-get install -y --no-install-recommends docker-compose"

CONSIGNMENTS = 30  # the compose file asks for 100; fewer keep the test quick
NODE_READY_TIMEOUT = 90.0
RUNNER_TIMEOUT = 240.0
STOP_GRACE = 15.0


# --------------------------------------------------------------------------
# Reading docker-compose.yml
# --------------------------------------------------------------------------


def load_compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text())  # PyYAML resolves the `<<: *anchor` merges
    assert isinstance(data, dict) and isinstance(data.get("services"), dict), f"{COMPOSE_FILE} has no services"
    return data


def project_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Services built from this repository (``build:``), i.e. running the seedsim image."""
    return {name: svc for name, svc in compose["services"].items() if "build" in svc}


def environment_of(svc: dict[str, Any]) -> dict[str, str]:
    env = svc.get("environment") or {}
    if isinstance(env, list):  # ["KEY=value", "KEY"]
        env = dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return {k: str(v) for k, v in env.items() if v is not None}


def command_of(svc: dict[str, Any]) -> list[str]:
    cmd = svc.get("command") or []
    return shlex.split(cmd) if isinstance(cmd, str) else [str(c) for c in cmd]


def depends_on(svc: dict[str, Any]) -> list[str]:
    deps = svc.get("depends_on") or []
    return list(deps) if isinstance(deps, (list, dict)) else []


def published_ports(svc: dict[str, Any]) -> list[tuple[int, int]]:
    """``(published, container)`` pairs of a service's ``ports:``."""
    pairs = []
    for entry in svc.get("ports") or []:
        if isinstance(entry, dict):
            pairs.append((int(entry["published"]), int(entry["target"])))
            continue
        spec = str(entry).split("/", 1)[0]
        parts = spec.split(":")
        assert len(parts) in (2, 3), f"publish a fixed host port in {entry!r} (HOST:CONTAINER)"
        pairs.append((int(parts[-2]), int(parts[-1])))
    return pairs


def start_order(services: dict[str, dict[str, Any]]) -> list[str]:
    """Dependencies first (among the given services); fails on a cycle."""
    order: list[str] = []
    state: dict[str, str] = {}

    def visit(name: str) -> None:
        if state.get(name) == "done":
            return
        assert state.get(name) != "visiting", f"depends_on cycle through {name!r}"
        state[name] = "visiting"
        for dep in depends_on(services[name]):
            if dep in services:
                visit(dep)
        state[name] = "done"
        order.append(name)

    for name in services:
        visit(name)
    return order


# --------------------------------------------------------------------------
# 1. A real Compose implementation accepts the file
# --------------------------------------------------------------------------


def compose_implementations() -> list[list[str]]:
    found = []
    docker = shutil.which("docker")
    if docker:
        try:
            probe = subprocess.run([docker, "compose", "version"], capture_output=True, text=True, timeout=60)
            if probe.returncode == 0:
                found.append([docker, "compose"])
        except (OSError, subprocess.TimeoutExpired):
            pass
    legacy = shutil.which("docker-compose")
    if legacy:
        found.append([legacy])
    return found


def test_compose_file_is_valid():
    implementations = compose_implementations()
    if not implementations:
        message = (
            "no Compose implementation found: neither 'docker compose' (CLI plugin) nor 'docker-compose'. "
            f"Install one, e.g. '{COMPOSE_INSTALL_HINT}' (Debian/Ubuntu; its 'config' needs no Docker engine)."
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)

    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPOSE_")}
    for impl in implementations:
        name = " ".join(Path(impl[0]).name if i == 0 else part for i, part in enumerate(impl))

        def run(*args: str, impl: list[str] = impl, name: str = name) -> subprocess.CompletedProcess[str]:
            proc = subprocess.run(
                [*impl, "--project-directory", str(REPO_ROOT), "-f", str(COMPOSE_FILE), *args],
                cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120,
            )  # fmt: skip
            assert proc.returncode == 0, (
                f"'{name} config {' '.join(args[1:])}' rejects {COMPOSE_FILE.name} (exit {proc.returncode}):\n"
                f"{proc.stderr}{proc.stdout}"
            )
            return proc

        run("config", "--quiet")
        services = run("config", "--services").stdout.split()
        assert sorted(services) == ["kafka", "node-me", "node-rs", "runner"], f"{name}: services {services}"

        # What the implementation resolved (anchors merged, defaults filled in).
        resolved = yaml.safe_load(run("config").stdout)["services"]
        for svc in ("node-rs", "node-me", "runner"):
            assert resolved[svc].get("image") == "seedsim:latest", f"{name}: {svc} image {resolved[svc].get('image')!r}"
            assert "build" in resolved[svc], f"{name}: {svc} is not built from the repository"
        assert str(resolved["kafka"]["image"]).startswith("apache/kafka:3.9."), resolved["kafka"]["image"]
        assert "healthcheck" in resolved["kafka"], f"{name}: kafka has no healthcheck"


# --------------------------------------------------------------------------
# 2. The image installs what the services import
# --------------------------------------------------------------------------


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_image_declares_every_imported_distribution():
    declared = {
        _canonical(re.split(r"[\s\[<>=!~;(]", req, maxsplit=1)[0])
        for req in tomllib.loads(PYPROJECT.read_text())["project"].get("dependencies", [])
    }
    providers = metadata.packages_distributions()  # top-level module -> distributions installed here
    missing: dict[str, set[str]] = {}
    for path in sorted((REPO_ROOT / "services").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.split(".", 1)[0]
                if top in sys.stdlib_module_names or top in {"seedsim", "__future__"}:
                    continue
                dists = {_canonical(d) for d in providers.get(top, [top])}
                if not dists & declared:
                    missing.setdefault(top, set()).add(str(path.relative_to(REPO_ROOT)))
    assert not missing, (
        "the image runs 'pip install -e /app', which installs only pyproject.toml's [project].dependencies, "
        "but the services import undeclared third-party modules (the containers would die with "
        "ModuleNotFoundError):\n"
        + "\n".join(
            f"  {top} (distribution {', '.join(providers.get(top, [top]))}) imported in {', '.join(sorted(files))}"
            for top, files in sorted(missing.items())
        )
    )


# --------------------------------------------------------------------------
# 3. The compose services, run as local processes against a real broker
# --------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path: Path, lines: int = 60) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(missing)"
    return "\n".join(text.rstrip().splitlines()[-lines:]) or "(empty)"


@dataclass
class LocalService:
    name: str
    argv: list[str]
    env: dict[str, str]
    workdir: Path
    health: list[str] | None = None  # readiness probe (the compose healthcheck, mapped here)
    proc: subprocess.Popen | None = None
    stdout: Path = field(init=False)
    stderr: Path = field(init=False)

    def __post_init__(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.stdout = self.workdir / "stdout.log"
        self.stderr = self.workdir / "stderr.log"

    def start(self) -> None:
        with open(self.stdout, "wb") as out, open(self.stderr, "wb") as err:
            self.proc = subprocess.Popen(
                self.argv, env=self.env, cwd=self.workdir, stdin=subprocess.DEVNULL, stdout=out, stderr=err
            )

    def wait_healthy(self, timeout: float) -> None:
        assert self.proc is not None and self.health is not None
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"{self.name} exited with {self.proc.returncode} before it was healthy\n{self.report()}")
            probe = subprocess.run(self.health, capture_output=True, text=True, timeout=30)
            if probe.returncode == 0:
                return
            last = (probe.stderr or probe.stdout).strip().splitlines()[-1:] or [""]
            last = last[0]
            time.sleep(0.5)
        pytest.fail(f"{self.name} not healthy within {timeout:.0f}s (last probe: {last})\n{self.report()}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=STOP_GRACE)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def report(self) -> str:
        code = None if self.proc is None else self.proc.poll()
        return (
            f"=== {self.name}: {shlex.join(self.argv)} (exit code {code}) ===\n"
            f"--- env ---\n{json.dumps({k: v for k, v in self.env.items() if k.startswith('SEEDSIM_')}, indent=1)}\n"
            f"--- stdout (tail) ---\n{_tail(self.stdout)}\n--- stderr (tail) ---\n{_tail(self.stderr)}"
        )


def _dockerfile_entrypoint() -> list[str]:
    for line in DOCKERFILE.read_text().splitlines():
        if line.strip().upper().startswith("ENTRYPOINT"):
            return json.loads(line.strip()[len("ENTRYPOINT") :].strip())
    raise AssertionError(f"{DOCKERFILE} has no ENTRYPOINT")


def _local_health_probe(svc: dict[str, Any], container_port: int, local_port: int) -> list[str]:
    """The service's compose healthcheck (``CMD python -c ...``) aimed at the local port."""
    test = (svc.get("healthcheck") or {}).get("test")
    assert isinstance(test, list) and test[:2] == ["CMD", "python"], (
        f"expected a healthcheck ['CMD', 'python', '-c', ...] (the image has no curl), got {test!r}"
    )
    argv = [sys.executable, *test[2:]]
    mapped = [
        re.sub(rf"(//(?:127\.0\.0\.1|localhost)):{container_port}\b", rf"\g<1>:{local_port}", arg) for arg in argv
    ]
    assert mapped != argv, f"the healthcheck {test!r} does not probe port {container_port}"
    return mapped


@pytest.mark.kafka
def test_compose_services_run_as_local_processes(kafka_bootstrap, tmp_path):
    compose = load_compose()
    all_services = compose["services"]
    ours = project_services(compose)
    assert ours, "docker-compose.yml has no service built from this repository"
    assert _dockerfile_entrypoint() == ["seedsim"], "the services' commands are seedsim sub-commands"

    # Long-running services publish ports; the others (the runner) run to completion.
    servers = {name: svc for name, svc in ours.items() if svc.get("ports")}
    jobs = {name: svc for name, svc in ours.items() if not svc.get("ports")}
    assert servers and jobs, f"expected nodes with ports and a runner without: {sorted(ours)}"

    # Map every published container port of our servers to a free local port.
    local_port: dict[str, int] = {}
    container_port: dict[str, int] = {}
    for name, svc in servers.items():
        ports = published_ports(svc)
        assert len(ports) == 1, f"{name}: expected one published port, got {ports}"
        container_port[name] = ports[0][1]
        local_port[name] = _free_port()

    prefix = f"seedsim-compose-{uuid.uuid4().hex[:8]}"
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("SEEDSIM_")}
    base_env["PYTHONUNBUFFERED"] = "1"

    def local_env(name: str, svc: dict[str, Any]) -> dict[str, str]:
        env = environment_of(svc)
        kafka = env.get("SEEDSIM_KAFKA")
        assert kafka, f"{name} has no SEEDSIM_KAFKA"
        kafka_host = kafka.rsplit(":", 1)[0]
        assert kafka_host in all_services, f"{name}: SEEDSIM_KAFKA={kafka} names no compose service"
        assert kafka_host not in ours, f"{name}: SEEDSIM_KAFKA={kafka} is not the broker service"
        env["SEEDSIM_KAFKA"] = kafka_bootstrap
        env["SEEDSIM_TOPIC_PREFIX"] = prefix
        if name in servers:
            assert env.get("SEEDSIM_PORT") == str(container_port[name]), (
                f"{name}: SEEDSIM_PORT={env.get('SEEDSIM_PORT')} but compose publishes container port {container_port[name]}"
            )
            assert env.get("SEEDSIM_HOST") == "0.0.0.0", f"{name}: a node must listen on 0.0.0.0 inside its container"
            env["SEEDSIM_PORT"] = str(local_port[name])
            env["SEEDSIM_HOST"] = "127.0.0.1"
        if "SEEDSIM_DB" in env:
            db = Path(env["SEEDSIM_DB"])
            mounts = [str(v).split(":")[1] for v in svc.get("volumes") or [] if isinstance(v, str) and ":" in v]
            assert any(db.is_relative_to(m) for m in mounts), f"{name}: SEEDSIM_DB={db} is not on a volume ({mounts})"
            env["SEEDSIM_DB"] = str(tmp_path / name / "data" / db.name)
            (tmp_path / name / "data").mkdir(parents=True, exist_ok=True)
        if "SEEDSIM_NODES" in env:
            mapped = []
            for part in env["SEEDSIM_NODES"].split(","):
                country, url = part.split("=", 1)
                u = urlsplit(url)
                assert u.hostname in servers, (
                    f"{name}: SEEDSIM_NODES points {country} at {u.hostname!r}, not a node service"
                )
                assert u.port == container_port[u.hostname], f"{name}: {url} is not {u.hostname}'s container port"
                mapped.append(f"{country}={u.scheme}://127.0.0.1:{local_port[u.hostname]}{u.path}")
            env["SEEDSIM_NODES"] = ",".join(mapped)
        if "SEEDSIM_CONSIGNMENTS" in env:
            env["SEEDSIM_CONSIGNMENTS"] = str(CONSIGNMENTS)
        return {**base_env, **env}

    def local_service(name: str) -> LocalService:
        svc = ours[name]
        assert "entrypoint" not in svc, f"{name} overrides the image's entrypoint"
        command = command_of(svc)
        assert command, f"{name} has no command"
        health = None
        if name in servers:
            health = _local_health_probe(svc, container_port[name], local_port[name])
        return LocalService(name, [sys.executable, "-m", "seedsim.cli", *command], local_env(name, svc),
                            tmp_path / name, health)  # fmt: skip

    order = start_order(ours)
    started: list[LocalService] = []
    try:
        for name in order:
            if name not in servers:
                continue
            # what compose waits for before starting it
            for dep in depends_on(ours[name]):
                assert dep in all_services, f"{name} depends on unknown service {dep!r}"
            service = local_service(name)
            service.start()
            started.append(service)
        for service in started:
            service.wait_healthy(NODE_READY_TIMEOUT)

        for name in order:
            if name not in jobs:
                continue
            deps = [d for d in depends_on(ours[name]) if d in ours]
            assert set(deps) <= set(servers), f"{name} depends on {deps}, not only on the nodes"
            job = local_service(name)
            t0 = time.monotonic()
            job.start()
            try:
                job.proc.wait(timeout=RUNNER_TIMEOUT)
            except subprocess.TimeoutExpired:
                job.stop()
                pytest.fail(f"{name} did not finish within {RUNNER_TIMEOUT:.0f}s\n{job.report()}\n"
                            + "\n".join(s.report() for s in started))  # fmt: skip
            elapsed = time.monotonic() - t0
            out = job.stdout.read_text()
            context = "\n" + job.report() + "\n" + "\n".join(s.report() for s in started)
            assert job.proc.returncode == 0, f"{name} exited with {job.proc.returncode} after {elapsed:.1f}s{context}"

            # The demo's summary: every expected count met ("ok"), nothing timed out.
            assert "summary (" in out and "TIMED OUT" not in out and "EXPECTED" not in out, context
            n = CONSIGNMENTS
            for label, count in {"sent": 3 * n, "valid": 3 * n, "acknowledged": 3 * n}.items():
                assert re.search(rf"^\s+{label}\s+{count}\s+ok\s*$", out, re.M), (
                    f"no '{label} {count} ok' line{context}"
                )
            for label in ("delivered", "matched", "discrepancies", "rejected"):
                assert re.search(rf"^\s+{label}\s+\d+\s+ok\s*$", out, re.M), f"no '{label} ... ok' line{context}"

        # The nodes served the whole run without crashing or logging a traceback.
        for service in started:
            assert service.proc.poll() is None, f"{service.name} died during the run\n{service.report()}"
            assert "Traceback" not in service.stderr.read_text(errors="replace"), (
                f"{service.name} logged a traceback\n{service.report()}"
            )
    finally:
        for service in reversed(started):
            service.stop()
