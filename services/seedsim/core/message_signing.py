"""Signed messages: who sent a message between nodes, proven, and that nobody changed it on the way.

``ce_source`` is only a header: anyone who can write to a node's inbox can claim to be any node. So
every message a node sends to another node's inbox (exchange messages, answers, acknowledgements,
queries) carries a signature by its sender, and the receiver checks it before it does anything else
with the record (before the duplicate check stores its id, before its XML is parsed).

The scheme
    A detached JWS (RFC 7515, compact serialisation with detached content, Appendix F), algorithm
    ``EdDSA`` with an Ed25519 key (RFC 8037), in the CloudEvents extension header ``ce_signature``:
    ``BASE64URL(protected header) + ".." + BASE64URL(signature)``. The protected header is
    ``{"alg":"EdDSA","kid":"<key id>"}``; the key id names an entry of the network's trust list
    (:mod:`seedsim.core.trust_list`), which says which node the key signs for and when.

    The detached content (the JWS payload, never sent: the receiver rebuilds it from the record) is
    the canonical JSON (RFC 8785: keys sorted, no whitespace, UTF-8; every member is a string or
    null) of ``{"attributes": {...}, "sha256": "<hex SHA-256 of the record value>"}``, where the
    attributes are :data:`SIGNED_HEADERS` as they are on the record (null when absent): the ones that
    identify and route a message (``ce_id``, ``ce_source``, ``ce_type``, ``ce_recipient``,
    ``ce_subject``, ``ce_time``), the conversation (``ce_correlationid``, ``ce_causationid``,
    ``ce_trigger``), and what the payload is (``ce_specversion``, ``ce_dataschema``,
    ``content-type``). So no header can be swapped, added or dropped, and not one byte of the value
    changed, without the signature failing. :data:`SIGNED_WHEN_PRESENT` (``ce_seedsimubs``, the
    Utility Blocks a message belongs to) is a member of the attributes only when the record carries
    it: a signer that never sends it (an external integrator's system) signs the same content as
    before, and a value changed or dropped on the way fails the signature (the signer's content had
    it, the receiver's has not). ``traceparent``/``tracestate`` are not signed (tracing
    may be rewritten on the way); a signed header repeated on a record is refused, so a reader cannot
    be made to read a value other than the signed one.

Why not XMLDSig, as AS4 (eDelivery) signs
    An enveloped XML signature changes the payload: the record value would no longer be the
    byte-identical document the XSDs, the samples and the traces describe, and every reader would
    need XML canonicalisation (C14N) to check it. A detached JWS in a header leaves the value alone,
    is the Kafka-native form (an attribute of the event, as the CloudEvents binding carries
    attributes), signs the routing headers too (XMLDSig would not cover them), and costs a hash and
    one Ed25519 operation (tens of microseconds: see tests/benchmarks/bench_signing.py).

The checks, in order, and their rules (the :class:`SignatureCheck` says whether the claimed sender
may be answered: only when the signature is proven to be by a key of that sender)
    F310 no ``ce_signature``; F311 a JWS that cannot be read, or not EdDSA; F312 a key id the trust
    list does not hold; F313 a key of another node than ``ce_source``; F314 a revoked key; F315 the
    signature does not match the record (changed payload or header); F316 the key is not valid now
    (expired, not yet valid): answered; F317 ``ce_time`` outside the accepted window (clock skew)
    around the receiver's clock: answered. F310 to F315 are dead-lettered without an answer: a
    negative acknowledgement to a source that is not proven would let forgeries make nodes send to
    any inbox.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from seedsim.core.envelope import SOURCE_PREFIX, UBS_HEADER
from seedsim.core.transport.port import Record
from seedsim.core.trust_list import TrustList, b64url, b64url_decode
from seedsim.core.validation import Issue

#: the CloudEvents extension attribute that carries the signature
SIGNATURE_HEADER = "ce_signature"
#: the attributes the signature covers, in the canonical content (null when a record has none)
SIGNED_HEADERS = (
    "ce_specversion",
    "ce_id",
    "ce_source",
    "ce_type",
    "ce_recipient",
    "ce_subject",
    "ce_time",
    "ce_correlationid",
    "ce_causationid",
    "ce_trigger",
    "ce_dataschema",
    "content-type",
)
#: attributes the signature covers when the record carries them, left out of the canonical content otherwise
SIGNED_WHEN_PRESENT = (UBS_HEADER,)
ALG = "EdDSA"
#: the window around the receiver's clock a message's ce_time must fall in, by default
DEFAULT_SKEW = timedelta(minutes=5)

Headers = Sequence[tuple[str, bytes]]


def signed_content(headers: Headers, value: bytes) -> bytes:
    """The detached JWS payload: the canonical JSON of the signed attributes and the value's SHA-256.

    Raises ValueError when a signed attribute is repeated or not UTF-8 (no single value to sign)."""
    attributes: dict[str, str | None] = dict.fromkeys(SIGNED_HEADERS)
    seen: set[str] = set()
    for name, raw in headers:
        if name in attributes or name in SIGNED_WHEN_PRESENT:
            if name in seen:
                raise ValueError(f"header {name} appears twice")
            seen.add(name)
            attributes[name] = bytes(raw).decode("utf-8")
    content = {"attributes": attributes, "sha256": hashlib.sha256(value).hexdigest()}
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _protected(kid: str) -> str:
    return b64url(json.dumps({"alg": ALG, "kid": kid}, separators=(",", ":")).encode("utf-8"))


@dataclass(frozen=True)
class Signer:
    """A node's private key, named by its key id in the trust list."""

    node: str
    kid: str
    private_key: Ed25519PrivateKey

    def signature(self, headers: Headers, value: bytes) -> str:
        """The ``ce_signature`` value of a record with these headers (any old signature left out) and value."""
        protected = _protected(self.kid)
        unsigned = [(k, v) for k, v in headers if k != SIGNATURE_HEADER]
        signing_input = protected.encode("ascii") + b"." + b64url(signed_content(unsigned, value)).encode("ascii")
        return f"{protected}..{b64url(self.private_key.sign(signing_input))}"

    def sign(self, headers: Headers, value: bytes) -> tuple[tuple[str, bytes], ...]:
        """``headers`` with this signer's ``ce_signature`` (replacing any there was)."""
        unsigned = tuple((k, v) for k, v in headers if k != SIGNATURE_HEADER)
        return (*unsigned, (SIGNATURE_HEADER, self.signature(unsigned, value).encode("ascii")))

    def sign_record(self, record: Record) -> Record:
        return Record(
            record.topic,
            record.value,
            record.key,
            self.sign(record.headers, record.value),
            record.partition,
            record.offset,
            record.timestamp_ms,
            record.timestamp_type,
        )


