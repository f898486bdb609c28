"""EU NCTS phase 5 declaration data (IE015, ``CC015C``) -> a SEED+ transit declaration and TIR carnet.

A national transit system that already speaks NCTS can feed its SEED+ node with the IE015 it
receives at the office of departure: this adapter turns it into the catalogue's
``TransitDeclaration`` (a WCO DM :class:`Declaration`) and, when the declaration is lodged under
a TIR carnet (``TransitOperation/TIRCarnetNumber``), into a ``TIRCarnet``.

What goes where (NCTS P5 data group -> WCO DM):

* ``TransitOperation/LRN`` -> ``FunctionalReferenceID``; ``declarationType`` (CL231: T, T1, T2,
  T2F, TIR) -> ``TypeCode`` unchanged (an IE015 carries no MRN: the office of departure gives it);
* ``CustomsOfficeOfDeparture`` -> ``DeclarationOfficeID``; the Declaration model has no office of
  destination, so ``Destination/CountryCode`` takes ``countryOfDestination`` (consignment, else
  house consignment) or, failing both, the country prefix of the office of destination's
  reference number (its first two letters are the country, by the COL structure);
* ``HolderOfTheTransitProcedure`` -> ``Declarant`` (the holder lodges the transit declaration);
  ``Consignor``/``Consignee`` -> the GoodsShipment's parties (consignment level, else the first
  house consignment's);
* every ``HouseConsignment/ConsignmentItem``, in document order, -> a goods item numbered by its
  ``declarationGoodsItemNumber``, with the HS subheading (type ``HS``; with the CN add-on also
  the 8-digit code as ``TSP``), masses and packages;
* ``ActiveBorderTransportMeans[1]`` -> ``BorderTransportMeans`` (mode: ``modeOfTransportAtTheBorder``),
  ``DepartureTransportMeans[1]`` -> ``Consignment/DepartureTransportMeans`` (mode: inland mode),
  ``TransportEquipment`` with its seals -> ``Consignment/TransportEquipment``.

Values are carried over as they are: the node's validation, not the adapter, says what is wrong
with them (a placeholder declaration type, an EU-only country code such as XI, totals that do not
add up), so the national system learns what its data would look like to a neighbour.
"""

from __future__ import annotations

from decimal import Decimal

from lxml import etree
from pydantic import BaseModel

from seedsim.core.declaration import (
    UCR,
    Address,
    BorderTransportMeans,
    Classification,
    Commodity,
    Consignment,
    Country,
    Declaration,
    GoodsItem,
    GoodsMeasure,
    GoodsShipment,
    Measure,
    Office,
    Packaging,
    Party,
    Seal,
    TransportEquipment,
    TransportMeans,
)
from seedsim.core.xml_safety import XmlLimits, parse_untrusted
from seedsim.messages.tir import ConsignmentItem, Guarantee, TIRCarnet

NS_NCTS = "http://ncts.dgtaxud.ec"
#: CL251 guarantee type "B": guarantee for goods dispatched under the TIR procedure.
TIR_GUARANTEE_TYPE = "B"


class NctsTransit(BaseModel):
    """What one IE015 gives a SEED+ node."""

    declaration: Declaration
    tir_carnet: TIRCarnet | None = None


def _text(el: etree._Element | None, path: str) -> str | None:
    """Text of an unqualified child path, stripped; None when absent or empty."""
    if el is None:
        return None
    found = el.find(path)
    value = (found.text or "").strip() if found is not None else ""
    return value or None


def _decimal(el: etree._Element | None, path: str) -> Decimal | None:
    value = _text(el, path)
    return Decimal(value) if value is not None else None


def _int(el: etree._Element | None, path: str) -> int | None:
    value = _text(el, path)
    return int(value) if value is not None else None


def _kg(value: Decimal | None) -> Measure | None:
    return Measure(value=value, unit_code="KGM") if value is not None else None


def _party(el: etree._Element | None, id_paths: tuple[str, ...] = ("identificationNumber",)) -> Party | None:
    if el is None:
        return None
    addr = el.find("Address")
    address = (
        None
        if addr is None
        else Address(
            city_name=_text(addr, "city"),
            country_code=_text(addr, "country"),
            line=_text(addr, "streetAndNumber"),
            postcode_id=_text(addr, "postcode"),
        )
    )
    party_id = next((v for v in (_text(el, p) for p in id_paths) if v), None)
    return Party(name=_text(el, "name"), id=party_id, address=address)


def _commodity(item: etree._Element) -> Commodity:
    c = item.find("Commodity")
    classifications = []
    hs = _text(c, "CommodityCode/harmonizedSystemSubHeadingCode")
    if hs:
        classifications.append(Classification(id=hs, identification_type_code="HS"))
        cn = _text(c, "CommodityCode/combinedNomenclatureCode")
        if cn:
            classifications.append(Classification(id=hs + cn, identification_type_code="TSP"))
    gross, net = _decimal(c, "GoodsMeasure/grossMass"), _decimal(c, "GoodsMeasure/netMass")
    measure = GoodsMeasure(gross_mass=_kg(gross), net_mass=_kg(net)) if gross is not None or net is not None else None
    return Commodity(description=_text(c, "descriptionOfGoods"), classifications=classifications, goods_measure=measure)


