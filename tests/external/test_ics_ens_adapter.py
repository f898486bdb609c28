"""The ICS ENS adapter against the real EU ICS1 schemas (CC315A, CC313A v11-2) and HMRC's samples.

Every sample of ``eu-ics1-ens`` that its XSD accepts (plain or the ``-New`` variant, SOAP-wrapped ones
unwrapped) is read and written back: the written document validates against the same XSD and holds
the very same data items, in the same order, as an independent reading of the sample. Exit data made
by seedsim becomes an IE315 (and an IE313) that validates against the plain XSD, and comes back with
its key data.
"""

from __future__ import annotations

import copy
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from seedsim.config import BorderCrossing
from seedsim.converters.ics_ens import as_amendment, ens_of_export, read_ens, write_ens
from seedsim.core.declaration import Seal, TransportEquipment
from seedsim.core.identifiers import random_mrn
from seedsim.samples.consignments import ConsignmentGenerator
from tests.unit.seedsim_cli import seedsim
from tests.unit.test_any_country_nodes import play_rs_hu

pytestmark = pytest.mark.external

XSDS = ("CC315A-v11-2", "CC315A-v11-2-New", "CC313A-v11-2", "CC313A-v11-2-New")
HORGOS = BorderCrossing(name="Horgos (RS) - Roszke (HU)", exit_office="RS011030", entry_office="HU403000")


def _dir(external: Path) -> Path:
    return external / "eu-ics1-ens"


def _schemas(external: Path) -> dict[str, etree.XMLSchema]:
    return {k: etree.XMLSchema(etree.parse(str(_dir(external) / "xsd" / f"{k}.xsd"))) for k in XSDS}


def _message(path: Path) -> etree._Element:
    """The document's root, or the first child of a SOAP Body (as SOURCE.md's validate.py --unwrap-soap)."""
    root = etree.parse(str(path)).getroot()
    if etree.QName(root).localname == "Envelope":
        body = next(e for e in root.iter() if isinstance(e.tag, str) and etree.QName(e).localname == "Body")
        root = copy.deepcopy(body[0])
    return root


def _accepting(schemas: dict[str, etree.XMLSchema], root: etree._Element) -> list[str]:
    name = etree.QName(root).localname
    return [k for k, s in schemas.items() if k.startswith(name) and s.validate(root)]


def _xsd_valid_samples(external: Path) -> list[tuple[Path, list[str]]]:
    schemas = _schemas(external)
    found = [(p, _accepting(schemas, _message(p))) for p in sorted((_dir(external) / "samples").rglob("*.xml"))]
    found = [(p, ok) for p, ok in found if ok]
    # SOURCE.md: 4 IE315 and 4 IE313 plain samples, 2 SOAP-wrapped, 6 schema-valid rule test cases
    assert len(found) >= 16, [p.name for p, _ in found]
    return found


def _data_items(root: etree._Element) -> list[tuple[str, str]]:
    """Every data item (leaf element) as (path of local names, text), in document order."""
    out = []
    for e in root.iter():
        if isinstance(e.tag, str) and len(e) == 0:
            path = "/".join(etree.QName(a).localname for a in [*reversed(list(e.iterancestors())), e])
            out.append((path, (e.text or "").strip()))
    return out


def test_every_xsd_valid_sample_survives_the_round_trip(external):
    schemas = _schemas(external)
    for path, accepted_by in _xsd_valid_samples(external):
        ens = read_ens(path.read_bytes())
        written = etree.fromstring(write_ens(ens))
        assert _accepting(schemas, written) == accepted_by, (path.name, schemas[accepted_by[0]].error_log)
        assert _data_items(written) == _data_items(_message(path)), path.name
        assert read_ens(write_ens(ens)) == ens, path.name


def test_key_data_of_the_samples_reaches_the_declaration(external):
    for path, _ in _xsd_valid_samples(external):
        root = _message(path)
        d = read_ens(path.read_bytes()).declaration()

        def s(xpath: str, root: etree._Element = root) -> str | None:
            return root.xpath(f"normalize-space({xpath})") or None

        assert d.lrn == s("HEAHEA/RefNumHEA4"), path.name
        items = root.xpath("GOOITEGDS")
        assert [i.commodity.commodity_code() for i in d.items] == [s("COMCODGODITM/ComNomCMD1", i) for i in items]
        assert [i.commodity.description for i in d.items] == [s("GooDesGDS23", i) for i in items]
        assert [[p.type_code for p in i.packaging] for i in d.items] == [
            [s("KinOfPacGS23", p) for p in i.xpath("PACGS2")] for i in items
        ]
        consignor = d.consignor()
        assert (consignor.id if consignor else None) == (
            s("TRACONCO1/TINCO159") or s("GOOITEGDS[1]/TRACONCO2/TINCO259")
        )
        consignee = d.consignee()
        assert (consignee.id if consignee else None) == (
            s("TRACONCE1/TINCE159") or s("GOOITEGDS[1]/TRACONCE2/TINCE259")
        )
        gross = s("HEAHEA/TotGroMasHEA307")
        assert (str(d.total_gross_mass.value) if d.total_gross_mass else None) == gross, path.name
        assert (d.border_transport_means.mode_code if d.border_transport_means else None) == s(
            "HEAHEA/TraModAtBorHEA76"
        )
        seals = [
            s
            for e in (d.goods_shipment.consignment.transport_equipment if d.goods_shipment.consignment else [])
            for s in e.seals
        ]
        assert [x.id for x in seals] == [t.strip() for t in root.xpath("SEAID529/SeaIdSEAID530/text()")]
        assert d.ucr == (s("HEAHEA/ComRefNumHEA") or s("GOOITEGDS[1]/ComRefNumGIM1")), path.name


