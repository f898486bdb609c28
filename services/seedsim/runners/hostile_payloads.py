"""Hostile and malformed messages a scenario can inject into a node's inbox.

Each fault is a real attack or mistake an integrator meets: XML that does not
parse, an external-entity (XXE) payload, an entity-expansion bomb, a document
that parses but breaks the schema, a message from a sender the node does not
know. They carry proper CloudEvents headers, signed with the key of the node
they are sent as (the network's, default this process's development keyring), so
they reach the node's validation rather than failing at the envelope or the
signature: the content rule fires, not a signature rule. Like the exit data a
customs node sends, they name UB-SEED-EXIT as their conversation (``ce_seedsimubs``),
so the monitor counts the refusals against that Utility Block.

An injected record also carries the header :data:`INJECTED_HEADER` (``seedsim-injected``,
naming the runner), which no node reads: it tells a trace's reader that the
record was forged by the runner in the sender's name, not sent by that node, so
re-driving a recorded run (``seedsim trace replay --fresh``) sends it again as
recorded instead of waiting for the node to send it.
"""

from __future__ import annotations

from dataclasses import replace

from seedsim.core.message_signing import Signer
from seedsim.core.network_keys import NetworkKeys, development_keys
from seedsim.core.topics import Topics
from seedsim.core.transport import Record
from seedsim.core.trust_list import TrustListError
from seedsim.messages.seed import EXPORT_DATA
from seedsim.nodes.inbox_node import inbox_record

BROKEN_XML = b"<?xml version='1.0'?><md:MetaData xmlns:md='urn:wco:datamodel:WCO:DocumentMetaData-DMS:2'><Declaration>"
XXE = (
    b"<?xml version='1.0'?><!DOCTYPE MetaData [<!ENTITY xxe SYSTEM 'file:///etc/passwd'>]>"
    b"<md:MetaData xmlns:md='urn:wco:datamodel:WCO:DocumentMetaData-DMS:2'><md:WCOTypeName>&xxe;</md:WCOTypeName></md:MetaData>"
)
ENTITY_BOMB = (
    b"<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>"
    + b"".join(b"<!ENTITY lol%d '%s'>" % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10))
    + b"]><lolz>&lol9;</lolz>"
)
SCHEMA_VIOLATION = (
    b"<?xml version='1.0' encoding='UTF-8'?>"
    b"<md:MetaData xmlns:md='urn:wco:datamodel:WCO:DocumentMetaData-DMS:2' xmlns='urn:wco:datamodel:WCO:DEC-DMS:2'>"
    b"<md:WCODataModelVersionCode>3.6</md:WCODataModelVersionCode><md:WCOTypeName>DEC</md:WCOTypeName>"
    b"<md:ResponsibleCountryCode>RS</md:ResponsibleCountryCode>"
    b"<Declaration><FunctionCode>9</FunctionCode><TypeCode>EXA</TypeCode><unknown/></Declaration></md:MetaData>"
)

#: the Utility Block whose conversation exit data between customs nodes is (schemas/utility-blocks/seed-exit.yaml)
EXIT_DATA_UB = "UB-SEED-EXIT"

PAYLOADS = {
    "broken_xml": BROKEN_XML,
    "external_entity": XXE,
    "schema_violation": SCHEMA_VIOLATION,
    "entity_bomb": ENTITY_BOMB,
}


#: the header that marks a record the runner injected in a node's name (its value names the runner)
INJECTED_HEADER = "seedsim-injected"


def injected(record: Record, by: str = "runner") -> Record:
    """``record`` marked as injected by the runner ``by`` (see :data:`INJECTED_HEADER`)."""
    return replace(record, headers=(*record.headers, (INJECTED_HEADER, by.encode())))


def is_injected(record: Record) -> bool:
    return record.header(INJECTED_HEADER) is not None


def malformed_record(
    kind: str,
    sender: str,
    recipient: str,
    topics: Topics,
    subject: str = "MALFORMED",
    keys: NetworkKeys | None = None,
) -> Record:
    """A record as ``sender`` would send it to ``recipient``, with a bad payload, signed with ``sender``'s key
    in ``keys`` (default: the development keyring); its key and ce_subject are ``<subject>-<kind>``."""
    env = EXPORT_DATA.envelope(sender, recipient, subject=f"{subject}-{kind}", trigger="EXIT", ubs=(EXIT_DATA_UB,))
    return injected(inbox_record(topics, env, PAYLOADS[kind], signer_of(sender, keys)))


def signer_of(sender: str, keys: NetworkKeys | None) -> Signer | None:
    """How a record injected as ``sender`` is signed: with its key in ``keys`` (default: the development keyring);
    unsigned when ``keys`` hold none (the receiver then refuses it unanswered, F310, as it would such a forgery)."""
    try:
        return (keys or development_keys()).signer(sender)
    except TrustListError:
        return None
