"""Play one Utility Block's business process between real nodes, step by step.

A UB file says who sends what to whom on which event. The player makes it
happen on one transport: roles are cast onto customs nodes (one per country)
and agency nodes (``<country>-<kind>``); for each step the node playing the
``from`` role sends a realistic instance of the step's message (the catalogue's
generator, made consistent across the conversation: one consignment
reference, the certificate a verification request names is the one sent
before, the answer names that request) to the node playing ``to``, which
validates and acknowledges it through its inbox. The sending node reduces the
instance to the UB's data set first (data minimisation), and the receiver checks
it against that data set, as in any exchange. The player waits for the
acknowledgement to come back (the sender's ``ack_received`` / ``nack_received``
interop record) and yields a :class:`StepOutcome`. A UB step whose message is
``Acknowledgement`` is not sent by the player: it is the receiver's answer to
the step before, and its outcome reports that acknowledgement.

Two hooks serve workshop mode (:mod:`seedsim.runners.workshop`) and leave a plain
``play()`` unchanged: ``before_send`` is awaited with each message as it is about
to leave (an :class:`Outgoing`), so a trainer can show it and wait for the room;
``fault="nack"`` breaks the first message that can be broken against its UB's
data set (:mod:`seedsim.runners.broken_messages`), so its receiver answers with a
negative acknowledgement, whose errors the outcome carries (``ack_errors``).
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from lxml import etree

from seedsim.bootstrap import running_network
from seedsim.config import AgencyConfig, AgencyKind, BorderCrossing, NodeConfig, agency_id
from seedsim.core.identifiers import random_mrn
from seedsim.core.interop import InteropRecord, Stage, decode_interop
from seedsim.core.response import Response
from seedsim.core.topics import DEFAULT_PREFIX, Topics
from seedsim.core.transport import Record, Transport
from seedsim.core.transport.memory import InMemoryBus
from seedsim.core.wco import body_in
from seedsim.message_catalogue import CATALOGUE
from seedsim.messages.origin import REPLY_MONTHS, CertificateReference, add_months
from seedsim.messages.seed import ACKNOWLEDGEMENT
from seedsim.messages.veterinary import ched_for
from seedsim.nodes.agency.agency_node import ISSUES, AgencyNode, certificate_ref, generate_where
from seedsim.nodes.inbox_node import send_from
from seedsim.runners.broken_messages import FAULTS, Breakage, break_message
from seedsim.runners.run_watch import Watch
from seedsim.samples.consignments import ConsignmentGenerator
from seedsim.samples.crossings import DEMO_CROSSINGS
from seedsim.utility_blocks import node_plan
from seedsim.utility_blocks.model import Element, Step, UtilityBlock


@dataclass
class StepOutcome:
    index: int  # 1-based position in the UB's steps
    step: Step
    sender: str  # node ids
    receiver: str
    message_id: str | None
    valid: bool
    acked: bool
    errors: list[str] = field(default_factory=list)
    payload: bytes | None = field(default=None, repr=False)
    #: the data-set elements of this step's message, with their values in this instance
    values: list[tuple[Element, list[str]]] = field(default_factory=list)
    latency_ms: float | None = None
    #: for an Acknowledgement step: the step it acknowledges
    answers: int | None = None
    #: a negative acknowledgement (03) came back (for an Acknowledgement step: it is one)
    nacked: bool = False
    #: the errors the acknowledgement carries: (rule id, what to fix)
    ack_errors: list[tuple[str, str]] = field(default_factory=list)
    #: how this step's message was broken on purpose (``Player(fault="nack")``)
    broken: Breakage | None = None

    @property
    def ok(self) -> bool:
        return self.valid and self.acked and not self.errors


# -- casting roles onto nodes ---------------------------------------------------------------------


def agency_kind(ub: UtilityBlock, role_id: str) -> AgencyKind:
    """The kind of agency node that plays a role (the nodes' own rule, :func:`.node_plan.agency_kind`)."""
    return AgencyKind(node_plan.agency_kind(ub, role_id))


def cast_roles(ub: UtilityBlock, country_a: str, country_b: str) -> dict[str, str]:
    """Role id -> node id. The first step goes from country A to country B; a customs role takes the country
    no other customs role holds, an agency role the country of the node it first deals with."""
    bp = ub.business_process
    kind = {r.id: r.kind for r in bp.roles}
    country: dict[str, str] = {}
    first = bp.steps[0]
    country[first.from_role] = country_a
    country.setdefault(
        first.to_role,
        country_b if kind[first.to_role] == "customs" or kind[first.from_role] == "customs" else country_a,
    )
    for step in bp.steps[1:]:
        for role, other in ((step.from_role, step.to_role), (step.to_role, step.from_role)):
            if role in country:
                continue
            if kind[role] == "customs":
                held = {country[r] for r in country if kind[r] == "customs"}
                country[role] = next((c for c in (country_a, country_b) if c not in held), country_a)
            elif other in country:
                country[role] = country[other]
    for r in bp.roles:  # a role no step uses
        country.setdefault(r.id, country_a)
    return {r: (c if kind[r] == "customs" else agency_id(c, agency_kind(ub, r))) for r, c in country.items()}


@dataclass
class Cast:
    ub: UtilityBlock
    roles: dict[str, str]  # role -> node id
    nodes: dict[str, Any]  # node id -> CustomsNode | AgencyNode
    transport: Transport


@asynccontextmanager
async def cast_nodes(
    ub: UtilityBlock,
    country_a: str = "RS",
    country_b: str = "ME",
    transport: Transport | None = None,
    db_dir: Path | None = None,
    seed: int = 42,
    watch: Watch | None = None,
) -> AsyncIterator[Cast]:
    """Start the nodes a UB needs (each accepting the others as partners) on ``transport`` (default: a fresh
    in-process bus), with ``watch`` (an observer such as the monitor) subscribed first and caught up at the end."""
    roles = cast_roles(ub, country_a.upper(), country_b.upper())
    ids = sorted(set(roles.values()))
    configs: list[NodeConfig | AgencyConfig] = [
        AgencyConfig(node=node_id, partners=[n for n in ids if n != node_id], seed=seed + i)
        if "-" in node_id
        else NodeConfig(node=node_id, partners=[n for n in ids if n != node_id], crossings=DEMO_CROSSINGS)
        for i, node_id in enumerate(ids)
    ]
    transport = transport or InMemoryBus()
    settle = watch(transport, Topics(DEFAULT_PREFIX), ids) if watch else None
    async with running_network(configs, transport, db_dir=db_dir) as network:
        yield Cast(ub, roles, network.nodes, transport)
        if settle is not None:
            await settle()


# -- reading values out of an instance ------------------------------------------------------------


def values_at(payload: bytes, path: str, limit: int | None = 3) -> list[str]:
    """Text of the elements at a UB data-set path (local names from the message's element; ``/@x`` for an attribute).

    An element whose value is in child elements (``IssueDateTime/DateTimeString``) gives their text.
    """
    root = etree.fromstring(payload)
    body = body_in(root)
    nodes = [root if body is None else body]
    for part in path.strip("/").split("/")[1:]:
        if part.startswith("@"):
            return [n.get(part[1:]) for n in nodes if n.get(part[1:]) is not None][:limit]
        nodes = [c for n in nodes for c in n if isinstance(c.tag, str) and etree.QName(c).localname == part]
    texts = (" ".join("".join(n.itertext()).split()) for n in nodes)
    return [t for t in texts if t][:limit]


def data_set_values(ub: UtilityBlock, message: str, payload: bytes | None) -> list[tuple[Element, list[str]]]:
    ds = next((d for d in ub.data_set if d.message == message), None)
    if ds is None:
        return []
    return [(el, values_at(payload, el.path, limit=None) if payload else []) for el in ds.elements]


def ack_errors(ack: Record | None) -> list[tuple[str, str]]:
    """(rule id, what to fix) of each Error an acknowledgement record carries."""
    if ack is None:
        return []
    response = Response.from_root(etree.fromstring(ack.value))
    return [(e.validation_code or "?", e.description or "") for e in response.errors]


# -- instances consistent across a conversation ---------------------------------------------------

#: where a document says which country sends it and which receives it, so it can be drawn for the cast
COUNTRIES = {
    "CertificateOfOrigin": lambda d: (d.origin_country_code, d.destination_country_code),
    "OriginVerificationRequest": lambda d: (
        d.requesting_authority.address.country_code,
        d.requested_authority.address.country_code,
    ),
    "OriginVerificationResponse": lambda d: (d.responding_authority.address.country_code, None),
    "PhytosanitaryCertificate": lambda d: (d.consignment.export_country.id, d.consignment.import_country.id),
    "VeterinaryCertificate": lambda d: (d.consignment.export_country.id, d.consignment.import_country.id),
    "CertificateOfPharmaceuticalProduct": lambda d: (d.exporting_country_id, d.importing_country_id),
}


def _country(node_id: str) -> str:
    return node_id.split("-")[0]


def export_data(rng: random.Random, exit_country: str, entry_country: str):
    """Exit data for a crossing from ``exit_country`` to ``entry_country`` (R111: the office of exit is the sender's)."""
    crossing = next(
        (c for c in DEMO_CROSSINGS if c.exit_office[:2] == exit_country and c.entry_office[:2] == entry_country), None
    ) or BorderCrossing(
        name=f"{exit_country}-{entry_country}",
        exit_office=f"{exit_country}000100",
        entry_office=f"{entry_country}000100",
    )
    c = ConsignmentGenerator(rng.randrange(2**31), crossing).make(rng.randint(1, 9_999_999))
    return c.export.model_copy(update={"mrn": random_mrn(rng, datetime.now(UTC).year, exit_country, "A")})


def verification_request_for(request: Any, cert: Any) -> Any:
    """``request`` made to name ``cert``, asked a month after it was issued and due within the PEM time limit (ORG123)."""
    asked = max(date.fromisoformat(request.issue_date), date.fromisoformat(cert.issue_date) + timedelta(days=30))
    return request.model_copy(
        update={
            "certificate": CertificateReference(
                id=cert.id,
                type_code=cert.type_code,
                issue_date=cert.issue_date,
                issuing_country_code=cert.origin_country_code,
            ),
            "issue_date": asked.isoformat(),
            "response_due_date": add_months(asked, REPLY_MONTHS).isoformat(),
        }
    )


class Conversation:
    """What the steps so far sent, so later steps refer to it."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.docs: dict[str, Any] = {}
        self.first_message_id: str | None = None
        self.correlation_id = uuid.uuid4().hex
        self.subject: str | None = None

    def instance(self, message: str, sender: str, receiver: str) -> Any:
        if message in self.docs and message in ("ExportData", "TIRCarnet", "TransitDeclaration", "ATACarnet"):
            return self.docs[message]  # the same declaration or carnet announced again on the next event
        mt = CATALOGUE.by_name[message]
        if message == "ExportData":
            doc = export_data(self.rng, _country(sender), _country(receiver))
        elif message == "TransitDeclaration":  # exchanged under the MRN the office of departure issued
            doc = mt.generate(self.rng).model_copy(
                update={"mrn": random_mrn(self.rng, datetime.now(UTC).year, _country(sender), "J")}
            )
        elif message in COUNTRIES:
            want = (_country(sender), _country(receiver))
            doc = generate_where(
                mt,
                self.rng,
                lambda d: all(w == g for w, g in zip(want, COUNTRIES[message](d), strict=False) if g is not None),
            )
        else:
            doc = mt.generate(self.rng)
        doc = self._refer(message, doc)
        self.docs[message] = doc
        return doc

    def _refer(self, message: str, doc: Any) -> Any:
        cert, req = self.docs.get("CertificateOfOrigin"), self.docs.get("OriginVerificationRequest")
        if message == "OriginVerificationRequest" and cert is not None:
            return verification_request_for(doc, cert)
        if message == "OriginVerificationResponse" and req is not None:
            return doc.model_copy(
                update={
                    "request_id": req.id,
                    "request_date": req.issue_date,
                    "certificate": req.certificate,
                    "issue_date": max(doc.issue_date, req.issue_date),
                }
            )
        if message == "CommonHealthEntryDocument" and "VeterinaryCertificate" in self.docs:
            # the CHED of the consignment the certificate sent before covers, notified after it was issued
            cert = self.docs["VeterinaryCertificate"]
            issued = datetime.fromisoformat(cert.document.issue_date_time.date_time_string)
            return ched_for(cert, self.rng.randint(1, 9_999_999), issued + timedelta(hours=6))
        if message == "EntryConfirmation" and self.first_message_id:
            return doc.model_copy(update={"in_reply_to": self.first_message_id})
        return doc

    def subject_for(self, doc: Any) -> str:
        if self.subject is None:
            ref = getattr(doc, "ucr", None)
            try:
                ref = ref or certificate_ref(doc)
            except AttributeError:
                ref = None
            self.subject = ref if isinstance(ref, str) and ref else self.correlation_id
        return self.subject


# -- watching the interop records and the acknowledgements ----------------------------------------


#: what a receiver writes about a message in the transaction that handles it (one interop batch): its verdict
RECEIVER_VERDICTS = frozenset({Stage.VALID, Stage.INVALID, Stage.ACKED, Stage.NACKED, Stage.DEAD_LETTERED})


class Watcher:
    """Reads the interop topic and the cast's inboxes (its own consumer group): what the player waits on."""

    def __init__(self, cast: Cast):
        self.interop: list[InteropRecord] = []
        self.acks: dict[str, Record] = {}  # acknowledged message id -> the acknowledgement record
        self._changed = asyncio.Event()
        some = next(iter(cast.nodes.values()))
        topics = [some.topics.interop] + [some.topics.inbox(n) for n in cast.nodes]
        cast.transport.subscribe(
            topics, group=f"{some.topics.prefix}-ubplayer-{uuid.uuid4().hex[:8]}", handler=self._on
        )

    async def _on(self, records) -> None:
        for r in records:
            if r.topic.endswith(".interop"):
                self.interop.extend(decode_interop(r.value))
            elif r.header("ce_type") == ACKNOWLEDGEMENT.ce_type and r.header("ce_causationid"):
                self.acks[r.header("ce_causationid")] = r
        self._changed.set()

    def about(self, message_id: str) -> list[InteropRecord]:
        return [r for r in self.interop if r.message_id == message_id]

    async def until_answered(self, message_id: str, sender: str, receiver: str, timeout: float) -> list[InteropRecord]:
        """The interop records about ``message_id`` once both ends have told: the receiver's verdict and the sender's
        receipt of the answer. They come in two nodes' batches, keyed by node, so on separate partitions: the
        sender's may be read first (or after ``timeout``: what there is)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            recs = self.about(message_id)
            if (
                message_id in self.acks
                and any(r.node == sender and r.stage in (Stage.ACK_RECEIVED, Stage.NACK_RECEIVED) for r in recs)
                and any(r.node == receiver and r.stage in RECEIVER_VERDICTS for r in recs)
            ):
                return recs
            self._changed.clear()
            left = deadline - loop.time()
            if left <= 0:
                return recs
            try:
                await asyncio.wait_for(self._changed.wait(), left)
            except TimeoutError:
                pass


# -- the player -----------------------------------------------------------------------------------


@dataclass
class Outgoing:
    """A step's message as its sender is about to send it (what ``before_send`` is shown)."""

    index: int
    step: Step
    sender: str
    receiver: str
    payload: bytes  # as it will leave the sender: minimised to the UB's data set, or broken on purpose
    values: list[tuple[Element, list[str]]]
    broken: Breakage | None = None


BeforeSend = Callable[[Outgoing], Awaitable[None]]


class Player:
    def __init__(self, cast: Cast, seed: int = 42, timeout: float | None = None, fault: str | None = None):
        if fault is not None and fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}: one of {', '.join(FAULTS)}")
        self.cast = cast
        self.ub = cast.ub
        self.timeout = timeout if timeout is not None else min(self.ub.exchange.timeout_s, 30.0)
        self.conversation = Conversation(random.Random(seed))
        #: break one message on purpose (the first that can be), until one was
        self.fault = fault

    def _prepare(self, index: int, step: Step, sender: str, receiver: str) -> tuple[Outgoing, Any]:
        """The step's document and its message as it will leave ``sender``."""
        node, mt = self.cast.nodes[sender], CATALOGUE.by_name[step.message]
        doc = self.conversation.instance(step.message, sender, receiver)
        full = mt.write(doc)
        if isinstance(node, AgencyNode) and ISSUES.get(node.kind) == step.message:
            payload = node.outgoing(mt, full, receiver)  # as the agency's issue sends it
        else:  # the node's national system hands over the full document; the node sends the UB's data set only
            payload = node.outgoing(mt, full, receiver, trigger=step.event, utility_block=self.ub.id)
        broken = None
        if self.fault == "nack":
            plan = getattr(self.cast.nodes[receiver], "plan", None)  # what the receiver checks it against
            rules = plan.rules(step.message, step.event, sender, receiver) if plan is not None else None
            found = break_message(rules, full, payload)
            if found is not None:
                (payload, broken), self.fault = found, None
        values = data_set_values(self.ub, step.message, payload)
        return Outgoing(index, step, sender, receiver, payload, values, broken), doc

    async def _send(self, out: Outgoing, doc: Any) -> str:
        """Send the prepared message; its message id."""
        conv = self.conversation
        node, mt = self.cast.nodes[out.sender], CATALOGUE.by_name[out.step.message]
        subject = conv.subject_for(doc)
        if out.broken is None and isinstance(node, AgencyNode) and ISSUES.get(node.kind) == out.step.message:
            # the agency keeps a record; the certificate travels in the conversation (one trace per played UB)
            sent = await node.issue(out.receiver, consignment=subject, doc=doc, correlation_id=conv.correlation_id)
            return str(sent["message_id"])
        env = await send_from(
            node,
            mt,
            out.payload,
            out.receiver,
            minimise=out.broken is None,  # a faulty sender's message goes as it is
            subject=subject,
            correlation_id=conv.correlation_id,
            trigger=out.step.event,
            ubs=(self.ub.id,),  # the conversation played is this UB's
        )
        return env.id

    async def play(self, before_send: BeforeSend | None = None) -> AsyncIterator[StepOutcome]:
        """Each step's outcome in turn; ``before_send`` is awaited with each message just before it is sent."""
        watcher = Watcher(self.cast)
        previous: StepOutcome | None = None
        for index, step in enumerate(self.ub.business_process.steps, 1):
            sender, receiver = self.cast.roles[step.from_role], self.cast.roles[step.to_role]
            if step.message == ACKNOWLEDGEMENT.name:
                yield self._acknowledgement(index, step, sender, receiver, previous, watcher)
                continue
            out, doc = self._prepare(index, step, sender, receiver)
            if before_send is not None:
                await before_send(out)
            message_id = await self._send(out, doc)
            self.conversation.first_message_id = self.conversation.first_message_id or message_id
            recs = await watcher.until_answered(message_id, sender, receiver, self.timeout)
            previous = answered(index, step, sender, receiver, message_id, recs, f"within {self.timeout:g} s")
            previous.payload, previous.values, previous.broken = out.payload, out.values, out.broken
            previous.ack_errors = ack_errors(watcher.acks.get(message_id))
            yield previous

    def _acknowledgement(
        self, index: int, step: Step, sender: str, receiver: str, previous: StepOutcome | None, watcher: Watcher
    ) -> StepOutcome:
        ack = watcher.acks.get(previous.message_id or "") if previous is not None else None
        return acknowledgement_step(self.ub, index, step, sender, receiver, previous, ack, ack is not None)


