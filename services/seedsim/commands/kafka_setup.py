"""``seedsim kafka setup``: make a secured broker ready for a network of nodes -- its topics, users and ACLs.

A secured broker creates no topic on first use, and no node may create one: a
node holds rights on its own inbox and on what it sends, nothing more (see
:mod:`seedsim.core.transport.kafka_acls`). So the broker's administrator sets
a network up once, from its list of nodes: every inbox, dead-letter, interop
and driver topic, the SCRAM-SHA-512 users it is given, and each user's ACLs.
Running it again (a node added, a password changed) changes only what is new.
"""

from __future__ import annotations

from typing import Annotated

import typer

from seedsim.commands import preflight
from seedsim.commands.serve import TopicPrefix
from seedsim.commands.shared_options import (
    NO_LOGIN,
    Kafka,
    Verbose,
    kafka_login,
)
from seedsim.commands.terminal import TERMINAL
from seedsim.core.transport.kafka_credentials import KafkaCredentials

kafka_app = typer.Typer(help="Set up a secured Kafka broker for a seedsim network.", no_args_is_help=True)


def users_of(value: str | None) -> dict[str, str]:
    """``NAME=PASSWORD,NAME=PASSWORD`` as a dict; Refused (exit 2) for an item that is not."""
    users: dict[str, str] = {}
    for item in (value or "").split(","):
        if not item.strip():
            continue
        name, sep, password = item.strip().partition("=")
        if not sep or not name or not password:
            raise preflight.Refused(
                f"--users item {name or item!r} is not NAME=PASSWORD (e.g. --users RS=rs-secret,monitor=m-secret)"
            )
        users[name] = password
    return users


@kafka_app.command("setup")
@kafka_login
def setup(
    nodes: Annotated[
        str,
        typer.Option(
            envvar="SEEDSIM_NETWORK",
            callback=preflight.partner_list,
            help="Every node of the network, comma-separated (AL,BA,ME,MK,RS,XK,RS-NPPO): each gets its topics and"
            " its user's ACLs.",
            show_default=False,
        ),
    ],
    kafka: Kafka = None,
    login: KafkaCredentials = NO_LOGIN,
    users: Annotated[
        str | None,
        typer.Option(
            envvar="SEEDSIM_KAFKA_USERS",
            help="SCRAM-SHA-512 users to create or give a new password, NAME=PASSWORD,... (a node's user is named"
            " like the node; monitor and recorder are the monitor's and the tools'). Default: none, users are made"
            " elsewhere.",
            show_default=False,
        ),
    ] = None,
    topic_prefix: TopicPrefix = "seedsim",
    partitions: Annotated[int, typer.Option(min=1, help="Partitions of each topic it creates.")] = 3,
    verbose: Verbose = False,
) -> int:
    """Create a network's topics, users and ACLs on a secured broker (run as its administrator, a super user)."""
    from seedsim.core.topics import Topics
    from seedsim.core.transport.kafka import KafkaNotReady, set_up_network
    from seedsim.core.transport.kafka_acls import network_acls, network_topics

    TERMINAL.set_verbose(verbose)
    if not kafka:
        raise preflight.Refused("kafka setup acts on a broker: give its address with --kafka or SEEDSIM_KAFKA")
    accounts = users_of(users)
    network = preflight.partners(nodes)
    preflight.kafka_reachable(kafka, credentials=login)
    topics, acls = network_topics(Topics(topic_prefix), network), network_acls(Topics(topic_prefix), network)
    try:
        TERMINAL.run(lambda: set_up_network(kafka, login, topics, acls, accounts, partitions))
    except KafkaNotReady as exc:
        raise preflight.Refused(f"{exc} (kafka setup runs as the broker's administrator, a super user)") from None
    TERMINAL.line(
        f"Kafka at {kafka}, prefix {topic_prefix}: {len(topics)} topics, {len(accounts)} user(s) set, {len(acls)} ACLs"
    )
    for acl in acls:
        TERMINAL.line(f"  {acl.describe()}")
    return 0
