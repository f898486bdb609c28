"""``seedsim sample export-pair``: a matching export/import declaration pair, to try nodes by hand with curl.

The pair is one consignment of the demo's crossing (Gostun RS -> Dobrakovo
ME), made by the demo's own generator and written as the demo lodges it
(:func:`seedsim.runners.demo.lodged_xml`): the export declaration for the RS
node, the import declaration for the ME node, same UCR, same goods. The
command prints the curl calls that walk the consignment across: lodge the
export, fire PRE_ARRIVAL and EXIT at RS, lodge the import and fire ENTRY at
ME, then read the consignment at ME (matched against the exit data RS sent).
"""

from __future__ import annotations

import json
import random
import shlex
from pathlib import Path
from typing import Annotated

import typer

from seedsim.commands.shared_options import Verbose
from seedsim.commands.terminal import TERMINAL

sample_app = typer.Typer(help="Sample documents for trying a node by hand.", no_args_is_help=True)


@sample_app.command("export-pair")
def export_pair(
    seed: Annotated[
        int | None,
        typer.Option(help="Random seed: the same seed writes the same pair.", show_default="a new one each time"),
    ] = None,
    out: Annotated[Path, typer.Option(help="Folder to write the two files in.")] = Path("seedsim-samples"),
    exit_node: Annotated[
        str, typer.Option(help="Base URL of the RS node, for the curl commands (docker compose publishes it on 8001).")
    ] = "http://localhost:8001",
    entry_node: Annotated[
        str, typer.Option(help="Base URL of the ME node, for the curl commands (docker compose publishes it on 8002).")
    ] = "http://localhost:8002",
    verbose: Verbose = False,
) -> int:
    """Write a matching export (RS) / import (ME) declaration pair and print the curl calls to try them."""
    TERMINAL.set_verbose(verbose)
    from seedsim.runners.demo import lodged_xml
    from seedsim.samples.consignments import ConsignmentGenerator
    from seedsim.samples.crossings import DEMO_CROSSINGS

    seed = random.randrange(1_000_000) if seed is None else seed
    crossing = DEMO_CROSSINGS[0]
    # the seed tags the references too, so pairs of different seeds never share an LRN at a node
    c = ConsignmentGenerator(seed, crossing, run=f"{seed % 0x10000:04X}").make(1)
    exit_c, entry_c = crossing.exit_office[:2], crossing.entry_office[:2]
    export_xml, import_xml = lodged_xml(c)
    out.mkdir(parents=True, exist_ok=True)
    export_path, import_path = out / f"export-{exit_c}.xml", out / f"import-{entry_c}.xml"
    export_path.write_bytes(export_xml)
    import_path.write_bytes(import_xml)

    def lodge(url: str, path: Path) -> str:
        return (
            f"curl -s -X POST {url}/declarations -H 'content-type: application/xml'"
            f" --data-binary @{shlex.quote(str(path))}"
        )

    def event(url: str, **body: str) -> str:
        return f"curl -s -X POST {url}/events -H 'content-type: application/json' -d {shlex.quote(json.dumps(body))}"

    x, e = exit_node.rstrip("/"), entry_node.rstrip("/")
    say = TERMINAL.line
    say(f"a matching declaration pair (seed {seed}), consignment {c.ucr}, crossing {crossing.name}:")
    say(f"  {export_path}  export declaration for {exit_c}: LRN {c.export.lrn}, office of exit {crossing.exit_office}")
    say(f"  {import_path}  import declaration for {entry_c}: LRN {c.import_.lrn}, office {crossing.entry_office}")
    say("")
    say(f"try it on two nodes that share a Kafka broker (docker compose up: {exit_c} at {x}, {entry_c} at {e}):")
    for line in [
        f"# 1. lodge the export at {exit_c}: it issues an MRN",
        lodge(x, export_path),
        f"# 2. pre-arrival and exit at {crossing.exit_office}: {exit_c} sends the exit data to {entry_c}",
        event(
            x,
            event="PRE_ARRIVAL",
            consignment=c.ucr,
            office=crossing.exit_office,
            entry_office=crossing.entry_office,
        ),
        event(x, event="EXIT", consignment=c.ucr, office=crossing.exit_office, entry_office=crossing.entry_office),
        f"# 3. lodge the import at {entry_c}, then entry at {crossing.entry_office}: {entry_c} matches it with the exit data",
        lodge(e, import_path),
        event(e, event="ENTRY", consignment=c.ucr, office=crossing.entry_office),
        f"# 4. where the consignment stands at {entry_c} (the messages, and any alert)",
        f"curl -s {e}/consignments/{c.ucr}",
    ]:
        say(f"  {line}")
    return 0
