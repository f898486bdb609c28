"""``seedsim keys``: a network's keys made, rotated, revoked and shown, as a user runs it; a node started with them."""

from __future__ import annotations

import json
import stat

from tests.unit.seedsim_cli import assert_no_traceback, free_port, seedsim
from tests.unit.test_cli_node_start import started


def test_init_writes_private_keys_readable_by_their_owner_only_and_the_trust_list(tmp_path):
    folder = tmp_path / "net"
    r = seedsim("keys", "init", str(folder), "--nodes", "rs,ME,RS-NPPO")
    assert r.returncode == 0, r.stderr
    assert f"made 3 key(s) in {folder}" in r.stdout
    trust = json.loads((folder / "trust-list.json").read_text())
    assert trust["format"] == "seedsim-trust-list/1"
    assert sorted(k["node"] for k in trust["keys"]) == ["ME", "RS", "RS-NPPO"]
    for key in trust["keys"]:
        assert (key["kty"], key["crv"], key["revoked"]) == ("OKP", "Ed25519", None)
        pem = folder / "private" / f"{key['kid']}.pem"
        assert stat.S_IMODE(pem.stat().st_mode) == 0o600
        assert pem.read_text().startswith("-----BEGIN PRIVATE KEY-----")


def test_rotate_revoke_and_show(tmp_path):
    folder = tmp_path / "net"
    assert seedsim("keys", "init", str(folder), "--nodes", "RS,ME").returncode == 0
    first = {k["node"]: k["kid"] for k in json.loads((folder / "trust-list.json").read_text())["keys"]}

    r = seedsim("keys", "rotate", "RS", "--keys", str(folder), "--overlap", "2d")
    assert r.returncode == 0 and "RS: new key RS-" in r.stdout and "stay valid until" in r.stdout, r.stderr
    r = seedsim("keys", "revoke", "ME", first["ME"], "--keys", str(folder), "--reason", "leaked")
    assert r.returncode == 0 and f"key {first['ME']} revoked" in r.stdout, r.stderr

    r = seedsim("keys", "show", "--keys", str(folder))
    assert r.returncode == 0, r.stderr
    rows = [line for line in r.stdout.splitlines() if "RS-" in line or "ME-" in line]
    assert len(rows) == 3 and sum("revoked" in line for line in rows) == 1
    assert sum(" valid " in line for line in rows) == 2, r.stdout
    shown = json.loads(seedsim("keys", "show", "--keys", str(folder), "--json").stdout)
    [revoked] = [k for k in shown["keys"] if k["revoked"]]
    assert (revoked["kid"], revoked["reason"]) == (first["ME"], "leaked")


def test_user_mistakes_are_one_line_and_exit_2(tmp_path):
    folder = tmp_path / "net"
    assert seedsim("keys", "init", str(folder), "--nodes", "RS").returncode == 0
    for args, says in [
        (["keys", "init", str(folder), "--nodes", "RS"], "already exists and is not empty"),
        (["keys", "init", str(tmp_path / "b"), "--nodes", ","], "--nodes names no node"),
        (["keys", "show", "--keys", str(tmp_path / "nowhere")], "no trust list there"),
        (["keys", "rotate", "ME", "--keys", str(folder)], "ME has no key"),
        (["keys", "revoke", "RS", "RS-nope", "--keys", str(folder)], "RS has no key 'RS-nope'"),
        (["keys", "rotate", "RS", "--keys", str(folder), "--overlap", "soon"], "not a duration"),
        (["run", "rs-me-seed-core", "--keys", str(folder)], "--keys signs for nodes elsewhere (--nodes)"),
        (["demo", "--keys", str(folder)], "--keys signs for nodes elsewhere (--nodes)"),
        (
            ["trace", "replay", __file__, "--to", "ME", "--fresh", "--keys", str(folder)],
            "leave out --keys with --fresh",
        ),
    ]:
        r = seedsim(*args)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert says in r.stderr, (args, r.stderr)
        assert_no_traceback(r.stdout, r.stderr)


def test_a_node_started_with_the_trust_list_and_its_key_says_so(tmp_path):
    folder = tmp_path / "net"
    assert seedsim("keys", "init", str(folder), "--nodes", "RS,ME").returncode == 0
    trust, private = folder / "trust-list.json", folder / "private"
    out, _ = started(
        "node", "--country", "RS", "--port", str(free_port()), "--db", str(tmp_path / "rs.sqlite3"),
        "--trust-list", str(trust), "--signing-key", str(private),
    )  # fmt: skip
    assert f"keys:      trust list {trust}, signing with {private}" in out


def test_a_node_without_a_key_of_its_own_in_the_trust_list_is_refused(tmp_path):
    folder = tmp_path / "net"
    assert seedsim("keys", "init", str(folder), "--nodes", "ME").returncode == 0
    r = seedsim(
        "node", "--country", "RS", "--port", str(free_port()), "--db", str(tmp_path / "rs.sqlite3"),
        "--trust-list", str(folder / "trust-list.json"), "--signing-key", str(folder / "private"),
    )  # fmt: skip
    assert r.returncode == 2 and "no valid signing key of RS here" in r.stderr, r.stderr
    assert_no_traceback(r.stdout, r.stderr)
    r = seedsim("node", "--country", "RS", "--port", str(free_port()), "--signing-key", str(folder / "private"))
    assert r.returncode == 2 and "--signing-key needs the trust list" in r.stderr, r.stderr
