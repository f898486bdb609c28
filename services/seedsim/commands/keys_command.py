"""``seedsim keys init|rotate|revoke|show``: a network's signing keys and its trust list.

Every message between nodes is signed by its sender (:mod:`seedsim.core.message_signing`); the
trust list says which public key signs for which node, and when (:mod:`seedsim.core.trust_list`).
``init DIR --nodes AL,BA,...`` makes a keys folder: ``DIR/trust-list.json`` and one private key per
node in ``DIR/private/<kid>.pem`` (mode 0600). Each node is then started with the trust list and its
own key (``seedsim node --trust-list DIR/trust-list.json --signing-key DIR/private/<kid>.pem``; or the
folder ``DIR/private``, from which it takes its newest valid key). ``rotate NODE`` adds a new key and
ends the node's current one after an overlap (7 days by default), during which both are accepted;
``revoke KID`` refuses a key from now on; ``show`` prints the list. Running nodes read a changed trust
list when they meet a key id they do not know; a revocation takes effect when a node restarts or reads
the list again.

An integrator's own system joins by adding its public key to the trust list: an entry with its node
id, a key id, the Ed25519 public key as a JWK ``x`` (base64url of the 32 raw bytes), and validity
dates; ``show --json`` prints the list in its file's form.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from seedsim.core.trust_list import TrustList

from seedsim.commands import preflight
from seedsim.commands.terminal import TERMINAL, is_terminal

keys_app = typer.Typer(help="A network's signing keys and trust list.", no_args_is_help=True)

Folder = Annotated[Path, typer.Argument(help="The keys folder (trust-list.json and private/).", show_default=False)]
FolderOption = Annotated[
    Path, typer.Option("--keys", envvar="SEEDSIM_KEYS", help="The keys folder (trust-list.json and private/).")
]
DEFAULT_FOLDER = Path("keys")


def _node_ids(value: str) -> list[str]:
    nodes = [n.strip().upper() for n in value.split(",") if n.strip()]
    if not nodes:
        raise preflight.Refused("--nodes names no node: give the network's node ids, e.g. --nodes AL,BA,ME,MK,RS,XK")
    if len(set(nodes)) != len(nodes):
        raise preflight.Refused(f"--nodes names a node twice: {value}")
    return nodes


def _trust_list(folder: Path) -> TrustList:
    from seedsim.core.network_keys import TRUST_LIST_FILE
    from seedsim.core.trust_list import TrustList, TrustListError

    if not (folder / TRUST_LIST_FILE).is_file():
        raise preflight.Refused(
            f"{folder}: no trust list there (make one with `seedsim keys init {folder} --nodes ...`)"
        )
    try:
        return TrustList.load(folder / TRUST_LIST_FILE)
    except TrustListError as exc:
        raise preflight.Refused(str(exc)) from None


@keys_app.command("init")
def init(
    folder: Folder,
    nodes: Annotated[str, typer.Option("--nodes", help="The network's node ids: AL,BA,ME,MK,RS,XK,RS-NPPO,...")],
) -> int:
    """Make a keys folder: a key pair per node and the trust list naming their public keys."""
    from seedsim.core.network_keys import PRIVATE_DIR, TRUST_LIST_FILE, init_folder

    ids = _node_ids(nodes)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise preflight.Refused(f"{folder} already exists and is not empty: choose a new folder (or rotate keys in it)")
    try:
        trust = init_folder(folder, ids)
    except (FileExistsError, OSError) as exc:
        raise preflight.Refused(f"cannot make {folder}: {exc}") from None
    TERMINAL.line(f"made {len(trust.keys)} key(s) in {folder}: {folder / TRUST_LIST_FILE}, private keys in "
                  f"{folder / PRIVATE_DIR} (0600: give each node its own only)")  # fmt: skip
    for key in sorted(trust.keys.values(), key=lambda k: k.node):
        TERMINAL.line(f"  {key.node}: {key.kid} valid to {key.not_after:%Y-%m-%d}")
    return 0


@keys_app.command("rotate")
def rotate(
    node: Annotated[str, typer.Argument(help="The node that gets a new key.", show_default=False)],
    keys: FolderOption = DEFAULT_FOLDER,
    overlap: Annotated[
        str, typer.Option(help="How long the node's current key stays valid: 7d, 12h, ...", callback=preflight.duration)
    ] = "7d",
) -> int:
    """Give a node a new key; its current one stays valid for the overlap, then ends."""
    from seedsim.core.network_keys import rotate as rotate_key
    from seedsim.core.trust_list import TrustListError

    _trust_list(keys)
    until = datetime.now(UTC) + timedelta(seconds=preflight.duration_seconds(overlap))
    try:
        entry = rotate_key(keys, node.upper(), timedelta(seconds=preflight.duration_seconds(overlap)))
    except TrustListError as exc:
        raise preflight.Refused(str(exc)) from None
    TERMINAL.line(f"{entry.node}: new key {entry.kid} (private key {keys / 'private' / (entry.kid + '.pem')});")
    TERMINAL.line(
        f"  its previous key(s) stay valid until {until:%Y-%m-%d %H:%M}Z: deploy the new key and trust list by then"
    )
    return 0


@keys_app.command("revoke")
def revoke(
    node: Annotated[str, typer.Argument(help="The node whose key is revoked.", show_default=False)],
    kid: Annotated[
        str, typer.Argument(help="The key id to revoke (seedsim keys show lists them).", show_default=False)
    ],
    keys: FolderOption = DEFAULT_FOLDER,
    reason: Annotated[
        str | None, typer.Option(help="Why (kept in the trust list).", show_default="no reason kept")
    ] = None,
) -> int:
    """Revoke a key: every message signed with it is refused from now on, whatever its dates."""
    from seedsim.core.network_keys import revoke as revoke_key

    trust = _trust_list(keys)
    key = trust.keys.get(kid)
    if key is None or key.node != node.upper():
        known = ", ".join(k.kid for k in trust.of_node(node.upper())) or "none"
        raise preflight.Refused(f"{node.upper()} has no key {kid!r} in {keys} (its keys: {known})")
    if key.revoked is not None:
        raise preflight.Refused(f"key {kid} was already revoked on {key.revoked:%Y-%m-%d %H:%M}Z")
    revoke_key(keys, kid, reason)
    TERMINAL.line(
        f"{node.upper()}: key {kid} revoked; running nodes refuse it within a second or two (they read the trust list file again when it changes)"
    )
    return 0


@keys_app.command("show")
def show(
    keys: FolderOption = DEFAULT_FOLDER,
    as_json: Annotated[bool, typer.Option("--json", help="Print the trust list in its file's form.")] = False,
) -> int:
    """Print the trust list: each key's node, id, validity and state."""
    trust = _trust_list(keys)
    if as_json:
        TERMINAL.line(json.dumps(trust.to_json(), indent=2))
        return 0
    from rich.table import Table

    now = datetime.now(UTC)
    table = Table(title=f"trust list {trust.path}")
    for column in ("node", "key id", "not before", "not after", "state", "public key (x)"):
        table.add_column(column)
    for key in sorted(trust.keys.values(), key=lambda k: (k.node, k.not_before)):
        state = (
            f"revoked {key.revoked:%Y-%m-%d}"
            if key.revoked
            else "valid"
            if key.valid_at(now)
            else ("expired" if key.not_after < now else "not yet valid")
        )
        x = key.to_json()["x"]
        table.add_row(
            key.node, key.kid, f"{key.not_before:%Y-%m-%d %H:%M}", f"{key.not_after:%Y-%m-%d %H:%M}", state, x
        )
    from rich.console import Console

    out = TERMINAL.console(sys.stdout) if is_terminal(sys.stdout) else Console(file=sys.stdout, width=200)
    out.print(table)
    return 0
