"""Agency nodes (phytosanitary authority, chamber of commerce, TIR guarantee chain, tax administration) on the customs wire."""

from seedsim.nodes.agency.agency_node import AgencyConfig, AgencyKind, AgencyNode, agency_id, make_agency_node  # noqa: F401
