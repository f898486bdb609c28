"""The monitor's store: a record delivered twice is counted once, and a restart rebuilds the same numbers."""

from seedsim.runners.monitor.monitor_aggregate import MonitorAggregate
from seedsim.runners.monitor.monitor_ingest import MonitorIngest
from seedsim.runners.monitor.monitor_metrics import MonitorMetrics
from seedsim.runners.monitor.monitor_store import MonitorStore
from seedsim.runners.scenarios.scenario_loader import find, load
from seedsim.runners.scenarios.scenario_run import RunSettings, run_scenario
from seedsim.utility_blocks import load_all
from tests.unit.run_records import keeping


async def _opened(path):
    store = MonitorStore(path)
    await store.open()
    return store, MonitorIngest(store, MonitorAggregate(load_all().values()), MonitorMetrics())


async def test_records_delivered_twice_count_once_and_a_restart_rebuilds_the_same_numbers(tmp_path):
    heard = []
    result = await run_scenario(
        load(find("fault-malformed")), RunSettings(db_dir=tmp_path, watch=keeping(heard)), out=lambda line: None
    )
    assert result.ok
    db = tmp_path / "monitor.sqlite3"
    store, ingest = await _opened(db)
    half = len(heard) // 2
    await ingest.handle(heard[:half])
    await ingest.handle(heard[: half + 10])  # redelivered: a restart before the offsets were committed
    await ingest.handle(heard[half:])
    await ingest.handle(heard)  # and everything once more
    assert ingest.aggregate.counters() == result.counts
    counted = ingest.aggregate.counters(), ingest.aggregate.matrix.rows(), ingest.aggregate.service_levels()
    stored = await store.counts()
    await store.close()

    store, ingest = await _opened(db)
    assert await ingest.rebuild() == stored["interop"]
    assert (ingest.aggregate.counters(), ingest.aggregate.matrix.rows(), ingest.aggregate.service_levels()) == counted
    await ingest.handle(heard)  # the transport starting again from the beginning changes nothing
    assert ingest.aggregate.counters() == result.counts
    assert await store.counts() == stored
    assert stored["dead_letter"] == result.counts["dead_lettered"]
    await store.close()


async def test_retention_deletes_what_is_older_and_the_rebuild_forgets_it(tmp_path):
    heard = []
    result = await run_scenario(
        load(find("fault-malformed")), RunSettings(db_dir=tmp_path, watch=keeping(heard)), out=lambda line: None
    )
    store, ingest = await _opened(tmp_path / "monitor.sqlite3")
    await ingest.handle(heard)
    assert ingest.aggregate.counters()["sent"] == result.counts["sent"]
    kept = await store.counts()
    assert await store.delete_before(0) == 0  # nothing happened before 1970
    # everything happened before 2100
    assert await store.delete_before(4102444800) == kept["interop"] + kept["dead_letter"] + kept["received"]
    await ingest.rebuild()
    assert ingest.aggregate.counters()["sent"] == 0
    assert (await store.counts())["interop"] == 0
    await store.close()
