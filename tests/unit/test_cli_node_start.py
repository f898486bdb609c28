"""``seedsim node`` and ``seedsim agency`` say on start where they listen, their docs, their state and transport."""

from __future__ import annotations

import json
import urllib.request

from tests.unit.seedsim_cli import Running, assert_no_traceback, free_port, seedsim


def started(*args: str, cwd=None) -> tuple[str, str]:
    """Start a node, read what it says, check it answers where it says; its stdout and stderr once stopped."""
    run = Running(*args, cwd=cwd)
    try:
        out = run.wait_for("stop it with Ctrl-C")
        url = out.split("listening on ", 1)[1].split()[0]
        with urllib.request.urlopen(f"{url}/health", timeout=5) as r:
            assert json.load(r)["status"] == "ok"
        code, _, err = run.interrupt()
    finally:
        run.stop()
    assert code == 130
    assert_no_traceback(out, err)
    return out, err


def test_a_node_says_where_it_listens_its_docs_state_and_transport(tmp_path):
    port = free_port()
    db = tmp_path / "rs.sqlite3"
    out, _ = started("node", "--country", "rs", "--port", str(port), "--db", str(db), "--partners", "ME")
    assert f"seedsim customs node RS: listening on http://127.0.0.1:{port}" in out
    assert f"API docs:  http://127.0.0.1:{port}/docs" in out
    assert f"state:     {db} (a new file, the --db file: state is kept between runs)" in out
    assert "transport: in-process bus: this node exchanges with no other one (give --kafka HOST:PORT" in out
    assert "partners:  ME" in out

    again, _ = started("node", "--country", "RS", "--port", str(port), "--db", str(db))
    assert f"state:     {db} (resumed from it" in again and "delete it to start afresh" in again
    assert "partners:  the SEED+ nodes AL, BA, ME, MK, XK" in again


def test_state_kept_in_var_by_default_is_said(tmp_path):
    out, _ = started("node", "--country", "ME", "--port", str(free_port()), cwd=tmp_path)
    assert "state:     var/me.sqlite3 (a new file, in ./var/ by default: state is kept between runs)" in out
    assert (tmp_path / "var" / "me.sqlite3").exists()


def test_an_agency_node_says_the_same(tmp_path):
    port = free_port()
    out, _ = started("agency", "--id", "me-cci", "--port", str(port), "--db", str(tmp_path / "cci.sqlite3"))
    assert f"seedsim agency node ME-CCI: listening on http://127.0.0.1:{port}" in out
    assert f"http://127.0.0.1:{port}/docs" in out and "cci.sqlite3" in out and "in-process bus" in out


def test_listening_on_every_interface_gives_a_url_that_works(tmp_path):
    port = free_port()
    out, _ = started(
        "node", "--country", "AL", "--host", "0.0.0.0", "--port", str(port), "--db", str(tmp_path / "al.sqlite3")
    )
    assert f"listening on http://localhost:{port} (on every interface)" in out


def test_a_node_that_cannot_start_says_why_in_a_line(tmp_path):
    db = tmp_path / "notes.sqlite3"
    db.write_text("not a database")
    r = seedsim("node", "--country", "RS", "--port", str(free_port()), "--db", str(db))
    assert r.returncode == 1
    assert "file is not a database" in r.stderr
    assert r.stderr.splitlines()[-1] == "Error: the customs node RS did not start: see the error above (-v for details)"
    assert_no_traceback(r.stdout, r.stderr)
    assert "listening on" not in r.stdout, "a node that did not start does not say where it listens"
