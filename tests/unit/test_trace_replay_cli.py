"""``seedsim trace record`` and ``trace replay`` as a user runs them: a separate process, its output, its exit code.

The commands are sub-commands of ``seedsim trace``; the process here is
``seedsim``'s own entry point (:func:`seedsim.cli.main`, its error handling and
Ctrl-C) with ``record`` and ``replay`` added to a ``trace`` group, as cli.py
registers them.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from seedsim.commands import trace_replay
from seedsim.core.topics import Topics
from seedsim.core.transport import Record
from seedsim.runners.traces import TraceHeader, TraceWriter, read_trace
from tests.unit.seedsim_cli import REPO, assert_no_traceback, clean_env
from tests.unit.test_trace_replay import good, record_demo

T = Topics()


def command(*args: str) -> list[str]:
    """The real ``seedsim`` command line, as ``python -m seedsim``."""
    return [sys.executable, "-m", "seedsim", *args]


def seedsim_trace(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command("trace", *args),
        capture_output=True,
        text=True,
        timeout=timeout,
        env=clean_env(),
        cwd=REPO,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["replay", "T", "--to", "ME", "--fresh", "--speed", "fast"], "--speed 'fast' is not a factor"),
        (["replay", "T", "--to", "ME", "--fresh", "--speed", "0x"], "--speed '0x' is not a factor"),
        (["replay", "T", "--to", "ME", "--fresh", "--max-wait", "soon"], "--max-wait 'soon' is not a number"),
        (["replay", "T", "--to", "ME"], "without --fresh the nodes run elsewhere: give their broker with --kafka"),
        (["replay", "T", "--to", "XX", "--fresh"], "XX"),
        (["replay", "missing.jsonl", "--to", "ME", "--fresh"], "missing.jsonl: no such trace file"),
        (["record", "-o", "out.jsonl"], "trace record reads a Kafka cluster: give its address with --kafka"),
        (["record", "-o", "out.jsonl", "--kafka", "localhost:1", "--until", "later"], "--until 'later' is not"),
        (["record", "-o", "out.jsonl", "--kafka", "localhost:1", "--from", "yesterday"], "--from 'yesterday' is not"),
        (["record", "-o", "out.jsonl", "--kafka", "localhost:1", "--topics", "("], "--topics '(' is not a regular"),
    ],
)
def test_a_bad_option_is_refused_in_one_line_with_exit_code_2(tmp_path: Path, args: list[str], says: str) -> None:
    trace = tmp_path / "T"
    trace.write_text(good(1))
    args = [str(trace) if a == "T" else str(tmp_path / a) if a.endswith(".jsonl") else a for a in args]
    done = seedsim_trace(*args)
    assert done.returncode == 2, done.stderr
    assert says in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert_no_traceback(done.stdout, done.stderr)
    assert not (tmp_path / "out.jsonl").exists()


def test_replay_fresh_sends_every_inbound_message_of_a_recorded_demo(tmp_path: Path) -> None:
    path, _, run = record_demo(tmp_path, consignments=3)
    inbound = sum(r.topic in (T.inbox("RS"), T.inbox("ME")) for r in run)
    to_me = sum(r.topic == T.inbox("ME") for r in run)
    done = seedsim_trace("replay", str(path), "--to", "RS", "--to", "ME", "--fresh", "--rewrite-ids")
    assert done.returncode == 0, done.stderr
    assert f"sent {inbound} record(s) to RS, ME" in done.stdout
    assert f"{len(run) - inbound} of {len(run)} read were not addressed to them" in done.stdout
    done = seedsim_trace("replay", str(path), "--to", "ME", "--fresh", "--speed", "100x", "--max-wait", "0.01s")
    assert done.returncode == 0, done.stderr
    assert f"sent {to_me} record(s) to ME" in done.stdout
    assert_no_traceback(done.stdout, done.stderr)


def test_a_bad_line_is_named_and_nothing_past_it_replayed_unless_skip_bad(tmp_path: Path) -> None:
    trace = tmp_path / "bad.trace.jsonl"
    trace.write_text('{"seedsim_trace":1}\n' + good(1) + good(2) + "{not json\n" + good(4))
    done = seedsim_trace("replay", str(trace), "--to", "ME", "--fresh")
    assert done.returncode == 1
    assert f"{trace}: line 4: not JSON" in done.stderr and "nothing past this line was replayed" in done.stderr
    assert_no_traceback(done.stdout, done.stderr)
    done = seedsim_trace("replay", str(trace), "--to", "ME", "--fresh", "--skip-bad")
    assert done.returncode == 0, done.stderr
    assert f"skipped {trace}: line 4: not JSON" in done.stderr
    assert "sent 3 record(s) to ME (trace line 5)" in done.stdout and "skipped 1 bad line(s)" in done.stdout

    unknown = tmp_path / "future.trace.jsonl"
    unknown.write_text('{"seedsim_trace":99}\n' + good(1))
    done = seedsim_trace("replay", str(unknown), "--to", "ME", "--fresh", "--skip-bad")
    assert done.returncode == 1 and f"{unknown}: line 1:" in done.stderr
    assert_no_traceback(done.stdout, done.stderr)


def test_ctrl_c_stops_a_paced_replay_and_says_how_far_it_got(tmp_path: Path) -> None:
    base = 1_700_000_000_000
    path = tmp_path / "slow.trace.jsonl"
    records = [
        Record(
            topic=T.inbox("ME"),
            value=b"<m/>",
            key=b"A",
            headers=(("ce_id", f"id-{i}".encode()),),
            timestamp_ms=base + i * 60_000,
        )
        for i in range(1, 5)
    ]
    with TraceWriter(path, TraceHeader(source="bus")) as writer:
        writer.write_all(records)
    assert len(list(read_trace(path))) == 4
    process = subprocess.Popen(
        command("trace", "replay", str(path), "--to", "ME", "--fresh", "--speed", "1x", "--max-wait", "60s", "-v"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(),
        cwd=REPO,
    )
    assert process.stderr is not None
    # the node logs (-v) the first record's arrival; the next one is a minute away
    before = []
    for line in iter(process.stderr.readline, ""):
        before.append(line)
        if '"stage":"received"' in line:
            break
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    err = "".join(before) + err
    assert process.returncode == 130, err
    assert re.search(r"interrupted after sending 1 record\(s\) to ME \(trace line 2\)", out), out + err
    assert_no_traceback(out, err)


def test_every_option_has_help_and_shows_its_default_as_seedsim_requires() -> None:

    group = typer.Typer()
    group.command("record")(trace_replay.record)
    group.command("replay")(trace_replay.replay)
    for command in typer.main.get_command(group).commands.values():
        for param in command.params:
            if param.name == "help" or param.param_type_name == "argument":
                continue
            where = f"{command.name} {param.opts}"
            assert param.help and param.help.strip(), f"{where} has no help text"
            if getattr(param, "is_flag", False) or param.required:
                continue
            shown = param.show_default is not False and (
                param.default is not None or isinstance(param.show_default, str)
            )
            assert shown or "Default:" in param.help, f"{where} does not say what happens without it"
