"""The nesting limit (XML103) at its edge: where it starts, which line it names, what it does not count.

The depth is checked by an XPath libxml2 evaluates in C rather than a walk in
Python; a sender must see the same verdict and the same line either way.
"""

from __future__ import annotations

import pytest

from seedsim.core.xml_safety import UnsafeXmlError, XmlLimits, parse_untrusted


def nested(levels: int, inner: bytes = b"") -> bytes:
    """``levels`` elements one inside the other, one per line (the root is level 1)."""
    return (
        b"".join(b"<e%d>\n" % i for i in range(levels))
        + inner
        + b"".join(b"</e%d>" % i for i in reversed(range(levels)))
    )


def test_the_limit_itself_is_allowed_one_more_is_refused_at_its_line():
    assert parse_untrusted(nested(64)).tag == "e0"
    with pytest.raises(UnsafeXmlError) as err:
        parse_untrusted(nested(65))
    assert err.value.code == "XML103"
    assert err.value.line == 65, "the line of the first element past the limit"
    assert "deeper than 64 levels" in err.value.message


def test_the_first_too_deep_element_in_document_order_is_named():
    shallow_then_deep = b"<r>\n<a/>\n" + nested(5) + b"\n" + nested(7) + b"</r>"
    with pytest.raises(UnsafeXmlError) as err:
        parse_untrusted(shallow_then_deep, XmlLimits(max_depth=6))
    assert err.value.code == "XML103"
    # lines 1-2: <r> and <a/>; 3-8: the first branch (5 levels under r: not too deep); 9-: the second branch
    assert err.value.line == 14, "the 6th element of the second branch (level 7 with r)"


def test_text_comments_and_instructions_at_the_limit_are_not_elements():
    for inner in (b"text", b"<!-- a comment -->", b"<?pi data?>"):
        assert parse_untrusted(nested(64, inner)).tag == "e0"


def test_a_lower_limit_of_the_node_applies():
    assert parse_untrusted(nested(3), XmlLimits(max_depth=3)).tag == "e0"
    with pytest.raises(UnsafeXmlError) as err:
        parse_untrusted(nested(4), XmlLimits(max_depth=3))
    assert (err.value.code, err.value.line) == ("XML103", 4)
