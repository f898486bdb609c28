"""Utility Blocks for people: a one-line list, a readable text view and Markdown pages.

What ``seedsim ub list|show|docs`` print. The Markdown pages carry a Mermaid
``sequenceDiagram`` of the steps, which GitHub and most documentation sites
draw, so the documentation of an exchange cannot drift from the file that
defines it.
"""

from __future__ import annotations

import os
from pathlib import Path

from seedsim.core.shipped_data import DATA_ROOT
from seedsim.message_catalogue import CATALOGUE
from seedsim.utility_blocks.model import UtilityBlock


def list_rows(blocks: dict[str, UtilityBlock]) -> list[tuple[str, str, str, str]]:
    return [(ub.id, ub.title, ub.business_process.trigger, ", ".join(ub.messages())) for ub in blocks.values()]


def list_text(blocks: dict[str, UtilityBlock]) -> str:
    rows = [("ID", "TITLE", "TRIGGER", "MESSAGES"), *list_rows(blocks)]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    return "\n".join(f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]}" for r in rows)


def _max(v) -> str:
    return "n" if v == "unbounded" else str(v)


def show_text(ub: UtilityBlock) -> str:
    bp = ub.business_process
    out = [
        f"{ub.id}  {ub.title}  (version {ub.version})",
        "",
        "1. Purpose",
        f"  need:  {ub.purpose.need}",
        f"  scope: {ub.purpose.scope}",
        "  beneficiaries:",
        *[f"    - {b}" for b in ub.purpose.beneficiaries],
        "",
        "2. Legal basis",
        *[f"  - [{lb.kind}] {lb.instrument}" + (f" ({lb.note})" if lb.note else "") for lb in ub.legal_basis],
        "",
        "3. Business process",
        "  roles:",
        *[f"    {r.id} ({r.kind}): {r.description}" for r in bp.roles],
        f"  trigger: {bp.trigger}",
        "  steps:",
    ]
    for i, s in enumerate(bp.steps, 1):
        out.append(f"    {i}. [{s.event}] {s.from_role} -> {s.to_role}: {s.message} ({s.timing})")
        if s.note:
            out.append(f"       {s.note}")
    out += ["", "4. Data set"]
    for ds in ub.data_set:
        out.append(f"  {ds.message}:")
        for e in ds.elements:
            out.append(f"    {e.set:<7}  {e.min}..{_max(e.max):<2}  {(e.wco_id or '-'):<4}  {e.path}  ({e.name})")
    x = ub.exchange
    out += [
        "",
        "5. Exchange",
        f"  mechanism: {x.mechanism}; acknowledgement required: {'yes' if x.acknowledgement_required else 'no'}",
        f"  timeout: {x.timeout_s:g} s; retries: {x.retries}; channel: {x.channel}",
    ]
    out += [f"  errors: {x.errors}"] if x.errors else []
    out += [f"  security: {x.security}"] if x.security else []
    if ub.matching:
        out += [
            "",
            "Matching",
            *[f"  {c.alert} {c.element}" + (f"  {c.path}" if c.path else "") for c in ub.matching.compare],
        ]
        if ub.matching.tolerances:
            out.append(
                "  tolerances: "
                + ", ".join(f"{k} {v:g}" for k, v in ub.matching.tolerances.model_dump(exclude_none=True).items())
            )
    g = ub.governance
    out += [
        "",
        "6. Governance",
        f"  availability {g.service_level.availability_pct:g}%, p95 latency {g.service_level.p95_latency_ms} ms",
        f"  alert above NACK rate {g.monitoring.max_nack_rate:g} or {g.monitoring.max_dead_letters} dead letters",
    ]
    out += [f"  change: {g.change}"] if g.change else []
    out += ["", "Examples", *[f"  {e}" for e in ub.examples]]
    return "\n".join(out)


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _participant(role_id: str) -> str:
    return role_id.replace("_", " ")


def sequence_diagram(ub: UtilityBlock) -> str:
    """A Mermaid sequenceDiagram with one arrow per step, labelled with its event and message."""
    bp = ub.business_process
    lines = ["sequenceDiagram"]
    lines += [f"    participant {r.id} as {_participant(r.id)} ({r.kind})" for r in bp.roles]
    for s in bp.steps:
        arrow = "-->>" if not CATALOGUE.by_name[s.message].acknowledged else "->>"
        lines.append(f"    {s.from_role}{arrow}{s.to_role}: [{s.event}] {s.message}")
    return "\n".join(lines)


