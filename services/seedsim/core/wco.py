"""WCO Data Model namespaces and the ``MetaData`` wrapper every document travels in."""

from __future__ import annotations

from typing import cast

from lxml import etree
from pydantic import Field

from seedsim.core.xml_binding import XmlModel, from_element, to_element

NS_METADATA = "urn:wco:datamodel:WCO:DocumentMetaData-DMS:2"
NS_DEC = "urn:wco:datamodel:WCO:DEC-DMS:2"
NS_RES = "urn:wco:datamodel:WCO:RES-DMS:2"
NS_RES_DS = "urn:wco:datamodel:WCO:Response_DS:DMS:2"

WCO_DM_VERSION = "3.6"
#: Value of MetaData/AgencyAssignedCustomizationVersionCode for documents seedsim writes.
SEEDSIM_PROFILE_VERSION = "seed1.0"


class MetaData(XmlModel):
    """``md:MetaData``: who is responsible for the document and which WCO DM version it follows."""

    wco_data_model_version_code: str | None = Field(WCO_DM_VERSION, alias="WCODataModelVersionCode")
    wco_type_name: str | None = Field(None, alias="WCOTypeName")
    responsible_country_code: str | None = Field(None, alias="ResponsibleCountryCode")
    responsible_agency_name: str | None = Field(None, alias="ResponsibleAgencyName")
    agency_assigned_customization_version_code: str | None = Field(
        SEEDSIM_PROFILE_VERSION, alias="AgencyAssignedCustomizationVersionCode"
    )


def wrap(metadata: MetaData, body: etree._Element) -> etree._Element:
    """Put ``body`` (a Declaration or Response element) inside ``md:MetaData``."""
    # bodies come from to_element, always namespaced (with no namespace lxml would raise TypeError on the nsmap)
    body_ns = cast(str, etree.QName(body).namespace)
    root = etree.Element(f"{{{NS_METADATA}}}MetaData", nsmap={"md": NS_METADATA, None: body_ns})
    meta = to_element(metadata, "MetaData", NS_METADATA)
    for child in meta:
        root.append(child)
    root.append(body)
    return root


def unwrap(root: etree._Element) -> tuple[MetaData | None, etree._Element]:
    """Split a document into its MetaData and its body; a bare body is accepted too."""
    if root.tag != f"{{{NS_METADATA}}}MetaData":
        return None, root
    meta = from_element(MetaData, root, NS_METADATA)
    body = next((c for c in root if isinstance(c.tag, str) and not c.tag.startswith(f"{{{NS_METADATA}}}")), None)
    if body is None:
        raise ValueError("MetaData holds no Declaration or Response")
    return meta, body


def serialize(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