def _export_data(seed: int = 7):
    d = ConsignmentGenerator(seed, HORGOS).make(1).export
    consignment = d.goods_shipment.consignment.model_copy(
        update={
            "transport_equipment": [
                TransportEquipment(
                    sequence_numeric=1,
                    seals=[Seal(sequence_numeric=1, id="RS0012345"), Seal(sequence_numeric=2, id="RS0012346")],
                )
            ]
        }
    )
    return d.model_copy(
        update={
            "mrn": random_mrn(random.Random(seed), 2026, "RS", "A"),
            "goods_shipment": d.goods_shipment.model_copy(update={"consignment": consignment}),
        }
    )


def test_exit_data_becomes_an_ie315_and_an_ie313_the_real_xsd_accepts_and_comes_back(external):
    schemas = _schemas(external)
    for seed in range(20):
        d = _export_data(seed)
        ens = ens_of_export(d, HORGOS.entry_office, datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
        amendment = as_amendment(ens, "26HU000000000001A4", datetime(2026, 11, 30, 9, 30, tzinfo=UTC))
        for e, xsd in ((ens, "CC315A-v11-2"), (amendment, "CC313A-v11-2")):
            xml = write_ens(e)
            assert schemas[xsd].validate(etree.fromstring(xml)), (seed, xsd, schemas[xsd].error_log)
            back = read_ens(xml).declaration()
            assert back.lrn == (d.lrn if e is ens else None)
            assert back.mrn == d.mrn and back.ucr == d.ucr
            assert back.exit_office.id == HORGOS.exit_office
            assert back.consignor() == d.consignor() and back.consignee() == d.consignee()
            assert back.commodity_codes() == d.commodity_codes()
            assert [i.commodity.description for i in back.items] == [i.commodity.description for i in d.items]
            assert [i.commodity.goods_measure.gross_mass for i in back.items] == [
                i.commodity.goods_measure.gross_mass for i in d.items
            ]
            assert [(p.type_code, p.quantity) for i in back.items for p in i.packaging] == [
                (p.type_code, p.quantity) for i in d.items for p in i.packaging
            ]
            assert back.gross_mass_kg() == d.gross_mass_kg() and back.total_package_quantity == d.total_package_quantity
            assert back.border_transport_means == d.border_transport_means
            assert [s.id for s in back.goods_shipment.consignment.transport_equipment[0].seals] == [
                "RS0012345",
                "RS0012346",
            ]
            assert (back.goods_shipment.export_country.id, back.goods_shipment.destination.country_code) == ("RS", "HU")
        assert read_ens(write_ens(amendment)).mrn == "26HU000000000001A4"
        assert ens.entry_office.id == ens.lodgement_office == "HU403000"


def test_the_cli_writes_an_ie315_and_an_ie313_the_real_xsd_accepts(external, tmp_path):
    assert seedsim("sample", "export-pair", "--seed", "5", "--out", str(tmp_path)).returncode == 0
    schemas = _schemas(external)
    for extra, xsd in (((), "CC315A-v11-2"), (("--amends", "26HU000000000001A4"), "CC313A-v11-2")):
        export = str(tmp_path / "export-RS.xml")
        proc = seedsim("ens", "from-export", export, "--entry-office", "HU403000", *extra)
        assert proc.returncode == 0, proc.stderr
        assert schemas[xsd].validate(etree.fromstring(proc.stdout.encode())), schemas[xsd].error_log
    sample = _dir(external) / "samples" / "CC315A-schemaValidSampleWithEnvelope-v11-2.xml"
    proc = seedsim("ens", "to-export", str(sample))
    assert proc.returncode == 0 and "<FunctionalReferenceID>ABC123</FunctionalReferenceID>" in proc.stdout


async def test_the_ie315s_the_hu_node_keeps_on_the_rs_hu_corridor_are_xsd_valid(external, tmp_path):
    schema = _schemas(external)["CC315A-v11-2"]
    kept = await play_rs_hu(tmp_path)
    assert len(kept) == 40
    for ucr, xml, _ in kept:
        assert schema.validate(etree.fromstring(xml)), (ucr, schema.error_log)
