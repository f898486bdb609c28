"""``seedsim run --nodes``: what a run against nodes elsewhere refuses, in one line and with exit code 2.

A run against nodes that run elsewhere drives them over HTTP and hears them
through their broker; a scenario whose faults or settings need nodes in this
process (transport faults, Utility Block traffic, risk profiles, matching
tolerances) is refused before anything is sent, naming what and what to do.
The broker here is a socket that accepts connections (the check before a run
passes); no node answers. The run itself over a real broker is in
tests/kafka/test_run_against_nodes.py and tests/compose.
"""

from __future__ import annotations

import socket

import pytest

from tests.unit.seedsim_cli import assert_no_traceback, free_port, many, seedsim

NODES = ",".join(f"{c}=http://127.0.0.1:{free_port()}" for c in ("RS", "ME"))
SIX = ",".join(f"{c}=http://127.0.0.1:{free_port()}" for c in ("AL", "BA", "ME", "MK", "RS", "XK"))


@pytest.fixture(scope="module")
def kafka():
    with socket.socket() as broker:
        broker.bind(("127.0.0.1", 0))
        broker.listen(64)
        yield f"127.0.0.1:{broker.getsockname()[1]}"


def cases(kafka: str, trace: str) -> list[tuple[str, list[str], dict[str, str], list[str]]]:
    """(id, argv, environment, what the one line says)"""
    k = ["--kafka", kafka]
    return [
        ("without-kafka", ["run", "rs-me-seed-core", "--nodes", NODES], {}, ["--nodes without --kafka", "--kafka"]),
        (
            "a-node-missing",
            ["run", "western-balkans-corridor", "--nodes", NODES, *k],
            {},
            ["--nodes has no URL for MK, XK, AL, BA", "drives MK, XK, AL, ME, RS, BA", "COUNTRY=http://host:port"],
        ),
        (
            "transport-faults",
            ["run", "bad-day-border", "--nodes", SIX, *k],
            {},
            [
                "scenario bad-day-border cannot be played against nodes elsewhere (--nodes)",
                "transport faults (delay, duplicates, node_down, reorder)",
                "play it without --nodes",
            ],
        ),
        (
            "utility-block",
            ["run", "ub-seed-phyto", "--nodes", NODES, *k],
            {},
            ["scenario ub-seed-phyto cannot be played", "Utility Block traffic (UB-SEED-PHYTO)"],
        ),
        ("matching", ["run", "tolerances", "--nodes", SIX, *k], {}, ["scenario tolerances cannot", "sets matching"]),
        (
            "a-folder",
            ["run", "scenarios", "--nodes", NODES, *k],
            {},
            ["--nodes with a folder", "one scenario at a time"],
        ),
        (
            "record",
            ["run", "rs-me-seed-core", "--nodes", NODES, *k, "--record", trace],
            {},
            ["--record with --nodes", "kcat -C -J"],
        ),
        (
            "monitor",
            ["run", "rs-me-seed-core", "--nodes", NODES, *k, "--monitor"],
            {},
            ["--monitor with --nodes", "seedsim monitor --kafka"],
        ),
        (
            # as docker-compose configures the runner: everything from SEEDSIM_* variables
            "all-from-the-environment",
            ["run"],
            {"SEEDSIM_SCENARIO": "ub-seed-vat", "SEEDSIM_NODES": NODES, "SEEDSIM_KAFKA": kafka},
            ["scenario ub-seed-vat cannot be played", "UB-SEED-VAT"],
        ),
    ]


def test_what_needs_nodes_in_this_process_is_refused_in_one_line(kafka, tmp_path):
    todo = cases(kafka, str(tmp_path / "t.jsonl"))
    answers = many([(argv, env) for _, argv, env, _ in todo])
    for (name, _, _, says), r in zip(todo, answers, strict=True):
        assert r.returncode == 2, (name, r.stdout, r.stderr)
        assert r.stderr.splitlines() == [r.stderr.strip()], f"{name}: one line, not\n{r.stderr}"
        for text in says:
            assert text in r.stderr, f"{name}: {text!r} not in:\n{r.stderr}"
        assert "summary (" not in r.stdout, f"{name}: refused before playing"
        assert_no_traceback(r.stdout, r.stderr)
    assert not (tmp_path / "t.jsonl").exists()


def test_a_scenario_named_by_seedsim_scenario_that_does_not_exist_is_refused():
    r = seedsim("run", env={"SEEDSIM_SCENARIO": "no-such-scenario"})
    assert r.returncode == 2
    assert "'no-such-scenario' does not exist, nor is it a shipped scenario" in r.stderr
    assert "western-balkans-corridor" in r.stderr
    assert_no_traceback(r.stdout, r.stderr)


def test_nodes_that_do_not_answer_are_named_within_the_timeout(kafka):
    r = seedsim("run", "rs-me-seed-core", "--kafka", kafka, "--nodes", NODES, "--timeout", "2", timeout=30)
    assert r.returncode == 2, r.stderr
    assert "node RS at http://127.0.0.1:" in r.stderr and "did not answer /health within 2 s" in r.stderr
    assert "connection refused" in r.stderr and "--nodes" in r.stderr
    assert "waiting for node RS" in r.stdout
    assert_no_traceback(r.stdout, r.stderr)
