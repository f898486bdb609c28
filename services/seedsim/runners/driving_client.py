"""What drove the nodes, written to the run's driver topic so a recorded run can be re-driven.

A node's outcome (matching, alerts, the messages it sends) depends on more than
the messages it receives: on the declarations a trader lodged with it and the
events (pre-arrival, exit, entry) its officers fired. Those come from outside
the message exchange (the scenario runner, the demo, a node's HTTP API), so a
trace of the inboxes and the interop topic alone cannot reproduce a run.
:class:`DrivingClient` stands in front of any :class:`NodeClient` and, before
each call, sends one record to ``<prefix>.driver`` (:attr:`Topics.driver`)
through the run's transport, so ``--record`` captures it in order with the
messages it caused. No node reads that topic.

A driver record's key is the node; its value is JSON:

* ``{"node": "RS", "action": "lodge", "xml": "<...>"}`` -- a declaration lodged;
* ``{"node": "RS", "action": "event", "event": "EXIT", "consignment": UCR,
  "office": ..., "entry_office": ...}`` -- an event fired.

:func:`driver_action` reads one back (``seedsim trace replay --fresh`` re-drives
fresh nodes with them, :mod:`seedsim.runners.traces.trace_redrive`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from seedsim.core.topics import Topics
from seedsim.core.transport import Record, Transport
from seedsim.nodes.customs.customs_node import Event
from seedsim.runners.node_clients import NodeClient

LODGE, EVENT = "lodge", "event"


@dataclass(frozen=True)
class DriverAction:
    """One thing done to a node from outside: a declaration lodged or an event fired."""

    node: str
    action: str
    xml: bytes = b""
    event: Event | None = None
    consignment: str = ""
    office: str = ""
    entry_office: str | None = None

    def to_record(self, topics: Topics) -> Record:
        body: dict[str, Any] = {"node": self.node, "action": self.action}
        if self.action == LODGE:
            body["xml"] = self.xml.decode("utf-8")
        else:
            assert self.event is not None
            body |= {
                "event": self.event.value,
                "consignment": self.consignment,
                "office": self.office,
                "entry_office": self.entry_office,
            }
        return Record(topic=topics.driver, key=self.node.encode(), value=json.dumps(body).encode())

    async def apply(self, client: NodeClient) -> dict[str, Any]:
        if self.action == LODGE:
            return await client.lodge(self.node, self.xml)
        assert self.event is not None
        return await client.event(self.node, self.event, self.consignment, self.office, self.entry_office)


def driver_action(record: Record) -> DriverAction:
    """The action a driver record names; ValueError when it names none."""
    try:
        body = json.loads(record.value)
        node, action = str(body["node"]), body["action"]
        if action == LODGE:
            return DriverAction(node, LODGE, xml=str(body["xml"]).encode("utf-8"))
        if action == EVENT:
            return DriverAction(
                node,
                EVENT,
                event=Event(body["event"]),
                consignment=str(body["consignment"]),
                office=str(body["office"]),
                entry_office=body.get("entry_office"),
            )
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"not a driver record: {exc}") from None
    raise ValueError(f"not a driver record: unknown action {action!r}")


class DrivingClient:
    """A :class:`NodeClient` that writes each call to the driver topic, then makes it with ``inner``."""

    def __init__(self, inner: NodeClient, transport: Transport, topics: Topics) -> None:
        self.inner, self.transport, self.topics = inner, transport, topics

    async def _drive(self, action: DriverAction) -> dict[str, Any]:
        await self.transport.send_batch([action.to_record(self.topics)])
        return await action.apply(self.inner)

    async def lodge(self, node: str, xml: bytes) -> dict[str, Any]:
        return await self._drive(DriverAction(node, LODGE, xml=xml))

    async def event(
        self, node: str, event: Event, consignment: str, office: str, entry_office: str | None = None
    ) -> dict[str, Any]:
        return await self._drive(
            DriverAction(node, EVENT, event=event, consignment=consignment, office=office, entry_office=entry_office)
        )

    async def close(self) -> None:
        await self.inner.close()
