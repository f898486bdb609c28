"""The SEED core exchange: exit data to the neighbour, acknowledgements, entry confirmations."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime

from lxml import etree

from seedsim.core.declaration import Declaration, DeclarationDocument
from seedsim.core.declaration_rules import EXCHANGE_RULES
from seedsim.core.identifiers import random_mrn
from seedsim.core.message_type import MessageType
from seedsim.core.response import (
    ACCEPTED,
    GOODS_ENTERED,
    REJECTED,
    AdditionalInformation,
    DateTimeString,
    IssueDateTime,
    Response,
    acknowledgement,
)
from seedsim.core.validation import Issue, RuleContext, RuleSet
from seedsim.core.wco import NS_DEC, NS_RES, MetaData
from seedsim.samples.consignments import ConsignmentGenerator
from seedsim.samples.crossings import DEMO_CROSSINGS

SEED_SCHEMA = "wco/seedsim_metadata.xsd"

# Match codes: one meaning each. The office of entry raises alerts M00-M06 on a consignment; an entry
# confirmation states the result with one AdditionalInformation per code: M10 (MAT) when the data matched,
# else one DIS per discrepancy, M01-M06. M00 is never in a confirmation: with no exit data there is none.
#: alert: the goods entered with no pre-arrival data from the country of exit
NO_PRE_ARRIVAL = "M00"
#: entry confirmation (StatementTypeCode MAT): every element compared matched
DATA_MATCHED = "M10"
#: entry confirmation (StatementTypeCode DIS) and alert: gross mass, HS code, value, consignor, consignee, vehicle
DISCREPANCIES = ("M01", "M02", "M03", "M04", "M05", "M06")


def read_declaration(root: etree._Element) -> Declaration:
    return DeclarationDocument.from_root(root).declaration


def write_declaration(d: Declaration) -> bytes:
    country = (d.exit_office.id[:2] if d.exit_office and d.exit_office.id else None) or (
        d.declaration_office_id or "ZZ"
    )[:2]
    return d.to_xml(MetaData(wco_type_name="DEC", responsible_country_code=country))


def write_response(r: Response) -> bytes:
    return r.to_xml(MetaData(wco_type_name="RES", responsible_country_code="ZZ"))


def generate_export_data(rng: random.Random) -> Declaration:
    """Exit data as a node sends it: a generated export declaration with the MRN it was given."""
    c = ConsignmentGenerator(rng.randrange(2**31), DEMO_CROSSINGS[0]).make(rng.randint(1, 9_999_999))
    return c.export.model_copy(update={"mrn": random_mrn(rng, datetime.now(UTC).year, "RS", "A")})


def generate_acknowledgement(rng: random.Random) -> Response:
    issues = (
        []
        if rng.random() < 0.5
        else [
            Issue(
                "R101",
                110,
                "not an ISO 3166-1 alpha-2 country code",
                "/MetaData/Declaration/Exporter/Address/CountryCode",
                "QQ",
            )
        ]
    )
    return acknowledgement(f"{rng.getrandbits(128):032x}", issues, datetime.now(UTC))


def generate_entry_confirmation(rng: random.Random) -> Response:
    return Response(
        function_code=GOODS_ENTERED,
        in_reply_to=f"{rng.getrandbits(128):032x}",
        issue_date_time=IssueDateTime(date_time_string=DateTimeString.of(datetime.now(UTC))),
        additional_information=[
            AdditionalInformation(
                statement_code=DATA_MATCHED,
                statement_description="entered at ME200012; data matched",
                statement_type_code="MAT",
            )
        ],
    )


RESPONSE_RULES = RuleSet("response")
RES = "/MetaData/Response"


@RESPONSE_RULES.rule("ACK101", 130, "A rejection carries its errors; an acceptance carries none")
def errors_match_function(r: Response, ctx: RuleContext) -> Iterator[Issue]:
    if r.function_code == REJECTED and not r.errors:
        yield Issue(
            "ACK101",
            130,
            "a negative acknowledgement (03) must list at least one Error saying what to fix",
            f"{RES}/Error",
            None,
        )
    if r.function_code == ACCEPTED and r.errors:
        yield Issue(
            "ACK101",
            130,
            "a positive acknowledgement (01) must not carry errors: send 03 instead",
            f"{RES}/Error[1]",
            r.errors[0].validation_code,
        )


@RESPONSE_RULES.rule("ACK102", 131, "A response names the message it answers")
def answers_a_message(r: Response, ctx: RuleContext) -> Iterator[Issue]:
    if not r.in_reply_to:
        yield Issue(
            "ACK102",
            131,
            "FunctionalReferenceID must hold the ce_id of the message being answered",
            f"{RES}/FunctionalReferenceID",
        )


@RESPONSE_RULES.rule("ENT101", 132, "An entry confirmation states the match result")
def states_match_result(r: Response, ctx: RuleContext) -> Iterator[Issue]:
    if r.function_code != GOODS_ENTERED:
        return
    kinds = {a.statement_type_code for a in r.additional_information}
    if not kinds & {"MAT", "DIS"}:
        yield Issue(
            "ENT101",
            132,
            "add AdditionalInformation with StatementTypeCode MAT (data matched) or DIS (one per discrepancy)",
            f"{RES}/AdditionalInformation",
        )
    elif kinds >= {"MAT", "DIS"}:
        yield Issue("ENT101", 132, "the data cannot both match (MAT) and differ (DIS)", f"{RES}/AdditionalInformation")


@RESPONSE_RULES.rule("ENT102", 133, "An entry confirmation's match codes agree with their statement types")
def match_codes(r: Response, ctx: RuleContext) -> Iterator[Issue]:
    if r.function_code != GOODS_ENTERED:
        return
    wanted = {
        "MAT": ((DATA_MATCHED,), f"{DATA_MATCHED} (the data matched)"),
        "DIS": (DISCREPANCIES, f"one of {DISCREPANCIES[0]}-{DISCREPANCIES[-1]} (the element that differs)"),
    }
    for pos, a in enumerate(r.additional_information, 1):
        if a.statement_type_code not in wanted:
            continue
        codes, says = wanted[a.statement_type_code]
        if a.statement_code is not None and a.statement_code not in codes:  # a data set may leave the code out
            yield Issue(
                "ENT102",
                133,
                f"StatementTypeCode {a.statement_type_code} carries StatementCode {says}; {NO_PRE_ARRIVAL} is the "
                "office of entry's alert for goods with no pre-arrival data, never a match result",
                f"{RES}/AdditionalInformation[{pos}]/StatementCode",
                a.statement_code,
            )


EXPORT_DATA = MessageType(
    name="ExportData",
    ce_type="org.seedsim.c2c.export-data.v1",
    schema=SEED_SCHEMA,
    element=f"{{{NS_DEC}}}Declaration",
    discriminator=("TypeCode", ("EX",)),
    read=read_declaration,
    write=write_declaration,
    description="Export declaration data sent to the neighbour's office of entry on Pre-Arrival and on Exit (SEED core).",
    rules=EXCHANGE_RULES,
    generate=generate_export_data,
)
ACKNOWLEDGEMENT = MessageType(
    name="Acknowledgement",
    ce_type="org.seedsim.c2c.acknowledgement.v1",
    schema=SEED_SCHEMA,
    element=f"{{{NS_RES}}}Response",
    discriminator=("FunctionCode", (ACCEPTED, REJECTED)),
    read=Response.from_root,
    write=write_response,
    description="Positive (01) or negative (03) acknowledgement of a received message, with every error.",
    acknowledged=False,
    rules=RESPONSE_RULES,
    generate=generate_acknowledgement,
)
ENTRY_CONFIRMATION = MessageType(
    name="EntryConfirmation",
    ce_type="org.seedsim.c2c.entry-confirmation.v1",
    schema=SEED_SCHEMA,
    element=f"{{{NS_RES}}}Response",
    discriminator=("FunctionCode", (GOODS_ENTERED,)),
    read=Response.from_root,
    write=write_response,
    description="The office of entry confirms to the exporting country that the goods entered, with the match result.",
    rules=RESPONSE_RULES,
    generate=generate_entry_confirmation,
)

MESSAGE_TYPES = [EXPORT_DATA, ACKNOWLEDGEMENT, ENTRY_CONFIRMATION]
