"""Options several commands share, each with its help, its default and its ``SEEDSIM_*`` variable.

Every option can also come from the environment (``SEEDSIM_KAFKA`` for
``--kafka``...), which is how docker-compose configures the services; the
command line wins. A value that cannot be read is refused by the command that
uses it, naming the variable, and by no other command.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar, cast

import typer

from seedsim.commands import preflight
from seedsim.core.transport.kafka_credentials import KafkaCredentials

Verbose = Annotated[
    bool,
    typer.Option(
        "--verbose", "-v", help="Log every interop record and node event to stderr (also before the command)."
    ),
]

Kafka = Annotated[
    str | None,
    typer.Option(
        envvar="SEEDSIM_KAFKA",
        callback=preflight.kafka_address,
        help="Kafka bootstrap servers, HOST:PORT[,HOST:PORT]. Default: the in-process bus (no broker).",
        show_default=False,
    ),
]

#: who a Kafka client is on a secured broker (README, 'Securing the broker'); none: an anonymous, plaintext client
KafkaUsername = Annotated[
    str | None,
    typer.Option(
        envvar="SEEDSIM_KAFKA_USERNAME",
        help="User name on a secured Kafka broker (SASL SCRAM-SHA-512). Default: none, a plaintext client.",
        show_default=False,
    ),
]
KafkaPassword = Annotated[
    str | None,
    typer.Option(
        envvar="SEEDSIM_KAFKA_PASSWORD",
        help="Password of --kafka-username (better from SEEDSIM_KAFKA_PASSWORD than on the command line). Default: none.",
        show_default=False,
    ),
]
KafkaSecurityProtocol = Annotated[
    str | None,
    typer.Option(
        envvar="SEEDSIM_KAFKA_SECURITY_PROTOCOL",
        help="PLAINTEXT, SASL_PLAINTEXT or SASL_SSL. Default: SASL_PLAINTEXT with a user, else PLAINTEXT.",
        show_default=False,
    ),
]
KafkaCaFile = Annotated[
    Path | None,
    typer.Option(
        envvar="SEEDSIM_KAFKA_CA_FILE",
        help="CA certificate (PEM) the broker's TLS certificate is checked against, with SASL_SSL."
        " Default: the system's CAs.",
        show_default=False,
    ),
]


def kafka_credentials(
    username: str | None, password: str | None, security_protocol: str | None, ca_file: Path | None
) -> KafkaCredentials:
    """The Kafka credentials the options give; Refused (one line, exit 2) when they do not fit together."""
    if ca_file is not None and not ca_file.is_file():
        raise preflight.Refused(f"--kafka-ca-file {ca_file}: no such file (or SEEDSIM_KAFKA_CA_FILE)")
    try:
        return KafkaCredentials.of(username, password, security_protocol, ca_file)
    except ValueError as exc:
        raise preflight.Refused(
            f"Kafka credentials: {exc}; set --kafka-username, --kafka-password, --kafka-security-protocol"
            " (SEEDSIM_KAFKA_USERNAME, SEEDSIM_KAFKA_PASSWORD, SEEDSIM_KAFKA_SECURITY_PROTOCOL)"
        ) from None


#: the Kafka login options, as :func:`kafka_login` gives them to a command: (parameter name, option)
KAFKA_LOGIN_OPTIONS: tuple[tuple[str, Any], ...] = (
    ("kafka_username", KafkaUsername),
    ("kafka_password", KafkaPassword),
    ("kafka_security_protocol", KafkaSecurityProtocol),
    ("kafka_ca_file", KafkaCaFile),
)
#: the placeholder default of a command's ``login`` parameter (:func:`kafka_login` always gives it)
NO_LOGIN = KafkaCredentials()

C = TypeVar("C", bound=Callable[..., Any])


def kafka_login(command: C) -> C:
    """A command whose ``login: KafkaCredentials`` parameter comes from the Kafka login options.

    typer sees the four options (:data:`KAFKA_LOGIN_OPTIONS`: ``--kafka-username``, ``--kafka-password``,
    ``--kafka-security-protocol``, ``--kafka-ca-file``, each with its ``SEEDSIM_KAFKA_*`` variable) where the
    command has ``login``; the command is called with the credentials they make (:func:`kafka_credentials`:
    Refused, one line and exit 2, when they do not fit together). One definition serves every command that
    connects to Kafka."""
    signature = inspect.signature(command, eval_str=True)
    params = list(signature.parameters.values())
    at = [p.name for p in params].index("login")
    options = [
        inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None, annotation=option)
        for name, option in KAFKA_LOGIN_OPTIONS
    ]

    @functools.wraps(command)
    def with_login(*args: Any, **kwargs: Any) -> Any:
        given = [kwargs.pop(name, None) for name, _ in KAFKA_LOGIN_OPTIONS]
        return command(*args, login=kafka_credentials(*given), **kwargs)

    with_login.__signature__ = signature.replace(parameters=[*params[:at], *options, *params[at + 1 :]])  # type: ignore[attr-defined]
    with_login.__annotations__ = {
        **{k: v for k, v in typing.get_type_hints(command, include_extras=True).items() if k != "login"},
        **dict(KAFKA_LOGIN_OPTIONS),
    }
    return cast(C, with_login)


Json = Annotated[bool, typer.Option("--json", help="Print only the results, as JSON.")]

Nodes = Annotated[
    str | None,
    typer.Option(
        envvar="SEEDSIM_NODES",
        callback=preflight.node_url_list,
        help="Drive nodes that run elsewhere instead of starting them: RS=http://host:port,ME=http://host:port"
        " (needs --kafka: their interop records are read from their broker). Default: start them in this process.",
        show_default=False,
    ),
]

#: ``--output/-o FILE`` of the commands that write a report (standard output by default)
ReportOutput = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write the report to this file. Default: standard output.", show_default=False),
]


def write_output(output: Path, text: str) -> None:
    """Write a report to ``--output``; Refused (one line, exit 2) when it cannot be written."""
    try:
        output.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    except OSError as exc:
        raise preflight.Refused(f"cannot write {output}: {exc.strerror or exc} (check -o)") from None


Monitor = Annotated[
    bool,
    typer.Option(
        "--monitor",
        help="Serve the monitor's dashboard next to the run (http://127.0.0.1:PORT) and keep it open after the run"
        " until Ctrl-C.",
    ),
]

#: the monitor's port, for ``seedsim monitor`` and for ``--monitor``
MonitorPort = Annotated[
    int,
    typer.Option(
        "--port", envvar="SEEDSIM_MONITOR_PORT", min=1, max=65535, help="The monitor's dashboard port (HTTP)."
    ),
]
#: what to say when that port is taken
MONITOR_PORT_OPTION = "--port (or SEEDSIM_MONITOR_PORT)"

#: a network's keys folder (``seedsim keys init DIR``): its trust list and the private keys of the nodes it signs for
KeysFolder = Annotated[
    Path | None,
    typer.Option(
        "--keys",
        envvar="SEEDSIM_KEYS",
        help="A keys folder made by `seedsim keys init` (trust-list.json, private/): what is sent in a node's name"
        " is signed with that node's key there. Default: the development keys made in memory (a replay to nodes"
        " elsewhere sends the records as recorded).",
        show_default=False,
    ),
]
