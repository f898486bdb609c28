"""Trace context: one W3C trace per conversation, one span per message, answers as children of what they answer.

Read from what a monitor sees: the records on the bus (their ``traceparent`` headers) and the interop
records (``trace_id``, ``span_id``, ``parent_span_id``); and, as an OpenTelemetry consumer would, through
the OpenTelemetry SDK's W3C propagator.
"""

from __future__ import annotations

import asyncio
import re
import uuid

import pytest
from lxml import etree
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased
from opentelemetry.trace import SpanKind, get_current_span
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from seedsim.core.interop import InteropRecord, Stage, decode_interop
from seedsim.core.network_keys import development_keys
from seedsim.core.response import Response
from seedsim.core.topics import Topics
from seedsim.core.trace_context import TraceContext, conversation_trace_id, message_span_id
from seedsim.core.transport import Record
from seedsim.core.wco import MetaData
from seedsim.messages.query import CONSIGNMENT_QUERY, CONSIGNMENT_QUERY_RESPONSE
from seedsim.messages.seed import ACKNOWLEDGEMENT, ENTRY_CONFIRMATION, EXPORT_DATA
from seedsim.nodes.customs.customs_node import Event
from seedsim.runners.hostile_payloads import malformed_record
from seedsim.runners.ub_player import Player, cast_nodes
from seedsim.samples.consignments import ConsignmentGenerator
from seedsim.samples.crossings import DEMO_CROSSINGS
from seedsim.utility_blocks import load_all

T = Topics()
CROSS = DEMO_CROSSINGS[0]
BLOCKS = load_all()

#: W3C Trace Context, version 00: trace id 32 and span id 16 lower-case hex digits, neither all zero
W3C = re.compile(r"^00-(?!0{32})([0-9a-f]{32})-(?!0{16})([0-9a-f]{16})-([0-9a-f]{2})$")


def trace_of(record: Record) -> tuple[str, str, str]:
    """(trace id, span id, flags) of a record's ``traceparent``, which must be well-formed W3C."""
    value = record.header("traceparent")
    found = W3C.match(value or "")
    assert found, f"{record.header('ce_type')}: traceparent {value!r} is not W3C"
    return found.group(1), found.group(2), found.group(3)


def interop(bus) -> list[InteropRecord]:
    return [rec for r in bus.log(T.interop) for rec in decode_interop(r.value)]


async def settle(until, rounds=300):
    for _ in range(rounds):
        if until():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the nodes did not get there in time")


def acks_taken_in(bus) -> bool:
    """Whether every acknowledgement on the bus was taken in by the node it went to."""
    taken = {r.message_id for r in interop(bus) if r.stage in (Stage.ACK_RECEIVED, Stage.NACK_RECEIVED)}
    return all(
        r.header("ce_causationid") in taken
        for node in ("RS", "ME")
        for r in bus.log(T.inbox(node))
        if r.header("ce_type") == ACKNOWLEDGEMENT.ce_type
    )


def messages_about(bus, ucr: str) -> list[Record]:
    return [r for node in ("RS", "ME") for r in bus.log(T.inbox(node)) if r.header("ce_subject") == ucr]


async def cross(bus, nodes, c) -> None:
    """What ``seedsim demo`` does for one consignment: exit data twice, then entry, matching and confirmation."""
    meta = {n: MetaData(wco_type_name="DEC", responsible_country_code=n) for n in ("RS", "ME")}
    assert (await nodes["RS"].lodge(c.export.to_xml(meta["RS"]))).accepted
    await nodes["RS"].on_event(Event.PRE_ARRIVAL, c.ucr, CROSS.exit_office, CROSS.entry_office)
    await nodes["RS"].on_event(Event.EXIT, c.ucr, CROSS.exit_office, CROSS.entry_office)
    await settle(
        lambda: any(
            r.node == "ME" and r.stage == Stage.VALID and r.event == "EXIT" and r.consignment == c.ucr
            for r in interop(bus)
        )
    )
    assert (await nodes["ME"].lodge(c.import_.to_xml(meta["ME"]))).accepted
    await nodes["ME"].on_event(Event.ENTRY, c.ucr, CROSS.entry_office)
    await settle(
        lambda: any(
            r.node == "ME" and r.stage == Stage.ACK_RECEIVED and r.consignment == c.ucr and r.event == "ENTRY"
            for r in interop(bus)
        )
    )
    await settle(lambda: len(messages_about(bus, c.ucr)) == 6 and acks_taken_in(bus))


