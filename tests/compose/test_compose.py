"""docker-compose.yml and the Dockerfile, checked without a Docker engine.

* ``test_compose_file_is_valid`` runs a real Compose implementation's
  ``config`` check (``docker compose`` v2 or Debian's ``docker-compose`` v1;
  neither needs a daemon for it).  In CI (``CI`` set) a missing implementation
  fails the test; elsewhere it skips saying what to install.
  It also checks what the file promises: the whole SEED+ network (six customs
  nodes, four agency nodes, the monitor on port 8080, the broker published to
  the host, a runner), and ``SEEDSIM_SCENARIO`` choosing the runner's scenario.
* ``test_image_declares_every_imported_distribution``: the image installs the
  wheel built from the repository, i.e. only what ``pyproject.toml``
  declares, so every third-party module the services import must be declared.
* ``test_compose_services_run_as_local_processes`` runs every project service
  of docker-compose.yml (those with ``build:``) with its own command and
  environment as a local process against the suite's real Kafka broker, secured
  as the compose broker is (logins, ACLs, no topic made on first use), the
  set-up job (``kafka-setup``: topics, users, ACLs) first: host
  names, ports, paths and the broker address are mapped to this machine,
  ``${VAR:-default}`` is resolved as Compose does, the rest is taken as
  written.  The long-running services (ten nodes and the monitor) must become
  healthy; the runner must play its scenario with every expectation met; and
  the monitor's counters (``GET /api/counters``) must then equal the runner's
  printed summary.
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
import urllib.request
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

NODE_READY_TIMEOUT = 120.0  # eleven services start at once on a small machine
RUNNER_TIMEOUT = 240.0
MONITOR_CATCH_UP = 60.0
STOP_GRACE = 15.0

CUSTOMS = ["AL", "BA", "ME", "MK", "RS", "XK"]
AGENCIES = ["RS-NPPO", "RS-CCI", "RS-TIR", "RS-TAX"]
DEFAULT_SCENARIO = "western-balkans-corridor"


# --------------------------------------------------------------------------
# Reading docker-compose.yml
# --------------------------------------------------------------------------


#: ``${NAME}``, ``${NAME:-default}``, ``${NAME-default}``, and ``$$`` (a literal ``$``), as Compose interpolates
INTERPOLATION = re.compile(r"\$(?:\$|\{(\w+)(?:(:?-)([^}]*))?\})")


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """``value`` with variables replaced from ``env`` as Compose does (what ``config`` shows)."""
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def one(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        name, op, default = m.groups()
        found = env.get(name)
        if op == ":-" and not found or op == "-" and found is None:
            return default
        return found or ""

    return INTERPOLATION.sub(one, value)


def load_compose(env: dict[str, str] | None = None) -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text())  # PyYAML resolves the `<<: *anchor` merges
    assert isinstance(data, dict) and isinstance(data.get("services"), dict), f"{COMPOSE_FILE} has no services"
    return interpolate(data, os.environ if env is None else env)


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

    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMPOSE_", "SEEDSIM_"))}
    for impl in implementations:
        name = " ".join(Path(impl[0]).name if i == 0 else part for i, part in enumerate(impl))

        def run(
            *args: str, impl: list[str] = impl, name: str = name, extra: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:
            proc = subprocess.run(
                [*impl, "--project-directory", str(REPO_ROOT), "-f", str(COMPOSE_FILE), *args],
                cwd=REPO_ROOT, env={**env, **(extra or {})}, capture_output=True, text=True, timeout=120,
            )  # fmt: skip
            assert proc.returncode == 0, (
                f"'{name} config {' '.join(args[1:])}' rejects {COMPOSE_FILE.name} (exit {proc.returncode}):\n"
                f"{proc.stderr}{proc.stdout}"
            )
            return proc

        run("config", "--quiet")
        services = run("config", "--services").stdout.split()
        customs = [f"node-{c.lower()}" for c in CUSTOMS]
        agencies = [f"agency-{a.lower()}" for a in AGENCIES]
        network = customs + agencies + ["monitor"]
        assert sorted(services) == sorted(["kafka", "kafka-setup", *network, "runner"]), f"{name}: services {services}"

        # What the implementation resolved (anchors merged, variables interpolated, defaults filled in).
        resolved = yaml.safe_load(run("config").stdout)["services"]
        for svc in [*network, "runner", "kafka-setup"]:
            assert resolved[svc].get("image") == "seedsim:latest", f"{name}: {svc} image {resolved[svc].get('image')!r}"
            assert "build" in resolved[svc], f"{name}: {svc} is not built from the repository"
        assert str(resolved["kafka"]["image"]).startswith("apache/kafka:3.9."), resolved["kafka"]["image"]
        assert "healthcheck" in resolved["kafka"], f"{name}: kafka has no healthcheck"

        # The broker is secured (logins, an authoriser, no topic made on first use); kafka-setup makes the
        # network's topics, users and ACLs before any node starts, and every service logs in as itself.
        kafka_env = environment_of(resolved["kafka"])
        assert kafka_env["KAFKA_AUTHORIZER_CLASS_NAME"].endswith("StandardAuthorizer"), f"{name}: {kafka_env}"
        assert kafka_env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false", f"{name}: topics made on first use"
        assert "PLAINTEXT:PLAINTEXT" not in kafka_env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"], f"{name}: {kafka_env}"
        setup = resolved["kafka-setup"]
        assert command_of(setup) == ["kafka", "setup"], f"{name}: kafka-setup runs {command_of(setup)}"
        assert sorted(environment_of(setup)["SEEDSIM_NETWORK"].split(",")) == sorted(CUSTOMS + AGENCIES)
        for svc in network:
            assert resolved[svc]["depends_on"]["kafka-setup"]["condition"] == "service_completed_successfully", svc
        for svc, user in [*zip(customs + agencies, CUSTOMS + AGENCIES, strict=True), ("monitor", "monitor")]:
            assert environment_of(resolved[svc])["SEEDSIM_KAFKA_USERNAME"] == user, f"{name}: {svc} logs in as?"

        # Each node is what its name says; the monitor's dashboard is on localhost:8080.
        for svc, country in zip(customs, CUSTOMS, strict=True):
            assert command_of(resolved[svc]) == ["node"], f"{name}: {svc} runs {command_of(resolved[svc])}"
            assert environment_of(resolved[svc])["SEEDSIM_COUNTRY"] == country, f"{name}: {svc}"
        for svc, agency in zip(agencies, AGENCIES, strict=True):
            assert command_of(resolved[svc]) == ["agency"], f"{name}: {svc} runs {command_of(resolved[svc])}"
            assert environment_of(resolved[svc])["SEEDSIM_AGENCY"] == agency, f"{name}: {svc}"
        for svc in customs + agencies:  # each node accepts every other node of the network
            partners = environment_of(resolved[svc])["SEEDSIM_PARTNERS"].split(",")
            assert sorted(partners) == sorted(CUSTOMS + AGENCIES), f"{name}: {svc} partners {partners}"
        assert command_of(resolved["monitor"]) == ["monitor"], f"{name}: monitor runs {command_of(resolved['monitor'])}"
        assert published_ports(resolved["monitor"]) == [(8080, 8080)], f"{name}: the dashboard is not on port 8080"
        assert environment_of(resolved["monitor"])["SEEDSIM_MONITOR_PORT"] == "8080", f"{name}: monitor port"

        # The broker is published to the host, on the port its host listener advertises as localhost.
        kafka_env = environment_of(resolved["kafka"])
        advertised = dict(
            a.split("://", 1) for a in kafka_env["KAFKA_ADVERTISED_LISTENERS"].split(",")
        )  # listener name -> host:port
        host_ports = [p for p, _ in published_ports(resolved["kafka"])]
        assert [f"localhost:{p}" for p in host_ports] == [
            a for a in advertised.values() if a.startswith("localhost:")
        ], f"{name}: kafka publishes {host_ports}, advertises {advertised}"

        # The runner starts when every node and the monitor are healthy, and plays the corridor by default
        # or what SEEDSIM_SCENARIO names.
        runner = resolved["runner"]
        waits = runner.get("depends_on") or {}
        assert sorted(waits) == sorted(network), f"{name}: the runner waits for {sorted(waits)}"
        for dep in network:
            assert waits[dep].get("condition") == "service_healthy", f"{name}: runner depends_on {dep} {waits[dep]}"
            assert resolved[dep].get("healthcheck"), f"{name}: {dep} has no healthcheck"
        assert command_of(runner)[:1] == ["run"], f"{name}: the runner runs {command_of(runner)}"
        assert environment_of(runner)["SEEDSIM_SCENARIO"] == DEFAULT_SCENARIO, f"{name}: {environment_of(runner)}"
        chosen = yaml.safe_load(run("config", extra={"SEEDSIM_SCENARIO": "fault-malformed"}).stdout)["services"]
        assert environment_of(chosen["runner"])["SEEDSIM_SCENARIO"] == "fault-malformed", (
            f"{name}: SEEDSIM_SCENARIO does not choose the runner's scenario"
        )
        nodes = dict(part.split("=", 1) for part in environment_of(runner)["SEEDSIM_NODES"].split(","))
        assert sorted(nodes) == CUSTOMS, f"{name}: the runner drives {sorted(nodes)}"


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
        "the image installs the wheel built from the repository, with only pyproject.toml's [project].dependencies, "
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


def printed_summary(out: str) -> dict[str, int]:
    """The counts of ``seedsim run``'s printed summary: the ``label  count`` lines after ``summary (...):``."""
    block = out.split("\nsummary (", 1)[-1].split("\nexpectations:", 1)[0]
    return {m[1]: int(m[2]) for m in re.finditer(r"^  (\w+) +(\d+)$", block, re.M)}


