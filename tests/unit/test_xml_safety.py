import pytest

from seedsim.core.xml_safety import UnsafeXmlError, XmlLimits, parse_untrusted
from seedsim.runners.hostile_payloads import BROKEN_XML, ENTITY_BOMB, XXE


@pytest.mark.parametrize(
    "payload, code",
    [
        (BROKEN_XML, "XML102"),
        (XXE, "XML101"),
        (ENTITY_BOMB, "XML101"),
        (b"", "XML100"),
        (b"<a>" + b"<b>" * 200 + b"</b>" * 200 + b"</a>", "XML103"),
    ],
)
def test_hostile_input_is_refused_with_a_reason(payload, code):
    with pytest.raises(UnsafeXmlError) as err:
        parse_untrusted(payload)
    assert err.value.code == code
    assert err.value.message


def test_doctype_later_in_the_document_is_refused_too():
    payload = (
        b"<?xml version='1.0'?>"
        + b"<!-- "
        + b"x" * 5000
        + b" -->"
        + b"<!DOCTYPE a [<!ENTITY e SYSTEM 'file:///etc/hostname'>]><a>&e;</a>"
    )
    with pytest.raises(UnsafeXmlError) as err:
        parse_untrusted(payload)
    assert err.value.code == "XML101"


def test_size_limit_is_checked_before_parsing():
    with pytest.raises(UnsafeXmlError) as err:
        parse_untrusted(b"<a>" + b"x" * 2000 + b"</a>", XmlLimits(max_bytes=1000))
    assert err.value.code == "XML104"


def test_broken_xml_points_at_line_and_column():
    with pytest.raises(UnsafeXmlError) as err:
        parse_untrusted(b"<a>\n<b></c>\n</a>")
    assert err.value.line == 2
