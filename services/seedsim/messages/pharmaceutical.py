"""The Certificate of a Pharmaceutical Product (CPP) of the WHO Certification Scheme.

Why: SEED+ reaches beyond customs to the certificates other authorities issue; medicines cross
Western Balkan borders under the WHO Certification Scheme on the quality of pharmaceutical products
moving in international commerce. The medicines authority of the exporting country certifies, on
the model certificate, that a product is licensed there (or why not) and that its manufacturer is
inspected for good manufacturing practice (GMP); the importing country's authority and customs rely
on it. seedsim sends it from the exporting medicines authority to the office of entry, where the
certificate link (:mod:`seedsim.nodes.customs.certificate_link`) can require it before release.

Source: the WHO model certificate (Guidelines on the implementation of the WHO Certification Scheme,
WHO Technical Report Series No. 863, Annex 10, and its 2015 revision of the model certificate).
Elements after its numbered items: certificate number, exporting (certifying) and importing
(requesting) country; 1 name and dosage form of the product, 1.1 active ingredients and amount per
unit dose, 1.2 licensed to be placed on the market in the exporting country, 1.3 actually on the
market there; 2.A.1 licence number and date, 2.A.2 licence holder, 2.A.3 status of the holder (A
manufactures the dosage form, B packages and/or labels it, C none of these); 2.B.2 why the product
is not licensed (when it is not); 3 periodic inspection of the manufacturing plant, 3.1 its
periodicity (years), 3.3 conformity with WHO GMP; the certifying authority, the authorised person
and the date. The element names and the namespace (``urn:seedsim:cpp:1``) are seedsim's: the WHO
publishes a paper model, not an XML schema. seedsim adds the product's HS code (chapter 30), which
the model does not carry, so customs can match it with a declaration, and a status (VALID,
WITHDRAWN) for the link.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

from pydantic import Field

from seedsim.core import codes
from seedsim.core.message_type import MessageType
from seedsim.core.validation import Issue, RuleContext, RuleSet
from seedsim.core.xml_binding import XmlDocument, XmlModel
from seedsim.messages.origin import hs_problem

NS_CPP = "urn:seedsim:cpp:1"
SCHEMA = "pharmaceutical/seedsim_cpp.xsd"
#: HS chapter of pharmaceutical products
PHARMACEUTICAL_CHAPTERS = ("30",)
#: WHO model certificate 2.A.3: status of the product-licence holder
HOLDER_STATUSES = {
    "A": "manufactures the dosage form",
    "B": "packages and/or labels a dosage form manufactured by an independent company",
    "C": "is involved in none of the above",
}
STATUSES = {"VALID": "valid", "WITHDRAWN": "withdrawn by the certifying authority"}
DOSAGE_FORMS = {"tablet", "film-coated tablet", "capsule", "oral solution", "solution for injection", "cream"}


class Strength(XmlModel):
    value: Decimal = Field(alias="Amount")
    unit: str = Field(alias="Unit")


class ActiveIngredient(XmlModel):
    name: str = Field(alias="Name")  # the INN
    strength: Strength = Field(alias="AmountPerUnitDose")


class Product(XmlModel):
    name: str = Field(alias="Name")
    dosage_form: str = Field(alias="DosageForm")
    hs_code: str = Field(alias="HSCode")
    ingredients: list[ActiveIngredient] = Field(default_factory=list, alias="ActiveIngredient")
    licensed: bool = Field(alias="LicensedInExportingCountry")
    on_market: bool = Field(alias="OnMarketInExportingCountry")


class Licence(XmlModel):
    number: str = Field(alias="Number")
    issue_date: date = Field(alias="IssueDate")
    holder_name: str = Field(alias="HolderName")
    holder_country_id: str = Field(alias="HolderCountryID")
    holder_status: str = Field(alias="HolderStatus")


class Inspection(XmlModel):
    periodic: bool = Field(alias="PeriodicInspection")
    periodicity_years: int | None = Field(None, alias="PeriodicityYears")
    conforms_to_gmp: bool | None = Field(None, alias="ConformsToGMP")


class CertifyingAuthority(XmlModel):
    name: str = Field(alias="Name")
    authorized_person: str = Field(alias="AuthorizedPerson")


class CertificateOfPharmaceuticalProduct(XmlModel):
    number: str = Field(alias="CertificateNumber")
    status: str = Field(alias="Status")
    exporting_country_id: str = Field(alias="ExportingCountryID")
    importing_country_id: str = Field(alias="ImportingCountryID")
    issue_date: date = Field(alias="IssueDate")
    product: Product = Field(alias="Product")
    licence: Licence | None = Field(None, alias="ProductLicence")
    not_licensed_reason: str | None = Field(None, alias="NotLicensedReason")
    inspection: Inspection = Field(alias="ManufacturingInspection")
    authority: CertifyingAuthority = Field(alias="CertifyingAuthority")
    #: the manufacturer or exporter that asked for the certificate (customs compares it with the consignor)
    applicant: str = Field(alias="Applicant")


DOCUMENT = XmlDocument(CertificateOfPharmaceuticalProduct, "CertificateOfPharmaceuticalProduct", NS_CPP)
P = "/CertificateOfPharmaceuticalProduct"
RULES = RuleSet("pharmaceutical-product-certificate")


@RULES.rule("CPP101", 110, "Country codes are ISO 3166-1 alpha-2")
def countries(c: CertificateOfPharmaceuticalProduct, ctx: RuleContext) -> Iterator[Issue]:
    pairs = [(f"{P}/ExportingCountryID", c.exporting_country_id), (f"{P}/ImportingCountryID", c.importing_country_id)]
    if c.licence:
        pairs.append((f"{P}/ProductLicence/HolderCountryID", c.licence.holder_country_id))
    yield from codes.country_code_issues("CPP101", 110, pairs, "not an ISO 3166-1 alpha-2 country code, e.g. RS, ME")


@RULES.rule("CPP102", 112, "The product's HS code is a pharmaceutical product's (chapter 30)")
def hs_code(c: CertificateOfPharmaceuticalProduct, ctx: RuleContext) -> Iterator[Issue]:
    code, where = c.product.hs_code, f"{P}/Product/HSCode"
    if why := hs_problem(code):
        yield Issue("CPP102", 112, f"not an HS-based commodity code: {why}", where, code)
    elif code[:2] not in PHARMACEUTICAL_CHAPTERS:
        yield Issue("CPP102", 112, "a CPP certifies a pharmaceutical product: HS chapter 30", where, code)


@RULES.rule("CPP103", 210, "A licensed product names its licence (2.A); an unlicensed one says why (2.B)")
def licence(c: CertificateOfPharmaceuticalProduct, ctx: RuleContext) -> Iterator[Issue]:
    if c.product.licensed and c.licence is None:
        yield Issue(
            "CPP103",
            210,
            "the product is licensed in the exporting country: give ProductLicence",
            f"{P}/ProductLicence",
        )
    if not c.product.licensed and not c.not_licensed_reason:
        yield Issue(
            "CPP103",
            210,
            "the product is not licensed in the exporting country: say why in NotLicensedReason",
            f"{P}/NotLicensedReason",
        )
    if c.licence is not None and c.licence.issue_date > c.issue_date:
        yield Issue(
            "CPP103",
            210,
            "the licence is dated after the certificate",
            f"{P}/ProductLicence/IssueDate",
            c.licence.issue_date.isoformat(),
        )


@RULES.rule("CPP104", 116, "Status, licence-holder status and dosage form come from their code lists")
def code_lists(c: CertificateOfPharmaceuticalProduct, ctx: RuleContext) -> Iterator[Issue]:
    if c.status not in STATUSES:
        yield Issue("CPP104", 116, "unknown status: VALID or WITHDRAWN", f"{P}/Status", c.status)
    if c.licence is not None and c.licence.holder_status not in HOLDER_STATUSES:
        yield Issue(
            "CPP104",
            116,
            "the licence holder's status is A (manufactures), B (packages or labels) or C (neither), as in the WHO model",
            f"{P}/ProductLicence/HolderStatus",
            c.licence.holder_status,
        )
    if c.product.dosage_form not in DOSAGE_FORMS:
        yield Issue(
            "CPP104",
            116,
            f"unknown dosage form: one of {', '.join(sorted(DOSAGE_FORMS))}",
            f"{P}/Product/DosageForm",
            c.product.dosage_form,
        )


@RULES.rule("CPP105", 211, "Periodic inspection states its periodicity and the GMP finding (item 3)")
def inspection(c: CertificateOfPharmaceuticalProduct, ctx: RuleContext) -> Iterator[Issue]:
    i = c.inspection
    if i.periodic and not i.periodicity_years:
        yield Issue("CPP105", 211, "give the periodicity of inspection in years (3.1)", f"{P}/ManufacturingInspection")
    if i.periodic and i.conforms_to_gmp is None:
        yield Issue(
            "CPP105",
            211,
            "say whether the facilities conform to WHO GMP (3.3)",
            f"{P}/ManufacturingInspection/ConformsToGMP",
        )


# -- generator: Western Balkan medicines exports -------------------------------------------------------

#: medicines authority of each SEED country
AUTHORITIES = {
    "RS": "Agencija za lekove i medicinska sredstva Srbije (ALIMS)",
    "ME": "Institut za ljekove i medicinska sredstva (CInMED)",
    "MK": "Agencija za lekovi i medicinski sredstva (MALMED)",
    "AL": "Agjencia Kombëtare e Barnave dhe Pajisjeve Mjekësore (AKBPM)",
    "BA": "Agencija za lijekove i medicinska sredstva BiH (ALMBIH)",
    "XK": "Agjencia e Kosovës për Produkte dhe Pajisje Medicinale (AKPPM)",
}
_MAKERS = {
    "RS": ["Hemofarm a.d.", "Galenika a.d."],
    "ME": ["Montefarm a.d."],
    "MK": ["Alkaloid AD Skopje", "Replek Farm DOOEL"],
    "AL": ["Profarma sh.a."],
    "BA": ["Bosnalijek d.d."],
    "XK": ["Trepharm L.L.C."],
}
#: (product, dosage form, INN, amount, unit, HS code)
_PRODUCTS = [
    ("Amoxicillin 500 mg capsules", "capsule", "amoxicillin", "500", "mg", "300410"),
    ("Paracetamol 500 mg tablets", "tablet", "paracetamol", "500", "mg", "300490"),
    ("Metformin 850 mg film-coated tablets", "film-coated tablet", "metformin hydrochloride", "850", "mg", "300490"),
    ("Ceftriaxone 1 g solution for injection", "solution for injection", "ceftriaxone", "1", "g", "300420"),
]


def generate(rng: random.Random) -> CertificateOfPharmaceuticalProduct:
    export, imp = rng.sample(sorted(AUTHORITIES), 2)
    issued = date(2026, 1, 5) + timedelta(days=rng.randint(0, 300))
    name, form, inn, amount, unit, hs = rng.choice(_PRODUCTS)
    maker = rng.choice(_MAKERS[export])
    licensed = rng.random() < 0.9
    return CertificateOfPharmaceuticalProduct(
        number=f"{export}-CPP-{issued.year}-{rng.randint(1, 99_999):05d}",
        status="VALID",
        exporting_country_id=export,
        importing_country_id=imp,
        issue_date=issued,
        product=Product(
            name=name,
            dosage_form=form,
            hs_code=hs,
            ingredients=[ActiveIngredient(name=inn, strength=Strength(value=Decimal(amount), unit=unit))],
            licensed=licensed,
            on_market=licensed,
        ),
        licence=Licence(
            number=f"{rng.randint(1000, 9999)}/{issued.year - rng.randint(1, 8)}",
            issue_date=issued - timedelta(days=rng.randint(200, 2500)),
            holder_name=maker,
            holder_country_id=export,
            holder_status="A",
        )
        if licensed
        else None,
        not_licensed_reason=None if licensed else "made for export only, not applied for in the exporting country",
        inspection=Inspection(periodic=True, periodicity_years=rng.choice([2, 3]), conforms_to_gmp=True),
        authority=CertifyingAuthority(
            name=AUTHORITIES[export], authorized_person=rng.choice(["mr ph. Jelena Marić", "Dr. Besnik Gashi"])
        ),
        applicant=maker,
    )


CERTIFICATE_OF_PHARMACEUTICAL_PRODUCT = MessageType(
    name="CertificateOfPharmaceuticalProduct",
    ce_type="org.seedsim.c2c.pharmaceutical-product-certificate.v1",
    schema=SCHEMA,
    element=DOCUMENT.element,
    read=DOCUMENT.read,
    write=DOCUMENT.write,
    description=(
        "WHO Certification Scheme Certificate of a Pharmaceutical Product (CPP): licence and GMP status of a "
        "medicine, sent by the exporting medicines authority to the office of entry."
    ),
    rules=RULES,
    generate=generate,
)

MESSAGE_TYPES = [CERTIFICATE_OF_PHARMACEUTICAL_PRODUCT]
