"""An AsyncAPI 3.0.0 document of the SEED+ network, derived from the catalogue and the UBs.

AsyncAPI is to Kafka what OpenAPI is to HTTP: integrators generate clients,
mocks and documentation from it. Nothing here is written by hand twice: the
channels come from :mod:`seedsim.core.topics`, the messages from the message
catalogue (CloudEvents headers as a schema, the payload its XSD), the
operations from every Utility Block step.

The document is self-contained: it can be copied anywhere and read by any
AsyncAPI tool (the official ``@asyncapi/parser`` reports no error). An XSD is
not JSON and cannot be ``$ref``-erenced (a parser would read it as YAML), so
each one travels as text, the way AsyncAPI 3 carries a schema in a non-JSON
format: ``{"schemaFormat": "application/xml", "schema": "<xs:schema ...>"}``,
one entry of ``components.schemas`` per file. Each entry's ``x-seedsim-uri``
is the absolute URI a record's ``ce_dataschema`` header names it by
(``urn:seedsim:schema:wco/seedsim_metadata.xsd``). The XSDs a schema includes
or imports are there too, and its ``schemaLocation`` attributes name them by
that URI, so an XML tool resolves them from the document alone (an XML
catalogue, or a resolver that looks the URI up in ``components.schemas``).
"""

from __future__ import annotations

from pathlib import PurePosixPath

from lxml import etree

from seedsim import __version__
from seedsim.core import codes, envelope
from seedsim.core.interop import InteropRecord
from seedsim.core.topics import Topics
from seedsim.core.validation import SCHEMA_DIR
from seedsim.message_catalogue import CATALOGUE
from seedsim.utility_blocks.model import UtilityBlock

XML_SCHEMA_FORMAT = "application/xml"
KAFKA_BINDING = "0.5.0"
XSD_NS = "http://www.w3.org/2001/XMLSchema"
#: the XSD elements that pull in another schema document by its schemaLocation
_COMPOSITION = [f"{{{XSD_NS}}}{name}" for name in ("include", "import", "redefine", "override")]


def _headers_schema(ce_type: str | None, dataschema: str | None = None) -> dict:
    """The CloudEvents Kafka binding (binary mode) headers of a seedsim message, plus its extensions."""
    text = {"type": "string"}
    props = {
        "ce_specversion": {**text, "const": envelope.SPEC_VERSION},
        "ce_id": {**text, "description": "unique message id; redeliveries keep it (duplicate detection)"},
        "ce_source": {**text, "pattern": f"^{envelope.SOURCE_PREFIX}[A-Z]{{2}}$", "description": "the sending node"},
        "ce_type": {**text, "const": ce_type} if ce_type else {**text, "pattern": "^org\\.seedsim\\.c2c\\."},
        "ce_time": {**text, "format": "date-time"},
        "ce_subject": {**text, "description": "consignment or movement reference; also the record key"},
        "ce_dataschema": {
            **text,
            **({"const": dataschema} if dataschema else {}),
            "description": "the XSD the payload satisfies, by its absolute URI (its text: x-seedsim-uri in components.schemas)",
        },
        "content-type": {**text, "const": envelope.XML_CONTENT_TYPE},
        "ce_recipient": {**text, "description": "the node the message is addressed to"},
        "ce_correlationid": {**text, "description": "one id for a whole conversation about a consignment"},
        "ce_causationid": {**text, "description": "ce_id of the message this one answers"},
        "ce_trigger": {
            **text,
            "description": "the consignment event that caused the message (PRE_ARRIVAL, EXIT, ENTRY, ...)",
        },
        envelope.UBS_HEADER: {
            **text,
            "pattern": "^UB-[A-Z0-9][A-Z0-9-]*(,UB-[A-Z0-9][A-Z0-9-]*)*$",
            "description": "the Utility Blocks whose conversations the message belongs to, comma-separated; an "
            "answer repeats those of the message it answers (optional: monitoring measures a message without it "
            "by its type)",
        },
        "traceparent": {
            **text,
            "pattern": "^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$",
            "description": "W3C Trace Context",
        },
    }
    return {
        "type": "object",
        "required": ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "content-type"],
        "properties": props,
    }


def _schema_key(schema: str) -> str:
    """The components.schemas name of an XSD: its path under schemas/ with dots (wco.seedsim_metadata.xsd)."""
    return schema.replace("/", ".")


def _composed(schema: str, doc: etree._ElementTree) -> list[tuple[etree._Element, str]]:
    """The include/import elements of the XSD ``schema`` (a path under schemas/), each with the path it names."""
    here = PurePosixPath(schema).parent
    found = []
    for el in doc.iter(*_COMPOSITION):
        location = el.get("schemaLocation")
        if location:
            target = (SCHEMA_DIR / here / location).resolve().relative_to(SCHEMA_DIR.resolve())
            found.append((el, target.as_posix()))
    return found


def _xsd_components(schemas: list[str]) -> dict:
    """Every XSD the messages use, and every XSD those include or import, as text in the document."""
    out: dict[str, dict] = {}
    todo = list(dict.fromkeys(schemas))
    while todo:
        schema = todo.pop(0)
        if _schema_key(schema) in out:
            continue
        doc = etree.parse(str(SCHEMA_DIR / schema), etree.XMLParser(no_network=True, resolve_entities=False))
        for el, target in _composed(schema, doc):
            el.set("schemaLocation", envelope.dataschema_uri(target))
            todo.append(target)
        out[_schema_key(schema)] = {
            "schemaFormat": XML_SCHEMA_FORMAT,
            "schema": etree.tostring(doc, encoding="unicode") + "\n",
            "x-seedsim-uri": envelope.dataschema_uri(schema),
        }
    return dict(sorted(out.items()))