def answered_by(records: list[Record]) -> list[tuple[Record, Record]]:
    """(answer, the message it answers) for every acknowledgement and query response among ``records``."""
    by_id = {r.header("ce_id"): r for r in records}
    return [(r, by_id[r.header("ce_causationid")]) for r in records if r.header("ce_causationid")]


def assert_answers_are_children(bus, records: list[Record]) -> None:
    """Each acknowledgement's trace is the acknowledged message's; the acknowledging node's acked/nacked record
    names the acknowledgement's span with the acknowledged message's span as parent, and the acknowledged node's
    ack_received record says the same."""
    pairs = [(a, m) for a, m in answered_by(records) if a.header("ce_type") == ACKNOWLEDGEMENT.ce_type]
    assert pairs
    recs = interop(bus)
    for ack, message in pairs:
        (trace, span, _), (m_trace, m_span, _) = trace_of(ack), trace_of(message)
        assert trace == m_trace and span != m_span
        [acked] = [
            r for r in recs if r.stage in (Stage.ACKED, Stage.NACKED) and r.message_id == message.header("ce_id")
        ]
        assert (acked.trace_id, acked.span_id, acked.parent_span_id) == (trace, span, m_span)
        [got] = [r for r in recs if r.stage == Stage.ACK_RECEIVED and r.message_id == message.header("ce_id")]
        assert (got.trace_id, got.span_id, got.parent_span_id) == (trace, span, m_span)


# -- a consignment's conversation on the bus ------------------------------------------------------------


async def test_every_record_of_a_consignment_carries_its_conversations_trace(corridor):
    bus, nodes = corridor
    c = ConsignmentGenerator(11, CROSS).make(1)
    await cross(bus, nodes, c)
    records = messages_about(bus, c.ucr)
    kinds = sorted((r.header("ce_type"), r.header("ce_trigger") or "") for r in records)
    assert kinds == sorted(
        [
            (EXPORT_DATA.ce_type, "PRE_ARRIVAL"),
            (EXPORT_DATA.ce_type, "EXIT"),
            (ACKNOWLEDGEMENT.ce_type, "PRE_ARRIVAL"),
            (ACKNOWLEDGEMENT.ce_type, "EXIT"),
            (ENTRY_CONFIRMATION.ce_type, "ENTRY"),
            (ACKNOWLEDGEMENT.ce_type, "ENTRY"),
        ]
    )
    traces = {trace_of(r)[0] for r in records}
    assert len(traces) == 1, "the exit data, the entry confirmation and their acknowledgements share one trace"
    [trace] = traces
    [correlation] = {r.header("ce_correlationid") for r in records}
    assert trace == conversation_trace_id(correlation) == correlation, "a seedsim correlation id is the trace id"
    assert len({trace_of(r)[1] for r in records}) == 6, "each hop has a span of its own"
    assert {trace_of(r)[2] for r in records} == {"01"}
    assert_answers_are_children(bus, records)


async def test_the_entry_confirmation_is_the_child_of_the_exit_data_it_confirms(corridor):
    bus, nodes = corridor
    c = ConsignmentGenerator(12, CROSS).make(1)
    await cross(bus, nodes, c)
    records = messages_about(bus, c.ucr)
    [confirmation] = [r for r in records if r.header("ce_type") == ENTRY_CONFIRMATION.ce_type]
    confirmed = Response.from_root(etree.fromstring(confirmation.value)).in_reply_to
    [exit_data] = [r for r in records if r.header("ce_id") == confirmed]
    assert exit_data.header("ce_trigger") == "EXIT"
    [sent] = [r for r in interop(bus) if r.stage == Stage.SENT and r.message_id == confirmation.header("ce_id")]
    assert sent.node == "ME"
    assert (sent.trace_id, sent.span_id, sent.parent_span_id) == (*trace_of(confirmation)[:2], trace_of(exit_data)[1])
    assert trace_of(confirmation)[0] == trace_of(exit_data)[0]


