"""The WCO DM Declaration (DEC-DMS:2), as much of it as SEED+ exchanges use.

Field order follows the WCO DM 3.6 schema order, so :mod:`.xml_binding` writes
documents that validate against the project's profile in ``schemas/`` and
against national DMS profiles built on the same WCO structure. Reading is
tolerant: a national declaration may carry far more than this model; what the
node needs (parties, goods items, HS codes, masses, values, offices, vehicle)
is read, the rest is kept only in the stored original XML.
"""

from __future__ import annotations

from decimal import Decimal

from lxml import etree
from pydantic import BaseModel, Field

from seedsim.core import codes
from seedsim.core.wco import NS_DEC, MetaData, serialize, unwrap, wrap
from seedsim.core.xml_binding import XmlModel, attribute, from_element, text, to_element


class Amount(XmlModel):
    value: Decimal = text()
    currency_id: str | None = attribute("currencyID")


class Measure(XmlModel):
    value: Decimal = text()
    unit_code: str | None = attribute("unitCode")


class Address(XmlModel):
    city_name: str | None = Field(None, alias="CityName")
    country_code: str | None = Field(None, alias="CountryCode")
    line: str | None = Field(None, alias="Line")
    postcode_id: str | None = Field(None, alias="PostcodeID")


class Party(XmlModel):
    """Exporter, Importer, Consignor, Consignee, Declarant: name, identifier (EORI, TIN), address."""

    name: str | None = Field(None, alias="Name")
    id: str | None = Field(None, alias="ID")
    address: Address | None = Field(None, alias="Address")

    def label(self) -> str | None:
        """How two administrations compare a party: its identifier, else its name."""
        return self.id or (self.name.strip().upper() if self.name else None)


class Office(XmlModel):
    id: str | None = Field(None, alias="ID")


class BorderTransportMeans(XmlModel):
    """The active means of transport crossing the border (DE 7/14, 7/15, 7/4)."""

    id: str | None = Field(None, alias="ID")
    identification_type_code: str | None = Field(None, alias="IdentificationTypeCode")
    registration_nationality_code: str | None = Field(None, alias="RegistrationNationalityCode")
    mode_code: str | None = Field(None, alias="ModeCode")


class TransportMeans(XmlModel):
    """Arrival or departure means of transport (DE 7/7, 7/9)."""

    id: str | None = Field(None, alias="ID")
    identification_type_code: str | None = Field(None, alias="IdentificationTypeCode")
    mode_code: str | None = Field(None, alias="ModeCode")


class Seal(XmlModel):
    sequence_numeric: int = Field(alias="SequenceNumeric")
    id: str | None = Field(None, alias="ID")


class TransportEquipment(XmlModel):
    sequence_numeric: int = Field(alias="SequenceNumeric")
    id: str | None = Field(None, alias="ID")
    seals: list[Seal] = Field(default_factory=list, alias="Seal")


class Consignment(XmlModel):
    container_code: str | None = Field(None, alias="ContainerCode")
    arrival_transport_means: TransportMeans | None = Field(None, alias="ArrivalTransportMeans")
    departure_transport_means: TransportMeans | None = Field(None, alias="DepartureTransportMeans")
    transport_equipment: list[TransportEquipment] = Field(default_factory=list, alias="TransportEquipment")


class Classification(XmlModel):
    id: str | None = Field(None, alias="ID")
    identification_type_code: str | None = Field(None, alias="IdentificationTypeCode")


class GoodsMeasure(XmlModel):
    gross_mass: Measure | None = Field(None, alias="GrossMassMeasure")
    net_mass: Measure | None = Field(None, alias="NetNetWeightMeasure")


class InvoiceLine(XmlModel):
    item_charge_amount: Amount | None = Field(None, alias="ItemChargeAmount")


class Commodity(XmlModel):
    description: str | None = Field(None, alias="Description")
    classifications: list[Classification] = Field(default_factory=list, alias="Classification")
    goods_measure: GoodsMeasure | None = Field(None, alias="GoodsMeasure")
    invoice_line: InvoiceLine | None = Field(None, alias="InvoiceLine")

    def commodity_code(self) -> str | None:
        """The tariff code: the first classification of a commodity-code type (HS, CN/TSP)."""
        for c in self.classifications:
            if c.id and (c.identification_type_code in codes.COMMODITY_CODE_TYPES):
                return c.id
        return None