def page_markdown(ub: UtilityBlock, out_dir: Path) -> str:
    bp = ub.business_process
    md = [
        f"# {ub.id}: {ub.title}",
        "",
        f"Version {ub.version}. Trigger: `{bp.trigger}`.",
        "",
        "## Purpose",
        "",
        ub.purpose.need,
        "",
        f"**Scope.** {ub.purpose.scope}",
        "",
        "**Beneficiaries:**",
        "",
        *[f"- {b}" for b in ub.purpose.beneficiaries],
        "",
        "## Legal basis",
        "",
        *[
            f"- *{lb.kind.replace('_', ' ')}*: {lb.instrument}" + (f" ({lb.note})" if lb.note else "")
            for lb in ub.legal_basis
        ],
        "",
        "## Business process",
        "",
        "| role | kind | description |",
        "|---|---|---|",
        *[f"| `{r.id}` | {r.kind} | {_cell(r.description)} |" for r in bp.roles],
        "",
        "```mermaid",
        sequence_diagram(ub),
        "```",
        "",
        "| # | event | from | to | message | timing | note |",
        "|---|---|---|---|---|---|---|",
        *[
            f"| {i} | `{s.event}` | {s.from_role} | {s.to_role} | {s.message} | {_cell(s.timing)} | {_cell(s.note or '')} |"
            for i, s in enumerate(bp.steps, 1)
        ],
        "",
        "## Data set",
        "",
    ]
    for ds in ub.data_set:
        m = CATALOGUE.by_name[ds.message]
        md += [
            f"### {ds.message}",
            "",
            f"Schema `schemas/{m.schema}`, CloudEvents type `{m.ce_type}`.",
            "",
            "| path | WCO ID | name | cardinality | set |",
            "|---|---|---|---|---|",
            *[
                f"| `{e.path}` | {e.wco_id or ''} | {_cell(e.name)} | {e.min}..{_max(e.max)} | {e.set} |"
                for e in ds.elements
            ],
            "",
        ]
    x = ub.exchange
    md += [
        "## Exchange",
        "",
        f"- mechanism: {x.mechanism}",
        f"- acknowledgement required: {'yes' if x.acknowledgement_required else 'no'}",
        f"- timeout: {x.timeout_s:g} s, retries: {x.retries}",
        f"- channel: `{x.channel}`",
    ]
    md += [f"- errors: {x.errors}"] if x.errors else []
    md += [f"- security: {x.security}"] if x.security else []
    md.append("")
    if ub.matching:
        md += [
            "## Matching",
            "",
            "| alert | element | path |",
            "|---|---|---|",
            *[f"| {c.alert} | {c.element} | `{c.path or ''}` |" for c in ub.matching.compare],
            "",
        ]
        if ub.matching.tolerances:
            md += [
                "Tolerances: "
                + ", ".join(f"{k} {v:g}" for k, v in ub.matching.tolerances.model_dump(exclude_none=True).items()),
                "",
            ]
    g = ub.governance
    md += [
        "## Governance",
        "",
        f"- availability: {g.service_level.availability_pct:g} %",
        f"- p95 latency: {g.service_level.p95_latency_ms} ms",
        f"- monitoring: alert above a NACK rate of {g.monitoring.max_nack_rate:g} or {g.monitoring.max_dead_letters} dead letters",
    ]
    md += [f"- change: {g.change}"] if g.change else []
    md += ["", "## Examples", ""]
    for e in ub.examples:
        link = Path(os.path.relpath(DATA_ROOT / e, out_dir.resolve())).as_posix()
        md.append(f"- [{e}]({link})")
    return "\n".join(md) + "\n"


def page_name(ub: UtilityBlock) -> str:
    return f"{ub.id}.md"


def index_markdown(blocks: dict[str, UtilityBlock]) -> str:
    md = [
        "# Utility Blocks",
        "",
        "The customs-to-customs exchanges seedsim implements, one page each "
        "(generated by `seedsim ub docs` from `schemas/utility-blocks/`).",
        "",
        "| UB | title | trigger | messages |",
        "|---|---|---|---|",
    ]
    md += [f"| [{i}]({page_name(blocks[i])}) | {_cell(t)} | `{tr}` | {m} |" for i, t, tr, m in list_rows(blocks)]
    return "\n".join(md) + "\n"


def write_docs(blocks: dict[str, UtilityBlock], out_dir: Path) -> list[Path]:
    """One Markdown page per UB plus ``index.md``; returns the files written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for ub in blocks.values():
        p = out_dir / page_name(ub)
        p.write_text(page_markdown(ub, out_dir), encoding="utf-8")
        written.append(p)
    index = out_dir / "index.md"
    index.write_text(index_markdown(blocks), encoding="utf-8")
    return [index, *written]