async def test_an_import_lodged_before_the_exit_data_arrives_joins_the_exit_datas_conversation(corridor):
    """The entry node met the consignment first at its lodging desk; the exit data still brings the conversation."""
    bus, nodes = corridor
    c = ConsignmentGenerator(13, CROSS).make(1)
    meta = {n: MetaData(wco_type_name="DEC", responsible_country_code=n) for n in ("RS", "ME")}
    assert (await nodes["ME"].lodge(c.import_.to_xml(meta["ME"]))).accepted
    assert (await nodes["RS"].lodge(c.export.to_xml(meta["RS"]))).accepted
    await nodes["RS"].on_event(Event.EXIT, c.ucr, CROSS.exit_office, CROSS.entry_office)
    await settle(
        lambda: any(r.node == "ME" and r.stage == Stage.VALID and r.consignment == c.ucr for r in interop(bus))
    )
    await nodes["ME"].on_event(Event.ENTRY, c.ucr, CROSS.entry_office)
    await settle(
        lambda: any(r.node == "ME" and r.stage == Stage.ACK_RECEIVED and r.event == "ENTRY" for r in interop(bus))
    )
    records = messages_about(bus, c.ucr)
    [exit_data] = [r for r in records if r.header("ce_type") == EXPORT_DATA.ce_type]
    [confirmation] = [r for r in records if r.header("ce_type") == ENTRY_CONFIRMATION.ce_type]
    assert confirmation.header("ce_correlationid") == exit_data.header("ce_correlationid")
    assert trace_of(confirmation)[0] == trace_of(exit_data)[0]


async def test_the_interop_records_of_a_consignment_join_on_its_trace_id(corridor):
    bus, nodes = corridor
    c = ConsignmentGenerator(13, CROSS).make(1)
    await cross(bus, nodes, c)
    [trace] = {trace_of(r)[0] for r in messages_about(bus, c.ucr)}
    recs = [r for r in interop(bus) if r.consignment == c.ucr]
    about_messages = [r for r in recs if r.stage != Stage.SUBMITTED]
    assert {r.stage for r in about_messages} >= {
        Stage.SENT,
        Stage.RECEIVED,
        Stage.VALID,
        Stage.ACKED,
        Stage.ACK_RECEIVED,
        Stage.MATCHED,
    }
    assert {r.trace_id for r in about_messages} == {trace}
    first = [r for r in recs if r.stage == Stage.SENT and r.node == "RS"]
    assert [r.parent_span_id for r in first] == [None, None], "exit data opens spans of its own, answering nothing"


async def test_two_consignments_are_two_traces(corridor):
    bus, nodes = corridor
    a, b = ConsignmentGenerator(14, CROSS).make(1), ConsignmentGenerator(15, CROSS).make(2)
    await asyncio.gather(cross(bus, nodes, a), cross(bus, nodes, b))
    [trace_a] = {trace_of(r)[0] for r in messages_about(bus, a.ucr)}
    [trace_b] = {trace_of(r)[0] for r in messages_about(bus, b.ucr)}
    assert trace_a != trace_b


# -- queries ------------------------------------------------------------------------------------------


async def test_a_query_and_its_response_share_the_consignments_trace(corridor):
    bus, nodes = corridor
    c = ConsignmentGenerator(16, CROSS).make(1)
    await cross(bus, nodes, c)
    [trace] = {trace_of(r)[0] for r in messages_about(bus, c.ucr)}
    asked = await nodes["RS"].query("ME", consignment=c.ucr)
    await settle(lambda: any(r.header("ce_causationid") == asked["query_id"] for r in bus.log(T.inbox("RS"))))
    await settle(lambda: acks_taken_in(bus))
    [query] = [r for r in bus.log(T.inbox("ME")) if r.header("ce_id") == asked["query_id"]]
    [response] = [
        r
        for r in bus.log(T.inbox("RS"))
        if r.header("ce_type") == CONSIGNMENT_QUERY_RESPONSE.ce_type and r.header("ce_causationid") == asked["query_id"]
    ]
    assert query.header("ce_type") == CONSIGNMENT_QUERY.ce_type
    assert trace_of(query)[0] == trace_of(response)[0] == trace
    assert trace_of(query)[1] != trace_of(response)[1]
    [sent] = [r for r in interop(bus) if r.stage == Stage.SENT and r.message_id == response.header("ce_id")]
    assert (sent.node, sent.span_id, sent.parent_span_id) == ("ME", trace_of(response)[1], trace_of(query)[1])
    assert_answers_are_children(bus, [*bus.log(T.inbox("ME")), *bus.log(T.inbox("RS"))])


