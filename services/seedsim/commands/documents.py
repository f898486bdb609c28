"""Commands about documents rather than running nodes: ``validate``, ``ub list|show|docs``, ``asyncapi``.

``validate`` is the conformance check an integrator points at their own
system's output (:mod:`seedsim.conformance`); ``ub`` reads the GNC Utility
Blocks seedsim acts on; ``asyncapi`` describes the channels and messages for
API tooling. Their reports go to stdout (or a file) for programs, so progress
goes to stderr.
"""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from seedsim.commands import preflight
from seedsim.commands.shared_options import Verbose
from seedsim.commands.terminal import TERMINAL

Output = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write the report to this file. Default: stdout.", show_default=False),
]


class ReportFormat(str, Enum):
    text = "text"
    json = "json"
    junit = "junit"


class JudgedAs(str, Enum):
    """Where ``seedsim validate`` stands: a document on its own (as exchanged data), or a customs lodging desk."""

    document = "document"
    lodging = "lodging"


def validate(
    paths: Annotated[
        list[str], typer.Argument(help="Documents to check: files, folders (every *.xml below) and glob patterns.")
    ],
    format: Annotated[
        ReportFormat, typer.Option(help="text for people, json for scripts, junit for CI pipelines.")
    ] = ReportFormat.text,
    output: Output = None,
    as_: Annotated[
        JudgedAs,
        typer.Option(
            "--as",
            help="document: each on its own, a WCO document as exchanged data from the country its MetaData names;"
            " lodging: declarations as a customs node's lodging desk judges them before it issues the MRN"
            " (national schema, lodging rules; other documents on their own).",
        ),
    ] = JudgedAs.document,
    country: Annotated[
        str | None,
        typer.Option(
            callback=preflight.country_code,
            help="With --as lodging: the lodging desk's country.",
            show_default="the country the document's MetaData names",
        ),
    ] = None,
    national_schema: Annotated[
        str | None,
        typer.Option(
            callback=lambda v: None if v is None else preflight.national_schema(v),
            help="With --as lodging: the XSD declarations are lodged against (a path under schemas/ or a file).",
            show_default="a customs node's: wco/seedsim_metadata.xsd",
        ),
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            envvar="SEEDSIM_JOBS",
            min=1,
            help="Worker processes validating at once when there are many files (256 or more);"
            " 1 validates them all in this process. The report is the same either way.",
            show_default="one per core",
        ),
    ] = None,
    verbose: Verbose = False,
) -> int:
    """Validate documents against their schema and business rules; exit 0 only when all are valid."""
    TERMINAL.set_verbose(verbose)
    from seedsim.conformance import FORMATS, LodgingDesk, expand, validate_files

    if as_ is not JudgedAs.lodging and (country or national_schema):
        raise preflight.Refused("--country and --national-schema are the lodging desk's: add --as lodging")
    lodging = None
    if as_ is JudgedAs.lodging:
        lodging = LodgingDesk(country=country) if national_schema is None else LodgingDesk(national_schema, country)
    files = expand(paths)
    if not files:
        TERMINAL.error("no documents found at " + " ".join(paths))
        return 2
    with TERMINAL.progress("files validated", stream=sys.stderr) as progress:
        reports = validate_files(files, jobs, lodging, progress)
    text = FORMATS[format.value](reports)
    if output:
        output.write_text(text + "\n", encoding="utf-8")
    else:
        TERMINAL.line(text)
    return 0 if all(r.valid for r in reports) else 1


def asyncapi(
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write to this file. Default: stdout.", show_default=False)
    ] = None,
    verbose: Verbose = False,
) -> int:
    """Print an AsyncAPI 3.0.0 document of the channels, messages and Utility Block operations."""
    TERMINAL.set_verbose(verbose)
    from seedsim.utility_blocks import UtilityBlockError, load_all
    from seedsim.utility_blocks.asyncapi import asyncapi_document

    try:
        text = json.dumps(asyncapi_document(load_all()), indent=2)  # self-contained: the XSDs travel inside
    except UtilityBlockError as exc:
        TERMINAL.error(str(exc))
        return 2
    if out:
        out.write_text(text + "\n", encoding="utf-8")
    else:
        TERMINAL.line(text)
    return 0


ub_app = typer.Typer(help="The GNC Utility Blocks in schemas/utility-blocks: list, show, docs.", no_args_is_help=True)


def _blocks() -> dict:
    from seedsim.utility_blocks import UtilityBlockError, load_all

    try:
        return load_all()
    except UtilityBlockError as exc:
        from seedsim.commands.preflight import Refused

        raise Refused(str(exc)) from None


@ub_app.command("list")
def ub_list(verbose: Verbose = False) -> int:
    """Id, title, trigger and messages of every Utility Block."""
    TERMINAL.set_verbose(verbose)
    from seedsim.utility_blocks import render

    TERMINAL.line(render.list_text(_blocks()))
    return 0


@ub_app.command("show")
def ub_show(
    id: Annotated[str, typer.Argument(help="The Utility Block, e.g. UB-SEED-EXIT.", show_default=False)],
    verbose: Verbose = False,
) -> int:
    """Every section of one Utility Block."""
    TERMINAL.set_verbose(verbose)
    from seedsim.utility_blocks import render

    blocks = _blocks()
    ub = blocks.get(id.upper())
    if ub is None:
        raise typer.BadParameter(f"no Utility Block {id!r}; known: {', '.join(blocks)}", param_hint="'ID'")
    TERMINAL.line(render.show_text(ub))
    return 0


@ub_app.command("docs")
def ub_docs(
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("docs/utility-blocks"),
    verbose: Verbose = False,
) -> int:
    """One Markdown page per Utility Block (Mermaid sequence diagram, data set) and an index."""
    TERMINAL.set_verbose(verbose)
    from seedsim.utility_blocks import render

    for path in render.write_docs(_blocks(), out):
        TERMINAL.line(str(path))
    return 0
