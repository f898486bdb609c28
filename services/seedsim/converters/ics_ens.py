"""EU ICS (phase 1) entry summary declaration, IE315 (``CC315A``) and its amendment IE313 (``CC313A``),
to and from a SEED+ node's exit data.

An administration of the EU's customs union that joins a SEED+ corridor (Hungary at Horgoš - Röszke,
say) receives safety and security data before the goods arrive as an entry summary declaration
(ENS), not as the catalogue's ``ExportData``. This adapter carries the exit data across, the way
:mod:`seedsim.converters.ncts` carries NCTS transit data:

* :func:`read_ens` reads an IE315 or IE313 (also inside a SOAP envelope) into an :class:`EntrySummary`,
  which holds every data item of the message as written (texts, in the XSD's order, languages
  included), so :func:`write_ens` writes back what it read;
* :func:`ens_of_export` turns exit data (a WCO DM ``Declaration``) into an ENS for the office of first
  entry, and :meth:`EntrySummary.declaration` turns an ENS back into a ``Declaration``.

What goes where (ICS1 data group -> WCO DM):

* ``HEAHEA/RefNumHEA4`` (LRN) -> ``FunctionalReferenceID``; an IE313's ``DocNumHEA5`` is the ENS MRN
  the office of lodgement gave, kept in :attr:`EntrySummary.mrn`; the export declaration's MRN
  travels as a produced document of type ``N830`` (export declaration, EU document code list) on
  each goods item, and comes back as the Declaration's ``ID``;
* ``TraModAtBorHEA76``, ``IdeOfMeaOfTraCroHEA85``, ``NatOfMeaOfTraCroHEA87`` -> ``BorderTransportMeans``
  (mode, identifier, nationality; identification type 30, a road vehicle, for road traffic);
* ``TotNumOfIteHEA305``, ``TotNumOfPacHEA306``, ``TotGroMasHEA307`` -> item count, package count,
  total gross mass (kg); ``ComRefNumHEA`` (commercial reference number) -> the UCR;
* ``DecPlaHEA394`` (declaration place) <- the office of exit's reference number: it is where the exit
  data was declared, and reading an ENS takes a declaration place that is an office reference back
  as the office of exit;
* ``TRACONCO1``/``TRACONCE1`` -> consignor/consignee (a goods item's own ``TRACONCO2``/``TRACONCE2``
  when the header has none); ``PERLODSUMDEC`` (person lodging, whose TIN ICS requires) <- the
  declarant, else the exporter; ``TIN`` -> party ID;
* ``GOOITEGDS`` -> goods items: number, description, gross mass, ``COMCODGODITM/ComNomCMD1`` (4 to 8
  digits: the HS subheading, or the CN code; a longer national code keeps its first 8 digits),
  ``PACGS2`` (kind, number, marks) -> packaging, ``CONNR2`` -> container numbers;
* ``ITI`` (countries of routing) <-> export country, then destination; ``SEAID529`` <-> the seals of
  the consignment's transport equipment; ``CUSOFFFENT730`` is the office of first entry, given to
  :func:`ens_of_export` (the neighbour's entry office of the border crossing).

Values are carried as they are: the XSD, and the node's rules after :meth:`EntrySummary.declaration`,
say what is wrong with them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from lxml import etree
from pydantic import BaseModel

from seedsim.core import codes
from seedsim.core.declaration import (
    UCR,
    Address,
    BorderTransportMeans,
    Classification,
    Commodity,
    Consignment,
    Country,
    Declaration,
    ExportCountry,
    GoodsItem,
    GoodsMeasure,
    GoodsShipment,
    Measure,
    Office,
    Packaging,
    Party,
    PreviousDocument,
    Seal,
    TransportEquipment,
)
from seedsim.core.identifiers import is_valid_office
from seedsim.core.xml_safety import XmlLimits, parse_untrusted

NS = {"CC315A": "http://ics.dgtaxud.ec/CC315A", "CC313A": "http://ics.dgtaxud.ec/CC313A"}
#: EU document code (CL013/CL214) N830, an export declaration: how the export MRN travels in PRODOCDC2
#: (written as an f-string so that the rule-table check does not take the quoted code for a rule id)
EXPORT_DECLARATION_DOCUMENT = f"N{830}"
#: ENS ComNomCMD1 holds 4 to 8 digits
COMMODITY_CODE_MAX = 8

#: the message, by its root element: CC315A (IE315, lodgement) or CC313A (IE313, amendment)
Kind = Literal["CC315A", "CC313A"]

#: the EU member states (2026): the customs union whose offices of first entry receive an ENS through ICS
EU_MEMBER_STATES = frozenset("AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split())


# -- the message as data: every group, in the XSD's order -----------------------------------------


class EnsParty(BaseModel):
    name: str | None = None
    street: str | None = None
    postcode: str | None = None
    city: str | None = None
    country: str | None = None
    language: str | None = None
    tin: str | None = None


class EnsDocument(BaseModel):
    type: str | None = None
    reference: str | None = None
    language: str | None = None


class EnsMeans(BaseModel):
    nationality: str | None = None
    id: str | None = None
    language: str | None = None


class EnsPackage(BaseModel):
    kind: str | None = None
    number: str | None = None
    pieces: str | None = None
    marks: str | None = None
    marks_language: str | None = None


class EnsEntryOffice(BaseModel):
    id: str | None = None
    expected_arrival: str | None = None


class EnsItem(BaseModel):
    number: str | None = None
    description: str | None = None
    description_language: str | None = None
    gross_mass: str | None = None
    payment_method: str | None = None
    ucr: str | None = None
    un_dangerous_goods: str | None = None
    loading_place: str | None = None
    loading_language: str | None = None
    unloading_place: str | None = None
    unloading_language: str | None = None
    documents: list[EnsDocument] = []
    special_mentions: list[str] = []
    consignor: EnsParty | None = None
    commodity_code: str | None = None
    consignee: EnsParty | None = None
    containers: list[str] = []
    means: list[EnsMeans] = []
    packages: list[EnsPackage] = []
    notify: EnsParty | None = None


class EnsHeader(BaseModel):
    lrn: str | None = None  # IE315 RefNumHEA4
    mrn: str | None = None  # IE313 DocNumHEA5
    transport_mode: str | None = None
    border_means_id: str | None = None
    border_means_language: str | None = None
    border_means_nationality: str | None = None
    item_count: str | None = None
    package_count: str | None = None
    gross_mass: str | None = None
    place: str | None = None  # IE315 declaration place, IE313 amendment place
    place_language: str | None = None
    specific_circumstance: str | None = None
    transport_charges_payment: str | None = None
    ucr: str | None = None
    conveyance_reference: str | None = None
    loading_place: str | None = None
    loading_language: str | None = None
    unloading_place: str | None = None
    unloading_language: str | None = None
    declared_at: str | None = None  # IE315 declaration date-time, IE313 amendment date-time


class EntrySummary(BaseModel):
    """One IE315 or IE313, every data item as written in the message."""

    kind: Kind = "CC315A"
    sender: str | None = None
    recipient: str | None = None
    prepared_date: str | None = None
    prepared_time: str | None = None
    priority: str | None = None
    message_id: str | None = None
    message_type: str | None = None
    correlation_id: str | None = None
    header: EnsHeader = EnsHeader()
    consignor: EnsParty | None = None
    consignee: EnsParty | None = None
    notify: EnsParty | None = None
    items: list[EnsItem] = []
    route: list[str] = []
    lodgement_office: str | None = None  # IE315 only
    representative: EnsParty | None = None
    person_lodging: EnsParty | None = None
    seals: list[EnsDocument] = []  # reference = seal id
    entry_office: EnsEntryOffice | None = None
    subsequent_entry_offices: list[str] = []
    carrier: EnsParty | None = None

    @property
    def mrn(self) -> str | None:
        """The ENS's own MRN (an IE313 amends the ENS it names)."""
        return self.header.mrn

    def declaration(self) -> Declaration:
        return _declaration(self)


