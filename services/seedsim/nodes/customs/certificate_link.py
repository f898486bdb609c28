"""The TRACES-style certificate link: before the office of entry releases goods that need a certificate, it checks it.

SEED+ links the customs nodes to the CEFTA instance of TRACES NT: veterinary (and phytosanitary)
certificates travel from the issuing authority to the office of entry, and a certificate the
authority withdraws or replaces is sent again with its new status. The customs node keeps each
certificate it receives for a consignment with its latest status (:func:`receive`; a status query
to the authority, a ConsignmentQuery naming the certificate, is answered the same way). At ENTRY,
before release, :func:`check` compares what the import declaration declares with what is held:

* **CRT501** -- goods of a chapter that needs a certificate (live animals and products of animal
  origin: a veterinary certificate) and no certificate of that type for the consignment;
* **CRT502** -- every such certificate held was withdrawn by its authority (revoked, or replaced
  by one that has not arrived);
* **CRT503** -- the certificate does not cover what is declared: a commodity code it does not
  name, a net quantity that differs by more than the node's mass tolerance, another consignor;
* **CRT504** -- a CHED the border control post sent for the consignment refuses it (Part II not
  acceptable, or the CHED rejected or cancelled). A CHED is not required; one held is obeyed.

Each is an alert (kind ``certificate``) with its rule id, in the store and as an interop ``alert``
record, next to the matching alerts; the entry's answer says ``release: false`` and why. eTIR's
class 5xx (customs) is the class of these rules.

The link is generic: a :class:`Requirement` names a certificate type, the HS chapters that need it
and how to read what a certificate of that type certifies (:class:`Certified`). A customs node
requires those its configuration names (``NodeConfig.required_certificates``; by default the
veterinary certificate). The WHO Certificate of a Pharmaceutical Product (HS chapter 30) is known but
not required by default: the demo's traffic carries medicaments without one. The phytosanitary
certificate reads as the veterinary one does (:func:`sps_certified`, both are UN/CEFACT SPS
certificates) and joins by adding its requirement to :data:`REQUIREMENTS` (the demo's fresh apples
and raspberries would then need one).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from seedsim.core.declaration import Declaration
from seedsim.core.interop import Stage
from seedsim.core.sqlite_store import Tx
from seedsim.core.trace_context import conversation_trace_id
from seedsim.messages.pharmaceutical import (
    CERTIFICATE_OF_PHARMACEUTICAL_PRODUCT,
    PHARMACEUTICAL_CHAPTERS,
    CertificateOfPharmaceuticalProduct,
)
from seedsim.messages.phyto import SPSCertificate
from seedsim.messages.veterinary import (
    ANIMAL_CHAPTERS,
    COMMON_HEALTH_ENTRY_DOCUMENT,
    VETERINARY_CERTIFICATE,
    WITHDRAWN,
    CommonHealthEntryDocument,
    replaced_by,
)
from seedsim.nodes.customs.customs_store import CustomsStore
from seedsim.nodes.inbox_node import iso

KIND = "certificate"


@dataclass(frozen=True)
class LinkRule:
    id: str
    code: int
    text: str


MISSING = LinkRule("CRT501", 501, "goods that need a certificate entered with none for the consignment")
WITHDRAWN_ONLY = LinkRule("CRT502", 502, "the consignment's certificate was withdrawn or replaced by its authority")
MISMATCH = LinkRule(
    "CRT503", 503, "the certificate does not cover what is declared: commodity code, net quantity or consignor"
)
REFUSED = LinkRule(
    "CRT504", 504, "the border control post's CHED refuses the consignment (Part II not acceptable, or rejected)"
)
#: the rules of the certificate link, checked at ENTRY before release
LINK_RULES = [MISSING, WITHDRAWN_ONLY, MISMATCH, REFUSED]


@dataclass(frozen=True)
class Certified:
    """What a certificate certifies, as the link compares it with a declaration, and its status."""

    ref: str
    active: bool
    consignor: str | None
    commodity_codes: list[str]
    net_kg: str | None  # Decimal as text (kept as JSON)
    replaced_by: str | None = None


def sps_certified(cert: SPSCertificate) -> Certified:
    """A UN/CEFACT SPS certificate (veterinary or phytosanitary): its HS codes, net weight in kg, consignor."""
    lines = [line for item in cert.consignment.items for line in item.trade_line_items]
    weights = [line.net_weight.value for line in lines if line.net_weight and line.net_weight.unit_code == "KGM"]
    return Certified(
        ref=cert.document.id,
        active=cert.document.status_code != WITHDRAWN,
        consignor=cert.consignment.consignor.name,
        commodity_codes=[c for c in (line.hs_code() for line in lines) if c],
        net_kg=str(sum(weights, Decimal(0))) if weights else None,
        replaced_by=replaced_by(cert),
    )


@dataclass(frozen=True)
class Requirement:
    """Goods of these HS chapters need a certificate of this type, read this way."""

    message: str
    chapters: tuple[str, ...]
    what: str
    read: Callable[[Any], Certified]


def cpp_certified(cert: CertificateOfPharmaceuticalProduct) -> Certified:
    """A WHO CPP: the product's HS code; the applicant (manufacturer or exporter) stands for the consignor."""
    return Certified(
        ref=cert.number,
        active=cert.status != "WITHDRAWN",
        consignor=cert.applicant,
        commodity_codes=[cert.product.hs_code],
        net_kg=None,  # a CPP certifies a product, not a quantity
    )


