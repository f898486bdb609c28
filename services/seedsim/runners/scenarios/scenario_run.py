"""Play a scenario: the demo generalised to several nodes, corridors, traffic and faults.

It reuses the demo's parts (node wiring from :mod:`seedsim.bootstrap`, the
consignment generator, the in-process client, the malformed payloads, the
interop summary and its printing) and adds what a scenario names: corridors
of several crossings (see :mod:`.corridor` for the model), explicit timeline
events, transport faults (:mod:`.transport_faults`) and expectations checked at the end
(:mod:`.expectations`).

A traffic that names a Utility Block (``utility_block: UB-...``) generates no
consignments: the UB's business process is played ``count`` times through the
run's nodes by :class:`seedsim.runners.ub_player.Player`, from the exit
country of the traffic's corridor's first crossing to its entry country;
agency roles are played by agency nodes the run adds (``RS-NPPO``, ...), which
the customs nodes accept as partners. Each step's outcome (delivered,
accepted, acknowledged) feeds ``every_ub_step_acknowledged``.

With ``node_urls`` (``seedsim run --nodes``) the run starts no node: it drives
nodes that run elsewhere over their HTTP API and hears them through their
Kafka broker (see :mod:`.remote_nodes` for what such a run cannot do).

A run waits until every message a consignment event sent has been answered
(acknowledged or rejected) and every injected fault has been dead-lettered or
recognised as a duplicate, then evaluates the expectations. The counts depend
only on the scenario and the seed, never on timing.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seedsim.bootstrap import Network, make_transport, running_network
from seedsim.config import AgencyConfig, AgencyKind, NodeConfig, agency_id
from seedsim.core.interop import InteropRecord, Stage, interop_in
from seedsim.core.network_keys import NetworkKeys
from seedsim.core.topics import Topics
from seedsim.core.transport.kafka_credentials import ANONYMOUS, KafkaCredentials
from seedsim.core.wco import MetaData
from seedsim.nodes.customs.customs_node import Event, EventRejected
from seedsim.runners.demo import NODE_READY_S, Progress, describe
from seedsim.runners.hostile_payloads import malformed_record
from seedsim.runners.interop_summary import SUMMARY_FIELDS, InteropSummary, percentile
from seedsim.runners.node_clients import HttpClient, InProcessClient, NodeClient, RunnerError
from seedsim.runners.run_watch import Watch
from seedsim.runners.scenarios import certificates
from seedsim.runners.scenarios import corridor as corridors
from seedsim.runners.scenarios.expectations import Verdict, evaluate
from seedsim.runners.scenarios.remote_nodes import refusal, run_tag
from seedsim.runners.scenarios.scenario_model import (
    Delay,
    Duplicates,
    GeneratedRef,
    Malformed,
    NodeDown,
    Reorder,
    Scenario,
    TimelineEvent,
    Traffic,
    UnknownSender,
)
from seedsim.runners.scenarios.transport_faults import FaultyTransport, unknown_sender_record
from seedsim.runners.traces.trace_recorder import recording
from seedsim.runners.ub_player import Cast, Player, StepOutcome, cast_roles
from seedsim.utility_blocks.loader import blocks_in
from seedsim.utility_blocks.model import UtilityBlock

Out = Callable[[str], None]


@dataclass
class RunSettings:
    kafka: str | None = None
    kafka_credentials: KafkaCredentials = ANONYMOUS  # who the run is on a secured broker
    seed: int | None = None  # overrides the scenario's seed
    topic_prefix: str | None = None
    db_dir: Path | None = None
    concurrency: int = 16
    timeout: float | None = None  # overrides the scenario's timeout_s
    record: Path | None = None  # a trace file: every record the run sends (see runners.traces.trace_recorder)
    watch: Watch | None = None  # subscribes an observer (the monitor) to the run's topics before the nodes start
    node_urls: dict[str, str] | None = None  # drive nodes elsewhere over HTTP (heard through kafka), start none
    keys: NetworkKeys | None = None  # signs what the run injects in a node's name; None: the development keys


@dataclass
class RunResult:
    scenario: str
    seed: int
    counts: dict[str, int]
    verdicts: list[Verdict]
    completed: bool
    elapsed_s: float
    latency_p95_ms: float | None
    problems: list[str] = field(default_factory=list)
    summary: InteropSummary | None = field(default=None, repr=False)
    #: (UB id, step outcome) of the run's utility_block traffic, in the order played
    ub_outcomes: list[tuple[str, StepOutcome]] = field(default_factory=list, repr=False)

    @property
    def ok(self) -> bool:
        return self.completed and not self.problems and all(v.ok for v in self.verdicts)

    @property
    def failed(self) -> list[str]:
        return [v.name for v in self.verdicts if not v.ok]

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "seed": self.seed,
            "ok": self.ok,
            "completed": self.completed,
            "elapsed_s": round(self.elapsed_s, 3),
            "counts": self.counts,
            "latency_p95_ms": None if self.latency_p95_ms is None else round(self.latency_p95_ms, 1),
            "expectations": [v.to_dict() for v in self.verdicts],
            "failed": self.failed,
            "problems": self.problems,
        }


def topic_prefix_of(scenario: str, run_id: str) -> str:
    """The topic prefix of a run over Kafka when none is given: it names the scenario (see :func:`scenario_of_prefix`)."""
    return f"seedsim.scen-{scenario}-{run_id}"


def scenario_of_prefix(prefix: str) -> str | None:
    """The scenario a run's default topic prefix names (``seedsim.scen-NAME-1a2b3c4d``), or None."""
    found = re.fullmatch(r"seedsim\.scen-(.+)-[0-9a-f]{8}", prefix)
    return found.group(1) if found else None


