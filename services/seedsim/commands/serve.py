"""``seedsim node`` and ``seedsim agency``: one node as a long-running HTTP service, as docker-compose runs them.

Before the node starts, what can be checked is: the country or agency id, the
national schema, the broker (reachable?), the database file (writable?), the
port (free? the socket is bound here and handed to uvicorn, so nothing can
take it in between). Once it serves, it says where it listens, where its API
docs are, which file holds its state and which transport it is on -- a node
on the in-process bus exchanges with nobody, and a node whose state is kept
in ``./var/`` resumes from it next time, both worth knowing.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from seedsim.commands import preflight
from seedsim.commands.shared_options import (
    NO_LOGIN,
    Kafka,
    Verbose,
    kafka_login,
)
from seedsim.commands.terminal import TERMINAL
from seedsim.core.transport.kafka_credentials import KafkaCredentials

if TYPE_CHECKING:
    from seedsim.config import ServiceConfig

Port = Annotated[int, typer.Option(envvar="SEEDSIM_PORT", min=1, max=65535, help="The HTTP port to listen on.")]
Host = Annotated[
    str, typer.Option(envvar="SEEDSIM_HOST", help="Address to listen on (0.0.0.0: every interface, as in a container).")
]
Db = Annotated[
    Path | None,
    typer.Option(
        envvar="SEEDSIM_DB",
        help="SQLite file that keeps the node's state between runs. Default: ./var/<node>.sqlite3.",
        show_default=False,
    ),
]
Partners = Annotated[
    str | None,
    typer.Option(
        envvar="SEEDSIM_PARTNERS",
        callback=preflight.partner_list,
        help="Nodes this one exchanges with, comma-separated (ME, ME-CCI). Default: the SEED+ customs nodes.",
        show_default=False,
    ),
]
TopicPrefix = Annotated[str, typer.Option(envvar="SEEDSIM_TOPIC_PREFIX", help="Prefix of every Kafka topic name.")]
TrustListOption = Annotated[
    Path | None,
    typer.Option(
        "--trust-list",
        envvar="SEEDSIM_TRUST_LIST",
        help="The network's trust list (seedsim keys init). Default: the one in --keys.",
        show_default=False,
    ),
]
SigningKey = Annotated[
    Path | None,
    typer.Option(
        "--signing-key",
        envvar="SEEDSIM_SIGNING_KEY",
        help="The node's private key (PEM), or a folder of keys (<kid>.pem) of which it takes its newest valid one."
        " Default: with --trust-list, none (refused); else this node's keys in --keys.",
        show_default=False,
    ),
]
ClockSkew = Annotated[
    str,
    typer.Option(
        "--clock-skew",
        envvar="SEEDSIM_CLOCK_SKEW",
        callback=preflight.duration,
        help="How far a message's ce_time may be from this node's clock (90s, 5m): further is refused (F317).",
    ),
]
IdempotencyWindow = Annotated[
    str,
    typer.Option(
        "--idempotency-window",
        envvar="SEEDSIM_IDEMPOTENCY_WINDOW",
        callback=preflight.duration,
        help="How long handled message ids are kept (7d, 36h): a redelivery older than this is handled again, so keep"
        " it longer than the broker's retention of the inbox topics.",
    ),
]
MessageLogRetention = Annotated[
    str,
    typer.Option(
        "--message-log-retention",
        envvar="SEEDSIM_MESSAGE_LOG_RETENTION",
        callback=preflight.duration,
        help="How long the message log (GET /messages, with payloads) keeps a message (7d, 12h); a message sent and"
        " not yet acknowledged is kept up to --idempotency-window.",
    ),
]
PurgeEvery = Annotated[
    str,
    typer.Option(
        "--purge-every",
        envvar="SEEDSIM_PURGE_EVERY",
        callback=preflight.duration,
        help="How often the node deletes handled ids and logged messages older than their retention (60s, 5m).",
    ),
]
ConsignmentRetention = Annotated[
    str | None,
    typer.Option(
        "--consignment-retention",
        envvar="SEEDSIM_CONSIGNMENT_RETENTION",
        callback=preflight.duration,
        help="How long a consignment nothing happened to is kept (90d), with its declarations, pre-arrival data,"
        " alerts, answers and documents, matched or not. Default: kept for ever (the node's records for audit).",
        show_default=False,
    ),
]
NodeKeys = Annotated[
    Path | None,
    typer.Option(
        "--keys",
        envvar="SEEDSIM_KEYS",
        help="A keys folder (seedsim keys init): the trust list and this node's key from it; when it holds none,"
        " DEVELOPMENT keys are made there on first start. Default: on Kafka ./var/keys; on the in-process bus, in"
        " memory. --trust-list and --signing-key name the files instead.",
        show_default=False,
    ),
]
Workers = Annotated[
    int,
    typer.Option(
        envvar="SEEDSIM_WORKERS",
        min=1,
        max=16,
        help="Worker processes of this node (Kafka only): one consumer group over its inbox partitions, one HTTP port"
        " and one database file (WAL) shared.",
    ),
]
#: which worker this process is, and the listening socket it serves on: given by the first worker to the others
Worker = Annotated[
    int, typer.Option("--worker", hidden=True, min=0, help="Which worker this process is (given by the first).")
]
ListenFd = Annotated[
    int | None,
    typer.Option(
        "--listen-fd",
        hidden=True,
        help="The listening socket to serve on, given by the first worker. Default: bind --port.",
        show_default=False,
    ),
]
CodeLists = Annotated[
    list[Path] | None,
    typer.Option(
        "--code-list",
        envvar="SEEDSIM_CODE_LISTS",
        callback=preflight.code_lists,
        help="A national code list file (repeatable): codes this node accepts beyond one of the shipped lists, "
        "named in its '# extends: <list id>' line (see the README's Code lists). Default: the shipped lists alone.",
        show_default=False,
    ),
]
#: where a node on Kafka without a trust list keeps the development keys (beside its database)
DEV_KEYS = Path("var") / "keys"


@kafka_login
def node(
    country: Annotated[
        str,
        typer.Option(
            envvar="SEEDSIM_COUNTRY",
            callback=preflight.country_code,
            help="The node's country, ISO 3166 alpha-2 (RS, ME, AL, BA, MK, XK...).",
            show_default=False,
        ),
    ],
    port: Port = 8000,
    host: Host = "127.0.0.1",
    kafka: Kafka = None,
    login: KafkaCredentials = NO_LOGIN,
    db: Db = None,
    national_schema: Annotated[
        str,
        typer.Option(
            envvar="SEEDSIM_NATIONAL_SCHEMA",
            callback=preflight.national_schema,
            help="XSD that declarations lodged here must satisfy: a file, or a path under the shipped schemas/.",
        ),
    ] = "wco/seedsim_metadata.xsd",
    partners: Partners = None,
    topic_prefix: TopicPrefix = "seedsim",
    keys: NodeKeys = None,
    trust_list: TrustListOption = None,
    signing_key: SigningKey = None,
    clock_skew: ClockSkew = "5m",
    workers: Workers = 1,
    worker: Worker = 0,
    listen_fd: ListenFd = None,
    idempotency_window: IdempotencyWindow = "7d",
    message_log_retention: MessageLogRetention = "7d",
    purge_every: PurgeEvery = "60s",
    consignment_retention: ConsignmentRetention = None,
    code_list: CodeLists = None,
    verbose: Verbose = False,
) -> int:
    """Run one customs node: its HTTP API and the worker that reads its inbox."""
    TERMINAL.set_verbose(verbose)
    from seedsim.bootstrap import make_customs_node
    from seedsim.config import NodeConfig
    from seedsim.nodes.customs.customs_api import create_app
    from seedsim.samples.crossings import NODE_CROSSINGS

    shared = _service_settings(
        kafka, login, port, host, db, partners, topic_prefix, trust_list, signing_key, clock_skew
    ) | _retention_settings(idempotency_window, message_log_retention, purge_every)
    folder = _keys_folder(keys, trust_list)
    if workers > 1 and not kafka:
        raise preflight.Refused(
            "--workers needs --kafka: a node's workers share its inbox as one Kafka consumer group (or drop --workers)"
        )
    if consignment_retention is not None:
        shared["consignment_retention_s"] = preflight.duration_seconds(consignment_retention)
    config = _config(
        NodeConfig,
        node=country,
        national_schema=national_schema,
        crossings=NODE_CROSSINGS,
        worker=worker,
        code_lists=code_list or [],
        **shared,
    )
    what = f"customs node {config.node}"
    team = WorkerTeam(workers if worker == 0 else 1, listen_fd)
    return _serve(config, lambda c: create_app(make_customs_node(c)), what, db is None, folder, team)


@kafka_login
def agency(
    id: Annotated[
        str,
        typer.Option(
            "--id",
            envvar="SEEDSIM_AGENCY",
            callback=preflight.agency_node_id,
            help="The agency node: <country>-<kind>, kind NPPO, CCI, TIR, TAX, VET or MED (RS-NPPO, ME-CCI, TR-TIR, RS-TAX, RS-VET, RS-MED).",
            show_default=False,
        ),
    ],
    port: Port = 8100,
    host: Host = "127.0.0.1",
    kafka: Kafka = None,
    login: KafkaCredentials = NO_LOGIN,
    db: Db = None,
    partners: Partners = None,
    topic_prefix: TopicPrefix = "seedsim",
    keys: NodeKeys = None,
    trust_list: TrustListOption = None,
    signing_key: SigningKey = None,
    clock_skew: ClockSkew = "5m",
    idempotency_window: IdempotencyWindow = "7d",
    message_log_retention: MessageLogRetention = "7d",
    purge_every: PurgeEvery = "60s",
    code_list: CodeLists = None,
    verbose: Verbose = False,
) -> int:
    """Run one border-agency node (plant protection, chamber of commerce, TIR guarantee chain, tax)."""
    TERMINAL.set_verbose(verbose)
    from seedsim.bootstrap import make_agency_node
    from seedsim.config import AgencyConfig
    from seedsim.nodes.agency.agency_api import create_app

    shared = _service_settings(
        kafka, login, port, host, db, partners, topic_prefix, trust_list, signing_key, clock_skew
    ) | _retention_settings(idempotency_window, message_log_retention, purge_every)
    folder = _keys_folder(keys, trust_list)
    config = _config(AgencyConfig, node=id, code_lists=code_list or [], **shared)
    return _serve(config, lambda c: create_app(make_agency_node(c)), f"agency node {config.node}", db is None, folder)


def _service_settings(
    kafka: str | None,
    login: KafkaCredentials,
    port: int,
    host: str,
    db: Path | None,
    partners: str | None,
    topic_prefix: str,
    trust_list: Path | None = None,
    signing_key: Path | None = None,
    clock_skew: str = "5m",
) -> dict[str, Any]:
    """What every node has (:class:`seedsim.config.ServiceConfig`), from the options every node command has."""
    from seedsim.config import login_settings

    if signing_key is not None and trust_list is None:
        raise preflight.Refused("--signing-key needs the trust list that names it: give --trust-list too")
    return {
        "kafka": kafka,
        **login_settings(login),
        "port": port,
        "host": host,
        "db": db,
        "partners": preflight.partners(partners),
        "topic_prefix": topic_prefix,
        "trust_list": trust_list,
        "signing_key": signing_key,
        "clock_skew_s": preflight.duration_seconds(clock_skew),
    }


def _retention_settings(idempotency_window: str, message_log_retention: str, purge_every: str) -> dict[str, float]:
    """How long the node keeps handled ids and its message log, and how often it purges (seedsim.core.retention)."""
    return {
        "idempotency_window_s": preflight.duration_seconds(idempotency_window),
        "message_log_retention_s": preflight.duration_seconds(message_log_retention),
        "purge_every_s": preflight.duration_seconds(purge_every),
    }


def _keys_folder(keys: Path | None, trust_list: Path | None) -> Path | None:
    if keys is not None and trust_list is not None:
        raise preflight.Refused("--keys or --trust-list, not both: a keys folder holds its trust list")
    return keys


def _with_keys(config: ServiceConfig, folder: Path | None) -> tuple[ServiceConfig, str]:
    """The config with the keys the node signs and verifies with, and the banner's line about them.

    A trust list given is checked (it reads, the node holds a valid key of its own in it). Otherwise the keys
    folder (``--keys``; on Kafka by default ./var/keys) is used, and when it holds no trust list yet, DEVELOPMENT
    keys are made there on first start for every country's customs node and the SEED+ agencies (and this node, and
    its partners):
    nodes started on the same folder trust each other, and no one else does. A node on the in-process bus
    without either uses keys made in memory (it exchanges with nobody)."""
    from seedsim.core import codes
    from seedsim.core.network_keys import DEVELOPMENT_MARK, PRIVATE_DIR, TRUST_LIST_FILE, ensure_node, init_folder

    if config.trust_list is not None:
        preflight.node_keys(config.node, config.trust_list, config.signing_key)
        return config, f"trust list {config.trust_list}, signing with {config.signing_key}"
    if folder is None and not config.kafka:
        return config, "development keys made in memory (no other node can check them; see seedsim keys)"
    folder = folder or DEV_KEYS
    made = False
    if not (folder / TRUST_LIST_FILE).is_file():
        # every country's customs node (a runner's "unknown sender" is then a partner question, F301, as on the
        # in-process bus), the SEED+ agencies, this node and its partners
        agencies = [f"{c}-{k}" for c in codes.SEED_COUNTRIES for k in ("NPPO", "CCI", "TIR", "TAX", "VET", "MED")]
        countries = sorted(codes.countries())
        nodes = list(dict.fromkeys([*codes.SEED_COUNTRIES, *countries, *agencies, config.node, *config.partners]))
        try:
            init_folder(folder, nodes, development=True)
            made = True
        except FileExistsError:
            pass  # another node made it meanwhile
        except OSError as exc:
            raise preflight.Refused(f"cannot make the development keys in {folder}: {exc} (or give --keys)") from None
    development = (folder / DEVELOPMENT_MARK).exists()
    if development:
        ensure_node(folder, config.node)
    preflight.node_keys(config.node, folder / TRUST_LIST_FILE, folder / PRIVATE_DIR)
    keyed = config.model_copy(update={"trust_list": folder / TRUST_LIST_FILE, "signing_key": folder / PRIVATE_DIR})
    if not development:
        return keyed, f"keys folder {folder} (its trust list, this node's key)"
    how = "made now" if made else "shared by the nodes started on it"
    return keyed, f"DEVELOPMENT keys in {folder} ({how}); for a real network: seedsim keys init, then --keys"


def _config(model: type[ServiceConfig], **settings: Any) -> Any:
    from pydantic import ValidationError

    try:
        return model(**settings)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise preflight.Refused(f"these settings do not make a node: {problems}") from None


class WorkerTeam:
    """A node's worker processes: the first (this process, worker 0) binds the port and starts the others with
    ``--worker I --listen-fd FD``, so they accept on the same socket, read the same database file and join the same
    consumer group; it stops them when it stops. A worker that ends alone (killed) is said; the others take over its
    inbox partitions (Kafka rebalances the group) and its unsent outbox (:mod:`seedsim.core.worker_lease`). A worker
    whose first worker is gone stops too."""

    def __init__(self, workers: int = 1, listen_fd: int | None = None) -> None:
        self.workers = workers
        self.listen_fd = listen_fd
        self.procs: list[subprocess.Popen[bytes]] = []

    @property
    def helper(self) -> bool:
        """This process is a worker started by the first one."""
        return self.listen_fd is not None

    def socket(self, config: ServiceConfig) -> socket.socket:
        if self.listen_fd is None:
            return _ready_to_start(config)
        return socket.socket(fileno=self.listen_fd)

    def start_others(self, sock: socket.socket) -> None:
        fd = sock.fileno()
        for i in range(1, self.workers):
            self.procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "seedsim", *sys.argv[1:], "--worker", str(i), "--listen-fd", str(fd)],
                    pass_fds=(fd,),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                )
            )

    def banner_line(self, config: ServiceConfig) -> list[str]:
        if self.workers < 2:
            return []
        pids = ", ".join(str(p.pid) for p in self.procs)
        return [
            f"  workers:   {self.workers} processes (this one, {os.getpid()}, and {pids}), consumer group "
            f"{config.topic_prefix}-node-{config.node.lower()}, sharing {config.db_path()}"
        ]

    async def watch(self, server: Any) -> None:
        """Say when a worker ends alone; as a helper, stop once the first worker is gone."""
        parent, said = os.getppid(), set()
        while not server.should_exit:
            await asyncio.sleep(0.5)
            if self.helper and os.getppid() != parent:
                server.should_exit = True
            for i, p in enumerate(self.procs, start=1):
                if p.poll() is not None and i not in said:
                    said.add(i)
                    TERMINAL.line(
                        f"worker {i} (pid {p.pid}) ended with {p.returncode}: the other workers take over its inbox"
                        " partitions and its unsent outbox"
                    )

    def stop_others(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def _ready_to_start(config: ServiceConfig) -> socket.socket:
    """Everything the node needs is there: its broker answers, its database can be written, its port is free."""
    if config.kafka:
        preflight.kafka_reachable(config.kafka, credentials=config.kafka_credentials())
    preflight.writable_database(config.db_path())
    return preflight.listening_socket(config.host, config.port)


def banner(
    what: str,
    config: ServiceConfig,
    default_db: bool,
    db_existed: bool,
    keys: str = "",
    workers: list[str] | None = None,
) -> list[str]:
    """What a node says as it starts: where it listens, its docs, its state, its transport."""
    from seedsim.config import AgencyConfig
    from seedsim.core import codes

    shown_host = "localhost" if config.host in ("0.0.0.0", "::") else config.host
    base = f"http://{shown_host}:{config.port}"
    everywhere = " (on every interface)" if shown_host != config.host else ""
    db = config.db_path()
    where = "in ./var/ by default" if default_db else "the --db file"
    if db_existed:
        state = f"resumed from it: state is kept between runs, {where}; delete it to start afresh"
    else:
        state = f"a new file, {where}: state is kept between runs"
    if config.kafka:
        login = config.kafka_credentials()
        who = f" as {login.describe()}" if login.sasl else ""
        transport = f"Kafka at {config.kafka}{who}, topics {config.topic_prefix}.*"
    else:
        transport = (
            "in-process bus: this node exchanges with no other one (give --kafka HOST:PORT to reach its partners)"
        )
    if config.partners:
        partners = ", ".join(config.partners)
    else:
        others = [c for c in codes.SEED_COUNTRIES if c != config.node]
        partners = "the SEED+ nodes " + ", ".join(others)
        if isinstance(config, AgencyConfig):
            partners = "the SEED+ nodes, customs and agencies, of " + ", ".join(codes.SEED_COUNTRIES)
    return [
        f"seedsim {what}: listening on {base}{everywhere}",
        f"  API docs:  {base}/docs",
        f"  state:     {db} ({state})",
        f"  transport: {transport}",
        f"  partners:  {partners}",
        *([f"  keys:      {keys}"] if keys else []),
        *(workers or []),
        "  stop it with Ctrl-C",
    ]


class _OneLineErrors(logging.Filter):
    """uvicorn logs a node that failed to start with a traceback (as text, or attached): one line, unless -v."""

    def filter(self, record: logging.LogRecord) -> bool:
        if TERMINAL.verbose:
            return True
        text = record.getMessage()
        if "Traceback (most recent call last)" in text:  # the last line is the error itself
            record.msg, record.args = text.strip().splitlines()[-1], None
        if record.exc_info:
            exc = record.exc_info[1]
            record.msg, record.args = f"{str(record.msg).strip()}: {type(exc).__name__}: {exc}", None
            record.exc_info = record.exc_text = None
        return True


def _serve(
    config: ServiceConfig,
    make_app: Callable[[Any], Any],
    what: str,
    default_db: bool,
    keys: Path | None = None,
    team: WorkerTeam | None = None,
) -> int:
    """Check what can be checked, then serve the node's app until Ctrl-C (or SIGTERM), saying where it is."""
    import uvicorn

    team = team or WorkerTeam()
    db_existed = config.db_path().exists()
    config, keys_line = _with_keys(config, keys)
    sock = team.socket(config)
    # a node always writes its interoperability records to its log, one JSON line per stage
    logging.getLogger("seedsim.interop").setLevel(logging.INFO)
    try:
        app = make_app(config)
    except BaseException:
        sock.close()
        raise
    server = uvicorn.Server(uvicorn.Config(app, host=config.host, port=config.port, log_level="warning"))
    logging.getLogger("uvicorn.error").addFilter(_OneLineErrors())

    async def announce() -> None:
        while not server.started:
            await asyncio.sleep(0.05)
        if team.helper:
            return
        for line in banner(what, config, default_db, db_existed, keys_line, team.banner_line(config)):
            TERMINAL.line(line)

    async def serving() -> None:
        started = asyncio.create_task(announce())
        watching = asyncio.create_task(team.watch(server))
        try:
            await server.serve(sockets=[sock])
        except SystemExit:  # how uvicorn ends when the app failed to start (it has logged why)
            pass
        finally:
            started.cancel()
            watching.cancel()

    try:
        team.start_others(sock)
        TERMINAL.run(serving)
    finally:
        team.stop_others()
        sock.close()
    if not server.started:
        raise preflight.Refused(f"the {what} did not start: see the error above (-v for details)", exit_code=1)
    return 0
