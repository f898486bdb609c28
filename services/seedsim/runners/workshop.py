"""Workshop mode: ``seedsim demo --ub ID [--pause]`` walks a class through one Utility Block.

For a trainer explaining an exchange to customs officers and integrators, in
front of a room: the UB is played between real nodes on the in-process bus (see
:mod:`seedsim.runners.ub_player`), and each step is told in plain words. The
introduction says once why the UB exists, who plays which role and how every
message is answered; then each step says who sends what to whom on which event,
what the message carries (the UB's data set, with WCO ids and this instance's
values, codes in words by :mod:`seedsim.runners.code_words`, several values as a
list), and what came back.

* ``pause``: the narration of a message comes *before* it is sent, then the run
  waits for Enter ("press Enter to send"), then says what came back, so the room
  can discuss the message first. The wait is on the event loop (not in a
  thread), so Ctrl-C at the prompt ends the run at once: the nodes stop and
  ``KeyboardInterrupt`` reaches the caller.
* ``show_xml``: each message as it went on the wire (minimised to the data set),
  pretty-printed, cut after :data:`XML_LINES` lines with a note.
* ``fault="nack"``: one message is broken on purpose
  (:mod:`seedsim.runners.broken_messages`) so that its receiver answers with a
  negative acknowledgement; the narration says what was broken, and explains the
  NACK and each of its errors in words.
* ``width``: lines are wrapped to it (default: the terminal's width), continuation
  lines indented under their line; an element's path and a short value stay together.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import textwrap
from collections.abc import Callable, Iterable
from typing import TextIO

from lxml import etree

from seedsim.core.codes import country_name
from seedsim.runners.broken_messages import FAULTS
from seedsim.runners.code_words import FUNCTION_CODES, rule_words, value_words
from seedsim.runners.monitor.workshop_board import WorkshopStep
from seedsim.runners.run_watch import Watch
from seedsim.runners.ub_player import Cast, Outgoing, Player, StepOutcome, cast_nodes
from seedsim.utility_blocks import load_all
from seedsim.utility_blocks.model import Element, UtilityBlock

PROMPT = "  -- press Enter to send --"
#: lines of a message shown with ``show_xml`` before the rest is left out
XML_LINES = 40
#: values of one element listed before the rest is counted
LIST_SHOWN = 6
#: a value this short stays on the line of its element's path
SHORT_VALUE = 30
#: narrower than this, wrapping would only make the text harder to read
MIN_WIDTH = 40

#: a space wrapping must not break at (restored to a space after wrapping)
_GLUE = "\ue000"


def _kept(text: str) -> str:
    return text.replace(" ", _GLUE)


def wrap(line: str, width: int) -> list[str]:
    """``line`` wrapped to ``width``: its indentation kept, continuation lines indented further (2 under a
    list item, 4 otherwise); a word longer than the width (an element's path) is not broken but overflows."""
    body = line.lstrip(" ")
    if not body:
        return [""]
    indent = len(line) - len(body)
    hang = " " * (indent + (2 if body.startswith("- ") else 4))
    lines = textwrap.wrap(
        body,
        width=width,
        initial_indent=" " * indent,
        subsequent_indent=hang,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return [part.replace(_GLUE, " ") for part in lines]


class Teller:
    """Says lines through ``out``, each wrapped to the width."""

    def __init__(self, out: Callable[[str], None], width: int | None):
        self.out = out
        self.width = max(width or shutil.get_terminal_size().columns, MIN_WIDTH)

    def __call__(self, lines: Iterable[str]) -> None:
        for line in lines:
            for part in wrap(line, self.width):
                self.out(part)


# -- the narration ----------------------------------------------------------------------------------


def _words(text: str) -> str:
    return " ".join(text.split())


def _who(cast: Cast, node_id: str) -> str:
    role = next((r for r, n in cast.roles.items() if n == node_id), None)
    return f"{role} ({node_id})" if role else node_id


def introduce(ub: UtilityBlock, cast: Cast) -> list[str]:
    """Title, why (said here once, not at each step), trigger, how messages are answered, and the cast."""
    ex = ub.exchange
    lines = [
        f"{ub.id} v{ub.version}: {ub.title}",
        f"why: {_words(ub.purpose.need)}",
        f"trigger: {ub.business_process.trigger}; exchange: {ex.mechanism}",
    ]
    if ex.acknowledgement_required:
        lines.append(
            "answers: the receiver of each message answers with an Acknowledgement: "
            f"01 ({FUNCTION_CODES['01']}) or 03 ({FUNCTION_CODES['03']}; the sender corrects the message and "
            "sends it again)"
        )
    else:
        lines.append("answers: an acknowledgement is optional in this exchange")
    lines.append("cast:")
    for role in ub.business_process.roles:
        node = cast.roles[role.id]
        where = country_name(node.split("-")[0])
        lines.append(f"  {role.id}: {node}, {role.kind} in {where}: {role.description}")
    return lines


def _in_words(path: str, value: str, about: str | None) -> str:
    """`` (words)`` for a coded value, else nothing."""
    words = value_words(path, value, about)
    return f" ({words})" if words else ""


def carried(el: Element, values: list[str], about: str | None) -> list[str]:
    """One data-set element: its set, name, WCO id and path, with its value, or its values as a list.

    The path stays on one line with its value and the value's words when they are short, so a reader finds them
    together whatever the width.
    """
    wco = f"WCO {el.wco_id}" if el.wco_id else "no WCO id"
    head = f"    {_kept(f'[{el.set}] {el.name}')} ({_kept(wco)})"
    if not values:
        return [f"{head} {el.path} (not in this instance)"]
    if len(values) > 1:
        lines = [f"{head} {el.path}, {len(values)} values:"]
        lines += [f"      - {v}{_in_words(el.path, v, about)}" for v in values[:LIST_SHOWN]]
        if len(values) > LIST_SHOWN:
            lines.append(f"      - ... and {len(values) - LIST_SHOWN} more")
        return lines
    value, words = values[0], _in_words(el.path, values[0], about)
    if len(value + words) <= SHORT_VALUE:
        return [f"{head} {_kept(f'{el.path} = {value}{words}')}"]
    if len(value) <= SHORT_VALUE:
        return [f"{head} {_kept(f'{el.path} = {value}')}{words}"]
    return [f"{head} {_kept(el.path + ' =')} {value}{words}"]


def announce(ub: UtilityBlock, cast: Cast, s: Outgoing | StepOutcome) -> list[str]:
    """What a step is: header, who to whom, when, its own note, and what its message carries."""
    step = s.step
    answers = s.answers if isinstance(s, StepOutcome) else None
    about = ub.business_process.steps[answers - 1].message if answers else None
    lines = [
        "",
        f"{_kept(f'step {s.index}/{len(ub.business_process.steps)}')} on {step.event}: {step.message}",
        f"  {_who(cast, s.sender)} -> {_who(cast, s.receiver)}" + (f", answering step {answers}" if answers else ""),
        f"  when: {step.timing}",
    ]
    if step.note:
        lines.append(f"  note: {_words(step.note)}")
    if s.values:
        lines.append(f"  carries ({step.message} data set of {ub.id}):")
        for el, values in s.values:
            lines += carried(el, values, about)
    else:
        lines.append(f"  carries: {step.message} (this UB lists no data set for it)")
    if isinstance(s, Outgoing) and s.broken is not None:
        lines.append(f"  fault, on purpose: {s.broken.what} (rule {s.broken.rule}, {rule_words(s.broken.rule)})")
    return lines


def xml_lines(payload: bytes | None, who: str, limit: int = XML_LINES) -> list[str]:
    """The message as sent, pretty-printed and indented, cut after ``limit`` lines with a note."""
    if not payload:
        return []
    root = etree.fromstring(payload, etree.XMLParser(remove_blank_text=True, resolve_entities=False, no_network=True))
    text = etree.tostring(root, pretty_print=True, encoding="unicode").rstrip("\n").split("\n")
    lines = [f"  as sent by {who} ({len(payload):,} bytes):"] + [f"    {t}" for t in text[:limit]]
    if len(text) > limit:
        lines.append(f"    ... {len(text) - limit} more lines not shown")
    return lines


def nack_lines(o: StepOutcome, about: str) -> list[str]:
    """The errors of a negative acknowledgement, each with its rule in words, and what a NACK means."""
    n = len(o.ack_errors)
    lines = [f"  with {n} error{'s' if n != 1 else ''} (ValidationCode: the rule broken; Description: what to fix):"]
    for rule, description in o.ack_errors:
        words = rule_words(rule, about)
        lines.append(f"    - {rule}{f', {words}' if words else ''}: {description}")
    lines.append(
        f"  what it means: {o.receiver} refused the message and did not act on it (it sits on {o.receiver}'s "
        f"dead-letter topic for its operators); {o.sender} must correct it and send it again, as a new message"
    )
    return lines


def came_back(o: StepOutcome) -> list[str]:
    """What the receiver answered to a step's message (for an Acknowledgement step: which answer it is)."""
    if o.answers is not None:
        if o.acked or o.nacked:
            kind, code = ("negative", "03") if o.nacked else ("positive", "01")
            return [f"  result: {kind} acknowledgement ({code}) of step {o.answers}, message id {o.message_id or '?'}"]
        return [f"  result: NO acknowledgement of step {o.answers} came back"] + [f"    error: {e}" for e in o.errors]
    if o.ok:
        lat = f" in {o.latency_ms:.1f} ms" if o.latency_ms is not None else ""
        return [f"  came back: valid at {o.receiver}, acknowledged (01){lat}; message id {o.message_id}"]
    if o.nacked:
        return [
            f"  came back: REFUSED by {o.receiver}: a negative acknowledgement (03); message id {o.message_id}"
        ] + nack_lines(o, o.step.message)
    lines = [
        f"  came back: {'valid' if o.valid else 'REJECTED'} at {o.receiver}, "
        f"{'acknowledged' if o.acked else 'not acknowledged'}"
    ]
    return lines + [f"    error: {e}" for e in o.errors]


# -- waiting for Enter ------------------------------------------------------------------------------


def _fileno(stream: TextIO) -> int | None:
    try:
        return stream.fileno()
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is an OSError and a ValueError
        return None


async def wait_for_enter(stdin: TextIO | None) -> None:
    """Wait until a line (or end of input) can be read from ``stdin``, then read it, without a thread.

    On a terminal or a pipe the event loop watches the file descriptor, so the wait
    is cancelled at once when the run is (Ctrl-C under ``asyncio.run``); the line
    is read from the descriptor itself, so nothing is left in Python's buffers to
    be waited for again. A stream with no descriptor (a ``StringIO``, scripted
    input) or one the loop cannot watch (a regular file) never blocks: it is read
    directly.
    """
    if stdin is None:  # no standard input at all (a detached process): nothing to wait for
        return
    fd = _fileno(stdin)
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[None] = loop.create_future()
    try:
        if fd is None:
            raise NotImplementedError
        loop.add_reader(fd, lambda: ready.done() or ready.set_result(None))
    except (NotImplementedError, OSError, ValueError):
        stdin.readline()
        return
    try:
        await ready
    finally:
        loop.remove_reader(fd)
    os.read(fd, 4096)


# -- the run ----------------------------------------------------------------------------------------


async def run_workshop(
    ub_id: str,
    country_a: str = "RS",
    country_b: str = "ME",
    pause: bool = False,
    out: Callable[[str], None] = print,
    stdin: TextIO | None = None,
    seed: int = 42,
    show_xml: bool = False,
    fault: str | None = None,
    width: int | None = None,
    watch: Watch | None = None,
    on_step: Callable[[WorkshopStep], None] | None = None,
) -> bool:
    """Play and narrate one UB; True when it went as planned: every step valid and acknowledged, except, with
    ``fault="nack"``, the step broken on purpose, negatively acknowledged.

    ``watch`` puts an observer (the monitor) next to the run; ``on_step`` is told each step as it is played
    (the dashboard highlights it)."""
    if fault is not None and fault not in FAULTS:
        raise ValueError(f"unknown fault {fault!r}: one of {', '.join(FAULTS)}")
    blocks = load_all()
    if ub_id not in blocks:
        raise KeyError(f"no Utility Block {ub_id!r}: one of {', '.join(sorted(blocks))}")
    ub = blocks[ub_id]
    stdin = stdin or sys.stdin
    say = Teller(out, width)
    steps = len(ub.business_process.steps)
    outcomes: list[StepOutcome] = []
    async with cast_nodes(ub, country_a, country_b, seed=seed, watch=watch) as cast:

        def playing(o: Outgoing | StepOutcome) -> None:
            if on_step is not None:
                on_step(WorkshopStep(ub.id, o.index, steps, o.sender, o.receiver, o.step.message, o.step.event))

        async def before_send(o: Outgoing) -> None:
            playing(o)
            say(announce(ub, cast, o))
            if show_xml:
                say(xml_lines(o.payload, _who(cast, o.sender)))
            if pause:
                say([PROMPT])
                await wait_for_enter(stdin)

        say(introduce(ub, cast))
        if fault:
            say(["fault: one message will be broken on purpose, so that its receiver answers 03"])
        async for outcome in Player(cast, seed=seed, fault=fault).play(before_send):
            if outcome.answers is not None:
                playing(outcome)
                say(announce(ub, cast, outcome))
                if show_xml:
                    say(xml_lines(outcome.payload, _who(cast, outcome.sender)))
            say(came_back(outcome))
            outcomes.append(outcome)
    broken = next((o.index for o in outcomes if o.broken is not None), None)
    planned = [o.nacked if broken is not None and broken in (o.index, o.answers) else o.ok for o in outcomes]
    ok = bool(outcomes) and all(planned)
    if broken is None:
        if fault:
            say(["", f"fault: no message of {ub.id} could be broken against a data set its receiver checks"])
        verdict = "every one acknowledged" if ok else "NOT all acknowledged"
    else:
        verdict = (
            f"step {broken} refused (03) as planned, every other one acknowledged"
            if ok
            else "NOT as planned: see the steps above"
        )
    say(["", f"{ub.id}: {steps} step(s), {verdict}"])
    return ok