#: the certificates an office of entry may require, by message type
REQUIREMENTS = {
    VETERINARY_CERTIFICATE.name: Requirement(
        VETERINARY_CERTIFICATE.name, ANIMAL_CHAPTERS, "a veterinary certificate", sps_certified
    ),
    CERTIFICATE_OF_PHARMACEUTICAL_PRODUCT.name: Requirement(
        CERTIFICATE_OF_PHARMACEUTICAL_PRODUCT.name,
        PHARMACEUTICAL_CHAPTERS,
        "a Certificate of a Pharmaceutical Product",
        cpp_certified,
    ),
}


def ched_certified(ched: CommonHealthEntryDocument) -> Certified:
    """A CHED: active while the border control post has not refused the consignment (Part II, status)."""
    lines = ched.part_one.commodities
    refused = ched.status in ("REJECTED", "CANCELLED") or (
        ched.part_two is not None and ched.part_two.decision == "NOT_ACCEPTABLE"
    )
    return Certified(
        ref=ched.reference,
        active=not refused,
        consignor=ched.part_one.consignor.name,
        commodity_codes=[line.cn_code for line in lines],
        net_kg=str(sum((line.net_weight_kg for line in lines), Decimal(0))),
    )


#: how each certificate type customs keeps is read: the required ones, and the CHED (checked when held)
READERS: dict[str, Callable[[Any], Certified]] = {
    **{name: req.read for name, req in REQUIREMENTS.items()},
    COMMON_HEALTH_ENTRY_DOCUMENT.name: ched_certified,
}


def is_certificate(message_type: str) -> bool:
    return message_type in READERS


def receive(store: CustomsStore, tx: Tx, message_type: str, doc: Any, ucr: str | None, sender: str, at: str) -> None:
    """Keep a certificate an agency sent for consignment ``ucr`` (a withdrawal replaces what was held)."""
    certified = READERS[message_type](doc)
    store.save_certificate(tx, message_type, certified.ref, ucr, sender, json.dumps(asdict(certified)), at)


@dataclass(frozen=True)
class Finding:
    rule: LinkRule
    element: str
    detail: str
    certified: str | None = None
    declared: str | None = None
    #: the authority that sent the certificate
    sender: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule.id,
            "element": self.element,
            "detail": self.detail,
            "certified": self.certified,
            "declared": self.declared,
        }


def _same_party(a: str | None, b: str | None) -> bool:
    return " ".join((a or "").upper().split()) == " ".join((b or "").upper().split())


