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
import socket
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from seedsim.commands import preflight
from seedsim.commands.shared_options import (
    Kafka,
    KafkaCaFile,
    KafkaPassword,
    KafkaSecurityProtocol,
    KafkaUsername,
    Verbose,
    kafka_credentials,
)
from seedsim.commands.terminal import TERMINAL

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
    kafka_username: KafkaUsername = None,
    kafka_password: KafkaPassword = None,
    kafka_security_protocol: KafkaSecurityProtocol = None,
    kafka_ca_file: KafkaCaFile = None,
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
    verbose: Verbose = False,
) -> int:
    """Run one customs node: its HTTP API and the worker that reads its inbox."""
    TERMINAL.set_verbose(verbose)
    from seedsim.bootstrap import make_customs_node
    from seedsim.config import NodeConfig
    from seedsim.nodes.customs.customs_api import create_app
    from seedsim.samples.crossings import DEMO_CROSSINGS

    login = (kafka_username, kafka_password, kafka_security_protocol, kafka_ca_file)
    shared = _service_settings(kafka, login, port, host, db, partners, topic_prefix)
    config = _config(NodeConfig, node=country, national_schema=national_schema, crossings=DEMO_CROSSINGS, **shared)
    return _serve(config, lambda c: create_app(make_customs_node(c)), f"customs node {config.node}", db is None)


def agency(
    id: Annotated[
        str,
        typer.Option(
            "--id",
            envvar="SEEDSIM_AGENCY",
            callback=preflight.agency_node_id,
            help="The agency node: <country>-<kind>, kind NPPO, CCI, TIR or TAX (RS-NPPO, ME-CCI, TR-TIR, RS-TAX).",
            show_default=False,
        ),
    ],
    port: Port = 8100,
    host: Host = "127.0.0.1",
    kafka: Kafka = None,
    kafka_username: KafkaUsername = None,
    kafka_password: KafkaPassword = None,
    kafka_security_protocol: KafkaSecurityProtocol = None,
    kafka_ca_file: KafkaCaFile = None,
    db: Db = None,
    partners: Partners = None,
    topic_prefix: TopicPrefix = "seedsim",
    verbose: Verbose = False,
) -> int:
    """Run one border-agency node (plant protection, chamber of commerce, TIR guarantee chain, tax)."""
    TERMINAL.set_verbose(verbose)
    from seedsim.bootstrap import make_agency_node
    from seedsim.config import AgencyConfig
    from seedsim.nodes.agency.agency_api import create_app

    login = (kafka_username, kafka_password, kafka_security_protocol, kafka_ca_file)
    config = _config(AgencyConfig, node=id, **_service_settings(kafka, login, port, host, db, partners, topic_prefix))
    return _serve(config, lambda c: create_app(make_agency_node(c)), f"agency node {config.node}", db is None)


def _service_settings(
    kafka: str | None,
    login: tuple[str | None, str | None, str | None, Path | None],
    port: int,
    host: str,
    db: Path | None,
    partners: str | None,
    topic_prefix: str,
) -> dict[str, Any]:
    """What every node has (:class:`seedsim.config.ServiceConfig`), from the options every node command has."""
    from seedsim.config import login_settings

    return {
        "kafka": kafka,
        **login_settings(kafka_credentials(*login)),
        "port": port,
        "host": host,
        "db": db,
        "partners": preflight.partners(partners),
        "topic_prefix": topic_prefix,
    }


def _config(model: type[ServiceConfig], **settings: Any) -> Any:
    from pydantic import ValidationError

    try:
        return model(**settings)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise preflight.Refused(f"these settings do not make a node: {problems}") from None


def _ready_to_start(config: ServiceConfig) -> socket.socket:
    """Everything the node needs is there: its broker answers, its database can be written, its port is free."""
    if config.kafka:
        preflight.kafka_reachable(config.kafka, credentials=config.kafka_credentials())
    preflight.writable_database(config.db_path())
    return preflight.listening_socket(config.host, config.port)


def banner(what: str, config: ServiceConfig, default_db: bool, db_existed: bool) -> list[str]:
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


def _serve(config: ServiceConfig, make_app: Callable[[Any], Any], what: str, default_db: bool) -> int:
    """Check what can be checked, then serve the node's app until Ctrl-C (or SIGTERM), saying where it is."""
    import uvicorn

    db_existed = config.db_path().exists()
    sock = _ready_to_start(config)
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
        for line in banner(what, config, default_db, db_existed):
            TERMINAL.line(line)

    async def serving() -> None:
        started = asyncio.create_task(announce())
        try:
            await server.serve(sockets=[sock])
        except SystemExit:  # how uvicorn ends when the app failed to start (it has logged why)
            pass
        finally:
            started.cancel()

    try:
        TERMINAL.run(serving)
    finally:
        sock.close()
    if not server.started:
        raise preflight.Refused(f"the {what} did not start: see the error above (-v for details)", exit_code=1)
    return 0
