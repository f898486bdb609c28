"""An EU member state's node hands received exit data to its national ICS as an entry summary declaration.

When a SEED+ corridor enters the EU (Serbia -> Hungary at Horgoš - Röszke), the node of the
country of entry still speaks SEED with its neighbour -- ExportData in, acknowledgements and the
entry confirmation out -- but its national system, ICS, takes safety and security data as an
ENS (IE315). The node writes that IE315 through the ENS adapter
(:mod:`seedsim.converters.ics_ens`) for the office of first entry of the border crossing, and
keeps it with the consignment's documents (``GET /consignments/{ucr}`` lists it; its XML is what
the national system would be sent). The EXIT data repeats the PRE_ARRIVAL data: the IE315 of the
same LRN is replaced, as ICS would take an amendment.

Which nodes do this is :attr:`seedsim.config.NodeConfig.pre_arrival_format`: ``ics-ens``, or
``auto`` (the default) in an EU member state.
"""

from __future__ import annotations

from datetime import datetime

from seedsim.config import NodeConfig
from seedsim.converters.ics_ens import EU_MEMBER_STATES, ens_of_export, write_ens
from seedsim.core.declaration import Declaration

#: the type the node keeps the IE315 under, among the consignment's documents
ENS_DOCUMENT = "EntrySummaryDeclaration"


def speaks_ens(config: NodeConfig) -> bool:
    """Whether this node's national system takes pre-arrival data as an ENS."""
    fmt = config.pre_arrival_format
    return fmt == "ics-ens" or (fmt == "auto" and config.node in EU_MEMBER_STATES)


def entry_summary(config: NodeConfig, d: Declaration, message_id: str, at: datetime) -> tuple[str, bytes] | None:
    """The IE315 for exit data ``d`` (its document reference and XML), or None when no border crossing of this
    node names the office of first entry for ``d``'s office of exit."""
    exit_office = (d.exit_office.id if d.exit_office else None) or d.declaration_office_id
    entry_office = config.entry_office_for(exit_office) if exit_office else None
    if entry_office is None or entry_office[:2] != config.node:
        return None
    ens = ens_of_export(d, entry_office, at, message_id=message_id)
    return (ens.header.lrn or d.ucr or message_id), write_ens(ens)
