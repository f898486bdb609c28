"""Failures inside a node: shared-schema races, a flaky transport, a record that breaks its handler."""

from __future__ import annotations

import asyncio
import threading
from contextlib import asynccontextmanager

from lxml import etree

from seedsim.bootstrap import running_network
from seedsim.config import NodeConfig
from seedsim.core.interop import Stage, decode_interop
from seedsim.core.topics import Topics
from seedsim.core.transport.memory import InMemoryBus
from seedsim.core.validation import compiled_schema, validate_xsd
from seedsim.core.wco import MetaData
from seedsim.nodes.customs.customs_node import Event
from seedsim.runners.hostile_payloads import SCHEMA_VIOLATION
from seedsim.samples.consignments import ConsignmentGenerator
from seedsim.samples.crossings import DEMO_CROSSINGS

T = Topics()
CROSS = DEMO_CROSSINGS[0]


def test_schema_validation_is_right_under_concurrent_threads():
    valid = etree.fromstring(
        ConsignmentGenerator(1, CROSS)
        .make(1)
        .export.to_xml(MetaData(wco_type_name="DEC", responsible_country_code="RS"))
    )
    invalid = etree.fromstring(SCHEMA_VIOLATION)
    missed = []

    def check(doc, expect_errors: bool, n: int) -> None:
        for _ in range(n):
            issues = validate_xsd(doc, compiled_schema("wco/seedsim_metadata.xsd"))
            if bool(issues) != expect_errors:
                missed.append(expect_errors)

    threads = [
        threading.Thread(target=check, args=(valid, False, 3000)),
        threading.Thread(target=check, args=(invalid, True, 3000)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert missed == []


class FlakyBus(InMemoryBus):
    """Refuses the first ``failures`` sends, as a broker does while it is unreachable."""

    def __init__(self, failures: int):
        super().__init__()
        self.failures = failures

    async def send_batch(self, records):
        if self.failures > 0:
            self.failures -= 1
            raise ConnectionError("broker unreachable")
        return await super().send_batch(records)


@asynccontextmanager
async def _corridor(tmp_path, bus):
    configs = [
        NodeConfig(node=country, db=tmp_path / f"{country}.sqlite3", partners=[partner], crossings=DEMO_CROSSINGS)
        for country, partner in (("RS", "ME"), ("ME", "RS"))
    ]
    async with running_network(configs, bus) as network:
        yield network.customs


async def test_a_failing_send_delays_messages_but_loses_none(tmp_path):
    bus = FlakyBus(failures=0)
    async with _corridor(tmp_path, bus) as nodes:
        gen = ConsignmentGenerator(3, CROSS)
        cs = [gen.make(i) for i in range(1, 6)]
        for c in cs:
            await nodes["RS"].lodge(c.export.to_xml(MetaData(wco_type_name="DEC", responsible_country_code="RS")))
            await nodes["RS"].on_event(Event.EXIT, c.ucr, CROSS.exit_office, CROSS.entry_office)
        bus.failures = 3  # the receiver's acknowledgements now hit an outage
        for _ in range(300):
            await asyncio.sleep(0.01)
            recs = [rec for r in bus.log(T.interop) for rec in decode_interop(r.value)]
            if sum(1 for r in recs if r.stage == Stage.ACK_RECEIVED) == 5:
                break
        assert sum(1 for r in recs if r.stage == Stage.ACK_RECEIVED) == 5
        assert bus.failures == 0


async def test_a_record_that_breaks_its_handler_is_dead_lettered_and_order_is_kept(tmp_path, monkeypatch):
    bus = InMemoryBus()
    async with _corridor(tmp_path, bus) as nodes:
        gen = ConsignmentGenerator(4, CROSS)
        cs = [gen.make(i) for i in range(1, 8)]
        poisoned = cs[3].ucr
        me = nodes["ME"]
        original = me._on_export_data

        def explode(tx, env, d, now):
            if d.ucr == poisoned:
                raise RuntimeError("disk full (simulated)")
            return original(tx, env, d, now)

        monkeypatch.setattr(me, "_on_export_data", explode)
        for c in cs:
            await nodes["RS"].lodge(c.export.to_xml(MetaData(wco_type_name="DEC", responsible_country_code="RS")))
            await nodes["RS"].on_event(Event.EXIT, c.ucr, CROSS.exit_office, CROSS.entry_office)
        for _ in range(300):
            await asyncio.sleep(0.01)
            if len(bus.log(T.dead_letter("ME"))) == 1 and len(bus.log(T.inbox("RS"))) >= 6:
                break
        dlq = bus.log(T.dead_letter("ME"))
        assert len(dlq) == 1 and dlq[0].key == poisoned.encode() and dlq[0].header("dlq_rule") == "I401"
        handled = await me.store.read(lambda c: [r[0] for r in c.execute("SELECT ucr FROM prearrival ORDER BY rowid")])
        assert handled == [c.ucr for c in cs if c.ucr != poisoned], (
            "records behind the failing one are handled, in order"
        )
