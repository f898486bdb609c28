"""A real Apache Kafka broker for the seedsim test suite (and for demos).

Why this exists
---------------
seedsim talks to Kafka, and mocking Kafka hides exactly the bugs that matter
(consumer-group rebalances, commits, headers, partitioning).  The tests
therefore need a real broker, but they must not depend on a Docker engine
being present: many CI runners and dev boxes have none.  ``KafkaBroker``
obtains a broker in the first way that works, in this order:

1. ``SEEDSIM_KAFKA_BOOTSTRAP`` is set  -> use that running broker as is
   (it is only checked with a metadata request, never started or stopped).
2. A Docker engine answers              -> testcontainers' ``KafkaContainer``
   (KRaft mode).  Set ``SEEDSIM_KAFKA_DOCKER=0`` to skip this step.
3. Otherwise                            -> a local JVM broker in KRaft mode
   (no ZooKeeper).  Its jars come from Maven Central through the project's
   own descriptor ``.ci/kafka/pom.xml``; they are cached under
   ``<repo>/.cache/kafka/<version>/libs`` (root overridable with
   ``SEEDSIM_KAFKA_HOME``) so only the first run downloads anything.
   Each broker gets a fresh temp dir and free ports picked at runtime, so
   several brokers (one after the other, or in parallel processes) never
   collide.  Needs ``java`` (17 works) and, for the first install, ``mvn``.

``KafkaBroker(users={...})`` is a *secured* broker, as production runs one
(SASL SCRAM-SHA-512 logins, KRaft's ``StandardAuthorizer``, no topic made on
first use); the test suite's session broker is one.  It is the broker in
``SEEDSIM_KAFKA_BOOTSTRAP`` when that is set (which must then be secured so:
e.g. docker compose's, ``localhost:9094``, with ``admin``'s password in
``SEEDSIM_KAFKA_ADMIN_PASSWORD``), otherwise a local one (step 3): Docker is
never used for it, as testcontainers' Kafka module cannot format SCRAM users
into a KRaft broker.  A local broker can be crashed (``kill()``) and started
again on its data (``restart()``).

Anything that goes wrong raises ``RuntimeError`` saying what failed, the tail
of the broker's log, and what to install or set.  Nothing here ever skips a
test: a suite that silently skips its Kafka tests proves nothing.

Only the standard library is used at import time; testcontainers/docker are
imported lazily and only for step 2.

Command line
------------
``python tests/support/kafka_broker.py``
    start a broker, print its bootstrap address on stdout, run until Ctrl-C
    (e.g. for ``seedsim demo --kafka``).
``python tests/support/kafka_broker.py --secured``
    the same, secured as the test suite's broker is (``admin``'s password:
    ``$SEEDSIM_KAFKA_ADMIN_PASSWORD``, else ``admin-secret``); export its
    address as ``SEEDSIM_KAFKA_BOOTSTRAP`` and the tests use it instead of
    starting their own.
``python tests/support/kafka_broker.py --install-only``
    only download the jars into the cache (a CI setup step); prints the dir.
"""

from __future__ import annotations

import argparse
import atexit
import base64
import contextlib
import logging
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import weakref
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path
from typing import Any

try:  # POSIX only; used to serialise concurrent installs into the cache.
    import fcntl
except ImportError:  # pragma: no cover - non-POSIX
    fcntl = None  # type: ignore[assignment]

__all__ = ["KafkaBroker", "install", "kafka_version", "libs_dir", "probe_metadata"]

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
POM = REPO_ROOT / ".ci" / "kafka" / "pom.xml"

ENV_BOOTSTRAP = "SEEDSIM_KAFKA_BOOTSTRAP"  # use an existing broker
ENV_HOME = "SEEDSIM_KAFKA_HOME"  # cache root, default <repo>/.cache/kafka
ENV_DOCKER = "SEEDSIM_KAFKA_DOCKER"  # "0"/"false"/"no": never try Docker
ENV_IMAGE = "SEEDSIM_KAFKA_IMAGE"  # image for the Docker path
ENV_LOG_LEVEL = "SEEDSIM_KAFKA_LOG_LEVEL"  # log4j root level of the local broker
ENV_ADMIN_PASSWORD = "SEEDSIM_KAFKA_ADMIN_PASSWORD"  # the super user's password of a secured broker (as compose)

