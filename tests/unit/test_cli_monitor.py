"""``seedsim monitor`` and ``--monitor`` as a user meets them: refusals in one line, the dashboard next to a run."""

import json
import re
import socket
import urllib.request

from tests.unit.seedsim_cli import Running, assert_no_traceback, free_port, seedsim


def _refused(r, *words):
    assert r.returncode == 2, r.stdout + r.stderr
    assert_no_traceback(r.stdout, r.stderr)
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert any(all(w in line for w in words) for line in lines), r.stderr


def test_mistakes_are_refused_in_one_line(tmp_path):
    _refused(seedsim("monitor", "--db", str(tmp_path / "none.sqlite3")), "nothing to monitor", "--kafka")
    _refused(seedsim("monitor", "--retention", "7x"), "is not a duration", "7d")
    _refused(seedsim("run", "fault-malformed", "--port", "9999"), "--port", "add --monitor")
    _refused(seedsim("demo", "--monitor", "--json"), "--monitor with --json")
    _refused(seedsim("run", "scenarios", "--monitor"), "--monitor with a folder")
    _refused(seedsim("demo", "--ub", "UB-SEED-EXIT", "--port", "9999"), "--port", "add --monitor")  # workshop mode
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        _refused(seedsim("demo", "--monitor", "--port", str(port)), f"port {port} is in use", "SEEDSIM_MONITOR_PORT")


def _get(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.read().decode()


def test_run_monitor_serves_the_dashboard_after_the_run_until_ctrl_c():
    port = free_port()
    run = Running("run", "fault-malformed", "--monitor", "--port", str(port))
    try:
        out = run.wait_for("stop it with Ctrl-C", timeout=120)
        assert f"dashboard on http://127.0.0.1:{port}" in out
        printed = {m[0]: int(m[1]) for m in re.findall(r"^  (\w+) +(\d+)$", out, re.MULTILINE)}
        counters = json.loads(_get(f"http://127.0.0.1:{port}/api/counters"))["counters"]
        assert counters == {k: printed[k] for k in counters}, out
        page = _get(f"http://127.0.0.1:{port}/")
        assert 'data-node="RS"' in page and 'data-node="ME"' in page
        code, _took, err = run.interrupt()
        assert code == 130 and "interrupted" in err
        assert_no_traceback(err)
    finally:
        run.stop()


def test_monitor_serves_what_an_earlier_monitor_kept(tmp_path):
    port = free_port()
    db = tmp_path / "kept.sqlite3"
    db.touch()
    run = Running("monitor", "--db", str(db), "--port", str(port))
    try:
        out = run.wait_for("stop it with Ctrl-C", timeout=60)
        assert f"dashboard on http://127.0.0.1:{port}" in out and "no --kafka" in out
        assert json.loads(_get(f"http://127.0.0.1:{port}/api/counters"))["counters"]["sent"] == 0
        code, _took, err = run.interrupt()
        assert code == 130 and "interrupted" in err
        assert_no_traceback(err)
    finally:
        run.stop()
