"""Hostile input, generated (issue 11): requests built from a node's own OpenAPI document, and Kafka records fed
to its inbox, with strings that are huge, hold lone surrogates or control characters, XML bombs and values of the
wrong type.

Over HTTP (httpx's ASGI transport): no answer is a 500, the app never raises, and no request hangs (each is given
10 s, a hang check, not a speed target). Into the inbox (``InboxNode.on_records`` on the in-process bus): the
handler never raises, and each record ends in exactly one of accepted (``valid``), repeated (``duplicate``) or
refused and dead-lettered (``dead_lettered``), as the interop records count them.

Hypothesis runs derandomized (the same examples on every run, for CI) with no example database.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seedsim.bootstrap import make_agency_node, running_network
from seedsim.config import AgencyConfig, NodeConfig
from seedsim.core.interop import Stage, decode_interop
from seedsim.core.topics import Topics
from seedsim.core.transport import Record
from seedsim.core.transport.memory import InMemoryBus
from seedsim.messages.seed import EXPORT_DATA
from seedsim.samples.crossings import DEMO_CROSSINGS
from tests.unit.node_api import client

EXAMPLES = Path(__file__).resolve().parents[2] / "schemas" / "examples"
EXPORT = (EXAMPLES / "ExportData" / "valid" / "exportdata-1.xml").read_bytes()
IMPORT = (EXAMPLES / "ImportDeclaration" / "valid" / "import-of-exportdata-1.xml").read_bytes()
UCR = "6RS292083280-C6452822"
HANG_S = 10
FUZZ = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)

# -- hostile values ---------------------------------------------------------------------------------

HOSTILE_STRINGS = [
    "",
    " ",
    "\ud800",
    "a\udfffb",
    "\x00",
    "RS01\x0070",
    "\u202eRS015070",
    "\ufeffRS015070",
    "RS015070\n",
    "RS015070",
    "rs015070",
    "ME200012",
    UCR,
    "26RS23O1ARVVENJPA5",
    "EXIT",
    "ENTRY",
    "ME",
    "../../../etc/passwd",
    "%00%ff",
    "' OR 1=1 --",
    "<a/>",
    "{{7*7}}",
    "💥" * 300,
    "-1",
    "1e309",
    "NaN",
    "R" * 36,
    "O" * 1_100_000,  # the hostile test's 1.1 MB office
]

hostile_text = st.one_of(
    st.sampled_from(HOSTILE_STRINGS),
    st.text(st.characters(exclude_categories=()), max_size=40),  # surrogates and control characters included
)
hostile_value = st.one_of(
    hostile_text,
    st.integers(),
    st.sampled_from([10**40, -(10**40), 0, -1]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)

BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'.encode()
        for i in range(1, 10)
    )
    + b"]><lolz>&lol9;</lolz>"
)
HOSTILE_XML = [
    b"",
    b"<",
    b"<a>",
    b"\xff\xfe\x00<",
    BILLION_LAUGHS,
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
    b"<a>" * 10_000 + b"</a>" * 10_000,
    b'<a b="' + b"x" * 2_000_000 + b'"/>',
    b"<a>\x00</a>",
    b'<?xml version="1.0" encoding="UTF-16"?><a/>',
    EXPORT,
    IMPORT,
    EXPORT.replace(b"RS015070", "\ud800".encode("utf-8", "surrogatepass")),
    EXPORT.replace(b"</MetaData>", b"</MetaData><MetaData/>"),
    b" " * (4 * 1024 * 1024 + 1),  # over max_xml_bytes
]
hostile_body = st.one_of(st.sampled_from(HOSTILE_XML), st.binary(max_size=300))

CONTENT_TYPES = [
    "application/xml",
    "text/xml",
    "application/vnd.wco+xml",
    "application/json",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    'application/xml; charset="',
    "xml",
    "*/*",
    "",
    None,
]


def url_part(text: str) -> str:
    """``text`` percent-encoded as its UTF-8 bytes (a lone surrogate as the bytes it would have), cut to 2,000
    characters: no client or server takes a URL of megabytes (httpx refuses one over 64 kB)."""
    return quote(text[:2000].encode("utf-8", "surrogatepass"), safe="")


# -- requests from the OpenAPI document ----------------------------------------------------------------


def operations(app) -> list[tuple[str, str, list[tuple[str, str]], str | None, list[str]]]:
    """(method, path, [(parameter, in)], body kind json/xml/None, JSON properties) of every documented operation."""
    spec = app.openapi()
    schemas = spec.get("components", {}).get("schemas", {})
    ops = []
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            params = [(p["name"], p["in"]) for p in op.get("parameters", [])]
            content = op.get("requestBody", {}).get("content", {})
            kind, props = None, []
            if "application/json" in content:
                ref = content["application/json"]["schema"].get("$ref", "")
                kind, props = "json", list(schemas.get(ref.rsplit("/", 1)[-1], {}).get("properties", {}))
            elif "application/xml" in content:
                kind = "xml"
            ops.append((method.upper(), path, params, kind, props))
    ops.append(("GET", "/no/such/{x}", [("x", "path")], None, []))
    ops.append(("PATCH", "/events", [], "json", []))
    return ops


@st.composite
def hostile_request(draw, ops):
    method, path, params, kind, props = draw(st.sampled_from(ops))
    for name, where in params:
        if where == "path":
            path = path.replace("{" + name + "}", url_part(draw(hostile_text)) or "x")
    query = [
        (name, draw(st.one_of(hostile_text, st.integers().map(str))))
        for name, where in params
        if where == "query" and draw(st.booleans())
    ]
    if draw(st.booleans()):
        query.append((draw(st.sampled_from(["limit", "as", "junk", "consignment\x00"])), draw(hostile_text)))
    url = path + ("?" + "&".join(f"{url_part(k)}={url_part(v)}" for k, v in query) if query else "")
    content_type = draw(st.sampled_from(CONTENT_TYPES))
    if kind == "json" and draw(st.integers(0, 3)):
        fields = {p: draw(hostile_value) for p in props if draw(st.booleans())}
        if draw(st.booleans()):
            fields[draw(st.text(max_size=8))] = draw(hostile_value)
        body = json.dumps(draw(st.one_of(st.just(fields), hostile_value)), ensure_ascii=True).encode()
        content_type = draw(st.sampled_from(["application/json", "application/json", content_type]))
    elif kind == "xml" or draw(st.booleans()):
        body = draw(hostile_body)
    else:
        body = b""
    headers = {"content-type": content_type} if content_type is not None else {}
    return method, url, headers, body


def answer_without_failing(loop, http: httpx.AsyncClient, request) -> None:
    method, url, headers, body = request
    started = time.monotonic()
    try:
        r = loop.run_until_complete(asyncio.wait_for(http.request(method, url, headers=headers, content=body), HANG_S))
    except TimeoutError:
        pytest.fail(f"{method} {url[:200]} hung: no answer in {HANG_S} s")
    assert time.monotonic() - started < HANG_S, f"{method} {url[:200]} blocked the node for {HANG_S} s"
    assert r.status_code < 500, f"{method} {url[:200]} ({headers}) answered {r.status_code}: {r.text[:500]}"
    assert "Traceback" not in r.text


@pytest.fixture(scope="module")
def loop():
    """An event loop of this module's own: Hypothesis calls the tests synchronously, once per example."""
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture(scope="module")
def corridor_nodes(loop, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fuzz")
    configs = [
        NodeConfig(node=country, db=tmp / f"{country}.sqlite3", partners=[partner], crossings=DEMO_CROSSINGS)
        for country, partner in (("RS", "ME"), ("ME", "RS"))
    ]
    network = running_network(configs, InMemoryBus())
    nodes = loop.run_until_complete(network.__aenter__())
    yield nodes
    loop.run_until_complete(network.__aexit__(None, None, None))


@pytest.fixture(scope="module")
def customs_http(loop, corridor_nodes):
    http = client(corridor_nodes.customs["RS"])
    yield http
    loop.run_until_complete(http.aclose())


@pytest.fixture(scope="module")
def agency_http(loop, corridor_nodes, tmp_path_factory):
    node = make_agency_node(
        AgencyConfig(node="RS-TAX", db=tmp_path_factory.mktemp("tax") / "tax.db", partners=["ME", "RS"]),
        corridor_nodes.transport,
    )
    loop.run_until_complete(node.start())
    http = client(node)
    yield http
    loop.run_until_complete(http.aclose())
    loop.run_until_complete(node.stop())


def fuzz(loop, http: httpx.AsyncClient, examples: int) -> None:
    """``examples`` hostile requests built from the OpenAPI document of the app behind ``http``."""
    ops = operations(http._transport.app)

    @settings(FUZZ, max_examples=examples)
    @given(request=hostile_request(ops))
    def answers(request):
        answer_without_failing(loop, http, request)

    answers()


def test_1000_hostile_requests_to_a_customs_node(loop, customs_http):
    fuzz(loop, customs_http, 1000)


def test_300_hostile_requests_to_an_agency_node(loop, agency_http):
    fuzz(loop, agency_http, 300)


# -- records from Kafka ----------------------------------------------------------------------------------

T = Topics()
VALID_HEADERS = EXPORT_DATA.envelope("ME", "RS", subject=UCR, trigger="EXIT").to_headers()
IDS = ["id-1", "id-2", "id-3", "\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace")]
hostile_bytes = st.one_of(
    st.sampled_from([b"", b"\xff\xfe", b"\x00", b"x" * 100_000, "\ud800".encode("utf-8", "surrogatepass")]),
    hostile_text.map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.binary(max_size=50),
)