# Confluent Platform 7.9 ships Apache Kafka 3.9, the same line as the local
# broker; testcontainers' KafkaContainer only knows the cp-kafka image layout.
DEFAULT_IMAGE = "confluentinc/cp-kafka:7.9.0"
START_TIMEOUT = 90.0
STOP_GRACE = 5.0
MVN_TIMEOUT = 900.0

# Fast start, small footprint: a test broker handles little traffic, so the
# C1-only JIT and the serial collector start quickest; 512 MiB is plenty.
JVM_OPTS = (
    "-Xms128m",
    "-Xmx512m",
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-XX:+ExitOnOutOfMemoryError",
    "-Xshare:auto",
    "-Djava.awt.headless=true",
    "-Djava.net.preferIPv4Stack=true",
)

_COMPLETE_MARKER = ".seedsim-complete"

#: the super user of a secured broker (see ``KafkaBroker(users=...)``)
ADMIN_USER = "admin"
ADMIN_PASSWORD = "admin-secret"
SCRAM = "SCRAM-SHA-512"


# --------------------------------------------------------------------------
# Installing the jars
# --------------------------------------------------------------------------


def kafka_version() -> str:
    """The Kafka version pinned in ``.ci/kafka/pom.xml`` (single source of truth)."""
    try:
        root = ET.parse(POM).getroot()
    except (OSError, ET.ParseError) as exc:
        raise RuntimeError(f"cannot read the Kafka version from {POM}: {exc}") from exc
    ns = {"m": "http://maven.apache.org/POM/4.0.0"}
    node = root.find("m:properties/m:kafka.version", ns)
    if node is None or not (node.text or "").strip():
        raise RuntimeError(f"{POM} has no <properties><kafka.version> element")
    return node.text.strip()


def kafka_home() -> Path:
    """Cache root: ``$SEEDSIM_KAFKA_HOME`` or ``<repo>/.cache/kafka``."""
    env = os.environ.get(ENV_HOME)
    return Path(env).expanduser().resolve() if env else REPO_ROOT / ".cache" / "kafka"


def libs_dir(version: str | None = None) -> Path:
    """Directory holding the broker classpath for ``version``."""
    return kafka_home() / (version or kafka_version()) / "libs"


def _installed(libs: Path, version: str) -> bool:
    return (libs / _COMPLETE_MARKER).is_file() and (libs / f"kafka_2.13-{version}.jar").is_file()


def install(version: str | None = None) -> Path:
    """Make sure the Kafka jars are in the cache; return the libs directory.

    Runs ``mvn dependency:copy-dependencies`` on ``.ci/kafka/pom.xml`` the first
    time only.  Maven writes into a scratch dir that is renamed into place once
    complete, under a file lock, so an interrupted download or two test
    processes installing at once never leave a half-filled classpath behind.
    """
    version = version or kafka_version()
    libs = libs_dir(version)
    if _installed(libs, version):
        return libs
    if version != kafka_version():
        raise RuntimeError(
            f"Kafka {version} is not installed in {libs} and {POM} pins "
            f"{kafka_version()}; change the pom to install another version"
        )
    libs.parent.mkdir(parents=True, exist_ok=True)
    with open(libs.parent / ".install.lock", "w") as lock:
        if fcntl is not None:
            fcntl.flock(lock, fcntl.LOCK_EX)
        if _installed(libs, version):  # another process finished meanwhile
            return libs
        _run_maven(version, libs)
    return libs


