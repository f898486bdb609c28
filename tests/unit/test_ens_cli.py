"""``seedsim ens``: exit data to an ENS (IE315/IE313) and back, through the command line as a user runs it.

Conformance with the real EU ICS1 XSDs and samples is tests/external/test_ics_ens_adapter.py."""

from __future__ import annotations

from seedsim.core.xml_safety import parse_untrusted
from seedsim.messages.seed import read_declaration
from tests.unit.seedsim_cli import seedsim


def _key_data(xml: bytes) -> tuple:
    d = read_declaration(parse_untrusted(xml))
    return (
        d.lrn,
        d.ucr,
        d.exit_office.id,
        d.consignor(),
        d.consignee(),
        d.commodity_codes(),
        d.gross_mass_kg(),
        d.total_package_quantity,
        d.vehicle(),
        [(p.type_code, p.quantity) for i in d.items for p in i.packaging],
    )


def test_exit_data_goes_to_an_ens_and_back(tmp_path):
    assert seedsim("sample", "export-pair", "--seed", "11", "--out", str(tmp_path)).returncode == 0
    export = tmp_path / "export-RS.xml"
    proc = seedsim("ens", "from-export", str(export), "--entry-office", "HU403000", "-o", str(tmp_path / "ens.xml"))
    assert proc.returncode == 0 and f"wrote {tmp_path / 'ens.xml'}" in proc.stderr, proc.stderr
    ens = (tmp_path / "ens.xml").read_text()
    assert "<ie:CC315A" in ens and "<RefNumCUSOFFFENT731>HU403000</RefNumCUSOFFFENT731>" in ens
    back = seedsim("ens", "to-export", str(tmp_path / "ens.xml"))
    assert back.returncode == 0, back.stderr
    assert _key_data(back.stdout.encode()) == _key_data(export.read_bytes())
    amendment = seedsim(
        "ens", "from-export", str(export), "--entry-office", "HU403000", "--amends", "26HU000000000001A4"
    )
    assert amendment.returncode == 0 and "<DocNumHEA5>26HU000000000001A4</DocNumHEA5>" in amendment.stdout


def test_mistakes_are_refused_in_one_line(tmp_path):
    assert seedsim("sample", "export-pair", "--seed", "11", "--out", str(tmp_path)).returncode == 0
    cases = [
        (("from-export", str(tmp_path / "import-ME.xml"), "--entry-office", "HU403000"), "holds import data"),
        (("from-export", str(tmp_path / "export-RS.xml"), "--entry-office", "QQ403000"), "'QQ' is not an ISO 3166-1"),
        (("from-export", str(tmp_path / "export-RS.xml"), "--entry-office", "HU40"), "not a customs office reference"),
        (("to-export", str(tmp_path / "missing.xml")), "cannot read"),
        (("to-export", str(tmp_path / "export-RS.xml")), "is not an entry summary declaration"),
    ]
    for args, said in cases:
        proc = seedsim("ens", *args)
        assert proc.returncode == 2, (args, proc.stderr)
        assert said in proc.stderr and "Traceback" not in proc.stderr, (args, proc.stderr)