@st.composite
def hostile_headers(draw):
    headers = [(k, v) for k, v in VALID_HEADERS if draw(st.integers(0, 9))]  # each dropped one time in ten
    for i in range(len(headers)):
        k, v = headers[i]
        if k == "ce_id":
            headers[i] = (k, draw(st.sampled_from(IDS)).encode())
        elif not draw(st.integers(0, 5)):
            headers[i] = (k, draw(hostile_bytes))
    if draw(st.booleans()):
        headers.append((draw(st.sampled_from([k for k, _ in VALID_HEADERS] + ["junk", ""])), draw(hostile_bytes)))
    return tuple(headers)


hostile_record = st.tuples(hostile_headers(), st.one_of(hostile_body, st.sampled_from([EXPORT] * 3)))


@pytest.fixture(scope="module")
def inbox_node(loop, tmp_path_factory):
    """Node RS alone on a bus; the test hands its inbox handler the records itself."""
    config = NodeConfig(
        node="RS", db=tmp_path_factory.mktemp("inbox") / "RS.sqlite3", partners=["ME"], crossings=DEMO_CROSSINGS
    )
    network = running_network([config], InMemoryBus())
    running = loop.run_until_complete(network.__aenter__())
    yield running.transport, running.customs["RS"]
    loop.run_until_complete(network.__aexit__(None, None, None))


def test_1000_hostile_records_each_end_accepted_repeated_or_dead_lettered(loop, inbox_node):
    bus, node = inbox_node
    offsets = itertools.count()
    fed = []

    @settings(FUZZ, max_examples=110)
    @given(batch=st.lists(hostile_record, min_size=10, max_size=14))
    def handled(batch):
        records = [
            Record(topic=T.inbox("RS"), key=None, value=value, headers=headers, partition=0, offset=next(offsets))
            for headers, value in batch
        ]
        before = len(bus.log(T.interop))
        loop.run_until_complete(asyncio.wait_for(node.on_records(records), HANG_S))
        ends = [
            rec.stage
            for r in bus.log(T.interop)[before:]
            for rec in decode_interop(r.value)
            if rec.stage in (Stage.VALID, Stage.DUPLICATE, Stage.DEAD_LETTERED)
        ]
        assert len(ends) == len(records), (ends, batch)
        fed.extend(records)

    handled()
    assert len(fed) >= 1000
    dead = len(bus.log(T.dead_letter("RS")))
    assert 0 < dead <= len(fed)