def _run_maven(version: str, libs: Path) -> None:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise RuntimeError(
            "cannot install the local Kafka broker: Maven ('mvn') is not on PATH. "
            "Install it (e.g. 'apt-get install maven'), or copy a Kafka "
            f"{version} libs/ directory to {libs}, or point {ENV_BOOTSTRAP} "
            "at a running broker."
        )
    for stale in libs.parent.glob("libs.partial-*"):  # interrupted earlier runs (we hold the lock)
        shutil.rmtree(stale, ignore_errors=True)
    scratch = libs.parent / f"libs.partial-{os.getpid()}"
    cmd = [
        mvn, "-q", "-B", "-Dstyle.color=never",
        "-f", str(POM),
        "dependency:copy-dependencies",
        f"-DoutputDirectory={scratch}",
    ]  # fmt: skip
    log.info("installing Kafka %s jars: %s", version, " ".join(cmd))
    started = time.monotonic()
    try:
        proc = subprocess.run(
            cmd,
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=MVN_TIMEOUT,
        )
    except subprocess.TimeoutExpired as exc:
        shutil.rmtree(scratch, ignore_errors=True)
        raise RuntimeError(
            f"'mvn dependency:copy-dependencies' for Kafka {version} did not finish in "
            f"{MVN_TIMEOUT:.0f}s; is Maven Central reachable (proxy settings in ~/.m2/settings.xml)?\n"
            f"{_tail_text(exc.output or '')}"
        ) from exc
    if proc.returncode != 0 or not (scratch / f"kafka_2.13-{version}.jar").is_file():
        shutil.rmtree(scratch, ignore_errors=True)
        raise RuntimeError(
            f"installing Kafka {version} with Maven failed (exit {proc.returncode}).\n"
            f"command: {' '.join(cmd)}\n"
            f"Check that Maven Central is reachable (proxy/mirror in ~/.m2/settings.xml).\n"
            f"--- mvn output (tail) ---\n{_tail_text(proc.stdout)}"
        )
    (scratch / _COMPLETE_MARKER).write_text(f"{version}\n")
    shutil.rmtree(libs, ignore_errors=True)  # leftovers without the marker
    os.replace(scratch, libs)
    log.info("installed Kafka %s into %s in %.1fs", version, libs, time.monotonic() - started)


# --------------------------------------------------------------------------
# Talking to a broker without third-party code
# --------------------------------------------------------------------------


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("broker closed the connection")
        buf += chunk
    return bytes(buf)


def probe_metadata(bootstrap: str, timeout: float = 5.0) -> list[tuple[int, str, int]]:
    """Send a real Kafka ``Metadata`` request (v4) and return the brokers listed.

    This is what every client does first, so an answer listing at least one
    broker means clients can work with the cluster, not merely that a TCP
    port is open.  Metadata v4 is understood by Kafka 1.0 through 4.x.
    Raises ``OSError``/``ConnectionError``/``ValueError`` on failure.
    """
    host, _, port = bootstrap.strip().rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    client_id = b"seedsim-probe"
    correlation_id = 0x5EED
    header = struct.pack(">hhih", 3, 4, correlation_id, len(client_id)) + client_id
    body = struct.pack(">i?", 0, False)  # topics=[] (none), allow_auto_topic_creation=false
    request = header + body
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.settimeout(timeout)
        sock.sendall(struct.pack(">i", len(request)) + request)
        (size,) = struct.unpack(">i", _recv_exact(sock, 4))
        data = _recv_exact(sock, size)
    pos = 0

    def take(fmt: str) -> Any:
        nonlocal pos
        values = struct.unpack_from(fmt, data, pos)
        pos += struct.calcsize(fmt)
        return values[0] if len(values) == 1 else values

    def take_str() -> str | None:
        nonlocal pos
        length = take(">h")
        if length < 0:
            return None
        text = data[pos : pos + length].decode()
        pos += length
        return text

    if take(">i") != correlation_id:
        raise ValueError("metadata response has the wrong correlation id")
    take(">i")  # throttle_time_ms
    brokers = []
    for _ in range(take(">i")):
        node_id = take(">i")
        broker_host = take_str() or ""
        broker_port = take(">i")
        take_str()  # rack
        brokers.append((node_id, broker_host, broker_port))
    if not brokers:
        raise ValueError("metadata response lists no brokers (cluster still starting?)")
    return brokers


