"""The network's trust list: which public key may sign for which node, and when.

Every node signs what it sends to another node's inbox (:mod:`seedsim.core.message_signing`); the
receiver finds the signer's public key here, by the key id (``kid``) the signature names. One entry
per key, never per node, so a node can have two keys at once while it rotates:

* ``node`` -- the node the key signs for (``RS``, ``RS-NPPO``); a key signs for that node only;
* ``kid`` -- the key id, unique in the list (``seedsim keys`` makes ``<node>-<yyyymmdd>-<8 hex>``);
* ``kty``/``crv``/``x`` -- the Ed25519 public key as an RFC 8037 JWK (``OKP``, ``Ed25519``, the 32 raw
  bytes in unpadded base64url), the form JOSE libraries read and write;
* ``not_before``/``not_after`` -- the key's validity (RFC 3339, UTC); a rotated key stays valid until
  the new one has been deployed everywhere (the overlap), and both are accepted meanwhile;
* ``revoked`` -- when the key was revoked (null: it is not); a revoked key is refused whatever the dates
  (``reason`` says why).

The file is JSON (``{"format": "seedsim-trust-list/1", "keys": [...]}``), written atomically. A
:class:`TrustList` loaded from a file reads it again when it has changed (its modification time or
size), so a key added by an integrator, rotated or revoked (``seedsim keys rotate|revoke``) is taken
by running nodes without a restart: a key id it does not hold makes it look at once, and otherwise it
looks at most every :data:`RELOAD_EVERY_S` seconds (one ``stat``; a message costs a clock reading), so
a revocation takes effect within that. A file that has become unreadable or is no longer a valid trust
list does not replace the last good one: that stays in use, and :attr:`TrustList.problem` says why
(a node's ``/health`` answers 503 with it), until the file is valid again. Refusing every message
instead would let a typo in a shared file stop the whole network; the last good list still refuses
every key it did not trust.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

FORMAT = "seedsim-trust-list/1"
#: how often, at most, a trust list read from a file looks whether the file changed (seconds)
RELOAD_EVERY_S = 1.0


class TrustListError(ValueError):
    """A trust list file that cannot be read; the reason says which entry and field."""


def b64url(data: bytes) -> str:
    """Unpadded base64url (RFC 7515 section 2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def rfc3339(t: datetime) -> str:
    return t.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _time(value: Any, what: str) -> datetime:
    try:
        t = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise TrustListError(f"{what} {value!r} is not an RFC 3339 time") from None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


@dataclass(frozen=True)
class TrustedKey:
    """One public key of the trust list (see the module docstring for the fields)."""

    node: str
    kid: str
    public_key: Ed25519PublicKey
    not_before: datetime
    not_after: datetime
    revoked: datetime | None = None
    reason: str | None = None

    def valid_at(self, t: datetime) -> bool:
        return self.not_before <= t <= self.not_after

    def to_json(self) -> dict[str, Any]:
        return {
            "node": self.node,
            "kid": self.kid,
            "kty": "OKP",
            "crv": "Ed25519",
            "x": b64url(raw_public(self.public_key)),
            "not_before": rfc3339(self.not_before),
            "not_after": rfc3339(self.not_after),
            "revoked": rfc3339(self.revoked) if self.revoked else None,
            **({"reason": self.reason} if self.reason else {}),
        }

    @classmethod
    def from_json(cls, entry: Any, where: str) -> TrustedKey:
        if not isinstance(entry, dict):
            raise TrustListError(f"{where} is not an object")
        missing = [k for k in ("node", "kid", "x", "not_before", "not_after") if not entry.get(k)]
        if missing:
            raise TrustListError(f"{where} lacks {', '.join(missing)}")
        if entry.get("kty", "OKP") != "OKP" or entry.get("crv", "Ed25519") != "Ed25519":
            raise TrustListError(f"{where}: only Ed25519 keys (kty OKP, crv Ed25519) are supported")
        try:
            public = Ed25519PublicKey.from_public_bytes(b64url_decode(str(entry["x"])))
        except ValueError:
            raise TrustListError(f"{where}: x is not a base64url Ed25519 public key (32 bytes)") from None
        revoked = entry.get("revoked")
        return cls(
            node=str(entry["node"]),
            kid=str(entry["kid"]),
            public_key=public,
            not_before=_time(entry["not_before"], f"{where} not_before"),
            not_after=_time(entry["not_after"], f"{where} not_after"),
            revoked=_time(revoked, f"{where} revoked") if revoked else None,
            reason=entry.get("reason"),
        )


class TrustList:
    """The keys a network trusts, by key id; loaded from (and saved to) a file, or held in memory."""

    def __init__(
        self, keys: Iterable[TrustedKey] = (), path: Path | None = None, reload_every: float = RELOAD_EVERY_S
    ) -> None:
        self.keys: dict[str, TrustedKey] = {}
        self.path = path
        self.reload_every = reload_every
        #: why the file's current content is not in use (None: it is, or there is no file)
        self.problem: str | None = None
        self._stamp: tuple[int, int] | None = None
        self._seen: tuple[int, int] | None = None
        self._looked = time.monotonic()
        for k in keys:
            self.add(k)

    def add(self, key: TrustedKey) -> None:
        if key.kid in self.keys:
            raise TrustListError(f"key id {key.kid!r} is already in the trust list")
        self.keys[key.kid] = key

    def get(self, kid: str) -> TrustedKey | None:
        """The key ``kid`` as the file says now (see :meth:`refresh`; an unknown id looks at the file at once)."""
        self.refresh(now=kid not in self.keys)
        return self.keys.get(kid)

    def of_node(self, node: str) -> list[TrustedKey]:
        """``node``'s keys, the one valid longest first."""
        self.refresh()
        return sorted((k for k in self.keys.values() if k.node == node), key=lambda k: k.not_after, reverse=True)

    def revoke(self, kid: str, at: datetime, reason: str | None = None) -> TrustedKey:
        key = self.keys.get(kid)
        if key is None:
            raise TrustListError(f"no key {kid!r} in the trust list")
        self.keys[kid] = replace(key, revoked=at, reason=reason or key.reason)
        return self.keys[kid]

    # -- the file --------------------------------------------------------------------------------

    def _file_stamp(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.path) if self.path else None
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size) if st else None

    def refresh(self, now: bool = False) -> None:
        """Read the file again if it changed since it was last looked at; it is looked at when ``now`` or when
        ``reload_every`` seconds have passed. A file that cannot be read or is not a valid trust list leaves the
        keys as they were and sets :attr:`problem`; a valid one clears it. Never raises."""
        if self.path is None:
            return
        clock = time.monotonic()
        if not now and clock - self._looked < self.reload_every:
            return
        self._looked = clock
        stamp = self._file_stamp()
        if stamp == self._seen:
            return
        self._seen = stamp
        try:
            self._read()
        except TrustListError as exc:
            self.problem = f"{exc}; the trust list read before is still in use"
        else:
            self.problem = None

    def _read(self) -> None:
        assert self.path is not None
        stamp = self._file_stamp()
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise TrustListError(f"no trust list at {self.path}: make one with `seedsim keys init`") from None
        except (OSError, ValueError) as exc:
            raise TrustListError(f"the trust list {self.path} is not readable JSON: {exc}") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("keys"), list):
            raise TrustListError(f"{self.path} is not a trust list ({{'format': '{FORMAT}', 'keys': [...]}})")
        keys: dict[str, TrustedKey] = {}
        for n, entry in enumerate(data["keys"]):
            key = TrustedKey.from_json(entry, f"{self.path} key #{n + 1}")
            if key.kid in keys:
                raise TrustListError(f"{self.path}: key id {key.kid!r} appears twice")
            keys[key.kid] = key
        self.keys, self._stamp, self._seen = keys, stamp, stamp

    @classmethod
    def load(cls, path: Path) -> TrustList:
        trust = cls(path=path)
        trust._read()
        return trust

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "keys": [k.to_json() for k in sorted(self.keys.values(), key=_order)]}

    def save(self, path: Path | None = None) -> Path:
        """Write the list to ``path`` (default: where it was read from) atomically: a reader sees the old or the new."""
        target = path or self.path
        if target is None:
            raise TrustListError("the trust list has no file to be saved to")
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".trust-list-", dir=target.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(self.to_json(), f, indent=2)
            f.write("\n")
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
        self.path, self._stamp = target, self._file_stamp()
        self._seen = self._stamp
        return target


def _order(key: TrustedKey) -> tuple[str, datetime, str]:
    return key.node, key.not_before, key.kid
