"""Who may do what on a seedsim network's broker: its topics and the ACLs of each user, from the list of nodes.

A node is a national administration; the broker is shared. So each node's
user may only:

* read its own inbox, in its own consumer group (no one else can join that
  group and take its partitions);
* write to its partners' inboxes, its own dead-letter topic, the interop topic
  and the driver topic (what drove it, for a re-drive).

It holds no right to create, delete or reconfigure a topic: the network's
topics are created once, at set-up, by the broker's administrator (who is a
super user), and a node only checks they are there. The monitor's user reads
every topic of the network (the interop and dead-letter topics, and the
inboxes it watches) in its own groups (and may start an idempotent producer,
as every seedsim transport does, with nothing it may write to); the recorder's user (``seedsim trace
record``, ``seedsim report --kafka``) reads every topic, without a group.

A user is named like its node (``RS``, ``RS-NPPO``); the principal Kafka checks
is ``User:<name>``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from seedsim.core.topics import Topics

#: the monitor's and the recorder's users
MONITOR_USER = "monitor"
RECORDER_USER = "recorder"

TOPIC, GROUP, CLUSTER = "topic", "group", "cluster"
LITERAL, PREFIXED = "literal", "prefixed"
READ, WRITE, IDEMPOTENT_WRITE = "read", "write", "idempotent_write"
#: the name of the cluster resource, as Kafka spells it
KAFKA_CLUSTER = "kafka-cluster"


@dataclass(frozen=True)
class Acl:
    """``user`` may ``operation`` the ``resource`` (a topic or a consumer group) named ``name`` (or every name it begins)."""

    user: str
    operation: str
    resource: str
    name: str
    pattern: str = LITERAL

    @property
    def principal(self) -> str:
        return f"User:{self.user}"

    def describe(self) -> str:
        named = f"{self.name}*" if self.pattern == PREFIXED else self.name
        return f"{self.user}: {self.operation} {self.resource} {named}"


def node_group(topics: Topics, node: str) -> str:
    """The consumer group a node reads its inbox in (the one place it is spelled)."""
    return f"{topics.prefix}-node-{node.lower()}"


def network_topics(topics: Topics, nodes: Iterable[str]) -> list[str]:
    """Every topic a network of ``nodes`` uses: each inbox and dead-letter topic, the interop and driver topics."""
    names = [topics.interop, topics.driver]
    for node in nodes:
        names += [topics.inbox(node), topics.dead_letter(node)]
    return names


def node_acls(topics: Topics, node: str, partners: Iterable[str]) -> list[Acl]:
    """What ``node``'s user may do: read its inbox in its group; write to its partners' inboxes and the shared topics."""
    acls = [Acl(node, READ, TOPIC, topics.inbox(node)), Acl(node, READ, GROUP, node_group(topics, node))]
    acls += [Acl(node, WRITE, TOPIC, topics.inbox(p)) for p in partners if p != node]
    acls += [Acl(node, WRITE, TOPIC, t) for t in (topics.dead_letter(node), topics.interop, topics.driver)]
    return acls


def network_acls(topics: Topics, nodes: Iterable[str]) -> list[Acl]:
    """Every ACL of a network where each node exchanges with every other, plus the monitor's and the recorder's."""
    nodes = list(dict.fromkeys(nodes))
    acls = [acl for node in nodes for acl in node_acls(topics, node, nodes)]
    every_topic = f"{topics.prefix}."
    acls += [
        Acl(MONITOR_USER, READ, TOPIC, every_topic, PREFIXED),
        Acl(MONITOR_USER, READ, GROUP, f"{topics.prefix}.monitor", PREFIXED),
        Acl(MONITOR_USER, IDEMPOTENT_WRITE, CLUSTER, KAFKA_CLUSTER),
        Acl(RECORDER_USER, READ, TOPIC, every_topic, PREFIXED),
    ]
    return acls
