"""How a node acts on the Utility Block catalogue: the UB files, not code, say what is sent when and what is checked.

Every node loads the catalogue (``schemas/utility-blocks``, or the directory in
its configuration) when it is built, and keeps a :class:`NodePlan`.

**Roles.** A node plays a UB role by kind: a customs node (id = a country
code) plays every role of kind ``customs``; an agency node (id
``<country>-<KIND>``) plays the roles of kind ``agency`` whose id or
description names its kind (:func:`agency_kind`: "nppo"/"phyto"/"plant" ->
NPPO, "chamber" -> CCI, "tax" -> TAX, "tir"/"guarantee" -> TIR, "veterinary" -> VET, "medicines" -> MED).

**Sending on an event.** When a consignment event E fires at a node,
:meth:`NodePlan.on_event` returns the UB steps whose ``event`` is E and whose
``from`` role the node plays, restricted to the messages the node can build
from what it holds for the consignment (the node's code knows *how* to build a
message; the UB says *when* and *to which role*). A customs node holding an
export declaration thus sends ExportData on PRE_ARRIVAL and on EXIT because
UB-SEED-EXIT's steps say so; it sends a TIR carnet on EXIT (UB-SEED-TIR) only
if one was lodged for the consignment (``POST /documents``), and skips the step
otherwise.
:meth:`NodePlan.continuing` gives the steps that carry on an exchange the node
took part in: on ENTRY, the node that received ExportData (as
``importing_customs``) sends what UB-SEED-EXIT's ENTRY step names
(EntryConfirmation) to the role that sent it, i.e. back to that sender.
Acknowledgement steps are never "sent" by a plan: the inbox acknowledges every
message it reads (:mod:`seedsim.nodes.inbox_node`). One message type is sent
once per event even if two UBs name it.

**Data sets.** Which UBs govern a message is read from the steps too: those
that send this message type, on this trigger (any, if the envelope names none),
from a role the sender plays to a role the receiver plays
(:meth:`NodePlan.governing`). Sender and receiver compute the same set, so what
one strips (:func:`~seedsim.utility_blocks.data_set.minimise`) the other
accepts (:func:`~seedsim.utility_blocks.data_set.check`, rules UB301 and
UB302). A sender that knows its UB (a customs node running UB-SEED-EXIT)
strips to that UB's data set alone.

**Conversations.** Which UBs' conversations a message belongs to is what the
sender writes on it (``ce_seedsimubs``), so the monitor measures each UB over
its own messages (:mod:`seedsim.runners.monitor.service_levels`).
:meth:`NodePlan.conversations` starts from the UBs governing it; a type several
of them name (EntryConfirmation closes UB-SEED-EXIT, -TIR, -ATA, -TRANSIT and
-VAT) belongs to those of which the consignment already had another message with
that neighbour at this node: an EntryConfirmation answering exit data is
UB-SEED-EXIT's, and UB-SEED-TIR's too when a TIR carnet came with it. A UB the
message would open (UB-SEED-VAT's EntryConfirmation) is not one the node can
tell from what it holds, so it is left out of a shared type.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from seedsim.core.validation import Issue
from seedsim.utility_blocks import data_set
from seedsim.utility_blocks.data_set import DataSetRules
from seedsim.utility_blocks.loader import blocks_in
from seedsim.utility_blocks.model import Step, UtilityBlock

ACKNOWLEDGEMENT = "Acknowledgement"

#: words in a role's id or description that say which kind of agency plays it
AGENCY_WORDS = [
    ("veterinary", "VET"),  # first: "veterinary certificate" must not read as anything else
    ("medicines", "MED"),
    ("nppo", "NPPO"),
    ("phyto", "NPPO"),
    ("plant", "NPPO"),
    ("chamber", "CCI"),
    ("cci", "CCI"),
    ("tir", "TIR"),
    ("guarantee", "TIR"),
    ("tax", "TAX"),
]


def agency_kind(ub: UtilityBlock, role_id: str) -> str:
    """The agency kind (NPPO, CCI, TIR, TAX, VET, MED) that plays an agency role; ValueError if the role does not say."""
    role = ub.business_process.role(role_id)
    text = f"{role.id} {role.description}".lower() if role else role_id.lower()
    for word, kind in AGENCY_WORDS:
        if word in text:
            return kind
    raise ValueError(
        f"{ub.id}: cannot tell which agency plays role {role_id!r}: name it after one of "
        f"{', '.join(sorted({w for w, _ in AGENCY_WORDS}))}"
    )


def plays(node_id: str, ub: UtilityBlock, role_id: str) -> bool:
    """Whether node ``node_id`` (``RS`` or ``RS-NPPO``) plays ``role_id`` in ``ub``."""
    role = ub.business_process.role(role_id)
    if role is None:
        return False
    _, _, kind = node_id.partition("-")
    if not kind:
        return role.kind == "customs"
    if role.kind != "agency":
        return False
    try:
        return agency_kind(ub, role_id) == kind.upper()
    except ValueError:
        return False


@dataclass(frozen=True)
class Send:
    """One UB step a node sends: the message, from the role it plays, to the role named."""

    ub: UtilityBlock
    index: int  # 1-based position in the UB's steps
    step: Step

    @property
    def message(self) -> str:
        return self.step.message


class NodePlan:
    """What one node sends and checks, read from the UB catalogue."""

    def __init__(self, node_id: str, blocks: dict[str, UtilityBlock]):
        self.node = node_id
        self.blocks = blocks
        # the data set of a (message, event, sender, receiver) is looked up for every message sent and received
        self._rules: dict[tuple, DataSetRules | None] = {}
        # and the UBs governing it, for every message sent
        self._governing: dict[tuple[str, str | None, str, str], list[UtilityBlock]] = {}

    @classmethod
    def load(cls, node_id: str, directory: Path | str | None = None) -> NodePlan:
        return cls(node_id, blocks_in(str(directory) if directory else None))

    def roles(self, ub: UtilityBlock) -> list[str]:
        return [r.id for r in ub.business_process.roles if plays(self.node, ub, r.id)]

    def _steps(self) -> Iterable[Send]:
        for ub in self.blocks.values():
            for i, step in enumerate(ub.business_process.steps, 1):
                if step.message != ACKNOWLEDGEMENT:
                    yield Send(ub, i, step)

    @staticmethod
    def _once(sends: Iterable[Send]) -> list[Send]:
        seen: dict[str, Send] = {}
        for s in sends:
            seen.setdefault(s.message, s)
        return list(seen.values())

    def on_event(self, event: str, can_build: Iterable[str] | None = None) -> list[Send]:
        """Steps fired by ``event`` from a role this node plays, for the messages it can build (every message if None:
        a customs node also sends documents lodged for the consignment, so it asks for all and skips what it lacks)."""
        can = None if can_build is None else set(can_build)
        return self._once(
            s
            for s in self._steps()
            if s.step.event == event and (can is None or s.message in can) and plays(self.node, s.ub, s.step.from_role)
        )

    def to_agency(self, send: Send) -> bool:
        """Whether a step's receiver is an agency role (not a customs administration)."""
        role = send.ub.business_process.role(send.step.to_role)
        return role is not None and role.kind == "agency"

    def continuing(self, event: str, received: str) -> list[Send]:
        """Steps on ``event`` that carry on an exchange in which this node received ``received``: sent from the
        role that received it, in the same UB (the ``to`` role is then played by that message's sender when the
        UB says so)."""
        out = []
        for ub in self.blocks.values():
            steps = ub.business_process.steps
            receiving = {s.to_role for s in steps if s.message == received and plays(self.node, ub, s.to_role)}
            out += [
                Send(ub, i, s)
                for i, s in enumerate(steps, 1)
                if s.event == event and s.message != ACKNOWLEDGEMENT and s.from_role in receiving
            ]
        return self._once(out)

    def governing(self, message: str, trigger: str | None, sender: str, receiver: str) -> list[UtilityBlock]:
        """The UBs that may govern ``message`` from ``sender`` to ``receiver`` on ``trigger`` (any event if None)."""
        key = (message, trigger, sender, receiver)
        found = self._governing.get(key)
        if found is None:
            found = self._governing[key] = [
                ub
                for ub in self.blocks.values()
                if any(
                    s.message == message
                    and (trigger is None or s.event == trigger)
                    and plays(sender, ub, s.from_role)
                    and plays(receiver, ub, s.to_role)
                    for s in ub.business_process.steps
                )
            ]
        return found

    def conversations(
        self, message: str, trigger: str | None, receiver: str, had: Callable[[], Collection[str]]
    ) -> list[str]:
        """The ids of the UBs whose conversations ``message`` from this node to ``receiver`` on ``trigger`` belongs
        to: the one governing it; of several, those of which ``had()`` (the types this node exchanged with
        ``receiver`` about the consignment, asked only then) holds another message."""
        governing = self.governing(message, trigger, self.node, receiver)
        if len(governing) <= 1:
            return [ub.id for ub in governing]
        exchanged = set(had())
        return [ub.id for ub in governing if exchanged & (set(ub.messages()) - {message, ACKNOWLEDGEMENT})]

    def rules(
        self, message: str, trigger: str | None, sender: str, receiver: str, utility_block: str | None = None
    ) -> DataSetRules | None:
        """The data set a message must keep to; None when no UB constrains it."""
        key = (message, trigger, sender, receiver, utility_block)
        if key not in self._rules:
            if utility_block is not None and utility_block in self.blocks:
                self._rules[key] = data_set.rules_for(self.blocks[utility_block], message)
            else:
                self._rules[key] = data_set.merge(message, self.governing(message, trigger, sender, receiver))
        return self._rules[key]

    def outgoing(
        self, message: str, payload: bytes, trigger: str | None, to: str, utility_block: str | None = None
    ) -> bytes:
        """``payload`` reduced to the data set of the UB(s) governing it (data minimisation)."""
        return data_set.minimise(payload, self.rules(message, trigger, self.node, to, utility_block))

    def incoming(self, message: str, root: etree._Element, trigger: str | None, sender: str) -> list[Issue]:
        """UB301/UB302 issues of a received document against the UB(s) governing it."""
        return data_set.check(root, self.rules(message, trigger, sender, self.node))
