"""A node's GET /metrics: the records it parked, counted by reason since start, and held in its parking table now."""

from __future__ import annotations

import asyncio

from prometheus_client.parser import text_string_to_metric_families

from seedsim.core.interop import Stage
from seedsim.core.transport import Record
from seedsim.messages.seed import EXPORT_DATA
from tests.unit.node_api import client
from tests.unit.test_inbox_jams import queue_unsendable
from tests.unit.test_node_exchange import T, interop, settle


async def scrape(node) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with client(node) as http:
        answer = await http.get("/metrics")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(answer.text)
        for s in family.samples
    }


def parked(metrics, reason: str, node: str = "ME") -> float:
    return metrics[("seedsim_records_parked_total", (("node", node), ("reason", reason)))]


def held(metrics, kind: str, node: str = "ME") -> float:
    return metrics[("seedsim_parked_records", (("kind", kind), ("node", node)))]


async def test_metrics_say_nothing_is_parked_on_a_node_that_parked_nothing(corridor):
    _bus, nodes = corridor
    metrics = await scrape(nodes["ME"])
    assert parked(metrics, "too_large") == 0 and parked(metrics, "dead_letter_failed") == 0
    assert held(metrics, "inbox") == 0 and held(metrics, "outbox") == 0


async def test_outbox_rows_a_broker_would_refuse_are_counted_as_parked_by_reason(corridor):
    _bus, nodes = corridor
    me = nodes["ME"]
    await me.run(queue_unsendable)
    metrics = await scrape(me)
    assert parked(metrics, "illegal_topic") == 1 and parked(metrics, "too_large") == 1
    assert parked(metrics, "transport_refused") == 0 and parked(metrics, "dead_letter_failed") == 0
    assert held(metrics, "outbox") == 2 and held(metrics, "inbox") == 0
    assert parked(await scrape(nodes["RS"]), "too_large", node="RS") == 0, "RS counted what ME parked"


async def test_a_received_record_that_can_be_neither_handled_nor_dead_lettered_is_counted_as_parked(corridor):
    bus, nodes = corridor
    me = nodes["ME"]

    def fails(tx, *args):
        raise RuntimeError("handler broken")

    me._inbox_tx = fails  # handling fails every time, and so does its dead letter
    me._dead_letter_only_tx = fails
    env = EXPORT_DATA.envelope("RS", "ME", subject="STUCK", trigger="EXIT")
    await bus.send_batch([Record(topic=T.inbox("ME"), value=b"<x/>", key=b"STUCK", headers=tuple(env.to_headers()))])
    for _ in range(100):
        if me.parked:
            break
        await asyncio.sleep(0.05)
    await settle(bus)
    metrics = await scrape(me)
    assert parked(metrics, "dead_letter_failed") == 1 and held(metrics, "inbox") == 1
    said = [r for r in interop(bus) if r.node == "ME" and r.result == "parked"]
    assert [r.stage for r in said] == [Stage.DEAD_LETTERED], "no interop record says the record was parked"
