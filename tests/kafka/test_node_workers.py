"""A node as two worker processes (``seedsim node --workers 2``) over the tests' secured broker.

ME runs as two workers: one consumer group over its inbox's three partitions, one database file shared
(WAL, busy timeout), each outbox row sent by the worker that queued it. RS, one process, lodges export
declarations and fires EXIT; ME's workers validate and acknowledge the exit data. The test shows what a
user relies on: both workers take a share of the inbox, every message is handled exactly once (one row in
ME's message log, one acknowledgement back at RS), and a worker killed with ``kill -9`` in the middle of
the traffic loses nothing: the other worker takes over its partitions and whatever it left in the outbox.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

from seedsim.core.interop import Stage
from seedsim.core.transport.kafka import admin_client
from seedsim.core.wco import MetaData
from seedsim.nodes.customs.customs_node import Event
from seedsim.runners.node_clients import HttpClient
from seedsim.samples.consignments import ConsignmentGenerator
from seedsim.samples.crossings import DEMO_CROSSINGS
from tests.kafka.conftest import SecuredKafka
from tests.kafka.interop_watch import watched
from tests.unit.seedsim_cli import SEEDSIM, clean_env, free_port

CROSS = DEMO_CROSSINGS[0]
FIRST, SECOND = 24, 60


def _node(kafka: SecuredKafka, country: str, partner: str, prefix: str, folder: Path, *extra: str):
    port = free_port()
    out = folder / f"{country}.out"
    proc = subprocess.Popen(
        [*SEEDSIM, "node", "--country", country, "--port", str(port), "--partners", partner, *extra],
        env=clean_env(
            **kafka.env(kafka.user(country)),
            SEEDSIM_KAFKA=kafka.bootstrap,
            SEEDSIM_TOPIC_PREFIX=prefix,
            SEEDSIM_DB=str(folder / f"{country.lower()}.sqlite3"),
            SEEDSIM_KEYS=str(folder / "keys"),
        ),
        cwd=folder,
        stdin=subprocess.DEVNULL,
        stdout=out.open("wb"),
        stderr=subprocess.STDOUT,
    )
    return proc, f"http://127.0.0.1:{port}", out


async def _members(kafka: SecuredKafka, group: str, inbox: str) -> dict[str, list[int]]:
    """The consumer group's members and the inbox partitions each is assigned."""
    from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment

    async with admin_client(kafka.bootstrap, kafka.admin) as admin:
        described = await admin.describe_consumer_groups([group])
    members: dict[str, list[int]] = {}
    for _group in described[0].to_object()["groups"]:
        for m in _group["members"]:
            if not m["member_assignment"]:  # the group is rebalancing: nothing assigned yet
                members[m["member_id"]] = []
                continue
            assignment = ConsumerProtocolMemberAssignment.decode(m["member_assignment"])
            members[m["member_id"]] = sorted(p for t, ps in assignment.assignment for p in ps if t == inbox)
    return members


async def _wait_members(kafka: SecuredKafka, group: str, inbox: str, n: int, timeout: float) -> dict[str, list[int]]:
    deadline = time.monotonic() + timeout
    while True:
        members = await _members(kafka, group, inbox)
        if len(members) == n and all(members.values()):
            return members
        assert time.monotonic() < deadline, f"consumer group {group}: {members}, expected {n} members with partitions"
        await asyncio.sleep(0.5)


