"""``seedsim validate``'s fast path gives the very reports the model path gives, document for document.

The fast path is what a document goes through when nothing in it is wrong: its type found by a loop over the
first children of its body, its values gathered in one walk of the tree and validated by pydantic in one call.
The model path is the reference it must agree with: the type found by ``findtext``, every element's model
validated as it is read (``_read_by_level``, where lenient reading acts). A user must not be able to tell them
apart: the same issues, rule ids, texts and pointers, in text, JSON and JUnit. Compared on every shipped
example and on generated documents of every catalogued type, as generated and broken in ways the schema or the
rules refuse (a value that does not convert, a leaf emptied or doubled or dropped, an element seedsim does not
know, values padded with spaces).
"""

from __future__ import annotations

import random
import re

import pytest

import seedsim.core.message_type as message_type
from seedsim.conformance import as_json, as_junit, as_text, validate_document
from seedsim.message_catalogue import CATALOGUE
from tests.unit.seedsim_cli import REPO
from tests.unit.test_xml_reading_paths import BREAKS as READING_BREAKS
from tests.unit.test_xml_reading_paths import level_by_level

EXAMPLES = sorted((REPO / "schemas" / "examples").glob("*/*/*.xml"))

#: ways to break a document (the reading tests' own, and more): each changes its first match only, but padding
BREAKS = {
    **READING_BREAKS,
    "numbers padded": lambda text: re.sub(r">(\d+(?:\.\d+)?)<", r">  \1 <", text),
    "leaf doubled": lambda text: re.sub(r"(<([\w:]+)[^<>/]*>[^<>]+</\2>)", r"\1\1", text, count=1),
    "leaf dropped": lambda text: re.sub(r"<([\w:]+)[^<>/]*>[^<>]+</\1>", "", text, count=1),
    "last leaf dropped": lambda text: re.sub(r"(.*)<([\w:]+)[^<>/]*>[^<>]+</\2>", r"\1", text, count=1, flags=re.S),
    "unknown element": lambda text: re.sub(
        r"(<([\w:]+:)?\w+[^<>?]*>\s*)(<)", r"\1<Unknown>1</Unknown>\3", text, count=1
    ),
}


def generated() -> list[tuple[str, bytes]]:
    """Three documents of every catalogued type that has a generator, as its own writer writes them."""
    docs = []
    for mt in CATALOGUE:
        if mt.generate is None:
            continue
        for seed in range(3):
            docs.append((f"{mt.name}-{seed}", mt.write(mt.generate(random.Random(seed)))))
    return docs


def corpus() -> list[tuple[str, bytes]]:
    """Every shipped example and every generated document, each as it is and broken every way."""
    originals = [("/".join(p.parts[-3:]), p.read_bytes()) for p in EXAMPLES] + generated()
    return [
        (f"{name} ({how})", brk(data.decode("utf-8")).encode("utf-8"))
        for name, data in originals
        for how, brk in BREAKS.items()
    ]


def reports(documents: list[tuple[str, bytes]]) -> list:
    return [validate_document(data, name) for name, data in documents]


@pytest.fixture(scope="module")
def both_paths():
    documents = corpus()
    fast = reports(documents)
    with pytest.MonkeyPatch.context() as monkeypatch:
        level_by_level(monkeypatch)
        monkeypatch.setattr(message_type, "_first_child_text", lambda el, tag: el.findtext(tag))
        model = reports(documents)
    return documents, fast, model


def test_the_corpus_has_every_kind_of_document(both_paths):
    documents, fast, _model = both_paths
    assert len(documents) == len(BREAKS) * (len(EXAMPLES) + 3 * sum(mt.generate is not None for mt in CATALOGUE))
    assert {r.message_type for r in fast} >= set(CATALOGUE.by_name)
    invalid = [r for r in fast if not r.valid]
    assert len(invalid) > len(documents) // 3, "most broken documents are refused"
    rules = {i.rule for r in invalid for i in r.report.issues}
    assert "XSD100" in rules and any(r.startswith("R1") for r in rules), rules


def test_each_document_gets_the_model_paths_report(both_paths):
    documents, fast, model = both_paths
    for (name, _data), f, m in zip(documents, fast, model, strict=True):
        assert (f.message_type, f.valid, f.report.issues) == (m.message_type, m.valid, m.report.issues), name


@pytest.mark.parametrize("render", [as_text, as_json, as_junit], ids=["text", "json", "junit"])
def test_the_reports_read_the_same(both_paths, render):
    _documents, fast, model = both_paths
    assert render(fast) == render(model)
