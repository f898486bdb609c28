from seedsim.runners.demo import DemoSettings, run_demo


async def test_demo_on_the_in_process_bus_meets_every_expected_count(tmp_path):
    lines = []
    result = await run_demo(DemoSettings(consignments=60, seed=11, db_dir=tmp_path), out=lines.append)
    assert result.completed
    assert result.counts == {**result.counts, **result.expected}
    assert result.counts["discrepancies"] == 5 and result.counts["rejected"] == 3
    assert any("summary" in line for line in lines)
    assert any("[ME] matched" in line or "[ME] alert" in line for line in lines), "the flow of a consignment is shown"
