"""The inbox mechanics every seedsim node shares, whatever it does with a valid message.

A node reads its inbox topic in batches and, for each record, in one SQLite
transaction: checks the CloudEvents envelope, drops a redelivered ``ce_id``,
checks sender, recipient and type against the message catalogue it was handed
(by :mod:`seedsim.bootstrap`), validates the payload (hardened parser, XSD,
business rules: :func:`seedsim.core.validation.check_bytes`), answers with a positive or
negative acknowledgement, dead-letters what it refused, records every stage as
an interop record, and then lets the subclass act on the valid document
(:meth:`InboxNode.handle`). What the transaction queued (the outbox) is sent
after the commit; an internal failure is retried, then dead-lettered (I401).

No record jams the inbox. Every answer and dead-letter copy fits a broker's size
limit by construction (:mod:`seedsim.core.record_bounds`): header fields are
bounded, a large value is dead-lettered by reference (digest and size), and a
negative acknowledgement goes only to a sender that can be answered (a partner,
or a country's customs node) on a legal topic name. A record the node can
neither handle nor dead-letter is parked (the store's ``parked`` table), and so
is an outbox row the transport refuses for good; the inbox moves on. When the
store cannot write, the handler raises, so the transport commits nothing and
delivers the records again once it can. :meth:`InboxNode.health` says what
keeps the node from working (``GET /health`` answers 503 with it).

The same ``ce_id`` with the same payload is a redelivery (ignored, interop
``duplicate``); with another payload it is a conflicting duplicate, refused
(F306) with a negative acknowledgement naming the first message and a dead
letter: a corrected resend carries a new id.

These are the customs node's rules, extracted so that agency nodes behave the
same on the wire. :func:`send_from` lets anything send a message *as* a node
(logged in its message log, so the acknowledgement is matched to it), and
writes it to the driver topic as a ``send`` action (:mod:`.driver_records`);
:meth:`InboxNode.driven` is how a node writes any other action that drove it.

A node with a Utility Block plan (``plan``, a
:class:`seedsim.utility_blocks.node_plan.NodePlan`) keeps to the UBs' data
sets both ways: what it sends goes through :meth:`InboxNode.outgoing` (elements
outside the data set are stripped), and what it receives is checked against
the data set after the schema and the business rules (UB301: an element
outside it, UB302: a minimum element missing), refused like any invalid message.

Every message a node sends names the Utility Blocks whose conversations it belongs to
(``ce_seedsimubs``: given by whoever knows, else :meth:`InboxNode.conversations` from the plan);
an acknowledgement and any answer carry those of the message they answer. Every interop record
about a message names them (``ubs``): the receiver's from the header it read, the sender's of an
acknowledgement from its own message log, so a receiver that does not echo the attribute changes
nothing. A record nobody proved the sender of (F310-F315) names none.

A node keeps handled ids for its idempotency window and its message log for a retention
(:mod:`seedsim.core.retention`): :meth:`InboxNode.purge` deletes what is older, every ``retention.every_s``
seconds while it runs, in batched transactions on the store's thread (the event loop never waits on it);
``GET /metrics`` counts the rows purged. A redelivery within the window is still a duplicate.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any

from seedsim.conformance import Desk, DocumentReport, sender_of, unknown_document, validate_document
from seedsim.core.codes import countries
from seedsim.core.envelope import UBS_HEADER, Envelope, EnvelopeError, HeaderTooLong, read_ubs
from seedsim.core.interop import InteropBatch, InteropRecord, Stage, decode_interop, emit_to_log, traced
from seedsim.core.interop import log as interop_log
from seedsim.core.message_signing import DEFAULT_SKEW, SignatureCheck, Signer
from seedsim.core.message_type import MessageCatalogue, MessageType
from seedsim.core.network_keys import NetworkKeys, development_keys
from seedsim.core.node_store import NodeStore
from seedsim.core.record_bounds import (
    MAX_ANSWER_ISSUES,
    MAX_COPIED_HEADERS_BYTES,
    MAX_DEAD_LETTER_VALUE,
    MAX_HEADER_BYTES,
    MAX_ISSUE_CHARS,
    cut,
    digest,
    legal_topic,
    unsendable,
)
from seedsim.core.response import Response, acknowledgement
from seedsim.core.retention import Retention
from seedsim.core.sqlite_store import Tx
from seedsim.core.topics import Topics
from seedsim.core.trace_context import TraceContext, message_span_id
from seedsim.core.transport import Record, Transport
from seedsim.core.validation import (
    Issue,
    RuleContext,
    ValidationReport,
    check_bytes,
    compiled_schema,
    parse_checked,
)
from seedsim.core.wco import MetaData
from seedsim.core.xml_safety import XmlLimits
from seedsim.messages.seed import ACKNOWLEDGEMENT
from seedsim.nodes import refusal
from seedsim.nodes.driver_records import SEND, DriverAction
from seedsim.nodes.node_metrics import DEAD_LETTER_FAILED, ILLEGAL_TOPIC, TOO_LARGE, TRANSPORT_REFUSED, NodeMetrics
from seedsim.nodes.refusal import Refusal, Why

log = logging.getLogger("seedsim.node")

HANDLER_RETRIES = 3
#: how often a worker looks for outbox rows left by a worker process that is gone (seedsim node --workers)
TAKE_OVER_EVERY_S = 1.0
#: how long sending may keep failing before GET /health says the node is stuck
STUCK_AFTER_S = 30.0


class StoreUnavailable(RuntimeError):
    """The node's store cannot write: the inbox handler raises it so that the transport commits nothing."""


