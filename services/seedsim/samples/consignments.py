"""Realistic consignments for a corridor, reproducible from a seed.

Each consignment yields the export declaration lodged in the country of exit
and the import declaration lodged in the country of entry, with the same UCR
(the key both administrations know). A planted discrepancy changes the import
side only, the way an under-valuation or a switched load would.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from seedsim.config import BorderCrossing
from seedsim.core import codes
from seedsim.core.declaration import (
    UCR,
    Address,
    Amount,
    BorderTransportMeans,
    Classification,
    Commodity,
    Country,
    Declaration,
    ExportCountry,
    GoodsItem,
    GoodsMeasure,
    GoodsShipment,
    GovernmentProcedure,
    Measure,
    Office,
    Origin,
    Packaging,
    Party,
    TransportMeans,
)
from seedsim.core.declaration import (
    Consignment as WcoConsignment,
)
from seedsim.core.identifiers import iso7064_mod11_10, make_ucr

# Real HS 2022 subheadings with typical EUR value per kg of gross mass.
GOODS: list[tuple[str, str, Decimal]] = [
    ("080810", "Fresh apples", Decimal("0.6")),
    ("081120", "Frozen raspberries", Decimal("3.2")),
    ("220421", "Wine of fresh grapes, in containers of 2 l or less", Decimal("2.8")),
    ("940161", "Upholstered seats with wooden frames", Decimal("6.5")),
    ("847130", "Portable automatic data-processing machines (laptops)", Decimal("180")),
    ("870323", "Motor cars, spark-ignition, 1500-3000 cc", Decimal("9.0")),
    ("640399", "Footwear with outer soles of rubber and uppers of leather", Decimal("28")),
    ("300490", "Medicaments, packaged for retail sale", Decimal("65")),
    ("721420", "Bars and rods of iron, with deformations (rebar)", Decimal("0.7")),
    ("392690", "Other articles of plastics", Decimal("4.5")),
    ("610910", "T-shirts, knitted, of cotton", Decimal("22")),
    ("170199", "Cane or beet sugar, refined", Decimal("0.8")),
]

CITIES = {
    "RS": [
        ("Beograd", "11000"),
        ("Novi Sad", "21000"),
        ("Nis", "18000"),
        ("Kragujevac", "34000"),
        ("Subotica", "24000"),
    ],
    "ME": [
        ("Podgorica", "81000"),
        ("Niksic", "81400"),
        ("Bar", "85000"),
        ("Pljevlja", "84210"),
        ("Bijelo Polje", "84000"),
    ],
    "BA": [("Sarajevo", "71000"), ("Banja Luka", "78000")],
    "MK": [("Skopje", "1000"), ("Bitola", "7000")],
    "AL": [("Tirane", "1001"), ("Durres", "2001")],
    "XK": [("Prishtine", "10000"), ("Prizren", "20000")],
}
COMPANY_WORDS = [
    "Agro",
    "Trans",
    "Metal",
    "Promet",
    "Export",
    "Trade",
    "Invest",
    "Food",
    "Pharm",
    "Tekstil",
    "Drvo",
    "Auto",
]
COMPANY_FORMS = {"RS": "d.o.o.", "ME": "d.o.o.", "BA": "d.o.o.", "MK": "DOOEL", "AL": "sh.p.k.", "XK": "L.L.C."}
PLATE_PREFIX = {
    "RS": ["BG", "NS", "NI", "KG", "SU"],
    "ME": ["PG", "NK", "BR", "PV", "BP"],
    "MK": ["SK", "BT", "KU", "TE", "OH"],
    "AL": ["AA", "AB", "AC", "AD", "AE"],
    "XK": ["01", "02", "03", "04", "05"],
    "BA": ["A12", "E45", "K78", "M23", "T56"],
}
#: national taxpayer number lengths: RS PIB 9 digits, ME PIB 8 digits
TAX_ID_DIGITS = {"RS": 9, "ME": 8, "BA": 13, "MK": 13, "AL": 9, "XK": 9}

DISCREPANCY_KINDS = ("undervaluation", "mass", "hs_code", "vehicle", "consignee")

#: Procedure mixes (EU/CEFTA customs procedure codes, DE 1/10: requested + previous procedure):
#: the export side's code -> (export GovernmentProcedure, import GovernmentProcedure) codes.
PROCEDURES: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    "1000": (("10", "00"), ("40", "00")),  # permanent export -> release for free circulation
    "2300": (("23", "00"), ("53", "00")),  # temporary export for return -> temporary admission
    "3151": (("31", "51"), ("40", "00")),  # re-export after inward processing -> free circulation
}


@dataclass(frozen=True)
class GeneratedConsignment:
    index: int
    ucr: str
    export: Declaration
    import_: Declaration
    crossing: BorderCrossing
    planted: str | None = None


class ConsignmentGenerator:
    def __init__(self, seed: int, crossing: BorderCrossing, year: int | None = None, run: str = ""):
        """``run`` tags references (LRN, UCR) so that repeated runs against the same nodes don't collide."""
        self.run = run.upper()
        self.rng = random.Random(seed)
        self.crossing = crossing
        self.exit_country = crossing.exit_office[:2]
        self.entry_country = crossing.entry_office[:2]
        self.year = year or date.today().year
        self.exporters = [self._company(self.exit_country) for _ in range(12)]
        self.importers = [self._company(self.entry_country) for _ in range(12)]

    def _company(self, country: str) -> Party:
        rng = self.rng
        city, postcode = rng.choice(CITIES.get(country, [("Capital", "10000")]))
        name = f"{rng.choice(COMPANY_WORDS)}{rng.choice(COMPANY_WORDS).lower()} {COMPANY_FORMS.get(country, 'Ltd')}"
        digits = TAX_ID_DIGITS.get(country, 9)
        tax_id = str(rng.randrange(10 ** (digits - 1), 10**digits))
        if country == "RS":  # a Serbian PIB ends with its ISO 7064 MOD 11,10 check digit
            tax_id = tax_id[:8] + str(iso7064_mod11_10(tax_id[:8]))
        return Party(
            name=name,
            id=f"{country}{tax_id}",
            address=Address(
                city_name=city,
                country_code=country,
                line=f"Ulica {rng.randint(1, 99)} br. {rng.randint(1, 150)}",
                postcode_id=postcode,
            ),
        )

    def _plate(self, country: str) -> str:
        rng = self.rng
        letters = "ABCDEFGHJKLMNPRSTUVZ"
        return f"{rng.choice(PLATE_PREFIX.get(country, ['XX']))}{rng.randint(100, 9999)}{rng.choice(letters)}{rng.choice(letters)}"

    def make(self, index: int, planted: str | None = None, procedure: str = "1000") -> GeneratedConsignment:
        rng = self.rng
        exporter = rng.choice(self.exporters)
        importer = rng.choice(self.importers)
        plate = self._plate(self.exit_country)
        ucr = make_ucr(self.year, self.exit_country, exporter.id[2:], f"C{self.run}{index:07d}")
        items = []
        for seq in range(1, rng.randint(1, 3) + 1):
            hs, description, per_kg = rng.choice(GOODS)
            gross = Decimal(rng.randint(80, 12000))
            net = (gross * Decimal(rng.choice(["0.90", "0.92", "0.95"]))).quantize(Decimal("1"))
            value = (gross * per_kg * Decimal(rng.choice(["0.9", "1.0", "1.1"]))).quantize(Decimal("0.01"))
            packages = max(1, int(gross / 25))
            items.append((seq, hs, description, gross, net, value, packages))
        if procedure not in PROCEDURES:
            raise ValueError(f"unknown procedure {procedure!r}; one of {', '.join(PROCEDURES)}")
        export = self._declaration(
            "EXA",
            f"EX{self.year % 100}{self.run}{index:08d}",
            ucr,
            exporter,
            importer,
            plate,
            items,
            export=True,
            procedure=PROCEDURES[procedure][0],
        )
        import_ = self._declaration(
            "IMA",
            f"IM{self.year % 100}{self.run}{index:08d}",
            ucr,
            exporter,
            importer,
            plate,
            items,
            export=False,
            procedure=PROCEDURES[procedure][1],
        )
        if planted:
            import_ = self.plant(import_, planted)
        return GeneratedConsignment(
            index=index, ucr=ucr, export=export, import_=import_, crossing=self.crossing, planted=planted
        )

    def _declaration(
        self,
        type_code: str,
        lrn: str,
        ucr: str,
        exporter: Party,
        importer: Party,
        plate: str,
        items: list,
        export: bool,
        procedure: tuple[str, str],
    ) -> Declaration:
        total_gross = sum((i[3] for i in items), Decimal(0))
        total_value = sum((i[5] for i in items), Decimal(0))
        goods = [
            GoodsItem(
                sequence_numeric=seq,
                statistical_value=Amount(value=value, currency_id="EUR"),
                commodity=Commodity(
                    description=description,
                    classifications=[Classification(id=hs, identification_type_code="HS")],
                    goods_measure=GoodsMeasure(
                        gross_mass=Measure(value=gross, unit_code="KGM"), net_mass=Measure(value=net, unit_code="KGM")
                    ),
                ),
                # DE 1/10, e.g. 10 00 permanent export; 40 00 release for free circulation and home use
                government_procedures=[GovernmentProcedure(current_code=procedure[0], previous_code=procedure[1])],
                origins=[Origin(country_code=self.exit_country, type_code="1")],
                packaging=[Packaging(sequence_numeric=1, quantity=packages, type_code="PK")],
            )
            for seq, hs, description, gross, net, value, packages in items
        ]
        office = self.crossing.exit_office if export else self.crossing.entry_office
        return Declaration(
            function_code=codes.FUNCTION_ORIGINAL,
            lrn=lrn,
            type_code=type_code,
            goods_item_quantity=len(goods),
            declaration_office_id=office,
            invoice_amount=Amount(value=total_value, currency_id="EUR"),
            total_gross_mass=Measure(value=total_gross, unit_code="KGM"),
            total_package_quantity=sum(i[6] for i in items),
            border_transport_means=BorderTransportMeans(
                id=plate, identification_type_code="30", registration_nationality_code=self.exit_country, mode_code="3"
            ),
            declarant=Party(id=(exporter if export else importer).id),
            exit_office=Office(id=self.crossing.exit_office) if export else None,
            exporter=exporter,
            goods_shipment=GoodsShipment(
                transaction_nature_code="11",
                consignee=importer,
                consignment=WcoConsignment(
                    container_code="0",
                    departure_transport_means=TransportMeans(id=plate, identification_type_code="30", mode_code="3")
                    if export
                    else None,
                    arrival_transport_means=None
                    if export
                    else TransportMeans(id=plate, identification_type_code="30", mode_code="3"),
                ),
                consignor=exporter,
                destination=Country(country_code=self.entry_country),
                export_country=ExportCountry(id=self.exit_country),
                goods_items=goods,
                importer=None if export else importer,
                ucr=UCR(id=ucr),
            ),
        )

    def plant(self, d: Declaration, kind: str) -> Declaration:
        """Change the import side the way a fraud pattern would."""
        if kind == "undervaluation":
            factor = Decimal("0.6")  # declared 40% below the export value
            items = [
                i.model_copy(
                    update={
                        "statistical_value": Amount(
                            value=(i.statistical_value.value * factor).quantize(Decimal("0.01")), currency_id="EUR"
                        )
                    }
                )
                for i in d.items
            ]
            total = sum((i.statistical_value.value for i in items), Decimal(0))
            return d.model_copy(
                update={
                    "invoice_amount": Amount(value=total, currency_id="EUR"),
                    "goods_shipment": d.goods_shipment.model_copy(update={"goods_items": items}),
                }
            )
        if kind == "mass":
            factor = Decimal("0.75")
            items = []
            for i in d.items:
                gm = i.commodity.goods_measure
                new_gm = GoodsMeasure(
                    gross_mass=Measure(value=(gm.gross_mass.value * factor).quantize(Decimal("1")), unit_code="KGM"),
                    net_mass=Measure(value=(gm.net_mass.value * factor).quantize(Decimal("1")), unit_code="KGM"),
                )
                items.append(
                    i.model_copy(update={"commodity": i.commodity.model_copy(update={"goods_measure": new_gm})})
                )
            total = sum((i.commodity.goods_measure.gross_mass.value for i in items), Decimal(0))
            return d.model_copy(
                update={
                    "total_gross_mass": Measure(value=total, unit_code="KGM"),
                    "goods_shipment": d.goods_shipment.model_copy(update={"goods_items": items}),
                }
            )
        if kind == "hs_code":
            first = d.items[0]
            other = next(g for g in GOODS if g[0] != first.commodity.commodity_code())
            changed = first.model_copy(
                update={
                    "commodity": first.commodity.model_copy(
                        update={
                            "classifications": [Classification(id=other[0], identification_type_code="HS")],
                            "description": other[1],
                        }
                    )
                }
            )
            return d.model_copy(
                update={"goods_shipment": d.goods_shipment.model_copy(update={"goods_items": [changed, *d.items[1:]]})}
            )
        if kind == "vehicle":
            plate = self._plate(self.exit_country)
            return d.model_copy(
                update={"border_transport_means": d.border_transport_means.model_copy(update={"id": plate})}
            )
        if kind == "consignee":
            other = self._company(self.entry_country)
            return d.model_copy(
                update={"goods_shipment": d.goods_shipment.model_copy(update={"consignee": other, "importer": other})}
            )
        raise ValueError(f"unknown discrepancy kind {kind!r}; one of {', '.join(DISCREPANCY_KINDS)}")
