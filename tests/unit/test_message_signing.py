"""Signatures and the trust list: the JWS as a reader sees it, rotation, revocation, validity and the time window."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from seedsim.bootstrap import running_network
from seedsim.config import NodeConfig
from seedsim.core.envelope import UBS_HEADER
from seedsim.core.interop import Stage, decode_interop
from seedsim.core.message_signing import SIGNATURE_HEADER, SIGNED_HEADERS, signed_content, verify
from seedsim.core.network_keys import NetworkKeys, development_keys, init_folder, revoke, rotate
from seedsim.core.topics import Topics
from seedsim.core.transport.memory import InMemoryBus
from seedsim.core.trust_list import TrustList, b64url, b64url_decode
from seedsim.core.wco import MetaData
from seedsim.messages.seed import ACKNOWLEDGEMENT, EXPORT_DATA
from seedsim.nodes.inbox_node import inbox_record
from seedsim.samples.consignments import ConsignmentGenerator
from seedsim.samples.crossings import DEMO_CROSSINGS

T = Topics()


def message(keys: NetworkKeys, sender: str = "RS", at: datetime | None = None, value: bytes = b"<x/>"):
    at = at or datetime.now(UTC)
    env = EXPORT_DATA.envelope(sender, "ME", subject="UCR-1", trigger="EXIT", at=at)
    return inbox_record(T, env, value, keys.signer(sender, at))


def rule(keys: NetworkKeys, record, now: datetime | None = None, skew: timedelta = timedelta(minutes=5)) -> str | None:
    check = verify(record.headers, record.value, keys.trust, now or datetime.now(UTC), skew)
    return check.issue.rule if check.issue else None


def test_the_signature_is_a_detached_eddsa_jws_over_the_attributes_and_the_value_hash(tmp_path: Path) -> None:
    keys = NetworkKeys.folder(init_folder(tmp_path / "k", ["RS", "ME"]).path.parent)
    record = message(keys)
    protected, payload, signature = record.header(SIGNATURE_HEADER).split(".")
    header = json.loads(b64url_decode(protected))
    assert payload == "" and header == {"alg": "EdDSA", "kid": keys.signer("RS").kid}
    # a JOSE reader: rebuild the detached content, verify with the trust list's JWK "x"
    entry = next(k for k in json.loads((tmp_path / "k" / "trust-list.json").read_text())["keys"] if k["node"] == "RS")
    assert (entry["kty"], entry["crv"]) == ("OKP", "Ed25519")
    content = signed_content([(k, v) for k, v in record.headers if k != SIGNATURE_HEADER], record.value)
    assert json.loads(content)["attributes"]["ce_subject"] == "UCR-1"
    public = Ed25519PublicKey.from_public_bytes(b64url_decode(entry["x"]))
    public.verify(b64url_decode(signature), f"{protected}.{b64url(content)}".encode())  # raises if wrong
    assert rule(keys, record) is None


def test_every_attribute_and_the_value_are_covered() -> None:
    NOW = datetime.now(UTC)
    keys = development_keys()
    record = message(keys)
    for name in ("ce_id", "ce_source", "ce_type", "ce_recipient", "ce_subject", "ce_time", "ce_trigger"):
        changed = [(k, b"x" + v if k == name else v) for k, v in record.headers]
        want = "F313" if name == "ce_source" else "F315"
        assert verify(changed, record.value, keys.trust, NOW).issue.rule == want, name
    assert verify(record.headers, record.value + b" ", keys.trust, NOW).issue.rule == "F315"
    # a signed header given twice: no single value was signed
    twice = [*record.headers, ("ce_subject", b"UCR-2")]
    assert verify(twice, record.value, keys.trust, NOW).issue.rule == "F315"


def test_the_utility_blocks_a_message_names_are_signed_and_a_message_without_them_is_signed_as_before() -> None:
    NOW = datetime.now(UTC)
    keys = development_keys()
    env = EXPORT_DATA.envelope("RS", "ME", subject="UCR-1", trigger="EXIT", at=NOW, ubs=("UB-SEED-EXIT",))
    named = inbox_record(T, env, b"<x/>", keys.signer("RS", NOW))
    assert named.header(UBS_HEADER) == "UB-SEED-EXIT" and rule(keys, named) is None
    changed = [(k, b"UB-SEED-TIR" if k == UBS_HEADER else v) for k, v in named.headers]
    assert verify(changed, named.value, keys.trust, NOW).issue.rule == "F315"
    dropped = [(k, v) for k, v in named.headers if k != UBS_HEADER]  # dropped on the way: the signed content differs
    assert verify(dropped, named.value, keys.trust, NOW).issue.rule == "F315"
    # a system that never sends the attribute (an external integrator's) signs the same content as before it existed
    plain = message(keys, at=NOW)
    assert plain.header(UBS_HEADER) is None and rule(keys, plain) is None
    content = json.loads(signed_content([(k, v) for k, v in plain.headers if k != SIGNATURE_HEADER], plain.value))
    assert set(content["attributes"]) == set(SIGNED_HEADERS)


def test_unsigned_unreadable_and_unknown_keys_are_refused_unanswered() -> None:
    NOW = datetime.now(UTC)
    keys = development_keys()
    record = message(keys)
    unsigned = [(k, v) for k, v in record.headers if k != SIGNATURE_HEADER]
    found = verify(unsigned, record.value, keys.trust, NOW)
    assert (found.issue.rule, found.answerable) == ("F310", False)
    garbled = [*unsigned, (SIGNATURE_HEADER, b"not-a-jws")]
    assert verify(garbled, record.value, keys.trust, NOW).issue.rule == "F311"
    stranger = NetworkKeys(TrustList(), development=True)
    found = verify(message(stranger).headers, record.value, keys.trust, NOW)
    assert (found.issue.rule, found.answerable) == ("F312", False)


def test_a_rotated_key_is_accepted_during_the_overlap_and_refused_after(tmp_path: Path) -> None:
    NOW = datetime.now(UTC)
    folder = tmp_path / "keys"
    init_folder(folder, ["RS", "ME"], at=NOW - timedelta(days=30))
    old = NetworkKeys.folder(folder)
    signed_with_old = message(old)
    new_entry = rotate(folder, "RS", overlap=timedelta(days=7), at=NOW)
    rotated = NetworkKeys.folder(folder)
    assert rotated.signer("RS").kid == new_entry.kid, "the node signs with its new key at once"
    signed_with_new = message(rotated)
    # during the overlap both are accepted; after it, the old one is expired (answered: the sender is proven)
    assert rule(rotated, signed_with_old) is None and rule(rotated, signed_with_new) is None
    later = NOW + timedelta(days=8)
    assert rule(rotated, message(old, at=later), now=later) == "F316"
    assert rule(rotated, message(rotated, at=later), now=later) is None
    found = verify(message(old, at=later).headers, b"<x/>", rotated.trust, later)
    assert found.answerable


def test_a_revoked_key_is_refused_whatever_its_dates(tmp_path: Path) -> None:
    NOW = datetime.now(UTC)
    folder = tmp_path / "keys"
    init_folder(folder, ["RS", "ME"])
    keys = NetworkKeys.folder(folder)
    record = message(keys)
    revoke(folder, keys.signer("RS").kid, "leaked")
    found = verify(record.headers, record.value, TrustList.load(folder / "trust-list.json"), NOW)
    assert (found.issue.rule, found.answerable) == ("F314", False)


def test_a_key_not_yet_valid_or_expired_is_refused(tmp_path: Path) -> None:
    NOW = datetime.now(UTC)
    folder = tmp_path / "keys"
    init_folder(folder, ["RS"], at=NOW)
    keys = NetworkKeys.folder(folder)
    record = message(keys)
    assert rule(keys, record, now=NOW - timedelta(hours=1)) == "F316"
    assert rule(keys, record, now=NOW + timedelta(days=400)) == "F316"


def test_ce_time_outside_the_window_is_refused_inside_accepted() -> None:
    NOW = datetime.now(UTC)
    keys = development_keys()
    for offset, want in ((0, None), (290, None), (-290, None), (310, "F317"), (-310, "F317")):
        at = NOW + timedelta(seconds=offset)
        assert rule(keys, message(keys, at=at)) == want, offset
    assert rule(keys, message(keys, at=NOW + timedelta(seconds=310)), skew=timedelta(minutes=10)) is None


def test_a_trust_list_reads_a_key_added_to_its_file_meanwhile(tmp_path: Path) -> None:
    NOW = datetime.now(UTC)
    folder = tmp_path / "keys"
    init_folder(folder, ["RS", "ME"])
    node_view = TrustList.load(folder / "trust-list.json")
    rotate(folder, "RS")  # an operator adds a key while the node runs
    record = message(NetworkKeys.folder(folder))
    assert verify(record.headers, record.value, node_view, NOW).ok


def test_resign_gives_a_recorded_message_a_new_time_and_a_valid_signature() -> None:
    NOW = datetime.now(UTC)
    keys = development_keys()
    old = message(keys, at=NOW - timedelta(hours=3))
    assert rule(keys, old) == "F317"
    again = keys.resign(old)
    assert rule(keys, again) is None and again.header("ce_id") == old.header("ce_id")
    unsigned = old.__class__(old.topic, old.value, old.key, tuple(h for h in old.headers if h[0] != SIGNATURE_HEADER))
    assert rule(keys, keys.resign(unsigned)) is None, "a trace recorded before messages were signed is signed"
    stranger = NetworkKeys.unsigned()
    assert stranger.resign(old) == old, "signing off: sent as recorded"


def test_a_message_outside_the_window_is_answered_with_a_nack_and_dead_lettered(tmp_path: Path) -> None:
    """The sender is proven (its own valid key): it may be told, so it learns its clock is off."""
    NOW = datetime.now(UTC)
    configs = [
        NodeConfig(node=c, db=tmp_path / f"{c}.sqlite3", partners=[p], crossings=DEMO_CROSSINGS)
        for c, p in (("RS", "ME"), ("ME", "RS"))
    ]
    c = ConsignmentGenerator(5, DEMO_CROSSINGS[0]).make(1)
    payload = c.export.to_xml(MetaData(wco_type_name="DEC", responsible_country_code="RS"))

    async def go():
        bus = InMemoryBus()
        async with running_network(configs, bus) as network:
            late = NOW - timedelta(minutes=20)
            env = EXPORT_DATA.envelope("RS", "ME", subject=c.ucr, trigger="EXIT", at=late)
            record = inbox_record(T, env, payload, network.customs["RS"].keys.signer("RS"))
            await bus.send_batch([record])
            for _ in range(200):
                if bus.log(T.dead_letter("ME")) and bus.log(T.inbox("RS")):
                    break
                await asyncio.sleep(0.02)
            return bus, env

    bus, env = asyncio.run(go())
    [dead] = bus.log(T.dead_letter("ME"))
    assert dead.header("dlq_rule") == "F317"
    [nack] = bus.log(T.inbox("RS"))
    assert nack.header("ce_type") == ACKNOWLEDGEMENT.ce_type and nack.header("ce_causationid") == env.id
    stages = [rec for r in bus.log(T.interop) for rec in decode_interop(r.value)]
    assert any(r.stage == Stage.NACKED and r.message_id == env.id for r in stages)
    assert not any(r.stage == Stage.VALID and r.message_id == env.id for r in stages)


def test_signing_may_be_turned_off_on_the_in_process_bus_only() -> None:
    import pytest
    from pydantic import ValidationError

    assert NodeConfig(node="RS", signing=False).signing is False
    with pytest.raises(ValidationError, match="in-process bus only"):
        NodeConfig(node="RS", signing=False, kafka="localhost:9092")