def _message(m) -> dict:
    return {
        "name": m.name,
        "title": m.name,
        "summary": m.description,
        "contentType": envelope.XML_CONTENT_TYPE,
        "headers": _headers_schema(m.ce_type, envelope.dataschema_uri(m.schema)),
        "payload": {"$ref": f"#/components/schemas/{_schema_key(m.schema)}"},
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": "consignment or movement reference"},
                "bindingVersion": KAFKA_BINDING,
            }
        },
        "x-seedsim-ce-type": m.ce_type,
        "x-seedsim-element": m.element,
    }


def _node_parameter() -> dict:
    return {
        "description": "the receiving node: a SEED+ administration's ISO 3166 code, lower case",
        "enum": sorted(c.lower() for c in codes.SEED_COUNTRIES),
    }


def _step_operations(blocks: dict[str, UtilityBlock]) -> dict:
    ops = {}
    for ub in blocks.values():
        for i, s in enumerate(ub.business_process.steps, 1):
            ops[f"{ub.id}.step{i}.{s.message}"] = {
                "action": "send",
                "channel": {"$ref": "#/channels/inbox"},
                "messages": [{"$ref": f"#/channels/inbox/messages/{s.message}"}],
                "title": f"{ub.id} step {i}",
                "summary": f"[{s.event}] {s.from_role} sends {s.message} to {s.to_role}",
                "description": s.timing + (f". {s.note}" if s.note else ""),
                "tags": [{"name": ub.id}],
            }
    return ops


def asyncapi_document(blocks: dict[str, UtilityBlock], prefix: str = "seedsim") -> dict:
    """The AsyncAPI document, self-contained (no file references: each XSD travels inside it)."""
    topics = Topics(prefix)
    node = "{node}"  # the channel parameter; lower-casing it in Topics leaves it as is
    messages = {name: _message(m) for name, m in sorted(CATALOGUE.by_name.items())}
    interop_schema = InteropRecord.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas = {
        "CloudEventsHeaders": _headers_schema(None),
        **interop_schema.pop("$defs", {}),
        "InteropRecord": interop_schema,
        **_xsd_components([m.schema for m in CATALOGUE.by_name.values()]),
    }
    dlq_headers = {
        "type": "object",
        "properties": {
            **_headers_schema(None)["properties"],
            **{
                f"dlq_{k}": {"type": "string", "description": d}
                for k, d in (
                    ("error_class", "eTIR-style class of the failure"),
                    ("rule", "rule id"),
                    ("reason", "what went wrong"),
                    ("pointer", "where in the document"),
                    ("original_topic", "inbox the record came from"),
                    ("original_partition", "its partition"),
                    ("original_offset", "its offset"),
                )
            },
        },
    }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "seedsim: SEED+ customs-to-customs exchange",
            "version": __version__,
            "description": "Channels, messages and operations of seedsim's customs nodes, generated from the message catalogue "
            f"and the Utility Blocks ({', '.join(blocks)}).",
            "license": {"name": "Apache-2.0", "url": "https://www.apache.org/licenses/LICENSE-2.0"},
            "tags": [{"name": ub.id, "description": ub.title} for ub in blocks.values()],
        },
        "defaultContentType": envelope.XML_CONTENT_TYPE,
        "servers": {
            "kafka": {
                "host": "localhost:9092",
                "protocol": "kafka",
                "description": "an Apache Kafka cluster shared by the nodes",
            }
        },
        "channels": {
            "inbox": {
                "address": topics.inbox(node),
                "title": "node inbox",
                "description": "every message addressed to a node; record key = consignment reference",
                "parameters": {"node": _node_parameter()},
                "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in messages},
            },
            "deadLetters": {
                "address": topics.dead_letter(node),
                "title": "dead letters of a node's inbox",
                "description": "records the node could not read or handle, unchanged, with the reason in dlq_* headers",
                "parameters": {"node": _node_parameter()},
                "messages": {"DeadLetter": {"$ref": "#/components/messages/DeadLetter"}},
            },
            "interop": {
                "address": topics.interop,
                "title": "interoperability records",
                "description": (
                    "a record per stage of every exchange, from every node; a node writes the records of one"
                    " transaction as one Kafka record (a batch, keyed by the node): JSON Lines, a header line"
                    ' {"format":"seedsim.interop.batch","version":1,"records":N} then one InteropRecord per line'
                    " (a value of a single InteropRecord, as written before batches, reads as a batch of one)"
                ),
                "messages": {"InteropRecord": {"$ref": "#/components/messages/InteropRecord"}},
            },
        },
        "operations": {
            "receiveInbox": {
                "action": "receive",
                "channel": {"$ref": "#/channels/inbox"},
                "summary": "a node reads its inbox, validates and acknowledges what it receives",
            },
            "sendDeadLetter": {
                "action": "send",
                "channel": {"$ref": "#/channels/deadLetters"},
                "summary": "a node sets aside a record it cannot handle",
            },
            "sendInteropRecord": {
                "action": "send",
                "channel": {"$ref": "#/channels/interop"},
                "summary": "a node records each stage of an exchange",
            },
            **_step_operations(blocks),
        },
        "components": {
            "schemas": schemas,
            "messages": {
                **messages,
                "DeadLetter": {
                    "name": "DeadLetter",
                    "title": "dead letter",
                    "contentType": "application/octet-stream",
                    "summary": "the original record value, as received",
                    "headers": dlq_headers,
                },
                "InteropRecord": {
                    "name": "InteropRecord",
                    "title": "interoperability record",
                    "summary": "one line of a batch on the interop channel (see the channel's description)",
                    "contentType": "application/json",
                    "payload": {"$ref": "#/components/schemas/InteropRecord"},
                },
            },
        },
    }
