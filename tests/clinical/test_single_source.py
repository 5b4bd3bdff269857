"""The knowledge files are the single source of clinical numbers, codes and card sentences.

A pharmacist reviews a change of threshold or wording as a diff of data files: that holds
only if the code keeps no copy of its own (a number or sentence beside the YAML would go on
quoting the old value), and only if every field of the data is read by something (a field
nothing reads is a promise nobody keeps).
"""

from __future__ import annotations

import ast
import re
import typing
from pathlib import Path

from pydantic import BaseModel

from service.clinical.knowledge import schema

ROOT = Path(__file__).resolve().parents[2]
CLINICAL = ROOT / "service" / "clinical"
# The code that decides and words cards: rules, and the suggestions built for them.
RULE_CODE = sorted([*(CLINICAL / "rules").glob("*.py"), *(CLINICAL / "suggestions").glob("*.py")])
KNOWLEDGE_DIR = CLINICAL / "knowledge"


def _string_literals(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


def test_no_digit_in_a_string_literal_of_the_rule_code() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}: {text!r}"
        for path in RULE_CODE
        for line, text in _string_literals(path)
        if re.search(r"\d", text)
    ]
    assert not found, "numbers and codes belong in the knowledge files:\n" + "\n".join(found)


def test_the_scan_sees_a_digit_where_there_is_one(tmp_path: Path) -> None:
    sample = tmp_path / "rule.py"
    sample.write_text('"""Doc 100."""\nLIMIT = f"at most {x} 100 mg/day"\n')
    assert [text for _, text in _string_literals(sample) if re.search(r"\d", text)]


def _fields(model: type[BaseModel], seen: set[type[BaseModel]]) -> set[str]:
    if model in seen:
        return set()
    seen.add(model)
    names = set(model.model_fields)
    for info in model.model_fields.values():
        for inner in _models_in(info.annotation):
            names |= _fields(inner, seen)
    return names


def _models_in(annotation: object) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


def test_every_knowledge_field_is_read_by_something() -> None:
    files: list[type[BaseModel]] = [
        schema.Manifest,
        schema.RulesFile,
        schema.Dosing,
        schema.MedicationsFile,
        schema.ConditionsFile,
        schema.ObservationsFile,
        schema.CounsellingFile,
        schema.WordingFile,
    ]
    seen: set[type[BaseModel]] = set()
    fields: set[str] = set().union(*(_fields(model, seen) for model in files))
    # The pages' Jinja templates read knowledge fields too (``counselling.signs``).
    code = "\n".join(
        path.read_text(encoding="utf-8")
        for pattern in ("*.py", "templates/**/*.html", "templates/**/*.svg")
        for path in (ROOT / "service").rglob(pattern)
        if path.name != "schema.py"
    )
    templates = "\n".join(p.read_text(encoding="utf-8") for p in KNOWLEDGE_DIR.glob("*.yaml"))
    unread = sorted(
        name
        for name in fields
        if not re.search(rf"\.{name}\b|\"{name}\"", code)
        and not re.search(rf"\{{dosing\.[\w.]*\b{name}\b", templates)
    )
    assert not unread, f"knowledge fields nothing reads: {unread}"
