"""A running node takes a change of its trust list file without a restart: a key revoked with ``seedsim keys revoke``
is refused (F314) within RELOAD_EVERY_S; a file that becomes invalid leaves the last good list in use and /health
says why (503) until it is valid again."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from seedsim.bootstrap import running_network
from seedsim.config import NodeConfig
from seedsim.core.envelope import Envelope
from seedsim.core.interop import Stage
from seedsim.core.message_signing import Signer
from seedsim.core.network_keys import PRIVATE_DIR, TRUST_LIST_FILE, init_folder, read_private
from seedsim.core.transport import Record
from seedsim.core.transport.memory import InMemoryBus
from seedsim.core.trust_list import RELOAD_EVERY_S, TrustList
from seedsim.messages.seed import EXPORT_DATA
from seedsim.nodes.inbox_node import inbox_record
from seedsim.samples.consignments import ConsignmentGenerator
from seedsim.samples.crossings import DEMO_CROSSINGS
from tests.unit.node_api import client
from tests.unit.test_node_exchange import CROSS, T, interop, lodge_and_exit


def configs(tmp_path: Path, folder: Path) -> list[NodeConfig]:
    """RS and ME, each with the trust list file and its own private key from the keys folder."""
    return [
        NodeConfig(
            node=country,
            db=tmp_path / f"{country}.sqlite3",
            partners=[partner],
            crossings=DEMO_CROSSINGS,
            trust_list=folder / TRUST_LIST_FILE,
            signing_key=folder / PRIVATE_DIR,
        )
        for country, partner in (("RS", "ME"), ("ME", "RS"))
    ]


def rs_signer(folder: Path) -> Signer:
    """RS's key as RS holds it (its PEM), whatever the trust list says of it now."""
    [key] = TrustList.load(folder / TRUST_LIST_FILE).of_node("RS")
    return Signer("RS", key.kid, read_private(folder / PRIVATE_DIR / f"{key.kid}.pem"))


def valid(bus, message_id: str) -> bool:
    return any(r.message_id == message_id and r.stage == Stage.VALID and r.node == "ME" for r in interop(bus))


async def wait_for(check, seconds: float = 5.0):
    for _ in range(int(seconds / 0.02)):
        if found := check():
            return found
        await asyncio.sleep(0.02)
    return check()


async def sent_by_rs(bus, network, seed: int) -> Record:
    """RS lodges a consignment and exits it: its ExportData to ME, signed with RS's key, as ME received it."""
    await lodge_and_exit(network.customs, ConsignmentGenerator(seed, CROSS).make(1))
    [record] = await wait_for(lambda: [r for r in bus.log(T.inbox("ME")) if r.header("ce_type") == EXPORT_DATA.ce_type])
    assert await wait_for(lambda: valid(bus, record.header("ce_id"))), "RS's ExportData was not accepted"
    return record


def as_new_message(record: Record, signer: Signer) -> tuple[str, Record]:
    """``record`` sent again as a new message (a new ce_id, now), signed by ``signer``."""
    env = replace(Envelope.from_headers(record.headers), id=uuid.uuid4().hex, time=datetime.now(UTC))
    return env.id, inbox_record(T, env, record.value, signer)


async def test_a_key_revoked_with_seedsim_keys_revoke_is_refused_by_a_running_node(tmp_path: Path) -> None:
    folder = tmp_path / "keys"
    init_folder(folder, ["RS", "ME"])
    signer = rs_signer(folder)
    bus = InMemoryBus()
    async with running_network(configs(tmp_path, folder), bus) as network:
        exported = await sent_by_rs(bus, network, 1)
        revoked = subprocess.run(
            [sys.executable, "-m", "seedsim", "keys", "revoke", "RS", signer.kid, "--keys", str(folder)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert revoked.returncode == 0 and "Traceback" not in revoked.stderr, revoked.stderr
        assert f"key {signer.kid} revoked" in revoked.stdout
        await asyncio.sleep(RELOAD_EVERY_S + 0.1)  # the node looks at its trust list file at most this often

        message_id, record = as_new_message(exported, signer)
        await bus.send_batch([record])
        [dead] = await wait_for(lambda: bus.log(T.dead_letter("ME")))
    assert dead.header("dlq_rule") == "F314" and f"key {signer.kid!r} of RS was revoked" in dead.header("dlq_reason")
    assert dead.header("ce_id") == message_id and not valid(bus, message_id)


async def test_a_trust_list_file_made_invalid_keeps_the_last_good_one_and_health_says_why(tmp_path: Path) -> None:
    folder = tmp_path / "keys"
    init_folder(folder, ["RS", "ME"])
    signer = rs_signer(folder)
    path = folder / TRUST_LIST_FILE
    good = path.read_text()
    bus = InMemoryBus()
    async with running_network(configs(tmp_path, folder), bus) as network:
        async with client(network.customs["ME"]) as http:
            exported = await sent_by_rs(bus, network, 2)
            path.write_text('{"format": "seedsim-trust-list/1", "keys": [{"node": "RS"}]}')  # a bad edit
            await asyncio.sleep(RELOAD_EVERY_S + 0.1)
            sick = await http.get("/health")
            message_id, record = as_new_message(exported, signer)
            await bus.send_batch([record])
            still = await wait_for(lambda: valid(bus, message_id))
            path.write_text(good)
            await asyncio.sleep(RELOAD_EVERY_S + 0.1)
            well = await http.get("/health")
    assert sick.status_code == 503 and sick.json()["status"] == "unhealthy"
    [problem] = sick.json()["problems"]
    assert "the trust list file cannot be used" in problem and "lacks kid, x, not_before, not_after" in problem
    assert "the trust list read before is still in use" in problem
    assert still, "a message signed with a key of the last good trust list was refused"
    assert well.status_code == 200 and well.json()["status"] == "ok"