# -- a step's outcome, from the interop records about its message ----------------------------------


def answered(
    index: int, step: Step, sender: str, receiver: str, message_id: str, recs: list[InteropRecord], waited: str
) -> StepOutcome:
    """The outcome of a step whose message ``message_id`` went ``sender`` -> ``receiver``, read from the interop
    records about it (``recs``): accepted by the receiver, answered to the sender; ``waited``: how long an answer
    was awaited (``within 30 s``), for the error when none came."""
    answer = next((r for r in recs if r.node == sender and r.stage in (Stage.ACK_RECEIVED, Stage.NACK_RECEIVED)), None)
    invalid = [r for r in recs if r.node == receiver and r.stage == Stage.INVALID]
    errors = [e for r in invalid for e in (r.detail or r.result or "invalid").split("; ")]
    if answer is None:
        errors.append(f"no acknowledgement from {receiver} {waited}")
    return StepOutcome(
        index=index,
        step=step,
        sender=sender,
        receiver=receiver,
        message_id=message_id,
        valid=any(r.node == receiver and r.stage == Stage.VALID for r in recs),
        acked=answer is not None and answer.stage == Stage.ACK_RECEIVED,
        errors=errors,
        latency_ms=answer.latency_ms if answer else None,
        nacked=answer is not None and answer.stage == Stage.NACK_RECEIVED,
    )


