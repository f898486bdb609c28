"""Load Utility Block files and refuse any that would mislead an implementer.

Two passes, every problem reported at once: the published JSON Schema
(structure, names, enumerations), then the catalogue (every message exists,
every data-set path is in that message's XSD, steps name declared roles,
examples exist and are of the message they illustrate). Each problem names the
file, a JSON pointer into it and what to fix.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jsonschema
import yaml

from seedsim.core.shipped_data import DATA_ROOT, UB_DIR, UB_SCHEMA
from seedsim.message_catalogue import CATALOGUE
from seedsim.utility_blocks.model import UtilityBlock
from seedsim.utility_blocks.xsd_paths import element_paths


@dataclass(frozen=True)
class Problem:
    file: str
    pointer: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}#{self.pointer or '/'}: {self.message}"


class UtilityBlockError(ValueError):
    """A UB file (or several) that cannot be used; ``problems`` lists each with its place."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(UB_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _pointer(parts) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _schema_problems(name: str, data) -> list[Problem]:
    out = []
    for e in sorted(_validator().iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        out.append(
            Problem(
                name,
                _pointer(e.absolute_path),
                f"{e.message} (schema rule {e.validator} at {_pointer(e.absolute_schema_path)})",
            )
        )
    return out


def _catalogue_problems(name: str, ub: UtilityBlock) -> list[Problem]:
    out: list[Problem] = []
    known = ", ".join(sorted(CATALOGUE.by_name))

    def check_message(pointer: str, message: str) -> bool:
        if message in CATALOGUE.by_name:
            return True
        out.append(Problem(name, pointer, f"unknown message type {message!r}: use one of the catalogue's ({known})"))
        return False

    bp = ub.business_process
    roles = {r.id for r in bp.roles}
    for i, step in enumerate(bp.steps):
        base = f"/business_process/steps/{i}"
        check_message(f"{base}/message", step.message)
        for key, role in (("from", step.from_role), ("to", step.to_role)):
            if role not in roles:
                out.append(
                    Problem(
                        name,
                        f"{base}/{key}",
                        f"role {role!r} is not declared: add it to business_process/roles or use one of {sorted(roles)}",
                    )
                )
    if bp.steps and bp.steps[0].event != bp.trigger:
        out.append(
            Problem(
                name,
                "/business_process/steps/0/event",
                f"the first step is sent on {bp.steps[0].event} but the trigger is {bp.trigger}: make them agree",
            )
        )

    used = set(ub.messages())
    for i, ds in enumerate(ub.data_set):
        base = f"/data_set/{i}"
        if not check_message(f"{base}/message", ds.message):
            continue
        if ds.message not in used:
            out.append(
                Problem(
                    name,
                    f"{base}/message",
                    f"{ds.message} has a data set but no step sends it: add a step or drop the data set",
                )
            )
        paths = element_paths(CATALOGUE.by_name[ds.message])
        root = CATALOGUE.by_name[ds.message].element.rpartition("}")[2]
        for j, el in enumerate(ds.elements):
            if el.path not in paths:
                out.append(
                    Problem(
                        name,
                        f"{base}/elements/{j}/path",
                        f"{el.path} is not an element of {ds.message} ({CATALOGUE.by_name[ds.message].schema}): "
                        f"paths start at /{root} and follow the XSD's element names",
                    )
                )
            if el.max != "unbounded" and el.max < el.min:
                out.append(Problem(name, f"{base}/elements/{j}/max", f"max {el.max} is below min {el.min}"))

    # matched elements are those of the message that starts the exchange
    first = bp.steps[0].message if bp.steps else None
    if ub.matching and first in CATALOGUE.by_name:
        paths = element_paths(CATALOGUE.by_name[first])
        for i, c in enumerate(ub.matching.compare):
            if c.path and c.path not in paths:
                out.append(
                    Problem(
                        name,
                        f"/matching/compare/{i}/path",
                        f"{c.path} is not an element of {first}, the message matched",
                    )
                )

    for i, example in enumerate(ub.examples):
        path = DATA_ROOT / example
        message = Path(example).parts[2] if len(Path(example).parts) > 2 else ""
        if not path.is_file():
            out.append(
                Problem(name, f"/examples/{i}", f"{example} does not exist: give a path under schemas/examples/")
            )
        elif message not in used:
            out.append(
                Problem(name, f"/examples/{i}", f"{example} is an example of {message}, which no step of this UB sends")
            )
    return out


def load_file(path: Path | str) -> UtilityBlock:
    """One UB file, checked against the JSON Schema and the catalogue; raises UtilityBlockError."""
    path = Path(path)
    name = str(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise UtilityBlockError([Problem(name, "", f"cannot read the file as YAML: {e}")]) from e
    problems = _schema_problems(name, data)
    if problems:
        raise UtilityBlockError(problems)
    ub = UtilityBlock.model_validate(data)
    problems = _catalogue_problems(name, ub)
    if problems:
        raise UtilityBlockError(problems)
    return ub


def load_all(directory: Path | str | None = None) -> dict[str, UtilityBlock]:
    """Every ``*.yaml`` in ``directory`` (default ``schemas/utility-blocks``) by UB id; every problem in every file is reported together."""
    directory = UB_DIR if directory is None else directory
    blocks: dict[str, UtilityBlock] = {}
    problems: list[Problem] = []
    for path in sorted(Path(directory).glob("*.yaml")):
        try:
            ub = load_file(path)
        except UtilityBlockError as e:
            problems.extend(e.problems)
            continue
        if ub.id in blocks:
            problems.append(Problem(str(path), "/id", f"{ub.id} is already the id of another UB: ids are unique"))
        blocks[ub.id] = ub
    if problems:
        raise UtilityBlockError(problems)
    return blocks


@lru_cache(maxsize=8)
def blocks_in(directory: str | None = None) -> dict[str, UtilityBlock]:
    """The Utility Blocks of a directory (default: the shipped ones), loaded and checked once per process."""
    return load_all(Path(directory) if directory else UB_DIR)
