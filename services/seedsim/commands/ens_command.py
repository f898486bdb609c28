"""``seedsim ens``: exit data to and from the EU entry summary declaration (ICS1 IE315/IE313).

``seedsim ens from-export EXPORT.xml --entry-office HU403000`` writes the IE315 (``CC315A``) an EU
office of first entry would receive for a SEED+ node's exit data (a WCO DM export Declaration, as
``seedsim sample export-pair`` writes one); ``--amends MRN`` writes the IE313 amendment of the ENS
registered under that MRN instead. ``seedsim ens to-export ENS.xml`` reads an IE315 or IE313 (bare
or in a SOAP envelope) and writes the exit data it carries. The mapping is
:mod:`seedsim.converters.ics_ens`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from seedsim.commands import preflight
from seedsim.commands.shared_options import Verbose
from seedsim.commands.terminal import TERMINAL

ens_app = typer.Typer(
    help="Exit data to and from the EU entry summary declaration (ICS1 IE315 lodgement, IE313 amendment).",
    no_args_is_help=True,
)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise preflight.Refused(f"cannot read {path}: {exc.strerror or exc}") from None


def _write(data: bytes, out: Path | None) -> None:
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise preflight.Refused(f"cannot write {out}: {exc.strerror or exc}") from None
    TERMINAL.note(f"wrote {out}")


def _office(value: str) -> str:
    """A customs office reference number of a known country, e.g. HU403000."""
    from seedsim.config import known_country
    from seedsim.core.identifiers import is_valid_office

    if not is_valid_office(value):
        raise typer.BadParameter(f"{value!r} is not a customs office reference number (country + 6 characters)")
    try:
        known_country(value[:2])
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    return value


OutFile = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write the document to this file. Default: stdout.", show_default=False),
]


@ens_app.command("from-export")
def from_export(
    export: Annotated[Path, typer.Argument(help="The exit data: a WCO DM export Declaration (ExportData).")],
    entry_office: Annotated[
        str,
        typer.Option(help="The EU office of first entry (CUSOFFFENT730), e.g. HU403000.", callback=_office),
    ],
    amends: Annotated[
        str | None,
        typer.Option(
            help="Write the IE313 amending the ENS with this MRN instead of an IE315.", show_default="an IE315"
        ),
    ] = None,
    out: OutFile = None,
    verbose: Verbose = False,
) -> int:
    """Write the entry summary declaration (IE315, or IE313 with --amends) for exit data."""
    TERMINAL.set_verbose(verbose)
    from datetime import UTC, datetime

    from seedsim.converters.ics_ens import as_amendment, ens_of_export, write_ens
    from seedsim.core.xml_safety import parse_untrusted
    from seedsim.messages.seed import read_declaration

    try:
        declaration = read_declaration(parse_untrusted(_read(export)))
    except Exception as exc:  # not XML, or no Declaration: a user's file, said in one line
        raise preflight.Refused(f"{export} is not a WCO DM export Declaration: {exc}") from None
    if declaration.kind != "export":
        raise preflight.Refused(
            f"{export} holds {declaration.kind or 'unknown'} data (TypeCode {declaration.type_code}): "
            "give exit data, an export Declaration (TypeCode EX...)"
        )
    ens = ens_of_export(declaration, entry_office)
    if amends:
        ens = as_amendment(ens, amends, datetime.now(UTC))
    _write(write_ens(ens), out)
    return 0


@ens_app.command("to-export")
def to_export(
    ens_file: Annotated[Path, typer.Argument(help="An IE315 (CC315A) or IE313 (CC313A), bare or in a SOAP envelope.")],
    out: OutFile = None,
    verbose: Verbose = False,
) -> int:
    """Write the exit data (a WCO DM Declaration) an entry summary declaration carries."""
    TERMINAL.set_verbose(verbose)
    from seedsim.converters.ics_ens import read_ens
    from seedsim.messages.seed import write_declaration

    try:
        ens = read_ens(_read(ens_file))
    except preflight.Refused:
        raise
    except Exception as exc:
        raise preflight.Refused(f"{ens_file} is not an entry summary declaration: {exc}") from None
    _write(write_declaration(ens.declaration()), out)
    return 0
