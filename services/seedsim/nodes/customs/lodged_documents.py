"""Documents lodged for a consignment, to be sent when its events fire (``POST /documents``).

A customs node builds two messages itself (ExportData from the export
declaration, EntryConfirmation from the match at entry). Every other message a
Utility Block step has a customs role send -- a TIR carnet, a cash declaration,
an ATA carnet, a certificate of origin, an empty-truck record -- the node
cannot invent: a trader or a national system lodges it here, for a consignment
(its UCR, or any reference the lodger uses for it in ``POST /events``). When an
event fires, the node sends every document it holds of the type each UB step
names for that event (:meth:`seedsim.nodes.customs.customs_node.CustomsNode.on_event`).

A lodged document is checked as a received one is (hardened parser, type from
the catalogue, XSD and business rules: :func:`seedsim.core.validation.check`) and
kept whole; it is reduced to the UB's data set only when it is sent.

Lodging is idempotent per (consignment, type, document id): the same document
lodged again changes nothing (``unchanged``); a document with the same id and
other content replaces the stored one (``replaced``) -- e.g. a TIR carnet
lodged again with the termination of the TIR operation before EXIT.
Declarations are refused here (they go to ``POST /declarations``, which issues
an MRN), and so are the messages the node builds itself.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from lxml import etree

from seedsim.core.message_type import MessageCatalogue, MessageType
from seedsim.core.validation import Issue, ValidationReport
from seedsim.core.wco import NS_DEC

#: messages the node writes itself; lodging one would only confuse what an event sends
NODE_BUILT = {"Acknowledgement", "EntryConfirmation", "ConsignmentQuery", "ConsignmentQueryResponse"}


@dataclass
class DocumentResult:
    """The answer to a lodging, in the shape of POST /declarations' answer."""

    accepted: bool
    report: ValidationReport
    consignment: str | None = None
    type: str | None = None
    document_id: str | None = None
    status: str | None = None  # lodged | replaced | unchanged

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"accepted": self.accepted, "errors": [i.to_dict() for i in self.report.issues]}
        for k in ("consignment", "type", "document_id", "status"):
            if getattr(self, k):
                d[k] = getattr(self, k)
        return d


def refused(*issues: Issue, consignment: str | None = None, mt: MessageType | None = None) -> DocumentResult:
    return DocumentResult(False, ValidationReport(list(issues)), consignment, mt.name if mt else None)


def lodgeable_type(root: etree._Element, catalogue: MessageCatalogue) -> tuple[MessageType | None, Issue | None]:
    """The catalogue type of a document that may be lodged here, or the issue saying why not."""
    candidates = catalogue.detect(root)
    name = etree.QName(root).localname
    if not candidates:
        known = ", ".join(sorted(set(catalogue.by_name) - NODE_BUILT))
        return None, Issue(
            "F303", 303, f"not a document seedsim knows (root element {name}); lodge one of: {known}", f"/{name}"
        )
    mt = candidates[0]
    if mt.element == f"{{{NS_DEC}}}Declaration":
        return None, Issue(
            "W203", 203, f"a declaration ({mt.name}) is lodged at POST /declarations, which issues its MRN", f"/{name}"
        )
    if mt.name in NODE_BUILT:
        return None, Issue("W203", 203, f"the node builds {mt.name} messages itself: they cannot be lodged", f"/{name}")
    return mt, None


def document_id(model: Any, data: bytes) -> str:
    """The document's own reference (carnet number, declaration reference, certificate id); a digest if it has none."""
    for holder in (model, getattr(model, "document", None)):  # CII and SPS documents keep theirs in a header
        for attr in ("reference_id", "carnet_id", "id"):
            value = getattr(holder, attr, None)
            if isinstance(value, str) and value.strip():
                return value.strip()
    return "sha256:" + hashlib.sha256(data).hexdigest()[:32]
