"""The broker crashes mid-stream and comes back on its data: nothing is lost, nothing is applied twice.

RS sends pre-arrival data to ME over a secured broker; part-way through, the
broker is killed (SIGKILL, no clean shutdown) and started again on the same
data directory and ports, as after a power cut. The nodes keep running: RS's
outbox holds what it could not send, each consumer resumes from its committed
offsets. At the end ME has handled each consignment once, and RS has every
acknowledgement.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator

import pytest

from seedsim.core.interop import Stage
from seedsim.core.transport.kafka import KafkaTransport
from seedsim.core.transport.kafka_acls import MONITOR_USER
from tests.kafka.conftest import SecuredKafka
from tests.kafka.node_processes import rs_and_me
from tests.support.kafka_broker import KafkaBroker

pytestmark = pytest.mark.kafka


@pytest.fixture
def own_broker() -> Iterator[SecuredKafka]:
    """A secured broker of this test's own: killing the session's would break the other tests."""
    with KafkaBroker(users={}, local=True) as broker:
        yield SecuredKafka(broker)


async def test_broker_killed_and_restarted_on_its_data_loses_nothing_and_applies_nothing_twice(own_broker, tmp_path):
    kafka = own_broker
    topics = await kafka.network(["RS", "ME"], extra_users=(MONITOR_USER,))
    n = 60
    observer = KafkaTransport(kafka.bootstrap, credentials=kafka.user(MONITOR_USER))
    login = lambda node: kafka.env(kafka.user(node))  # noqa: E731
    async with rs_and_me(kafka.bootstrap, topics.prefix, tmp_path, observer, login) as pair:
        summary = pair.summary
        consignments = await pair.send_exports(2027, n)
        sending = pair.exits(consignments)
        assert await summary.wait_for(lambda s: s.count(Stage.VALID, "ExportData") >= 10, timeout=60)
        kafka.broker.kill()  # mid-stream: RS is still sending, ME still handling
        killed_at = summary.count(Stage.VALID, "ExportData")
        await asyncio.to_thread(kafka.broker.restart)
        await sending
        done = await summary.wait_for(lambda s: s.count(Stage.ACK_RECEIVED, "ExportData") >= n, timeout=180)
        await asyncio.sleep(2)  # a late duplicate would show up now
        assert done, f"only {summary.count(Stage.ACK_RECEIVED, 'ExportData')} of {n} acknowledged\n{pair.log_tails()}"
    assert killed_at < n, "the broker was not killed mid-stream"
    assert summary.count(Stage.SENT, "ExportData") == n
    assert summary.count(Stage.VALID, "ExportData") == n
    assert summary.count(Stage.ACK_RECEIVED, "ExportData") == n
    valid = [r.consignment for r in summary.records if r.stage == Stage.VALID and r.message_type == "ExportData"]
    assert sorted(valid) == sorted({c.ucr for c in consignments}), "each consignment handled once"
    with sqlite3.connect(tmp_path / "me.sqlite3") as db:
        assert db.execute("SELECT COUNT(*) FROM prearrival").fetchone()[0] == n
        assert db.execute("SELECT COUNT(*) FROM handled WHERE outcome = 'accepted'").fetchone()[0] == n
    with sqlite3.connect(tmp_path / "rs.sqlite3") as db:
        acked = db.execute("SELECT COUNT(*) FROM messages WHERE direction='out' AND result='acked'").fetchone()[0]
        assert acked == n