def refused_for_good(exc: BaseException) -> bool:
    """Whether the transport says sending again will never help (a broker's non-retriable error: too large,
    an invalid topic), as opposed to a broker that is away for now."""
    return getattr(exc, "retriable", True) is False


def answer_issues(errors: list[Issue]) -> list[Issue]:
    """The issues an acknowledgement lists: at most MAX_ANSWER_ISSUES, each cut to MAX_ISSUE_CHARS, so it fits."""

    def short(text: str | None) -> str | None:
        return text if text is None or len(text) <= MAX_ISSUE_CHARS else text[: MAX_ISSUE_CHARS - 3] + "..."

    return [
        replace(i, message=short(i.message) or "", value=short(i.value), pointer=short(i.pointer))
        for i in errors[:MAX_ANSWER_ISSUES]
    ]


#: the events a message is sent on (ce_trigger)
TRIGGERS = ("PRE_ARRIVAL", "EXIT", "ENTRY")
#: the source named in a report of a document posted to a node
REQUEST = "request"


def now_utc() -> datetime:
    return datetime.now(UTC)


def iso(t: datetime) -> str:
    return t.isoformat()


@dataclass
class Outcome:
    """What handling an inbox record decided, for the log and the caller."""

    stage: str
    issues: list[Issue] = field(default_factory=list)


def interop_record(tx: Tx, topics: Topics, node: str, stage: Stage, **kw: Any) -> None:
    """Write an interop record in ``tx``: gathered with the transaction's others into one batch record of the
    interop topic, queued in the outbox when it commits (:class:`seedsim.core.interop.InteropBatch`)."""
    tx.gather(InteropBatch(topics.interop, node), InteropRecord(node=node, stage=stage, **kw))


def inbox_record(topics: Topics, env: Envelope, payload: bytes, signer: Signer | None) -> Record:
    """The record of a message to ``env.recipient``'s inbox, signed by its sender (unsigned: signing is off)."""
    headers = tuple(env.to_headers())
    return Record(
        topic=topics.inbox(env.recipient or ""),
        key=(env.subject or "").encode() or None,
        value=payload,
        headers=signer.sign(headers, payload) if signer else headers,
    )


def send_tx(
    tx: Tx,
    node: str,
    topics: Topics,
    store: Any,
    env: Envelope,
    payload: bytes,
    mt: MessageType,
    parent_span_id: str | None = None,
    *,
    signer: Signer | None,
) -> None:
    """Queue ``payload`` for ``env.recipient``'s inbox signed by ``signer``, log it as sent and write the ``sent``
    interop record (with the span of the message it answers, ``parent_span_id``, when it is an answer)."""
    tx.send(inbox_record(topics, env, payload, signer))
    store.log_message(
        tx, env.id, "out", mt.name, env.recipient, env.subject, env.trigger, None, iso(env.time), payload, env.ubs
    )
    interop_record(
        tx,
        topics,
        node,
        Stage.SENT,
        message_id=env.id,
        correlation_id=env.correlation_id,
        consignment=env.subject,
        sender=node,
        receiver=env.recipient,
        message_type=mt.name,
        event=env.trigger,
        ubs=list(env.ubs),
        **traced(env.trace, parent_span_id),
    )


async def send_from(node: Any, mt: MessageType, payload: bytes, to: str, minimise: bool = True, **kw: Any) -> Envelope:
    """Send ``payload`` as node ``node`` (a customs or agency node: ``.node``, ``.topics``, ``.store``, ``.transport``),
    reduced to its Utility Block data set unless ``minimise`` is False (a faulty sender's message, sent as it is).

    Uses only the node's public parts: one store transaction (message log, outbox,
    interop record), the transport, then the outbox rows are marked sent. ``ubs`` (in ``kw``): the Utility Blocks
    whose conversation it is (the UB player's); else the node's plan says (:meth:`InboxNode.conversations`).
    """
    env = mt.envelope(node.node, to, **kw)
    minimised = minimise and hasattr(node, "outgoing")
    args = {
        "type": mt.name,
        "to": to,
        "payload_b64": base64.b64encode(payload).decode("ascii"),
        "subject": env.subject,
        "correlation_id": env.correlation_id,
        "trigger": env.trigger,
        "as_is": not minimised,
    }
    handed = DriverAction(node.node, SEND, {**args, "ubs": list(env.ubs)} if env.ubs else args)
    if minimised:
        payload = node.outgoing(mt, payload, to, trigger=env.trigger)

    def queue(tx: Tx) -> Envelope:
        sent = env
        if not sent.ubs and hasattr(node, "conversations"):
            sent = replace(env, ubs=node.conversations(tx, mt.name, env.trigger, to, env.subject))
        tx.send(handed.to_record(node.topics))
        send_tx(tx, node.node, node.topics, node.store, sent, payload, mt, signer=node.signer)
        return sent

    sent, outbox = await node.store.transaction(queue)
    await node.transport.send_batch([r for _, r in outbox])
    await node.store.mark_sent([seq for seq, _ in outbox])
    return sent