async def test_a_query_about_an_unknown_consignment_opens_a_trace_its_response_continues(corridor):
    bus, nodes = corridor
    asked = await nodes["RS"].query("ME", consignment="UNKNOWN-UCR-1")
    await settle(lambda: any(r.header("ce_causationid") == asked["query_id"] for r in bus.log(T.inbox("RS"))))
    [query] = [r for r in bus.log(T.inbox("ME")) if r.header("ce_id") == asked["query_id"]]
    [response] = [
        r
        for r in bus.log(T.inbox("RS"))
        if r.header("ce_type") == CONSIGNMENT_QUERY_RESPONSE.ce_type and r.header("ce_causationid") == asked["query_id"]
    ]
    assert trace_of(query)[0] == trace_of(response)[0] == conversation_trace_id(query.header("ce_correlationid"))


# -- what a sender puts in traceparent is never a reason to refuse its message ---------------------------


async def _resent_with(bus, nodes, c, traceparent: str | None, tracestate: str | None = None):
    """The PRE_ARRIVAL exit data RS sent for ``c``, sent again under a new id with another traceparent (and
    tracestate); returns that record and ME's acknowledgement of it, once RS took the acknowledgement in."""
    assert (
        await nodes["RS"].lodge(c.export.to_xml(MetaData(wco_type_name="DEC", responsible_country_code="RS")))
    ).accepted
    await nodes["RS"].on_event(Event.PRE_ARRIVAL, c.ucr, CROSS.exit_office, CROSS.entry_office)
    await settle(lambda: any(r.header("ce_subject") == c.ucr for r in bus.log(T.inbox("ME"))))
    [original] = [r for r in bus.log(T.inbox("ME")) if r.header("ce_subject") == c.ucr]
    new_id = uuid.uuid4().hex
    headers = [(k, v) for k, v in original.headers if k not in ("ce_id", "traceparent", "tracestate")]
    headers.append(("ce_id", new_id.encode()))
    if traceparent is not None:
        headers.append(("traceparent", traceparent.encode()))
    if tracestate is not None:
        headers.append(("tracestate", tracestate.encode()))
    signed = development_keys().signer("RS").sign(headers, original.value)  # RS signs what it sends again
    resent = Record(topic=original.topic, key=original.key, value=original.value, headers=signed)
    await bus.send_batch([resent])
    await settle(lambda: any(r.stage == Stage.ACK_RECEIVED and r.message_id == new_id for r in interop(bus)))
    [ack] = [r for r in bus.log(T.inbox("RS")) if r.header("ce_causationid") == new_id]
    return resent, ack


@pytest.mark.parametrize(
    "traceparent",
    [
        None,  # no traceparent at all: it is optional in CloudEvents
        "",
        "not a traceparent",
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  # all-zero trace id
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",  # all-zero span id
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01",  # upper case
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  # the forbidden version
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",  # version 00 has four fields
        "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",  # a digit short
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",
        "\u00e9t\u00e9",
    ],
)
async def test_a_message_with_a_malformed_traceparent_is_handled_and_answered_in_its_conversations_trace(
    corridor, traceparent
):
    bus, nodes = corridor
    c = ConsignmentGenerator(17, CROSS).make(1)
    resent, ack = await _resent_with(bus, nodes, c, traceparent, tracestate="vendor=kept-only-with-a-valid-parent")
    message_id = resent.header("ce_id")
    stages = {(r.node, r.stage) for r in interop(bus) if r.message_id == message_id}
    assert {("ME", Stage.RECEIVED), ("ME", Stage.VALID), ("ME", Stage.ACKED), ("RS", Stage.ACK_RECEIVED)} <= stages
    assert Response.from_root(etree.fromstring(ack.value)).positive
    trace, span, flags = trace_of(ack)
    assert trace == conversation_trace_id(resent.header("ce_correlationid")), "the conversation's trace, afresh"
    assert flags == "01" and ack.header("tracestate") is None
    [acked] = [r for r in interop(bus) if r.stage == Stage.ACKED and r.message_id == message_id]
    assert (acked.trace_id, acked.span_id, acked.parent_span_id) == (trace, span, None)
    assert not bus.log(T.dead_letter("ME"))


