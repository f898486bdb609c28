"""Shared fixtures: in-process nodes wired the way ``seedsim demo`` wires them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from seedsim.bootstrap import running_network
from seedsim.config import NodeConfig
from seedsim.core.transport.memory import InMemoryBus
from seedsim.samples.crossings import DEMO_CROSSINGS


def external_dir() -> Path | None:
    """The real schemas and samples (../shared/external), from SEEDSIM_EXTERNAL.

    A clone without them skips the conformance tests; in CI (CI set) a missing
    directory fails them instead.
    """
    value = os.environ.get("SEEDSIM_EXTERNAL")
    if value and Path(value).is_dir():
        return Path(value)
    if os.environ.get("CI"):
        pytest.fail(f"SEEDSIM_EXTERNAL={value!r} is not a directory: CI must point it at ../shared/external")
    pytest.skip("set SEEDSIM_EXTERNAL to ../shared/external to run the conformance tests")


@pytest.fixture
def external() -> Path:
    return external_dir()


@pytest.fixture
async def corridor(tmp_path):
    """Two customs nodes, RS and ME, on one in-process bus, started."""
    configs = [
        NodeConfig(node=country, db=tmp_path / f"{country}.sqlite3", partners=[partner], crossings=DEMO_CROSSINGS)
        for country, partner in (("RS", "ME"), ("ME", "RS"))
    ]
    async with running_network(configs, InMemoryBus()) as network:
        yield network.transport, network.customs
