"""Options several commands share, each with its help, its default and its ``SEEDSIM_*`` variable.

Every option can also come from the environment (``SEEDSIM_KAFKA`` for
``--kafka``...), which is how docker-compose configures the services; the
command line wins. A value that cannot be read is refused by the command that
uses it, naming the variable, and by no other command.
"""

from __future__ import annotations

from typing import Annotated

import typer

from seedsim.commands import preflight

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

Json = Annotated[bool, typer.Option("--json", help="Print only the results, as JSON.")]
