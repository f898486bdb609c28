"""The code lists the rules check hold the whole published list they name, and say where it comes from.

Each list is a file in schemas/code-lists (see seedsim.core.codes). The sizes and members below are the
published lists' own: ISO 3166-1 (249 officially assigned alpha-2 codes, plus the user-assigned XK), ISO 4217
List One as of February 2026, UN/ECE Recommendation 19 (second edition, 2001: ten codes, 0 to 9), Recommendation
20 Revision 17 (2021: 1,827 codes in force), Recommendation 21 Revision 12 (2021: 405 package type codes in
force), UNTDID 1001 in directory D.23B (814 codes) and the 11 Incoterms 2020 rules.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from lxml import etree

from seedsim.core import codes
from seedsim.core.declaration_rules import DECLARATION_RULES, EXCHANGE_RULES
from seedsim.core.shipped_data import CODE_LIST_DIR
from seedsim.core.validation import RuleContext
from seedsim.message_catalogue import CATALOGUE
from seedsim.messages import phyto

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"

# list id -> (size, known members, known non-members): the published lists' facts
PUBLISHED = {
    codes.COUNTRY_LIST: (250, ["RS", "ME", "MK", "BA", "AL", "XK", "DE", "HU", "SS"], ["YU", "UK", "CS", "EU"]),
    codes.CURRENCY_LIST: (178, ["EUR", "RSD", "MKD", "BAM", "ALL", "USD", "XCG", "ZWG", "XDR"], ["HRK", "BGN", "YUM"]),
    codes.TRANSPORT_MODE_LIST: (10, list("0123456789"), ["10", "A", "33"]),
    codes.UNIT_LIST: (
        1827,
        ["KGM", "GRM", "H87", "C62", "LTR", "MTR", "TNE", "HUR", "CEL", "GL", "DAY"],
        ["05", "XBX"],
    ),
    codes.PACKAGE_LIST: (405, ["CT", "BX", "PK", "PX", "SA", "1A", "43"], ["SX", "ZZZ"]),
    codes.DOCUMENT_LIST: (814, ["380", "851", "657", "861", "271", "705", "730", "325"], ["999", "ZZZ"]),
    codes.INCOTERMS_LIST: (11, ["EXW", "FCA", "DPU", "DDP", "CIF"], ["DAT", "DDU", "DEQ"]),
    codes.TRANSPORT_MEANS_ID_LIST: (10, ["10", "30", "31", "40", "80", "81"], ["39", "99"]),
    codes.PHYTO_STATUS_LIST: (2, ["70", "40"], ["99"]),
}


def test_every_shipped_list_is_checked_here():
    assert set(PUBLISHED) == set(codes.SHIPPED_LISTS)
    assert {p.stem for p in CODE_LIST_DIR.glob("*.csv")} == set(codes.SHIPPED_LISTS)


@pytest.mark.parametrize("list_id", sorted(PUBLISHED))
def test_each_list_has_its_published_size_and_members(list_id):
    size, members, strangers = PUBLISHED[list_id]
    found = codes.code_list(list_id)
    assert len(found) == size
    assert [c for c in members if c not in found] == []
    assert [c for c in strangers if c in found] == []


@pytest.mark.parametrize("list_id", sorted(PUBLISHED))
def test_each_list_names_its_source_version_and_whether_it_is_complete(list_id):
    found = codes.code_list(list_id)
    assert found.id == list_id and found.title and found.source and found.version and found.url
    assert found.complete.startswith(("yes", "no", "not verified")), found.complete
    assert all(found.names.values()), "every code has its name"


def test_xk_is_accepted_and_said_to_be_user_assigned():
    found = codes.code_list(codes.COUNTRY_LIST)
    assert "user-assigned" in found.columns["XK"]["note"]
    assert codes.country_name("XK") == "Kosovo" and codes.country_name("RS") == "Serbia"


def test_deprecated_units_are_accepted_and_marked():
    units = codes.code_list(codes.UNIT_LIST)
    deprecated = [c for c in units if units.columns.get(c, {}).get("status") == "deprecated"]
    assert len(deprecated) == 71


def test_the_profiles_narrower_lists_are_drawn_from_the_published_ones():
    """A phytosanitary certificate is 851 or 657, an invoice one of six types: each is a UNTDID 1001 code."""
    from seedsim.messages import invoice, origin

    documents = codes.code_list(codes.DOCUMENT_LIST)
    assert set(phyto.CERTIFICATE_TYPES) <= set(documents)
    assert set(invoice.INVOICE_TYPE_CODES) <= set(documents)
    assert set(origin.DOCUMENT_TYPES) == set(documents) | {"ZZZ"}
    assert invoice.INCOTERMS == tuple(codes.code_list(codes.INCOTERMS_LIST))


# -- UN/ECE Recommendation 19 in R106 -------------------------------------------------------------------------


def _declaration():
    return CATALOGUE.by_name["TransitDeclaration"].generate(random.Random(7))


def _with_mode(d, mode: str):
    btm = d.border_transport_means.model_copy(update={"mode_code": mode})
    return d.model_copy(update={"border_transport_means": btm})


@pytest.mark.parametrize("mode", list("0123456789"))
def test_r106_accepts_every_mode_recommendation_19_defines(mode):
    for ctx in (RuleContext(sender="RS"), RuleContext(node_country="RS")):
        issues = [i for i in EXCHANGE_RULES.run(_with_mode(_declaration(), mode), ctx) if i.rule == "R106"]
        assert issues == [], [str(i) for i in issues]


@pytest.mark.parametrize("mode", ["10", "A", "-1"])
def test_r106_refuses_a_mode_recommendation_19_does_not_define(mode):
    [issue] = [
        i for i in DECLARATION_RULES.run(_with_mode(_declaration(), mode), RuleContext(sender="RS")) if i.rule == "R106"
    ]
    assert issue.severity == "error" and issue.code == 115
    assert issue.pointer == "/MetaData/Declaration/BorderTransportMeans/ModeCode" and issue.value == mode
    assert "6 multimodal" in issue.message and "9 not applicable" in issue.message


def test_a_multimodal_transit_declaration_validates():
    from seedsim.conformance import validate_document

    path = SCHEMAS / "examples" / "TransitDeclaration" / "valid" / "multimodal-transport-6.xml"
    report = validate_document(path.read_bytes(), str(path))
    assert report.valid, [str(i) for i in report.report.issues]


@pytest.mark.parametrize(("mode", "refused"), [("6", False), ("9", False), ("10", True)])
def test_the_phytosanitary_certificate_takes_the_same_modes(mode, refused):
    cert = phyto.PHYTOSANITARY_CERTIFICATE.generate(random.Random(3))
    cert.consignment.conveyances[0].mode_code = mode
    issues = [i for i in phyto.RULES.run(cert, RuleContext()) if i.rule == "PHY106" and i.pointer.endswith("ModeCode")]
    assert bool(issues) is refused


# -- the XSDs accept every code of the lists they restrict ---------------------------------------------------

XS = "{http://www.w3.org/2001/XMLSchema}"
# (XSD, simple type name, list id): the XSD's pattern must let every code of the list through
XSD_TYPES = [
    ("wco/seedsim_common.xsd", "Code1Digit", codes.TRANSPORT_MODE_LIST),
    ("wco/seedsim_common.xsd", "CountryCode", codes.COUNTRY_LIST),
    ("wco/seedsim_common.xsd", "CurrencyCode", codes.CURRENCY_LIST),
    ("invoice/cii_seed_udt.xsd", "UnitCodeType", codes.UNIT_LIST),
    ("fiscal/common.xsd", "UnitCodeType", codes.UNIT_LIST),
    ("ata/ata_carnet.xsd", "UnitCodeType", codes.UNIT_LIST),
    ("invoice/cii_seed_qdt.xsd", "CurrencyCodeType", codes.CURRENCY_LIST),
    ("invoice/cii_seed_qdt.xsd", "CountryIDType", codes.COUNTRY_LIST),
    ("invoice/cii_seed_qdt.xsd", "DeliveryTermsCodeType", codes.INCOTERMS_LIST),
    ("origin/seedsim_origin.xsd", "CountryCode", codes.COUNTRY_LIST),
]


@pytest.mark.parametrize(("xsd", "type_name", "list_id"), XSD_TYPES, ids=lambda v: str(v))
def test_the_xsd_lets_every_code_of_the_list_through(xsd, type_name, list_id):
    tree = etree.parse(str(SCHEMAS / xsd))
    [simple] = tree.getroot().findall(f"{XS}simpleType[@name='{type_name}']")
    restriction = simple.find(f"{XS}restriction")
    assert restriction.find(f"{XS}enumeration") is None, f"{type_name} enumerates codes: refer to the code list"
    patterns = [p.get("value") for p in restriction.findall(f"{XS}pattern")]
    assert patterns, type_name
    refused = [c for c in codes.code_list(list_id) if not any(re.fullmatch(p, c) for p in patterns)]
    assert refused == []


# -- national code lists, per node ---------------------------------------------------------------------------


def _national_list(tmp_path: Path, extends: str, *rows: str, source: str = "a national customs tariff") -> Path:
    path = tmp_path / f"national-{extends}.csv"
    path.write_text(f"# extends: {extends}\n# source: {source}\ncode,name\n" + "".join(f"{r}\n" for r in rows))
    return path


def test_a_national_list_adds_codes_to_the_list_it_extends(tmp_path):
    path = _national_list(tmp_path, codes.TRANSPORT_MEANS_ID_LIST, "39,Registration number of a national barge")
    national = codes.national_codes([path])
    assert national == {codes.TRANSPORT_MEANS_ID_LIST: frozenset({"39"})}
    assert codes.accepts(codes.TRANSPORT_MEANS_ID_LIST, "39", national)
    assert not codes.accepts(codes.TRANSPORT_MEANS_ID_LIST, "39")


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("# source: x\ncode,name\n39,y\n", "has no '# extends:' line"),
        ("# extends: no-such-list\n# source: x\ncode,name\n39,y\n", "names no shipped list"),
        ("# extends: iso-4217\ncode,name\nXXA,y\n", "'# source:'"),
        ("# extends: iso-4217\n# source: x\nname\ny\n", "CSV header 'code,name'"),
        ("# extends: iso-4217\n# source: x\ncode,name\nXXA,y\nXXA,z\n", "listed twice"),
    ],
)
def test_a_national_list_that_cannot_serve_says_what_to_put_right(tmp_path, text, said):
    path = tmp_path / "national.csv"
    path.write_text(text)
    with pytest.raises(codes.CodeListError) as caught:
        codes.national_codes([path])
    assert said in str(caught.value) and str(path) in str(caught.value)


def test_a_missing_national_list_is_named(tmp_path):
    with pytest.raises(codes.CodeListError, match="no code list file .*nowhere.csv: give an existing file"):
        codes.national_codes([tmp_path / "nowhere.csv"])


def test_every_rule_on_a_mode_of_transport_takes_the_nodes_national_subdivisions():
    """Rec. 19 leaves a second digit to national subdivisions: a node given them accepts them in every family."""
    from seedsim.messages import fiscal, origin

    national = {codes.TRANSPORT_MODE_LIST: frozenset({"31"})}
    cert = phyto.PHYTOSANITARY_CERTIFICATE.generate(random.Random(3))
    cert.consignment.conveyances[0].mode_code = "31"
    cash = fiscal.CASH_DECLARATION.generate(random.Random(3))
    cash = cash.model_copy(update={"transport": cash.transport.model_copy(update={"mode_code": "31"})})
    coo = origin.CERTIFICATE_OF_ORIGIN.generate(random.Random(3))
    coo.transport_details.mode_code = "31"
    for rules, doc, rule in (
        (phyto.RULES, cert, "PHY106"),
        (fiscal.CASH_DECLARATION.rules, cash, "CSH108"),
        (origin.CERTIFICATE_OF_ORIGIN.rules, coo, "ORG103"),
        (DECLARATION_RULES, _with_mode(_declaration(), "31"), "R106"),
    ):
        refused = [i for i in rules.run(doc, RuleContext(sender="RS")) if i.rule == rule]
        assert [i.value for i in refused] == ["31"], rule
        assert [i for i in rules.run(doc, RuleContext(sender="RS", national_codes=national)) if i.rule == rule] == []
