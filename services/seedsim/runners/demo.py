"""The flagship demo: a batch of consignments crossing one border, end to end.

For each consignment: the export declaration is lodged in the country of exit,
PRE_ARRIVAL and EXIT fire there (exit data goes to the neighbour, which
validates and acknowledges it), the import declaration is lodged in the
country of entry, ENTRY fires there (the node matches entry against exit data
and raises alerts), and an entry confirmation goes back. A few planted
discrepancies and malformed messages show the checks at work.

The same code runs nodes in this process (in-process bus or Kafka) or drives
nodes elsewhere over HTTP (``--nodes``), reading the interop topic of the
Kafka broker they share: nodes elsewhere are only heard through Kafka.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from seedsim.bootstrap import make_transport, running_network
from seedsim.config import NodeConfig
from seedsim.core.interop import InteropRecord, Stage, interop_in
from seedsim.core.network_keys import NetworkKeys
from seedsim.core.topics import Topics
from seedsim.core.transport import Transport
from seedsim.core.transport.kafka_credentials import ANONYMOUS, KafkaCredentials
from seedsim.core.wco import MetaData
from seedsim.nodes.customs.customs_node import Event
from seedsim.runners.hostile_payloads import malformed_record
from seedsim.runners.interop_summary import SUMMARY_FIELDS, InteropSummary, percentile
from seedsim.runners.node_clients import HttpClient, InProcessClient, NodeClient
from seedsim.runners.run_watch import Watch
from seedsim.runners.traces.trace_recorder import recording
from seedsim.samples.consignments import DISCREPANCY_KINDS, ConsignmentGenerator, GeneratedConsignment
from seedsim.samples.crossings import DEMO_CROSSINGS


@dataclass
class DemoSettings:
    consignments: int = 100
    seed: int = 42
    discrepancies: int = 5
    malformed: tuple[str, ...] = ("broken_xml", "external_entity", "schema_violation")
    kafka: str | None = None
    kafka_credentials: KafkaCredentials = ANONYMOUS  # who the run is on a secured broker
    node_urls: dict[str, str] | None = None  # drive running nodes over HTTP instead of starting them
    topic_prefix: str | None = None
    db_dir: Path | None = None
    concurrency: int = 32
    show_flows: int = 2  # consignments whose every step is printed
    timeout: float = 300.0  # for each wait: a node's /health (at most NODE_READY_S), a crossing, the last answers
    record: Path | None = None  # a trace file: every record the run's nodes send (see runners.traces.trace_recorder)
    watch: Watch | None = None  # subscribes an observer (the monitor) to the run's topics before the nodes start
    signing: bool = True  # False: the nodes sign and check nothing (bench_signing's comparison; refused on Kafka)
    keys: NetworkKeys | None = None  # sign the malformed records sent as a node elsewhere; None: the development keys


#: the longest the demo waits for nodes elsewhere to answer /health (they may still be starting)
NODE_READY_S = 60.0


#: called as consignments finish playing: (played, total)
Progress = Callable[[int, int], None]


def lodged_xml(c: GeneratedConsignment) -> tuple[bytes, bytes]:
    """The consignment's export declaration as lodged in the country of exit, and its import declaration as
    lodged in the country of entry (WCO DM documents in a MetaData wrapper)."""
    exit_c, entry_c = c.crossing.exit_office[:2], c.crossing.entry_office[:2]
    return (
        c.export.to_xml(MetaData(wco_type_name="DEC", responsible_country_code=exit_c)),
        c.import_.to_xml(MetaData(wco_type_name="DEC", responsible_country_code=entry_c)),
    )


@dataclass
class DemoResult:
    counts: dict[str, int]
    expected: dict[str, int]
    latencies_ms: list[float]
    elapsed_s: float
    completed: bool
    summary: InteropSummary = field(repr=False)

    @property
    def ok(self) -> bool:
        return self.completed and all(self.counts[k] == v for k, v in self.expected.items())


def describe(rec: InteropRecord) -> str:
    what = " ".join(x for x in (rec.message_type, f"({rec.event})" if rec.event else None) if x)
    arrow = f"{rec.sender or '?'} -> {rec.receiver or '?'}" if rec.sender or rec.receiver else ""
    extra = f"  {rec.detail}" if rec.detail and rec.stage in (Stage.ALERT, Stage.INVALID, Stage.SUBMITTED) else ""
    lat = f"  {rec.latency_ms:.1f} ms" if rec.latency_ms is not None else ""
    return f"  [{rec.node}] {rec.stage.value:<13} {what:<28} {arrow:<9}{lat}{extra}"


async def run_demo(
    settings: DemoSettings, out: Callable[[str], None] = print, progress: Progress | None = None
) -> DemoResult:
    """Play the demo; ``out`` gets the narration line by line, ``progress`` (if given) the consignments played."""
    if settings.node_urls and not settings.kafka:
        raise ValueError("nodes elsewhere (node_urls) are heard only through their Kafka broker: set kafka too")
    exit_c, entry_c = DEMO_CROSSINGS[0].exit_office[:2], DEMO_CROSSINGS[0].entry_office[:2]
    run_id = uuid.uuid4().hex[:8]
    topics = Topics(
        settings.topic_prefix or (f"seedsim.demo-{run_id}" if settings.kafka and not settings.node_urls else "seedsim")
    )
    transport = recording(
        make_transport(settings.kafka, client_id=f"seedsim-runner-{run_id}", credentials=settings.kafka_credentials),
        settings.record,
        settings.kafka,
        None,
        settings.seed,
    )
    summary = InteropSummary()

    rng = random.Random(settings.seed)
    n = settings.consignments
    planted_at = dict(
        zip(
            sorted(rng.sample(range(1, n + 1), min(settings.discrepancies, n))),
            (DISCREPANCY_KINDS[i % len(DISCREPANCY_KINDS)] for i in range(settings.discrepancies)),
            strict=False,
        )
    )
    # against nodes that outlive this run, tag references so a second run doesn't collide with the first
    run_tag = run_id[:4] if settings.node_urls else ""
    generator = ConsignmentGenerator(settings.seed, DEMO_CROSSINGS[0], run=run_tag)
    consignments = [generator.make(i, planted_at.get(i)) for i in range(1, n + 1)]
    fault_subject = f"MALFORMED{run_tag.upper()}"
    ours = {c.ucr for c in consignments} | {f"{fault_subject}-{k}" for k in settings.malformed}
    summary.accept = lambda rec: rec.consignment in ours
    shown = {c.ucr for c in consignments[: settings.show_flows]}
    exit_seen: dict[str, asyncio.Event] = {c.ucr: asyncio.Event() for c in consignments}

    def on_record(rec: InteropRecord) -> None:
        if rec.consignment in shown and not (
            rec.message_type == "Acknowledgement" and rec.stage in (Stage.RECEIVED, Stage.VALID)
        ):
            out(describe(rec))
        if (
            rec.stage == Stage.VALID
            and rec.node == entry_c
            and rec.event == Event.EXIT.value
            and rec.consignment in exit_seen
        ):
            exit_seen[rec.consignment].set()
        if rec.stage in (Stage.NACKED, Stage.DEAD_LETTERED, Stage.INVALID) and rec.consignment not in shown:
            out(describe(rec))

    summary.listeners.append(on_record)

    async def on_interop(records) -> None:
        for rec in interop_in(records):  # a foreign record holds none
            summary.add(rec)

    configs = [
        NodeConfig(
            node=country,
            kafka=settings.kafka,
            partners=[c for c in (exit_c, entry_c) if c != country],
            crossings=DEMO_CROSSINGS,
            topic_prefix=topics.prefix,
            signing=settings.signing,
        )
        for country in ((exit_c, entry_c) if not settings.node_urls else ())
    ]
    remote = HttpClient(settings.node_urls) if settings.node_urls else None
    if remote is not None:
        try:  # nodes elsewhere answer first: their broker is worth listening to only once they do
            await remote.wait_ready(timeout=min(settings.timeout, NODE_READY_S), waiting=out)
        except BaseException:
            await remote.close()
            raise
    transport.subscribe([topics.interop], group=f"seedsim-monitor-{run_id}", handler=on_interop)
    settle = settings.watch(transport, topics, [c.node for c in configs]) if settings.watch else None
    async with running_network(configs, transport, db_dir=settings.db_dir) as network:
        # the nodes write what drives them to the driver topic themselves, here or elsewhere (see nodes.driver_records)
        client: NodeClient = remote or InProcessClient(network.customs)
        try:
            result = await _play_demo(
                settings,
                client,
                transport,
                topics,
                summary,
                consignments,
                planted_at,
                exit_seen,
                fault_subject,
                out,
                progress or (lambda played, total: None),
            )
            if settle is not None:
                await settle()
            return result
        finally:
            await client.close()


async def _play_demo(
    settings: DemoSettings,
    client: NodeClient,
    transport: Transport,
    topics: Topics,
    summary: InteropSummary,
    consignments: list[GeneratedConsignment],
    planted_at: dict[int, str],
    exit_seen: dict[str, asyncio.Event],
    fault_subject: str,
    out: Callable[[str], None],
    progress: Progress,
) -> DemoResult:
    exit_c, entry_c = DEMO_CROSSINGS[0].exit_office[:2], DEMO_CROSSINGS[0].entry_office[:2]
    n = settings.consignments
    if isinstance(client, HttpClient):
        where = (
            "the nodes at "
            + ", ".join(f"{c} {u}" for c, u in client.urls.items())
            + f", heard through Kafka {settings.kafka}"
        )
    else:
        where = f"Kafka {settings.kafka}" if settings.kafka else "the in-process bus"

    out(
        f"seedsim demo: {n} consignments {exit_c} -> {entry_c} over {where}"
        f" (seed {settings.seed}, {len(planted_at)} planted discrepancies, {len(settings.malformed)} malformed messages)"
    )
    out(
        f"crossing: {DEMO_CROSSINGS[0].name}, offices {DEMO_CROSSINGS[0].exit_office} -> {DEMO_CROSSINGS[0].entry_office}"
    )
    out("flow of the first consignments:")
    started = time.perf_counter()
    limiter = asyncio.Semaphore(settings.concurrency)
    crossing = DEMO_CROSSINGS[0]

    played = 0

    async def play(c: GeneratedConsignment) -> None:
        nonlocal played
        async with limiter:
            export_xml, import_xml = lodged_xml(c)
            await client.lodge(exit_c, export_xml)
            await client.event(exit_c, Event.PRE_ARRIVAL, c.ucr, crossing.exit_office, crossing.entry_office)
            await client.event(exit_c, Event.EXIT, c.ucr, crossing.exit_office, crossing.entry_office)
            try:
                await asyncio.wait_for(exit_seen[c.ucr].wait(), timeout=settings.timeout)
            except TimeoutError:
                await client.alive(entry_c)  # a node that stopped is named, rather than the time-out it caused
                raise
            await client.lodge(entry_c, import_xml)
            await client.event(entry_c, Event.ENTRY, c.ucr, crossing.entry_office)
        played += 1
        progress(played, n)

    completed = True
    plays = [asyncio.create_task(play(c)) for c in consignments]
    try:
        if settings.malformed:
            await asyncio.sleep(0)
            await transport.send_batch(
                [malformed_record(k, exit_c, entry_c, topics, fault_subject, settings.keys) for k in settings.malformed]
            )
        await asyncio.gather(*plays)

        def expected_done(s: InteropSummary) -> bool:
            return (
                s.count(Stage.ACK_RECEIVED, "EntryConfirmation") >= n
                and s.count(Stage.ACK_RECEIVED, "ExportData") >= 2 * n
                and s.count(Stage.NACKED) >= len(settings.malformed)
            )

        completed = await summary.wait_for(expected_done, timeout=settings.timeout)
        if not completed:  # a node that stopped is named, rather than the time-out it caused
            for node in (exit_c, entry_c):
                await client.alive(node)
        await asyncio.sleep(0.2)  # let trailing records (none expected) show up before counting
    finally:
        elapsed = time.perf_counter() - started
        # stopped early (a failure, or the run cancelled): no consignment plays on against stopping nodes
        for p in plays:
            p.cancel()
        await asyncio.gather(*plays, return_exceptions=True)

    counts = summary.counts()
    expected = {
        "sent": 3 * n,
        "delivered": 3 * n + len(settings.malformed),
        "valid": 3 * n,
        "acknowledged": 3 * n,
        "matched": n - len(planted_at),
        "discrepancies": len(planted_at),
        "rejected": len(settings.malformed),
    }
    result = DemoResult(counts, expected, summary.latencies_ms, elapsed, completed, summary)
    out("")
    out(f"summary ({elapsed:.1f} s{'' if completed else ', TIMED OUT'}):")
    for label, _stage in SUMMARY_FIELDS:
        exp = expected.get(label)
        mark = "" if exp is None else ("  ok" if counts[label] == exp else f"  EXPECTED {exp}")
        out(f"  {label:<14} {counts[label]:>7}{mark}")
    if result.latencies_ms:
        out(
            f"  exit -> ack latency: p50 {percentile(result.latencies_ms, 50):.1f} ms, p99 {percentile(result.latencies_ms, 99):.1f} ms"
        )
    alerts = [r for r in summary.records if r.stage == Stage.ALERT]
    if alerts:
        out("alerts raised at entry:")
        for r in alerts:
            out(f"  {r.consignment}  {r.result}  {r.detail}")
    return result
