"""Utility Blocks as data: the shipped catalogue loads, broken files are refused with the place
to fix, and `seedsim ub list|show|docs` print what they say. (The AsyncAPI document derived
from them is tested in test_asyncapi.py.)"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml
from lxml import etree

from seedsim.cli import main
from seedsim.message_catalogue import CATALOGUE
from seedsim.utility_blocks import UtilityBlockError, load_all, load_file
from seedsim.utility_blocks.loader import UB_DIR
from seedsim.utility_blocks.xsd_paths import element_paths

ROOT = Path(__file__).resolve().parents[2]
#: the exchanges the catalogue must describe at least
REQUIRED = {
    "UB-SEED-EXIT",
    "UB-SEED-TRANSIT",
    "UB-SEED-TIR",
    "UB-SEED-ATA",
    "UB-SEED-ORIGIN",
    "UB-SEED-PHYTO",
    "UB-SEED-CASH",
    "UB-SEED-VAT",
    "UB-SEED-EMPTY-TRUCK",
}


@pytest.fixture(scope="module")
def blocks():
    return load_all()


def test_every_shipped_ub_loads_and_validates(blocks):
    assert REQUIRED <= set(blocks)
    assert len(blocks) == len(list(UB_DIR.glob("*.yaml")))
    for ub in blocks.values():
        assert ub.business_process.steps[0].event == ub.business_process.trigger
        assert set(ub.messages()) <= set(CATALOGUE.by_name)
        for e in ub.examples:
            assert (ROOT / e).is_file(), e


def test_seed_core_ub_is_the_exchange_the_nodes_run(blocks):
    ub = blocks["UB-SEED-EXIT"]
    steps = [(s.event, s.message) for s in ub.business_process.steps]
    assert (
        ("PRE_ARRIVAL", "ExportData") in steps
        and ("EXIT", "ExportData") in steps
        and ("ENTRY", "EntryConfirmation") in steps
    )
    assert {c.alert for c in ub.matching.compare} == {"M01", "M02", "M03", "M04", "M05", "M06"}
    minimum = {e.wco_id for d in ub.data_set for e in d.elements if d.message == "ExportData" and e.set == "minimum"}
    assert {"016", "131", "145", "T006", "D014"} <= minimum  # UCR, gross mass, HS code, vehicle, MRN


def test_empty_truck_ub_uses_its_own_message(blocks):
    assert CATALOGUE.by_name["EmptyTruckCrossing"].rules is not None
    assert blocks["UB-SEED-EMPTY-TRUCK"].messages()[0] == "EmptyTruckCrossing"


def _example_paths(name: str) -> set[str]:
    m = CATALOGUE.by_name[name]
    out = set()
    for p in (ROOT / "schemas" / "examples" / name / "valid").glob("*.xml"):
        body = next(e for e in etree.parse(str(p)).getroot().iter() if e.tag == m.element)
        for el in body.iter():
            if isinstance(el.tag, str):
                steps = [etree.QName(a).localname for a in reversed(list(el.iterancestors()))] + [
                    etree.QName(el).localname
                ]
                path = "/" + "/".join(steps[steps.index(etree.QName(body).localname) :])
                out |= {path, *(f"{path}/@{a}" for a in el.attrib)}
    return out


@pytest.mark.parametrize("name", sorted(CATALOGUE.by_name))
def test_schema_walk_knows_every_element_of_the_examples(name):
    """The path check must not refuse what the XSD allows: every element of every valid example is known."""
    assert _example_paths(name) - element_paths(CATALOGUE.by_name[name]) == set()


# -- broken files ---------------------------------------------------------------------------------


def _seed_exit() -> dict:
    return yaml.safe_load((UB_DIR / "seed-exit.yaml").read_text())


def _no_trigger(d):
    del d["business_process"]["trigger"]


def _unknown_message(d):
    d["business_process"]["steps"][0]["message"] = "ExportDatum"


def _path_not_in_message(d):
    d["data_set"][0]["elements"][0]["path"] = "/Declaration/GoodsShipment/Colour"


def _undeclared_role(d):
    d["business_process"]["steps"][1]["to"] = "tax_office"


@pytest.mark.parametrize(
    "break_it, pointer, says",
    [
        (_no_trigger, "/business_process", "'trigger' is a required property"),
        (_unknown_message, "/business_process/steps/0/message", "unknown message type 'ExportDatum'"),
        (
            _path_not_in_message,
            "/data_set/0/elements/0/path",
            "/Declaration/GoodsShipment/Colour is not an element of ExportData",
        ),
        (_undeclared_role, "/business_process/steps/1/to", "role 'tax_office' is not declared"),
    ],
    ids=["missing-trigger", "unknown-message", "path-not-in-message", "undeclared-role"],
)
def test_broken_ub_is_refused_naming_file_and_place(tmp_path, break_it, pointer, says):
    data = copy.deepcopy(_seed_exit())
    break_it(data)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(UtilityBlockError) as exc:
        load_file(path)
    hits = [p for p in exc.value.problems if p.pointer == pointer and says in p.message]
    assert hits, str(exc.value)
    assert f"{path}#{pointer}: " in str(exc.value)


def test_cli_refuses_a_broken_catalogue_with_the_file_named(tmp_path, monkeypatch, capsys):
    data = _seed_exit()
    _unknown_message(data)
    (tmp_path / "broken.yaml").write_text(yaml.safe_dump(data))
    monkeypatch.setattr("seedsim.utility_blocks.loader.UB_DIR", tmp_path)
    assert main(["ub", "list"]) == 2
    assert "broken.yaml#/business_process/steps/0/message" in capsys.readouterr().err


# -- ub list / show / docs ------------------------------------------------------------------------


def test_ub_list_names_id_title_trigger_and_messages(blocks, capsys):
    assert main(["ub", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    for ub in blocks.values():
        line = next(line for line in lines if line.startswith(ub.id + " "))
        assert ub.title in line and ub.business_process.trigger in line
        assert all(m in line for m in ub.messages())


def test_ub_show_prints_every_section(blocks, capsys):
    assert main(["ub", "show", "UB-SEED-TIR"]) == 0
    out = capsys.readouterr().out
    for heading in (
        "1. Purpose",
        "2. Legal basis",
        "3. Business process",
        "4. Data set",
        "5. Exchange",
        "6. Governance",
        "Examples",
    ):
        assert heading in out
    ub = blocks["UB-SEED-TIR"]
    assert all(e.path in out for d in ub.data_set for e in d.elements)
    assert "TIR Convention" in out and "trigger: PRE_ARRIVAL" in out


def test_ub_show_unknown_id_fails(capsys):
    assert main(["ub", "show", "UB-NOPE"]) == 2
    assert "UB-SEED-EXIT" in capsys.readouterr().err


def test_ub_docs_write_a_page_per_ub_with_its_sequence_diagram(blocks, tmp_path, capsys):
    out = tmp_path / "docs"
    assert main(["ub", "docs", "--out", str(out)]) == 0
    index = (out / "index.md").read_text()
    for ub in blocks.values():
        assert f"]({ub.id}.md)" in index
        page = (out / f"{ub.id}.md").read_text()
        diagram = re.search(r"```mermaid\n(sequenceDiagram\n.*?)```", page, re.S)
        assert diagram, ub.id
        arrows = [line.strip() for line in diagram.group(1).splitlines() if ">>" in line]
        assert len(arrows) == len(ub.business_process.steps)
        for arrow, s in zip(arrows, ub.business_process.steps, strict=False):
            assert re.fullmatch(rf"{s.from_role}-?->>{s.to_role}: \[{s.event}\] {s.message}", arrow), arrow
        for d in ub.data_set:
            assert f"### {d.message}" in page and all(f"`{e.path}`" in page for e in d.elements)
        for link in re.findall(r"\]\(([^)]+\.xml)\)", page):
            assert (out / link).resolve().is_file(), link