async def test_an_answer_continues_a_foreign_trace_with_its_flags_and_tracestate_untouched(corridor):
    bus, nodes = corridor
    foreign = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"  # not sampled upstream
    state = "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"
    resent, ack = await _resent_with(bus, nodes, ConsignmentGenerator(18, CROSS).make(1), foreign, tracestate=state)
    trace, span, flags = trace_of(ack)
    assert (trace, flags) == ("4bf92f3577b34da6a3ce929d0e0e4736", "00")
    assert span != "00f067aa0ba902b7"
    assert ack.header("tracestate") == state
    [acked] = [r for r in interop(bus) if r.stage == Stage.ACKED and r.message_id == resent.header("ce_id")]
    assert (acked.trace_id, acked.span_id, acked.parent_span_id) == (trace, span, "00f067aa0ba902b7")
    [received] = [r for r in interop(bus) if r.stage == Stage.RECEIVED and r.message_id == resent.header("ce_id")]
    assert (received.trace_id, received.span_id) == ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7")


async def test_a_refused_message_is_nacked_and_dead_lettered_in_its_trace(corridor):
    bus, _nodes = corridor
    bad = malformed_record("schema_violation", "RS", "ME", T)
    await bus.send_batch([bad])
    await settle(lambda: bus.log(T.dead_letter("ME")) and bus.log(T.inbox("RS")))
    [nack] = bus.log(T.inbox("RS"))
    assert not Response.from_root(etree.fromstring(nack.value)).positive
    trace, span, _ = trace_of(bad)
    assert trace_of(nack)[0] == trace and trace_of(nack)[1] != span
    recs = [r for r in interop(bus) if r.message_id == bad.header("ce_id")]
    [nacked] = [r for r in recs if r.stage == Stage.NACKED]
    assert (nacked.trace_id, nacked.span_id, nacked.parent_span_id) == (trace, trace_of(nack)[1], span)
    for stage in (Stage.RECEIVED, Stage.INVALID, Stage.DEAD_LETTERED):
        [rec] = [r for r in recs if r.stage == stage]
        assert (rec.trace_id, rec.span_id) == (trace, span), stage


# -- the Utility Block player ----------------------------------------------------------------------


@pytest.mark.parametrize("ub_id", sorted(BLOCKS))
async def test_a_played_utility_block_is_one_trace(ub_id):
    async with cast_nodes(BLOCKS[ub_id], "RS", "ME") as cast:
        player = Player(cast)
        outcomes = [o async for o in player.play()]
        assert all(o.ok for o in outcomes), [(o.index, o.errors) for o in outcomes if not o.ok]
        bus = cast.transport
        records = [r for node in cast.nodes for r in bus.log(T.inbox(node))]
        assert len(records) >= len(BLOCKS[ub_id].business_process.steps)
        traces = {trace_of(r)[0] for r in records}
        assert traces == {conversation_trace_id(player.conversation.correlation_id)}
        assert len({trace_of(r)[1] for r in records}) == len(records)
        assert_answers_are_children(bus, records)


# -- as OpenTelemetry reads the records ------------------------------------------------------------


def otel_carrier(record: Record) -> dict[str, str]:
    return {k: v.decode() for k, v in record.headers}


