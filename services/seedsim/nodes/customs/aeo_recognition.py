"""What a customs node knows of its partners' Authorised Economic Operators (UB-AEO-MRA).

A partner administration sends its list of AEO identities (:mod:`seedsim.messages.aeo`) when a
mutual recognition arrangement takes effect and again whenever an authorisation changes; each list
replaces the one before from the same administration. The node keeps the lists with its documents
(under :data:`KEY`, one per sender) and, before it runs risk profiles on pre-arrival data, reads
which traders are recognised: a valid security authorisation (AEOS or AEOF). Suspended and revoked
ones are not: an arrangement recognises the partner's current decisions.
"""

from __future__ import annotations

from lxml import etree

from seedsim.core.sqlite_store import Tx
from seedsim.messages.aeo import AEO_IDENTITY_LIST, DOCUMENT, AeoIdentityList
from seedsim.nodes.customs.customs_store import CustomsStore
from seedsim.nodes.customs.risk import recognition_key

#: the documents table's consignment column for AEO identity lists (they belong to no consignment)
KEY = "aeo-mra"


def keep(store: CustomsStore, tx: Tx, sender: str, identities: AeoIdentityList, at: str) -> None:
    """Keep ``sender``'s list, replacing the one it sent before."""
    store.save_document(tx, KEY, AEO_IDENTITY_LIST.name, sender, DOCUMENT.write(identities), at)


def recognised(store: CustomsStore, tx: Tx) -> dict[str, str]:
    """Every recognised AEO of every partner: identifier and name (:func:`recognition_key`) -> its authorisation."""
    out: dict[str, str] = {}
    for row in store.documents_for(tx, KEY, AEO_IDENTITY_LIST.name):
        identities = DOCUMENT.read(etree.fromstring(bytes(row["xml"])))
        for op in identities.operators:
            if op.recognised:
                label = f"{op.type_code} {op.authorisation_id} of {identities.authority_country_code}, {identities.arrangement_id}"
                out[recognition_key(op.trader_id)] = label
                out[recognition_key(op.name)] = label
    return out
