"""Workshop mode and the Utility Block player: every shipped UB plays to the end between real nodes.

The workshop tests assert what a trainer's room sees: the words for a code, several values as a list, the
UB's purpose said once, the pause before a message is sent, the XML as sent, a negative acknowledgement
explained, lines wrapped to the width, and Ctrl-C at the prompt ending the run at once.
"""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from seedsim.cli import main
from seedsim.runners.code_words import rule_words
from seedsim.runners.ub_player import Player, StepOutcome, cast_nodes, cast_roles
from seedsim.runners.workshop import PROMPT, XML_LINES, came_back, run_workshop, xml_lines
from seedsim.utility_blocks import load_all

BLOCKS = load_all()


def flat(lines: list[str]) -> str:
    """The narration as one text with every run of whitespace one space: phrases found whatever the wrapping."""
    return " ".join(" ".join(lines).split())


async def narrate(ub_id: str, **kw) -> tuple[bool, list[str]]:
    lines: list[str] = []
    ok = await run_workshop(ub_id, out=lines.append, **kw)
    return ok, lines


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
    # the country's name after its code is new (codes in words); the value is still the instance's
    assert any(line.endswith("/CertificateOfOrigin/OriginCountryCode = RS (Serbia)") for line in lines)


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


async def test_pause_comes_before_each_message_is_sent_and_what_came_back_after_it():
    # replaces the test of a pause *after* each step (the defect): the room discusses a message before it goes
    ub = BLOCKS["UB-SEED-EXIT"]
    printed: list[str] = []
    stdin = FakeStdin(printed)
    assert await run_workshop("UB-SEED-EXIT", pause=True, out=printed.append, stdin=stdin)
    sent = [i for i, s in enumerate(ub.business_process.steps, 1) if s.message != "Acknowledgement"]
    assert len(stdin.pauses) == len(sent) == 3
    for k, (index, at) in enumerate(zip(sent, stdin.pauses, strict=True)):
        before, after = printed[:at], printed[at:]
        assert before[-1] == PROMPT.rstrip()
        assert any(line.startswith(f"step {index}/") for line in before)  # what is about to be sent is told
        assert sum("came back:" in line for line in before) == k  # ... and what came back only once sent
        assert "came back:" in next(line for line in after if line.strip())


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


# -- codes in words, lists, the why once ----------------------------------------------------------------


async def test_codes_are_explained_in_words():
    _, origin = await narrate("UB-SEED-ORIGIN")
    text = flat(origin)
    assert "/OriginVerificationResponse/ResultCode = AO (Authentic and the products originating)" in text
    assert "/CertificateOfOrigin/DestinationCountryCode = ME (Montenegro)" in text
    assert "/OriginVerificationRequest/Reason/ReasonCode = ORI (Reasonable doubt as to originating status)" in text
    assert "- WO (Wholly obtained)" in text
    _, exit_ = await narrate("UB-SEED-EXIT")
    text = flat(exit_)
    assert "/Response/FunctionCode = 01 (positive acknowledgement: read and accepted)" in text
    assert "/Response/FunctionCode = 09 (goods entered: the office of entry confirms the arrival" in text
    assert "/Response/AdditionalInformation/StatementTypeCode = MAT (the exit and entry data matched)" in text
    assert "/Declaration/TypeCode = EXA (export, standard declaration)" in text
    assert "/Declaration/BorderTransportMeans/ModeCode = 3 (Road transport)" in text
    _, phyto = await narrate("UB-SEED-PHYTO", country_a="MK", country_b="AL")
    assert "/SPSCertificate/SPSConsignment/ExportSPSCountry/ID = MK (North Macedonia)" in flat(phyto)


def test_a_rule_id_is_said_with_what_its_rule_checks():
    assert (
        rule_words("ORG132", "OriginVerificationResponse")
        == "The result and the certificate come from their code lists"
    )
    assert rule_words("R101") == "Country codes are ISO 3166-1 alpha-2"
    assert rule_words("UB301") == "an element outside the Utility Block's data set"
    assert rule_words("XSD100") == "the message does not match its XML schema"
    assert rule_words("NOPE1") is None
    # a NACK for a business rule: each error with its rule's description from the message's RuleSet
    ub = BLOCKS["UB-SEED-EXIT"]
    nacked = StepOutcome(
        1,
        ub.business_process.steps[0],
        "RS",
        "ME",
        "m1",
        valid=False,
        acked=False,
        nacked=True,
        ack_errors=[("R102", "not an ISO 4217 currency code: use e.g. EUR, RSD, USD [value: EUX]")],
    )
    text = flat(came_back(nacked))
    assert "came back: REFUSED by ME: a negative acknowledgement (03)" in text
    assert "- R102, Currencies are ISO 4217: not an ISO 4217 currency code: use e.g. EUR, RSD, USD" in text
    assert "RS must correct it and send it again" in text