def _wait_for_metadata(bootstrap: str, timeout: float, alive: Any = None) -> None:
    """Poll ``probe_metadata`` until it succeeds; ``alive()`` may veto early."""
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while time.monotonic() < deadline:
        if alive is not None:
            alive()
        for server in bootstrap.split(","):
            try:
                probe_metadata(server, timeout=min(5.0, max(0.5, deadline - time.monotonic())))
                return
            except (OSError, ValueError, struct.error) as exc:
                last = exc
        time.sleep(0.25)
    raise TimeoutError(f"no Kafka metadata answer from {bootstrap} within {timeout:.0f}s (last error: {last!r})")


#: what a KRaft broker logs once it serves clients
STARTED = "Kafka Server started"


def _count_in(path: Path, text: str) -> int:
    try:
        return path.read_text(errors="replace").count(text)
    except OSError:
        return 0


def _wait_for_log(path: Path, text: str, before: int, timeout: float, alive: Any) -> None:
    """Wait until ``path`` holds ``text`` more than ``before`` times; ``alive()`` may veto early."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive()
        if _count_in(path, text) > before:
            return
        time.sleep(0.25)
    raise TimeoutError(f"the broker did not log {text!r} within {timeout:.0f}s")


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def _tail_text(text: str, lines: int = 40) -> str:
    """Last ``lines`` lines, Java stack frames dropped so the messages fit."""
    kept = [ln for ln in text.rstrip().splitlines() if not ln.lstrip().startswith(("at ", "... "))]
    return "\n".join(kept[-lines:]) or "(empty)"


def _tail_file(path: Path, lines: int = 40) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - 64 * 1024))
            return _tail_text(fh.read().decode(errors="replace"), lines)
    except OSError:
        return "(missing)"


def _free_ports(count: int) -> list[int]:
    """Ports the OS reports free right now (all held open together so they differ)."""
    socks = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _cluster_id() -> str:
    """A random KRaft cluster id (base64url of a UUID, as ``kafka-storage random-uuid``).

    Like Kafka's own ``Uuid.randomUuid`` it never starts with '-', which the
    storage tool's argument parser would take for an option.
    """
    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cid.startswith("-"):
            return cid


def _java() -> str:
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").is_file():
        return str(Path(home) / "bin" / "java")
    java = shutil.which("java")
    if java is None:
        raise RuntimeError(
            "cannot start the local Kafka broker: 'java' is not on PATH and JAVA_HOME is unset. "
            "Install a JDK/JRE 17 (e.g. 'apt-get install openjdk-17-jre-headless'), "
            f"or point {ENV_BOOTSTRAP} at a running broker."
        )
    return java


def _docker_available() -> bool:
    """True if a Docker engine answers a ping within ~3 s (what testcontainers needs)."""
    if os.environ.get(ENV_DOCKER, "").strip().lower() in {"0", "false", "no", "off"}:
        return False
    try:
        import docker  # lazily: only the Docker path needs it
    except ImportError:
        return False
    try:
        client = docker.from_env(timeout=3)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:  # no socket, permission denied, engine down, ...
        return False


_LIVE: weakref.WeakSet[KafkaBroker] = weakref.WeakSet()


@atexit.register
def _stop_leftovers() -> None:
    """Last resort: never leave a JVM broker running after the interpreter exits."""
    for broker in list(_LIVE):
        try:
            broker.stop()
        except Exception:  # pragma: no cover - best effort at exit
            pass


# --------------------------------------------------------------------------
# The broker
# --------------------------------------------------------------------------


class KafkaBroker:
    """A Kafka broker for the duration of a ``with`` block.

    >>> with KafkaBroker() as broker:          # doctest: +SKIP
    ...     run_tests_against(broker.bootstrap)  # "127.0.0.1:PORT"

    ``mode`` tells which source was used: ``"external"``, ``"docker"`` or
    ``"local"``.  ``extra_properties`` add to or override the local broker's
    server.properties (ignored for the other modes).

    ``users`` (name -> password) makes a *secured* broker, as production runs
    one: its only client listener takes SASL SCRAM-SHA-512, the users are
    created when the storage is formatted (``--add-scram``), an authoriser
    (KRaft's ``StandardAuthorizer``) denies whatever no ACL allows, ``admin``
    (password ``admin_password``, else ``$SEEDSIM_KAFKA_ADMIN_PASSWORD``, else
    ``admin-secret``) is the super user, and topics are never created on first
    use.  A secured broker is the one in ``SEEDSIM_KAFKA_BOOTSTRAP`` (taken to be
    secured so) or a local one, never testcontainers' (it cannot be configured so).

    ``kill()`` crashes a local broker (SIGKILL) and ``restart()`` starts it
    again on the same data directory and ports, as after a power cut
    (``local=True``: a local broker whatever the variables say).
    """

    def __init__(
        self,
        *,
        start_timeout: float = START_TIMEOUT,
        extra_properties: Mapping[str, object] | None = None,
        users: Mapping[str, str] | None = None,
        admin_password: str | None = None,
        local: bool = False,
    ) -> None:
        self.start_timeout = start_timeout
        self.extra_properties = dict(extra_properties or {})
        self.users = dict(users) if users is not None else None
        self.local = local
        self.admin_password = admin_password or os.environ.get(ENV_ADMIN_PASSWORD) or ADMIN_PASSWORD
        self._ports: tuple[int, int] | None = None
        self.mode: str | None = None
        self.workdir: Path | None = None
        self._bootstrap: str | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._container: Any = None
        self._lock = threading.Lock()

    # -- public API ---------------------------------------------------------

    @property
    def bootstrap(self) -> str:
        if self._bootstrap is None:
            raise RuntimeError("KafkaBroker is not started; use it as a context manager")
        return self._bootstrap

    def __enter__(self) -> KafkaBroker:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> KafkaBroker:
        if self._bootstrap is not None:
            return self
        external = os.environ.get(ENV_BOOTSTRAP, "").strip()
        if self.users is not None:  # secured: a broker the user vouches is secured, or one we configure ourselves
            if external and not self.local:
                self._use_external_secured(external)
            else:
                self._start_local()
        elif external:
            self._use_external(external)
        elif _docker_available():
            self._start_docker()
        else:
            self._start_local()
        return self

    def stop(self) -> None:
        """Stop what we started (SIGTERM, then SIGKILL) and delete the temp dir."""
        with self._lock:
            _LIVE.discard(self)
            proc, self._proc = self._proc, None
            container, self._container = self._container, None
            workdir, self.workdir = self.workdir, None
            self._bootstrap = None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=STOP_GRACE)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        if container is not None:
            container.stop()
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)

    def kill(self) -> None:
        """Crash the local broker (SIGKILL: no clean shutdown), keeping its data directory and ports."""
        with self._lock:
            proc, self._proc = self._proc, None
        if proc is None:
            raise RuntimeError("kill() needs a running local broker")
        proc.kill()
        proc.wait(timeout=10)

    def restart(self) -> None:
        """Start the local broker again on the data it had and the ports it used (after ``kill()``)."""
        if self.workdir is None or self._ports is None or self._proc is not None:
            raise RuntimeError("restart() needs a local broker stopped with kill()")
        self._run(_java(), libs_dir(), kafka_version(), self.workdir, *self._ports)

    # -- 1. an existing broker ---------------------------------------------

    def _use_external(self, bootstrap: str) -> None:
        try:
            _wait_for_metadata(bootstrap, min(self.start_timeout, 30.0))
        except TimeoutError as exc:
            raise RuntimeError(
                f"{ENV_BOOTSTRAP}={bootstrap} does not answer a Kafka metadata request: {exc}. "
                f"Start that broker, or unset {ENV_BOOTSTRAP} to let the tests start their own."
            ) from exc
        self.mode, self._bootstrap = "external", bootstrap

    def _use_external_secured(self, bootstrap: str) -> None:
        """A running broker taken to be secured as ours is (SCRAM-SHA-512, an authoriser, ``admin`` its super user
        with ``admin_password``): its SASL listener answers no anonymous request, so only its port is checked here
        and the first login says whether the rest holds. ``users`` are not made (the tests make theirs at set-up)."""
        host, _, port = bootstrap.rpartition(":")
        try:
            socket.create_connection((host.strip("[]") or "127.0.0.1", int(port)), timeout=5).close()
        except (OSError, ValueError) as exc:
            raise RuntimeError(
                f"{ENV_BOOTSTRAP}={bootstrap} does not accept a connection: {exc}. "
                f"Start that broker, or unset {ENV_BOOTSTRAP} to let the tests start their own."
            ) from exc
        self.mode, self._bootstrap = "external", bootstrap

    # -- 2. testcontainers ----------------------------------------------------

    def _start_docker(self) -> None:
        try:
            from testcontainers.community.kafka import KafkaContainer
        except ImportError:
            try:
                from testcontainers.kafka import KafkaContainer  # testcontainers < 4.10
            except ImportError as exc:
                raise RuntimeError(
                    "a Docker engine is available but testcontainers is not installed: "
                    f"pip install 'testcontainers[kafka]' (or set {ENV_DOCKER}=0 to use the local JVM broker)"
                ) from exc
        image = os.environ.get(ENV_IMAGE, DEFAULT_IMAGE)
        container = None
        try:
            container = KafkaContainer(image).with_kraft()
            container.start(timeout=int(self.start_timeout))
            bootstrap = container.get_bootstrap_server()
            _wait_for_metadata(bootstrap, self.start_timeout)
        except Exception as exc:
            logs = "(no container logs)"
            if container is not None:
                with contextlib.suppress(Exception):
                    logs = b"".join(container.get_logs()).decode(errors="replace")
                with contextlib.suppress(Exception):
                    container.stop()
            raise RuntimeError(
                f"starting Kafka in Docker ({image}) failed: {exc!r}\n"
                f"--- container log (tail) ---\n{_tail_text(logs)}\n"
                f"Set {ENV_DOCKER}=0 to use the local JVM broker instead, or {ENV_IMAGE} to pick another image."
            ) from exc
        self.mode, self._container, self._bootstrap = "docker", container, bootstrap
        _LIVE.add(self)

    # -- 3. a local JVM broker ------------------------------------------------

    def _start_local(self) -> None:
        java = _java()
        version = kafka_version()
        libs = install(version)
        for attempt in range(3):
            try:
                self._launch(java, libs, version)
                return
            except _PortTaken as taken:  # another process grabbed a port we picked
                if attempt == 2:
                    raise RuntimeError(f"ports kept being taken (3 attempts); last failure:\n{taken}") from None

    def _launch(self, java: str, libs: Path, version: str) -> None:
        workdir = Path(tempfile.mkdtemp(prefix="seedsim-kafka-"))
        port, controller_port = _free_ports(2)
        props = workdir / "server.properties"
        log4j = workdir / "log4j.properties"
        console = workdir / "broker.out"  # JVM stdout/stderr (crashes, early errors)
        server_log = workdir / "logs" / "server.log"  # log4j output
        (workdir / "logs").mkdir()
        settings: dict[str, object] = {
            "process.roles": "broker,controller",
            "node.id": 1,
            "controller.quorum.voters": f"1@127.0.0.1:{controller_port}",
            "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port}",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "log.dirs": workdir / "data",
            "num.partitions": 3,
            "default.replication.factor": 1,
            "min.insync.replicas": 1,
            "auto.create.topics.enable": "true",
            "delete.topic.enable": "true",
            "offsets.topic.replication.factor": 1,
            "offsets.topic.num.partitions": 3,  # default 50 slows the first group join
            "transaction.state.log.replication.factor": 1,
            "transaction.state.log.min.isr": 1,
            "transaction.state.log.num.partitions": 3,
            "group.initial.rebalance.delay.ms": 0,
            **(self._secured(port, controller_port) if self.users is not None else {}),
            **self.extra_properties,
        }
        props.write_text("".join(f"{k}={v}\n" for k, v in settings.items()))
        level = os.environ.get(ENV_LOG_LEVEL, "WARN").upper()
        log4j.write_text(
            f"log4j.rootLogger={level}, file\n"
            "log4j.appender.file=org.apache.log4j.FileAppender\n"
            f"log4j.appender.file.File={server_log}\n"
            "log4j.appender.file.layout=org.apache.log4j.PatternLayout\n"
            "log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n\n"
            # one line per start/stop, handy in the failure tail
            "log4j.logger.kafka.server.KafkaRaftServer=INFO\n"
        )
        fail = self._failure(version, libs, workdir, port)
        scram = [
            arg
            for user, password in {ADMIN_USER: self.admin_password, **(self.users or {})}.items()
            for arg in ("--add-scram", f"{SCRAM}=[name={user},password={password}]")
        ]
        # Format the KRaft metadata log, as `kafka-storage.sh format` does (with the SCRAM users, if secured).
        try:
            with open(console, "wb") as out:
                fmt = subprocess.run(
                    [*self._jvm(java, libs, workdir), "kafka.tools.StorageTool", "format",
                     "-t", _cluster_id(), "-c", str(props), *(scram if self.users is not None else [])],
                    stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                    cwd=workdir, timeout=120,
                )  # fmt: skip
            err = fail(f"'kafka.tools.StorageTool format' exited with {fmt.returncode}") if fmt.returncode else None
        except subprocess.TimeoutExpired as exc:
            err = fail("'kafka.tools.StorageTool format' hung for 120s", exc)
        except BaseException:
            shutil.rmtree(workdir, ignore_errors=True)
            raise
        if err is not None:
            shutil.rmtree(workdir, ignore_errors=True)
            raise err
        self._run(java, libs, version, workdir, port, controller_port)

    def _secured(self, port: int, controller_port: int) -> dict[str, object]:
        """server.properties of a secured broker: SASL SCRAM-SHA-512 for clients, an authoriser, no auto-creation.

        The controller listener takes SASL PLAIN with a user of its own (KRaft
        cannot check SCRAM there: the credentials live in the metadata the
        controller serves), and that user and ``admin`` are the super users.
        """
        scram_login = "org.apache.kafka.common.security.scram.ScramLoginModule"
        plain_login = "org.apache.kafka.common.security.plain.PlainLoginModule"
        controller_secret = self.admin_password + "-controller"
        return {
            "listeners": f"SASL_PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
            "advertised.listeners": f"SASL_PLAINTEXT://127.0.0.1:{port}",
            "listener.security.protocol.map": "SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT",
            "inter.broker.listener.name": "SASL_PLAINTEXT",
            "sasl.enabled.mechanisms": SCRAM,
            "sasl.mechanism.inter.broker.protocol": SCRAM,
            "sasl.mechanism.controller.protocol": "PLAIN",
            "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config": (
                f'{scram_login} required username="{ADMIN_USER}" password="{self.admin_password}";'
            ),
            "listener.name.controller.sasl.enabled.mechanisms": "PLAIN",
            "listener.name.controller.plain.sasl.jaas.config": (
                f'{plain_login} required username="controller" password="{controller_secret}" '
                f'user_controller="{controller_secret}";'
            ),
            "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
            "allow.everyone.if.no.acl.found": "false",
            "super.users": f"User:{ADMIN_USER};User:controller",
            "auto.create.topics.enable": "false",
        }

    @staticmethod
    def _jvm(java: str, libs: Path, workdir: Path) -> list[str]:
        log4j = workdir / "log4j.properties"
        return [
            java, *JVM_OPTS, f"-Dlog4j.configuration={log4j.as_uri()}", f"-Dkafka.logs.dir={workdir / 'logs'}",
            "-cp", str(libs / "*"),
        ]  # fmt: skip

    @staticmethod
    def _failure(version: str, libs: Path, workdir: Path, port: int) -> Any:
        console, server_log = workdir / "broker.out", workdir / "logs" / "server.log"

        def fail(what: str, exc: BaseException | None = None) -> RuntimeError:
            return RuntimeError(
                f"local Kafka {version} broker: {what}\n"
                f"bootstrap 127.0.0.1:{port}, workdir {workdir}, jars {libs}\n"
                f"--- JVM console (tail) ---\n{_tail_file(console)}\n"
                f"--- {server_log.name} (tail) ---\n{_tail_file(server_log)}\n"
                f"Hints: needs Java 11+, 17 recommended ('java -version'); set {ENV_LOG_LEVEL}=INFO for more detail; "
                f"delete {libs.parent} to force a fresh install; or set {ENV_BOOTSTRAP} to use a running broker."
                + (f"\ncause: {exc!r}" if exc else "")
            )

        return fail

    def _run(self, java: str, libs: Path, version: str, workdir: Path, port: int, controller_port: int) -> None:
        """Start the JVM on a formatted ``workdir`` and wait until it answers metadata requests."""
        console, server_log = workdir / "broker.out", workdir / "logs" / "server.log"
        fail = self._failure(version, libs, workdir, port)
        started_before = _count_in(server_log, STARTED)  # a restart appends to the same log
        with open(console, "ab") as out:
            proc = subprocess.Popen(
                [*self._jvm(java, libs, workdir), "kafka.Kafka", str(workdir / "server.properties")],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                cwd=workdir,
                start_new_session=True,  # Ctrl-C in a terminal reaches us, not the JVM; we stop it
            )  # fmt: skip
        with self._lock:
            self.mode, self.workdir, self._proc = "local", workdir, proc
            self._ports = (port, controller_port)
            self._bootstrap = f"127.0.0.1:{port}"
            _LIVE.add(self)

        def alive() -> None:
            if proc.poll() is not None:
                raise _Exited(proc.returncode)

        try:
            if self.users is None:
                _wait_for_metadata(self._bootstrap, self.start_timeout, alive)
            else:  # a SASL listener answers no anonymous metadata request: the broker says when it serves
                _wait_for_log(server_log, STARTED, started_before, self.start_timeout, alive)
        except _Exited as exc:
            text = _tail_file(console) + _tail_file(server_log)
            taken = "Address already in use" in text or "BindException" in text
            err = fail(f"the JVM exited with code {exc.code} during startup")
            self.stop()
            if taken:
                raise _PortTaken(str(err)) from None
            raise err from None
        except TimeoutError as exc:
            err = fail(f"not ready within {self.start_timeout:g}s", exc)
            self.stop()
            raise err from None
        except BaseException:  # KeyboardInterrupt etc.: don't leak the JVM
            self.stop()
            raise


class _Exited(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class _PortTaken(Exception):
    pass


# --------------------------------------------------------------------------
# Script entry point
# --------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Start a throwaway Kafka broker (prints its bootstrap address) or install its jars."
    )
    parser.add_argument("--install-only", action="store_true", help="only download the broker jars into the cache")
    parser.add_argument(
        "--secured",
        action="store_true",
        help=f"a secured broker, as the tests use (SCRAM-SHA-512, an authoriser; super user {ADMIN_USER})",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)

    try:
        if args.install_only:
            print(install())
            return 0
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        started = time.monotonic()
        with KafkaBroker(users={} if args.secured else None) as broker:
            print(broker.bootstrap, flush=True)
            print(
                f"Kafka broker ready ({broker.mode}) in {time.monotonic() - started:.1f}s at {broker.bootstrap}; "
                f"e.g. export {ENV_BOOTSTRAP}={broker.bootstrap}. Ctrl-C to stop.",
                file=sys.stderr,
                flush=True,
            )
            try:
                while not stop.wait(1.0):
                    pass
            except KeyboardInterrupt:
                pass
            print("stopping Kafka broker...", file=sys.stderr, flush=True)
        return 0
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl-C while installing or starting; cleanup already ran
        return 130


if __name__ == "__main__":
    sys.exit(main())
