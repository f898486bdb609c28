"""Reading a document into its model: the one-call fast path gives exactly what reading level by level gives.

``from_element`` gathers every value first and has pydantic validate the tree
at once; only when something in that fails does it read again level by level,
where lenient reading (rules run on a document the schema refused) acts. A
sender must see the same model, the same refusal and the same partial reading
either way: checked here on every shipped example, valid and invalid, and on
copies broken where reading them fails (a value that does not convert, a
required element missing, an element out of place).
"""

from __future__ import annotations

import re
import sys

import pytest

from seedsim.core.xml_binding import _read_by_level, from_element, lenient_reading
from seedsim.core.xml_safety import parse_untrusted
from seedsim.message_catalogue import CATALOGUE
from tests.unit.seedsim_cli import REPO

EXAMPLES = sorted((REPO / "schemas" / "examples").glob("*/*/*.xml"))

#: ways to break a document's reading: the first numeric text made non-numeric, the first date made a non-date,
#: the first leaf emptied
BREAKS = {
    "as is": lambda text: text,
    "not a number": lambda text: re.sub(r">(\d+(?:\.\d+)?)<", r">x\1<", text, count=1),
    "not a date": lambda text: re.sub(r">(\d{4}-\d\d-\d\d)", r">\1x", text, count=1),
    "empty leaf": lambda text: re.sub(r">[^<>\s][^<>]*</", "></", text, count=1),
}


def outcome(read, root, lenient: bool):
    """The model read, or the refusal (its type and message), as a sender would be told it."""
    try:
        if lenient:
            with lenient_reading():
                return read(root)
        return read(root)
    except Exception as exc:
        return type(exc).__name__, str(exc)


def level_by_level(monkeypatch):
    """Every module's ``from_element`` swapped for the level-by-level reading, as it read before the fast path."""
    for module in list(sys.modules.values()):
        if (
            module is not None
            and module.__name__.startswith("seedsim.")
            and getattr(module, "from_element", None) is from_element
        ):
            monkeypatch.setattr(module, "from_element", _read_by_level)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: "/".join(p.parts[-3:]))
@pytest.mark.parametrize("lenient", [False, True], ids=["strict", "lenient"])
def test_the_fast_path_reads_what_reading_level_by_level_reads(path, lenient):
    original = path.read_text(encoding="utf-8")
    for name, brk in BREAKS.items():
        root = parse_untrusted(brk(original).encode())
        for mt in CATALOGUE.detect(root):
            fast = outcome(mt.read, root, lenient)
            with pytest.MonkeyPatch.context() as monkeypatch:
                level_by_level(monkeypatch)
                slow = outcome(mt.read, root, lenient)
            assert fast == slow, (name, mt.name)
            assert type(fast) is type(slow), (name, mt.name)


def test_the_swap_reaches_the_readers():
    """The comparison above is not of the fast path with itself: while swapped, it is never called."""
    import seedsim.core.xml_binding as binding

    calls = []
    root = parse_untrusted(EXAMPLES[0].read_bytes())
    mt = CATALOGUE.detect(root)[0]
    with pytest.MonkeyPatch.context() as monkeypatch:
        level_by_level(monkeypatch)
        monkeypatch.setattr(binding, "_values", lambda *a: calls.append(a))
        mt.read(root)
    assert calls == [], "swapped: never the fast path"
    with pytest.MonkeyPatch.context() as monkeypatch:
        values = binding._values
        monkeypatch.setattr(binding, "_values", lambda *a: calls.append(a) or values(*a))
        mt.read(root)
    assert calls, "not swapped: the fast path"
