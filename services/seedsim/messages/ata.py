"""The ATA carnet: temporary admission of goods, as SEED+ nodes exchange it on Pre-Arrival.

An ATA carnet (Istanbul Convention, Annex A; ATA Convention 1961) is issued by a national
chamber of commerce that is the guaranteeing association of its country in the ICC World ATA
Carnet Federation chain. It is valid for at most one year from issue. Its green cover names
the holder, the intended use and the validity; its *general list* describes every item
(number, description, quantity, weight or volume, value, origin). Each border crossing uses
one *voucher* (kept by customs) and stamps the matching *counterfoil* (kept in the carnet):

* yellow: exportation from and re-importation into the issuing country;
* white: importation into and re-exportation from a country of temporary admission;
* blue: transit through a third country.

(Colours and kinds: issuers' guides such as carnetexpress.co.uk, teamww.com, atacarnet.com, and
the UK HMRC "ATA Carnet technical handbook".) The importing office fixes a final date for
re-exportation on the white importation voucher.

The document seedsim exchanges is the carnet as presented now: cover, general list, the
vouchers already used (oldest first: the carnet's history, read from its counterfoils) and
the voucher being presented, so the receiving node can check the journey so far.

Carnet number: no international format is published. The carnet cover (box G, "for issuing
association use") only says "carnet number"; the UBL 2.3 GoodsItemPassport (eATA) example uses
a free identifier, and the numbering is each issuing association's own. seedsim therefore
assumes one well-formed shape, the one the SEED+ primer describes -- the issuing country's
ISO 3166 code followed by digits: ``CC``, an optional ``/`` or space, then 6 to 10 digits --
and requires the code to be the issuing association's country.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

from pydantic import Field

from seedsim.core import codes
from seedsim.core.codes import hs_code_problem
from seedsim.core.declaration import Address, Amount, Measure, Party
from seedsim.core.identifiers import is_valid_office
from seedsim.core.message_type import MessageType
from seedsim.core.validation import Issue, RuleContext, RuleSet
from seedsim.core.xml_binding import XmlDocument, XmlModel
from seedsim.samples.money import EUR_RATES, HOME_CURRENCY

NS_ATA = "urn:seedsim:ata:1"
SCHEMA = "ata/ata_carnet.xsd"
ROOT = "/ATACarnet"

#: country code, optional separator, serial digits (see the module docstring)
CARNET_NUMBER = re.compile(r"^(?P<country>[A-Z]{2})[/ ]?(?P<serial>[0-9]{6,10})$")

EXPORTATION, IMPORTATION, REEXPORTATION, REIMPORTATION, TRANSIT = (
    "EXPORTATION",
    "IMPORTATION",
    "REEXPORTATION",
    "REIMPORTATION",
    "TRANSIT",
)
#: the colour of each voucher kind
VOUCHER_COLOURS = {
    EXPORTATION: "YELLOW",
    REIMPORTATION: "YELLOW",
    IMPORTATION: "WHITE",
    REEXPORTATION: "WHITE",
    TRANSIT: "BLUE",
}
#: how messages name each kind
KIND_WORDS = {
    EXPORTATION: "exportation",
    IMPORTATION: "importation",
    REEXPORTATION: "re-exportation",
    REIMPORTATION: "re-importation",
    TRANSIT: "transit",
}
#: kinds used at the issuing country's own offices (yellow)
HOME_KINDS = {EXPORTATION, REIMPORTATION}


# -- model -------------------------------------------------------------------------------------


class GoodsItem(XmlModel):
    """One line of the general list."""

    sequence_numeric: int = Field(alias="SequenceNumeric")
    description: str = Field(alias="Description")
    quantity: int = Field(alias="Quantity")
    weight: Measure | None = Field(None, alias="WeightMeasure")
    volume: Measure | None = Field(None, alias="VolumeMeasure")
    value: Amount = Field(alias="ValueAmount")
    origin_country_code: str = Field(alias="OriginCountryCode")
    hs_code: str | None = Field(None, alias="ClassificationID")


class Voucher(XmlModel):
    """A voucher with its counterfoil: the customs action, its office and date, the items it covers."""

    type_code: str = Field(alias="TypeCode")
    colour_code: str = Field(alias="ColourCode")
    counterfoil_numeric: int = Field(alias="CounterfoilNumeric")
    goods_item_refs: list[int] = Field(default_factory=list, alias="GoodsItemSequenceNumeric")
    customs_office_id: str = Field(alias="CustomsOfficeID")
    action_date: date = Field(alias="ActionDate")
    final_reexportation_date: date | None = Field(None, alias="FinalReexportationDate")


class ATACarnet(XmlModel):
    xml_tag = "ATACarnet"

    carnet_id: str = Field(alias="CarnetID")
    issue_date: date = Field(alias="IssueDate")
    expiry_date: date = Field(alias="ExpiryDate")
    issuing_association: Party = Field(alias="IssuingAssociation")
    holder: Party = Field(alias="Holder")
    intended_use: str = Field(alias="IntendedUse")
    total_value: Amount = Field(alias="TotalValueAmount")
    goods_items: list[GoodsItem] = Field(default_factory=list, alias="GoodsItem")
    used_vouchers: list[Voucher] = Field(default_factory=list, alias="UsedVoucher")
    voucher: Voucher = Field(alias="Voucher")

    def vouchers(self) -> Iterator[tuple[str, Voucher]]:
        """Every voucher with its pointer: the history first, then the one presented."""
        for pos, v in enumerate(self.used_vouchers, 1):
            yield f"{ROOT}/UsedVoucher[{pos}]", v
        yield f"{ROOT}/Voucher", self.voucher

    @property
    def issuing_country(self) -> str | None:
        a = self.issuing_association.address
        return a.country_code if a else None


DOCUMENT = XmlDocument(ATACarnet, "ATACarnet", NS_ATA)
read, write = DOCUMENT.read, DOCUMENT.write


# -- shared checks (also used by seedsim.messages.fiscal) ---------------------------------------


COUNTRY_MESSAGE = "not an ISO 3166-1 alpha-2 country code: use the 2-letter code, e.g. RS, ME, AL"


def currency_issues(rule: str, code: int, fields: Iterator[tuple[str, str | None]]) -> Iterator[Issue]:
    known = codes.currencies()
    for pointer, value in fields:
        if value is not None and value not in known:
            yield Issue(rule, code, "not an ISO 4217 currency code: use e.g. EUR, RSD, MKD, ALL, BAM", pointer, value)


# -- rules -------------------------------------------------------------------------------------

RULES = RuleSet("ata")


@RULES.rule("ATA101", 101, "The carnet number is the issuing country's code and a serial")
def carnet_number(c: ATACarnet, ctx: RuleContext) -> Iterator[Issue]:
    m = CARNET_NUMBER.match(c.carnet_id)
    if not m:
        yield Issue(
            "ATA101",
            101,
            "not an ATA carnet number: the issuing country's ISO code, optionally '/' or a space, "
            "then 6 to 10 digits, e.g. RS0412345",
            f"{ROOT}/CarnetID",
            c.carnet_id,
        )
    elif c.issuing_country and m["country"] != c.issuing_country:
        yield Issue(
            "ATA101",
            101,
            f"the carnet number starts with {m['country']} but the issuing association is in "
            f"{c.issuing_country}: the number carries the issuing country's code",
            f"{ROOT}/CarnetID",
            c.carnet_id,
        )


def _anniversary(d: date) -> date:
    try:
        return d.replace(year=d.year + 1)
    except ValueError:  # 29 February
        return d.replace(year=d.year + 1, day=28)


@RULES.rule("ATA102", 102, "The carnet is valid for at most one year from issue")
def validity(c: ATACarnet, ctx: RuleContext) -> Iterator[Issue]:
    if c.expiry_date <= c.issue_date:
        yield Issue(
            "ATA102",
            102,
            f"the expiry date must be after the issue date ({c.issue_date})",
            f"{ROOT}/ExpiryDate",
            c.expiry_date.isoformat(),
        )
    elif c.expiry_date > _anniversary(c.issue_date):
        yield Issue(
            "ATA102",
            102,
            f"an ATA carnet is valid for at most one year: expiry may be no later than {_anniversary(c.issue_date)}",
            f"{ROOT}/ExpiryDate",
            c.expiry_date.isoformat(),
        )


@RULES.rule("ATA103", 103, "Vouchers are used within the validity, in order")
def voucher_dates(c: ATACarnet, ctx: RuleContext) -> Iterator[Issue]:
    previous: date | None = None
    for where, v in c.vouchers():
        if not c.issue_date <= v.action_date <= c.expiry_date:
            yield Issue(
                "ATA103",
                103,
                f"the customs action date must lie within the carnet's validity ({c.issue_date} to {c.expiry_date})",
                f"{where}/ActionDate",
                v.action_date.isoformat(),
            )
        elif previous and v.action_date < previous:
            yield Issue(
                "ATA103",
                103,
                f"vouchers are listed in the order they were used: this one is dated before the "
                f"previous one ({previous})",
                f"{where}/ActionDate",
                v.action_date.isoformat(),
            )
        previous = v.action_date


@RULES.rule("ATA104", 104, "An importation sets a final re-exportation date within the validity")
def reexport_deadline(c: ATACarnet, ctx: RuleContext) -> Iterator[Issue]:
    for where, v in c.vouchers():
        d = v.final_reexportation_date
        if v.type_code == IMPORTATION and d is None:
            yield Issue(
                "ATA104",
                104,
                "an importation voucher must carry the final date for re-exportation set by customs",
                f"{where}/FinalReexportationDate",
            )
        elif d is not None and v.type_code in VOUCHER_COLOURS and v.type_code != IMPORTATION:
            yield Issue(
                "ATA104",
                104,
                "only an importation voucher carries a final date for re-exportation: remove it",
                f"{where}/FinalReexportationDate",
                d.isoformat(),
            )
        elif d is not None and d > c.expiry_date:
            yield Issue(
                "ATA104",
                104,
                f"the final date for re-exportation may not be later than the carnet's expiry ({c.expiry_date})",
                f"{where}/FinalReexportationDate",
                d.isoformat(),
            )
        elif d is not None and d < v.action_date:
            yield Issue(
                "ATA104",
                104,
                f"the final date for re-exportation is before the importation itself ({v.action_date})",
                f"{where}/FinalReexportationDate",
                d.isoformat(),
            )


@RULES.rule("ATA105", 105, "Vouchers cover items of the general list")
def voucher_items(c: ATACarnet, ctx: RuleContext) -> Iterator[Issue]:
    listed = {i.sequence_numeric for i in c.goods_items}
    for where, v in c.vouchers():
        seen: set[int] = set()
        for pos, ref in enumerate(v.goods_item_refs, 1):
            pointer = f"{where}/GoodsItemSequenceNumeric[{pos}]"
            if ref not in listed:
                yield Issue(
                    "ATA105",
                    105,
                    f"no item {ref} in the general list: a voucher may only cover listed items "
                    f"({min(listed, default=0)} to {max(listed, default=0)})",
                    pointer,
                    str(ref),
                )
            elif ref in seen:
                yield Issue("ATA105", 105, f"item {ref} is listed twice on this voucher", pointer, str(ref))
            seen.add(ref)
    numbers = [i.sequence_numeric for i in c.goods_items]
    for pos, n in enumerate(numbers, 1):
        if n in numbers[: pos - 1]:
            yield Issue(
                "ATA105",
                105,
                "item numbers of the general list must be unique",
                f"{ROOT}/GoodsItem[{pos}]/SequenceNumeric",
                str(n),
            )


@RULES.rule("ATA106", 106, "The total value is the sum of the general list")
def total_value(c: ATACarnet, ctx: RuleContext) -> Iterator[Issue]:
    currency = c.total_value.currency_id
    for pos, item in enumerate(c.goods_items, 1):
        if item.value.currency_id != currency:
            yield Issue(
                "ATA106",
                106,
                f"every value of the general list is in the carnet's currency {currency}",
                f"{ROOT}/GoodsItem[{pos}]/ValueAmount/@currencyID",
                item.value.currency_id,
            )
            return
    total = sum((i.value.value for i in c.goods_items), Decimal(0))
    if total != c.total_value.value:
        yield Issue(
            "ATA106",
            106,
            f"the total value must equal the sum of the general list's values ({total})",
            f"{ROOT}/TotalValueAmount",
            str(c.total_value.value),
        )


def _countries(c: ATACarnet) -> Iterator[tuple[str, str | None]]:
    for where, party in (("IssuingAssociation", c.issuing_association), ("Holder", c.holder)):
        if party.address:
            yield f"{ROOT}/{where}/Address/CountryCode", party.address.country_code
    for pos, item in enumerate(c.goods_items, 1):
        yield f"{ROOT}/GoodsItem[{pos}]/OriginCountryCode", item.origin_country_code


@RULES.rule("ATA107", 107, "Country and currency codes are ISO 3166 and ISO 4217")
def iso_codes(c: ATACarnet, ctx: RuleContext) -> Iterator[Issue]:
    yield from codes.country_code_issues("ATA107", 107, _countries(c), COUNTRY_MESSAGE)
    amounts = [(f"{ROOT}/TotalValueAmount/@currencyID", c.total_value.currency_id)]
    amounts += [
        (f"{ROOT}/GoodsItem[{p}]/ValueAmount/@currencyID", i.value.currency_id) for p, i in enumerate(c.goods_items, 1)
    ]
    yield from currency_issues("ATA107", 107, iter(amounts))


@RULES.rule("ATA108", 108, "HS codes, where given, have the HS structure")
def hs_codes(c: ATACarnet, ctx: RuleContext) -> Iterator[Issue]:
    for pos, item in enumerate(c.goods_items, 1):
        problem = item.hs_code and hs_code_problem(item.hs_code)
        if problem:
            yield Issue("ATA108", 108, problem, f"{ROOT}/GoodsItem[{pos}]/ClassificationID", item.hs_code)


@RULES.rule("ATA109", 109, "The voucher colour matches its kind")
def colours(c: ATACarnet, ctx: RuleContext) -> Iterator[Issue]:
    for where, v in c.vouchers():
        expected = VOUCHER_COLOURS.get(v.type_code)
        if expected and v.colour_code != expected:
            yield Issue(
                "ATA109",
                109,
                f"the voucher for {KIND_WORDS[v.type_code]} is {expected.lower()} (yellow: exportation and "
                "re-importation; white: importation and re-exportation; blue: transit)",
                f"{where}/ColourCode",
                v.colour_code,
            )


@RULES.rule("ATA110", 110, "Customs offices are office reference numbers")
def offices(c: ATACarnet, ctx: RuleContext) -> Iterator[Issue]:
    for where, v in c.vouchers():
        if not is_valid_office(v.customs_office_id):
            yield Issue(
                "ATA110",
                110,
                "not a customs office reference number: 2-letter country code and 6 characters, e.g. RS015003",
                f"{where}/CustomsOfficeID",
                v.customs_office_id,
            )


@RULES.rule("ATA201", 201, "A re-exportation follows an importation, a re-importation an exportation")
def prior_voucher(c: ATACarnet, ctx: RuleContext) -> Iterator[Issue]:
    """Workflow: the history (UsedVoucher) must show the movement being reversed, in the same
    country, for every item reversed now. Without any history the rule cannot tell: it warns."""
    needs = {REEXPORTATION: IMPORTATION, REIMPORTATION: EXPORTATION}
    for pos, (where, v) in enumerate(c.vouchers(), 1):
        wanted = needs.get(v.type_code)
        if wanted is None:
            continue
        history = c.used_vouchers[: pos - 1]
        country = v.customs_office_id[:2]
        prior = [h for h in history if h.type_code == wanted and h.customs_office_id[:2] == country]
        if not prior:
            yield Issue(
                "ATA201",
                201,
                f"{KIND_WORDS[v.type_code]} needs an earlier {KIND_WORDS[wanted]} voucher in {country}: "
                "add the used voucher to the carnet's history (UsedVoucher)",
                f"{where}/TypeCode",
                v.type_code,
                severity="error" if history else "warning",
            )
            continue
        covered = {ref for h in prior for ref in h.goods_item_refs}
        for ipos, ref in enumerate(v.goods_item_refs, 1):
            if ref not in covered:
                yield Issue(
                    "ATA201",
                    201,
                    f"item {ref} had no {KIND_WORDS[wanted]} in {country}, so its "
                    f"{KIND_WORDS[v.type_code]} cannot be recorded: remove it or add the earlier voucher",
                    f"{where}/GoodsItemSequenceNumeric[{ipos}]",
                    str(ref),
                )


@RULES.rule("ATA202", 202, "Yellow vouchers are used in the issuing country, white ones abroad")
def voucher_country(c: ATACarnet, ctx: RuleContext) -> Iterator[Issue]:
    home = c.issuing_country
    if not home:
        return
    for where, v in c.vouchers():
        country = v.customs_office_id[:2]
        if v.type_code in HOME_KINDS and country != home:
            yield Issue(
                "ATA202",
                202,
                f"{KIND_WORDS[v.type_code]} is done at a customs office of the issuing country {home}",
                f"{where}/CustomsOfficeID",
                v.customs_office_id,
            )
        elif v.type_code in (IMPORTATION, REEXPORTATION) and country == home:
            yield Issue(
                "ATA202",
                202,
                f"{KIND_WORDS[v.type_code]} is done in a country of temporary admission, not in the "
                f"issuing country {home}",
                f"{where}/CustomsOfficeID",
                v.customs_office_id,
            )


# -- generator ---------------------------------------------------------------------------------

#: ATA guaranteeing associations of the Western Balkans (Kosovo is not in the ATA chain).
#: Names as the chambers publish them in English; addresses are illustrative.
ASSOCIATIONS = {
    "RS": ("Chamber of Commerce and Industry of Serbia", "Beograd", "Resavska 13-15", "11000"),
    "ME": ("Chamber of Economy of Montenegro", "Podgorica", "Novaka Miloseva 29", "81000"),
    "MK": ("Economic Chamber of North Macedonia", "Skopje", "Dimitrie Cupovski 13", "1000"),
    "BA": ("Foreign Trade Chamber of Bosnia and Herzegovina", "Sarajevo", "Branislava Djurdjeva 10", "71000"),
    "AL": ("Union of Chambers of Commerce and Industry of Albania", "Tirane", "Rruga e Kavajes 6", "1001"),
}
HOLDERS = {
    "RS": ["Zvuk i Svetlo d.o.o.", "Beo Expo Team d.o.o.", "Filmska Oprema Novi Sad d.o.o."],
    "ME": ["Adria Event Tech d.o.o.", "Montenegro Film Crew d.o.o."],
    "MK": ["Vardar Stage Systems DOOEL", "Makedonija Medical Demo DOO"],
    "BA": ["Sarajevo Sound Rental d.o.o.", "Bosna Sample Trading d.o.o."],
    "AL": ["Tirana Broadcast Services sh.p.k.", "Illyria Expo sh.p.k."],
}
CITIES = {"RS": "Beograd", "ME": "Podgorica", "MK": "Skopje", "BA": "Sarajevo", "AL": "Tirane"}
#: (description, HS subheading, unit value in EUR, kg per unit)
EQUIPMENT = [
    ("Digital cinema camera with lens kit", "852589", 18500, "6.5"),
    ("LED stage light, moving head", "940542", 2100, "22"),
    ("Audio mixing console, 32 channels", "851981", 7400, "18"),
    ("Loudspeaker, line array element", "851822", 3200, "48"),
    ("Portable ultrasound scanner (demonstration)", "901812", 24000, "9"),
    ("Laptop computer", "847130", 1500, "2.2"),
    ("Trade fair display stand, aluminium", "761090", 3900, "140"),
    ("Sample collection of leather shoes", "640399", 60, "1.1"),
    ("Drone with camera", "880699", 4200, "4"),
]
USES = ["Professional equipment", "Exhibitions and fairs", "Commercial samples"]
ATA_COUNTRIES = tuple(ASSOCIATIONS)


def office(rng: random.Random, country: str) -> str:
    return f"{country}{rng.randrange(10**6):06d}"


def _voucher(
    kind: str, counterfoil: int, items: list[int], office_id: str, when: date, final: date | None = None
) -> Voucher:
    return Voucher(
        type_code=kind,
        colour_code=VOUCHER_COLOURS[kind],
        counterfoil_numeric=counterfoil,
        goods_item_refs=items,
        customs_office_id=office_id,
        action_date=when,
        final_reexportation_date=final,
    )


def generate(rng: random.Random) -> ATACarnet:
    """A carnet part-way through a journey: home exportation, maybe a transit, importation and
    re-exportation abroad, re-importation home; cut at a random step."""
    home = rng.choice(ATA_COUNTRIES)
    abroad = rng.choice([c for c in ATA_COUNTRIES if c != home])
    currency = HOME_CURRENCY[home]
    issue = date(2025, 1, 1) + timedelta(days=rng.randrange(600))
    expiry = _anniversary(issue) - timedelta(days=1)
    items = []
    for n in range(1, rng.randint(1, 6) + 1):
        desc, hs, eur, kg = rng.choice(EQUIPMENT)
        qty = rng.randint(1, 8)
        value = (Decimal(eur * qty) * EUR_RATES[currency] * Decimal(rng.randint(80, 120)) / 100).quantize(
            Decimal("1.00")
        )
        items.append(
            GoodsItem(
                sequence_numeric=n,
                description=desc,
                quantity=qty,
                weight=Measure(value=(Decimal(kg) * qty).quantize(Decimal("0.1")), unit_code="KGM"),
                value=Amount(value=value, currency_id=currency),
                origin_country_code=rng.choice(["DE", "JP", "CN", "IT", "US", home]),
                hs_code=hs if rng.random() < 0.7 else None,
            )
        )
    travelling = sorted(rng.sample([i.sequence_numeric for i in items], rng.randint(1, len(items))))
    when = issue + timedelta(days=rng.randint(1, 60))
    steps = [_voucher(EXPORTATION, 1, travelling, office(rng, home), when)]
    if rng.random() < 0.4:
        transit = rng.choice([c for c in ATA_COUNTRIES if c not in (home, abroad)])
        when += timedelta(days=1)
        steps.append(_voucher(TRANSIT, 1, travelling, office(rng, transit), when))
    when += timedelta(days=rng.randint(1, 3))
    final = min(expiry, when + timedelta(days=rng.randint(30, 180)))
    steps.append(_voucher(IMPORTATION, 1, travelling, office(rng, abroad), when, final))
    when = min(final, when + timedelta(days=rng.randint(2, 25)))
    steps.append(_voucher(REEXPORTATION, 1, travelling, office(rng, abroad), when))
    steps.append(
        _voucher(REIMPORTATION, 2, travelling, office(rng, home), min(expiry, when + timedelta(days=rng.randint(1, 3))))
    )
    cut = rng.randint(1, len(steps))
    name, city, line, postcode = ASSOCIATIONS[home]
    return ATACarnet(
        carnet_id=f"{home}{rng.randrange(10**7):07d}",
        issue_date=issue,
        expiry_date=expiry,
        issuing_association=Party(
            name=name, address=Address(city_name=city, country_code=home, line=line, postcode_id=postcode)
        ),
        holder=Party(
            name=rng.choice(HOLDERS[home]),
            id=f"{home}{rng.randrange(10**8, 10**9)}",
            address=Address(city_name=CITIES[home], country_code=home, line=f"Industrijska {rng.randint(1, 120)}"),
        ),
        intended_use=rng.choice(USES),
        total_value=Amount(value=sum((i.value.value for i in items), Decimal(0)), currency_id=currency),
        goods_items=items,
        used_vouchers=steps[: cut - 1],
        voucher=steps[cut - 1],
    )


ATA_CARNET = MessageType(
    name="ATACarnet",
    ce_type="org.seedsim.c2c.ata-carnet.v1",
    schema=SCHEMA,
    element=DOCUMENT.element,
    read=read,
    write=write,
    description="An ATA carnet (temporary admission) with its general list and the voucher presented now, sent ahead to the "
    "neighbour's office on Pre-Arrival; the used vouchers carry the journey so far.",
    rules=RULES,
    generate=generate,
)

MESSAGE_TYPES = [ATA_CARNET]