class GovernmentProcedure(XmlModel):
    current_code: str | None = Field(None, alias="CurrentCode")
    previous_code: str | None = Field(None, alias="PreviousCode")


class Origin(XmlModel):
    country_code: str | None = Field(None, alias="CountryCode")
    type_code: str | None = Field(None, alias="TypeCode")


class Packaging(XmlModel):
    sequence_numeric: int = Field(alias="SequenceNumeric")
    marks_numbers_id: str | None = Field(None, alias="MarksNumbersID")
    quantity: int | None = Field(None, alias="QuantityQuantity")
    type_code: str | None = Field(None, alias="TypeCode")


class PreviousDocument(XmlModel):
    category_code: str | None = Field(None, alias="CategoryCode")
    id: str | None = Field(None, alias="ID")
    type_code: str | None = Field(None, alias="TypeCode")
    line_numeric: int | None = Field(None, alias="LineNumeric")


class GoodsItem(XmlModel):
    """GovernmentAgencyGoodsItem: one goods item of the declaration."""

    sequence_numeric: int = Field(alias="SequenceNumeric")
    statistical_value: Amount | None = Field(None, alias="StatisticalValueAmount")
    commodity: Commodity | None = Field(None, alias="Commodity")
    government_procedures: list[GovernmentProcedure] = Field(default_factory=list, alias="GovernmentProcedure")
    origins: list[Origin] = Field(default_factory=list, alias="Origin")
    packaging: list[Packaging] = Field(default_factory=list, alias="Packaging")


class Country(XmlModel):
    country_code: str | None = Field(None, alias="CountryCode")


class ExportCountry(XmlModel):
    id: str | None = Field(None, alias="ID")


class UCR(XmlModel):
    id: str | None = Field(None, alias="ID")
    trader_assigned_reference_id: str | None = Field(None, alias="TraderAssignedReferenceID")


class GoodsShipment(XmlModel):
    transaction_nature_code: str | None = Field(None, alias="TransactionNatureCode")
    consignee: Party | None = Field(None, alias="Consignee")
    consignment: Consignment | None = Field(None, alias="Consignment")
    consignor: Party | None = Field(None, alias="Consignor")
    destination: Country | None = Field(None, alias="Destination")
    export_country: ExportCountry | None = Field(None, alias="ExportCountry")
    goods_items: list[GoodsItem] = Field(default_factory=list, alias="GovernmentAgencyGoodsItem")
    importer: Party | None = Field(None, alias="Importer")
    previous_documents: list[PreviousDocument] = Field(default_factory=list, alias="PreviousDocument")
    ucr: UCR | None = Field(None, alias="UCR")


