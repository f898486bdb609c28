"""``pip install .`` works: a wheel of seedsim, in a fresh venv, finds its own schemas, UBs and scenarios.

The schemas, examples, Utility Blocks, risk profiles and scenarios live at the
repository root and ship as package data inside ``seedsim`` (see
``seedsim.core.shipped_data``). Installed from a wheel, not in editable mode,
``seedsim validate`` once failed with "schema ... not found" and ``seedsim ub
list`` printed an empty table. Here a wheel is built from the files the
Dockerfile copies into its build stage (so the image's layout is checked too),
installed with its dependencies (from PyPI, or pip's cache) into a venv made for
this module, and the ``seedsim`` script of that venv is run from a directory
that holds no project files.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "schemas" / "examples" / "ExportData"


def _build_context(dest: Path) -> None:
    """Copy what the Dockerfile's build stage copies (``COPY`` lines without ``--from``) into ``dest``."""
    sources = [
        source
        for line in (REPO / "Dockerfile").read_text().splitlines()
        if line.startswith("COPY ") and "--from" not in line
        for source in line.split()[1:-1]
    ]
    assert "setup.py" in sources and "schemas/" in sources, sources
    skip = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.py[cod]")
    dest.mkdir()
    for source in sources:
        for path in REPO.glob(source.rstrip("/")):
            if path.is_dir():
                shutil.copytree(path, dest / path.name, ignore=skip)
            else:
                shutil.copy2(path, dest / path.name)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel of this checkout, built by pip from a copy of the Docker build context."""
    work = tmp_path_factory.mktemp("wheel")
    _build_context(work / "src")
    run = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(work / "dist"), str(work / "src")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    (built,) = (work / "dist").glob("seedsim-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``bin`` of a fresh venv with the wheel and its dependencies installed."""
    root = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(root)], check=True, timeout=300)
    bin_dir = root / "bin"
    run = subprocess.run(
        [str(bin_dir / "python"), "-m", "pip", "install", "--disable-pip-version-check", str(wheel)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return bin_dir


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """A working directory with no project files in it."""
    assert not (tmp_path / "schemas").exists() and not (tmp_path / "scenarios").exists()
    return tmp_path


def user_env() -> dict[str, str]:
    """This shell's environment without PYTHONPATH and the like, nor seedsim settings: a user's fresh shell."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("SEEDSIM_", "PYTHON", "VIRTUAL_ENV"))}


def seedsim(venv: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The installed ``seedsim`` script, run as a user runs it."""
    proc = subprocess.run(
        [str(venv / "seedsim"), *args], cwd=cwd, env=user_env(), capture_output=True, text=True, timeout=300
    )
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    return proc


def test_the_wheel_carries_every_shipped_file(wheel: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        f"seedsim/{p.relative_to(REPO).as_posix()}"
        for p in [*(REPO / "schemas").rglob("*"), *(REPO / "scenarios").glob("*.yaml")]
        if p.is_file()
    }
    assert len(expected) > 200
    assert sorted(expected - names) == []


def test_the_installed_package_runs_from_its_own_data(venv: Path, elsewhere: Path):
    where = subprocess.run(
        [str(venv / "python"), "-c", "import seedsim.core.shipped_data as d; print(d.DATA_ROOT)"],
        cwd=elsewhere,
        env=user_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert where.returncode == 0, where.stderr
    data_root = Path(where.stdout.strip())
    assert data_root.name == "seedsim" and "site-packages" in data_root.parts, data_root
    assert not data_root.is_relative_to(REPO)


def test_the_installed_package_reads_its_code_lists_from_its_own_data(venv: Path, elsewhere: Path):
    """Every code list the rules check is in the wheel and read from the installed package, not the checkout."""
    script = (
        "from seedsim.core import codes, shipped_data as d; "
        "print(d.CODE_LIST_DIR); print(*(f'{i}={len(codes.code_list(i))}' for i in codes.SHIPPED_LISTS))"
    )
    run = subprocess.run(
        [str(venv / "python"), "-c", script], cwd=elsewhere, env=user_env(), capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    folder, sizes = run.stdout.splitlines()
    assert "site-packages" in Path(folder).parts and not Path(folder).is_relative_to(REPO), folder
    assert "unece-rec20-units=1827" in sizes.split() and "unece-rec19-transport-modes=10" in sizes.split(), sizes


def test_validate_an_example_from_another_directory(venv: Path, elsewhere: Path):
    shutil.copy(EXAMPLES / "valid" / "exportdata-1.xml", elsewhere)
    proc = seedsim(venv, elsewhere, "validate", "exportdata-1.xml")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "exportdata-1.xml" in proc.stdout and "valid" in proc.stdout
    assert "not found" not in proc.stdout + proc.stderr


def test_validate_uses_the_installed_xsd(venv: Path, elsewhere: Path):
    """A document with an element the XSD does not declare is refused with the XSD rule: the schema was read."""
    shutil.copy(EXAMPLES / "invalid" / "element-not-in-schema.xml", elsewhere)
    proc = seedsim(venv, elsewhere, "validate", "element-not-in-schema.xml")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "XSD100" in proc.stdout
    assert "not found" not in proc.stdout + proc.stderr


def test_ub_list_shows_every_shipped_utility_block(venv: Path, elsewhere: Path):
    ids = [yaml.safe_load(p.read_text())["id"] for p in sorted((REPO / "schemas" / "utility-blocks").glob("*.yaml"))]
    assert len(ids) == 13  # as the README says: thirteen UBs ship
    proc = seedsim(venv, elsewhere, "ub", "list")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert set(re.findall(r"\bUB-[A-Z0-9-]*[A-Z0-9]", proc.stdout)) == set(ids)


def test_run_a_shipped_scenario_by_name(venv: Path, elsewhere: Path):
    smallest = min((REPO / "scenarios").glob("ub-*.yaml"), key=lambda p: p.stat().st_size).stem
    proc = seedsim(venv, elsewhere, "run", smallest)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert smallest in proc.stdout and "not met" not in proc.stdout + proc.stderr


def test_an_unknown_scenario_name_lists_the_shipped_ones(venv: Path, elsewhere: Path):
    proc = seedsim(venv, elsewhere, "run", "no-such-scenario")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "no-such-scenario" in proc.stderr
    assert "western-balkans-corridor" in proc.stderr


def test_the_wheel_carries_the_monitor_dashboard(wheel: Path):
    """The dashboard's templates and script are served from the installed package (no CDN, no checkout)."""
    names = set(zipfile.ZipFile(wheel).namelist())
    folder = REPO / "services" / "seedsim" / "runners" / "monitor"
    expected = {
        f"seedsim/runners/monitor/{p.relative_to(folder).as_posix()}"
        for p in [*(folder / "templates").iterdir(), *(folder / "static").iterdir()]
        if p.is_file()
    }
    assert len(expected) >= 5
    assert sorted(expected - names) == []


def test_the_wheel_carries_the_report_template(wheel: Path):
    """The conformance report's HTML is rendered from a template in the installed package."""
    names = set(zipfile.ZipFile(wheel).namelist())
    folder = REPO / "services" / "seedsim" / "runners" / "reports" / "templates"
    expected = {f"seedsim/runners/reports/templates/{p.name}" for p in folder.iterdir() if p.is_file()}
    assert "seedsim/runners/reports/templates/report.html" in expected
    assert sorted(expected - names) == []


def test_run_report_from_another_directory(venv: Path, elsewhere: Path):
    """An installed seedsim writes the three reports of a shipped scenario, its HTML from the packaged template."""
    proc = seedsim(venv, elsewhere, "run", "ub-seed-cash", "--report", "out")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert sorted(p.name for p in (elsewhere / "out").iterdir()) == ["report.html", "report.json", "report.junit.xml"]
    assert "UB-SEED-CASH" in (elsewhere / "out" / "report.html").read_text()