def _packaging(item: etree._Element) -> list[Packaging]:
    return [
        Packaging(
            sequence_numeric=_int(p, "sequenceNumber"),
            marks_numbers_id=_text(p, "shippingMarks"),
            quantity=_int(p, "numberOfPackages"),
            type_code=_text(p, "typeOfPackages"),
        )
        for p in item.findall("Packaging")
    ]


def _equipment(consignment: etree._Element) -> list[TransportEquipment]:
    return [
        TransportEquipment(
            sequence_numeric=_int(te, "sequenceNumber"),
            id=_text(te, "containerIdentificationNumber"),
            seals=[
                Seal(sequence_numeric=_int(s, "sequenceNumber"), id=_text(s, "identifier")) for s in te.findall("Seal")
            ],
        )
        for te in consignment.findall("TransportEquipment")
    ]


def _border_means(consignment: etree._Element) -> BorderTransportMeans | None:
    abtm = consignment.find("ActiveBorderTransportMeans")
    mode = _text(consignment, "modeOfTransportAtTheBorder")
    if abtm is None and mode is None:
        return None
    return BorderTransportMeans(
        id=_text(abtm, "identificationNumber"),
        identification_type_code=_text(abtm, "typeOfIdentification"),
        registration_nationality_code=_text(abtm, "nationality"),
        mode_code=mode,
    )


def _departure_means(consignment: etree._Element) -> TransportMeans | None:
    dtm = consignment.find("DepartureTransportMeans")
    mode = _text(consignment, "inlandModeOfTransport")
    if dtm is None and mode is None:
        return None
    return TransportMeans(
        id=_text(dtm, "identificationNumber"),
        identification_type_code=_text(dtm, "typeOfIdentification"),
        mode_code=mode,
    )


def _first(consignment: etree._Element, path: str) -> str | None:
    """A value given at consignment level, else by the first house consignment that gives it."""
    value = _text(consignment, path)
    if value is None:
        value = next((v for v in (_text(h, path) for h in consignment.findall("HouseConsignment")) if v), None)
    return value


def read_cc015c(data: bytes, limits: XmlLimits = XmlLimits()) -> NctsTransit:
    """Read an IE015 (CC015C) document; raises ValueError if it is not one."""
    root = parse_untrusted(data, limits)
    if root.tag != f"{{{NS_NCTS}}}CC015C":
        raise ValueError(f"expected an NCTS CC015C ({{{NS_NCTS}}}CC015C), found {root.tag}")
    op = root.find("TransitOperation")
    cons = root.find("Consignment")
    if op is None or cons is None:
        raise ValueError("a CC015C needs TransitOperation and Consignment")
    departure = _text(root, "CustomsOfficeOfDeparture/referenceNumber")
    destination_office = _text(root, "CustomsOfficeOfDestinationDeclared/referenceNumber")
    destination = _first(cons, "countryOfDestination") or (destination_office[:2] if destination_office else None)

    item_elements = [(h, i) for h in cons.findall("HouseConsignment") for i in h.findall("ConsignmentItem")]
    goods = [
        GoodsItem(
            sequence_numeric=_int(i, "declarationGoodsItemNumber"), commodity=_commodity(i), packaging=_packaging(i)
        )
        for _h, i in item_elements
    ]
    quantities = [p.quantity for g in goods for p in g.packaging if p.quantity is not None]
    house = cons.find("HouseConsignment")
    equipment = _equipment(cons)
    ucr = _first(cons, "referenceNumberUCR")
    consignment = Consignment(
        container_code=_text(cons, "containerIndicator"),
        departure_transport_means=_departure_means(cons),
        transport_equipment=equipment,
    )
    holder = root.find("HolderOfTheTransitProcedure")
    border = _border_means(cons)
    total_gross = _kg(_decimal(cons, "grossMass"))
    declaration = Declaration(
        function_code="9",
        lrn=_text(op, "LRN"),
        type_code=_text(op, "declarationType"),
        goods_item_quantity=len(goods),
        declaration_office_id=departure,
        total_gross_mass=total_gross,
        total_package_quantity=sum(quantities) if quantities else None,
        border_transport_means=border,
        declarant=_party(holder, ("identificationNumber", "TIRHolderIdentificationNumber")),
        goods_shipment=GoodsShipment(
            consignee=_party(cons.find("Consignee")) or _party(house.find("Consignee") if house is not None else None),
            consignment=consignment if consignment != Consignment() else None,
            consignor=_party(cons.find("Consignor")) or _party(house.find("Consignor") if house is not None else None),
            destination=Country(country_code=destination) if destination else None,
            goods_items=goods,
            ucr=UCR(id=ucr) if ucr else None,
        ),
    )
    carnet_number = _text(op, "TIRCarnetNumber")
    carnet = None
    if carnet_number:
        tir_guarantee = any(_text(g, "guaranteeType") == TIR_GUARANTEE_TYPE for g in root.findall("Guarantee"))
        carnet = TIRCarnet(
            reference_id=carnet_number,
            guarantee=Guarantee() if tir_guarantee else None,
            holder=_party(holder, ("TIRHolderIdentificationNumber", "identificationNumber")) or Party(),
            departure_office=Office(id=departure),
            destination_office=Office(id=destination_office),
            total_gross_mass=total_gross,
            total_package_quantity=declaration.total_package_quantity,
            border_transport_means=border,
            transport_equipment=equipment,
            items=[
                ConsignmentItem(sequence_numeric=g.sequence_numeric, commodity=g.commodity, packaging=g.packaging)
                for g in goods
            ],
        )
    return NctsTransit(declaration=declaration, tir_carnet=carnet)
