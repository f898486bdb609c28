"""Every command that connects to Kafka takes the same login options (one definition:
``shared_options.kafka_login``), from the command line or ``SEEDSIM_KAFKA_*``, and refuses a login that does not fit
with one line and exit 2, before it connects anywhere."""

from __future__ import annotations

from pathlib import Path

from tests.unit.seedsim_cli import assert_no_traceback, many


def commands(tmp_path: Path) -> list[list[str]]:
    """Each command that connects to Kafka (to a broker that is not there), with what else it needs to reach its
    login."""
    trace = tmp_path / "x.trace"
    trace.write_text("")
    return [
        [*argv, "--kafka", "127.0.0.1:9"]
        for argv in (
            ["node", "--country", "RS"],
            ["agency", "--id", "RS-NPPO"],
            ["demo"],
            ["run", "western-balkans-corridor"],
            ["monitor"],
            ["report"],
            ["kafka", "setup", "--nodes", "RS,ME"],
            ["trace", "record", "-o", str(tmp_path / "out.trace")],
            ["trace", "replay", str(trace), "--to", "RS"],
        )
    ]


NO_PASSWORD = "Kafka credentials: SASL_PLAINTEXT needs a user name and a password; set --kafka-username"


def test_every_kafka_command_refuses_a_user_without_a_password_in_one_line(tmp_path):
    argvs = commands(tmp_path)
    runs = many([([*argv, "--kafka-username", "rs"], {}) for argv in argvs])
    for argv, done in zip(argvs, runs, strict=True):
        assert done.returncode == 2, (argv, done.stdout, done.stderr)
        assert NO_PASSWORD in done.stderr and len(done.stderr.strip().splitlines()) == 1, (argv, done.stderr)
        assert_no_traceback(done.stdout, done.stderr)


def test_every_kafka_command_reads_the_login_from_the_environment_and_checks_the_ca_file(tmp_path):
    argvs = commands(tmp_path)
    env = {"SEEDSIM_KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "SEEDSIM_KAFKA_CA_FILE": "/nonexistent/ca.pem"}
    runs = many([(argv, env) for argv in argvs])
    for argv, done in zip(argvs, runs, strict=True):
        assert done.returncode == 2, (argv, done.stdout, done.stderr)
        assert "--kafka-ca-file /nonexistent/ca.pem: no such file (or SEEDSIM_KAFKA_CA_FILE)" in done.stderr, (
            argv,
            done.stderr,
        )
        assert_no_traceback(done.stdout, done.stderr)
