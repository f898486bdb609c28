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
#: Clark name of the wrapper every WCO DM document travels in
METADATA_TAG = f"{{{NS_METADATA}}}MetaData"
_METADATA_PREFIX = f"{{{NS_METADATA}}}"

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
    root = etree.Element(METADATA_TAG, nsmap={"md": NS_METADATA, None: body_ns})
    meta = to_element(metadata, "MetaData", NS_METADATA)
    for child in meta:
        root.append(child)
    root.append(body)
    return root


def body_in(root: etree._Element) -> etree._Element | None:
    """The message a document carries: the element inside ``md:MetaData`` (a Declaration, a Response...),
    or the root itself for a document without the wrapper; None for a wrapper that holds no message."""
    if root.tag != METADATA_TAG:
        return root
    for child in root:
        tag = child.tag
        if isinstance(tag, str) and not tag.startswith(_METADATA_PREFIX):
            return child
    return None


def unwrap(root: etree._Element) -> tuple[MetaData | None, etree._Element]:
    """Split a document into its MetaData and its body; a bare body is accepted too."""
    if root.tag != METADATA_TAG:
        return None, root
    meta = from_element(MetaData, root, NS_METADATA)
    body = body_in(root)
    if body is None:
        raise ValueError("MetaData holds no Declaration or Response")
    return meta, body


def serialize(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
