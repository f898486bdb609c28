"""``seedsim validate`` of many files: worker processes give the very report one process gives, in the same order.

From 256 files on the command spreads them over worker processes (``--jobs``,
one per core by default). What a user reads must not depend on that: the same
documents in the same order, the same verdicts and rule ids -- a broken
document and hostile ones (an external entity, an entity bomb) refused with the
same XML1xx rule wherever they fall among the chunks -- and the same exit code.
"""

from __future__ import annotations

import json
import shutil

import pytest

from seedsim.runners.hostile_payloads import BROKEN_XML, ENTITY_BOMB, XXE
from tests.unit.seedsim_cli import REPO, assert_no_traceback, seedsim

EXAMPLES = sorted((REPO / "schemas" / "examples").glob("*/*/*.xml"))
#: where the odd documents go among the others: first chunk, middle, the last (short) chunk
ODD = {"0007-broken.xml": BROKEN_XML, "0150-xxe.xml": XXE, "0299-entity-bomb.xml": ENTITY_BOMB}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """300 documents: every shipped example (valid and invalid, every type) over and over, and the odd ones."""
    folder = tmp_path_factory.mktemp("many")
    for i in range(300):
        shutil.copy(EXAMPLES[i % len(EXAMPLES)], folder / f"{i:04}-{EXAMPLES[i % len(EXAMPLES)].name}")
    for name, payload in ODD.items():
        (folder / name).write_bytes(payload)
    return folder


@pytest.mark.parametrize("format", ["json", "text"])
def test_workers_report_exactly_what_one_process_reports(corpus, format):
    one = seedsim("validate", str(corpus), "--format", format, "--jobs", "1")
    two = seedsim("validate", str(corpus), "--format", format, "--jobs", "2")
    for r in (one, two):
        assert r.returncode == 1, r.stderr  # the invalid examples and the odd documents
        assert_no_traceback(r.stdout, r.stderr)
    assert two.stdout == one.stdout
    assert two.stderr == one.stderr


def test_the_report_keeps_the_files_order_and_refuses_hostile_documents(corpus):
    r = seedsim("validate", str(corpus), "--format", "json", "--jobs", "2")
    report = json.loads(r.stdout)
    sources = [d["source"] for d in report["documents"]]
    assert sources == [str(p) for p in sorted(corpus.glob("*.xml"))]
    assert len(sources) == 303
    by_name = {d["source"].rsplit("/", 1)[1]: d for d in report["documents"]}
    rules = {name: [i["rule"] for i in by_name[name]["issues"]] for name in ODD}
    assert rules == {"0007-broken.xml": ["XML102"], "0150-xxe.xml": ["XML101"], "0299-entity-bomb.xml": ["XML101"]}
    assert not any(by_name[name]["valid"] for name in ODD)
    valid = sum(d["valid"] for d in report["documents"])
    assert 0 < valid < 300, "the valid examples pass, the invalid ones do not"
