"""Ordinary mistakes get a clear answer and exit code 2, at once, never a traceback (issue 8, defects 2, 3, 8, 9, 10).

Each case is a command line a newcomer could type, what seedsim must say
(in the user's terms: the option, the valid values, what to do) and how fast
it must say it -- before any node starts, not after a 30 s wait.
"""

from __future__ import annotations

import socket
import time

import pytest

from tests.unit.seedsim_cli import assert_no_traceback, free_port, many, seedsim

CHOICES = "broken_xml, external_entity, schema_violation, entity_bomb"

# (id, argv, environment, what stderr says)
CASES = [
    ("malformed-typo", ["demo", "--malformed", "brokenxml"], {}, ["--malformed", "'brokenxml'", CHOICES]),
    ("malformed-typo-in-a-list", ["demo", "--malformed", "broken_xml,xxe"], {}, ["'xxe'", CHOICES]),
    ("negative-consignments", ["demo", "--consignments", "-5"], {}, ["--consignments", "1"]),
    ("negative-discrepancies", ["demo", "--discrepancies", "-1"], {}, ["--discrepancies", "0"]),
    (
        "more-discrepancies-than-consignments",
        ["demo", "--consignments", "3", "--discrepancies", "4"],
        {},
        ["--discrepancies 4 with --consignments 3"],
    ),
    (
        "workshop-one-country",
        ["demo", "--ub", "UB-SEED-EXIT", "--country-a", "RS", "--country-b", "RS"],
        {},
        ["--country-a and --country-b are both RS", "two different"],
    ),
    ("workshop-not-a-country", ["demo", "--ub", "UB-SEED-EXIT", "--country-b", "QQ"], {}, ["--country-b", "ISO 3166"]),
    ("workshop-unknown-ub", ["demo", "--ub", "UB-NOPE"], {}, ["no Utility Block 'UB-NOPE'", "UB-SEED-EXIT"]),
    ("workshop-option-without-ub", ["demo", "--pause"], {}, ["--pause", "--ub"]),
    ("workshop-unknown-fault", ["demo", "--ub", "UB-SEED-EXIT", "--fault", "drop"], {}, ["--fault", "'drop'", "nack"]),
    ("demo-option-with-ub", ["demo", "--ub", "UB-SEED-EXIT", "--consignments", "5"], {}, ["--consignments", "--ub"]),
    ("node-not-a-country", ["node", "--country", "XX"], {}, ["--country", "'XX' is not an ISO 3166"]),
    ("node-no-country", ["node"], {}, ["Missing option '--country'"]),
    ("agency-not-an-agency", ["agency", "--id", "RS-FOO"], {}, ["--id", "NPPO, CCI, TIR, TAX"]),
    ("node-bad-partner", ["node", "--country", "RS", "--partners", "ME,XX"], {}, ["--partners", "'XX'"]),
    ("nodes-without-urls", ["demo", "--nodes", "RS"], {}, ["--nodes", "RS=http://host:port,ME=http://host:port"]),
    ("nodes-not-a-url", ["demo", "--nodes", "RS=localhost:8001"], {}, ["--nodes", "not an http:// URL"]),
    (
        "nodes-one-missing",
        ["demo", "--nodes", "RS=http://localhost:8001"],
        {},
        ["--nodes has no URL for ME"],
    ),
    (
        "nodes-without-kafka",
        ["demo", "--nodes", "RS=http://localhost:8001,ME=http://localhost:8002"],
        {},
        ["--nodes without --kafka", "add --kafka HOST:PORT"],
    ),
    (
        "national-schema-missing",
        ["node", "--country", "RS", "--national-schema", "/nope.xsd"],
        {},
        ["--national-schema", "file not found: /nope.xsd"],
    ),
    ("kafka-not-host-port", ["demo", "--kafka", "localhost"], {}, ["--kafka", "not HOST:PORT"]),
    ("seed-env-not-a-number", ["demo"], {"SEEDSIM_SEED": "abc"}, ["SEEDSIM_SEED", "--seed"]),
    ("port-env-not-a-number", ["node", "--country", "RS"], {"SEEDSIM_PORT": "http"}, ["SEEDSIM_PORT", "--port"]),
    ("port-out-of-range", ["node", "--country", "RS", "--port", "70000"], {}, ["--port", "65535"]),
    ("run-no-such-file", ["run", "nope.yaml"], {}, ["'nope.yaml'", "does not exist"]),
    ("validate-format", ["validate", "--format", "xml", "schemas/examples"], {}, ["--format", "text", "junit"]),
    ("ub-show-unknown", ["ub", "show", "UB-NOPE"], {}, ["no Utility Block 'UB-NOPE'", "UB-SEED-EXIT"]),
]


