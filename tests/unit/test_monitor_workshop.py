"""Workshop mode with the monitor: the dashboard highlights each Utility Block step as it is played.

A real workshop (``run_workshop``) plays a UB through real nodes with the monitor beside it; the
steps the board is shown are compared with the UB file's business process (its roles cast on the
workshop's countries), and the dashboard's API and network panel with the last step played.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from seedsim.runners.monitor.monitor_service import Monitor, MonitorSettings
from seedsim.runners.monitor.workshop_board import WorkshopStep
from seedsim.runners.ub_player import cast_roles
from seedsim.runners.workshop import run_workshop
from seedsim.utility_blocks import load_all


@pytest.mark.parametrize(("ub_id", "a", "b"), [("UB-SEED-EXIT", "RS", "ME"), ("UB-SEED-PHYTO", "AL", "MK")])
async def test_each_step_is_shown_as_the_ub_file_says_and_the_network_highlights_the_last(
    tmp_path: Path, ub_id: str, a: str, b: str
) -> None:
    monitor = Monitor(MonitorSettings(db=tmp_path / "monitor.sqlite3"))
    await monitor.open()
    shown: list[WorkshopStep] = []
    monitor.board.listeners.append(shown.append)
    api = httpx.AsyncClient(transport=httpx.ASGITransport(app=monitor.app), base_url="http://m")
    try:
        assert (await api.get("/api/workshop")).json() is None  # no step before the workshop plays one
        ok = await run_workshop(ub_id, a, b, out=lambda line: None, watch=monitor.watch, on_step=monitor.board.show)
        assert ok
        ub = load_all()[ub_id]
        roles = cast_roles(ub, a, b)
        steps = ub.business_process.steps
        expected = [
            (i, len(steps), roles[s.from_role], roles[s.to_role], s.message, s.event) for i, s in enumerate(steps, 1)
        ]
        assert [(s.index, s.of, s.sender, s.receiver, s.message, s.event) for s in shown] == expected

        last = shown[-1]
        assert (await api.get("/api/workshop")).json() == last.to_dict()
        panels = (await api.get("/fragments/panels")).text
        assert last.text.replace("->", "-&gt;") in panels
        assert f'current" data-edge="{last.sender}->{last.receiver}"' in panels
        for node in (last.sender, last.receiver):
            assert f'current" data-node="{node}"' in panels

        # the played UB's service level counts its own conversation, every other UB has none
        levels = {s["ub"]: s for s in (await api.get("/api/service-levels")).json()}
        played = len([s for s in steps if s.message != "Acknowledgement"])
        assert (levels[ub_id]["sent"], levels[ub_id]["acknowledged"]) == (played, played)
        assert levels[ub_id]["measured"] == "by conversation"
        assert [u for u, level in levels.items() if level["status"] != "no traffic"] == [ub_id]
    finally:
        await api.aclose()
        await monitor.close()