class Declaration(XmlModel):
    """``Declaration`` (WCO class 42A)."""

    xml_tag = "Declaration"

    function_code: str = Field(alias="FunctionCode")
    lrn: str | None = Field(None, alias="FunctionalReferenceID")
    mrn: str | None = Field(None, alias="ID")
    type_code: str | None = Field(None, alias="TypeCode")
    goods_item_quantity: int | None = Field(None, alias="GoodsItemQuantity")
    declaration_office_id: str | None = Field(None, alias="DeclarationOfficeID")
    invoice_amount: Amount | None = Field(None, alias="InvoiceAmount")
    total_gross_mass: Measure | None = Field(None, alias="TotalGrossMassMeasure")
    total_package_quantity: int | None = Field(None, alias="TotalPackageQuantity")
    border_transport_means: BorderTransportMeans | None = Field(None, alias="BorderTransportMeans")
    declarant: Party | None = Field(None, alias="Declarant")
    exit_office: Office | None = Field(None, alias="ExitOffice")
    exporter: Party | None = Field(None, alias="Exporter")
    goods_shipment: GoodsShipment | None = Field(None, alias="GoodsShipment")

    # -- reading the key data two administrations compare -------------------------------------

    @property
    def kind(self) -> str | None:
        """'export', 'import', 'transit', ... from TypeCode (DE 1/1)."""
        if self.type_code in codes.TRANSIT_TYPES:
            return "transit"
        return codes.DECLARATION_KINDS.get((self.type_code or "")[:2])

    @property
    def items(self) -> list[GoodsItem]:
        return self.goods_shipment.goods_items if self.goods_shipment else []

    @property
    def ucr(self) -> str | None:
        gs = self.goods_shipment
        return gs.ucr.id if gs and gs.ucr and gs.ucr.id else None

    def consignor(self) -> Party | None:
        gs = self.goods_shipment
        return (gs.consignor if gs else None) or self.exporter

    def consignee(self) -> Party | None:
        gs = self.goods_shipment
        return (gs.consignee if gs else None) or (gs.importer if gs else None)

    def gross_mass_kg(self) -> Decimal | None:
        """Total gross mass: the declared total, else the sum of the items'."""
        if self.total_gross_mass is not None:
            return self.total_gross_mass.value
        masses = [
            i.commodity.goods_measure.gross_mass.value
            for i in self.items
            if i.commodity and i.commodity.goods_measure and i.commodity.goods_measure.gross_mass
        ]
        return sum(masses, Decimal(0)) if masses else None

    def commodity_codes(self) -> list[str]:
        return [c for c in (i.commodity.commodity_code() for i in self.items if i.commodity) if c]

    def hs_subheadings(self) -> set[str]:
        """The 6-digit HS subheadings: the internationally comparable part of any tariff code."""
        return {c[:6] for c in self.commodity_codes() if len(c) >= 6}

    def value(self) -> Amount | None:
        """Invoice amount, else the sum of the items' statistical values (in their currency)."""
        if self.invoice_amount is not None:
            return self.invoice_amount
        values = [i.statistical_value for i in self.items if i.statistical_value is not None]
        if not values:
            return None
        return Amount(value=sum((v.value for v in values), Decimal(0)), currency_id=values[0].currency_id)

    def vehicle(self) -> str | None:
        btm = self.border_transport_means
        if btm and btm.id:
            return btm.id
        gs = self.goods_shipment
        for means in (
            (gs.consignment.arrival_transport_means, gs.consignment.departure_transport_means)
            if gs and gs.consignment
            else ()
        ):
            if means and means.id:
                return means.id
        return None

    def offices(self) -> dict[str, str]:
        found = {}
        if self.declaration_office_id:
            found["declaration"] = self.declaration_office_id
        if self.exit_office and self.exit_office.id:
            found["exit"] = self.exit_office.id
        return found

    # -- XML ------------------------------------------------------------------------------------

    def to_element(self) -> etree._Element:
        return to_element(self, "Declaration", NS_DEC)

    def to_xml(self, metadata: MetaData) -> bytes:
        """The declaration as a ``md:MetaData`` document."""
        return serialize(wrap(metadata, self.to_element()))

    @classmethod
    def from_element(cls, el: etree._Element) -> Declaration:
        return from_element(cls, el, NS_DEC)


class DeclarationDocument(BaseModel):
    """A declaration with the MetaData it came in."""

    metadata: MetaData | None
    declaration: Declaration

    @classmethod
    def from_root(cls, root: etree._Element) -> DeclarationDocument:
        meta, body = unwrap(root)
        if body.tag != f"{{{NS_DEC}}}Declaration":
            raise ValueError(f"expected a WCO DEC-DMS:2 Declaration, found {etree.QName(body).localname}")
        return cls(metadata=meta, declaration=Declaration.from_element(body))


def merge(base: XmlModel, change: XmlModel) -> XmlModel:
    """Apply an amendment: every field the change sets overrides ``base``.

    Repeated elements with a ``sequence_numeric`` merge item by item (a WCO
    amendment addresses goods items by their sequence number); other lists
    are replaced when the change carries any.
    """
    updates: dict[str, object] = {}
    for name in type(change).model_fields:
        new = getattr(change, name)
        if new is None or new == []:
            continue
        old = getattr(base, name)
        if isinstance(new, XmlModel) and isinstance(old, XmlModel):
            updates[name] = merge(old, new)
        elif isinstance(new, list) and old and all(hasattr(x, "sequence_numeric") for x in (*new, *old)):
            by_seq = {x.sequence_numeric: x for x in old}
            for x in new:
                by_seq[x.sequence_numeric] = merge(by_seq[x.sequence_numeric], x) if x.sequence_numeric in by_seq else x
            updates[name] = [by_seq[k] for k in sorted(by_seq)]
        else:
            updates[name] = new
    return base.model_copy(update=updates)
