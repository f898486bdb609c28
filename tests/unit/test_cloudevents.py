"""Every record a node sends is a CloudEvent as the CloudEvents Python SDK's Kafka binding reads it
(binary mode: ``ce_*`` headers, the XML as the value), and its ``ce_dataschema`` is an absolute URI
(CloudEvents 1.0 requires one; RFC 3986: it has a scheme) naming the message type's XSD. A record from
an older seedsim, whose ``ce_dataschema`` was the bare path, is still read and acknowledged.
(tests/kafka/test_demo_over_kafka.py reads the records of a whole demo off a real broker the same way.)"""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from urllib.parse import urlsplit

from cloudevents.core.bindings.kafka import KafkaMessage, from_binary
from cloudevents.core.formats.json import JSONFormat
from lxml import etree

from seedsim.core.envelope import Envelope
from seedsim.core.interop import Stage, decode_interop
from seedsim.core.network_keys import development_keys
from seedsim.core.response import Response
from seedsim.core.topics import Topics
from seedsim.core.transport import Record
from seedsim.core.wco import MetaData
from seedsim.message_catalogue import CATALOGUE
from seedsim.messages.seed import ACKNOWLEDGEMENT, ENTRY_CONFIRMATION, EXPORT_DATA
from seedsim.nodes.customs.customs_node import Event
from seedsim.samples.consignments import ConsignmentGenerator
from seedsim.samples.crossings import DEMO_CROSSINGS

T = Topics()
CROSS = DEMO_CROSSINGS[0]
OLD_DATASCHEMA = b"wco/seedsim_metadata.xsd"  # what seedsim wrote before it wrote a URI


def as_cloudevent(rec: Record):
    """The record read by the CloudEvents SDK (Kafka protocol binding, binary content mode)."""
    return from_binary(KafkaMessage(headers=dict(rec.headers), key=rec.key, value=rec.value), JSONFormat())


def is_absolute_uri(value: str) -> bool:
    """RFC 3986, 4.3: an absolute URI starts with a scheme."""
    return re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", urlsplit(value).scheme) is not None


async def settle() -> None:
    for _ in range(50):
        await asyncio.sleep(0.01)


async def exit_and_enter(nodes, seed: int) -> str:
    """A consignment lodged at RS and exited, then declared at ME and entered; its UCR once the bus is quiet."""
    c = ConsignmentGenerator(seed, CROSS).make(1)
    lodged = await nodes["RS"].lodge(c.export.to_xml(MetaData(wco_type_name="DEC", responsible_country_code="RS")))
    assert lodged.accepted, lodged.report.issues
    await nodes["RS"].on_event(Event.EXIT, c.ucr, CROSS.exit_office, CROSS.entry_office)
    await settle()
    declared = await nodes["ME"].lodge(c.import_.to_xml(MetaData(wco_type_name="DEC", responsible_country_code="ME")))
    assert declared.accepted, declared.report.issues
    await nodes["ME"].on_event(Event.ENTRY, c.ucr, CROSS.entry_office)
    await settle()
    return c.ucr


async def test_every_record_is_a_cloudevent_naming_its_xsd_by_an_absolute_uri(corridor):
    bus, nodes = corridor
    ucr = await exit_and_enter(nodes, 11)
    records = bus.log(T.inbox("ME")) + bus.log(T.inbox("RS"))
    seen = set()
    for rec in records:
        event = as_cloudevent(rec)
        mt = CATALOGUE.by_ce_type(event.get_type())
        assert mt is not None, event.get_type()
        assert (event.get_specversion(), event.get_source(), event.get_subject()) == (
            "1.0",
            f"urn:seedsim:node:{'RS' if rec.topic == T.inbox('ME') else 'ME'}",
            ucr,
        )
        assert event.get_datacontenttype() == "application/xml" and event.get_data() == rec.value.decode()
        assert event.get_dataschema() == f"urn:seedsim:schema:{mt.schema}"
        assert is_absolute_uri(event.get_dataschema())
        seen.add(mt.name)
    # what the nodes send themselves and what they send in answer (acknowledgements set dataschema on a reply)
    assert {EXPORT_DATA.name, ACKNOWLEDGEMENT.name, ENTRY_CONFIRMATION.name} <= seen


def test_the_bare_path_of_older_versions_reads_as_the_uri():
    headers = [
        (k, OLD_DATASCHEMA if k == "ce_dataschema" else v)
        for k, v in EXPORT_DATA.envelope("RS", "ME", subject="6RS000000001-C0000001").to_headers()
    ]
    env = Envelope.from_headers(headers)
    assert env.dataschema == "urn:seedsim:schema:wco/seedsim_metadata.xsd"
    assert dict(env.to_headers())["ce_dataschema"] == b"urn:seedsim:schema:wco/seedsim_metadata.xsd"


async def test_a_node_acknowledges_a_record_from_an_older_version(corridor, monkeypatch):
    """RS sends as seedsim did before (ce_dataschema a bare path): ME validates and acknowledges it as before."""
    bus, nodes = corridor
    send = bus.send_batch

    async def as_an_older_version(records):
        # the older version signs what it sends (its own headers): re-signed by the sender after the rewrite
        older = [replace(r, headers=_with_old_dataschema(r.headers)) for r in records]
        await send([development_keys().resign(r) for r in older])

    monkeypatch.setattr(bus, "send_batch", as_an_older_version)
    c = ConsignmentGenerator(12, CROSS).make(1)
    assert (
        await nodes["RS"].lodge(c.export.to_xml(MetaData(wco_type_name="DEC", responsible_country_code="RS")))
    ).accepted
    sent = await nodes["RS"].on_event(Event.EXIT, c.ucr, CROSS.exit_office, CROSS.entry_office)
    await settle()
    (received,) = [r for r in bus.log(T.inbox("ME")) if r.header("ce_type") == EXPORT_DATA.ce_type]
    assert received.header("ce_dataschema") == OLD_DATASCHEMA.decode()  # what the older version sent
    acks = [
        Response.from_root(etree.fromstring(r.value))
        for r in bus.log(T.inbox("RS"))
        if r.header("ce_type") == ACKNOWLEDGEMENT.ce_type
    ]
    assert [(a.positive, a.in_reply_to) for a in acks] == [(True, sent["message_id"])]
    stages = {(r.node, r.stage) for x in bus.log(T.interop) for r in decode_interop(x.value)}
    assert ("ME", Stage.VALID) in stages and ("RS", Stage.ACK_RECEIVED) in stages


def _with_old_dataschema(headers):
    return tuple((k, OLD_DATASCHEMA if k == "ce_dataschema" else v) for k, v in headers)
