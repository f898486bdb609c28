"""``seedsim``: one command line for every service.

seedsim demo [--kafka HOST:PORT] [--consignments N] [--seed S]
seedsim node --country CC --port N [--kafka HOST:PORT] [--db PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys

from seedsim import __version__


def _env(name: str, default=None):
    return os.environ.get(f"SEEDSIM_{name}", default)


def _demo(args: argparse.Namespace) -> int:
    if args.ub:
        from seedsim.runners.workshop import run_workshop

        try:
            return (
                0
                if asyncio.run(run_workshop(args.ub, args.country_a, args.country_b, args.pause, seed=args.seed))
                else 1
            )
        except (KeyError, ValueError) as exc:
            print(exc.args[0] if exc.args else exc, file=sys.stderr)
            return 2
    from seedsim.runners.demo import DemoSettings, run_demo

    node_urls = None
    if args.nodes:
        node_urls = dict(part.split("=", 1) for part in args.nodes.split(","))
    settings = DemoSettings(
        consignments=args.consignments,
        seed=args.seed,
        discrepancies=args.discrepancies,
        malformed=tuple(k for k in args.malformed.split(",") if k),
        kafka=args.kafka,
        node_urls=node_urls,
        topic_prefix=args.topic_prefix,
        show_flows=args.show_flows,
        timeout=args.timeout,
    )
    result = asyncio.run(run_demo(settings, out=(lambda s: None) if args.json else print))
    if args.json:
        print(
            json.dumps(
                {
                    "counts": result.counts,
                    "expected": result.expected,
                    "completed": result.completed,
                    "elapsed_s": round(result.elapsed_s, 3),
                },
                indent=2,
            )
        )
    return 0 if result.ok else 1


def _node(args: argparse.Namespace) -> int:
    import uvicorn

    from seedsim.bootstrap import make_customs_node
    from seedsim.config import NodeConfig
    from seedsim.nodes.customs.customs_api import create_app
    from seedsim.samples.crossings import DEMO_CROSSINGS

    config = NodeConfig(
        node=args.country,
        kafka=args.kafka,
        port=args.port,
        host=args.host,
        db=args.db,
        national_schema=args.national_schema,
        crossings=DEMO_CROSSINGS,
        partners=[p for p in (args.partners or "").split(",") if p],
        topic_prefix=args.topic_prefix,
    )
    # a node always writes its interoperability records to its log, one JSON line per stage
    logging.getLogger("seedsim.interop").setLevel(logging.INFO)
    app = create_app(make_customs_node(config))
    uvicorn.run(app, host=config.host, port=config.port, log_level="warning")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from seedsim.conformance import FORMATS, validate_paths

    reports = validate_paths(args.paths)
    if not reports:
        print("no documents found at " + " ".join(args.paths), file=sys.stderr)
        return 2
    text = FORMATS[args.format](reports)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    else:
        print(text)
    return 0 if all(r.valid for r in reports) else 1


def _run(args: argparse.Namespace) -> int:
    from seedsim.runners.scenarios.scenario_loader import ScenarioError, load
    from seedsim.runners.scenarios.scenario_run import RunSettings, run_scenario

    try:
        scenario = load(args.scenario)
    except ScenarioError as exc:
        print(exc, file=sys.stderr)
        return 2
    settings = RunSettings(kafka=args.kafka, seed=args.seed, topic_prefix=args.topic_prefix, timeout=args.timeout)
    result = asyncio.run(run_scenario(scenario, settings, out=(lambda s: None) if args.json else print))
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    if not result.ok:
        print(
            f"{scenario.name}: expectation(s) not met: {', '.join(result.failed + result.problems) or 'run incomplete (timed out)'}",
            file=sys.stderr,
        )
    return 0 if result.ok else 1


def _ub(args: argparse.Namespace) -> int:
    from pathlib import Path

    from seedsim.utility_blocks import UtilityBlockError, load_all, render

    try:
        blocks = load_all()
    except UtilityBlockError as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.ub_command == "list":
        print(render.list_text(blocks))
    elif args.ub_command == "show":
        if args.id not in blocks:
            print(f"no Utility Block {args.id!r}; known: {', '.join(blocks)}", file=sys.stderr)
            return 2
        print(render.show_text(blocks[args.id]))
    else:
        for path in render.write_docs(blocks, Path(args.out)):
            print(path)
    return 0


def _asyncapi(args: argparse.Namespace) -> int:
    from pathlib import Path

    from seedsim.utility_blocks import UtilityBlockError, load_all
    from seedsim.utility_blocks.asyncapi import asyncapi_document

    try:
        # XSD references are relative to where the document is written (stdout: the project directory)
        text = json.dumps(asyncapi_document(load_all(), base=Path(args.out).parent if args.out else None), indent=2)
    except UtilityBlockError as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    else:
        print(text)
    return 0


def _agency(args: argparse.Namespace) -> int:
    import uvicorn

    from seedsim.bootstrap import make_agency_node
    from seedsim.config import AgencyConfig
    from seedsim.nodes.agency.agency_api import create_app

    logging.getLogger("seedsim.interop").setLevel(logging.INFO)
    config = AgencyConfig(
        node=args.id,
        kafka=args.kafka,
        port=args.port,
        host=args.host,
        db=args.db,
        partners=[p for p in (args.partners or "").split(",") if p],
        topic_prefix=args.topic_prefix,
    )
    uvicorn.run(create_app(make_agency_node(config)), host=config.host, port=config.port, log_level="warning")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="seedsim", description="Simulate SEED+-style customs-to-customs data exchange."
    )
    parser.add_argument("--version", action="version", version=f"seedsim {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every interop record and node event")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="run the flagship RS -> ME demo and print the flow and a summary")
    demo.add_argument("--kafka", default=_env("KAFKA"), help="Kafka bootstrap HOST:PORT (default: the in-process bus)")
    demo.add_argument(
        "--nodes", default=_env("NODES"), help="drive running nodes instead: RS=http://host:port,ME=http://host:port"
    )
    demo.add_argument("--consignments", type=int, default=int(_env("CONSIGNMENTS", 100)))
    demo.add_argument("--seed", type=int, default=int(_env("SEED", 42)))
    demo.add_argument("--discrepancies", type=int, default=int(_env("DISCREPANCIES", 5)))
    demo.add_argument(
        "--malformed",
        default=_env("MALFORMED", "broken_xml,external_entity,schema_violation"),
        help="comma-separated faults to inject (broken_xml, external_entity, schema_violation, entity_bomb)",
    )
    demo.add_argument("--topic-prefix", default=_env("TOPIC_PREFIX"))
    demo.add_argument("--show-flows", type=int, default=2, help="consignments whose every step is printed")
    demo.add_argument("--timeout", type=float, default=300.0)
    demo.add_argument("--json", action="store_true", help="print only the summary, as JSON")
    demo.add_argument(
        "--ub", help="workshop mode: play and narrate one Utility Block step by step (e.g. UB-SEED-ORIGIN)"
    )
    demo.add_argument("--pause", action="store_true", help="with --ub: wait for Enter after each step")
    demo.add_argument("--country-a", default="RS", help="with --ub: the country where the UB's first step starts")
    demo.add_argument("--country-b", default="ME", help="with --ub: the other country")
    demo.set_defaults(fn=_demo)

    node = sub.add_parser("node", help="run one customs node (HTTP API + inbox worker)")
    node.add_argument("--country", default=_env("COUNTRY"), required=_env("COUNTRY") is None)
    node.add_argument("--port", type=int, default=int(_env("PORT", 8000)))
    node.add_argument("--host", default=_env("HOST", "127.0.0.1"))
    node.add_argument("--kafka", default=_env("KAFKA"))
    node.add_argument("--db", default=_env("DB"))
    node.add_argument("--national-schema", default=_env("NATIONAL_SCHEMA", "wco/seedsim_metadata.xsd"))
    node.add_argument("--partners", default=_env("PARTNERS"))
    node.add_argument("--topic-prefix", default=_env("TOPIC_PREFIX", "seedsim"))
    node.set_defaults(fn=_node)

    run = sub.add_parser(
        "run", help="play a scenario file (nodes, corridors, traffic, faults) and check its expectations"
    )
    run.add_argument("scenario", help="a scenario YAML file, e.g. scenarios/western-balkans-corridor.yaml")
    run.add_argument("--kafka", default=_env("KAFKA"), help="Kafka bootstrap HOST:PORT (default: the in-process bus)")
    run.add_argument("--seed", type=int, default=None, help="override the scenario's seed (same seed, same counts)")
    run.add_argument("--topic-prefix", default=None, help="topic prefix (default: a fresh one per run on Kafka)")
    run.add_argument("--timeout", type=float, default=None, help="override the scenario's timeout_s")
    run.add_argument("--json", action="store_true", help="print only the results, as JSON")
    run.set_defaults(fn=_run)

    agency = sub.add_parser(
        "agency", help="run one border-agency node (NPPO, chamber of commerce, TIR guarantee chain, tax)"
    )
    agency.add_argument(
        "--id", default=_env("AGENCY"), required=_env("AGENCY") is None, help="e.g. RS-NPPO, ME-CCI, TR-TIR, RS-TAX"
    )
    agency.add_argument("--port", type=int, default=int(_env("PORT", 8100)))
    agency.add_argument("--host", default=_env("HOST", "127.0.0.1"))
    agency.add_argument("--kafka", default=_env("KAFKA"))
    agency.add_argument("--db", default=_env("DB"))
    agency.add_argument("--partners", default=_env("PARTNERS"))
    agency.add_argument("--topic-prefix", default=_env("TOPIC_PREFIX", "seedsim"))
    agency.set_defaults(fn=_agency)

    val = sub.add_parser(
        "validate", help="validate documents (files, folders, globs) against their schema and business rules"
    )
    val.add_argument("paths", nargs="+")
    val.add_argument("--format", choices=["text", "json", "junit"], default="text")
    val.add_argument("--output", "-o", help="write the report to a file instead of stdout")
    val.set_defaults(fn=_validate)

    ub = sub.add_parser("ub", help="the GNC Utility Blocks in schemas/utility-blocks: list, show, docs")
    ub_sub = ub.add_subparsers(dest="ub_command", required=True)
    ub_sub.add_parser("list", help="id, title, trigger and messages of every UB")
    ub_show = ub_sub.add_parser("show", help="every section of one UB")
    ub_show.add_argument("id", help="e.g. UB-SEED-EXIT")
    ub_docs = ub_sub.add_parser(
        "docs", help="one Markdown page per UB (Mermaid sequence diagram, data set) and an index"
    )
    ub_docs.add_argument("--out", default="docs/utility-blocks", help="output folder (default: docs/utility-blocks)")
    ub.set_defaults(fn=_ub)

    asyncapi = sub.add_parser("asyncapi", help="an AsyncAPI 3.0.0 document of the channels, messages and UB operations")
    asyncapi.add_argument("--out", "-o", help="write to a file instead of stdout")
    asyncapi.set_defaults(fn=_asyncapi)

    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    return args.fn(args)


if __name__ == "__main__":
    raise SystemExit(main())