async def test_several_values_are_shown_as_a_list():
    _, lines = await narrate("UB-SEED-EXIT", width=200)
    at = next(i for i, line in enumerate(lines) if "/Commodity/Description, 3 values:" in line)
    items = lines[at + 1 : at + 4]
    assert all(line.startswith("      - ") for line in items)
    # one value a line: descriptions that contain commas are not run together
    assert items[0] == "      - Medicaments, packaged for retail sale"
    assert not lines[at + 4].startswith("      - ")
    at = next(i for i, line in enumerate(lines) if "/Origin/CountryCode, 3 values:" in line)
    assert lines[at + 1 : at + 4] == ["      - RS (Serbia)"] * 3


@pytest.mark.parametrize("ub_id", sorted(BLOCKS))
async def test_why_is_said_once_in_the_introduction(ub_id):
    ub = BLOCKS[ub_id]
    _, lines = await narrate(ub_id)
    text = flat(lines)
    need = " ".join(ub.purpose.need.split())
    assert text.count(need[:60]) == 1
    assert len([line for line in lines if line.strip().startswith("why:")]) == 1
    for step in ub.business_process.steps:
        if step.note:
            assert f"note: {' '.join(step.note.split())}" in text


# -- the XML as sent ----------------------------------------------------------------------------------


async def test_show_xml_shows_each_message_as_sent():
    _, plain = await narrate("UB-SEED-CASH")
    assert "as sent by" not in flat(plain)
    _, lines = await narrate("UB-SEED-CASH", show_xml=True, width=200)
    at = lines.index(next(line for line in lines if line.startswith("  as sent by declaring_customs (RS)")))
    xml = lines[at + 1 :]
    assert xml[0].strip().startswith("<CashDeclaration")
    shown = "\n".join(xml[: xml.index(next(line for line in xml if line.startswith("  came back:")))])
    assert "<ReferenceID>" in shown and "<TotalEURAmount" in shown
    assert "<BirthPlace>" not in shown  # minimised: what the UB's data set leaves out is not sent
    # the acknowledgement that came back, as its sender sent it
    assert any(line.startswith("  as sent by arrival_customs (ME)") for line in lines)
    assert "<FunctionCode>01</FunctionCode>" in "\n".join(lines)


def test_a_long_message_is_cut_with_a_note():
    payload = b"<a>" + b"".join(b"<b>%d</b>" % i for i in range(100)) + b"</a>"
    lines = xml_lines(payload, "RS")
    assert lines[0] == f"  as sent by RS ({len(payload):,} bytes):"
    assert lines[1:3] == ["    <a>", "      <b>0</b>"]
    assert len(lines) == 1 + XML_LINES + 1
    assert lines[-1] == f"    ... {102 - XML_LINES} more lines not shown"


# -- a negative acknowledgement on purpose --------------------------------------------------------------


async def test_fault_nack_shows_a_refused_message_and_explains_its_errors():
    ok, lines = await narrate("UB-SEED-EXIT", fault="nack")
    assert ok  # the run went as planned
    text = flat(lines)
    assert "fault, on purpose: the sender leaves IdentificationTypeCode" in text
    assert "(rule UB301, an element outside the Utility Block's data set)" in text
    assert "came back: REFUSED by ME: a negative acknowledgement (03)" in text
    assert "with 1 error (ValidationCode: the rule broken; Description: what to fix):" in text
    assert (
        "- UB301, an element outside the Utility Block's data set: IdentificationTypeCode is not in the data set "
        "of UB-SEED-EXIT for ExportData: remove it" in text
    )
    assert "what it means: ME refused the message and did not act on it" in text
    assert "RS must correct it and send it again, as a new message" in text
    assert "result: negative acknowledgement (03) of step 1" in text
    assert "/Response/FunctionCode = 03 (negative acknowledgement: refused, with every error)" in text
    assert "/Response/Error/ValidationCode = UB301 (an element outside the Utility Block's data set)" in text
    assert text.endswith("UB-SEED-EXIT: 6 step(s), step 1 refused (03) as planned, every other one acknowledged")


@pytest.mark.parametrize("ub_id", sorted(BLOCKS))
async def test_fault_nack_refuses_one_message_of_every_ub(ub_id):
    ok, lines = await narrate(ub_id, fault="nack", width=200)
    text = flat(lines)
    assert ok, text
    assert text.count("came back: REFUSED by") == 1
    assert "fault, on purpose:" in text and "what it means:" in text


async def test_an_unknown_fault_is_refused_with_the_choices():
    with pytest.raises(ValueError, match=r"unknown fault 'nak': one of nack"):
        await run_workshop("UB-SEED-CASH", fault="nak", out=lambda _: None)


