"""Checks made before a command starts anything: a setting that cannot work is refused at once, in the user's terms.

Two kinds. An option's value alone can be wrong (a country that is not an
ISO 3166 code, ``--nodes RS`` without a URL, a schema file that does not
exist): those are typer callbacks, so the refusal names the option (and the
``SEEDSIM_*`` variable when the value came from there) and exits 2 like any
usage mistake. Or the world is not as the settings say (no Kafka broker at
that address, the port taken, a database file that cannot be written): those
raise :class:`Refused`, one line and exit code 2, before a node or a run starts
-- rather than a stack of tracebacks from deep inside a client library, or a
long wait that ends in a time-out.
"""

from __future__ import annotations

import errno
import os
import socket
import struct
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import typer

from seedsim.core.transport.kafka_credentials import KafkaCredentials

#: how long a broker or a port may take to answer the reachability check
CONNECT_TIMEOUT_S = 3.0


class Refused(Exception):
    """A setting that cannot work here and now: said in one line, exit code 2 (unless told), nothing started."""

    def __init__(self, message: str, exit_code: int = 2):
        super().__init__(message)
        self.exit_code = exit_code


# The node's own models and rules are imported where a check uses them, not with this module: every
# ``seedsim`` command line (``--help`` included) loads the options, and should start in a blink.


def _first_problem(model: Any, **fields: object) -> str | None:
    """What ``model``'s own validators say about ``fields`` (the node's rule, worded once), or None."""
    from pydantic import ValidationError

    try:
        model(**fields)
    except ValidationError as exc:
        err = exc.errors()[0]
        cause = (err.get("ctx") or {}).get("error")
        return str(cause) if cause is not None else err["msg"]
    return None


def _items(value: str) -> list[str]:
    return [p.strip() for p in value.split(",") if p.strip()]


# -- option values (typer callbacks) -------------------------------------------------------------


def _node_id(model: Any, value: str | None) -> str | None:
    """``value`` checked by the node configuration's own rule (``NodeConfig`` or ``AgencyConfig``), upper-cased."""
    if value is None:
        return None
    problem = _first_problem(model, node=value)
    if problem:
        raise typer.BadParameter(problem)
    return value.upper()


def country_code(value: str | None) -> str | None:
    """An ISO 3166 alpha-2 country code (``XK`` included), upper-cased."""
    from seedsim.config import NodeConfig

    return _node_id(NodeConfig, value)


def agency_node_id(value: str | None) -> str | None:
    """``<country>-<kind>``, e.g. ``RS-NPPO``, upper-cased."""
    from seedsim.config import AgencyConfig

    return _node_id(AgencyConfig, value)


def node_id(value: str | None) -> str | None:
    """A customs node (its country code) or an agency node (``RS-NPPO``), upper-cased."""
    return agency_node_id(value) if value is not None and "-" in value else country_code(value)


def partners(value: str | None) -> list[str]:
    """A comma-separated list of node ids: countries (``ME``) or agency nodes (``ME-CCI``)."""
    found = []
    for part in _items(value or ""):
        try:
            found.append(str(agency_node_id(part) if "-" in part else country_code(part)))
        except typer.BadParameter as exc:
            raise typer.BadParameter(f"partner {exc.message}") from None
    return found


def partner_list(value: str | None) -> str | None:
    partners(value)
    return value


def broker_addresses(value: str) -> list[tuple[str, int]]:
    """``HOST:PORT[,HOST:PORT...]``, as Kafka clients take their bootstrap servers."""
    found = []
    for part in _items(value):
        host, sep, port = part.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise typer.BadParameter(f"{part!r} is not HOST:PORT (e.g. localhost:9092)")
        found.append((host.strip("[]"), int(port)))
    if not found:
        raise typer.BadParameter("give the broker as HOST:PORT (e.g. localhost:9092)")
    return found


def kafka_address(value: str | None) -> str | None:
    if value:
        broker_addresses(value)
    return value or None