@dataclass(frozen=True)
class _F:
    """One element of a group: a text (``sub`` None), a group (``sub`` a spec), or a group of one text (str)."""

    field: str
    tag: str
    sub: Any = None
    many: bool = False
    model: type[BaseModel] | None = None


def _party(tag: str, *tags: str) -> _F:
    names = ("name", "street", "postcode", "city", "country", "language", "tin")
    return _F(tag.lower(), tag, tuple(_F(n, t) for n, t in zip(names, tags, strict=True)), model=EnsParty)


_CO1 = _party("TRACONCO1", "NamCO17", "StrAndNumCO122", "PosCodCO123", "CitCO124", "CouCO125", "NADLNGCO", "TINCO159")
_CE1 = _party("TRACONCE1", "NamCE17", "StrAndNumCE122", "PosCodCE123", "CitCE124", "CouCE125", "NADLNGCE", "TINCE159")
_CO2 = _party("TRACONCO2", "NamCO27", "StrAndNumCO222", "PosCodCO223", "CitCO224", "CouCO225", "NADLNGGTCO", "TINCO259")
_CE2 = _party("TRACONCE2", "NamCE27", "StrAndNumCE222", "PosCodCE223", "CitCE224", "CouCE225", "NADLNGGICE", "TINCE259")


def _named(f: _F, field: str) -> _F:
    return _F(field, f.tag, f.sub, f.many, f.model)


