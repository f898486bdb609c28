"""Check a scenario's expectations against the interop summary, one named verdict each.

Everything is read from the interop records (what the nodes themselves said
happened), never from the runner's own bookkeeping, so a verdict means the same
on the in-process bus, over Kafka or against nodes elsewhere.

Alerts are of two kinds, with a stage each: risk alerts (``risk_alert``) on
pre-arrival or exit data, before the truck arrives (rule = a risk profile id),
and entry alerts (``alert``): matching (rules M00-M06) and the certificate
link's (CRT501-CRT504). ``alerts`` counts the entry kind, ``risk_alerts`` the
risk kind; ``alerts_by_rule`` takes either.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from datetime import datetime

from seedsim.core.interop import InteropRecord, Stage
from seedsim.message_catalogue import CATALOGUE
from seedsim.messages.seed import EXPORT_DATA
from seedsim.runners.interop_summary import InteropSummary, percentile
from seedsim.runners.scenarios.scenario_model import Bound, Expectations
from seedsim.utility_blocks.loader import blocks_in


@dataclass(frozen=True)
class Verdict:
    name: str
    expected: str
    actual: str
    ok: bool

    def to_dict(self) -> dict:
        return asdict(self)


def _unannounced_exits(s: InteropSummary) -> list[str]:
    """Exits (consignment, receiver) for which the receiver never accepted PRE_ARRIVAL data."""
    announced = {
        (r.consignment, r.node)
        for r in s.records
        if r.stage == Stage.VALID and r.message_type == EXPORT_DATA.name and r.event == "PRE_ARRIVAL"
    }
    exits = {
        (r.consignment, r.receiver)
        for r in s.records
        if r.stage == Stage.SENT and r.message_type == EXPORT_DATA.name and r.event == "EXIT"
    }
    return sorted(f"{c} at {n}" for c, n in exits - announced)


def _lost(s: InteropSummary) -> list[str]:
    """Messages sent but never received, or (for acknowledged types) never answered."""
    received = {r.message_id for r in s.records if r.stage == Stage.RECEIVED}
    answered = {r.message_id for r in s.records if r.stage in (Stage.ACK_RECEIVED, Stage.NACK_RECEIVED)}
    lost = []
    for r in s.records:
        if r.stage != Stage.SENT:
            continue
        mt = CATALOGUE.by_name.get(r.message_type or "")
        if r.message_id not in received:
            lost.append(f"{r.message_type} {r.sender}->{r.receiver} {r.consignment}: never received")
        elif mt is not None and mt.acknowledged and r.message_id not in answered:
            lost.append(f"{r.message_type} {r.sender}->{r.receiver} {r.consignment}: never acknowledged")
    return lost


def _applied_twice(s: InteropSummary) -> list[str]:
    valid = Counter(r.message_id for r in s.records if r.stage == Stage.VALID and r.message_id)
    return [m for m, n in valid.items() if n > 1]


def ub_latencies(s: InteropSummary, ub_id: str) -> list[float]:
    """Send -> acknowledgement latencies of the messages of a Utility Block's conversations: those whose records
    name it (``ubs``); a record naming no UB (a trace recorded before they did) counts when its type is one the
    UB's steps send."""
    ub = blocks_in().get(ub_id)
    if ub is None:
        raise ValueError(f"no Utility Block {ub_id!r} for ub_latency_p95_ms")
    sent = {step.message for step in ub.business_process.steps} - {"Acknowledgement"}
    return [
        r.latency_ms
        for r in s.records
        if r.stage == Stage.ACK_RECEIVED
        and (ub_id in r.ubs if r.ubs else r.message_type in sent)
        and r.latency_ms is not None
    ]


def is_risk_alert(r: InteropRecord) -> bool:
    return r.stage == Stage.RISK_ALERT