def node_urls(value: str) -> dict[str, str]:
    """``RS=http://host:port,ME=http://host:port``: each node's country and the base URL of its API."""
    form = "give each node as COUNTRY=URL, comma-separated: RS=http://host:port,ME=http://host:port"
    urls = {}
    for part in _items(value):
        country, sep, url = part.partition("=")
        if not sep:
            raise typer.BadParameter(f"{part!r} has no URL: {form}")
        code = country_code(country.strip())
        u = urlsplit(url.strip())
        if u.scheme not in ("http", "https") or not u.netloc:
            raise typer.BadParameter(f"{url.strip()!r} (for {code}) is not an http:// URL: {form}")
        urls[str(code)] = url.strip().rstrip("/")
    if not urls:
        raise typer.BadParameter(form)
    return urls


def node_url_list(value: str | None) -> str | None:
    if value:
        node_urls(value)
    return value or None


def malformed_kinds(value: str) -> tuple[str, ...]:
    """Comma-separated kinds of hostile message; an empty value means none."""
    from seedsim.runners.hostile_payloads import PAYLOADS

    kinds = tuple(_items(value))
    unknown = [k for k in kinds if k not in PAYLOADS]
    if unknown:
        raise typer.BadParameter(f"{', '.join(map(repr, unknown))}: not one of {', '.join(PAYLOADS)}")
    return kinds


def malformed_list(value: str) -> str:
    malformed_kinds(value)
    return value


def code_lists(value: list[Path] | None) -> list[Path] | None:
    """National code list files (``--code-list``): each readable, and extending a shipped list."""
    from seedsim.core.codes import CodeListError, national_codes

    try:
        national_codes(value or [])
    except CodeListError as exc:
        raise typer.BadParameter(str(exc)) from None
    return value


def national_schema(value: str) -> str:
    """An XSD file: a path under the shipped ``schemas/`` folder, or a file of one's own (made absolute)."""
    from seedsim.core.validation import compiled_schema

    own = Path(value).expanduser()
    if own.is_file():
        value = str(own.resolve())
    try:
        compiled_schema(value)
    except FileNotFoundError:
        raise typer.BadParameter(
            f"file not found: {value} (give an .xsd file, or a path under the shipped schemas/ folder)"
        ) from None
    except Exception as exc:  # lxml's parse and schema errors
        raise typer.BadParameter(f"{value} is not a usable XML Schema: {exc}") from None
    return value


# -- the world as the settings describe it -------------------------------------------------------


def _reason(exc: OSError) -> str:
    if isinstance(exc, socket.gaierror):
        return "unknown host"
    if isinstance(exc, TimeoutError):
        return f"no answer within {CONNECT_TIMEOUT_S:.0f} s"
    return (exc.strerror or str(exc)).lower()


def kafka_reachable(bootstrap: str, option: str = "--kafka", credentials: KafkaCredentials | None = None) -> None:
    """At least one bootstrap server accepts a TCP connection (a client would retry for a long time, then fail);
    with ``credentials``, the broker also accepts them (a refused login is said once, naming what to set)."""
    reasons = []
    for host, port in broker_addresses(bootstrap):
        try:
            with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S):
                break
        except OSError as exc:
            reasons.append(f"{host}:{port}: {_reason(exc)}")
    else:
        raise Refused(
            f"cannot reach the Kafka broker at {bootstrap} ({'; '.join(reasons)}): start it (e.g. `docker compose up -d kafka`)"
            f" or give its address with {option} or SEEDSIM_KAFKA"
        )
    if credentials is not None:
        kafka_login(bootstrap, credentials)


#: where a Kafka client's credentials are set
KAFKA_LOGIN_OPTIONS = "--kafka-username/--kafka-password (SEEDSIM_KAFKA_USERNAME/SEEDSIM_KAFKA_PASSWORD)"


def kafka_login(bootstrap: str, credentials: KafkaCredentials) -> None:
    """The broker accepts ``credentials`` (or, without a user, does not demand one); Refused in one line otherwise."""
    if not credentials.sasl:
        if any(_closes_on_anonymous(host, port) for host, port in broker_addresses(bootstrap)[:1]):
            raise Refused(
                f"Kafka at {bootstrap} closed the connection of a client without a user: a secured broker needs one,"
                f" set {KAFKA_LOGIN_OPTIONS}"
            )
        return
    import asyncio

    from seedsim.core.transport.kafka import KafkaAuthFailed, check_login

    try:
        asyncio.run(asyncio.wait_for(check_login(bootstrap, credentials), timeout=30))
    except KafkaAuthFailed as exc:
        raise Refused(f"{exc}: set {KAFKA_LOGIN_OPTIONS}") from None
    except TimeoutError:
        raise Refused(
            f"Kafka at {bootstrap} did not answer the login of {credentials.describe()} within 30 s"
        ) from None
    except ConnectionError as exc:
        raise Refused(str(exc)) from None


