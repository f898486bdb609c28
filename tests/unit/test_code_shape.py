"""The code keeps its shape: layers that point one way, lint and format clean, core strictly typed.

Each check is the tool a contributor runs by hand (the README's layout section
names them); here they run as tests so that CI fails when a change breaks one.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=300)


def test_import_contracts_hold() -> None:
    """The layers in pyproject.toml's [tool.importlinter]: nothing imports from a layer above it."""
    proc = run(str(BIN / "lint-imports"), "--no-cache")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout


@pytest.mark.parametrize(
    "argv",
    [
        ("ruff", "check", "services", "tests"),
        ("ruff", "format", "--check", "services", "tests"),
    ],
    ids=["lint", "format"],
)
def test_ruff_is_clean(argv: tuple[str, ...]) -> None:
    proc = run(sys.executable, "-m", *argv)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_core_is_strictly_typed() -> None:
    """mypy --strict on seedsim.core, as [tool.mypy] configures it."""
    proc = run(sys.executable, "-m", "mypy")
    assert proc.returncode == 0, proc.stdout + proc.stderr
