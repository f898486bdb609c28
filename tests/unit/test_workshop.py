"""Workshop mode and the Utility Block player: every shipped UB plays to the end between real nodes."""

from __future__ import annotations

import io

import pytest

from seedsim.cli import main
from seedsim.runners.ub_player import Player, cast_nodes, cast_roles
from seedsim.runners.workshop import PROMPT, run_workshop
from seedsim.utility_blocks import load_all

BLOCKS = load_all()


@pytest.mark.parametrize("ub_id", sorted(BLOCKS))
async def test_every_step_of_every_ub_is_valid_and_acknowledged(ub_id):
    ub = BLOCKS[ub_id]
    async with cast_nodes(ub, "RS", "ME") as cast:
        outcomes = [o async for o in Player(cast).play()]
    assert [o.step for o in outcomes] == ub.business_process.steps
    for o in outcomes:
        assert o.ok, (o.index, o.step.message, o.errors)
        assert (o.sender, o.receiver) == (cast.roles[o.step.from_role], cast.roles[o.step.to_role])
        assert o.message_id


@pytest.mark.parametrize("ub_id", sorted(BLOCKS))
async def test_narration_tells_each_step_its_message_and_data_set(ub_id):
    ub = BLOCKS[ub_id]
    lines: list[str] = []
    assert await run_workshop(ub_id, out=lines.append)
    text = "\n".join(lines)
    steps = [line for line in lines if line.startswith("step ")]
    assert len(steps) == len(ub.business_process.steps)
    for line, step in zip(steps, ub.business_process.steps, strict=False):
        assert step.message in line and step.event in line
    for ds in ub.data_set:
        for el in ds.elements:
            assert el.name in text and el.path in text
            if el.wco_id:
                assert f"WCO {el.wco_id}" in text
    assert " NOT " not in text and "error:" not in text


async def test_values_shown_are_those_of_the_instance_sent():
    lines: list[str] = []
    await run_workshop("UB-SEED-ORIGIN", out=lines.append)
    cert_no = next(line for line in lines if "/CertificateOfOrigin/ID =" in line).split("= ", 1)[1]
    assert any(line.endswith(f"/OriginVerificationRequest/Certificate/ID = {cert_no}") for line in lines)
    assert any(line.endswith(f"/OriginVerificationResponse/Certificate/ID = {cert_no}") for line in lines)
    request = next(line for line in lines if "/OriginVerificationRequest/ID =" in line).split("= ", 1)[1]
    assert any(line.endswith(f"/OriginVerificationResponse/RequestID = {request}") for line in lines)
    assert any(line.endswith("/CertificateOfOrigin/OriginCountryCode = RS") for line in lines)


def test_roles_go_to_customs_nodes_of_the_two_countries_and_to_agency_nodes():
    assert cast_roles(BLOCKS["UB-SEED-EXIT"], "AL", "MK") == {"exporting_customs": "AL", "importing_customs": "MK"}
    assert cast_roles(BLOCKS["UB-SEED-PHYTO"], "RS", "ME") == {"exporting_nppo": "RS-NPPO", "importing_customs": "ME"}
    assert cast_roles(BLOCKS["UB-SEED-VAT"], "RS", "ME")["tax_administration"] == "ME-TAX"


class FakeStdin(io.StringIO):
    """Enter pressed once per pause; remembers what had been printed when each pause began."""

    def __init__(self, printed: list[str]):
        super().__init__("\n" * 20)
        self.printed = printed
        self.pauses: list[int] = []

    def readline(self, *args):
        self.pauses.append(len(self.printed))
        return super().readline(*args)


async def test_pause_waits_for_enter_between_steps():
    printed: list[str] = []
    stdin = FakeStdin(printed)
    assert await run_workshop("UB-SEED-CASH", pause=True, out=printed.append, stdin=stdin)
    assert len(stdin.pauses) == len(BLOCKS["UB-SEED-CASH"].business_process.steps) - 1
    first_pause = stdin.pauses[0]
    assert printed[first_pause - 1] == PROMPT
    assert not any(line.startswith("step 2/") for line in printed[:first_pause])


async def test_without_pause_nothing_is_read():
    stdin = FakeStdin([])
    await run_workshop("UB-SEED-CASH", out=lambda _: None, stdin=stdin)
    assert stdin.pauses == []


def test_cli_demo_ub(capsys):
    assert main(["demo", "--ub", "UB-SEED-PHYTO", "--country-a", "MK", "--country-b", "AL"]) == 0
    out = capsys.readouterr().out
    assert "MK-NPPO" in out and "PhytosanitaryCertificate" in out and "every one acknowledged" in out
    assert main(["demo", "--ub", "UB-NOPE"]) == 2
    assert "UB-SEED-EXIT" in capsys.readouterr().err
