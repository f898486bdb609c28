"""The WCO DM Response (RES-DMS:2): acknowledgements and entry confirmations.

``FunctionCode`` values used by seedsim (WCO DE 017, n..2), following the
codes a DMS national profile uses for its notifications:

* ``01`` accepted: positive acknowledgement
* ``03`` rejected: negative acknowledgement, with every error
* ``09`` goods entered: the office of entry confirms the goods arrived, with the match result

``FunctionalReferenceID`` holds the id of the message this response answers,
so a sender can tie every acknowledgement to what it sent.
"""

from __future__ import annotations

from datetime import UTC, datetime

from lxml import etree
from pydantic import Field

from seedsim.core.validation import Issue
from seedsim.core.wco import NS_RES, NS_RES_DS, MetaData, serialize, unwrap, wrap
from seedsim.core.xml_binding import XmlModel, attribute, element_in, from_element, text, to_element

ACCEPTED = "01"
REJECTED = "03"
GOODS_ENTERED = "09"


class DateTimeString(XmlModel):
    value: str = text()
    format_code: str = attribute("formatCode", "304")

    @classmethod
    def of(cls, moment: datetime) -> DateTimeString:
        """Format code 304: CCYYMMDDHHMMSS and a zone; seedsim always writes UTC."""
        return cls(value=moment.astimezone(UTC).strftime("%Y%m%d%H%M%S") + "Z")


class IssueDateTime(XmlModel):
    date_time_string: DateTimeString = element_in(NS_RES_DS, "DateTimeString")


class Pointer(XmlModel):
    sequence_numeric: int | None = Field(None, alias="SequenceNumeric")
    document_section_code: str | None = Field(None, alias="DocumentSectionCode")
    tag_id: str | None = Field(None, alias="TagID")


class AdditionalInformation(XmlModel):
    statement_code: str | None = Field(None, alias="StatementCode")
    statement_description: str | None = Field(None, alias="StatementDescription")
    statement_type_code: str | None = Field(None, alias="StatementTypeCode")


class Error(XmlModel):
    description: str | None = Field(None, alias="Description")
    validation_code: str | None = Field(None, alias="ValidationCode")


class ResponseDeclaration(XmlModel):
    lrn: str | None = Field(None, alias="FunctionalReferenceID")
    mrn: str | None = Field(None, alias="ID")


class Response(XmlModel):
    xml_tag = "Response"

    function_code: str = Field(alias="FunctionCode")
    in_reply_to: str | None = Field(None, alias="FunctionalReferenceID")
    issue_date_time: IssueDateTime | None = Field(None, alias="IssueDateTime")
    additional_information: list[AdditionalInformation] = Field(default_factory=list, alias="AdditionalInformation")
    errors: list[Error] = Field(default_factory=list, alias="Error")
    declaration: ResponseDeclaration = Field(default_factory=ResponseDeclaration, alias="Declaration")

    @property
    def positive(self) -> bool:
        return self.function_code != REJECTED

    def to_xml(self, metadata: MetaData) -> bytes:
        return serialize(wrap(metadata, to_element(self, "Response", NS_RES)))

    @classmethod
    def from_root(cls, root: etree._Element) -> Response:
        _, body = unwrap(root)
        if body.tag != f"{{{NS_RES}}}Response":
            raise ValueError(f"expected a WCO RES-DMS:2 Response, found {etree.QName(body).localname}")
        return from_element(cls, body, NS_RES)


def error_of(issue: Issue) -> Error:
    """A WCO Error from an issue: the rule id as ValidationCode, the pointer and value in the text."""
    text_ = issue.message
    if issue.pointer:
        text_ += f" [at {issue.pointer}]"
    elif issue.line:
        text_ += f" [line {issue.line}]"
    if issue.value is not None:
        text_ += f" [value: {issue.value[:60]}]"
    return Error(description=text_[:512], validation_code=issue.rule[:8])


def acknowledgement(
    in_reply_to: str,
    issues: list[Issue],
    now: datetime,
    lrn: str | None = None,
    mrn: str | None = None,
) -> Response:
    errors = [i for i in issues if i.severity == "error"]
    return Response(
        function_code=REJECTED if errors else ACCEPTED,
        in_reply_to=in_reply_to,
        issue_date_time=IssueDateTime(date_time_string=DateTimeString.of(now)),
        errors=[error_of(i) for i in errors],
        declaration=ResponseDeclaration(lrn=lrn, mrn=mrn),
    )