def ub_casts(scenario: Scenario) -> list[tuple[int, Traffic, UtilityBlock, dict[str, str]]]:
    """(traffic no, traffic, UB, role -> node id) of each utility_block traffic: who plays which role, from the
    exit country of the traffic's corridor's first crossing to its entry country."""
    casts = []
    for i, t in enumerate(scenario.traffic):
        if t.utility_block:
            ub, x = blocks_in()[t.utility_block], scenario.corridor(t.corridor).crossings[0]
            casts.append((i, t, ub, cast_roles(ub, x.exit_office[:2], x.entry_office[:2])))
    return casts


def traffic_seed(run_seed: int, traffic_no: int, own: int | None) -> int:
    """One generator's seed from the run's seed: ``--seed`` changes every generator, reproducibly."""
    return random.Random(f"{run_seed}:{own if own is not None else traffic_no}").randrange(2**31)


class _Play:
    """The state of one run: nodes, client, summary, and what is still awaited."""

    def __init__(self, scenario: Scenario, settings: RunSettings, out: Out, progress: Progress | None = None):
        self.sc, self.settings, self.out = scenario, settings, out
        self.progress = progress or (lambda played, total: None)
        self.played = 0
        self.seed = scenario.seed if settings.seed is None else settings.seed
        self.timeout = settings.timeout or scenario.timeout_s
        run_id = uuid.uuid4().hex[:8]
        fresh = settings.kafka and not settings.node_urls  # nodes elsewhere are on their own topics (seedsim.*)
        self.topics = Topics(settings.topic_prefix or (topic_prefix_of(scenario.name, run_id) if fresh else "seedsim"))
        self.tag = run_tag() if settings.node_urls else ""  # nodes elsewhere outlive the run: tag its references
        sent = make_transport(settings.kafka, client_id=f"seedsim-run-{run_id}", credentials=settings.kafka_credentials)
        # recorded under the faults: a delayed record when it is sent, a re-sent one again
        sent = recording(sent, settings.record, settings.kafka, scenario.name, self.seed)
        self.transport = FaultyTransport(sent, self.topics, self.seed)
        self.summary = InteropSummary()
        self.group = f"seedsim-monitor-{run_id}"
        self.awaited: set[str] = set()  # message ids whose acknowledgement is still awaited
        self.bad_records = 0  # injected records that must end dead-lettered
        self.resent = 0  # re-sent records that must be recognised as duplicates
        self.problems: list[str] = []
        self._arrived: dict[tuple[str, str], asyncio.Event] = {}
        self.consignments = [
            []
            if t.utility_block
            else corridors.generate(i, t, scenario.corridor(t.corridor), traffic_seed(self.seed, i, t.seed), self.tag)
            for i, t in enumerate(scenario.traffic)
        ]
        if settings.node_urls:  # count only this run's records, not those of earlier runs on the same nodes
            ours = {c.ucr for cs in self.consignments for c in cs}
            ours |= {e.consignment for e in scenario.timeline if isinstance(e.consignment, str)}
            faults = f"FAULT{self.tag}"
            self.summary.accept = lambda rec: rec.consignment in ours or (rec.consignment or "").startswith(faults)
        self.ub_traffic = ub_casts(scenario)
        self.agencies = sorted(
            {n for *_, roles in self.ub_traffic for n in roles.values() if "-" in n} | self.certifying_agencies()
        )
        #: (traffic no, consignment index) -> the certificate fault planted on it (certificates traffic)
        self.certificate_faults = {
            (i, k): fault
            for i, t in enumerate(scenario.traffic)
            if t.certificates
            for k, fault in certificates.planted(t, traffic_seed(self.seed, i, t.seed)).items()
        }
        self.ub_outcomes: list[tuple[str, StepOutcome]] = []

    # -- records -------------------------------------------------------------------------------

    def arrived(self, node: str, ucr: str) -> asyncio.Event:
        return self._arrived.setdefault((node, ucr), asyncio.Event())

    def on_record(self, rec: InteropRecord) -> None:
        if (
            rec.stage == Stage.VALID
            and rec.event == Event.EXIT.value
            and rec.message_type == "ExportData"
            and rec.consignment
        ):
            self.arrived(rec.node, rec.consignment).set()
        if rec.stage in (Stage.ALERT, Stage.NACKED, Stage.DEAD_LETTERED, Stage.DUPLICATE):
            self.out(describe(rec))

    async def on_interop(self, records) -> None:
        for rec in interop_in(records):  # a foreign record holds none
            self.summary.add(rec)

    def done(self, s: InteropSummary) -> bool:
        answered = {r.message_id for r in s.records if r.stage in (Stage.ACK_RECEIVED, Stage.NACK_RECEIVED)}
        return (
            self.awaited <= answered
            and s.count(Stage.DEAD_LETTERED) >= self.bad_records
            and s.count(Stage.DUPLICATE) >= self.resent
        )

    # -- consignments --------------------------------------------------------------------------

    async def event(self, node: str, event: Event, ucr: str, office: str, entry_office: str | None = None) -> dict:
        result = await self.client.event(node, event, ucr, office, entry_office)
        if result.get("message_id"):
            self.awaited.add(result["message_id"])
        return result

    async def lodge(self, node: str, declaration) -> None:
        await self.client.lodge(node, declaration.to_xml(MetaData(wco_type_name="DEC", responsible_country_code=node)))

    def certifying_agencies(self) -> set[str]:
        """The veterinary authorities of the exporting countries of traffic with certificates."""
        return {
            agency_id(self.sc.corridor(t.corridor).countries[0], AgencyKind.VET)
            for t in self.sc.traffic
            if t.certificates
        }

    async def certify(self, c: corridors.CorridorConsignment) -> None:
        """The consignment's veterinary certificate (traffic with ``certificates``), acknowledged by the customs
        node of its final office of entry before the consignment moves (:mod:`.certificates`)."""
        t = self.sc.traffic[c.traffic]
        if not t.certificates:
            return
        first, last = c.legs[0], c.legs[-1]
        agency = self.nodes[agency_id(first.exit_country, AgencyKind.VET)]
        fault = self.certificate_faults.get((c.traffic, c.index))
        sent = await certificates.certify(
            agency, first.exit_declaration, last.entry_country, c.ucr, c.traffic * 10_000 + c.index, fault
        )
        self.awaited.update(sent)

        def acknowledged(s: InteropSummary) -> bool:
            return set(sent) <= {r.message_id for r in s.records if r.stage == Stage.ACK_RECEIVED}

        await self.summary.wait_for(acknowledged, timeout=self.timeout)

    async def play(self, c: corridors.CorridorConsignment, limiter: asyncio.Semaphore) -> None:
        async with limiter:
            await self.certify(c)
            for leg in c.legs:
                x = leg.crossing
                await self.lodge(leg.exit_country, leg.exit_declaration)
                await self.event(leg.exit_country, Event.PRE_ARRIVAL, c.ucr, x.exit_office, x.entry_office)
                await self.event(leg.exit_country, Event.EXIT, c.ucr, x.exit_office, x.entry_office)
                await asyncio.wait_for(self.arrived(leg.entry_country, c.ucr).wait(), timeout=self.timeout)
                await self.lodge(leg.entry_country, leg.entry_declaration)
                await self.event(leg.entry_country, Event.ENTRY, c.ucr, x.entry_office)
        self.consignment_played()

    def consignment_played(self) -> None:
        self.played += 1
        self.progress(self.played, sum(len(cs) for cs in self.consignments))

    async def lodge_only(self, c: corridors.CorridorConsignment) -> None:
        for leg in c.legs:
            await self.lodge(leg.exit_country, leg.exit_declaration)
            await self.lodge(leg.entry_country, leg.entry_declaration)

    # -- timeline ------------------------------------------------------------------------------

    def _resolve(self, e: TimelineEvent) -> tuple[str, str | None, str | None]:
        """UCR, office and office of entry of a timeline event (offices default to the corridor's)."""
        if isinstance(e.consignment, GeneratedRef):
            c = self.consignments[e.consignment.traffic][e.consignment.index - 1]
            ucr, crossings = c.ucr, [leg.crossing for leg in c.legs]
        else:
            ucr, crossings = e.consignment, [x for cor in self.sc.corridors for x in cor.crossings]
        if e.event == "ENTRY":
            x = next((x for x in crossings if x.entry_office[:2] == e.node), None)
            return ucr, e.office or (x.entry_office if x else None), None
        x = next((x for x in crossings if x.exit_office[:2] == e.node), None)
        return ucr, e.office or (x.exit_office if x else None), e.entry_office or (x.entry_office if x else None)

    async def timeline(self) -> None:
        for e in sorted(self.sc.timeline, key=lambda e: e.step):
            ucr, office, entry_office = self._resolve(e)
            if office is None:
                self.problems.append(
                    f"timeline step {e.step}: no office of {e.event.lower()} for {e.node}; give office"
                )
                continue
            try:
                result = await self.event(e.node, Event(e.event), ucr, office, entry_office)
            except (EventRejected, RunnerError) as exc:
                self.problems.append(f"timeline step {e.step}: {e.node} refused {e.event} for {ucr}: {exc}")
                continue
            self.out(f"  timeline step {e.step}: {e.event} at {e.node} ({office}) for {ucr}: {result.get('status')}")
            mid = result.get("message_id")
            if mid:  # the next step may depend on this one's message having arrived
                await self.summary.wait_for(
                    lambda s, mid=mid: any(
                        r.message_id == mid and r.stage in (Stage.ACK_RECEIVED, Stage.NACK_RECEIVED) for r in s.records
                    ),
                    timeout=self.timeout,
                )

    # -- faults --------------------------------------------------------------------------------

    def configure_faults(self) -> list[NodeDown]:
        for f in self.sc.faults:
            if isinstance(f, Delay):
                self.transport.delay(f.node, ms=f.ms)
            elif isinstance(f, Reorder):
                self.transport.delay(f.node, jitter_ms=f.jitter_ms)
            elif isinstance(f, NodeDown):
                self.transport.gate(f.node)
        return [f for f in self.sc.faults if isinstance(f, NodeDown)]

    async def inject(self) -> None:
        """Hostile records into the nodes' inboxes, sent alongside the traffic."""
        records, keys = [], self.settings.keys
        for n, f in enumerate(self.sc.faults):
            if isinstance(f, Malformed):
                sender = f.sender or (self.sc.partners(f.node) or [self.sc.nodes[0]])[0]
                records += [
                    malformed_record(f.payload, sender, f.node, self.topics, f"FAULT{self.tag}{n}-{k}", keys)
                    for k in range(1, f.count + 1)
                ]
            elif isinstance(f, UnknownSender):
                export = self.consignments[0][0].legs[0].exit_declaration
                records += [
                    unknown_sender_record(f.sender, f.node, self.topics, export, f"FAULT{self.tag}{n}-{k}", keys)
                    for k in range(1, f.count + 1)
                ]
        if records:
            self.bad_records += len(records)
            await self.transport.send_batch(records)
            self.out(
                f"  injected {len(records)} hostile record(s): "
                + ", ".join(
                    f"{getattr(f, 'payload', f.kind)} x{f.count} -> {f.node}"
                    for f in self.sc.faults
                    if isinstance(f, (Malformed, UnknownSender))
                )
            )

    async def duplicates(self) -> None:
        for f in self.sc.faults:
            if isinstance(f, Duplicates):
                n = await self.transport.resend(f.node, f.count)
                self.resent += n
                self.out(f"  re-sent {n} record(s) already delivered to {f.node}")

    # -- Utility Blocks ------------------------------------------------------------------------

    def standing_data(self, i: int) -> bool:
        """Whether utility_block traffic ``i`` is played before the consignments: listed before every consignment
        traffic of a scenario that has some (standing data such as AEO identities, which the consignments' risk
        analysis uses); any other is played after them."""
        goods = [k for k, t in enumerate(self.sc.traffic) if not t.utility_block]
        return bool(goods) and i < goods[0]

    async def play_utility_blocks(self, nodes: dict, before_consignments: bool = False) -> None:
        for i, t, ub, roles in self.ub_traffic:
            if self.standing_data(i) != before_consignments:
                continue
            cast_nodes = {n: nodes[n] for n in set(roles.values())}
            for k in range(t.count):
                player = Player(
                    Cast(ub, roles, cast_nodes, self.transport),
                    seed=traffic_seed(self.seed, i, t.seed) + k,
                    timeout=self.timeout,
                )
                async for o in player.play():
                    self.ub_outcomes.append((ub.id, o))
                    self.out(
                        f"  {ub.id} #{k + 1} step {o.index} [{o.step.event}] {o.step.message} {o.sender} -> {o.receiver}: "
                        + ("ok" if o.ok else "FAILED " + "; ".join(o.errors))
                    )

    # -- the run -------------------------------------------------------------------------------

    async def run(self) -> RunResult:
        sc = self.sc
        remote = None
        if self.settings.node_urls:
            problem = refusal(sc, self.settings.node_urls)
            if problem:
                raise ValueError(problem)
            if not self.settings.kafka:
                raise ValueError("nodes elsewhere (node_urls) are heard only through their Kafka broker: set kafka too")
            remote = HttpClient({n: self.settings.node_urls[n] for n in sc.nodes})  # waits for these only
            try:  # nodes elsewhere answer first: their broker is worth listening to only once they do
                await remote.wait_ready(timeout=min(self.timeout, NODE_READY_S), waiting=self.out)
            except BaseException:
                await remote.close()
                raise
        downs = self.configure_faults()
        crossings = [x for c in sc.corridors for x in c.crossings]
        # only what the scenario sets is passed on: the rest comes from the SEED core UB and the defaults
        overrides = {"risk_profiles": sc.risk_profiles} if sc.risk_profiles is not None else {}
        if sc.matching is not None:
            overrides["tolerances"] = sc.matching.tolerances.model_dump(exclude_none=True)
        configs: list[NodeConfig | AgencyConfig] = [
            NodeConfig(
                node=c,
                kafka=self.settings.kafka,
                partners=sc.partners(c) + self.agencies,
                crossings=crossings,
                topic_prefix=self.topics.prefix,
                **overrides,
            )
            for c in sc.nodes
            if remote is None
        ]
        configs += [
            AgencyConfig(
                node=a,
                kafka=self.settings.kafka,
                partners=[n for n in [*sc.nodes, *self.agencies] if n != a],
                topic_prefix=self.topics.prefix,
                seed=self.seed,
            )
            for a in self.agencies
            if remote is None
        ]
        self.summary.listeners.append(self.on_record)
        self.transport.subscribe([self.topics.interop], group=self.group, handler=self.on_interop)
        watch = self.settings.watch
        settle = watch(self.transport, self.topics, [c.node for c in configs]) if watch else None
        async with running_network(configs, self.transport, db_dir=self.settings.db_dir) as network:
            # each node writes what drives it to the driver topic, so a recorded run can be re-driven
            self.client: NodeClient = remote or InProcessClient(network.customs)
            self.nodes = network.nodes
            try:
                completed, elapsed = await self.play_all(network, downs)
                if settle is not None:
                    await settle()
            finally:
                await self.client.close()
        verdicts = evaluate(sc.expectations, self.summary, self.ub_outcomes)
        result = RunResult(
            sc.name,
            self.seed,
            self.summary.counts(),
            verdicts,
            completed,
            elapsed,
            percentile(self.summary.latencies_ms, 95),
            self.problems,
            self.summary,
            self.ub_outcomes,
        )
        self.report(result)
        return result

    async def play_all(self, network: Network, downs: list[NodeDown]) -> tuple[bool, float]:
        """Play every traffic, timeline event, fault and Utility Block; True when every awaited answer came."""
        sc, out = self.sc, self.out
        total = sum(len(cs) for cs in self.consignments)
        if isinstance(self.client, HttpClient):
            where = f"the nodes at {', '.join(f'{n} {self.client.urls[n]}' for n in sc.nodes)}, heard through Kafka {self.settings.kafka}"
        else:
            where = (
                f"Kafka {self.settings.kafka} (topics {self.topics.prefix}.*)"
                if self.settings.kafka
                else "the in-process bus"
            )
        out(
            f"seedsim run {sc.name}: {len(sc.nodes)} nodes ({', '.join(sc.nodes)}), {total} consignments, seed {self.seed}, "
            f"over {where}"
        )
        for i, (t, cs) in enumerate(zip(sc.traffic, self.consignments, strict=False)):
            planted = Counter(c.planted for c in cs if c.planted)
            if t.utility_block:
                out(
                    f"  traffic[{i}]: {t.utility_block} played {t.count} time(s) from {' -> '.join(sc.corridor(t.corridor).countries[:2])}"
                )
                continue
            out(
                f"  traffic[{i}]: {t.count} consignments on {t.corridor} ({' -> '.join(sc.corridor(t.corridor).countries)}), {t.mode}"
                + (f", planted: {', '.join(f'{k} {n}' for k, n in sorted(planted.items()))}" if planted else "")
            )
        started = time.perf_counter()
        completed = True
        try:
            down_tasks = [
                asyncio.create_task(self.transport.down_for(f.node, f.after_ms / 1000, f.for_s, out)) for f in downs
            ]
            limiter = asyncio.Semaphore(self.settings.concurrency)
            await self.play_utility_blocks(network.nodes, before_consignments=True)
            for t, cs in zip(sc.traffic, self.consignments, strict=False):
                if t.mode == "lodge_only":
                    for c in cs:
                        await self.lodge_only(c)
                        self.consignment_played()
            plays = [
                asyncio.create_task(self.play(c, limiter))
                for t, cs in zip(sc.traffic, self.consignments, strict=False)
                if t.mode == "auto"
                for c in cs
            ]
            await asyncio.sleep(0)
            await self.inject()
            await asyncio.gather(*plays)
            out(f"  played {len(plays)} consignment(s) in {time.perf_counter() - started:.1f} s")
            await self.timeline()
            await self.play_utility_blocks(network.nodes)
            await asyncio.gather(*down_tasks)
            await self.duplicates()
            completed = await self.summary.wait_for(self.done, timeout=self.timeout)
            await asyncio.sleep(0.3)  # trailing records (none expected) show up before counting
        except TimeoutError:
            completed = False
        finally:
            elapsed = time.perf_counter() - started
        return completed, elapsed

    def report(self, r: RunResult) -> None:
        out = self.out
        out("")
        out(f"summary ({r.elapsed_s:.1f} s{'' if r.completed else ', TIMED OUT waiting for acknowledgements'}):")
        for label, _stage in SUMMARY_FIELDS:
            out(f"  {label:<14} {r.counts[label]:>7}")
        if r.latency_p95_ms is not None:
            out(f"  exit -> ack latency p95 {r.latency_p95_ms:.1f} ms")
        for p in r.problems:
            out(f"  PROBLEM {p}")
        out("expectations:")
        for v in r.verdicts:
            out(f"  {'ok  ' if v.ok else 'FAIL'} {v.name:<28} expected {v.expected:<12} actual {v.actual}")
        out(
            f"{r.scenario}: {'all expectations met' if r.ok else 'FAILED: ' + ', '.join(r.failed or ['run incomplete'])}"
        )


async def run_scenario(
    scenario: Scenario, settings: RunSettings | None = None, out: Out = print, progress: Progress | None = None
) -> RunResult:
    """Play ``scenario``; ``out`` gets the report line by line, ``progress`` (if given) the consignments played."""
    return await _Play(scenario, settings or RunSettings(), out, progress).run()
