"""A network's keys as a node (or a runner) holds them: the trust list, and the private keys it may sign with.

Three ways to have them:

* a **keys folder** made by ``seedsim keys init DIR``: ``DIR/trust-list.json`` and ``DIR/private/<kid>.pem``
  (PKCS#8 PEM, mode 0600), one per key; a node is handed the trust list and its own key (file) or the
  folder of private keys (it signs with its newest key valid now whose PEM is there);
* the **development keyring**, :func:`development_keys`: made in memory the first time a process asks,
  with a key minted for any node on first use (an Ed25519 key pair takes microseconds). Every in-process
  network of the process (``seedsim demo``, ``seedsim run``, the UB player, the workshop, the tests)
  shares it, so a runner that sends in a node's name signs with the same key the nodes trust. It is for
  one process only: nodes in other processes cannot verify it;
* **unsigned** (:meth:`NetworkKeys.unsigned`): nothing signed, nothing verified. Only for measuring what
  signing costs (tests/benchmarks/bench_signing.py); the configuration refuses it outside the
  in-process bus.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

from seedsim.core.envelope import SOURCE_PREFIX
from seedsim.core.message_signing import DEFAULT_SKEW, Headers, SignatureCheck, Signer, parse_time, verify
from seedsim.core.transport.port import Record
from seedsim.core.trust_list import TrustedKey, TrustList, TrustListError, raw_public

TRUST_LIST_FILE = "trust-list.json"
PRIVATE_DIR = "private"
#: the file that marks a keys folder made for development (a node adds its own key there when it has none)
DEVELOPMENT_MARK = "DEVELOPMENT-ONLY.txt"
_DEVELOPMENT_TEXT = """DEVELOPMENT KEYS: made by a seedsim node on its first start, because it was given no keys.
Every private key of the network is in private/, readable by whoever reads this folder: this network's
signatures prove nothing outside a development machine. For a real network, make each node's key with
`seedsim keys init` (or your own tooling), give each node only its own private key, and share the
trust list (trust-list.json).
"""
#: how long a key made by ``seedsim keys`` is valid, and how long an old one stays valid after a rotation
KEY_LIFETIME = timedelta(days=365)
ROTATION_OVERLAP = timedelta(days=7)


def new_kid(node: str, at: datetime) -> str:
    return f"{node}-{at:%Y%m%d}-{secrets.token_hex(4)}"


def new_key(node: str, at: datetime, lifetime: timedelta = KEY_LIFETIME) -> tuple[TrustedKey, Ed25519PrivateKey]:
    """A fresh Ed25519 key pair for ``node``, valid from ``at`` (a minute earlier: clocks differ) for ``lifetime``."""
    private = Ed25519PrivateKey.generate()
    entry = TrustedKey(node, new_kid(node, at), private.public_key(), at - timedelta(minutes=1), at + lifetime)
    return entry, private


def private_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())


def write_private(folder: Path, kid: str, key: Ed25519PrivateKey) -> Path:
    """``folder/<kid>.pem``, created readable by its owner only (0600) before a byte is written."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{kid}.pem"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(private_pem(key))
    return path