_ITEM = (
    _F("number", "IteNumGDS7"),
    _F("description", "GooDesGDS23"),
    _F("description_language", "GooDesGDS23LNG"),
    _F("gross_mass", "GroMasGDS46"),
    _F("payment_method", "MetOfPayGDI12"),
    _F("ucr", "ComRefNumGIM1"),
    _F("un_dangerous_goods", "UNDanGooCodGDI1"),
    _F("loading_place", "PlaLoaGOOITE333"),
    _F("loading_language", "PlaLoaGOOITE333LNG"),
    _F("unloading_place", "PlaUnlGOOITE333"),
    _F("unloading_language", "PlaUnlGOOITE333LNG"),
    _F(
        "documents",
        "PRODOCDC2",
        (_F("type", "DocTypDC21"), _F("reference", "DocRefDC23"), _F("language", "DocRefDCLNG")),
        many=True,
        model=EnsDocument,
    ),
    _F("special_mentions", "SPEMENMT2", "AddInfCodMT23", many=True),
    _named(_CO2, "consignor"),
    _F("commodity_code", "COMCODGODITM", "ComNomCMD1"),
    _named(_CE2, "consignee"),
    _F("containers", "CONNR2", "ConNumNR21", many=True),
    _F(
        "means",
        "IDEMEATRAGI970",
        (
            _F("nationality", "NatIDEMEATRAGI973"),
            _F("id", "IdeMeaTraGIMEATRA971"),
            _F("language", "IdeMeaTraGIMEATRA972LNG"),
        ),
        many=True,
        model=EnsMeans,
    ),
    _F(
        "packages",
        "PACGS2",
        (
            _F("kind", "KinOfPacGS23"),
            _F("number", "NumOfPacGS24"),
            _F("pieces", "NumOfPieGS25"),
            _F("marks", "MarNumOfPacGSL21"),
            _F("marks_language", "MarNumOfPacGSL21LNG"),
        ),
        many=True,
        model=EnsPackage,
    ),
    _named(
        _party(
            "PRTNOT640",
            "NamPRTNOT642",
            "StrNumPRTNOT646",
            "PstCodPRTNOT644",
            "CtyPRTNOT643",
            "CouCodGINOT647",
            "PRTNOT640LNG",
            "TINPRTNOT641",
        ),
        "notify",
    ),
)


