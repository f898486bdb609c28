"""Which packages a wheel of seedsim holds; everything else is in pyproject.toml.

The code is found under ``services/``. The shipped data stays where people edit
it, in ``schemas/`` and ``scenarios/`` at the repository root, and is installed
as ``seedsim/schemas`` and ``seedsim/scenarios``: pyproject.toml's
``[tool.setuptools.package-dir]`` maps the two folders there and
``[tool.setuptools.package-data]`` takes their files. pyproject.toml alone
cannot add mapped folders to the packages its ``find`` discovers, so the list is
made here (seedsim.core.shipped_data reads the data back at run time).
"""

from setuptools import find_packages, setup

setup(packages=[*find_packages("services"), "seedsim.schemas", "seedsim.scenarios"])
