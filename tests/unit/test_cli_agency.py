"""`seedsim agency` runs a border-agency node as its own process, as docker-compose would."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_agency_node_process_answers_health(tmp_path):
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "seedsim.cli",
            "agency",
            "--id",
            "me-cci",
            "--port",
            str(port),
            "--db",
            str(tmp_path / "cci.sqlite3"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as r:
                    body = json.load(r)
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
                assert time.monotonic() < deadline, "the agency node did not answer /health"
                time.sleep(0.2)
        assert body == {"status": "ok", "node": "ME-CCI", "kind": "CCI", "transport": "InMemoryBus"}
    finally:
        proc.terminate()
        proc.wait(timeout=10)
