"""What drove a node from outside, written by the node itself to the driver topic.

A node's outcome (matching, alerts, the messages it sends) depends on more than
the messages it receives: on the declarations and documents lodged with it,
the events (pre-arrival, exit, entry) its officers fired, the queries it was
asked to send, the messages a national system handed it to send. Those come
from outside the message exchange -- the scenario runner, the demo, the Utility
Block player, a person with curl on the node's HTTP API, a national system --
so a trace of the inboxes and the interop topic alone cannot reproduce a run.

So every node writes one record per action it accepted to ``<prefix>.driver``
(:attr:`~seedsim.core.topics.Topics.driver`), queued in the same transaction as
what the action caused and ahead of it: the record is in the trace exactly when
the action took effect, before the messages it made, and an action the node
refused (rolled back) leaves none. Whoever drives the node, in this process or
over HTTP, the trace has it; no node reads that topic.

A driver record's key is the node; its value is JSON, ``{"node": "RS",
"action": ..., ...}`` with the action's arguments:

* ``lodge``: ``xml`` -- a declaration lodged (``POST /declarations``);
* ``document``: ``xml``, ``consignment`` -- a document lodged for a consignment (``POST /documents``);
* ``event``: ``event``, ``consignment``, ``office``, ``entry_office`` -- an event fired (``POST /events``);
* ``query``: ``to``, ``consignment``, ``mrn``, ``reason`` -- a neighbour asked (``POST /queries``);
* ``send``: ``type``, ``to``, ``payload_b64``, ``subject``, ``correlation_id``, ``trigger``, ``as_is`` --
  a message a national system handed the node to send as it is (the UB player's steps);
* ``issue``: ``to``, ``consignment``, ``type``, ``ref`` -- a certificate issued or a carnet registered
  by an agency (``POST /issue``);
* ``withdraw``: ``ref``, ``replace`` -- a certificate withdrawn (or replaced) by the agency that issued it
  (``POST /issued/{ref}/withdraw``);
* ``ched``: ``to``, ``certificate``, ``consignment``, ``decided`` -- a CHED entered by a veterinary
  authority (``POST /ched``).

:func:`driver_action` reads one back; ``seedsim trace replay --fresh`` hands it to a
fresh node's ``redo`` (:mod:`seedsim.runners.traces.trace_redrive`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from seedsim.core.topics import Topics
from seedsim.core.transport import Record

LODGE, DOCUMENT, EVENT, QUERY, SEND, ISSUE = "lodge", "document", "event", "query", "send", "issue"
WITHDRAW, CHED = "withdraw", "ched"
ACTIONS = (LODGE, DOCUMENT, EVENT, QUERY, SEND, ISSUE, WITHDRAW, CHED)


@dataclass(frozen=True)
class DriverAction:
    """One thing done to a node from outside, with its arguments (JSON values)."""

    node: str
    action: str
    args: dict[str, Any] = field(default_factory=dict)

    def to_record(self, topics: Topics) -> Record:
        body = {"node": self.node, "action": self.action, **self.args}
        return Record(topic=topics.driver, key=self.node.encode(), value=json.dumps(body).encode())

    def text(self, name: str) -> str | None:
        """Argument ``name`` as text (None when absent or null)."""
        value = self.args.get(name)
        return None if value is None else str(value)


def driver_action(record: Record) -> DriverAction:
    """The action a driver record names; ValueError when it names none."""
    try:
        body = json.loads(record.value)
        node, action = str(body.pop("node")), body.pop("action")
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"not a driver record: {exc}") from None
    if action not in ACTIONS:
        raise ValueError(f"not a driver record: unknown action {action!r} (known: {', '.join(ACTIONS)})")
    return DriverAction(node, action, body)