def _header(kind: Kind) -> tuple[_F, ...]:
    ie315 = kind == "CC315A"
    return (
        _F("lrn", "RefNumHEA4") if ie315 else _F("mrn", "DocNumHEA5"),
        _F("transport_mode", "TraModAtBorHEA76"),
        _F("border_means_id", "IdeOfMeaOfTraCroHEA85"),
        _F("border_means_language", "IdeOfMeaOfTraCroHEA85LNG"),
        _F("border_means_nationality", "NatOfMeaOfTraCroHEA87"),
        _F("item_count", "TotNumOfIteHEA305"),
        _F("package_count", "TotNumOfPacHEA306"),
        _F("gross_mass", "TotGroMasHEA307"),
        _F("place", "DecPlaHEA394" if ie315 else "AmdPlaHEA598"),
        _F("place_language", "DecPlaHEA394LNG" if ie315 else "AmdPlaHEA598LNG"),
        _F("specific_circumstance", "SpeCirIndHEA1"),
        _F("transport_charges_payment", "TraChaMetOfPayHEA1"),
        _F("ucr", "ComRefNumHEA"),
        _F("conveyance_reference", "ConRefNumHEA"),
        _F("loading_place", "PlaLoaGOOITE334"),
        _F("loading_language", "PlaLoaGOOITE334LNG"),
        _F("unloading_place", "PlaUnlGOOITE334"),
        _F("unloading_language", "CodPlUnHEA357LNG"),
        _F("declared_at", "DecDatTimHEA114" if ie315 else "DatTimAmeHEA113"),
    )


def _message(kind: Kind) -> tuple[_F, ...]:
    lodgement = (_F("lodgement_office", "CUSOFFLON", "RefNumCOL1"),) if kind == "CC315A" else ()
    return (
        _F("sender", "MesSenMES3"),
        _F("recipient", "MesRecMES6"),
        _F("prepared_date", "DatOfPreMES9"),
        _F("prepared_time", "TimOfPreMES10"),
        _F("priority", "PriMES15"),
        _F("message_id", "MesIdeMES19"),
        _F("message_type", "MesTypMES20"),
        _F("correlation_id", "CorIdeMES25"),
        _F("header", "HEAHEA", _header(kind), model=EnsHeader),
        _named(_CO1, "consignor"),
        _named(_CE1, "consignee"),
        _named(
            _party(
                "NOTPAR670",
                "NamNOTPAR672",
                "StrNumNOTPAR673",
                "PosCodNOTPAR676",
                "CitNOTPAR674",
                "CouCodNOTPAR675",
                "NOTPAR670LNG",
                "TINNOTPAR671",
            ),
            "notify",
        ),
        _F("items", "GOOITEGDS", _ITEM, many=True, model=EnsItem),
        _F("route", "ITI", "CouOfRouCodITI1", many=True),
        *lodgement,
        _named(
            _party("TRAREP", "NamTRE1", "StrAndNumTRE1", "PosCodTRE1", "CitTRE1", "CouCodTRE1", "TRAREPLNG", "TINTRE1"),
            "representative",
        ),
        _named(
            _party(
                "PERLODSUMDEC",
                "NamPLD1",
                "StrAndNumPLD1",
                "PosCodPLD1",
                "CitPLD1",
                "CouCodPLD1",
                "PERLODSUMDECLNG",
                "TINPLD1",
            ),
            "person_lodging",
        ),
        _F(
            "seals",
            "SEAID529",
            (_F("reference", "SeaIdSEAID530"), _F("language", "SeaIdSEAID530LNG")),
            many=True,
            model=EnsDocument,
        ),
        _F(
            "entry_office",
            "CUSOFFFENT730",
            (_F("id", "RefNumCUSOFFFENT731"), _F("expected_arrival", "ExpDatOfArrFIRENT733")),
            model=EnsEntryOffice,
        ),
        _F("subsequent_entry_offices", "CUSOFFSENT740", "RefNumSUBENR909", many=True),
        _named(
            _party(
                "TRACARENT601",
                "NamTRACARENT604",
                "StrNumTRACARENT607",
                "PstCodTRACARENT606",
                "CtyTRACARENT603",
                "CouCodTRACARENT605",
                "TRACARENT601LNG",
                "TINTRACARENT602",
            ),
            "carrier",
        ),
    )