@pytest.fixture(scope="module")
def answers():
    done = many([(argv, env) for _, argv, env, _ in CASES])
    return {case[0]: r for case, r in zip(CASES, done, strict=True)}


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_a_mistake_is_refused_with_exit_2_and_what_to_do(answers, case):
    name, argv, env, says = case
    r = answers[name]
    assert r.returncode == 2, (r.stdout, r.stderr)
    for text in says:
        assert text in r.stderr, f"{text!r} not in:\n{r.stderr}"
    assert_no_traceback(r.stdout, r.stderr)
    assert len(r.stderr.splitlines()) <= 5, r.stderr  # the usage line, a hint and the error: not a stack


def test_one_country_for_both_sides_is_refused_before_any_node_starts():
    started = time.monotonic()
    r = seedsim("demo", "--ub", "UB-SEED-EXIT", "--country-a", "ME", "--country-b", "me")
    assert r.returncode == 2 and "--country-a and --country-b are both ME" in r.stderr
    assert time.monotonic() - started < 10, "refused at once, not after a time-out"


def test_a_bad_seedsim_variable_breaks_only_the_command_that_uses_it():
    env = {"SEEDSIM_SEED": "abc"}
    assert seedsim("validate", "schemas/examples/ExportData/valid", env=env).returncode == 0
    assert seedsim("ub", "list", env=env).returncode == 0
    r = seedsim("demo", env=env)
    assert r.returncode == 2
    (line,) = [line for line in r.stderr.splitlines() if "SEEDSIM_SEED" in line]
    assert "'--seed'" in line and "integer" in line


@pytest.mark.parametrize(
    "argv",
    [
        ["demo", "--kafka", "localhost:1"],
        ["node", "--country", "RS", "--kafka", "localhost:1"],
        ["agency", "--id", "RS-NPPO", "--kafka", "localhost:1"],
        ["run", "scenarios/rs-me-seed-core.yaml", "--kafka", "localhost:1"],
    ],
    ids=lambda a: a[0],
)
def test_an_unreachable_broker_is_one_line_naming_it(argv, tmp_path):
    started = time.monotonic()
    r = seedsim(*argv, "--db", str(tmp_path / "x.sqlite3")) if argv[0] in ("node", "agency") else seedsim(*argv)
    assert r.returncode == 2, r.stderr
    assert r.stderr.splitlines() == [r.stderr.strip()], "one line"
    assert "cannot reach the Kafka broker at localhost:1" in r.stderr and "--kafka" in r.stderr
    assert "connection refused" in r.stderr
    assert_no_traceback(r.stdout, r.stderr)
    assert time.monotonic() - started < 20


def test_an_unreachable_node_respects_the_timeout():
    # a broker that accepts connections (the check before starting passes) and two nodes that do not answer
    with socket.socket() as broker:
        broker.bind(("127.0.0.1", 0))
        broker.listen()
        kafka = f"127.0.0.1:{broker.getsockname()[1]}"
        nodes = f"RS=http://127.0.0.1:{free_port()},ME=http://127.0.0.1:{free_port()}"
        started = time.monotonic()
        r = seedsim("demo", "--kafka", kafka, "--nodes", nodes, "--timeout", "2", timeout=30)
        took = time.monotonic() - started
    assert r.returncode == 2, r.stderr
    assert "node RS at http://127.0.0.1:" in r.stderr and "did not answer /health within 2 s" in r.stderr
    assert "connection refused" in r.stderr and "--nodes" in r.stderr
    assert "waiting for node RS" in r.stdout, "the wait is said, not silent"
    assert "over the in-process bus" not in r.stdout
    assert_no_traceback(r.stdout, r.stderr)
    assert took < 15, f"waited {took:.0f} s with --timeout 2"


def test_a_port_in_use_says_use_port(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = seedsim("node", "--country", "RS", "--port", str(port), "--db", str(tmp_path / "rs.sqlite3"))
    assert r.returncode == 2
    assert r.stderr.strip() == f"Error: port {port} is in use: use --port (or SEEDSIM_PORT) to choose another"
