"""`seedsim asyncapi`: an AsyncAPI 3.0.0 document that AsyncAPI tools read as it is, wherever it is.

Two official checks, both fetched by .ci/run through npm: the AsyncAPI 3.0.0 JSON Schema
(@asyncapi/specs, the shape of the document) and the AsyncAPI parser (@asyncapi/parser, run
with node: it also resolves references and reads every payload schema, as generators and
Studio do). The document is moved to another folder before it is parsed, and its XSDs are
compiled from the document alone, to prove it refers to no file beside it. Locally a check
whose tool is not installed skips with the command to install it; in CI (CI set) it fails.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree

from seedsim.core.envelope import SCHEMA_URI_PREFIX
from seedsim.message_catalogue import CATALOGUE
from seedsim.utility_blocks import load_all

ROOT = Path(__file__).resolve().parents[2]
ASYNCAPI_SCHEMA = ROOT / ".cache" / "asyncapi" / "3.0.0.json"
FETCH = "bash tests/support/fetch_asyncapi_schema.sh"
PARSER_DIR = ROOT / ".cache" / "asyncapi-parser"
PARSE_SCRIPT = ROOT / "tests" / "support" / "asyncapi_parse.cjs"
INSTALL_PARSER = "bash tests/support/fetch_asyncapi_parser.sh"
COMPOSITION = ("{http://www.w3.org/2001/XMLSchema}include", "{http://www.w3.org/2001/XMLSchema}import")


def _missing(what: str, how: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what} is missing: .ci/run must run `{how}` before pytest")
    pytest.skip(f"{what} is not installed: run `{how}`")


def _seedsim(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The command as a user runs it."""
    if importlib.util.find_spec("seedsim.__main__") is not None:
        cmd = [sys.executable, "-m", "seedsim"]
    else:
        cmd = [str(Path(sys.executable).parent / "seedsim")]
    return subprocess.run([*cmd, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def blocks():
    return load_all()


@pytest.fixture(scope="module")
def asyncapi_validator():
    if not ASYNCAPI_SCHEMA.is_file():
        _missing(f"the official AsyncAPI 3.0.0 schema {ASYNCAPI_SCHEMA}", FETCH)
    import jsonschema

    schema = json.loads(ASYNCAPI_SCHEMA.read_text())
    return jsonschema.validators.validator_for(schema)(schema)


@pytest.fixture(scope="module")
def parse_with_official_parser():
    """node + @asyncapi/parser: a function from a document's path to the parser's diagnostics."""
    node = shutil.which("node")
    if node is None:
        _missing("node (Node.js, to run @asyncapi/parser)", "apt-get install nodejs npm")
    if not (PARSER_DIR / "node_modules" / "@asyncapi" / "parser" / "package.json").is_file():
        _missing(f"@asyncapi/parser in {PARSER_DIR}", INSTALL_PARSER)

    def parse(document: Path) -> list[dict]:
        done = subprocess.run(
            [node, str(PARSE_SCRIPT), str(document)], capture_output=True, text=True, timeout=120, cwd=document.parent
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)["diagnostics"]

    return parse


@pytest.fixture(scope="module")
def asyncapi_doc(tmp_path_factory):
    """The document written by `seedsim asyncapi --out`, then moved elsewhere (the folder it was written to is gone)."""
    written = tmp_path_factory.mktemp("written") / "deep" / "er"
    written.mkdir(parents=True)
    done = _seedsim("asyncapi", "--out", str(written / "asyncapi.json"), cwd=written)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    moved = tmp_path_factory.mktemp("moved") / "asyncapi.json"
    shutil.copyfile(written / "asyncapi.json", moved)
    shutil.rmtree(written)
    return moved, json.loads(moved.read_text())


def test_asyncapi_document_validates_against_the_official_schema(asyncapi_validator, asyncapi_doc):
    _, doc = asyncapi_doc
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in asyncapi_validator.iter_errors(doc)]
    assert errors == []
    # the validator does check: an AsyncAPI 2 style operation is refused
    broken = copy.deepcopy(doc)
    broken["operations"]["receiveInbox"]["action"] = "subscribe"
    assert list(asyncapi_validator.iter_errors(broken))


def test_official_parser_reads_the_moved_document_without_errors(parse_with_official_parser, asyncapi_doc):
    path, doc = asyncapi_doc
    diagnostics = parse_with_official_parser(path)
    problems = [d for d in diagnostics if d["severity"] in ("error", "warning")]
    assert problems == []
    # the parser does check: a payload that refers to an XSD file (as the document once did) is refused,
    # because the parser reads the XSD as YAML
    broken = copy.deepcopy(doc)
    broken["components"]["messages"]["ExportData"]["payload"] = {
        "schemaFormat": "application/xml",
        "schema": {"$ref": "schemas/wco/seedsim_metadata.xsd"},
    }
    (path.parent / "schemas" / "wco").mkdir(parents=True)
    shutil.copyfile(ROOT / "schemas" / "wco" / "seedsim_metadata.xsd", path.parent / "schemas/wco/seedsim_metadata.xsd")
    (path.parent / "broken.json").write_text(json.dumps(broken))
    assert any(d["severity"] == "error" for d in parse_with_official_parser(path.parent / "broken.json"))


def test_asyncapi_document_covers_channels_messages_and_ub_steps(blocks, asyncapi_doc):
    _, doc = asyncapi_doc
    assert doc["asyncapi"] == "3.0.0"
    channels = doc["channels"]
    assert (
        channels["inbox"]["address"] == "seedsim.inbox.{node}"
        and "rs" in channels["inbox"]["parameters"]["node"]["enum"]
    )
    assert channels["deadLetters"]["address"] == "seedsim.inbox.{node}.dlq"
    assert channels["interop"]["address"] == "seedsim.interop"
    messages = doc["components"]["messages"]
    for name, m in CATALOGUE.by_name.items():
        msg = messages[name]
        assert msg["headers"]["properties"]["ce_type"]["const"] == m.ce_type
        uri = f"{SCHEMA_URI_PREFIX}{m.schema}"  # what the records' ce_dataschema carries
        assert msg["headers"]["properties"]["ce_dataschema"]["const"] == uri
        payload = _resolve(doc, msg["payload"])
        assert payload["schemaFormat"] == "application/xml" and payload["x-seedsim-uri"] == uri
        # the XSD itself, as text: the same schema as the file the nodes validate with
        embedded = etree.fromstring(payload["schema"])
        on_disk = etree.parse(str(ROOT / "schemas" / m.schema)).getroot()
        assert embedded.get("targetNamespace") == on_disk.get("targetNamespace")
        assert _declarations(embedded) == _declarations(on_disk)
        assert name in channels["inbox"]["messages"]
    steps = {k: v for k, v in doc["operations"].items() if k.startswith("UB-")}
    assert len(steps) == sum(len(ub.business_process.steps) for ub in blocks.values())
    op = steps["UB-SEED-EXIT.step3.ExportData"]
    assert op["action"] == "send" and op["messages"] == [{"$ref": "#/channels/inbox/messages/ExportData"}]
    assert op["summary"].startswith("[EXIT] exporting_customs")


def _declarations(xsd: etree._Element) -> list[tuple[str, str | None]]:
    return [(etree.QName(e).localname, e.get("name")) for e in xsd if isinstance(e.tag, str)]


def _resolve(doc: dict, node: dict) -> dict:
    """A local reference ("#/components/...") followed to what it names; anything else fails the test."""
    ref = node.get("$ref")
    if ref is None:
        return node
    assert ref.startswith("#/"), f"a reference outside the document: {ref}"
    for part in ref[2:].split("/"):
        doc = doc[part]
    return doc


class _FromTheDocument(etree.Resolver):
    """Answers a schemaLocation with the XSD text the document carries under that URI; refuses anything else."""

    def __init__(self, texts: dict[str, str]) -> None:
        super().__init__()
        self.texts = texts
        self.asked: list[str] = []

    def resolve(self, system_url, public_id, context):
        self.asked.append(system_url)
        assert system_url in self.texts, f"the document does not carry {system_url}"
        return self.resolve_string(self.texts[system_url], context)


@pytest.mark.parametrize("name", sorted(CATALOGUE.by_name))
def test_the_document_alone_validates_the_example_messages(asyncapi_doc, name):
    """An integrator with nothing but the document compiles each message's XSD and validates the shipped examples."""
    _, doc = asyncapi_doc
    texts = {s["x-seedsim-uri"]: s["schema"] for s in doc["components"]["schemas"].values() if "x-seedsim-uri" in s}
    payload = _resolve(doc, doc["components"]["messages"][name]["payload"])
    parser = etree.XMLParser(no_network=True)
    resolver = _FromTheDocument(texts)
    parser.resolvers.add(resolver)
    schema = etree.XMLSchema(etree.fromstring(payload["schema"], parser))
    examples = sorted((ROOT / "schemas" / "examples" / name / "valid").glob("*.xml"))
    assert examples
    for example in examples:
        assert schema.validate(etree.parse(str(example))), (example.name, str(schema.error_log))
    # every include and import named a schema by its URI and was served from the document
    composed = [el.get("schemaLocation") for el in etree.fromstring(payload["schema"]).iter(*COMPOSITION)]
    assert all(location.startswith(SCHEMA_URI_PREFIX) for location in composed)
    assert set(composed) <= set(resolver.asked)
