"""Workshop mode: ``seedsim demo --ub ID [--pause]`` walks a class through one Utility Block.

For a trainer explaining an exchange to customs officers and integrators: the
UB is played between real nodes on the in-process bus (see
:mod:`seedsim.runners.ub_player`), and each step is told in plain words --
who sends what to whom on which event, what the message carries (the UB's data
set, with WCO ids and this instance's values), why, and what came back. With
``--pause`` the run waits for Enter after each step, so the class can discuss it.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from typing import TextIO

from seedsim.runners.ub_player import Cast, Player, StepOutcome, cast_nodes
from seedsim.utility_blocks import load_all
from seedsim.utility_blocks.model import UtilityBlock

PROMPT = "  -- press Enter for the next step --"


def _first_sentence(text: str) -> str:
    text = " ".join(text.split())
    return text.split(". ")[0].rstrip(".") + "."


def _who(cast: Cast, node_id: str) -> str:
    role = next((r for r, n in cast.roles.items() if n == node_id), None)
    return f"{role} ({node_id})" if role else node_id


def introduce(ub: UtilityBlock, cast: Cast) -> list[str]:
    lines = [
        f"{ub.id} v{ub.version}: {ub.title}",
        f"why: {' '.join(ub.purpose.need.split())}",
        f"trigger: {ub.business_process.trigger}; exchange: {ub.exchange.mechanism}, "
        f"acknowledgement {'required' if ub.exchange.acknowledgement_required else 'optional'}",
        "cast:",
    ]
    for role in ub.business_process.roles:
        lines.append(f"  {role.id:<22} {cast.roles[role.id]:<8} {role.kind}: {role.description}")
    return lines


def narrate(ub: UtilityBlock, cast: Cast, o: StepOutcome) -> list[str]:
    total = len(ub.business_process.steps)
    s = o.step
    lines = [
        f"step {o.index}/{total} on {s.event}: {_who(cast, o.sender)} -> {_who(cast, o.receiver)}: {s.message}",
        f"  when: {s.timing}",
    ]
    if o.answers is not None:
        lines.append(f"  why: the receiver of step {o.answers} says whether it could read and accept it")
    else:
        lines.append(f"  why: {' '.join(s.note.split()) if s.note else _first_sentence(ub.purpose.need)}")
    if o.values:
        lines.append(f"  carries ({s.message} data set of {ub.id}):")
        for el, values in o.values:
            wco = f"WCO {el.wco_id}" if el.wco_id else "no WCO id"
            shown = ", ".join(values) if values else "(not in this instance)"
            lines.append(f"    [{el.set:<7}] {el.name} ({wco}) {el.path} = {shown}")
    else:
        lines.append(f"  carries: {s.message} (this UB lists no data set for it)")
    if o.answers is not None:
        back = "positive acknowledgement (01)" if o.acked else "negative acknowledgement (03)"
        lines.append(f"  result: {back} of step {o.answers}, message id {o.message_id or '?'}")
    elif o.ok:
        lat = f" in {o.latency_ms:.1f} ms" if o.latency_ms is not None else ""
        lines.append(f"  came back: valid at {o.receiver}, acknowledged (01){lat}; message id {o.message_id}")
    else:
        lines.append(
            f"  came back: {'valid' if o.valid else 'REJECTED'} at {o.receiver}, {'acknowledged' if o.acked else 'not acknowledged'}"
        )
    lines += [f"    error: {e}" for e in o.errors]
    return lines


async def run_workshop(
    ub_id: str,
    country_a: str = "RS",
    country_b: str = "ME",
    pause: bool = False,
    out: Callable[[str], None] = print,
    stdin: TextIO | None = None,
    seed: int = 42,
) -> bool:
    """Play and narrate one UB; True when every step was valid and acknowledged."""
    blocks = load_all()
    if ub_id not in blocks:
        raise KeyError(f"no Utility Block {ub_id!r}: one of {', '.join(sorted(blocks))}")
    ub = blocks[ub_id]
    stdin = stdin or sys.stdin
    ok = True
    async with cast_nodes(ub, country_a, country_b, seed=seed) as cast:
        for line in introduce(ub, cast):
            out(line)
        steps = len(ub.business_process.steps)
        async for outcome in Player(cast, seed=seed).play():
            out("")
            for line in narrate(ub, cast, outcome):
                out(line)
            ok = ok and outcome.ok
            if pause and outcome.index < steps:
                out(PROMPT)
                await asyncio.to_thread(stdin.readline)
    out("")
    out(f"{ub.id}: {steps} step(s), {'every one acknowledged' if ok else 'NOT all acknowledged'}")
    return ok
