"""The monitor store's duplicate check, by a hash of the key: right when two keys share a hash, within one batch
inserted chunk by chunk, and in a store written before the hash column existed; and the records counted while
their transaction commits, taken back when the commit fails."""

import json
import sqlite3
import zlib

from seedsim.core.interop import InteropRecord, Stage
from seedsim.core.topics import Topics
from seedsim.core.transport import Record
from seedsim.runners.monitor.monitor_aggregate import MonitorAggregate
from seedsim.runners.monitor.monitor_ingest import MonitorIngest, to_store
from seedsim.runners.monitor.monitor_metrics import MonitorMetrics
from seedsim.runners.monitor.monitor_store import CHUNK_ROWS, MonitorStore, key_hash
from seedsim.runners.scenarios.scenario_loader import find, load
from seedsim.runners.scenarios.scenario_run import RunSettings, run_scenario
from seedsim.utility_blocks import load_all
from tests.unit.run_records import keeping

#: two words with one CRC-32 (a well-known pair)
SAME_HASH = ("plumless", "buckeroo")


def _sent(record_id: str) -> Record:
    rec = InteropRecord(id=record_id, node="RS", stage=Stage.SENT, message_type="ExportData", sender="RS")
    return Record(Topics().interop, rec.to_json())


async def _opened(path):
    store = MonitorStore(path)
    await store.open()
    return store, MonitorIngest(store, MonitorAggregate(load_all().values()), MonitorMetrics())


async def test_two_records_whose_ids_share_a_hash_are_both_stored_and_each_counted_once(tmp_path):
    assert zlib.crc32(SAME_HASH[0].encode()) == zlib.crc32(SAME_HASH[1].encode())
    assert key_hash(SAME_HASH[0]) == key_hash(SAME_HASH[1])
    store, ingest = await _opened(tmp_path / "monitor.sqlite3")
    await ingest.handle([_sent(SAME_HASH[0])])
    await ingest.handle([_sent(SAME_HASH[1])])  # its hash is stored already, its id is not
    await ingest.handle([_sent(SAME_HASH[0]), _sent(SAME_HASH[1])])  # both redelivered
    assert ingest.aggregate.counters()["sent"] == 2
    assert (await store.counts())["interop"] == 2
    await store.close()


async def test_a_record_twice_in_one_batch_is_stored_once_in_whichever_chunk_it_comes(tmp_path):
    store, ingest = await _opened(tmp_path / "monitor.sqlite3")
    batch = [_sent(f"r{i}") for i in range(CHUNK_ROWS + 20)]
    # again in the next chunk of the batch (one transaction, two INSERTs), and twice in the same chunk
    batch += [batch[0], batch[1], batch[-1], batch[-1]]
    await ingest.handle(batch)
    assert ingest.aggregate.counters()["sent"] == CHUNK_ROWS + 20
    assert (await store.counts())["interop"] == CHUNK_ROWS + 20
    await store.close()


#: the table as it was before its key was looked up by hash (a TEXT UNIQUE key)
OLD_LAYOUT = """
CREATE TABLE monitored (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    stage TEXT,
    consignment TEXT,
    at REAL NOT NULL,
    topic TEXT NOT NULL,
    value BLOB NOT NULL,
    headers TEXT NOT NULL,
    truncated INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX monitored_consignment ON monitored(consignment);
CREATE INDEX monitored_notable ON monitored(stage, at)
    WHERE stage IN ('alert', 'risk_alert', 'dead_lettered') OR kind = 'dead_letter';
"""


def _headers(record: Record) -> str:
    return json.dumps([[k, v.decode("latin-1")] for k, v in record.headers])


async def test_a_store_of_the_layout_before_the_hash_keeps_its_records_and_its_duplicate_check(tmp_path):
    heard = []
    result = await run_scenario(
        load(find("fault-malformed")), RunSettings(db_dir=tmp_path, watch=keeping(heard)), out=lambda line: None
    )
    db = tmp_path / "old-monitor.sqlite3"
    conn = sqlite3.connect(db)
    conn.executescript(OLD_LAYOUT)
    half = [it for r in heard[: len(heard) // 2] for it in to_store(r)]
    conn.executemany(
        "INSERT OR IGNORE INTO monitored(key, kind, stage, consignment, at, topic, value, headers, truncated)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (it.key, it.kind, it.stage, it.consignment, it.at, it.record.topic, it.stored_value, _headers(it.record))
            + (int(it.truncated),)
            for it in half
        ],
    )
    conn.commit()
    before = conn.execute("SELECT kind, COUNT(*) FROM monitored GROUP BY kind ORDER BY kind").fetchall()
    conn.close()

    store, ingest = await _opened(db)
    after = await store.read(
        lambda c: c.execute("SELECT kind, COUNT(*) FROM monitored GROUP BY kind ORDER BY kind").fetchall()
    )
    assert [tuple(r) for r in after] == before
    await ingest.rebuild()
    await ingest.handle(heard)  # the first half is stored already: only the rest is new
    assert ingest.aggregate.counters() == result.counts
    await store.close()

    store, ingest = await _opened(db)  # opened again: nothing more to migrate
    await ingest.rebuild()
    assert ingest.aggregate.counters() == result.counts
    await store.close()


class _CommitFails(MonitorStore):
    """A store whose next commit fails (a full disk, say): the transaction is rolled back after its inserts."""

    fail = True

    def _in_tx(self, fn, args):
        if not self.fail:
            return super()._in_tx(fn, args)

        def inserted_then_failed(tx, *a):
            fn(tx, *a)
            raise sqlite3.OperationalError("database or disk is full")

        return super()._in_tx(inserted_then_failed, args)


async def test_what_was_counted_before_a_commit_that_failed_is_counted_no_more(tmp_path):
    store = _CommitFails(tmp_path / "monitor.sqlite3")
    await store.open()
    ingest = MonitorIngest(store, MonitorAggregate(load_all().values()), MonitorMetrics())
    store.fail = False
    await ingest.handle([_sent("a"), _sent("b")])
    store.fail = True
    try:
        await ingest.handle([_sent("c"), _sent("d"), _sent("e")])  # counted as inserted, then not committed
    except sqlite3.OperationalError:
        pass
    else:
        raise AssertionError("the failed commit was not reported to the transport")
    assert ingest.aggregate.counters()["sent"] == 2  # made again from the store: a and b
    store.fail = False
    await ingest.handle([_sent("c"), _sent("d"), _sent("e")])  # redelivered: stored and counted now, once
    assert ingest.aggregate.counters()["sent"] == 5
    assert (await store.counts())["interop"] == 5
    await store.close()
