"""``trace diff`` on real runs (the demo and shipped scenarios on the in-process bus), recorded, written, diffed.

Every expectation comes from the runs themselves (their interop summaries, the
records on the bus, the shipped Utility Blocks), never from the diff.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from lxml import etree

import seedsim.runners.demo as demo
import seedsim.runners.hostile_payloads as hostile
import seedsim.runners.scenarios.scenario_run as scenario_run
from seedsim.core.identifiers import make_mrn
from seedsim.core.interop import Stage, decode_interop
from seedsim.core.topics import Topics
from seedsim.core.transport import Record
from seedsim.core.transport.memory import InMemoryBus
from seedsim.messages.seed import ACKNOWLEDGEMENT
from seedsim.runners.interop_summary import InteropSummary
from seedsim.runners.scenarios.scenario_loader import SCENARIO_DIR, loads
from seedsim.runners.traces import TraceHeader, TraceWriter, read_trace
from seedsim.runners.traces.trace_diff import TraceDiff, diff_traces
from seedsim.runners.traces.trace_format import entry_to_json
from seedsim.runners.traces.trace_outcomes import masked
from seedsim.utility_blocks.loader import blocks_in

SEED = 7
CONSIGNMENTS = 6
GOLDEN_MALFORMED = ("broken_xml", "schema_violation", "external_entity")
SEED_EXIT = "UB-SEED-EXIT"
#: how long the faulty run holds back one acknowledgement
HELD_BACK_S = 1.0


@dataclass
class Run:
    path: Path
    records: list[Record]
    summary: InteropSummary


def bus_records(bus: InMemoryBus, nodes: Sequence[str] = ("RS", "ME")) -> list[Record]:
    """Every record of the run's topics, in the order they were sent (as test_trace_views records a run)."""
    t = Topics()
    topics = [t.interop, *(f(n) for n in nodes for f in (t.inbox, t.dead_letter))]
    return sorted((r for topic in topics for r in bus.log(topic)), key=lambda r: r.timestamp_ms or 0)


