"""Empty-truck crossings: a lorry with no goods crosses, so no declaration tells the neighbour.

SEED exchanges empty-truck crossings because an "empty" truck that is not empty
on the other side, or that crosses back and forth, is a smuggling signal. The
country where the truck crosses sends the record to the neighbour across the
same border crossing point; the neighbour compares it with what its own
office saw. SEED's own message is not public: this one uses WCO DM names.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Literal

from pydantic import Field

from seedsim.core import codes
from seedsim.core.message_type import MessageType
from seedsim.core.validation import Issue, RuleContext, RuleSet
from seedsim.core.xml_binding import XmlDocument, XmlModel
from seedsim.samples.crossings import DEMO_CROSSINGS

NS_EMPTY_TRUCK = "urn:seedsim:empty-truck:1"
SCHEMA = "empty_truck/seedsim_empty_truck.xsd"
ROAD = "3"  # UN/ECE Recommendation 19
E = "/EmptyTruckCrossing"


class Vehicle(XmlModel):
    id: str = Field(alias="ID")
    registration_nationality_code: str = Field(alias="RegistrationNationalityCode")
    mode_code: str = Field(ROAD, alias="ModeCode")


class Trailer(XmlModel):
    id: str = Field(alias="ID")


class EmptyTruckCrossing(XmlModel):
    id: str = Field(alias="ID")
    issue_date_time: datetime = Field(alias="IssueDateTime")
    direction_code: Literal["EXIT", "ENTRY"] = Field(alias="DirectionCode")
    crossing_date_time: datetime = Field(alias="CrossingDateTime")
    exit_office_id: str = Field(alias="ExitOfficeID")
    entry_office_id: str = Field(alias="EntryOfficeID")
    vehicle: Vehicle = Field(alias="BorderTransportMeans")
    trailers: list[Trailer] = Field(default_factory=list, alias="TransportEquipment")
    remarks: str | None = Field(None, alias="Remarks")


EMPTY_TRUCK_RULES = RuleSet("empty-truck")


@EMPTY_TRUCK_RULES.rule("ETC101", 160, "The offices face each other across a border")
def offices_in_two_countries(c: EmptyTruckCrossing, ctx: RuleContext) -> Iterator[Issue]:
    if c.exit_office_id[:2] == c.entry_office_id[:2]:
        yield Issue(
            "ETC101",
            160,
            "the office of exit and the office of entry are in the same country: give the neighbour's office of entry",
            f"{E}/EntryOfficeID",
            c.entry_office_id,
        )


@EMPTY_TRUCK_RULES.rule("ETC102", 161, "The vehicle's nationality is an ISO 3166-1 alpha-2 country")
def nationality_known(c: EmptyTruckCrossing, ctx: RuleContext) -> Iterator[Issue]:
    yield from codes.country_code_issues(
        "ETC102",
        161,
        [(f"{E}/BorderTransportMeans/RegistrationNationalityCode", c.vehicle.registration_nationality_code)],
    )


@EMPTY_TRUCK_RULES.rule("ETC103", 162, "An empty truck crosses by road")
def by_road(c: EmptyTruckCrossing, ctx: RuleContext) -> Iterator[Issue]:
    if c.vehicle.mode_code != ROAD:
        yield Issue(
            "ETC103",
            162,
            f"ModeCode must be {ROAD} (road, UN/ECE Rec. 19): other modes are not empty-truck crossings",
            f"{E}/BorderTransportMeans/ModeCode",
            c.vehicle.mode_code,
        )


@EMPTY_TRUCK_RULES.rule("ETC104", 163, "A crossing is reported after it happened")
def crossed_before_reported(c: EmptyTruckCrossing, ctx: RuleContext) -> Iterator[Issue]:
    if c.crossing_date_time > c.issue_date_time:
        yield Issue(
            "ETC104",
            163,
            "CrossingDateTime is after IssueDateTime: a crossing is reported once it happened",
            f"{E}/CrossingDateTime",
            c.crossing_date_time.isoformat(),
        )


def generate_empty_truck_crossing(rng: random.Random) -> EmptyTruckCrossing:
    """A crossing at one of the demo's border crossings, by a truck registered in the SEED region."""
    crossing = rng.choice(DEMO_CROSSINGS)
    now = datetime.now(UTC).replace(microsecond=0)
    letters = "ABCDEFGHJKLMNPRSTUVZ"
    country = crossing.exit_office[:2]
    plate = f"{rng.choice(['BG', 'NS', 'PG', 'NK', 'KG'])}{rng.randint(100, 9999)}{rng.choice(letters)}{rng.choice(letters)}"
    return EmptyTruckCrossing(
        id=f"ETC{country}{rng.randrange(10**10):010d}",
        issue_date_time=now,
        direction_code="EXIT",
        crossing_date_time=now - timedelta(minutes=rng.randint(1, 90)),
        exit_office_id=crossing.exit_office,
        entry_office_id=crossing.entry_office,
        vehicle=Vehicle(id=plate, registration_nationality_code=rng.choice(codes.SEED_COUNTRIES)),
        trailers=[Trailer(id=f"{plate[:2]}{rng.randint(100, 9999)}T")] if rng.random() < 0.7 else [],
    )


DOCUMENT = XmlDocument(EmptyTruckCrossing, "EmptyTruckCrossing", NS_EMPTY_TRUCK)
EMPTY_TRUCK_CROSSING = MessageType(
    name="EmptyTruckCrossing",
    ce_type="org.seedsim.c2c.empty-truck-crossing.v1",
    schema=SCHEMA,
    element=DOCUMENT.element,
    read=DOCUMENT.read,
    write=DOCUMENT.write,
    description="An empty truck (no goods, no declaration) crossed the border: vehicle, nationality, offices, direction and time.",
    rules=EMPTY_TRUCK_RULES,
    generate=generate_empty_truck_crossing,
)

MESSAGE_TYPES = [EMPTY_TRUCK_CROSSING]
