"""The office of entry's completeness check of SAFE advance cargo information (UB-SAFE-ADVANCE-CARGO).

A record that lacks a SAFE key data element is still acknowledged -- rule SAFE102 is a warning, the
goods are on their way -- but the office of entry must not treat it as complete: the node raises one
alert on the consignment (its UCR), rule ``SAFE102``, naming every element missing, so a risk
officer can ask the exporting administration for the data or select the truck for inspection. The
elements are the SAFE Framework's key data elements for export
(:data:`seedsim.messages.safe.KEY_ELEMENTS`).
"""

from __future__ import annotations

from dataclasses import dataclass

from seedsim.messages.safe import AdvanceCargoInformation, missing_key_elements

#: the alert's rule: the same id as the warning the record carried
RULE = "SAFE102"
#: the alerts table's kind for it (beside matching and risk)
KIND = "security"


@dataclass(frozen=True)
class Incomplete:
    ucr: str
    elements: str  # the pointers of the missing elements, comma-separated
    detail: str


def check(record: AdvanceCargoInformation) -> Incomplete | None:
    """The alert a record calls for, or None when it holds every key element."""
    missing = missing_key_elements(record)
    if not missing:
        return None
    whats = "; ".join(what for _, what in missing)
    return Incomplete(
        ucr=record.ucr,
        elements=", ".join(pointer for pointer, _ in missing),
        detail=f"SAFE advance cargo information {record.id} lacks {len(missing)} key data element(s): {whats}",
    )