def _late_risk_alerts(s: InteropSummary) -> list[str]:
    """Risk alerts raised after the same node had handled the consignment's entry (by that node's clock)."""
    entered: dict[tuple[str | None, str], datetime] = {}
    for r in s.records:
        if r.event == "ENTRY" and r.stage in (Stage.ALERT, Stage.MATCHED):
            entered[(r.consignment, r.node)] = min(r.ts, entered.get((r.consignment, r.node), r.ts))
    return [
        f"{r.result} on {r.consignment} at {r.node}"
        for r in s.records
        if is_risk_alert(r) and (r.consignment, r.node) in entered and entered[(r.consignment, r.node)] < r.ts
    ]


def _bounded(name: str, bound: Bound, actual: float | None) -> Verdict:
    shown = "none" if actual is None else (f"{actual:.1f}" if isinstance(actual, float) else str(actual))
    return Verdict(name, str(bound), shown, bound.holds(actual))


def _flag(name: str, expected: str, problems: list[str]) -> Verdict:
    shown = (
        "yes"
        if not problems
        else f"{len(problems)} not: " + "; ".join(problems[:3]) + (" ..." if len(problems) > 3 else "")
    )
    return Verdict(name, expected, shown, not problems)


def _ub_steps_not_acknowledged(outcomes) -> list[str]:
    """UB steps (the player's outcomes, themselves read from the interop records) not delivered, accepted and acknowledged."""
    return [
        f"{ub} step {o.index} {o.step.message} {o.sender}->{o.receiver}: {'; '.join(o.errors) or 'not acknowledged'}"
        for ub, o in outcomes
        if not o.ok
    ]


def evaluate(exp: Expectations, s: InteropSummary, ub_outcomes: list | None = None) -> list[Verdict]:
    """Verdicts of ``exp``; ``ub_outcomes``: (UB id, step outcome) of the run's utility_block traffic."""
    counts = s.counts()
    out: list[Verdict] = []
    if exp.every_ub_step_acknowledged:
        played = ub_outcomes or []
        problems = _ub_steps_not_acknowledged(played) or ([] if played else ["no utility_block traffic was played"])
        out.append(_flag("every_ub_step_acknowledged", "yes", problems))
    if exp.every_export_pre_announced:
        out.append(_flag("every_export_pre_announced", "yes", _unannounced_exits(s)))
    if exp.no_message_lost:
        out.append(_flag("no_message_lost", "yes", _lost(s)))
    if exp.no_duplicate_applied:
        out.append(_flag("no_duplicate_applied", "yes", [f"message {m} accepted twice" for m in _applied_twice(s)]))
    if exp.alerts is not None:
        out.append(
            _bounded("alerts", exp.alerts, sum(1 for r in s.records if r.stage == Stage.ALERT and not is_risk_alert(r)))
        )
    if exp.risk_alerts is not None:
        out.append(_bounded("risk_alerts", exp.risk_alerts, sum(1 for r in s.records if is_risk_alert(r))))
    if exp.risk_alerts_before_entry:
        out.append(_flag("risk_alerts_before_entry", "yes", _late_risk_alerts(s)))
    for rule, bound in sorted(exp.alerts_by_rule.items()):
        out.append(
            _bounded(
                f"alerts_by_rule.{rule}",
                bound,
                sum(1 for r in s.records if r.stage in (Stage.ALERT, Stage.RISK_ALERT) and r.result == rule),
            )
        )
    if exp.nacks is not None:
        out.append(_bounded("nacks", exp.nacks, counts["rejected"]))
    if exp.dead_letters is not None:
        out.append(_bounded("dead_letters", exp.dead_letters, counts["dead_lettered"]))
    if exp.latency_p95_ms is not None:
        out.append(_bounded("latency_p95_ms", exp.latency_p95_ms, percentile(s.latencies_ms, 95)))
    for ub_id, bound in sorted(exp.ub_latency_p95_ms.items()):
        out.append(_bounded(f"ub_latency_p95_ms.{ub_id}", bound, percentile(ub_latencies(s, ub_id), 95)))
    for label, bound in exp.counts.items():
        out.append(_bounded(f"counts.{label}", bound, counts[label]))
    return out