async def test_two_workers_share_the_inbox_and_a_killed_one_loses_nothing(secured_kafka: SecuredKafka, tmp_path):
    topics = await secured_kafka.network(["RS", "ME"])
    rs, rs_url, rs_out = _node(secured_kafka, "RS", "ME", topics.prefix, tmp_path)
    me, me_url, me_out = _node(secured_kafka, "ME", "RS", topics.prefix, tmp_path, "--workers", "2")
    observer, summary = watched(secured_kafka.bootstrap, topics, secured_kafka.admin)
    client = HttpClient({"RS": rs_url, "ME": me_url})
    inbox, group = topics.inbox("ME"), f"{topics.prefix}-node-me"
    try:
        await observer.start()
        await client.wait_ready(timeout=60)
        deadline = time.monotonic() + 10
        while not (found := re.search(r"workers:\s+2 processes \(this one, (\d+), and (\d+)\)", me_out.read_text())):
            assert time.monotonic() < deadline, me_out.read_text()
            await asyncio.sleep(0.2)
        first, second = int(found[1]), int(found[2])
        assert first == me.pid
        # both workers are members of ME's consumer group, each with inbox partitions of its own
        assert len(await _wait_members(secured_kafka, group, inbox, 2, timeout=30)) == 2

        gen = ConsignmentGenerator(7, CROSS)
        consignments = [gen.make(i) for i in range(1, FIRST + SECOND + 1)]
        for c in consignments:
            await client.lodge("RS", c.export.to_xml(MetaData(wco_type_name="DEC", responsible_country_code="RS")))

        def exited(n: int):
            return lambda s: s.count(Stage.ACK_RECEIVED, "ExportData", "EXIT") >= n

        async def exit_all(batch) -> None:
            await asyncio.gather(
                *(client.event("RS", Event.EXIT, c.ucr, CROSS.exit_office, CROSS.entry_office) for c in batch)
            )

        # 1. both workers running: each takes the records of its own partitions
        before = await _members(secured_kafka, group, inbox)
        await exit_all(consignments[:FIRST])
        assert await summary.wait_for(exited(FIRST), timeout=30), summary.counts()
        assert await _members(secured_kafka, group, inbox) == before  # nobody left or joined meanwhile
        async with admin_client(secured_kafka.bootstrap, secured_kafka.admin) as admin:
            offsets = await admin.list_consumer_group_offsets(group)
        handled_by_partition = {tp.partition: meta.offset for tp, meta in offsets.items() if tp.topic == inbox}
        for member, partitions in before.items():  # every member committed records it handled
            assert sum(handled_by_partition.get(p, 0) for p in partitions) > 0, (member, partitions, offsets)

        # 2. the second worker is killed (kill -9) while exit data is on its way to it
        sending = asyncio.create_task(exit_all(consignments[FIRST:]))
        assert await summary.wait_for(exited(FIRST + 5), timeout=30), summary.counts()
        os.kill(second, signal.SIGKILL)
        await sending
        assert await summary.wait_for(exited(FIRST + SECOND), timeout=40), summary.counts()
        # the first worker took over every partition
        remaining = await _wait_members(secured_kafka, group, inbox, 1, timeout=20)
        assert list(remaining.values()) == [[0, 1, 2]]
        await asyncio.sleep(1.5)  # anything sent twice would show up by now

        n = FIRST + SECOND
        assert summary.count(Stage.VALID, "ExportData", "EXIT") == n
        assert summary.count(Stage.ACKED, "ExportData", "EXIT") == n
        assert summary.count(Stage.ACK_RECEIVED, "ExportData", "EXIT") == n
        assert summary.count(Stage.NACKED) == summary.count(Stage.DEAD_LETTERED) == 0
        # handled exactly once: one row per message in ME's log, each consignment's exit acknowledged at RS
        with sqlite3.connect(tmp_path / "me.sqlite3") as db:
            got = db.execute(
                "SELECT count(*), count(DISTINCT ucr) FROM messages WHERE direction='in' AND type='ExportData'"
            )
            assert got.fetchone() == (n, n)
        for c in consignments:
            assert (await client._http.get(f"{rs_url}/consignments/{c.ucr}")).json()["status"] == "exited_acked"
        assert me.poll() is None  # the first worker runs on, and says what happened to the second
        assert f"worker 1 (pid {second}) ended with -9" in me_out.read_text()
    finally:
        await client.close()
        await observer.stop()
        for p in (rs, me):
            p.terminate()
        for p in (rs, me):
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
    assert "Traceback" not in me_out.read_text() + rs_out.read_text()