def not_played(index: int, step: Step, sender: str, receiver: str, why: str) -> StepOutcome:
    """The outcome of a step that sent nothing, and why."""
    return StepOutcome(index, step, sender, receiver, None, False, False, [why])


def acknowledgement_step(
    ub: UtilityBlock,
    index: int,
    step: Step,
    sender: str,
    receiver: str,
    previous: StepOutcome | None,
    ack: Record | None,
    arrived: bool,
) -> StepOutcome:
    """The outcome of a step whose message is ``Acknowledgement``: the answer to the step before (``previous``);
    ``ack``: the acknowledgement as its receiver got it, when known; ``arrived``: whether it arrived."""
    if previous is None:
        return not_played(
            index, step, sender, receiver, "an Acknowledgement step answers a step before it; there is none"
        )
    errors = list(previous.errors)
    if (sender, receiver) != (previous.receiver, previous.sender):
        errors.append(
            f"the UB has {sender} acknowledge to {receiver}, but step {previous.index} went {previous.sender} -> {previous.receiver}"
        )
    return StepOutcome(
        index=index,
        step=step,
        sender=previous.receiver,
        receiver=previous.sender,
        message_id=ack.header("ce_id") if ack else None,
        valid=previous.valid and arrived,
        acked=previous.acked,
        errors=errors,
        payload=ack.value if ack else None,
        values=data_set_values(ub, step.message, ack.value if ack else None),
        latency_ms=previous.latency_ms,
        answers=previous.index,
        nacked=previous.nacked,
        ack_errors=list(previous.ack_errors),
    )


