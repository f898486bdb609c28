"""``seedsim sample export-pair``: a matching declaration pair, and curl calls that walk it across RS -> ME."""

from __future__ import annotations

import asyncio
import json
import shlex
from pathlib import Path

import httpx
from lxml import etree

from seedsim.nodes.customs.customs_api import create_app
from tests.unit.seedsim_cli import assert_no_traceback, seedsim


def curl_calls(stdout: str) -> list[list[str]]:
    return [shlex.split(line.strip()) for line in stdout.splitlines() if line.strip().startswith("curl ")]


async def replay(call: list[str], clients: dict[str, httpx.AsyncClient]) -> httpx.Response:
    """A printed curl call, made through the nodes' apps: method, URL, headers and body as curl would send them."""
    args = call[1:]
    method, url, headers, body = "GET", None, {}, None
    while args:
        a = args.pop(0)
        if a == "-s":
            continue
        if a == "-X":
            method = args.pop(0)
        elif a == "-H":
            name, value = args.pop(0).split(": ", 1)
            headers[name] = value
        elif a == "--data-binary":
            body = Path(args.pop(0).removeprefix("@")).read_bytes()
        elif a == "-d":
            body = args.pop(0).encode()
        else:
            url = a
    base, path = url[: url.index("/", len("http://"))], url[url.index("/", len("http://")) :]
    return await clients[base].request(method, path, headers=headers, content=body)


async def test_the_pair_validates_and_the_printed_curl_calls_walk_it_across(tmp_path, corridor):
    _bus, nodes = corridor
    r = seedsim("sample", "export-pair", "--seed", "7", "--out", str(tmp_path / "pair"))
    assert r.returncode == 0, r.stderr
    assert_no_traceback(r.stdout, r.stderr)
    export, import_ = tmp_path / "pair" / "export-RS.xml", tmp_path / "pair" / "import-ME.xml"
    assert (
        f"  {export}  export declaration for RS" in r.stdout and f"  {import_}  import declaration for ME" in r.stdout
    )
    ucr = etree.parse(str(export)).findtext(".//{*}UCR/{*}ID")
    assert ucr and etree.parse(str(import_)).findtext(".//{*}UCR/{*}ID") == ucr

    # the import declaration validates as it is (the export, as lodged, has no MRN yet: the RS node issues it)
    v = seedsim("validate", str(import_))
    assert v.returncode == 0 and "1 of 1 document(s) valid" in v.stdout, v.stdout

    calls = curl_calls(r.stdout)
    assert len(calls) == 6

    apps = {"http://localhost:8001": nodes["RS"], "http://localhost:8002": nodes["ME"]}
    clients = {
        base: httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(n, manage_lifecycle=False)), base_url=base)
        for base, n in apps.items()
    }
    answers = []
    try:
        for call in calls:
            answers.append(await replay(call, clients))
            for _ in range(50):  # the nodes exchange between two calls, as while a person types the next
                await asyncio.sleep(0.01)
    finally:
        for c in clients.values():
            await c.aclose()
    lodged_x, pre_arrival, exit_, lodged_i, entry, where = answers
    for answer in (lodged_x, pre_arrival, exit_, lodged_i, entry, where):
        assert answer.status_code == 200, answer.text
    assert lodged_x.json()["accepted"] and lodged_x.json()["mrn"][2:4] == "RS", "an MRN of the RS node"
    assert lodged_i.json()["accepted"]
    at_me = where.json()
    assert at_me["consignment"] == ucr, at_me
    assert at_me["status"] == "entered_matched", "entry matched against the exit data RS sent"
    assert at_me["pre_arrival"]["from"] == "RS" and at_me["pre_arrival"]["mrn"] == lodged_x.json()["mrn"]
    assert at_me["alerts"] == [], "the import matches the export: no discrepancy"
    assert json.loads(calls[2][-1])["event"] == "EXIT"
