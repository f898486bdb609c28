"""Read a scenario file: YAML, checked against the published JSON Schema, then the model.

Every problem is reported at once, each with the file, the line, the place in
the document (``traffic[0].discrepancies``) and what to fix, because a tester
editing a scenario should not have to fix one typo per run.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from pydantic import ValidationError

from seedsim.core.shipped_data import SCENARIO_DIR, SCENARIO_SCHEMA
from seedsim.runners.scenarios.scenario_model import Scenario

FAULT_KINDS = ("malformed", "unknown_sender", "duplicates", "reorder", "delay", "node_down")


class ScenarioError(ValueError):
    """A scenario file that cannot be played; ``problems`` lists every reason."""

    def __init__(self, path: Path | str, problems: list[str]):
        self.path = str(path)
        self.problems = problems
        super().__init__(f"{self.path}: not a valid scenario:\n" + "\n".join(f"  {p}" for p in problems))


@lru_cache(maxsize=1)
def schema() -> dict:
    return json.loads(SCENARIO_SCHEMA.read_text(encoding="utf-8"))


def _place(path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _line(root: yaml.Node | None, path) -> int | None:
    """The 1-based line of the node at ``path`` in the composed YAML, or of its closest parent."""
    node, line = root, (root.start_mark.line + 1 if root is not None else None)
    for part in path:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            node = None
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


def _hint(err: jsonschema.ValidationError) -> str:
    """The schema's message, plus the allowed values or the field's description where that helps."""
    msg = err.message
    if err.validator == "enum":
        msg = f"{err.instance!r} is not allowed: use one of {', '.join(map(str, err.validator_value))}"
    elif err.validator == "additionalProperties":
        allowed = sorted(err.schema.get("properties", {}))
        if allowed:
            msg += f" (allowed here: {', '.join(allowed)})"
    desc = err.schema.get("description")
    if desc and err.validator in ("pattern", "type", "required"):
        msg += f" -- {desc}"
    return msg


def find(name: str | Path) -> Path:
    """The file to play: ``name`` as a path, or, when no such file exists, the shipped scenario of that name.

    ``western-balkans-corridor`` (with or without ``.yaml``) is found in an
    installed package as in a checkout, from whatever directory the command runs.
    """
    path = Path(name)
    if path.exists() or len(path.parts) != 1:
        return path
    candidate = SCENARIO_DIR / (path.name if path.suffix in (".yaml", ".yml") else f"{path.name}.yaml")
    return candidate if candidate.is_file() else path


def load(name: str | Path) -> Scenario:
    """A scenario file, or a shipped scenario by name (see :func:`find`); raises ScenarioError."""
    path = find(name)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        problems = [f"cannot read the file: {exc.strerror or exc}"]
        if len(path.parts) == 1:
            problems.append(f"nor is it a shipped scenario: name one of {', '.join(p.stem for p in shipped())}")
        raise ScenarioError(path, problems) from exc
    return loads(text, path)


def loads(text: str, path: str | Path = "<scenario>") -> Scenario:
    try:
        data: Any = yaml.safe_load(text)
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise ScenarioError(path, [f"{where}not valid YAML: {getattr(exc, 'problem', None) or exc}"]) from exc
    if not isinstance(data, dict):
        raise ScenarioError(
            path, ["the file must be a YAML mapping with name, nodes, corridors, traffic and expectations"]
        )

    validator = jsonschema.Draft202012Validator(schema())
    errors = list(validator.iter_errors(data))
    if errors:
        located = sorted(((_line(root, e.absolute_path) or 0), _place(e.absolute_path), _hint(e)) for e in errors)
        raise ScenarioError(
            path, [f"line {line}, {place}: {hint}" if line else f"{place}: {hint}" for line, place, hint in located]
        )
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        problems = []
        for e in exc.errors():
            # drop the union's tag from the location; add the place a cross-check names
            loc = [p for p in e["loc"] if not (isinstance(p, str) and p in FAULT_KINDS)]
            loc += list(getattr((e.get("ctx") or {}).get("error"), "loc", ()))
            line = _line(root, loc)
            msg = e["msg"].removeprefix("Value error, ")
            problems.append(f"line {line}, {_place(loc)}: {msg}" if line else f"{_place(loc)}: {msg}")
        raise ScenarioError(path, problems) from exc


def shipped() -> list[Path]:
    """The scenarios seedsim ships (``scenarios/`` of the repository, ``seedsim/scenarios`` installed)."""
    return sorted(SCENARIO_DIR.glob("*.yaml"))