def steps_in_records(
    ub: UtilityBlock, roles: dict[str, str], plays: int, records: list[InteropRecord]
) -> list[StepOutcome]:
    """The outcomes of ``plays`` plays of ``ub`` (cast as ``roles``) read back from a run's interop records alone
    (a trace): each step's message is the next one, in time, its sender sent of the step's type and event to the
    step's receiver. What the records do not carry (the payloads, the acknowledgement's errors) is left empty."""
    about: dict[str, list[InteropRecord]] = {}
    for r in records:
        if r.message_id:
            about.setdefault(r.message_id, []).append(r)
    sent = sorted((r for r in records if r.stage == Stage.SENT and r.message_id), key=lambda r: r.ts)
    used: set[str] = set()
    outcomes: list[StepOutcome] = []
    for _play in range(plays):
        previous: StepOutcome | None = None
        for index, step in enumerate(ub.business_process.steps, 1):
            sender, receiver = roles[step.from_role], roles[step.to_role]
            if step.message == ACKNOWLEDGEMENT.name:
                # the sender's ack_received / nack_received record says the acknowledgement arrived
                arrived = previous is not None and (previous.acked or previous.nacked)
                outcomes.append(acknowledgement_step(ub, index, step, sender, receiver, previous, None, arrived))
                continue
            found = next(
                (
                    r
                    for r in sent
                    if r.message_id not in used
                    and (r.node, r.receiver, r.message_type) == (sender, receiver, step.message)
                    and r.event in (None, step.event)
                ),
                None,
            )
            if found is None or found.message_id is None:
                previous = not_played(
                    index, step, sender, receiver, f"no {step.message} sent by {sender} in the records"
                )
            else:
                used.add(found.message_id)
                previous = answered(
                    index, step, sender, receiver, found.message_id, about[found.message_id], "in the records"
                )
            outcomes.append(previous)
    return outcomes