@dataclass(frozen=True)
class SignatureCheck:
    """What checking a record's signature found: nothing (``issue`` None), or the refusal, and whether the
    claimed sender is proven (``answerable``: it may get a negative acknowledgement)."""

    issue: Issue | None = None
    answerable: bool = False
    kid: str | None = None

    @property
    def ok(self) -> bool:
        return self.issue is None


def _refused(rule: str, message: str, kid: str | None = None, answerable: bool = False) -> SignatureCheck:
    return SignatureCheck(Issue(rule, int(rule[1:]), message, "/headers/ce_signature"), answerable, kid)


def _header(headers: Headers, name: str) -> str | None:
    for k, v in headers:
        if k == name:
            return bytes(v).decode("utf-8", errors="replace")
    return None


def _read_jws(signature: str) -> tuple[str, str, bytes] | None:
    """(protected header as sent, its kid, the signature bytes), or None when it is no detached EdDSA JWS."""
    parts = signature.split(".")
    if len(parts) != 3 or parts[1] != "":
        return None
    try:
        header = json.loads(b64url_decode(parts[0]))
        sig = b64url_decode(parts[2])
    except ValueError:
        return None
    if not isinstance(header, dict) or header.get("alg") != ALG or not isinstance(header.get("kid"), str):
        return None
    if set(header) - {"alg", "kid", "typ", "cty"}:  # no crit, b64 or jku: nothing the verifier would ignore
        return None
    return parts[0], header["kid"], sig


def verify(
    headers: Headers, value: bytes, trust: TrustList, now: datetime, skew: timedelta = DEFAULT_SKEW
) -> SignatureCheck:
    """Check a record's signature against the trust list, as received at ``now`` (see the module docstring)."""
    signature = _header(headers, SIGNATURE_HEADER)
    source = (_header(headers, "ce_source") or "").removeprefix(SOURCE_PREFIX)
    if not signature:
        return _refused("F310", f"unsigned: no {SIGNATURE_HEADER} header (every message between nodes is signed)")
    jws = _read_jws(signature)
    if jws is None:
        return _refused("F311", f"{SIGNATURE_HEADER} is not a detached JWS (RFC 7515 Appendix F) with alg {ALG}")
    protected, kid, sig = jws
    key = trust.get(kid)
    if key is None:
        return _refused("F312", f"key {kid!r} is not in the trust list", kid)
    if key.node != source:
        return _refused("F313", f"key {kid!r} signs for {key.node}, not for the claimed sender {source!r}", kid)
    if key.revoked is not None:
        return _refused("F314", f"key {kid!r} of {key.node} was revoked on {key.revoked:%Y-%m-%d %H:%M}Z", kid)
    try:
        content = signed_content([(k, v) for k, v in headers if k != SIGNATURE_HEADER], value)
        key.public_key.verify(sig, protected.encode("ascii") + b"." + b64url(content).encode("ascii"))
    except (ValueError, InvalidSignature):
        return _refused(
            "F315", f"the signature by {kid!r} does not match the record: a header or the payload was changed", kid
        )
    if not key.valid_at(now):
        return _refused(
            "F316",
            f"key {kid!r} of {key.node} is valid from {key.not_before:%Y-%m-%d} to {key.not_after:%Y-%m-%d} only: "
            "sign with the node's current key",
            kid,
            answerable=True,
        )
    sent = parse_time(_header(headers, "ce_time"))
    if sent is None or abs(now - sent) > skew:
        return _refused(
            "F317",
            f"ce_time {_header(headers, 'ce_time')} is outside the accepted window of ±{skew.total_seconds():.0f} s "
            f"around the receiver's clock: check the sender's clock (or the replay re-signs)",
            kid,
            answerable=True,
        )
    return SignatureCheck(kid=kid)


def parse_time(text: str | None) -> datetime | None:
    """An RFC 3339 time with its offset (``ce_time``), None when it is not one."""
    try:
        t = datetime.fromisoformat((text or "").replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else None
