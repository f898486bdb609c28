"""The NCTS IE015 adapter against the real EU NCTS phase 5 schemas and HMRC's CC015C samples.

For every sample the CC015C XSD accepts, the adapter's TransitDeclaration (and TIRCarnet) must
validate in seedsim -- except for rules that fail because of the sample's own data, each listed
in ``EXPECTED`` with the reason -- and its key data must equal an independent XPath reading.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from seedsim.conformance import validate_document
from seedsim.converters.ncts import NS_NCTS, read_cc015c
from seedsim.core import codes
from seedsim.core.xml_safety import parse_untrusted
from seedsim.messages.seed import write_declaration
from seedsim.messages.tir import write_tir_carnet

pytestmark = pytest.mark.external

#: Rules that legitimately fail on a sample's own data (HMRC test data, not real declarations).
EXPECTED = {
    # declarationType "gJ" is a placeholder, not a CL231 transit type (T, T1, T2, T2F, TIR), so the
    # written Declaration is no document seedsim knows: F303, and nothing else is checked.
    "cc015c-valid.xml": {"F303"},
    "cc015c-invalid-lrn.xml": {"F303"},  # same data as cc015c-valid.xml, LRN "{{LRN}}"
    "cc015c-invalid-reference-departure.xml": {"F303"},  # same data, office of departure XB3KMA8M
    # ActiveBorderTransportMeans/nationality "XI" (the EU code for Northern Ireland) is not ISO 3166-1
    # (R101, an error because the document is exchanged data from XI); Consignment/grossMass 60000.204
    # while the only goods item weighs 3340.102 (R105).
    "cc015c-valid-2.xml": {"R101", "R105"},
}


def _dir(external: Path) -> Path:
    return external / "eu-ncts-p5"


def _schema(external: Path) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(_dir(external) / "xsd" / "cc015c.xsd")))


def _xsd_valid_samples(external: Path) -> list[Path]:
    schema = _schema(external)
    found = [
        p for p in sorted((_dir(external) / "samples").glob("cc015c-*.xml")) if schema.validate(etree.parse(str(p)))
    ]
    assert len(found) >= 2, "SOURCE.md lists four XSD-valid CC015C samples"
    return found


def _xpath_reading(root: etree._Element) -> dict:
    """Key data read straight from the CC015C, independently of the adapter."""

    def s(path: str) -> str | None:
        value = root.xpath(f"normalize-space({path})")
        return value or None

    items = root.xpath("Consignment/HouseConsignment/ConsignmentItem")
    return {
        "lrn": s("TransitOperation/LRN"),
        "type": s("TransitOperation/declarationType"),
        "departure": s("CustomsOfficeOfDeparture/referenceNumber"),
        "destination_office": s("CustomsOfficeOfDestinationDeclared/referenceNumber"),
        "destination_country": s("Consignment/countryOfDestination")
        or s("CustomsOfficeOfDestinationDeclared/referenceNumber")[:2],
        "items": len(items),
        "hs": [
            i.xpath("normalize-space(Commodity/CommodityCode/harmonizedSystemSubHeadingCode)") or None for i in items
        ],
        "gross": [
            Decimal(i.xpath("string(Commodity/GoodsMeasure/grossMass)"))
            if i.xpath("Commodity/GoodsMeasure/grossMass")
            else None
            for i in items
        ],
        "total_gross": Decimal(s("Consignment/grossMass")),
        "carnet": s("TransitOperation/TIRCarnetNumber"),
    }


def _adapter_reading(data: bytes) -> dict:
    t = read_cc015c(data)
    d = t.declaration
    items = d.items
    return {
        "lrn": d.lrn,
        "type": d.type_code,
        "departure": d.declaration_office_id,
        "destination_office": t.tir_carnet.destination_office.id if t.tir_carnet else None,
        "destination_country": d.goods_shipment.destination.country_code,
        "items": len(items),
        "hs": [i.commodity.commodity_code() for i in items],
        "gross": [
            i.commodity.goods_measure.gross_mass.value
            if i.commodity.goods_measure and i.commodity.goods_measure.gross_mass
            else None
            for i in items
        ],
        "total_gross": d.total_gross_mass.value,
        "carnet": t.tir_carnet.reference_id if t.tir_carnet else None,
    }


def test_samples_read_like_an_independent_xpath_reading(external):
    for path in _xsd_valid_samples(external):
        data = path.read_bytes()
        expected = _xpath_reading(etree.fromstring(data))
        got = _adapter_reading(data)
        if got["carnet"] is None:  # no TIR carnet: the destination office is not carried
            expected["destination_office"] = None
        assert got == expected, path.name


def test_adapter_output_validates_except_for_the_samples_own_data(external):
    for path in _xsd_valid_samples(external):
        t = read_cc015c(path.read_bytes())
        report = validate_document(write_declaration(t.declaration), path.name)
        rules = {i.rule for i in report.report.errors}
        assert rules == EXPECTED.get(path.name, set()), (path.name, [str(i) for i in report.report.issues])
        if "F303" in rules:
            assert t.declaration.type_code not in codes.TRANSIT_TYPES
        else:
            assert report.message_type == "TransitDeclaration"
        assert t.tir_carnet is None  # none of these samples carries a TIR carnet number


def test_cc015c_valid_2_parties_transport_and_seals(external):
    t = read_cc015c((_dir(external) / "samples" / "cc015c-valid-2.xml").read_bytes())
    d = t.declaration
    assert d.declarant.id == "XI985524247819" and d.declarant.address.country_code == "BG"
    assert d.consignor().name == "Klein Georg" and d.consignee().address.city_name == "Varna"
    assert d.ucr == "TEST123456"
    assert d.border_transport_means.id == "56984526487521" and d.border_transport_means.mode_code == "1"
    eq = d.goods_shipment.consignment.transport_equipment
    assert [(e.id, [s.id for s in e.seals]) for e in eq] == [("CSQU3054383", ["F742"])]
    assert d.total_package_quantity == 10 and d.goods_item_quantity == 1


# -- a TIR declaration: HMRC's sample made into one ---------------------------------------------------


def _as_tir(external: Path, fix_sample_data: bool) -> bytes:
    """cc015c-valid-2.xml lodged under a TIR carnet: declarationType TIR, a carnet number, the holder's
    TIR identification number and a TIR guarantee (CL251 type B). Optionally also the two data
    errors of the sample corrected (nationality XI, consignment gross mass)."""
    root = etree.parse(str(_dir(external) / "samples" / "cc015c-valid-2.xml")).getroot()
    root = copy.deepcopy(root)
    op = root.find("TransitOperation")
    op.find("declarationType").text = "TIR"
    carnet = etree.Element("TIRCarnetNumber")
    carnet.text = "XA72345678"
    op.find("additionalDeclarationType").addnext(carnet)
    holder = root.find("HolderOfTheTransitProcedure")
    tir_id = etree.Element("TIRHolderIdentificationNumber")
    tir_id.text = "BGR/001/4567"
    holder.find("identificationNumber").addnext(tir_id)
    guarantee = root.find("Guarantee")
    guarantee.find("guaranteeType").text = "B"
    for ref in guarantee.findall("GuaranteeReference"):
        guarantee.remove(ref)
    if fix_sample_data:
        root.find("Consignment/ActiveBorderTransportMeans/nationality").text = "BG"
        root.find("Consignment/grossMass").text = "3340.102"
    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    schema = _schema(external)
    assert schema.validate(etree.fromstring(data)), schema.error_log
    return data


def test_tir_declaration_gives_a_tir_carnet(external):
    data = _as_tir(external, fix_sample_data=False)
    t = read_cc015c(data)
    c = t.tir_carnet
    assert c is not None and c.reference_id == "XA72345678"
    assert c.holder.id == "BGR/001/4567" and c.holder.name == "Trader 1"
    assert t.declaration.declarant.id == "XI985524247819"  # the declaration keeps the holder's EORI
    assert (c.departure_office.id, c.destination_office.id) == ("XI000081", "GB000120")
    assert c.guarantee is not None and c.guarantee.chain_id == "IRU"
    assert [i.commodity.commodity_code() for i in c.items] == ["152000"]
    assert [s.id for e in c.transport_equipment for s in e.seals] == ["F742"]
    assert _adapter_reading(data) == _xpath_reading(etree.fromstring(data))
    # the sample's own data errors show up in both documents, and nothing else
    decl = validate_document(write_declaration(t.declaration))
    assert decl.message_type == "TransitDeclaration"
    assert {i.rule for i in decl.report.errors} == {"R101", "R105"}
    carnet = validate_document(write_tir_carnet(c))
    assert carnet.message_type == "TIRCarnet"
    assert {(i.rule, i.pointer) for i in carnet.report.errors} == {
        ("TIR103", "/TIRCarnet/BorderTransportMeans/RegistrationNationalityCode"),
        ("TIR107", "/TIRCarnet/TotalGrossMassMeasure"),
    }


def test_tir_declaration_with_consistent_data_is_valid(external):
    t = read_cc015c(_as_tir(external, fix_sample_data=True))
    for xml in (write_declaration(t.declaration), write_tir_carnet(t.tir_carnet)):
        report = validate_document(xml)
        assert report.valid, [str(i) for i in report.report.issues]


def test_other_documents_are_refused(external):
    with pytest.raises(ValueError, match="CC015C"):
        read_cc015c((_dir(external) / "samples" / "cc029c-valid.xml").read_bytes())
    assert parse_untrusted((_dir(external) / "samples" / "cc015c-valid.xml").read_bytes()).tag == f"{{{NS_NCTS}}}CC015C"
