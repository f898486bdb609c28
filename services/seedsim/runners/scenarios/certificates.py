"""Veterinary certificates for a scenario's consignments, with planted faults: what the certificate link meets at entry.

A traffic with ``certificates`` adds the exporting country's veterinary authority (``RS-VET``) to the
run. Before a consignment's PRE_ARRIVAL the authority issues a veterinary certificate built from the
export declaration (consignor, consignee, the goods of animal origin with their HS codes and net
mass) and sends it to the customs node of the final office of entry, as the TRACES NT link would;
the run waits until that node has acknowledged it, so it holds the certificate before the goods
arrive. Planted faults, one per consignment at most, chosen by a seeded sample:

* ``missing`` -- no certificate is issued (CRT501 at entry);
* ``withdrawn`` -- the authority withdraws it after issue, and sends it again with StatusCode 40 (CRT502);
* ``replaced`` -- withdrawn and replaced: the new certificate follows the withdrawn one, so the goods are
  released (no alert; the link reads the latest valid certificate);
* ``mismatch`` -- the certificate covers 50% more net weight than declared (CRT503).

The rest are valid: their goods are released without a certificate alert.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from seedsim.core.declaration import Declaration
from seedsim.messages.phyto import (
    Address,
    Classification,
    Consignment,
    ConsignmentItem,
    Country,
    DateTime,
    ExchangedDocument,
    Measure,
    Party,
    SPSCertificate,
    TradeLineItem,
    TransportMeans,
    TransportMovement,
)
from seedsim.messages.veterinary import (
    ANIMAL_CHAPTERS,
    ANIMAL_GOODS,
    AUTHORITIES,
    ISSUED,
    VETERINARY_CERTIFICATE_TYPE,
    certificate_number,
)
from seedsim.runners.scenarios.scenario_model import Traffic

#: the species of the animals (or of those the products come from), by HS code; else by chapter
_SPECIES = {hs: species for _d, species, hs, _p, _k in ANIMAL_GOODS}
_BY_CHAPTER = {
    "01": "Bos taurus",
    "02": "Bos taurus",
    "03": "Oncorhynchus mykiss",
    "04": "Bos taurus",
    "05": "Bos taurus",
    "16": "Sus scrofa",
}


def planted(traffic: Traffic, seed: int) -> dict[int, str]:
    """Which consignment (1-based index) carries which certificate fault: a seeded sample."""
    kinds = traffic.certificates.planted() if traffic.certificates else []
    # the same draw as the discrepancies' mix would make is avoided: its own seed
    chosen = sorted(random.Random(f"certificates:{seed}").sample(range(1, traffic.count + 1), len(kinds)))
    return dict(zip(chosen, kinds, strict=True))


def certificate_for(
    d: Declaration, exporter: str, importer: str, serial: int, scale: Decimal = Decimal(1)
) -> SPSCertificate:
    """The veterinary certificate of the goods of animal origin ``d`` declares (net weights times ``scale``)."""
    lines = []
    for item in d.items:
        code = (item.commodity.commodity_code() or "") if item.commodity else ""
        if code[:2] not in ANIMAL_CHAPTERS:
            continue
        gm = item.commodity.goods_measure
        net = (gm.net_mass.value if gm and gm.net_mass else Decimal(1)) * scale
        gross = max(net, (gm.gross_mass.value if gm and gm.gross_mass else net) * scale)
        lines.append(
            TradeLineItem(
                sequence_numeric=len(lines) + 1,
                description=item.commodity.description,
                scientific_name=_SPECIES.get(code[:6], _BY_CHAPTER.get(code[:2], "Bos taurus")),
                net_weight=Measure(value=net, unit_code="KGM"),
                gross_weight=Measure(value=gross, unit_code="KGM"),
                classifications=[Classification(system_name="HS", class_code=code[:6])],
                origins=[Country(id=exporter)],
            )
        )
    consignor, consignee = d.consignor(), d.consignee()
    now = datetime.now(UTC).replace(microsecond=0, tzinfo=None)
    authority, city = AUTHORITIES.get(exporter, (f"Veterinary authority {exporter}", exporter))
    return SPSCertificate(
        document=ExchangedDocument(
            name="Veterinary certificate",
            id=certificate_number(exporter, now.year, serial),
            type_code=VETERINARY_CERTIFICATE_TYPE,
            status_code=ISSUED,
            issue_date_time=DateTime(date_time_string=now.isoformat()),
            issuer=Party(name=authority),
        ),
        consignment=Consignment(
            consignor=Party(
                name=(consignor.name if consignor and consignor.name else "unknown"),
                address=Address(city_name=city, country_id=exporter),
            ),
            consignee=Party(name=(consignee.name if consignee and consignee.name else "unknown")),
            export_country=Country(id=exporter),
            import_country=Country(id=importer),
            conveyances=[TransportMovement(mode_code="3", means=TransportMeans(name=d.vehicle() or "truck"))],
            items=[ConsignmentItem(trade_line_items=lines)],
        ),
    )


async def certify(agency: Any, d: Declaration, importer: str, ucr: str, serial: int, fault: str | None) -> list[str]:
    """What the veterinary authority ``agency`` does for one consignment; the ids of the messages it sent."""
    if fault == "missing":
        return []
    scale = Decimal("1.5") if fault == "mismatch" else Decimal(1)
    cert = certificate_for(d, agency.country, importer, serial, scale)
    sent = [str((await agency.issue(importer, consignment=ucr, doc=cert))["message_id"])]
    if fault in ("withdrawn", "replaced"):
        withdrawal = await agency.withdraw(cert.document.id, replace=fault == "replaced")
        sent += [str(withdrawal[k]) for k in ("message_id", "replacement_message_id") if withdrawal.get(k)]
    return sent