def read_private(path: Path) -> Ed25519PrivateKey:
    try:
        key = load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise TrustListError(f"no signing key at {path}") from None
    except (OSError, ValueError, TypeError) as exc:
        raise TrustListError(f"{path} is not an unencrypted PEM private key: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise TrustListError(f"{path} is not an Ed25519 key (seedsim signs with EdDSA/Ed25519)")
    return key


@dataclass
class NetworkKeys:
    """The trust list a node verifies with, and the private keys it may sign with (by key id)."""

    trust: TrustList
    private: dict[str, Ed25519PrivateKey] = field(default_factory=dict)
    #: the development keyring: a node without a key gets one minted (in memory) when it first signs
    development: bool = False
    #: False: sign nothing, verify nothing (the benchmark's comparison only)
    signing: bool = True

    @classmethod
    def unsigned(cls) -> NetworkKeys:
        return cls(TrustList(), signing=False)

    @classmethod
    def load(cls, trust_list: Path, signing_key: Path | None = None, node: str | None = None) -> NetworkKeys:
        """The trust list file, and a private key file or a folder of them (``<kid>.pem``) when the node signs: of a
        folder, only the keys of ``node`` are held (all of them when None: a runner that signs in any node's name)."""
        keys = cls(TrustList.load(trust_list))
        folder = signing_key is not None and signing_key.is_dir()
        paths = sorted(signing_key.glob("*.pem")) if signing_key and folder else [signing_key]
        for path in (p for p in paths if p is not None):
            private = read_private(path)
            raw = raw_public(private.public_key())
            key = next((k for k in keys.trust.keys.values() if raw_public(k.public_key) == raw), None)
            if key is None and not folder:
                raise TrustListError(
                    f"the signing key {path} is not in the trust list {trust_list}: add its public key there "
                    "(seedsim keys show --json shows the entries)"
                )
            if key is not None and (node is None or key.node == node):
                keys.private[key.kid] = private
        return keys

    @classmethod
    def folder(cls, folder: Path) -> NetworkKeys:
        """A keys folder made by ``seedsim keys init`` (its trust list and every private key in it)."""
        return cls.load(folder / TRUST_LIST_FILE, folder / PRIVATE_DIR)

    def signer(self, node: str, at: datetime | None = None) -> Signer | None:
        """How ``node`` signs now: its newest key valid at ``at`` (now) that is not revoked and whose private key
        is held; None when signing is off. Raises TrustListError when this process holds no such key."""
        if not self.signing:
            return None
        now = at or datetime.now(UTC)
        for key in self.trust.of_node(node):
            if key.kid in self.private and key.revoked is None and key.valid_at(now):
                return Signer(node, key.kid, self.private[key.kid])
        if self.development:
            entry, private = new_key(node, now)
            self.trust.add(entry)
            self.private[entry.kid] = private
            return Signer(node, entry.kid, private)
        raise TrustListError(
            f"no valid signing key of {node} here: give the node its private key (--signing-key) and "
            "check its dates in the trust list (seedsim keys show)"
        )

    def resign(self, record: Record, at: datetime | None = None) -> Record:
        """``record`` signed by its sender (``ce_source``) with this network's keys, whoever signed it when it was
        recorded (another network, or nobody: a trace recorded before messages were signed), so a replayed message
        is checked as this network's. Its ``ce_time`` is kept while it is within ``DEFAULT_SKEW`` of ``at`` (now),
        else it becomes ``at``: a message recorded long ago is sent as sent now. A record from a sender this keyring
        cannot sign for goes as it is."""
        if not self.signing:
            return record
        try:
            signer = self.signer((record.header("ce_source") or "").removeprefix(SOURCE_PREFIX), at)
        except TrustListError:
            return record
        if signer is None:
            return record
        now = at or datetime.now(UTC)
        recorded = parse_time(record.header("ce_time"))
        if recorded is None or abs(now - recorded) > DEFAULT_SKEW:
            stamp = now.astimezone(UTC).isoformat().replace("+00:00", "Z").encode()
            record = replace(record, headers=tuple((k, stamp if k == "ce_time" else v) for k, v in record.headers))
        headers = record.headers
        return signer.sign_record(replace(record, headers=headers))

    def verify(self, headers: Headers, value: bytes, now: datetime, skew: timedelta = DEFAULT_SKEW) -> SignatureCheck:
        if not self.signing:
            return SignatureCheck()
        return verify(headers, value, self.trust, now, skew)


_DEVELOPMENT: NetworkKeys | None = None


def development_keys() -> NetworkKeys:
    """This process's development keyring (see the module docstring), made on first use."""
    global _DEVELOPMENT
    if _DEVELOPMENT is None:
        _DEVELOPMENT = NetworkKeys(TrustList(), development=True)
    return _DEVELOPMENT


# -- a keys folder: what `seedsim keys` makes and changes ---------------------------------------------------------


def init_folder(folder: Path, nodes: list[str], at: datetime | None = None, development: bool = False) -> TrustList:
    """A new keys folder: one key per node (``private/<kid>.pem``, 0600) and the trust list naming them all.

    Made in a temporary folder beside it and renamed into place, so two processes making the same folder at once
    (nodes started together on a development network) end with one of them, whole. Raises FileExistsError when
    ``folder`` already holds a trust list."""
    now = at or datetime.now(UTC)
    if (folder / TRUST_LIST_FILE).exists():
        raise FileExistsError(f"{folder} already holds a trust list")
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    trust = TrustList()
    for node in nodes:
        entry, private = new_key(node, now)
        trust.add(entry)
        write_private(staging / PRIVATE_DIR, entry.kid, private)
    trust.save(staging / TRUST_LIST_FILE)
    if development:
        (staging / DEVELOPMENT_MARK).write_text(_DEVELOPMENT_TEXT, encoding="utf-8")
    os.chmod(staging, 0o755)
    if folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()  # an empty folder given by the user (or a compose volume's mount point) is filled
    try:
        os.rename(staging, folder)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        raise FileExistsError(f"{folder} already exists (made meanwhile, or not empty)") from None
    return TrustList.load(folder / TRUST_LIST_FILE)


def rotate(folder: Path, node: str, overlap: timedelta = ROTATION_OVERLAP, at: datetime | None = None) -> TrustedKey:
    """A new key for ``node`` in the folder; its current keys stay valid ``overlap`` longer (no longer than they
    were), so messages signed with either are accepted until every node has the new trust list."""
    now = at or datetime.now(UTC)
    trust = TrustList.load(folder / TRUST_LIST_FILE)
    current = [k for k in trust.of_node(node) if k.revoked is None and k.valid_at(now)]
    if not current and not trust.of_node(node):
        raise TrustListError(f"{node} has no key in {folder / TRUST_LIST_FILE}: rotate a node of the list")
    entry, private = new_key(node, now)
    for old in current:
        trust.keys[old.kid] = replace(old, not_after=min(old.not_after, now + overlap))
    trust.add(entry)
    write_private(folder / PRIVATE_DIR, entry.kid, private)
    trust.save()
    return entry


def ensure_node(folder: Path, node: str, at: datetime | None = None) -> bool:
    """``node`` has a key in the keys folder (one is added when it has none; True then). Under a lock on the
    folder, so nodes starting together on a development network do not overwrite each other's additions."""
    import fcntl

    with open(folder / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        trust = TrustList.load(folder / TRUST_LIST_FILE)
        if trust.of_node(node):
            return False
        entry, private = new_key(node, at or datetime.now(UTC))
        trust.add(entry)
        write_private(folder / PRIVATE_DIR, entry.kid, private)
        trust.save()
        return True


def revoke(folder: Path, kid: str, reason: str | None = None, at: datetime | None = None) -> TrustedKey:
    trust = TrustList.load(folder / TRUST_LIST_FILE)
    key = trust.revoke(kid, at or datetime.now(UTC), reason)
    trust.save()
    return key