class InboxNode:
    """A node with an inbox: subclasses set ``country``, implement :meth:`accepts` and :meth:`handle`."""

    #: how the node names itself in WCO metadata (ResponsibleAgencyName)
    agency_name = "seedsim node"
    #: the Utility Block plan (seedsim.utility_blocks.node_plan.NodePlan); None = no data-set rules
    plan: Any = None
    #: national codes this node accepts beyond the shipped code lists (ServiceConfig.code_lists), by list id
    national_codes: Mapping[str, frozenset[str]] = MappingProxyType({})

    def __init__(
        self,
        node: str,
        country: str,
        transport: Transport,
        store: NodeStore,
        catalogue: MessageCatalogue,
        topic_prefix: str = "seedsim",
        max_xml_bytes: int = 4 * 1024 * 1024,
        keys: NetworkKeys | None = None,
        clock_skew: timedelta = DEFAULT_SKEW,
        retention: Retention | None = None,
    ):
        self.node = node
        #: how long handled ids and the message log are kept, and how often the node purges
        self.retention = retention or Retention()
        self._purger: asyncio.Task | None = None
        #: the trust list it verifies with and the key it signs with (default: the process's development keyring)
        self.keys = keys or development_keys()
        self.clock_skew = clock_skew
        self.keys.signer(node)  # a node without a valid key of its own refuses to start, not on its first send
        #: the message types this node knows, handed in by seedsim.bootstrap
        self.catalogue = catalogue
        self.country = country
        self.topics = Topics(topic_prefix)
        self.transport = transport
        self.store = store
        self.limits = XmlLimits(max_bytes=max_xml_bytes)
        self._sent_seqs: list[int] = []
        self._flusher: asyncio.Task | None = None
        self._drainer: asyncio.Task | None = None
        self._taker: asyncio.Task | None = None
        #: records parked since start (the parking table keeps them all), and when the last one was
        self.parked = 0
        self.last_parked_at: str | None = None
        #: what GET /metrics says (seedsim.nodes.node_metrics)
        self.metrics = NodeMetrics(node)
        #: since when, and why, the store cannot write / sending fails (None: it works)
        self._store_down: tuple[datetime, str] | None = None
        self._send_failing: tuple[datetime, str] | None = None
        self.stuck_after_s = STUCK_AFTER_S

    @property
    def signer(self) -> Signer | None:
        """The key this node signs with now: its newest valid one (a rotation takes effect without a restart)."""
        return self.keys.signer(self.node)

    # -- what subclasses decide -------------------------------------------------------------------

    def accepts(self, sender: str) -> bool:
        raise NotImplementedError

    def partners_text(self) -> str:
        return "its partners"

    def handle(self, tx: Tx, env: Envelope, mt: MessageType, doc: Any, now: datetime) -> None:
        """Act on a valid message (after it was marked handled, before it is acknowledged)."""

    def after_ack(self, tx: Tx, sent: dict | None, ack: Response, now: datetime) -> None:
        """A positive or negative acknowledgement of ``sent`` (a message-log row, None if unknown) arrived."""

    # -- lifecycle --------------------------------------------------------------------------------

    async def start(self) -> None:
        await self.store.open()
        for mt in self.catalogue:  # compile every schema now, not on the first message
            compiled_schema(mt.schema)
        await self.transport.ensure_topics(
            [self.topics.inbox(self.node), self.topics.dead_letter(self.node), self.topics.interop]
        )
        # whatever a crash left in the outbox goes out in the background: the node serves /health at once
        self._drainer = asyncio.create_task(self._drain(await self.store.unsent()))
        self.transport.subscribe(
            [self.topics.inbox(self.node)],
            group=f"{self.topics.prefix}-node-{self.node.lower()}",
            handler=self.on_records,
        )
        self._flusher = asyncio.create_task(self._flush_sent_marks())
        self._taker = asyncio.create_task(self._take_over_outbox())
        self._purger = asyncio.create_task(self._purge_every())

    async def stop(self) -> None:
        for task in (self._drainer, self._flusher, self._taker, self._purger):
            if task:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        try:
            await self.store.mark_sent(self._take_sent())
        except Exception as exc:  # those rows are sent again at the next start, and recognised as duplicates
            log.warning("node %s: could not mark sent records at stop: %s", self.node, exc)
        await self.store.close()

    async def _drain(self, outbox: list[tuple[int, Record]]) -> None:
        try:
            await self._dispatch(outbox)
        except Exception as exc:  # the rows stay in the outbox: sent at the next start
            log.error("node %s: draining the outbox failed: %s", self.node, exc)

    async def _take_over_outbox(self) -> None:
        """Send what another worker process of this node queued and could not send before it ended (killed,
        crashed): its rows are taken over once its lock says it is gone (:meth:`SqliteStore.take_over`)."""
        while True:
            await asyncio.sleep(TAKE_OVER_EVERY_S)
            try:
                rows = await self.store.take_over()
            except Exception as exc:  # the store cannot be read now: next round
                log.warning("node %s: looking for a gone worker's outbox failed: %s", self.node, exc)
                continue
            if rows:
                log.warning("node %s: sending %d record(s) a gone worker process left unsent", self.node, len(rows))
                await self._drain(rows)

    # -- retention --------------------------------------------------------------------------------

    async def purge(self) -> dict[str, int]:
        """Delete the handled ids older than the idempotency window and the message-log rows older than the log's
        retention (a message sent still awaiting its acknowledgement: older than the idempotency window too);
        how many rows of each went (also counted in ``GET /metrics``)."""
        now, kept = now_utc(), self.retention
        unanswered = [mt.name for mt in self.catalogue if not mt.acknowledged]
        purged = {
            "handled": await self.store.purge_handled(
                iso(now - timedelta(seconds=kept.idempotency_window_s)), kept.batch
            ),
            "messages": await self.store.purge_messages(
                iso(now - timedelta(seconds=kept.message_log_s)),
                iso(now - timedelta(seconds=kept.awaiting_ack_s)),
                unanswered,
                kept.batch,
            ),
            **await self.purge_records(now),
        }
        for table, n in purged.items():
            self.metrics.count_purged(table, n)
        return purged

    async def purge_records(self, now: datetime) -> dict[str, int]:
        """What a subclass purges besides handled ids and the message log, by table (none here)."""
        return {}

    async def _purge_every(self) -> None:
        """Purge every ``retention.every_s`` seconds, the first time one period after start (a node starts serving
        at once, whatever an old database holds); a failed purge is tried again next time."""
        while True:
            await asyncio.sleep(self.retention.every_s)
            try:
                await self.purge()
            except Exception as exc:
                log.warning(
                    "node %s: purging what is older than the retention failed, retrying later: %s", self.node, exc
                )

    # -- health -----------------------------------------------------------------------------------

    def _store_failing(self, exc: BaseException | None) -> None:
        if exc is None:
            self._store_down = None
        elif self._store_down is None:
            self._store_down = (now_utc(), str(exc) or type(exc).__name__)

    def health(self) -> dict[str, Any]:
        """What keeps this node from working (``problems``; empty: healthy) and its parking counts.

        Unhealthy when the store cannot write (the inbox stopped consuming until it can) or sending has
        failed for longer than ``stuck_after_s`` seconds. Parked records do not make it unhealthy (the inbox
        went on behind them); they are counted here and kept in the store's parking table."""
        problems = []
        if self._store_down is not None:
            since, why = self._store_down
            problems.append(f"the store cannot write since {iso(since)} (inbox paused, nothing committed): {why}")
        self.keys.trust.refresh()  # a file changed while no message came: /health says so all the same
        if self.keys.trust.problem:
            problems.append(f"the trust list file cannot be used: {self.keys.trust.problem}")
        if self._send_failing is not None:
            since, why = self._send_failing
            if (now_utc() - since).total_seconds() > self.stuck_after_s:
                problems.append(f"sending has failed since {iso(since)}: {why}")
        return {
            "problems": problems,
            "parked": self.parked,
            "last_parked_at": self.last_parked_at,
            "outbox_draining": bool(self._drainer and not self._drainer.done()),
        }

    # -- outbox -----------------------------------------------------------------------------------

    def _take_sent(self) -> list[int]:
        seqs, self._sent_seqs = self._sent_seqs, []
        return seqs

    async def _flush_sent_marks(self) -> None:
        """Forget the outbox rows sent, every 0.25 s; a store that cannot write is tried again (never dies)."""
        while True:
            await asyncio.sleep(0.25)
            seqs = self._take_sent()
            if not seqs:
                continue
            try:
                await self.store.mark_sent(seqs)
            except Exception as exc:
                self._sent_seqs[:0] = seqs  # tried again next round
                self._store_failing(exc)
                log.warning("node %s: marking %d record(s) sent failed, retrying: %s", self.node, len(seqs), exc)

    async def _dispatch(self, outbox: list[tuple[int, Record]]) -> None:
        """Send what a committed transaction queued, retrying until the transport takes it (rows stay in the outbox
        until then). A row the transport would refuse for good (too large, an illegal topic name) is parked, not
        retried; a batch refused for good is sent one record at a time to find the row to park."""
        if not outbox:
            return
        doomed = [(seq, r, why) for seq, r in outbox if (why := unsendable(r)) is not None]
        if doomed:
            await self._park_outbox(doomed)
            outbox = [(seq, r) for seq, r in outbox if unsendable(r) is None]
        sent: list[tuple[int, Record]] = []
        chunks = [outbox] if outbox else []
        delay = 0.1
        while chunks:
            chunk = chunks[0]
            try:
                await self.transport.send_batch([r for _, r in chunk])
            except Exception as exc:
                if refused_for_good(exc):
                    if len(chunk) > 1:
                        chunks[0:1] = [[row] for row in chunk]
                    else:
                        await self._park_outbox([(chunk[0][0], chunk[0][1], f"refused by the transport: {exc}")])
                        chunks.pop(0)
                    continue
                if self._send_failing is None:
                    self._send_failing = (now_utc(), str(exc) or type(exc).__name__)
                log.warning(
                    "node %s: sending %d record(s) failed, retrying in %.1fs: %s", self.node, len(chunk), delay, exc
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            self._send_failing = None
            sent.extend(chunk)
            chunks.pop(0)
        self._sent_seqs.extend(seq for seq, _ in sent)
        if interop_log.isEnabledFor(logging.INFO):
            emit_to_log([rec for _, r in sent if r.topic == self.topics.interop for rec in decode_interop(r.value)])

    async def _park_outbox(self, rows: list[tuple[int, Record, str]]) -> None:
        """Move outbox rows that will never be sent to the parking table, and say so: in the log, in the count
        /health shows, and in an interop record sent at once when the transport takes it (it is not queued)."""
        await self.store.park_outbox(rows, iso(now_utc()))
        said = []
        for _seq, record, why in rows:
            log.error("node %s: parked a record for %s (it will not be sent): %s", self.node, record.topic[:100], why)
            said.append(
                InteropRecord(
                    node=self.node,
                    stage=Stage.DEAD_LETTERED,
                    message_id=(record.header("ce_id") or "")[:200] or None,
                    sender=self.node,
                    ubs=list(read_ubs(record.header(UBS_HEADER))),
                    result="parked",
                    detail=f"not sent to {record.topic[:100]}, parked in the node's store: {why}"[:300],
                )
            )
            never = unsendable(record) is not None
            self._count_parked(
                1, (ILLEGAL_TOPIC if not legal_topic(record.topic) else TOO_LARGE) if never else TRANSPORT_REFUSED
            )
        try:
            await self.transport.send_batch(InteropBatch(self.topics.interop, self.node)(said))
        except Exception as exc:  # the log and the parking table still say it
            log.warning("node %s: could not send the interop record of a parked record: %s", self.node, exc)

    def _count_parked(self, n: int, reason: str) -> None:
        self.parked += n
        self.metrics.count_parked(reason, n)
        self.last_parked_at = iso(now_utc())

    async def run(self, fn, *args):
        """Run ``fn(tx, *args)`` in one transaction, then send what it queued."""
        result, outbox = await self.store.transaction(fn, *args)
        await self._dispatch(outbox)
        return result

    def interop(self, tx: Tx, stage: Stage, **kw: Any) -> None:
        interop_record(tx, self.topics, self.node, stage, **kw)

    async def redo(self, action: DriverAction) -> dict[str, Any]:
        """Do again what drove this node (a driver record read from a trace); subclasses add their own actions.
        Every node can send again a message it was handed (``send``: new id, as it was handed)."""
        a = action.args
        if action.action != SEND:
            raise Refusal(Why.CONFLICT, refusal.not_now(f"node {self.node} cannot {action.action}"))
        mt = self.catalogue.by_name[str(a["type"])]
        kw: dict[str, Any] = {k: action.text(k) for k in ("subject", "correlation_id", "trigger")}
        # the UBs it was handed with (a trace recorded before they were kept has none: the plan says)
        kw["ubs"] = tuple(str(u) for u in a.get("ubs") or ())
        payload = base64.b64decode(a["payload_b64"])
        env = await send_from(self, mt, payload, str(a["to"]), minimise=not a.get("as_is"), **kw)
        return {"message_id": env.id}

    def driven(self, tx: Tx, action: str, **args: Any) -> None:
        """Write what drove this node from outside to the driver topic, ahead of what it causes in ``tx``
        (:mod:`.driver_records`): rolled back with the transaction when the node refuses it."""
        tx.send(DriverAction(self.node, action, args).to_record(self.topics))

    def metadata(self, type_name: str) -> MetaData:
        return MetaData(
            wco_type_name=type_name, responsible_country_code=self.country, responsible_agency_name=self.agency_name
        )

    def outgoing(
        self, mt: MessageType, payload: bytes, to: str, trigger: str | None = None, utility_block: str | None = None
    ) -> bytes:
        """``payload`` as it may leave this node: reduced to the data set of the UB(s) governing it (data minimisation)."""
        if self.plan is None:
            return payload
        return self.plan.outgoing(mt.name, payload, trigger, to, utility_block)

    def conversations(self, tx: Tx, message: str, trigger: str | None, to: str, subject: str | None) -> tuple[str, ...]:
        """The Utility Blocks whose conversations a ``message`` to ``to`` about consignment ``subject`` belongs to
        (:meth:`~seedsim.utility_blocks.node_plan.NodePlan.conversations`: for a type several UBs share, those the
        consignment had with ``to`` at this node, from the message log); none without a plan."""
        if self.plan is None:
            return ()

        def had() -> set[str]:
            return self.store.exchanged_types(tx, subject, to) if subject else set()

        return tuple(self.plan.conversations(message, trigger, to, had))

    def send(
        self, tx: Tx, mt: MessageType, payload: bytes, to: str, utility_block: str | None = None, **kw: Any
    ) -> Envelope:
        """Queue a message to node ``to`` inside a transaction (see :func:`send_tx`), minimised to its UB data set,
        naming the UBs it belongs to (``ubs`` in ``kw``, else :meth:`conversations`)."""
        env = mt.envelope(self.node, to, **kw)
        if not env.ubs:
            env = replace(env, ubs=self.conversations(tx, mt.name, env.trigger, to, env.subject))
        payload = self.outgoing(mt, payload, to, env.trigger, utility_block)
        send_tx(tx, self.node, self.topics, self.store, env, payload, mt, signer=self.signer)
        return env

    def reply(self, tx: Tx, env: Envelope, mt: MessageType, payload: bytes, now: datetime) -> Envelope:
        """Answer ``env`` with a message of type ``mt``: same conversation and trace (and UBs: those the plan says
        when ``env`` named none), addressed to its sender."""
        out = replace(env.reply(self.node, mt.ce_type, now), dataschema=mt.schema)
        if not out.ubs:
            out = replace(out, ubs=self.conversations(tx, mt.name, out.trigger, out.recipient or "", out.subject))
        send_tx(
            tx,
            self.node,
            self.topics,
            self.store,
            out,
            self.outgoing(mt, payload, out.recipient or "", out.trigger),
            mt,
            env.span_id,
            signer=self.signer,
        )
        return out

    # -- what the inbox checks, also asked for by POST /validate -------------------------------------

    def unknown_sender(self, sender: str | None) -> Issue:
        return Issue("F301", 301, f"unknown sender {sender!r}: this node exchanges with {self.partners_text()} only")

    def check_received(
        self, payload: bytes, mt: MessageType, sender: str, trigger: str | None
    ) -> tuple[list[Issue], Any]:
        """What the inbox finds wrong in ``payload`` read as ``mt`` from ``sender``: hardened parse, XSD, business
        rules with the sender known, then the Utility Block data set. Returns the issues and the document read."""
        ctx = RuleContext(node_country=self.country, sender=sender, national_codes=self.national_codes)
        report, doc, root = check_bytes(payload, self.limits, mt.schema, mt.read, mt.rules, ctx, mt.name)
        issues = list(report.issues)
        if root is not None and self.plan is not None:
            issues.extend(self.plan.incoming(mt.name, root, trigger, sender))
        return issues, doc

    def exchange_report(self, data: bytes, sender: str | None, trigger: str | None) -> DocumentReport:
        """Whether this node's inbox would accept ``data`` from ``sender`` on ``trigger`` (see :meth:`check_received`);
        the type is read from the document, as ``ce_type`` would name it."""
        root, unreadable = parse_checked(data, self.limits)
        if root is None:
            return DocumentReport(REQUEST, None, unreadable)
        candidates = self.catalogue.detect(root)
        if not candidates:
            return DocumentReport(REQUEST, None, ValidationReport([unknown_document(root, self.catalogue)]))
        mt = candidates[0]
        sender = sender or sender_of(root)
        if not sender:
            raise Refusal(
                Why.MALFORMED,
                refusal.bad_field(
                    f"name the node that sends this {mt.name}: ?sender=... (the document does not say)", "?sender"
                ),
            )
        issues = [] if self.accepts(sender) else [self.unknown_sender(sender)]
        found, _doc = self.check_received(data, mt, sender, trigger)
        return DocumentReport(REQUEST, mt.name, ValidationReport(issues + found))

    async def lodging_report(self, data: bytes) -> DocumentReport:
        """Whether this node's lodging desk would accept ``data``; a node without one refuses the question."""
        raise Refusal(
            Why.MALFORMED,
            refusal.bad_field(
                f"node {self.node} has no lodging desk (it takes documents in its inbox only): use as=exchange",
                "?as",
                "lodging",
            ),
        )

    async def validate_at(
        self, desk: Desk, data: bytes, sender: str | None = None, trigger: str | None = None
    ) -> DocumentReport:
        """The report ``desk`` would give on ``data`` (POST /validate?as=...)."""
        if trigger is not None and trigger not in TRIGGERS:
            raise Refusal(
                Why.MALFORMED,
                refusal.bad_field(f"event must be one of {', '.join(TRIGGERS)}", "?event", trigger),
            )
        if desk is Desk.LODGING:
            return await self.lodging_report(data)
        if desk is Desk.EXCHANGE:
            return await asyncio.to_thread(self.exchange_report, data, sender, trigger)
        return await asyncio.to_thread(validate_document, data, REQUEST, sender, self.limits)

    # -- the inbox --------------------------------------------------------------------------------

    async def on_records(self, records: Sequence[Record]) -> None:
        """Handle a batch in one transaction; a failing record is retried alone, then dead-lettered, else parked.
        Raises :class:`StoreUnavailable` only when the store cannot write: the transport then commits nothing."""
        pending = list(records)
        while pending:
            try:
                _results, outbox, rest = await self.store.transaction_each(self._inbox_tx, pending, now_utc())
            except Exception as exc:
                log.warning(
                    "node %s: batch of %d failed (%s); handling records one by one", self.node, len(pending), exc
                )
                outbox, rest = [], pending
            else:
                self._store_failing(None)
                await self._dispatch(outbox)
                if not rest:
                    return
            await self.on_record(rest[0])
            pending = rest[1:]

    async def on_record(self, record: Record) -> None:
        """Handle one record, retried; then dead-letter it (I401); then park it; if even that fails because the
        store cannot write, raise :class:`StoreUnavailable` (the record is delivered again later)."""
        for attempt in range(1, HANDLER_RETRIES + 1):
            try:
                await self.run(self._inbox_tx, record, now_utc())
                self._store_failing(None)
                return
            except Exception as exc:
                log.warning(
                    "node %s: handling %s@%s failed (attempt %d): %s",
                    self.node,
                    record.topic,
                    record.offset,
                    attempt,
                    exc,
                )
                if attempt < HANDLER_RETRIES:
                    await asyncio.sleep(0.05 * 2**attempt)
                    continue
                issue = Issue("I401", 401, f"the node could not handle the message: {exc}"[:400])
                try:
                    await self.run(self._dead_letter_only_tx, record, issue)
                except Exception as failed:
                    log.warning(
                        "node %s: could not dead-letter %s@%s: %s", self.node, record.topic, record.offset, failed
                    )
                    await self._park_or_raise(record, f"{issue.message}; dead-lettering it failed: {failed}"[:1000])

    async def _park_or_raise(self, record: Record, reason: str) -> None:
        """Park a record the node could neither handle nor dead-letter, unless the store cannot write at all."""
        try:
            await self.store.probe_write(iso(now_utc()))
            await self.run(self._park_tx, record, reason)
        except Exception as exc:
            self._store_failing(exc)
            raise StoreUnavailable(f"node {self.node}: the store cannot write: {exc}") from exc
        self._store_failing(None)
        self._count_parked(1, DEAD_LETTER_FAILED)
        log.error("node %s: parked %s@%s@%s: %s", self.node, record.topic, record.partition, record.offset, reason)

    def _park_tx(self, tx: Tx, record: Record, reason: str) -> None:
        tx.park("inbox", record, reason, iso(now_utc()))
        self.interop(
            tx,
            Stage.DEAD_LETTERED,
            receiver=self.node,
            result="parked",
            detail=f"parked in the node's store, not dead-lettered: {reason}"[:300],
        )

    def _dead_letter(
        self,
        tx: Tx,
        record: Record,
        issue: Issue,
        message_id: str | None,
        consignment: str | None = None,
        ubs: Sequence[str] | None = None,
    ) -> None:
        """Dead-letter ``record``; its interop record names the UBs ``ubs`` (None: those its header names)."""
        headers, value = bounded_copy(record)
        headers += [
            ("dlq_error_class", issue.error_class.name.lower().encode()),
            ("dlq_rule", issue.rule.encode()),
            ("dlq_reason", issue.message.encode()[:1000]),
            ("dlq_pointer", cut((issue.pointer or "").encode())),
            ("dlq_original_topic", record.topic.encode()),
            ("dlq_original_partition", str(record.partition).encode()),
            ("dlq_original_offset", str(record.offset).encode()),
        ]
        key = cut(record.key) if record.key is not None else None
        tx.send(Record(topic=self.topics.dead_letter(self.node), key=key, value=value, headers=tuple(headers)))
        self.interop(
            tx,
            Stage.DEAD_LETTERED,
            message_id=message_id,
            consignment=consignment or (key or b"").decode(errors="replace")[:200] or None,
            receiver=self.node,
            result=issue.rule,
            detail=issue.message[:300],
            ubs=list(read_ubs(record.header(UBS_HEADER)) if ubs is None else ubs),
            **traced(TraceContext.parse(record.header("traceparent"), record.header("tracestate"))),
        )

    def _unverified(self, tx: Tx, record: Record, env: Envelope, check: SignatureCheck, now: datetime) -> Outcome:
        """Dead-letter a record whose sender is not proven, answering nobody: a negative acknowledgement to whoever
        it claims to be from would let a forger make this node send to any inbox. Its id is not marked handled (a
        forgery must not make the genuine message with that id a duplicate); its position is."""
        assert check.issue is not None
        pos_id = f"pos:{record.topic}:{record.partition}:{record.offset}"
        if tx.already_handled(pos_id):
            return Outcome("duplicate")
        tx.mark_handled(pos_id, "unverified", iso(now))
        self.interop(
            tx,
            Stage.RECEIVED,
            consignment=env.subject,
            receiver=self.node,
            result="unverified",
            detail=f"claims to be {env.id} from {env.source}",
        )
        self._dead_letter(tx, record, check.issue, None, env.subject, ubs=())  # what it claims is not proven
        return Outcome("dead_lettered", [check.issue])

    def _dead_letter_only_tx(self, tx: Tx, record: Record, issue: Issue) -> None:
        pos_id = f"pos:{record.topic}:{record.partition}:{record.offset}"
        if not tx.already_handled(pos_id):
            tx.mark_handled(pos_id, "dead_lettered", iso(now_utc()))
            self._dead_letter(tx, record, issue, None)

    def _inbox_tx(self, tx: Tx, record: Record, now: datetime) -> Outcome:
        try:
            env = Envelope.from_headers(record.headers)
        except EnvelopeError as exc:
            pos_id = f"pos:{record.topic}:{record.partition}:{record.offset}"
            if tx.already_handled(pos_id):
                return Outcome("duplicate")
            tx.mark_handled(pos_id, "bad_envelope", iso(now))
            issue = Issue("F305", 305, str(exc)) if isinstance(exc, HeaderTooLong) else Issue("F300", 300, str(exc))
            self.interop(tx, Stage.RECEIVED, receiver=self.node, result="bad_envelope")
            self._dead_letter(tx, record, issue, None, ubs=())
            return Outcome("dead_lettered", [issue])

        # the signature first: nothing of an unproven record is stored (not its id) nor parsed
        check = self.keys.verify(record.headers, record.value, now, self.clock_skew)
        if not check.ok and not check.answerable:
            return self._unverified(tx, record, env, check, now)

        first = tx.handled(env.id)
        if first is not None and first["digest"] not in (None, digest(record.value)):
            return self._conflicting_duplicate(tx, record, env, first, now)
        if first is not None:
            self.interop(
                tx,
                Stage.DUPLICATE,
                message_id=env.id,
                correlation_id=env.correlation_id,
                consignment=env.subject,
                sender=env.source,
                receiver=self.node,
                detail="redelivered message ignored",
                ubs=list(env.ubs),
                **traced(env.trace),
            )
            return Outcome("duplicate")

        mt = self.catalogue.by_ce_type(env.type)
        common = self._about(env, mt)
        self.interop(tx, Stage.RECEIVED, **common)
        self.store.log_message(
            tx,
            env.id,
            "in",
            mt.name if mt else env.type,
            env.source,
            env.subject,
            env.trigger,
            None,
            iso(now),
            record.value,
        )

        issues: list[Issue] = []
        if check.issue is not None:  # proven sender, refused all the same (key expired, ce_time off): answered
            issues.append(check.issue)
        elif not self.accepts(env.source):
            issues.append(self.unknown_sender(env.source))
        if env.recipient and env.recipient != self.node:
            issues.append(
                Issue(
                    "F302",
                    302,
                    f"addressed to {env.recipient}, delivered to {self.node}: check ce_recipient and the topic",
                )
            )
        if mt is None:
            issues.append(
                Issue("F303", 303, f"unknown message type {env.type!r}: see the catalogue for accepted ce_type values")
            )

        doc = None
        if mt is not None and check.ok:
            found, doc = self.check_received(record.value, mt, env.source, env.trigger)
            issues.extend(found)

        errors = [i for i in issues if i.severity == "error"]
        if errors:
            tx.mark_handled(env.id, "rejected", iso(now), digest(record.value))
            self._refuse(tx, record, env, mt, errors, now, common)
            return Outcome("rejected", errors)

        tx.mark_handled(env.id, "accepted", iso(now), digest(record.value))
        self.interop(tx, Stage.VALID, **common)
        if mt is ACKNOWLEDGEMENT:
            self._on_acknowledgement(tx, env, doc, now)
        else:
            self.handle(tx, env, mt, doc, now)
        if mt.acknowledged:
            self._acknowledge(tx, env, [], now, common)
        return Outcome("accepted")

    def _about(self, env: Envelope, mt: MessageType | None) -> dict[str, Any]:
        """The interop record fields that describe the received message ``env`` (of type ``mt``, None: unknown)."""
        return dict(
            message_id=env.id,
            correlation_id=env.correlation_id,
            consignment=env.subject,
            sender=env.source,
            receiver=self.node,
            message_type=mt.name if mt else env.type,
            event=env.trigger,
            ubs=list(env.ubs),
            **traced(env.trace),
        )

    def answerable(self, source: str) -> bool:
        """Whether a negative acknowledgement may go to ``source``: a partner, or a country's customs node (an
        ISO 3166 code, so forged sources cannot make the node create topics without end), on a legal topic name."""
        return legal_topic(self.topics.inbox(source)) and (self.accepts(source) or source in countries())

    def _refuse(
        self,
        tx: Tx,
        record: Record,
        env: Envelope,
        mt: MessageType | None,
        errors: list[Issue],
        now: datetime,
        common: dict,
    ) -> None:
        """Record ``errors`` as an invalid message, answer the sender if it can be answered, and dead-letter it."""
        self.interop(
            tx, Stage.INVALID, **common, result=errors[0].rule, detail="; ".join(str(i) for i in errors)[:1000]
        )
        if (mt is None or mt.acknowledged) and self.answerable(env.source):
            self._acknowledge(tx, env, answer_issues(errors), now, common)
        self._dead_letter(tx, record, errors[0], env.id, env.subject, env.ubs)

    def _conflicting_duplicate(
        self, tx: Tx, record: Record, env: Envelope, first: dict[str, Any], now: datetime
    ) -> Outcome:
        """The id of a message already handled, with another payload: refused, never taken for a redelivery (the
        first message's log entry and effects stay as they were)."""
        mt = self.catalogue.by_ce_type(env.type)
        common = self._about(env, mt)
        issue = Issue(
            "F306",
            306,
            f"ce_id {env.id} names the message received at {first['handled_at']} ({first['outcome']}, payload SHA-256 "
            f"{first['digest'][:16]}...), and this payload differs (SHA-256 {digest(record.value)[:16]}...): "
            "a conflicting duplicate is refused; a corrected resend carries a new ce_id",
        )
        self._refuse(tx, record, env, mt, [issue], now, common)
        return Outcome("conflicting_duplicate", [issue])

    def _acknowledge(self, tx: Tx, env: Envelope, errors: list[Issue], now: datetime, common: dict) -> None:
        ack = acknowledgement(env.id, errors, now, mrn=None)
        reply = replace(env.reply(self.node, ACKNOWLEDGEMENT.ce_type, now), dataschema=ACKNOWLEDGEMENT.schema)
        payload = ack.to_xml(self.metadata("RES"))
        tx.send(inbox_record(self.topics, reply, payload, self.signer))
        self.store.log_message(
            tx,
            reply.id,
            "out",
            ACKNOWLEDGEMENT.name,
            reply.recipient,
            reply.subject,
            reply.trigger,
            None,
            iso(now),
            payload,
        )
        self.interop(
            tx,
            Stage.NACKED if errors else Stage.ACKED,
            **{**common, "message_id": env.id, **traced(reply.trace, env.span_id)},
            result="03" if errors else "01",
            detail=f"{len(errors)} error(s)" if errors else None,
        )

    def _on_acknowledgement(self, tx: Tx, env: Envelope, ack: Response, now: datetime) -> None:
        original = ack.in_reply_to or env.causation_id
        row = self.store.sent_message(tx, original)
        latency = None
        if row is not None:
            latency = (now - datetime.fromisoformat(row["at"])).total_seconds() * 1000
            self.store.mark_acknowledged(tx, original, ack.positive, iso(now))
        self.interop(
            tx,
            Stage.ACK_RECEIVED if ack.positive else Stage.NACK_RECEIVED,
            message_id=original,
            correlation_id=env.correlation_id,
            consignment=env.subject,
            sender=self.node,
            receiver=env.source,
            message_type=row["type"] if row else None,
            event=row["trigger"] if row else None,
            result=ack.function_code,
            latency_ms=latency,
            detail=None if row else "acknowledges a message this node did not send",
            # the UBs of the message acknowledged, as this node sent it (whatever the answer's header says)
            ubs=row["ubs"] if row else [],
            # the acknowledged message is one this node sent: its span id is derived from its id
            **traced(env.trace, message_span_id(original) if row is not None else None),
        )
        self.after_ack(tx, row, ack, now)


def bounded_copy(record: Record) -> tuple[list[tuple[str, bytes]], bytes]:
    """The headers and value a dead-letter copy of ``record`` carries, within the bounds of
    :mod:`seedsim.core.record_bounds`: each header value cut to MAX_HEADER_BYTES, at most MAX_COPIED_HEADERS_BYTES
    in all (``dlq_headers_cut`` names what was cut or left out); a value over MAX_DEAD_LETTER_VALUE is replaced by a
    reference (``dlq_value_omitted``, ``dlq_value_bytes``, ``dlq_value_sha256``; the original topic, partition and
    offset follow)."""
    headers: list[tuple[str, bytes]] = []
    budget, shortened = MAX_COPIED_HEADERS_BYTES, []
    for k, v in record.headers:
        name, kept = k[:MAX_HEADER_BYTES], cut(bytes(v))
        size = len(name.encode()) + len(kept)
        if size > budget:
            shortened.append(f"{name[:40]} (left out)")
            continue
        budget -= size
        headers.append((name, kept))
        if kept != v or name != k:
            shortened.append(name[:40])
    if shortened:
        headers.append(("dlq_headers_cut", cut(", ".join(shortened).encode())))
    value = record.value
    if len(value) > MAX_DEAD_LETTER_VALUE:
        headers += [
            ("dlq_value_omitted", b"true"),
            ("dlq_value_bytes", str(len(value)).encode()),
            ("dlq_value_sha256", digest(value).encode()),
        ]
        value = b""
    return headers, value