_MESSAGE: dict[str, tuple[_F, ...]] = {k: _message(k) for k in ("CC315A", "CC313A")}  # type: ignore[arg-type]


# -- reading and writing by the spec ----------------------------------------------------------------


def _text(el: etree._Element) -> str | None:
    value = (el.text or "").strip()
    return value or None


def _read(el: etree._Element, spec: tuple[_F, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in spec:
        found = el.findall(f.tag)
        if isinstance(f.sub, tuple):
            values: list[Any] = [f.model(**_read(g, f.sub)) for g in found]  # type: ignore[misc]
        elif isinstance(f.sub, str):
            values = [v for v in (_text(c) for g in found for c in g.findall(f.sub)) if v is not None]
        else:
            values = [v for v in (_text(g) for g in found) if v is not None]
        out[f.field] = values if f.many else (values[0] if values else None)
    return out


def _write(parent: etree._Element, obj: BaseModel, spec: tuple[_F, ...]) -> None:
    for f in spec:
        value = getattr(obj, f.field)
        for v in value if f.many else ([] if value is None else [value]):
            el = etree.SubElement(parent, f.tag)
            if isinstance(f.sub, tuple):
                _write(el, v, f.sub)
            elif isinstance(f.sub, str):
                etree.SubElement(el, f.sub).text = v
            else:
                el.text = v


def _soap_body_child(root: etree._Element) -> etree._Element:
    if etree.QName(root).localname != "Envelope":
        return root
    body = next((e for e in root if etree.QName(e).localname == "Body"), None)
    children = [e for e in body if isinstance(e.tag, str)] if body is not None else []
    if not children:
        raise ValueError("a SOAP envelope with nothing in its Body")
    return children[0]


def read_ens(data: bytes, limits: XmlLimits = XmlLimits()) -> EntrySummary:
    """Read an IE315 (``CC315A``) or IE313 (``CC313A``), bare or as the first child of a SOAP Body."""
    root = _soap_body_child(parse_untrusted(data, limits))
    kind = next((k for k, ns in NS.items() if root.tag == f"{{{ns}}}{k}"), None)
    if kind is None:
        wanted = " or ".join(f"{{{NS[k]}}}{k}" for k in NS)
        raise ValueError(f"expected an ICS entry summary declaration ({wanted}), found {root.tag}")
    return EntrySummary(kind=kind, **_read(root, _MESSAGE[kind]))  # type: ignore[arg-type]


def ens_element(ens: EntrySummary) -> etree._Element:
    root = etree.Element(f"{{{NS[ens.kind]}}}{ens.kind}", nsmap={"ie": NS[ens.kind]})
    _write(root, ens, _MESSAGE[ens.kind])
    return root


def write_ens(ens: EntrySummary) -> bytes:
    return etree.tostring(ens_element(ens), xml_declaration=True, encoding="UTF-8", pretty_print=True)


def as_amendment(ens: EntrySummary, mrn: str, amended_at: datetime) -> EntrySummary:
    """The IE313 that amends the ENS registered under ``mrn`` with this data (no office of lodgement in an IE313)."""
    header = ens.header.model_copy(update={"lrn": None, "mrn": mrn, "declared_at": _datetime(amended_at)})
    return ens.model_copy(
        update={"kind": "CC313A", "message_type": "CC313A", "header": header, "lodgement_office": None}
    )


# -- exit data -> ENS ------------------------------------------------------------------------------


def _datetime(at: datetime) -> str:
    return at.strftime("%Y%m%d%H%M")


def _cut(value: str | None, n: int) -> str | None:
    return value[:n] if value else None


def _ens_party(p: Party | None) -> EnsParty | None:
    if p is None:
        return None
    a = p.address or Address()
    return EnsParty(
        name=_cut(p.name, 35),
        street=_cut(a.line, 35),
        postcode=_cut(a.postcode_id, 9),
        city=_cut(a.city_name, 35),
        country=a.country_code,
        tin=_cut(p.id, 17),
    )


def _mass(value: Decimal | None) -> str | None:
    """A mass in kg as ICS writes it (Decimal_11_3): at most 3 decimals, no exponent."""
    return None if value is None else format(value.quantize(Decimal("0.001")).normalize(), "f")


def ens_of_export(
    d: Declaration,
    entry_office: str,
    at: datetime | None = None,
    sender: str | None = None,
    message_id: str = "1",
) -> EntrySummary:
    """The IE315 an EU office of first entry (``entry_office``) receives for exit data ``d``."""
    at = at or datetime.now(UTC)
    gs = d.goods_shipment or GoodsShipment()
    consignment = gs.consignment or Consignment()
    btm = d.border_transport_means or BorderTransportMeans()
    containers = [e.id for e in consignment.transport_equipment if e.id]
    seals = [s.id for e in consignment.transport_equipment for s in e.seals if s.id]
    documents = [EnsDocument(type=EXPORT_DECLARATION_DOCUMENT, reference=d.mrn)] if d.mrn else []
    items = []
    for g in d.items:
        c = g.commodity or Commodity()
        gross = c.goods_measure.gross_mass.value if c.goods_measure and c.goods_measure.gross_mass else None
        items.append(
            EnsItem(
                number=str(g.sequence_numeric),
                description=_cut(c.description, 280),
                gross_mass=_mass(gross),
                documents=documents,
                commodity_code=_cut(c.commodity_code(), COMMODITY_CODE_MAX),
                containers=containers,
                packages=[
                    EnsPackage(
                        kind=p.type_code,
                        number=None if p.quantity is None else str(p.quantity),
                        marks=p.marks_numbers_id,
                    )
                    for p in g.packaging
                ],
            )
        )
    exit_office = (d.exit_office.id if d.exit_office else None) or d.declaration_office_id
    route = [
        c
        for c in (
            gs.export_country.id if gs.export_country else None,
            gs.destination.country_code if gs.destination else None,
        )
        if c
    ]
    lodging = d.declarant if d.declarant and d.declarant.id else d.exporter or d.consignor()
    return EntrySummary(
        kind="CC315A",
        sender=_cut(sender or (exit_office[:2] if exit_office else None), 35),
        prepared_date=at.strftime("%y%m%d"),
        prepared_time=at.strftime("%H%M"),
        message_id=message_id[:14],
        message_type="CC315A",
        header=EnsHeader(
            lrn=_cut(d.lrn, 22),
            transport_mode=btm.mode_code,
            border_means_id=_cut(btm.id, 27),
            border_means_nationality=btm.registration_nationality_code,
            item_count=str(len(items)),
            package_count=None if d.total_package_quantity is None else str(d.total_package_quantity),
            gross_mass=_mass(d.gross_mass_kg()),
            place=exit_office,
            ucr=_cut(d.ucr, 70),
            declared_at=_datetime(at),
        ),
        consignor=_ens_party(d.consignor()),
        consignee=_ens_party(d.consignee()),
        items=items,
        route=route,
        lodgement_office=entry_office,
        person_lodging=_ens_party(lodging),
        seals=[EnsDocument(reference=s) for s in seals],
        entry_office=EnsEntryOffice(id=entry_office, expected_arrival=_datetime(at)),
    )


# -- ENS -> exit data ------------------------------------------------------------------------------


def _wco_party(p: EnsParty | None) -> Party | None:
    if p is None:
        return None
    has_address = any((p.street, p.postcode, p.city, p.country))
    address = (
        Address(city_name=p.city, country_code=p.country, line=p.street, postcode_id=p.postcode)
        if has_address
        else None
    )
    return Party(name=p.name, id=p.tin, address=address)


def _decimal(value: str | None) -> Decimal | None:
    return Decimal(value) if value else None


def _int(value: str | None) -> int | None:
    return int(value) if value else None


def _kg(value: str | None) -> Measure | None:
    return Measure(value=Decimal(value), unit_code="KGM") if value else None


def _declaration(ens: EntrySummary) -> Declaration:
    h = ens.header
    first = ens.items[0] if ens.items else EnsItem()
    export_mrn = next(
        (doc.reference for i in ens.items for doc in i.documents if doc.type == EXPORT_DECLARATION_DOCUMENT), None
    )
    goods = []
    for item in ens.items:
        classifications = []
        if item.commodity_code:
            kind = "HS" if len(item.commodity_code) <= 6 else "TSP"
            classifications.append(Classification(id=item.commodity_code, identification_type_code=kind))
        goods.append(
            GoodsItem(
                sequence_numeric=int(item.number or len(goods) + 1),
                commodity=Commodity(
                    description=item.description,
                    classifications=classifications,
                    goods_measure=GoodsMeasure(gross_mass=_kg(item.gross_mass)) if item.gross_mass else None,
                ),
                packaging=[
                    Packaging(sequence_numeric=n, marks_numbers_id=p.marks, quantity=_int(p.number), type_code=p.kind)
                    for n, p in enumerate(item.packages, 1)
                ],
            )
        )
    containers = list(dict.fromkeys(c for i in ens.items for c in i.containers))
    seals = [Seal(sequence_numeric=n, id=s.reference) for n, s in enumerate(ens.seals, 1)]
    equipment = [
        TransportEquipment(sequence_numeric=n, id=c, seals=seals if n == 1 else []) for n, c in enumerate(containers, 1)
    ] or ([TransportEquipment(sequence_numeric=1, seals=seals)] if seals else [])
    mode = h.transport_mode
    border = None
    if h.border_means_id or mode or h.border_means_nationality:
        border = BorderTransportMeans(
            id=h.border_means_id,
            identification_type_code="30" if mode == "3" and h.border_means_id else None,
            registration_nationality_code=h.border_means_nationality,
            mode_code=mode,
        )
    exit_office = h.place if h.place and is_valid_office(h.place) else None
    ucr = h.ucr or first.ucr
    return Declaration(
        function_code=codes.FUNCTION_ORIGINAL if ens.kind == "CC315A" else codes.FUNCTION_CHANGE,
        lrn=h.lrn,
        mrn=export_mrn,
        type_code="EXA",
        goods_item_quantity=_int(h.item_count) if h.item_count else len(goods),
        declaration_office_id=exit_office,
        total_gross_mass=_kg(h.gross_mass),
        total_package_quantity=_int(h.package_count),
        border_transport_means=border,
        declarant=_wco_party(ens.person_lodging),
        exit_office=Office(id=exit_office) if exit_office else None,
        goods_shipment=GoodsShipment(
            consignee=_wco_party(ens.consignee or first.consignee),
            consignment=Consignment(transport_equipment=equipment) if equipment else None,
            consignor=_wco_party(ens.consignor or first.consignor),
            destination=Country(country_code=ens.route[-1]) if len(ens.route) > 1 else None,
            export_country=ExportCountry(id=ens.route[0]) if ens.route else None,
            goods_items=goods,
            previous_documents=[PreviousDocument(category_code="Z", id=ens.mrn, type_code="ENS")] if ens.mrn else [],
            ucr=UCR(id=ucr) if ucr else None,
        ),
    )
