import pytest

from seedsim.core.identifiers import is_valid_mrn, make_mrn, make_ucr, mrn_check_character

# MRNs issued by a national customs service, from its published sample messages.
REAL_MRNS = [
    "24GB0YVJ3EXXES8AA0",
    "23GBDFSUDLJ2X59AR7",
    "24GBDIRIGZ7QLCPAA8",
    "25GB53T2CGAY90LAA1",
    "23GB6W3GLSX9Z5JAR4",
    "20GB32VVZI0YMFGVR0",
]


@pytest.mark.parametrize("mrn", REAL_MRNS)
def test_check_character_of_real_mrns(mrn):
    assert mrn_check_character(mrn[:17]) == mrn[17]
    assert is_valid_mrn(mrn)


def test_a_changed_character_breaks_the_check():
    assert not is_valid_mrn("24GB0YVJ3EXXES8AA1")
    assert not is_valid_mrn("24GB0YVJ3EXXES8A00")  # procedure position must be a letter


def test_make_mrn_is_valid_and_structured():
    mrn = make_mrn(2026, "RS", "00000000001Z", "A")
    assert len(mrn) == 18 and mrn.startswith("26RS") and mrn[16] == "A"
    assert is_valid_mrn(mrn)


def test_ucr_follows_iso15459_form():
    assert make_ucr(2026, "RS", "101234567", "C0000042") == "6RS101234567-C0000042"
