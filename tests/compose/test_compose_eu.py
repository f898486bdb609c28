"""docker-compose.eu.yml: any administration as a node -- Hungary's beside the six, the runner playing the
corridor that enters the EU -- checked with a Compose implementation, as test_compose.py checks the base file."""

from __future__ import annotations

import os
import subprocess

import pytest
import yaml

from tests.compose.test_compose import (
    AGENCIES,
    COMPOSE_FILE,
    COMPOSE_INSTALL_HINT,
    CUSTOMS,
    REPO_ROOT,
    command_of,
    compose_implementations,
    environment_of,
)

EU_FILE = REPO_ROOT / "docker-compose.eu.yml"


def test_the_eu_override_adds_a_hungarian_node_every_node_accepts():
    implementations = compose_implementations()
    if not implementations:
        message = f"no Compose implementation found: install one, e.g. '{COMPOSE_INSTALL_HINT}'"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMPOSE_", "SEEDSIM_"))}
    network = sorted([*CUSTOMS, "HU", *AGENCIES])
    for impl in implementations:
        proc = subprocess.run(
            [*impl, "--project-directory", str(REPO_ROOT), "-f", str(COMPOSE_FILE), "-f", str(EU_FILE), "config"],
            cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        services = yaml.safe_load(proc.stdout)["services"]
        hu = services["node-hu"]
        assert command_of(hu) == ["node"] and environment_of(hu)["SEEDSIM_COUNTRY"] == "HU"
        assert environment_of(hu)["SEEDSIM_KAFKA_USERNAME"] == "HU" and hu.get("healthcheck")
        setup = environment_of(services["kafka-setup"])
        assert sorted(setup["SEEDSIM_NETWORK"].split(",")) == network
        assert "HU=hu-secret" in setup["SEEDSIM_KAFKA_USERS"].split(",")
        for name in [f"node-{c.lower()}" for c in [*CUSTOMS, "HU"]] + [f"agency-{a.lower()}" for a in AGENCIES]:
            assert sorted(environment_of(services[name])["SEEDSIM_PARTNERS"].split(",")) == network, name
        assert sorted(environment_of(services["monitor"])["SEEDSIM_MONITOR_NODES"].split(",")) == network
        runner = environment_of(services["runner"])
        assert runner["SEEDSIM_SCENARIO"] == "rs-hu-horgos-roszke"
        assert (REPO_ROOT / "scenarios" / f"{runner['SEEDSIM_SCENARIO']}.yaml").is_file()
        assert dict(p.split("=", 1) for p in runner["SEEDSIM_NODES"].split(","))["HU"] == "http://node-hu:8000"
        assert "node-hu" in services["runner"]["depends_on"] and "node-rs" in services["runner"]["depends_on"]