def recorded(
    path: Path,
    bus: InMemoryBus,
    module: Any,
    play: Callable[[], Coroutine[Any, Any, Any]],
    scenario: str,
    nodes: Sequence[str] = ("RS", "ME"),
) -> tuple[Run, Any]:
    """Run ``play`` with ``module.make_transport`` giving ``bus``, and write what the bus carried to ``path``."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(module, "make_transport", lambda *args, **kwargs: bus)
        result = asyncio.run(play())
    records = bus_records(bus, nodes)
    with TraceWriter(path, TraceHeader(source="bus", scenario=scenario, seed=SEED)) as writer:
        writer.write_all(records)
    return Run(path, records, result.summary), result


def demo_run(
    path: Path, bus: InMemoryBus | None = None, malformed: tuple[str, ...] = GOLDEN_MALFORMED, timeout: float = 60
) -> tuple[Run, bool]:
    """The demo, recorded: (the run, whether every awaited answer came)."""
    settings = demo.DemoSettings(
        consignments=CONSIGNMENTS,
        seed=SEED,
        discrepancies=2,
        malformed=malformed,
        db_dir=path.parent / path.name.split(".")[0],
        timeout=timeout,
    )
    run, result = recorded(
        path, bus or InMemoryBus(), demo, lambda: demo.run_demo(settings, out=lambda _: None), "demo"
    )
    return run, result.completed


class LostAndLateAcks(InMemoryBus):
    """A bus that loses the acknowledgement of one consignment's exit data and holds back another's."""

    def __init__(self, lose: str, hold_back: str) -> None:
        super().__init__()
        self.lose, self.hold_back = lose, hold_back
        self.held: list[asyncio.Task[None]] = []

    async def send_batch(self, records: Sequence[Record]) -> list[Record]:
        kept = []
        for r in records:
            ack_of_exit = r.header("ce_type") == ACKNOWLEDGEMENT.ce_type and r.header("ce_trigger") == "EXIT"
            if ack_of_exit and r.header("ce_subject") == self.lose:
                continue
            if ack_of_exit and r.header("ce_subject") == self.hold_back:
                self.held.append(asyncio.create_task(self._later(r)))
                continue
            kept.append(r)
        return await super().send_batch(kept)

    async def _later(self, record: Record) -> None:
        await asyncio.sleep(HELD_BACK_S)
        await super().send_batch([record])


@pytest.fixture(scope="module")
def golden(tmp_path_factory: pytest.TempPathFactory) -> Run:
    run, completed = demo_run(tmp_path_factory.mktemp("golden") / "golden.trace.jsonl.gz")
    assert completed
    return run


@pytest.fixture(scope="module")
def again(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """The golden run again: same seed, same settings."""
    run, completed = demo_run(tmp_path_factory.mktemp("again") / "again.trace.jsonl")
    assert completed
    return run


def matched_consignments(summary: InteropSummary) -> list[str]:
    return [r.consignment for r in summary.records if r.stage == Stage.MATCHED and r.consignment]


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory, golden: Run) -> tuple[Run, str, str]:
    """The golden run with one malformed message left out, one changed, one acknowledgement lost and one late:
    (run, the consignment whose ack was lost, the one whose ack was held back)."""
    lose, hold_back = matched_consignments(golden.summary)[:2]
    path = tmp_path_factory.mktemp("faulty") / "faulty.trace.jsonl.gz"
    with pytest.MonkeyPatch.context() as mp:
        # the schema violation's payload becomes XML that does not parse: refused by another rule
        mp.setitem(hostile.PAYLOADS, "schema_violation", hostile.BROKEN_XML)
        run, completed = demo_run(path, LostAndLateAcks(lose, hold_back), GOLDEN_MALFORMED[:2], timeout=3)
    assert not completed, "the demo waited in vain for the lost acknowledgement"
    return run, lose, hold_back


def scenario_trace(path: Path, name: str, edit: Callable[[dict[str, Any]], None] = lambda data: None) -> Run:
    """A shipped scenario, changed by ``edit`` (its YAML as a dict), played and recorded."""
    data = yaml.safe_load((SCENARIO_DIR / f"{name}.yaml").read_text())
    edit(data)
    scenario = loads(yaml.safe_dump(data))
    settings = scenario_run.RunSettings(db_dir=path.parent / path.name.split(".")[0])
    run, result = recorded(
        path,
        InMemoryBus(),
        scenario_run,
        lambda: scenario_run.run_scenario(scenario, settings, out=lambda _: None),
        scenario.name,
        scenario.nodes,
    )
    assert result.completed
    return run


@pytest.fixture(scope="module")
def tolerances(tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, Run]:
    """The tolerances scenario: (with its own tolerances, 4% mass and 3% value; with the UB's, 2% and 5%)."""
    base = tmp_path_factory.mktemp("tolerances")
    return (
        scenario_trace(base / "own.trace.jsonl", "tolerances"),
        scenario_trace(base / "ub.trace.jsonl", "tolerances", lambda data: data.pop("matching")),
    )


def ce_ids(run: Run) -> set[str]:
    return {r.header("ce_id") or "" for r in run.records if r.header("ce_id")}


def invalid_record(summary: InteropSummary, consignment: str):
    return next(r for r in summary.records if r.stage == Stage.INVALID and r.consignment == consignment)


# -- equal ------------------------------------------------------------------------------------------


def test_two_runs_of_the_same_seed_are_equal_though_every_id_and_time_differs(golden: Run, again: Run) -> None:
    # the raw traces share no message id, no interop record id and no message time
    assert ce_ids(golden) and not ce_ids(golden) & ce_ids(again)
    interop_ids = [
        {rec.id for r in run.records if r.topic == Topics().interop for rec in decode_interop(r.value)}
        for run in (golden, again)
    ]
    assert not interop_ids[0] & interop_ids[1]
    times = [{r.header("ce_time") for r in run.records if r.header("ce_time")} for run in (golden, again)]
    assert not times[0] & times[1]

    diff = diff_traces(golden.path, again.path)
    assert diff.equal and diff.deviations == {}
    consignments = {r.consignment for r in golden.summary.records if r.consignment}
    assert {c.consignment for c in diff.consignments} == consignments
    # every message on the inboxes was compared; an acknowledgement as part of the message it answers
    messages = [r for r in golden.records if r.topic in (Topics().inbox("RS"), Topics().inbox("ME"))]
    answered = sum(1 for r in messages if r.header("ce_type") != ACKNOWLEDGEMENT.ce_type)
    assert diff.messages == {"golden": answered, "actual": answered}

    text = diff.to_text()
    assert f"golden: {golden.path}" in text and f"actual: {again.path}" in text
    assert text.rstrip().endswith(f"EQUAL: the {len(consignments)} consignments have the golden outcome")
    assert "consignment " not in text


def test_ids_mrns_and_times_in_compared_text_are_masked() -> None:
    mrn = make_mrn(2025, "RS", "00000000A1B2", "A")
    text = f"MRN {mrn} sent 2025-05-01T10:00:00.123Z as 0f8e2a6c4b1d4e7f9a3b5c6d7e8f9a0b at 20250501100000Z"
    assert masked(text) == "MRN <MRN> sent <time> as <id> at <time>"
    assert masked("exit 39842.00 EUR / entry 23905.20 EUR") == "exit 39842.00 EUR / entry 23905.20 EUR"


# -- tighter tolerances ---------------------------------------------------------------------------------


def alerts_by_consignment(summary: InteropSummary) -> dict[str, Counter[tuple[str, str]]]:
    """Each consignment's alerts as (rule, "element: exit X / entry Y"): the tolerance in the rest is configuration."""
    found: dict[str, Counter[tuple[str, str]]] = {}
    for r in summary.records:
        if r.consignment:
            found.setdefault(r.consignment, Counter())
        if r.stage == Stage.ALERT and r.consignment:
            found[r.consignment][(r.result or "", (r.detail or "").split("; ")[0])] += 1
    return found


def test_other_tolerances_name_exactly_the_consignments_whose_alerts_changed(tolerances: tuple[Run, Run]) -> None:
    own, ub = tolerances
    before, after = alerts_by_consignment(own.summary), alerts_by_consignment(ub.summary)
    assert before.keys() == after.keys()
    changed = {ref for ref in before if before[ref] != after[ref]}
    unchanged_alerts = {ref for ref in before if before[ref] and before[ref] == after[ref]}
    assert changed and unchanged_alerts, "the scenario has alerts that change and alerts that stay"

    diff = diff_traces(own.path, ub.path)
    assert not diff.equal
    assert set(diff.deviations) == changed
    for ref, deviations in diff.deviations.items():
        assert {d.kind for d in deviations} <= {"alert", "matching"}, deviations
        for rule, values in before[ref] - after[ref]:
            element, _, both = values.partition(": ")
            assert f"alert {rule} {element}: golden {both}, actual: no alert" in [d.text for d in deviations]
        for rule, values in after[ref] - before[ref]:
            element, _, both = values.partition(": ")
            assert f"alert {rule} {element}: actual {both}, golden: no alert" in [d.text for d in deviations]
        was = "discrepancy" if before[ref] else "matched"
        now = "discrepancy" if after[ref] else "matched"
        assert f"matching: golden {was}, actual {now}" in [d.text for d in deviations]


def test_the_text_report_lists_each_deviating_consignment_with_its_deviations(tolerances: tuple[Run, Run]) -> None:
    own, ub = tolerances
    diff = diff_traces(own.path, ub.path)
    text = diff.to_text()
    blocks = text.split("\n\n")
    assert blocks[0].splitlines() == [
        "seedsim trace diff (ids, MRNs and times masked)",
        f"  golden: {own.path}",
        f"  actual: {ub.path}",
        f"  compared: {len(diff.consignments)} consignments, {diff.messages['golden']} messages in golden, "
        f"{diff.messages['actual']} in actual",
    ]
    per_consignment = {b.splitlines()[0]: b.splitlines()[1:] for b in blocks[1:-1]}
    assert per_consignment == {
        f"consignment {ref}: {len(ds)} deviation{'s' * (len(ds) != 1)}": [f"  - {d.text}" for d in ds]
        for ref, ds in diff.deviations.items()
    }
    assert blocks[-1].strip() == (
        f"DIFFERENT: {len(diff.deviations)} of {len(diff.consignments)} consignments deviate from golden"
    )


def test_junit_has_one_test_case_per_consignment_failing_exactly_for_the_deviating_ones(
    tolerances: tuple[Run, Run], tmp_path: Path
) -> None:
    own, ub = tolerances
    diff = diff_traces(own.path, ub.path)
    report = tmp_path / "diff.junit.xml"
    report.write_text(diff.to_junit(), encoding="utf-8")
    root = etree.parse(str(report)).getroot()
    (suite,) = root.findall("testsuite")
    cases = suite.findall("testcase")
    consignments = {r.consignment for run in (own, ub) for r in run.summary.records if r.consignment}
    assert sorted(c.get("name") for c in cases) == sorted(consignments)
    failing = {c.get("name"): c.find("failure") for c in cases if c.find("failure") is not None}
    changed = {
        ref for ref, a in alerts_by_consignment(own.summary).items() if a != alerts_by_consignment(ub.summary)[ref]
    }
    assert set(failing) == changed
    for ref, failure in failing.items():
        assert failure.get("message") == "; ".join(d.text for d in diff.deviations[ref])
        assert failure.text.splitlines() == [d.text for d in diff.deviations[ref]]
    for element in (root, suite):
        assert (element.get("tests"), element.get("failures"), element.get("errors")) == (
            str(len(consignments)),
            str(len(changed)),
            "0",
        )


def test_json_round_trips(tolerances: tuple[Run, Run]) -> None:
    own, ub = tolerances
    diff = diff_traces(own.path, ub.path)
    text = diff.to_json()
    data = json.loads(text)
    assert data["equal"] is False and (data["golden"], data["actual"]) == (str(own.path), str(ub.path))
    assert {c["consignment"] for c in data["consignments"] if not c["equal"]} == set(diff.deviations)
    assert TraceDiff.from_json(text) == diff
    assert TraceDiff.from_json(text).to_text() == diff.to_text()


# -- a faulty run -----------------------------------------------------------------------------------


def test_a_malformed_message_left_out_is_a_consignment_only_in_golden(golden: Run, faulty) -> None:
    run, _, _ = faulty
    diff = diff_traces(golden.path, run.path)
    left_out = "MALFORMED-external_entity"
    assert any(r.consignment == left_out for r in golden.summary.records)
    assert not any(r.consignment == left_out for r in run.summary.records)
    assert [d.text for d in diff.deviations[left_out]] == ["consignment only in golden"]


def test_a_changed_malformed_message_is_named_by_both_rules(golden: Run, faulty) -> None:
    run, _, _ = faulty
    diff = diff_traces(golden.path, run.path)
    ref = "MALFORMED-schema_violation"
    was, now = invalid_record(golden.summary, ref), invalid_record(run.summary, ref)
    assert was.result != now.result
    (deviation,) = diff.deviations[ref]  # not also its negative acknowledgement and dead-lettering
    assert deviation.kind == "verdict"
    assert deviation.text.startswith(f"ExportData RS -> ME on EXIT: golden refused it with {was.result}, ")
    assert deviation.text.endswith(f", actual refused it with {now.result}")
    assert all(rule in deviation.golden for rule in re.findall(r"(?:^|; )([A-Z]+[0-9]+)/", was.detail or ""))


def test_a_lost_acknowledgement_is_named_with_the_utility_blocks_timeout(golden: Run, faulty) -> None:
    run, lose, hold_back = faulty
    ub = blocks_in()[SEED_EXIT]
    # what the runs recorded: ME acknowledged the exit data of `lose`, RS never received it
    exit_data = next(
        r.message_id
        for r in run.summary.records
        if r.stage == Stage.SENT and r.consignment == lose and r.event == "EXIT" and r.message_type == "ExportData"
    )
    assert any(r.stage == Stage.ACKED and r.message_id == exit_data for r in run.summary.records)
    assert not any(r.stage == Stage.ACK_RECEIVED and r.message_id == exit_data for r in run.summary.records)

    diff = diff_traces(golden.path, run.path)
    assert [d.text for d in diff.deviations[lose]] == [
        f"no acknowledgement of ExportData RS -> ME on EXIT within the Utility Block's timeout of "
        f"{ub.exchange.timeout_s:g} s ({SEED_EXIT}; actual: ME recorded sending one, RS never received it; "
        "golden: acknowledged)"
    ]
    # the held-back acknowledgement came well within the UB's timeout: not a deviation
    assert hold_back not in diff.deviations
    assert set(diff.deviations) == {lose, "MALFORMED-schema_violation", "MALFORMED-external_entity"}


def test_an_acknowledgement_later_than_the_timeout_counts_as_none(golden: Run, faulty) -> None:
    run, lose, hold_back = faulty

    def latencies(summary: InteropSummary) -> dict[str, float]:
        sent = {r.message_id: r.consignment for r in summary.records if r.stage == Stage.SENT}
        return {
            f"{sent.get(r.message_id)}/{r.message_type}/{r.event}": r.latency_ms
            for r in summary.records
            if r.stage == Stage.ACK_RECEIVED and r.latency_ms is not None
        }

    late_key = f"{hold_back}/ExportData/EXIT"
    actual = latencies(run.summary)
    late = actual.pop(late_key)
    others = max([*latencies(golden.summary).values(), *actual.values()])
    assert late >= HELD_BACK_S * 1000 > others, "the held-back ack is the only slow one"
    timeout_s = (late + others) / 2 / 1000
    ub = blocks_in()[SEED_EXIT]
    blocks = {
        **blocks_in(),
        SEED_EXIT: ub.model_copy(update={"exchange": ub.exchange.model_copy(update={"timeout_s": timeout_s})}),
    }

    diff = diff_traces(golden.path, run.path, blocks=blocks)
    assert [d.text for d in diff.deviations[hold_back]] == [
        f"no acknowledgement of ExportData RS -> ME on EXIT within the Utility Block's timeout of {timeout_s:g} s "
        f"({SEED_EXIT}; actual: acknowledged after {late / 1000:.1f} s; golden: acknowledged)"
    ]
    assert set(diff.deviations) == {lose, hold_back, "MALFORMED-schema_violation", "MALFORMED-external_entity"}


def test_the_diff_reads_traces_as_records_or_files_alike(golden: Run, faulty) -> None:
    run, _, _ = faulty
    from_files = diff_traces(golden.path, run.path)
    from_records = diff_traces(
        read_trace(golden.path), run.records, golden_name=str(golden.path), actual_name=str(run.path)
    )
    assert from_records == from_files


def test_fewer_risk_profiles_name_the_consignments_and_profiles_that_no_longer_alert(tmp_path: Path) -> None:
    kept, its_file = "RP-LAPTOP-UNDERVALUED", "laptops-undervalued"
    every = scenario_trace(tmp_path / "every.trace.jsonl", "risk-profiles")
    fewer = scenario_trace(
        tmp_path / "fewer.trace.jsonl", "risk-profiles", lambda data: data.update(risk_profiles=[its_file])
    )

    def risk(summary: InteropSummary) -> dict[str, Counter[str]]:
        found: dict[str, Counter[str]] = {}
        for r in summary.records:
            if r.consignment:
                found.setdefault(r.consignment, Counter())
            if r.stage == Stage.RISK_ALERT and r.consignment:
                found[r.consignment][r.result or ""] += 1
        return found

    before, after = risk(every.summary), risk(fewer.summary)
    gone = {ref: before[ref] - after[ref] for ref in before if before[ref] != after[ref]}
    assert gone and all(kept not in profiles for profiles in gone.values())
    assert any(kept in profiles for profiles in after.values()), "the kept profile still alerts"

    diff = diff_traces(every.path, fewer.path)
    assert {ref: [d.text for d in ds] for ref, ds in diff.deviations.items()} == {
        ref: [f"risk alert {profile}: golden raised it, actual did not" for profile in sorted(profiles)]
        for ref, profiles in gone.items()
    }


def test_redeliveries_ignored_as_duplicates_are_named_per_message(tmp_path: Path) -> None:
    name = "fault-duplicates-reordering"
    shipped = scenario_trace(tmp_path / "duplicates.trace.jsonl", name)
    without = scenario_trace(
        tmp_path / "none.trace.jsonl",
        name,
        lambda data: data.update(faults=[f for f in data["faults"] if f["kind"] != "duplicates"]),
    )
    assert without.summary.count(Stage.DUPLICATE) == 0
    sent = {r.message_id: r for r in shipped.summary.records if r.stage == Stage.SENT}
    expected: dict[str, list[str]] = {}
    for message_id, n in Counter(r.message_id for r in shipped.summary.records if r.stage == Stage.DUPLICATE).items():
        m = sent[message_id]
        expected.setdefault(m.consignment or "", []).append(
            f"{m.message_type} {m.sender} -> {m.receiver} on {m.event}: redeliveries ignored as duplicates: "
            f"golden 0, actual {n}"
        )
    assert expected

    diff = diff_traces(without.path, shipped.path)
    assert {ref: sorted(d.text for d in ds) for ref, ds in diff.deviations.items()} == {
        ref: sorted(texts) for ref, texts in expected.items()
    }


def inboxes_only(run: Run, path: Path) -> Path:
    """The run's inbox topics alone, as kcat writes them (no header line, no interop or dead-letter topic):
    what a capture of a national system's topics holds."""
    inboxes = {Topics().inbox(n) for n in ("RS", "ME")}
    with path.open("w", encoding="utf-8") as out:
        for r in run.records:
            if r.topic in inboxes:
                out.write(json.dumps(entry_to_json(r)) + "\n")
    return path


def test_a_capture_of_the_inboxes_alone_compares_verdicts_and_acknowledgements(
    golden: Run, again: Run, faulty, tmp_path: Path
) -> None:
    run, lose, hold_back = faulty
    same = diff_traces(golden.path, inboxes_only(again, tmp_path / "again.kcat.jsonl"))
    assert same.equal, same.to_text()
    assert same.not_compared == (
        "the receivers' own verdicts, matching, alerts, risk alerts and duplicates: actual holds no interop record "
        "(verdicts are read from the acknowledgements)",
        "dead-lettering: actual holds no dead-letter or interop record",
    )
    heading = same.to_text().split("\n\n")[0].splitlines()
    assert heading[-2:] == [f"  not compared: {what}" for what in same.not_compared]

    diff = diff_traces(golden.path, inboxes_only(run, tmp_path / "faulty.kcat.jsonl"))
    ub = blocks_in()[SEED_EXIT]
    was, now = (
        invalid_record(golden.summary, "MALFORMED-schema_violation"),
        invalid_record(run.summary, "MALFORMED-schema_violation"),
    )
    assert {
        ref: [d.text for d in ds] for ref, ds in diff.deviations.items() if ref != "MALFORMED-schema_violation"
    } == {
        lose: [
            f"no acknowledgement of ExportData RS -> ME on EXIT within the Utility Block's timeout of "
            f"{ub.exchange.timeout_s:g} s ({SEED_EXIT}; golden: acknowledged)"
        ],
        "MALFORMED-external_entity": ["consignment only in golden"],
    }
    # the refusal read from the negative acknowledgement alone: every error it lists
    (changed,) = diff.deviations["MALFORMED-schema_violation"]
    assert changed.text.startswith(f"ExportData RS -> ME on EXIT: golden refused it with {was.result}")
    assert changed.text.endswith(f"actual refused it with {now.result}")