def check(
    d: Declaration, held: list[dict[str, Any]], tolerance_pct: Decimal, required: list[str] | None = None
) -> list[Finding] | None:
    """What stops release of the goods ``d`` declares, given the certificates ``held`` for the consignment and the
    certificate types ``required`` (default: all known); None when none of its goods needs a certificate."""
    found: list[Finding] = []
    needed = False
    for req in REQUIREMENTS.values():
        if required is not None and req.message not in required:
            continue
        items = [i for i in d.items if i.commodity and (i.commodity.commodity_code() or "")[:2] in req.chapters]
        if not items:
            continue
        needed = True
        declared_codes = [i.commodity.commodity_code() or "" for i in items if i.commodity]
        certs = [Certified(**json.loads(r["facts"])) for r in held if r["type"] == req.message]
        senders = {r["ref"]: r["sender"] for r in held}
        active = [c for c in certs if c.active]
        if not certs:
            found.append(
                Finding(
                    MISSING,
                    req.message,
                    f"the goods ({', '.join(declared_codes)}) need {req.what} and none was received for the consignment",
                    None,
                    ", ".join(declared_codes),
                )
            )
            continue
        if not active:
            for c in certs:
                why = f"replaced by {c.replaced_by}, which has not arrived" if c.replaced_by else "withdrawn"
                found.append(
                    Finding(
                        WITHDRAWN_ONLY,
                        req.message,
                        f"certificate {c.ref} was {why}: the goods are not released",
                        c.ref,
                        sender=senders.get(c.ref),
                    )
                )
            continue
        found += [
            replace(f, sender=senders.get(active[-1].ref)) for f in _mismatches(d, items, active[-1], tolerance_pct)
        ]
    for row in held:  # a CHED held is the border control post's decision: a refusal stops release
        if row["type"] == COMMON_HEALTH_ENTRY_DOCUMENT.name and not json.loads(row["facts"])["active"]:
            needed = True
            found.append(
                Finding(
                    REFUSED,
                    COMMON_HEALTH_ENTRY_DOCUMENT.name,
                    f"CHED {row['ref']}: the border control post found the consignment not acceptable",
                    row["ref"],
                    sender=row["sender"],
                )
            )
    return found if needed else None


def at_entry(node: Any, tx: Tx, ucr: str, at: datetime) -> dict[str, Any]:
    """The link's part of an ENTRY at customs node ``node``: each finding an alert (store and interop record);
    what the entry answers of release (nothing when the goods need no certificate)."""
    row = node.store.declaration_for(tx, ucr, "import")
    d = Declaration.model_validate_json(row["data"]) if row else None
    held, required = node.store.certificates_for(tx, ucr), node.config.required_certificates
    found = check(d, held, node.tolerances.gross_mass_pct, required) if d else None
    if found is None:
        return {}
    cons = node.store.consignment(tx, ucr)
    correlation = cons["correlation_id"] if cons else None
    for f in found:
        node.store.add_alert(
            tx, ucr, f.rule.id, f.element, f.detail, iso(at), kind=KIND, exit_value=f.certified, entry_value=f.declared
        )
        node.interop(
            tx,
            Stage.ALERT,
            consignment=ucr,
            correlation_id=correlation,
            sender=f.sender,
            receiver=node.node,
            event="ENTRY",
            result=f.rule.id,
            detail=f"{f.element}: {f.detail}"[:1000],
            trace_id=conversation_trace_id(correlation) if correlation else None,
        )
    return {"release": not found, "certificates": [f.to_dict() for f in found]}


def _mismatches(d: Declaration, items: list[Any], cert: Certified, tolerance_pct: Decimal) -> list[Finding]:
    found = []
    codes = [i.commodity.commodity_code() or "" for i in items]
    uncovered = [c for c in codes if not any(c.startswith(k[:6]) or k.startswith(c[:6]) for k in cert.commodity_codes)]
    if uncovered:
        found.append(
            Finding(
                MISMATCH,
                "commodity code",
                f"certificate {cert.ref} does not name the declared commodity code",
                ", ".join(cert.commodity_codes),
                ", ".join(uncovered),
            )
        )
    nets = [
        i.commodity.goods_measure.net_mass.value
        for i in items
        if i.commodity.goods_measure and i.commodity.goods_measure.net_mass
    ]
    if cert.net_kg is not None and nets:
        declared, certified = sum(nets, Decimal(0)), Decimal(cert.net_kg)
        if certified > 0 and abs(declared - certified) * 100 / certified > tolerance_pct:
            found.append(
                Finding(
                    MISMATCH,
                    "net quantity",
                    f"certificate {cert.ref} covers {certified} kg net, more than {tolerance_pct}% away from what is declared",
                    str(certified),
                    str(declared),
                )
            )
    consignor = d.consignor()
    name = consignor.name if consignor else None
    if cert.consignor and name and not _same_party(cert.consignor, name):
        found.append(
            Finding(MISMATCH, "consignor", f"certificate {cert.ref} names another consignor", cert.consignor, name)
        )
    return found
