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


async def test_seedsim_validate_as_lodging_judges_the_pair_as_the_nodes_lodging_desks_do(tmp_path, corridor):
    """``seedsim validate --as lodging`` and each node's ``POST /validate?as=lodging`` give the same verdicts; on its
    own (the default), the export declaration is judged as exchanged data, which must carry an MRN (R110)."""
    _bus, nodes = corridor
    assert seedsim("sample", "export-pair", "--seed", "7", "--out", str(tmp_path / "pair")).returncode == 0
    files = {"RS": tmp_path / "pair" / "export-RS.xml", "ME": tmp_path / "pair" / "import-ME.xml"}

    def cli(*args: str) -> dict[str, list[str]]:
        done = seedsim("validate", *args, *map(str, files.values()), "--format", "json")
        assert_no_traceback(done.stdout, done.stderr)
        reports = json.loads(done.stdout)
        rules = {r["source"]: [i["rule"] for i in r["issues"]] for r in reports["documents"]}
        return {c: rules[str(f)] for c, f in files.items()}

    async def desk(country: str, path: Path) -> list[str]:
        app = create_app(nodes[country], manage_lifecycle=False)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://n") as client:
            r = await client.post("/validate", params={"as": "lodging"}, content=path.read_bytes())
            return [i["rule"] for i in r.json()["issues"]]

    assert cli("--as", "lodging") == {c: await desk(c, f) for c, f in files.items()} == {"RS": [], "ME": []}
    at_me = cli("--as", "lodging", "--country", "ME")
    assert at_me == {"RS": await desk("ME", files["RS"]), "ME": []} and "R113" in at_me["RS"]
    assert "R110" in cli()["RS"]
    refused = seedsim("validate", "--country", "ME", str(files["RS"]))
    assert refused.returncode == 2 and "add --as lodging" in refused.stderr