async def test_opentelemetry_extracts_the_conversation_and_keeps_the_senders_sampling(corridor):
    """An OpenTelemetry consumer (as opentelemetry-instrumentation-aiokafka does) extracts the context from each
    record's headers and starts its processing span as the child of the message's span: every span of a
    consignment lands in one trace; with a ParentBased sampler the sender's sampled flag decides."""
    bus, nodes = corridor
    generator = ConsignmentGenerator(19, CROSS)
    c = generator.make(1)
    await cross(bus, nodes, c)
    unsampled = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"
    _resent, ack = await _resent_with(bus, nodes, generator.make(2), unsampled)
    exporter = InMemorySpanExporter()
    provider = TracerProvider(sampler=ParentBased(ALWAYS_OFF))  # records only what the sender sampled
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("a consumer of seedsim records")
    propagator = TraceContextTextMapPropagator()
    records = messages_about(bus, c.ucr)
    for record in [*records, ack]:
        context = propagator.extract(otel_carrier(record))
        sent = get_current_span(context).get_span_context()
        assert sent.is_valid and sent.is_remote
        assert (f"{sent.trace_id:032x}", f"{sent.span_id:016x}") == trace_of(record)[:2]
        with tracer.start_as_current_span(f"process {record.topic}", context=context, kind=SpanKind.CONSUMER):
            pass
    spans = exporter.get_finished_spans()
    [trace] = {trace_of(r)[0] for r in records}
    assert len(spans) == len(records), "the unsampled foreign trace's answer is not recorded, as its sender decided"
    assert {f"{s.context.trace_id:032x}" for s in spans} == {trace}
    assert sorted(f"{s.parent.span_id:016x}" for s in spans) == sorted(trace_of(r)[1] for r in records)


# -- the context itself ---------------------------------------------------------------------------


def test_a_traceparent_reads_and_writes_back_unchanged():
    value = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    ctx = TraceContext.parse(value, "rojo=00f067aa0ba902b7")
    assert ctx is not None and ctx.traceparent == value and ctx.tracestate == "rojo=00f067aa0ba902b7"


def test_a_later_version_is_read_by_its_first_four_fields_and_answered_in_version_00():
    ctx = TraceContext.parse("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-holds")
    assert ctx is not None
    assert W3C.match(ctx.child().traceparent)
    assert ctx.child().trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"


def test_a_child_keeps_the_trace_flags_and_state_with_a_new_span():
    ctx = TraceContext("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", "00", "rojo=1")
    child = ctx.child()
    assert (child.trace_id, child.flags, child.tracestate) == (ctx.trace_id, "00", "rojo=1")
    assert child.span_id != ctx.span_id and W3C.match(child.traceparent)


def test_a_tracestate_that_is_not_printable_ascii_or_too_long_is_not_passed_on():
    value = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    assert TraceContext.parse(value, "k=" + "v" * 600).tracestate is None
    assert TraceContext.parse(value, "k=\u00e9").tracestate is None


@pytest.mark.parametrize(
    "correlation_id",
    ["0af7651916cd43dd8448eb211c80319c", "0AF76519-16CD-43DD-8448-EB211C80319C", "corr-1", "", "0" * 32],
)
def test_any_correlation_id_gives_a_valid_trace_id_the_same_every_time(correlation_id):
    trace = conversation_trace_id(correlation_id)
    assert trace == conversation_trace_id(correlation_id)
    assert W3C.match(f"00-{trace}-{message_span_id('m')}-01")


def test_a_uuid_correlation_id_is_its_own_trace_id_and_other_ids_are_hashed():
    assert conversation_trace_id("0AF76519-16CD-43DD-8448-EB211C80319C") == "0af7651916cd43dd8448eb211c80319c"
    assert conversation_trace_id("corr-1") != conversation_trace_id("corr-2")
    assert message_span_id("a") != message_span_id("b")


def test_an_interop_record_written_before_trace_ids_still_reads():
    old = b'{"id":"r1","ts":"2025-01-01T00:00:00Z","node":"ME","stage":"valid","message_id":"m1","consignment":"U1"}'
    rec = InteropRecord.model_validate_json(old)
    assert (rec.stage, rec.trace_id, rec.span_id, rec.parent_span_id) == (Stage.VALID, None, None, None)
    assert b"trace_id" not in rec.to_json()