def _get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


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
def test_compose_services_run_as_local_processes(secured_kafka, tmp_path):
    kafka_bootstrap = secured_kafka.bootstrap  # secured as the compose broker is: kafka-setup logs in as its admin
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("SEEDSIM_")}
    base_env["PYTHONUNBUFFERED"] = "1"
    compose = load_compose(base_env)  # as `docker compose up` resolves it in a shell without SEEDSIM_* variables
    all_services = compose["services"]
    ours = project_services(compose)
    assert ours, "docker-compose.yml has no service built from this repository"
    assert _dockerfile_entrypoint() == ["seedsim"], "the services' commands are seedsim sub-commands"

    # Long-running services publish ports; the others (the runner) run to completion.
    servers = {name: svc for name, svc in ours.items() if svc.get("ports")}
    jobs = {name: svc for name, svc in ours.items() if not svc.get("ports")}
    assert servers and jobs, f"expected nodes with ports and a runner without: {sorted(ours)}"
    # a job the servers wait for is a set-up step (kafka-setup): it runs, and must succeed, before them
    setups = [
        name for name in start_order(ours) if name in jobs and any(name in depends_on(s) for s in servers.values())
    ]

    # Map every published container port of our servers to a free local port.
    local_port: dict[str, int] = {}
    container_port: dict[str, int] = {}
    for name, svc in servers.items():
        ports = published_ports(svc)
        assert len(ports) == 1, f"{name}: expected one published port, got {ports}"
        container_port[name] = ports[0][1]
        local_port[name] = _free_port()

    prefix = f"seedsim-compose-{uuid.uuid4().hex[:8]}"

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
            # a node's port is SEEDSIM_PORT, the monitor's SEEDSIM_MONITOR_PORT
            (port_var,) = [v for v in ("SEEDSIM_PORT", "SEEDSIM_MONITOR_PORT") if v in env] or ["SEEDSIM_PORT"]
            assert env.get(port_var) == str(container_port[name]), (
                f"{name}: {port_var}={env.get(port_var)} but compose publishes container port {container_port[name]}"
            )
            assert env.get("SEEDSIM_HOST") == "0.0.0.0", (
                f"{name}: a service must listen on 0.0.0.0 inside its container"
            )
            env[port_var] = str(local_port[name])
            env["SEEDSIM_HOST"] = "127.0.0.1"
        for db_var in ("SEEDSIM_DB", "SEEDSIM_MONITOR_DB"):
            if db_var not in env:
                continue
            db = Path(env[db_var])
            mounts = [str(v).split(":")[1] for v in svc.get("volumes") or [] if isinstance(v, str) and ":" in v]
            assert any(db.is_relative_to(m) for m in mounts), f"{name}: {db_var}={db} is not on a volume ({mounts})"
            env[db_var] = str(tmp_path / name / "data" / db.name)
            (tmp_path / name / "data").mkdir(parents=True, exist_ok=True)
        if "SEEDSIM_KEYS" in env:  # one keys folder on the shared volume: one folder for every local process
            keys = Path(env["SEEDSIM_KEYS"])
            mounts = [str(v).split(":")[1] for v in svc.get("volumes") or [] if isinstance(v, str) and ":" in v]
            assert any(keys.is_relative_to(m) for m in mounts), f"{name}: SEEDSIM_KEYS={keys} is not on a volume"
            env["SEEDSIM_KEYS"] = str(tmp_path / "shared-volume" / keys.name)
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
        for name in setups:
            step = local_service(name)
            step.start()
            try:
                step.proc.wait(timeout=RUNNER_TIMEOUT)
            except subprocess.TimeoutExpired:
                step.stop()
                pytest.fail(f"{name} did not finish within {RUNNER_TIMEOUT:.0f}s\n{step.report()}")
            assert step.proc.returncode == 0, f"{name} exited with {step.proc.returncode}\n{step.report()}"
            assert "Traceback" not in step.stderr.read_text(errors="replace"), step.report()
        for name in order:
            if name not in servers:
                continue
            # what compose waits for before starting it
            for dep in depends_on(ours[name]):
                assert dep in all_services, f"{name} depends on unknown service {dep!r}"
            service = local_service(name)
            service.start()
            started.append(service)
        t0 = time.monotonic()
        for service in started:
            service.wait_healthy(NODE_READY_TIMEOUT)
        healthy_after = time.monotonic() - t0
        summaries: dict[str, dict[str, int]] = {}

        for name in order:
            if name not in jobs or name in setups:
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

            # The runner's report: the compose file's scenario, played against the nodes, every expectation met.
            scenario = environment_of(ours[name])["SEEDSIM_SCENARIO"]
            assert scenario == DEFAULT_SCENARIO, f"{name} plays {scenario!r} by default"
            assert f"seedsim run {scenario}:" in out and "over the nodes at " in out, context
            assert f"{scenario}: all expectations met" in out, context
            assert "TIMED OUT" not in out and "Traceback" not in job.stderr.read_text(errors="replace"), context
            summaries[name] = printed_summary(out)
            assert summaries[name].get("sent"), f"{name}: no summary counts{context}"
            print(f"{name}: {scenario} played in {elapsed:.1f} s, nodes healthy after {healthy_after:.1f} s")

        # The monitor read the same run off the broker: its counters are the runner's summary, and stay so.
        (monitor,) = [n for n in servers if command_of(ours[n])[:1] == ["monitor"]]
        (summary,) = summaries.values()
        api = f"http://127.0.0.1:{local_port[monitor]}/api"
        deadline = time.monotonic() + MONITOR_CATCH_UP
        while (counters := _get_json(f"{api}/counters")["counters"]) != summary and time.monotonic() < deadline:
            time.sleep(0.5)
        assert counters == summary, f"the monitor counts {counters}, the runner printed {summary}"
        time.sleep(1.0)
        assert _get_json(f"{api}/counters")["counters"] == summary, "the monitor counted records twice"
        shown = {n["id"] for n in _get_json(f"{api}/network")["nodes"]}
        driven = {part.split("=", 1)[0] for part in environment_of(ours[name])["SEEDSIM_NODES"].split(",")}
        assert driven <= shown, f"the monitor's network shows {sorted(shown)}, the runner drove {sorted(driven)}"

        # The nodes served the whole run without crashing or logging a traceback.
        for service in started:
            assert service.proc.poll() is None, f"{service.name} died during the run\n{service.report()}"
            assert "Traceback" not in service.stderr.read_text(errors="replace"), (
                f"{service.name} logged a traceback\n{service.report()}"
            )
    finally:
        for service in reversed(started):
            service.stop()
