"""Preferential proofs of origin (EUR.1 / EUR-MED) and their subsequent verification.

Why: SEED+ extends the exchange to certificates of origin (a WCO feasibility study uses the
SEED method); the importing administration receives the certificate before the goods and,
when in doubt, asks the exporting administration to verify it.

* ``CertificateOfOrigin``: the movement certificate EUR.1 (or EUR-MED) of the Regional
  Convention on pan-Euro-Mediterranean preferential rules of origin (PEM), Appendix I,
  which CEFTA 2006 applies through Annex 4. Elements follow the boxes of the form:
  1 Exporter, 2 "used in preferential trade between" (PreferentialTrade), 3 Consignee,
  4 OriginCountryCode, 5 DestinationCountryCode, 6 TransportDetails, 7 Remarks,
  8 GoodsItem (item number, marks, packages, description), 9 GrossMassMeasure or
  OtherQuantity, 10 Invoice, 11 CustomsEndorsement, 12 ExporterDeclaration; names after
  WCO DM classes where one exists.
* ``OriginVerificationRequest`` / ``OriginVerificationResponse``: box 13 (request for
  verification) and box 14 (result) of the EUR.1, as PEM Appendix I Article 32 describes
  them: verification at random or on reasonable doubt about authenticity, originating
  status or other requirements; the results are due within ten months.

Not public, so defined here and kept well-formed: the EUR.1 serial number format (each
country prints its own; seedsim uses letters + digits, e.g. ``A 1234567``), the request and
response identifiers (``RS-OVR-2026-000123`` / ``ME-OVA-2026-000045``) and the codes of
agreements, origin criteria, reasons and results (listed below). The EUR.1 itself has no
origin-criterion box; seedsim carries the criterion per item because verification turns on it.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

from pydantic import Field

from seedsim.core import codes
from seedsim.core.codes import hs_code_problem as hs_problem
from seedsim.core.identifiers import is_valid_mrn, is_valid_office, make_mrn
from seedsim.core.message_type import MessageType
from seedsim.core.validation import Issue, RuleContext, RuleSet
from seedsim.core.xml_binding import XmlDocument, XmlModel, attribute, text

NS = "urn:seedsim:origin:1"
SCHEMA = "origin/seedsim_origin.xsd"

# -- code lists ---------------------------------------------------------------------------------

#: Form of the proof (the title printed on it).
FORMS = {"EUR.1": "Movement certificate EUR.1", "EUR-MED": "Movement certificate EUR-MED"}
#: Agreements under which preference is claimed (seedsim codes; the legal texts have no codes).
AGREEMENTS = {
    "CEFTA": "Central European Free Trade Agreement 2006, Annex 4 (PEM rules)",
    "PEM": "Regional Convention on pan-Euro-Mediterranean preferential rules of origin",
    "EU-SAA": "Stabilisation and Association Agreement with the EU",
    "EFTA": "Free trade agreement with the EFTA States",
}
#: CEFTA 2006 parties (Moldova included) -- a CEFTA certificate circulates between them.
CEFTA_PARTIES = frozenset({"AL", "BA", "ME", "MK", "MD", "RS", "XK"})
#: Groups that boxes 2, 4 and 5 may name instead of a country.
GROUPS = {"EU": "European Union", "EEA": "European Economic Area", "CEFTA": "CEFTA parties"}
#: Origin criterion (PEM Appendix I: Article 4 wholly obtained, Article 5 sufficiently worked;
#: cumulation under Article 7 noted as CU).
ORIGIN_CRITERIA = {"WO": "Wholly obtained", "SW": "Sufficiently worked or processed", "CU": "Originating by cumulation"}
#: Who issued the certificate: customs, or a chamber of commerce authorised to issue it.
AUTHORITY_TYPES = {"CUS": "Customs administration", "COC": "Chamber of commerce"}
#: Why verification is asked (PEM Appendix I Article 32(1)).
REASONS = {
    "RAN": "Random verification",
    "AUT": "Reasonable doubt as to authenticity",
    "ORI": "Reasonable doubt as to originating status",
    "OTH": "Reasonable doubt as to other requirements (e.g. direct transport)",
}
#: Documents asked for: any UN/EDIFACT 1001 document name code (the whole UNTDID list, see
#: seedsim.core.codes), or ZZZ = mutually defined, described (e.g. the supplier's declaration).
OTHER_DOCUMENT = "ZZZ"
DOCUMENT_TYPES: dict[str, str] = {
    **codes.code_list(codes.DOCUMENT_LIST).names,
    OTHER_DOCUMENT: "Other (described)",
}
#: Result of verification (box 14; Article 32(5)).
RESULTS = {
    "AO": "Authentic and the products originating",
    "NA": "Not authentic",
    "NO": "Authentic, but the products are not originating",
    "ND": "Authenticity or origin cannot be determined",
}
#: Result-due limit of Article 32(6): ten months.
REPLY_MONTHS = 10

SERIAL_PATTERN = re.compile(r"^[A-Z]{1,2} ?[0-9]{6,8}$")
VERIFICATION_ID = re.compile(r"^[A-Z]{2}-OV[RA]-[0-9]{4}-[0-9]{6}$")


def add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


# -- models ---------------------------------------------------------------------------------------


class Measure(XmlModel):
    value: Decimal = text()
    unit_code: str = attribute("unitCode")


class Address(XmlModel):
    line: str | None = Field(None, alias="Line")
    city_name: str | None = Field(None, alias="CityName")
    postcode_id: str | None = Field(None, alias="PostcodeID")
    country_code: str = Field(alias="CountryCode")


class Party(XmlModel):
    """Exporter, consignee, issuing body or customs administration."""

    name: str = Field(alias="Name")
    id: str | None = Field(None, alias="ID")
    type_code: str | None = Field(None, alias="TypeCode")
    address: Address | None = Field(None, alias="Address")


class PreferentialTrade(XmlModel):
    """Box 2: the agreement and the two parties (countries or groups) between which it is used."""

    agreement_id: str = Field(alias="AgreementID")
    exporting_party_id: str = Field(alias="ExportingPartyID")
    importing_party_id: str = Field(alias="ImportingPartyID")


class TransportDetails(XmlModel):
    mode_code: str = Field(alias="ModeCode")
    id: str | None = Field(None, alias="ID")
    registration_nationality_code: str | None = Field(None, alias="RegistrationNationalityCode")


class Packaging(XmlModel):
    quantity: int = Field(alias="QuantityQuantity")
    type_code: str = Field(alias="TypeCode")


class Classification(XmlModel):
    id: str = Field(alias="ID")
    identification_type_code: str = Field("HS", alias="IdentificationTypeCode")


class GoodsItem(XmlModel):
    sequence_numeric: int = Field(alias="SequenceNumeric")
    marks_numbers_id: str | None = Field(None, alias="MarksNumbersID")
    packaging: Packaging | None = Field(None, alias="Packaging")
    description: str = Field(alias="Description")
    classification: Classification | None = Field(None, alias="Classification")
    origin_criterion_code: str = Field(alias="OriginCriterionCode")
    gross_mass: Measure | None = Field(None, alias="GrossMassMeasure")
    net_mass: Measure | None = Field(None, alias="NetMassMeasure")
    other_quantity: Measure | None = Field(None, alias="OtherQuantity")
    invoice_id: str | None = Field(None, alias="InvoiceID")


class Invoice(XmlModel):
    id: str = Field(alias="ID")
    issue_date: str = Field(alias="IssueDate")


class CustomsEndorsement(XmlModel):
    """Box 11: export declaration, customs office, issuing country, date (and, on paper, the stamp)."""

    export_declaration_id: str | None = Field(None, alias="ExportDeclarationID")
    customs_office_id: str = Field(alias="CustomsOfficeID")
    issuing_country_code: str = Field(alias="IssuingCountryCode")
    endorsement_date: str = Field(alias="EndorsementDate")


class ExporterDeclaration(XmlModel):
    place_name: str = Field(alias="PlaceName")
    declaration_date: str = Field(alias="DeclarationDate")


class CertificateOfOrigin(XmlModel):
    xml_tag = "CertificateOfOrigin"

    id: str = Field(alias="ID")
    type_code: str = Field(alias="TypeCode")
    issue_date: str = Field(alias="IssueDate")
    issue_location_name: str | None = Field(None, alias="IssueLocationName")
    preferential_trade: PreferentialTrade = Field(alias="PreferentialTrade")
    issuing_authority: Party = Field(alias="IssuingAuthority")
    exporter: Party = Field(alias="Exporter")
    consignee: Party | None = Field(None, alias="Consignee")
    origin_country_code: str = Field(alias="OriginCountryCode")
    destination_country_code: str = Field(alias="DestinationCountryCode")
    transport_details: TransportDetails | None = Field(None, alias="TransportDetails")
    remarks: list[str] = Field(default_factory=list, alias="Remarks")
    goods_item_quantity: int | None = Field(None, alias="GoodsItemQuantity")
    total_package_quantity: int | None = Field(None, alias="TotalPackageQuantity")
    total_gross_mass: Measure | None = Field(None, alias="TotalGrossMassMeasure")
    goods_items: list[GoodsItem] = Field(default_factory=list, alias="GoodsItem")
    invoices: list[Invoice] = Field(default_factory=list, alias="Invoice")
    customs_endorsement: CustomsEndorsement = Field(alias="CustomsEndorsement")
    exporter_declaration: ExporterDeclaration = Field(alias="ExporterDeclaration")


class CertificateReference(XmlModel):
    id: str = Field(alias="ID")
    type_code: str = Field(alias="TypeCode")
    issue_date: str = Field(alias="IssueDate")
    issuing_country_code: str = Field(alias="IssuingCountryCode")


class Reason(XmlModel):
    reason_code: str = Field(alias="ReasonCode")
    description: str | None = Field(None, alias="Description")


class RequestedDocument(XmlModel):
    type_code: str = Field(alias="TypeCode")
    description: str | None = Field(None, alias="Description")


class OriginVerificationRequest(XmlModel):
    xml_tag = "OriginVerificationRequest"

    id: str = Field(alias="ID")
    issue_date: str = Field(alias="IssueDate")
    requesting_authority: Party = Field(alias="RequestingAuthority")
    requested_authority: Party = Field(alias="RequestedAuthority")
    certificate: CertificateReference = Field(alias="Certificate")
    import_declaration_id: str | None = Field(None, alias="ImportDeclarationID")
    reasons: list[Reason] = Field(default_factory=list, alias="Reason")
    requested_documents: list[RequestedDocument] = Field(default_factory=list, alias="RequestedDocument")
    response_due_date: str | None = Field(None, alias="ResponseDueDate")


class Finding(XmlModel):
    sequence_numeric: int = Field(alias="SequenceNumeric")
    goods_item_sequence_numeric: int | None = Field(None, alias="GoodsItemSequenceNumeric")
    description: str = Field(alias="Description")


class OriginVerificationResponse(XmlModel):
    xml_tag = "OriginVerificationResponse"

    id: str = Field(alias="ID")
    request_id: str | None = Field(None, alias="RequestID")
    request_date: str | None = Field(None, alias="RequestDate")
    issue_date: str = Field(alias="IssueDate")
    responding_authority: Party = Field(alias="RespondingAuthority")
    certificate: CertificateReference = Field(alias="Certificate")
    result_code: str = Field(alias="ResultCode")
    findings: list[Finding] = Field(default_factory=list, alias="Finding")


DOCUMENTS = {
    cls: XmlDocument(cls, cls.xml_tag, NS)
    for cls in (CertificateOfOrigin, OriginVerificationRequest, OriginVerificationResponse)
}


def write(model: XmlModel) -> bytes:
    """Any of the three documents."""
    return DOCUMENTS[type(model)].write(model)


# -- rules: shared helpers -------------------------------------------------------------------------


def _party_countries(where: str, party: Party | None) -> Iterator[tuple[str, str]]:
    if party and party.address:
        yield f"{where}/Address/CountryCode", party.address.country_code


COUNTRY_MESSAGE = "not an ISO 3166-1 alpha-2 country code: use the 2-letter code, e.g. RS, ME, MK"


# -- rules: CertificateOfOrigin ---------------------------------------------------------------------

CO = "/CertificateOfOrigin"
CO_RULES = RuleSet("certificate-of-origin")


def _item(pos: int) -> str:
    return f"{CO}/GoodsItem[{pos}]"


@CO_RULES.rule("ORG101", 110, "Country codes are ISO 3166-1 alpha-2 (boxes 2, 4 and 5 may name a group)")
def co_countries(c: CertificateOfOrigin, ctx: RuleContext) -> Iterator[Issue]:
    def pairs() -> Iterator[tuple[str, str]]:
        for where, party in (
            ("IssuingAuthority", c.issuing_authority),
            ("Exporter", c.exporter),
            ("Consignee", c.consignee),
        ):
            yield from _party_countries(f"{CO}/{where}", party)
        if c.transport_details and c.transport_details.registration_nationality_code:
            yield (
                f"{CO}/TransportDetails/RegistrationNationalityCode",
                c.transport_details.registration_nationality_code,
            )
        yield f"{CO}/CustomsEndorsement/IssuingCountryCode", c.customs_endorsement.issuing_country_code

    def box_pairs() -> Iterator[tuple[str, str]]:
        yield f"{CO}/PreferentialTrade/ExportingPartyID", c.preferential_trade.exporting_party_id
        yield f"{CO}/PreferentialTrade/ImportingPartyID", c.preferential_trade.importing_party_id
        yield f"{CO}/OriginCountryCode", c.origin_country_code
        yield f"{CO}/DestinationCountryCode", c.destination_country_code

    yield from codes.country_code_issues("ORG101", 110, pairs(), COUNTRY_MESSAGE)
    yield from codes.country_code_issues("ORG101", 110, box_pairs(), COUNTRY_MESSAGE, extra=GROUPS)


@CO_RULES.rule("ORG102", 112, "Commodity codes are HS-based")
def co_hs(c: CertificateOfOrigin, ctx: RuleContext) -> Iterator[Issue]:
    for pos, item in enumerate(c.goods_items, 1):
        if item.classification and (why := hs_problem(item.classification.id)):
            yield Issue(
                "ORG102",
                112,
                f"not an HS-based commodity code: {why}",
                f"{_item(pos)}/Classification/ID",
                item.classification.id,
            )


@CO_RULES.rule("ORG103", 113, "Form, agreement, origin criterion, issuer and transport mode come from their code lists")
def co_code_lists(c: CertificateOfOrigin, ctx: RuleContext) -> Iterator[Issue]:
    checks = [
        (f"{CO}/TypeCode", c.type_code, FORMS, "the form of the proof"),
        (f"{CO}/PreferentialTrade/AgreementID", c.preferential_trade.agreement_id, AGREEMENTS, "the agreement"),
    ]
    if c.issuing_authority.type_code is not None:
        checks.append(
            (f"{CO}/IssuingAuthority/TypeCode", c.issuing_authority.type_code, AUTHORITY_TYPES, "the issuing body")
        )
    if c.transport_details:
        checks.append(
            (
                f"{CO}/TransportDetails/ModeCode",
                c.transport_details.mode_code,
                {**codes.TRANSPORT_MODES, **dict.fromkeys(ctx.national_codes.get(codes.TRANSPORT_MODE_LIST, ()), "")},
                "UN/ECE Rec. 19 mode",
            )
        )
    for pos, item in enumerate(c.goods_items, 1):
        checks.append(
            (f"{_item(pos)}/OriginCriterionCode", item.origin_criterion_code, ORIGIN_CRITERIA, "the origin criterion")
        )
    for pointer, value, allowed, what in checks:
        if value not in allowed:
            yield Issue("ORG103", 113, f"unknown code for {what}: use one of {', '.join(allowed)}", pointer, value)


@CO_RULES.rule("ORG104", 120, "Certificate serial, customs office and export declaration MRN are well-formed")
def co_identifiers(c: CertificateOfOrigin, ctx: RuleContext) -> Iterator[Issue]:
    if not SERIAL_PATTERN.match(c.id):
        yield Issue(
            "ORG104",
            120,
            "not a certificate serial number: the series letter(s) then 6 to 8 digits, e.g. A 1234567",
            f"{CO}/ID",
            c.id,
        )
    e = c.customs_endorsement
    if not is_valid_office(e.customs_office_id):
        yield Issue(
            "ORG104",
            120,
            "not a customs office reference number (2-letter country + 6 characters, e.g. RS015001)",
            f"{CO}/CustomsEndorsement/CustomsOfficeID",
            e.customs_office_id,
        )
    elif e.customs_office_id[:2] != e.issuing_country_code:
        yield Issue(
            "ORG104",
            120,
            f"the endorsing customs office is not in the issuing country {e.issuing_country_code}",
            f"{CO}/CustomsEndorsement/CustomsOfficeID",
            e.customs_office_id,
        )
    if e.export_declaration_id is not None and not is_valid_mrn(e.export_declaration_id):
        yield Issue(
            "ORG104",
            120,
            "not a valid MRN: 18 characters (YY, country, 12 alphanumerics, procedure letter, check character)",
            f"{CO}/CustomsEndorsement/ExportDeclarationID",
            e.export_declaration_id,
        )


@CO_RULES.rule("ORG105", 114, "Gross mass is not less than net mass")
def co_gross_net(c: CertificateOfOrigin, ctx: RuleContext) -> Iterator[Issue]:
    for pos, item in enumerate(c.goods_items, 1):
        if item.gross_mass and item.net_mass and item.gross_mass.value < item.net_mass.value:
            yield Issue(
                "ORG105",
                114,
                f"gross mass is below the net mass ({item.net_mass.value} kg): gross mass includes packaging",
                f"{_item(pos)}/GrossMassMeasure",
                str(item.gross_mass.value),
            )


@CO_RULES.rule("ORG106", 115, "Totals equal the sum of the goods items")
def co_totals(c: CertificateOfOrigin, ctx: RuleContext) -> Iterator[Issue]:
    items = c.goods_items
    if c.goods_item_quantity is not None and c.goods_item_quantity != len(items):
        yield Issue(
            "ORG106",
            115,
            f"GoodsItemQuantity says {c.goods_item_quantity} but the certificate has {len(items)} goods items",
            f"{CO}/GoodsItemQuantity",
            str(c.goods_item_quantity),
        )
    if c.total_package_quantity is not None and all(i.packaging for i in items):
        total = sum(i.packaging.quantity for i in items)
        if total != c.total_package_quantity:
            yield Issue(
                "ORG106",
                115,
                f"TotalPackageQuantity differs from the sum of the items' packages ({total})",
                f"{CO}/TotalPackageQuantity",
                str(c.total_package_quantity),
            )
    if c.total_gross_mass is not None and all(i.gross_mass for i in items):
        total_mass = sum((i.gross_mass.value for i in items), Decimal(0))
        if abs(total_mass - c.total_gross_mass.value) > Decimal("0.001"):
            yield Issue(
                "ORG106",
                115,
                f"TotalGrossMassMeasure differs from the sum of the items' gross masses ({total_mass} kg)",
                f"{CO}/TotalGrossMassMeasure",
                str(c.total_gross_mass.value),
            )


@CO_RULES.rule("ORG107", 116, "Dates are in order: invoices, exporter's declaration, customs endorsement")
def co_dates(c: CertificateOfOrigin, ctx: RuleContext) -> Iterator[Issue]:
    issued = _date(c.issue_date)
    declared = _date(c.exporter_declaration.declaration_date)
    endorsed = _date(c.customs_endorsement.endorsement_date)
    for pos, inv in enumerate(c.invoices, 1):
        d = _date(inv.issue_date)
        if d and declared and d > declared:
            yield Issue(
                "ORG107",
                116,
                "the invoice is dated after the exporter's declaration (box 12): the goods must be invoiced first",
                f"{CO}/Invoice[{pos}]/IssueDate",
                inv.issue_date,
            )
    if declared and endorsed and declared > endorsed:
        yield Issue(
            "ORG107",
            116,
            "the exporter's declaration (box 12) is dated after the customs endorsement (box 11)",
            f"{CO}/ExporterDeclaration/DeclarationDate",
            c.exporter_declaration.declaration_date,
        )
    if issued and endorsed and issued != endorsed:
        yield Issue(
            "ORG107",
            116,
            "IssueDate must be the date of the customs endorsement (box 11)",
            f"{CO}/IssueDate",
            c.issue_date,
        )


@CO_RULES.rule("ORG108", 117, "Goods items refer only to invoices listed in box 10")
def co_invoice_refs(c: CertificateOfOrigin, ctx: RuleContext) -> Iterator[Issue]:
    listed = {i.id for i in c.invoices}
    for pos, item in enumerate(c.goods_items, 1):
        if item.invoice_id is not None and item.invoice_id not in listed:
            yield Issue(
                "ORG108",
                117,
                "the goods item names an invoice that box 10 (Invoice) does not list: add the invoice or correct the reference",
                f"{_item(pos)}/InvoiceID",
                item.invoice_id,
            )


@CO_RULES.rule("ORG109", 118, "Goods items are numbered 1..n and each states a positive gross mass or other quantity")
def co_item_quantities(c: CertificateOfOrigin, ctx: RuleContext) -> Iterator[Issue]:
    for pos, item in enumerate(c.goods_items, 1):
        if item.sequence_numeric != pos:
            yield Issue(
                "ORG109",
                118,
                f"item numbers run 1, 2, 3 ... in order: this is item {pos}",
                f"{_item(pos)}/SequenceNumeric",
                str(item.sequence_numeric),
            )
        measure = item.gross_mass or item.other_quantity
        if measure is None:
            yield Issue(
                "ORG109",
                118,
                "box 9 needs the gross mass (kg) or another measure (litres, m3, ...)",
                f"{_item(pos)}/GrossMassMeasure",
            )
        elif measure.value <= 0:
            tag = "GrossMassMeasure" if item.gross_mass else "OtherQuantity"
            yield Issue(
                "ORG109", 118, "the quantity must be greater than zero", f"{_item(pos)}/{tag}", str(measure.value)
            )


@CO_RULES.rule("ORG110", 301, "A CEFTA certificate circulates between two different CEFTA parties")
def co_agreement_parties(c: CertificateOfOrigin, ctx: RuleContext) -> Iterator[Issue]:
    if c.origin_country_code == c.destination_country_code:
        yield Issue(
            "ORG110",
            301,
            "the country of destination (box 5) is the country of origin (box 4): preference needs a cross-border movement",
            f"{CO}/DestinationCountryCode",
            c.destination_country_code,
        )
    if c.preferential_trade.agreement_id != "CEFTA":
        return
    for pointer, value in (
        (f"{CO}/OriginCountryCode", c.origin_country_code),
        (f"{CO}/DestinationCountryCode", c.destination_country_code),
    ):
        if value not in CEFTA_PARTIES and value != "CEFTA":
            yield Issue(
                "ORG110",
                301,
                f"not a CEFTA party ({', '.join(sorted(CEFTA_PARTIES))}): claim another agreement or correct the country",
                pointer,
                value,
            )


# -- rules: verification ---------------------------------------------------------------------------

RQ = "/OriginVerificationRequest"
RS_ = "/OriginVerificationResponse"
REQUEST_RULES = RuleSet("origin-verification-request")
RESPONSE_RULES = RuleSet("origin-verification-response")


def _reference_issues(rule: str, root: str, ref: CertificateReference) -> Iterator[Issue]:
    if ref.type_code not in FORMS:
        yield Issue(
            rule,
            113,
            f"unknown form of proof: use one of {', '.join(FORMS)}",
            f"{root}/Certificate/TypeCode",
            ref.type_code,
        )
    if not SERIAL_PATTERN.match(ref.id):
        yield Issue(
            rule,
            120,
            "not a certificate serial number: the series letter(s) then 6 to 8 digits, e.g. A 1234567",
            f"{root}/Certificate/ID",
            ref.id,
        )


@REQUEST_RULES.rule("ORG121", 110, "Country codes are ISO 3166-1 alpha-2")
def rq_countries(r: OriginVerificationRequest, ctx: RuleContext) -> Iterator[Issue]:
    def pairs() -> Iterator[tuple[str, str]]:
        yield from _party_countries(f"{RQ}/RequestingAuthority", r.requesting_authority)
        yield from _party_countries(f"{RQ}/RequestedAuthority", r.requested_authority)
        yield f"{RQ}/Certificate/IssuingCountryCode", r.certificate.issuing_country_code

    yield from codes.country_code_issues("ORG121", 110, pairs(), COUNTRY_MESSAGE)


@REQUEST_RULES.rule("ORG122", 113, "Reasons, requested documents and the certificate come from their code lists")
def rq_code_lists(r: OriginVerificationRequest, ctx: RuleContext) -> Iterator[Issue]:
    for pos, reason in enumerate(r.reasons, 1):
        if reason.reason_code not in REASONS:
            yield Issue(
                "ORG122",
                113,
                f"unknown reason for verification: use one of {', '.join(REASONS)} (PEM Appendix I Art. 32(1))",
                f"{RQ}/Reason[{pos}]/ReasonCode",
                reason.reason_code,
            )
    for pos, doc in enumerate(r.requested_documents, 1):
        pointer = f"{RQ}/RequestedDocument[{pos}]"
        if doc.type_code not in DOCUMENT_TYPES:
            yield Issue(
                "ORG122",
                113,
                "unknown document type: use a UNTDID 1001 document name code (e.g. 380 commercial invoice, "
                "271 packing list, 861 certificate of origin), or ZZZ with a Description",
                f"{pointer}/TypeCode",
                doc.type_code,
            )
        elif doc.type_code == "ZZZ" and not doc.description:
            yield Issue(
                "ORG122",
                113,
                "a document of type ZZZ needs a Description saying which document is asked for",
                f"{pointer}/Description",
            )
    yield from _reference_issues("ORG122", RQ, r.certificate)


@REQUEST_RULES.rule("ORG123", 115, "Dates are in order: certificate, request, reply due within ten months")
def rq_dates(r: OriginVerificationRequest, ctx: RuleContext) -> Iterator[Issue]:
    asked, issued, due = _date(r.issue_date), _date(r.certificate.issue_date), _date(r.response_due_date)
    if asked and issued and issued > asked:
        yield Issue(
            "ORG123",
            115,
            "the certificate is dated after the request for its verification",
            f"{RQ}/Certificate/IssueDate",
            r.certificate.issue_date,
        )
    if asked and due and not asked < due <= add_months(asked, REPLY_MONTHS):
        yield Issue(
            "ORG123",
            115,
            f"the reply is due after the request and at most {REPLY_MONTHS} months later (PEM Appendix I Art. 32(6))",
            f"{RQ}/ResponseDueDate",
            r.response_due_date,
        )


@REQUEST_RULES.rule("ORG124", 120, "The request and the import declaration have well-formed identifiers")
def rq_identifiers(r: OriginVerificationRequest, ctx: RuleContext) -> Iterator[Issue]:
    if not VERIFICATION_ID.match(r.id) or r.id[3:6] != "OVR":
        yield Issue(
            "ORG124",
            120,
            "not a verification request id: country, OVR, year, 6 digits, e.g. RS-OVR-2026-000123",
            f"{RQ}/ID",
            r.id,
        )
    if r.import_declaration_id is not None and not is_valid_mrn(r.import_declaration_id):
        yield Issue(
            "ORG124",
            120,
            "not a valid MRN: 18 characters (YY, country, 12 alphanumerics, procedure letter, check character)",
            f"{RQ}/ImportDeclarationID",
            r.import_declaration_id,
        )


@RESPONSE_RULES.rule("ORG131", 131, "A response names the request it answers")
def rs_refers_to_request(r: OriginVerificationResponse, ctx: RuleContext) -> Iterator[Issue]:
    if not r.request_id:
        yield Issue(
            "ORG131",
            131,
            "RequestID must hold the ID of the OriginVerificationRequest being answered",
            f"{RS_}/RequestID",
        )
    elif not VERIFICATION_ID.match(r.request_id) or r.request_id[3:6] != "OVR":
        yield Issue(
            "ORG131",
            131,
            "RequestID is not a verification request id (e.g. RS-OVR-2026-000123)",
            f"{RS_}/RequestID",
            r.request_id,
        )
    if not VERIFICATION_ID.match(r.id) or r.id[3:6] != "OVA":
        yield Issue(
            "ORG131",
            131,
            "not a verification response id: country, OVA, year, 6 digits, e.g. ME-OVA-2026-000045",
            f"{RS_}/ID",
            r.id,
        )


@RESPONSE_RULES.rule("ORG132", 113, "The result and the certificate come from their code lists")
def rs_code_lists(r: OriginVerificationResponse, ctx: RuleContext) -> Iterator[Issue]:
    if r.result_code not in RESULTS:
        yield Issue(
            "ORG132",
            113,
            f"unknown result of verification: use one of {', '.join(RESULTS)}",
            f"{RS_}/ResultCode",
            r.result_code,
        )
    yield from _reference_issues("ORG132", RS_, r.certificate)
    yield from codes.country_code_issues(
        "ORG132", 110, _party_countries(f"{RS_}/RespondingAuthority", r.responding_authority), COUNTRY_MESSAGE
    )


@RESPONSE_RULES.rule("ORG133", 115, "Dates are in order: certificate, request, response")
def rs_dates(r: OriginVerificationResponse, ctx: RuleContext) -> Iterator[Issue]:
    answered, asked, issued = _date(r.issue_date), _date(r.request_date), _date(r.certificate.issue_date)
    if asked and answered and answered < asked:
        yield Issue(
            "ORG133", 115, "the response is dated before the request it answers", f"{RS_}/IssueDate", r.issue_date
        )
    elif asked and answered and answered > add_months(asked, REPLY_MONTHS):
        yield Issue(
            "ORG133",
            201,
            f"the result came more than {REPLY_MONTHS} months after the request: the importing party may refuse "
            "preference (PEM Appendix I Art. 32(6))",
            f"{RS_}/IssueDate",
            r.issue_date,
            severity="warning",
        )
    if issued and asked and issued > asked:
        yield Issue(
            "ORG133",
            115,
            "the certificate is dated after the request for its verification",
            f"{RS_}/Certificate/IssueDate",
            r.certificate.issue_date,
        )


@RESPONSE_RULES.rule("ORG134", 302, "A result other than 'authentic and originating' states its findings")
def rs_findings(r: OriginVerificationResponse, ctx: RuleContext) -> Iterator[Issue]:
    if r.result_code in RESULTS and r.result_code != "AO" and not r.findings:
        yield Issue(
            "ORG134",
            302,
            "add at least one Finding saying why the proof is not authentic, not originating or cannot be verified",
            f"{RS_}/Finding",
            r.result_code,
        )
    for pos, f in enumerate(r.findings, 1):
        if f.sequence_numeric != pos:
            yield Issue(
                "ORG134",
                302,
                f"findings are numbered 1, 2, 3 ... in order: this is finding {pos}",
                f"{RS_}/Finding[{pos}]/SequenceNumeric",
                str(f.sequence_numeric),
            )


# -- generators: realistic Western Balkan data -------------------------------------------------------

#: (country, city, postcode, customs office of export, exporters)
_PLACES = {
    "RS": ("Beograd", "11000", "RS015001", ["Fructus Export d.o.o.", "Agro Šumadija d.o.o.", "Malina Arilje d.o.o."]),
    "ME": ("Podgorica", "81000", "ME200012", ["Plantaže 13. jul a.d.", "Primorka d.o.o."]),
    "MK": ("Skopje", "1000", "MK001010", ["Agrovit DOOEL", "Vinarija Tikveš AD"]),
    "AL": ("Tiranë", "1001", "AL010100", ["Agro Adriatik sh.p.k.", "Fruta Korça sh.p.k."]),
    "BA": ("Sarajevo", "71000", "BA100100", ["Voćar d.o.o.", "Agrokomerc d.d."]),
    "XK": ("Prishtinë", "10000", "XK010101", ["Agro Dardania sh.p.k.", "Frutti Ks L.L.C."]),
}
CHAMBERS = {
    "RS": "Privredna komora Srbije",
    "ME": "Privredna komora Crne Gore",
    "MK": "Stopanska komora na Severna Makedonija",
    "AL": "Dhoma e Tregtisë dhe Industrisë Tiranë",
    "BA": "Vanjskotrgovinska komora BiH",
    "XK": "Oda Ekonomike e Kosovës",
}
_CUSTOMS = {
    "RS": "Uprava carina Srbije",
    "ME": "Uprava prihoda i carina Crne Gore",
    "MK": "Carinska uprava na RSM",
    "AL": "Drejtoria e Përgjithshme e Doganave",
    "BA": "Uprava za indirektno oporezivanje BiH",
    "XK": "Dogana e Kosovës",
}
#: (description, HS code, criterion, package type UN/ECE Rec. 21, kg per package)
_GOODS = [
    ("Fresh apples, Idared, class I", "0808108000", "WO", "CT", Decimal("18")),
    ("Frozen raspberries, Willamette", "0811208000", "WO", "CT", Decimal("10")),
    ("Ware potatoes, fresh", "0701900000", "WO", "SA", Decimal("25")),
    ("Table grapes, fresh", "0806101000", "WO", "CT", Decimal("8")),
    ("Red wine, Vranac, in bottles of 0.75 l", "2204219300", "SW", "CT", Decimal("9")),
    ("Plum jam", "2007999700", "SW", "CT", Decimal("12")),
    ("Dried plums (prunes)", "0813200000", "WO", "BG", Decimal("20")),
]


def _party(rng: random.Random, country: str, name: str, type_code: str | None = None) -> Party:
    city, postcode, _, _ = _PLACES[country]
    return Party(
        name=name,
        id=f"{country}{rng.randint(10**8, 10**9 - 1)}",
        type_code=type_code,
        address=Address(
            line=f"{rng.choice(['Industrijska', 'Glavna', 'Rruga e Kavajës', 'Bulevar'])} {rng.randint(1, 120)}",
            city_name=city,
            postcode_id=postcode,
            country_code=country,
        ),
    )


def _serial(rng: random.Random) -> str:
    return f"{rng.choice('ABCDE')} {rng.randint(0, 9_999_999):07d}"


def _day(rng: random.Random) -> date:
    return date(2026, 1, 1) + timedelta(days=rng.randint(0, 300))


def generate_certificate(rng: random.Random) -> CertificateOfOrigin:
    origin, dest = rng.sample(sorted(_PLACES), 2)
    city, _, office, exporters = _PLACES[origin]
    endorsed = _day(rng)
    declared = endorsed - timedelta(days=rng.randint(0, 2))
    invoices = [
        Invoice(
            id=f"{rng.randint(1, 999)}/{endorsed.year}",
            issue_date=(declared - timedelta(days=rng.randint(0, 5))).isoformat(),
        )
        for _ in range(rng.randint(1, 2))
    ]
    items = []
    for seq in range(1, rng.randint(1, 4) + 1):
        desc, hs, criterion, pkg, per = rng.choice(_GOODS)
        packages = rng.randint(20, 1200)
        net = per * packages
        gross = (net * Decimal("1.06")).quantize(Decimal("0.001"))
        items.append(
            GoodsItem(
                sequence_numeric=seq,
                marks_numbers_id=f"{origin}-{rng.randint(100, 999)}/{seq}",
                packaging=Packaging(quantity=packages, type_code=pkg),
                description=desc,
                classification=Classification(id=hs),
                origin_criterion_code=criterion,
                gross_mass=Measure(value=gross, unit_code="KGM"),
                net_mass=Measure(value=net, unit_code="KGM"),
                invoice_id=rng.choice(invoices).id,
            )
        )
    by_chamber = rng.random() < 0.5
    issuer = _party(rng, origin, CHAMBERS[origin] if by_chamber else _CUSTOMS[origin], "COC" if by_chamber else "CUS")
    serial = "".join(rng.choice("0123456789ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(12))
    return CertificateOfOrigin(
        id=_serial(rng),
        type_code=rng.choice(["EUR.1", "EUR.1", "EUR-MED"]),
        issue_date=endorsed.isoformat(),
        issue_location_name=city,
        preferential_trade=PreferentialTrade(agreement_id="CEFTA", exporting_party_id=origin, importing_party_id=dest),
        issuing_authority=issuer,
        exporter=_party(rng, origin, rng.choice(exporters)),
        consignee=_party(rng, dest, rng.choice(_PLACES[dest][3])) if rng.random() < 0.9 else None,
        origin_country_code=origin,
        destination_country_code=dest,
        transport_details=TransportDetails(
            mode_code="3",
            id=f"{origin}{rng.randint(100, 999)}{rng.choice(['AB', 'KL', 'TZ'])}",
            registration_nationality_code=origin,
        )
        if rng.random() < 0.7
        else None,
        remarks=["Issued retrospectively"] if rng.random() < 0.1 else [],
        goods_item_quantity=len(items),
        total_package_quantity=sum(i.packaging.quantity for i in items),
        total_gross_mass=Measure(value=sum((i.gross_mass.value for i in items), Decimal(0)), unit_code="KGM"),
        goods_items=items,
        invoices=invoices,
        customs_endorsement=CustomsEndorsement(
            export_declaration_id=make_mrn(endorsed.year, origin, serial, "A"),
            customs_office_id=office,
            issuing_country_code=origin,
            endorsement_date=endorsed.isoformat(),
        ),
        exporter_declaration=ExporterDeclaration(place_name=city, declaration_date=declared.isoformat()),
    )


def _reference(rng: random.Random, country: str, issued: date) -> CertificateReference:
    return CertificateReference(
        id=_serial(rng), type_code="EUR.1", issue_date=issued.isoformat(), issuing_country_code=country
    )


def generate_request(rng: random.Random) -> OriginVerificationRequest:
    exporting, importing = rng.sample(sorted(_PLACES), 2)
    issued = _day(rng)
    asked = issued + timedelta(days=rng.randint(20, 400))
    reasons = (
        [Reason(reason_code="RAN")]
        if rng.random() < 0.3
        else [
            Reason(reason_code=code, description=text_)
            for code, text_ in rng.sample(
                [
                    ("ORI", "Supplier's declarations for the raw material were not presented"),
                    ("AUT", "Stamp differs from the specimen"),
                    ("OTH", "Goods were transported through a third country"),
                ],
                rng.randint(1, 2),
            )
        ]
    )
    serial = "".join(rng.choice("0123456789ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(12))
    return OriginVerificationRequest(
        id=f"{importing}-OVR-{asked.year}-{rng.randint(1, 999_999):06d}",
        issue_date=asked.isoformat(),
        requesting_authority=_party(rng, importing, _CUSTOMS[importing], "CUS"),
        requested_authority=_party(rng, exporting, _CUSTOMS[exporting], "CUS"),
        certificate=_reference(rng, exporting, issued),
        import_declaration_id=make_mrn(issued.year, importing, serial, "R"),
        reasons=reasons,
        requested_documents=[
            RequestedDocument(type_code="380"),
            RequestedDocument(type_code="ZZZ", description="Supplier's declarations and production records"),
        ][: rng.randint(1, 2)],
        response_due_date=add_months(asked, REPLY_MONTHS).isoformat(),
    )


def generate_response(rng: random.Random) -> OriginVerificationResponse:
    exporting, importing = rng.sample(sorted(_PLACES), 2)
    issued = _day(rng)
    asked = issued + timedelta(days=rng.randint(20, 200))
    answered = asked + timedelta(days=rng.randint(10, 280))
    result = rng.choice(["AO", "AO", "AO", "NO", "NA", "ND"])
    findings = (
        []
        if result == "AO"
        else [
            Finding(
                sequence_numeric=1,
                goods_item_sequence_numeric=1,
                description={
                    "NO": "Non-originating sugar exceeds the value tolerance of the list rule",
                    "NA": "The certificate was not issued by the customs office indicated",
                    "ND": "The exporter did not provide the supporting documents",
                }[result],
            )
        ]
    )
    return OriginVerificationResponse(
        id=f"{exporting}-OVA-{answered.year}-{rng.randint(1, 999_999):06d}",
        request_id=f"{importing}-OVR-{asked.year}-{rng.randint(1, 999_999):06d}",
        request_date=asked.isoformat(),
        issue_date=answered.isoformat(),
        responding_authority=_party(rng, exporting, _CUSTOMS[exporting], "CUS"),
        certificate=_reference(rng, exporting, issued),
        result_code=result,
        findings=findings,
    )


# -- catalogue ------------------------------------------------------------------------------------

CERTIFICATE_OF_ORIGIN = MessageType(
    name="CertificateOfOrigin",
    ce_type="org.seedsim.c2c.certificate-of-origin.v1",
    schema=SCHEMA,
    element=DOCUMENTS[CertificateOfOrigin].element,
    read=DOCUMENTS[CertificateOfOrigin].read,
    write=write,
    description="Preferential proof of origin (movement certificate EUR.1 / EUR-MED, PEM / CEFTA Annex 4) sent ahead of the goods.",
    rules=CO_RULES,
    generate=generate_certificate,
)
ORIGIN_VERIFICATION_REQUEST = MessageType(
    name="OriginVerificationRequest",
    ce_type="org.seedsim.c2c.origin-verification-request.v1",
    schema=SCHEMA,
    element=DOCUMENTS[OriginVerificationRequest].element,
    read=DOCUMENTS[OriginVerificationRequest].read,
    write=write,
    description="The importing administration asks the exporting one to verify a proof of origin (PEM Appendix I Art. 32, EUR.1 box 13).",
    rules=REQUEST_RULES,
    generate=generate_request,
)
ORIGIN_VERIFICATION_RESPONSE = MessageType(
    name="OriginVerificationResponse",
    ce_type="org.seedsim.c2c.origin-verification-response.v1",
    schema=SCHEMA,
    element=DOCUMENTS[OriginVerificationResponse].element,
    read=DOCUMENTS[OriginVerificationResponse].read,
    write=write,
    description="The result of a verification of origin: authentic and originating, not authentic, not originating or undetermined (box 14).",
    rules=RESPONSE_RULES,
    generate=generate_response,
)

MESSAGE_TYPES = [CERTIFICATE_OF_ORIGIN, ORIGIN_VERIFICATION_REQUEST, ORIGIN_VERIFICATION_RESPONSE]