# -- wrapped to the width -----------------------------------------------------------------------------


def _fits(lines: list[str], width: int) -> bool:
    """Every line within ``width``, but an element's path (with its short value), which is never broken."""
    return all(len(line) <= width or line.strip().startswith("/") for line in lines)


def same_run(text: str) -> str:
    return re.sub(r"[0-9a-f]{32}|in [0-9.]+ ms", "*", text)


def paragraph(lines: list[str], start: str) -> list[str]:
    """The line that starts with ``start`` and its continuation lines."""
    at = next(i for i, line in enumerate(lines) if line.startswith(start))
    end = next(i for i in range(at + 1, len(lines)) if not lines[i].startswith("    "))
    return lines[at:end]


async def test_lines_are_wrapped_to_the_width_given():
    ub = BLOCKS["UB-SEED-ORIGIN"]
    _, wide = await narrate("UB-SEED-ORIGIN", width=400)
    _, narrow = await narrate("UB-SEED-ORIGIN", width=80)
    assert not _fits(wide, 80) and _fits(narrow, 80)
    assert len(narrow) > len(wide)
    need = " ".join(ub.purpose.need.split())
    assert wide[1] == f"why: {need}"
    why = paragraph(narrow, "why:")
    assert len(why) > 2 and all(line.startswith("    ") for line in why[1:])  # continuation lines indented
    assert flat(why) == f"why: {need}"
    # only the line breaks differ (and what differs between any two runs: message ids, latencies)
    assert same_run(flat(narrow)) == same_run(flat(wide))
    _, narrower = await narrate("UB-SEED-ORIGIN", width=50)
    why = paragraph(narrower, "why:")
    assert all(len(line) <= 50 for line in why) and flat(why) == f"why: {need}"


async def test_lines_are_wrapped_to_the_terminal_width_by_default(monkeypatch):
    monkeypatch.setenv("COLUMNS", "90")
    _, lines = await narrate("UB-SEED-CASH")
    _, wide = await narrate("UB-SEED-CASH", width=400)
    assert _fits(lines, 90) and not _fits(wide, 90)


# -- Ctrl-C at the prompt -----------------------------------------------------------------------------

INTERRUPTED_SCRIPT = """
import asyncio, sys
from seedsim.nodes.inbox_node import InboxNode
from seedsim.runners.workshop import run_workshop

stop = InboxNode.stop

async def stop_and_say(self):
    await stop(self)
    print(f"stopped {self.node}", flush=True)

InboxNode.stop = stop_and_say
try:
    asyncio.run(run_workshop("UB-SEED-EXIT", pause=True, out=lambda line: print(line, flush=True)))
except KeyboardInterrupt:
    print("KeyboardInterrupt reached the caller", flush=True)
    sys.exit(130)
print("the run was not interrupted")
"""


def test_ctrl_c_at_the_prompt_ends_the_run_at_once(tmp_path):
    script = tmp_path / "interrupted.py"
    script.write_text(textwrap.dedent(INTERRUPTED_SCRIPT))
    proc = subprocess.Popen(
        [sys.executable, str(script)],
        stdin=subprocess.PIPE,  # kept open: the prompt waits as it would on a terminal
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    watchdog = threading.Timer(60, proc.kill)
    watchdog.start()
    try:
        seen: list[str] = []
        prompts, interrupted = 0, 0.0
        for line in proc.stdout:
            seen.append(line.rstrip("\n"))
            if line.rstrip("\n") == PROMPT.rstrip():
                prompts += 1
                if prompts == 1:  # Enter on a real pipe sends the first message
                    proc.stdin.write("\n")
                    proc.stdin.flush()
                else:  # one Ctrl-C, at the second prompt
                    interrupted = time.monotonic()
                    proc.send_signal(signal.SIGINT)
                    break
        assert prompts == 2, seen
        ended = proc.wait(timeout=5)  # stdin stays open: nothing but the interrupt may end the wait
        took = time.monotonic() - interrupted
        out, err = proc.stdout.read(), proc.stderr.read()
    except subprocess.TimeoutExpired:
        pytest.fail("one Ctrl-C at the prompt did not end the run within 5 s")
    finally:
        watchdog.cancel()
        proc.kill()
        proc.stdin.close()
    seen += out.splitlines()
    assert any(line.startswith("  came back: valid at ME") for line in seen)  # Enter sent the first message
    assert ended == 130, (seen, err)
    assert took < 5
    assert "KeyboardInterrupt reached the caller" in seen
    assert "the run was not interrupted" not in seen
    assert {"stopped RS", "stopped ME"} <= set(seen)  # the nodes were stopped on the way out
    assert "Traceback" not in err and "Exception ignored" not in err and "Task was destroyed" not in err, err
