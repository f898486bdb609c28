"""A node's retention: handled ids and the message log older than it are purged, newer ones kept; a redelivery
within the idempotency window is still a duplicate; what a conversation still needs is kept; a bad setting is
refused in one line (seedsim.core.retention)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from seedsim.bootstrap import running_network
from seedsim.config import NodeConfig
from seedsim.core.interop import Stage
from seedsim.core.retention import Retention
from seedsim.core.transport import Record
from seedsim.core.transport.memory import InMemoryBus
from seedsim.core.wco import MetaData
from seedsim.messages.seed import ACKNOWLEDGEMENT
from seedsim.nodes.customs.customs_node import Event
from seedsim.samples.consignments import ConsignmentGenerator
from seedsim.samples.crossings import DEMO_CROSSINGS
from tests.unit.seedsim_cli import assert_no_traceback, seedsim
from tests.unit.test_node_exchange import CROSS, T, interop, lodge_and_exit, settle
from tests.unit.test_node_metrics import scrape

HOUR = 3600.0


def ago(hours: float) -> str:
    return (datetime.now(UTC) - timedelta(hours=hours)).isoformat()


def fill(tx) -> None:
    """Handled ids and logged messages of several ages (hours ago in their names)."""
    for name, hours in (("old-30h", 30), ("new-10h", 10)):
        tx.mark_handled(name, "accepted", ago(hours), "d")
    rows = [  # (id, direction, type, hours ago, acknowledged)
        ("in-10h", "in", "ExportData", 10, False),
        ("in-1h", "in", "ExportData", 1, False),
        ("ack-10h", "out", ACKNOWLEDGEMENT.name, 10, False),  # an acknowledgement is never acknowledged
        ("acked-10h", "out", "ExportData", 10, True),
        ("awaiting-10h", "out", "ExportData", 10, False),  # its acknowledgement may still come
        ("awaiting-30h", "out", "ExportData", 30, False),  # older than the idempotency window
    ]
    for message_id, direction, type_, hours, acked in rows:
        tx.execute(
            "INSERT INTO messages(message_id, direction, type, peer, ucr, at, acked_at, result) VALUES (?,?,?,?,?,?,?,?)",
            (
                message_id,
                direction,
                type_,
                "RS",
                "U1",
                ago(hours),
                ago(hours) if acked else None,
                "acked" if acked else None,
            ),
        )


async def kept(node) -> tuple[set[str], set[str]]:
    def _read(conn):
        handled = {r[0] for r in conn.execute("SELECT message_id FROM handled")}
        return handled, {r[0] for r in conn.execute("SELECT message_id FROM messages")}

    return await node.store.read(_read)


async def test_ids_and_messages_older_than_the_retention_are_purged_and_newer_ones_kept(corridor):
    _bus, nodes = corridor
    me = nodes["ME"]
    me.retention = Retention(idempotency_window_s=24 * HOUR, message_log_s=5 * HOUR)
    await me.store.transaction(fill)
    before_handled, _ = await kept(me)

    purged = await me.purge()

    handled, messages = await kept(me)
    assert "old-30h" in before_handled and "old-30h" not in handled, "an id older than the window was kept"
    assert "new-10h" in handled
    assert messages == {"in-1h", "awaiting-10h"}, (
        "a sent message awaiting its acknowledgement went, or an old one stayed"
    )
    assert purged == {"handled": 1, "messages": 4}
    metrics = await scrape(me)
    assert metrics[("seedsim_rows_purged_total", (("node", "ME"), ("table", "handled")))] == 1
    assert metrics[("seedsim_rows_purged_total", (("node", "ME"), ("table", "messages")))] == 4


async def test_the_purge_deletes_in_batches_until_nothing_old_is_left(corridor):
    _bus, nodes = corridor
    me = nodes["ME"]
    me.retention = Retention(idempotency_window_s=HOUR, message_log_s=HOUR, batch=7)

    def many(tx):
        for i in range(50):
            tx.mark_handled(f"old-{i}", "accepted", ago(2))
            tx.mark_handled(f"new-{i}", "accepted", ago(0.5))

    await me.store.transaction(many)
    assert (await me.purge())["handled"] == 50
    handled, _ = await kept(me)
    assert {h for h in handled if h.startswith("old-")} == set() and len(
        {h for h in handled if h.startswith("new-")}
    ) == 50


async def test_a_redelivery_within_the_window_is_a_duplicate_and_one_older_than_the_window_is_handled_again(corridor):
    bus, nodes = corridor
    me = nodes["ME"]
    await lodge_and_exit(nodes, ConsignmentGenerator(71, CROSS).make(1))
    await settle(bus)
    original = bus.log(T.inbox("ME"))[0]
    again = Record(topic=original.topic, value=original.value, key=original.key, headers=original.headers)

    def stages(stage):
        return [
            r for r in interop(bus) if r.node == "ME" and r.stage == stage and r.message_id == original.header("ce_id")
        ]

    await me.purge()  # the default window, 7 days: the id stays
    await bus.send_batch([again])
    await settle(bus)
    assert len(stages(Stage.DUPLICATE)) == 1 and len(stages(Stage.ACKED)) == 1

    me.retention = Retention(idempotency_window_s=0.001)  # the trade-off: past the window, a redelivery is new
    await asyncio.sleep(0.01)
    assert (await me.purge())["handled"] >= 1
    await bus.send_batch([again])
    await settle(bus)
    assert len(stages(Stage.DUPLICATE)) == 1 and len(stages(Stage.ACKED)) == 2


async def test_exit_data_awaiting_its_match_is_kept_when_the_log_is_purged(corridor):
    bus, nodes = corridor
    me = nodes["ME"]
    c = ConsignmentGenerator(72, CROSS).make(1)
    await lodge_and_exit(nodes, c)
    await settle(bus)
    me.retention = Retention(idempotency_window_s=0.001, message_log_s=0.001)
    await asyncio.sleep(0.01)
    purged = await me.purge()
    assert purged["messages"] >= 2 and purged["handled"] >= 1
    lodged = await me.lodge(c.import_.to_xml(MetaData(wco_type_name="DEC", responsible_country_code="ME")))
    assert lodged.accepted
    entered = await me.on_event(Event.ENTRY, c.ucr, CROSS.entry_office)
    assert entered["status"] == "entered_matched", "the pre-arrival data the entry is matched with went with the log"


async def test_consignments_are_kept_unless_a_consignment_retention_is_set_then_old_ones_go_whole(corridor):
    bus, nodes = corridor
    me = nodes["ME"]
    gen = ConsignmentGenerator(73, CROSS)
    old, recent = gen.make(1), gen.make(2)
    for c in (old, recent):
        await lodge_and_exit(nodes, c)
    await settle(bus)

    def age(tx):
        tx.execute("UPDATE consignments SET updated_at = ? WHERE ucr = ?", (ago(10), old.ucr))

    await me.store.transaction(age)

    def held(conn):
        return {
            table: {r[0] for r in conn.execute(f"SELECT {column} FROM {table}")}
            for table, column in (("consignments", "ucr"), ("prearrival", "ucr"))
        }

    assert (await me.purge()).get("consignments", 0) == 0, "consignments went without a consignment retention"
    assert old.ucr in (await me.store.read(held))["prearrival"]
    me.retention = Retention(consignments_s=5 * HOUR)
    assert (await me.purge())["consignments"] == 1
    after = await me.store.read(held)
    assert after == {"consignments": {recent.ucr}, "prearrival": {recent.ucr}}
    lodged = await me.lodge(recent.import_.to_xml(MetaData(wco_type_name="DEC", responsible_country_code="ME")))
    assert lodged.accepted
    assert (await me.on_event(Event.ENTRY, recent.ucr, CROSS.entry_office))["status"] == "entered_matched"
    metrics = await scrape(me)
    assert metrics[("seedsim_rows_purged_total", (("node", "ME"), ("table", "consignments")))] == 1


async def test_the_node_purges_by_itself_from_start_to_stop(tmp_path):
    config = NodeConfig(
        node="ME",
        db=tmp_path / "me.sqlite3",
        partners=["RS"],
        crossings=DEMO_CROSSINGS,
        idempotency_window_s=5 * HOUR,
        message_log_retention_s=5 * HOUR,
        purge_every_s=0.05,
    )
    async with running_network([config], InMemoryBus()) as network:
        me = network.customs["ME"]
        assert me.retention == Retention(5 * HOUR, 5 * HOUR, 0.05)
        await me.store.transaction(fill)
        for _ in range(100):
            if me.metrics.purged["handled"]:
                break
            await asyncio.sleep(0.02)
        handled, messages = await kept(me)
        assert (
            "old-30h" not in handled and "new-10h" not in handled and "in-1h" in messages and "in-10h" not in messages
        )
        purger = me._purger
    assert purger is not None and purger.done(), "the purge went on after the node stopped"


def test_a_bad_retention_setting_is_refused_in_one_line_with_exit_2(tmp_path):
    db = str(tmp_path / "me.sqlite3")
    for args, env, words in (
        (["--idempotency-window", "7x"], {}, ("--idempotency-window", "is not a duration", "7d")),
        (["--message-log-retention", "0h"], {}, ("--message-log-retention", "longer than nothing")),
        ([], {"SEEDSIM_PURGE_EVERY": "soon"}, ("SEEDSIM_PURGE_EVERY", "is not a duration")),
        (["--consignment-retention", "-3d"], {}, ("--consignment-retention", "longer than nothing")),
    ):
        r = seedsim("node", "--country", "ME", "--db", db, *args, env=env)
        assert r.returncode == 2, r.stdout + r.stderr
        assert_no_traceback(r.stdout, r.stderr)
        lines = [line for line in r.stderr.splitlines() if line.strip()]
        assert any(all(w in line for w in words) for line in lines), r.stderr