#: a Kafka Metadata request (v0, every topic), which a broker answers only to a client that logged in if it demands it
_METADATA_V0 = struct.pack(">hhih", 3, 0, 0x5EED, 7) + b"seedsim" + struct.pack(">i", 0)


def _closes_on_anonymous(host: str, port: int, timeout: float = 1.0) -> bool:
    """True when the broker closes the connection on an anonymous Metadata request (its listener demands a SASL
    login); False when it answers, or says nothing in ``timeout`` seconds (left to the command, as before)."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            sock.sendall(struct.pack(">i", len(_METADATA_V0)) + _METADATA_V0)
            return sock.recv(4) == b""
    except ConnectionResetError:
        return True
    except (TimeoutError, OSError):
        return False


def listening_socket(host: str, port: int, option: str = "--port (or SEEDSIM_PORT)") -> socket.socket:
    """The server's socket, bound now: a port in use is said before the node starts."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise Refused(f"port {port} is in use: use {option} to choose another") from None
        if exc.errno == errno.EACCES:
            raise Refused(f"not allowed to listen on port {port}: use --port with a port above 1023") from None
        raise Refused(f"cannot listen on {host}:{port} ({_reason(exc)}): check --host") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def writable_database(path: Path) -> None:
    """The node's SQLite file can be created (or opened for writing) where the settings put it."""
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise Refused(f"cannot create the folder {folder} for the node's database ({_reason(exc)}): use --db") from None
    if path.is_dir():
        raise Refused(f"{path} is a folder, not a database file: use --db FILE")
    target = path if path.exists() else folder
    if not os.access(target, os.W_OK):
        raise Refused(f"cannot write the node's database {path} (permission denied): use --db")


#: the units of a retention period
_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def duration_seconds(value: str) -> float:
    """``7d``, ``12h``, ``30m``, ``90s``, ``2w`` in seconds."""
    number, unit = value.strip()[:-1], value.strip()[-1:].lower()
    try:
        seconds = float(number) * _DURATION_UNITS[unit]
    except (KeyError, ValueError):
        raise typer.BadParameter(
            f"{value!r} is not a duration: a number and a unit, s, m, h, d or w (e.g. 7d)"
        ) from None
    if seconds <= 0:
        raise typer.BadParameter(f"{value!r}: a retention must be longer than nothing (e.g. 7d)")
    return seconds


def duration(value: str | None) -> str | None:
    if value is not None:
        duration_seconds(value)
    return value


def keys_folder(folder: Path) -> Any:
    """The :class:`~seedsim.core.network_keys.NetworkKeys` of a keys folder made by ``seedsim keys init``."""
    from seedsim.core.network_keys import NetworkKeys
    from seedsim.core.trust_list import TrustListError

    if not folder.is_dir():
        raise Refused(f"{folder}: no such keys folder (make one with `seedsim keys init {folder} --nodes ...`)")
    try:
        return NetworkKeys.folder(folder)
    except TrustListError as exc:
        raise Refused(f"{exc} (check --keys)") from None


def node_keys(node: str, trust_list: Path, signing_key: Path | None) -> None:
    """The node can sign and verify with these files: the trust list reads, and it holds a valid key of ``node``."""
    from seedsim.core.network_keys import NetworkKeys
    from seedsim.core.trust_list import TrustListError

    if signing_key is None:
        raise Refused(
            f"node {node} signs what it sends: give its private key with --signing-key (or SEEDSIM_SIGNING_KEY)"
        )
    try:
        NetworkKeys.load(trust_list, signing_key).signer(node)
    except TrustListError as exc:
        raise Refused(f"{exc} (check --trust-list and --signing-key)") from None
