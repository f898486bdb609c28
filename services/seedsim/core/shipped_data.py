"""Where the files seedsim ships live: XSDs, JSON Schemas, examples, Utility Blocks, risk profiles, scenarios.

People edit and review them at the repository root, in ``schemas/`` and
``scenarios/``. A wheel carries them inside the package, as ``seedsim/schemas``
and ``seedsim/scenarios`` (pyproject.toml's ``[tool.setuptools.package-dir]``
maps the two folders there), so ``pip install .``, an installed wheel and the
Docker image have them wherever the package is installed, and a command run
from any directory finds them. An editable install (``pip install -e .``) runs
the package from ``services/seedsim`` of a checkout, where the folders are the
repository's own, two levels up.

The package is found through :mod:`importlib.resources`; this module is the one
place that knows which of the two layouts it is in, and every other module
takes its paths from here.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def _data_root() -> Path:
    """The folder that holds ``schemas/`` and ``scenarios/``: the installed package, else the checkout it runs from."""
    package = resources.files("seedsim")
    if not isinstance(package, Path):  # e.g. a zip archive: lxml and the loaders read files by path
        raise RuntimeError(f"seedsim must be installed as files on disk (pip install), not from {package}")
    if (package / "schemas").is_dir():
        return package
    checkout = package.parents[1]  # <checkout>/services/seedsim -> <checkout>
    return checkout if (checkout / "schemas").is_dir() else package


#: the folder the shipped files' project-relative names (``schemas/examples/...``) are relative to
DATA_ROOT = _data_root()

#: the XSDs (by message family) and their examples, the JSON Schemas, the UBs and the risk profiles
SCHEMA_DIR = DATA_ROOT / "schemas"
UB_DIR = SCHEMA_DIR / "utility-blocks"
UB_SCHEMA = SCHEMA_DIR / "utility-block.schema.json"
PROFILE_DIR = SCHEMA_DIR / "risk-profiles"
PROFILE_SCHEMA = SCHEMA_DIR / "risk-profile.schema.json"
SCENARIO_SCHEMA = SCHEMA_DIR / "scenario.schema.json"
#: the code lists the rules check (ISO 3166, ISO 4217, UN/ECE Rec. 19/20/21, UNTDID 1001, Incoterms), one file each
CODE_LIST_DIR = SCHEMA_DIR / "code-lists"

#: the scenarios ``seedsim run NAME`` finds by name
SCENARIO_DIR = DATA_ROOT / "scenarios"
