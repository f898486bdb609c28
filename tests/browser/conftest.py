"""Fixtures of the browser test: Debian's chromium driven by Playwright's Python package, and a Kafka broker.

Playwright's own browser download is never used (it does not work here, and an air-gapped lab has
none): Playwright launches the chromium that Debian installs (``.ci/run`` installs it), by its path.
In CI (``CI`` set) a missing chromium or Playwright is a failure, never a skip; elsewhere the test
says what to install and skips.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.kafka.conftest import secured_kafka  # noqa: F401  (the broker fixture, shared with tests/kafka)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _missing(what: str) -> None:
    message = f"{what}: the browser test needs Debian's chromium (apt-get install chromium) and playwright (pip install -e '.[test]')"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def browser() -> Iterator[object]:
    """A headless Chromium (Debian's), launched by Playwright, for one test: Playwright's sync API runs an event
    loop of its own in this thread until it stops, and the async tests after it need the thread free of one."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed")
    if not CHROMIUM.exists():
        _missing(f"{CHROMIUM} does not exist")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()
