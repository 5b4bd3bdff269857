"""Imports point the way docs/architecture.md draws them: each layer imports only those below it.

Every module's imports are read from its source (``ast``, nothing is imported), wherever they
are written (inside functions too), and checked against ``MAY_IMPORT``: the units of the
product a unit may depend on, and the third-party packages some units must stay free of.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# The units of the product, and the other units of the product each may import (besides its own
# modules). A module belongs to the unit of its longest matching name.
_BELOW_API = {
    "cds_hooks",
    "service",
    "service.settings",
    "service.clinical",
    "service.present",
    "service.fhir",
    "service.auth",
    "service.observability",
    "service.store",
    "service.pipeline",
}
MAY_IMPORT: dict[str, set[str]] = {
    "cds_hooks": set(),  # the protocol: nothing of the service
    "service": set(),  # the package itself: its version
    "service.settings": set(),
    "service.clinical": set(),  # pure: facts, dosing, rules, suggestions, knowledge
    "service.observability": {"cds_hooks", "service"},
    "service.present": {
        "cds_hooks",
        "service.settings",
        "service.clinical",
        "service.observability",
    },
    # A caller's FHIR servers are part of who it is: auth and fhir know each other.
    "service.fhir": {
        "cds_hooks",
        "service",
        "service.settings",
        "service.observability",
        "service.auth",
    },
    "service.auth": {"cds_hooks", "service.settings", "service.observability", "service.fhir"},
    "service.store": {"cds_hooks", "service", "service.settings", "service.observability"},
    "service.pipeline": {
        "cds_hooks",
        "service.settings",
        "service.observability",
        "service.clinical",
        "service.present",
        "service.fhir",
        "service.auth",
    },
    "service.api.web": {"cds_hooks", "service.clinical", "service.present"},
    "service.api": _BELOW_API | {"service.api.web"},
    "service.api.demo": _BELOW_API | {"service.api", "service.api.web"},
    "service.app": _BELOW_API | {"service.api", "service.api.web", "service.api.demo"},
    "service.cli": _BELOW_API | {"service.api", "service.api.web", "service.app"},
    "service.__main__": {"service.cli"},
}

# Third-party packages a unit must not import: the protocol and the clinical core know nothing
# of the web framework, the network, the database or the configuration (service.settings is
# kept out by MAY_IMPORT).
_SERVING = {"fastapi", "starlette", "uvicorn", "jinja2"}
_STORAGE = {"sqlalchemy", "alembic", "asyncpg", "aiosqlite", "redis"}
_NETWORK = {"httpx", "httpcore"}
MUST_NOT_IMPORT: dict[str, set[str]] = {
    "cds_hooks": _SERVING | _STORAGE,
    "service.clinical": _SERVING | _STORAGE | _NETWORK | {"prometheus_client"},
    "service.present": _SERVING | _STORAGE,
    "service.pipeline": _SERVING | _STORAGE,
}

# Code that is not the product: the product never imports it, and tooling never imports tests.
NOT_PRODUCT = {"tests", "bench", "scripts", "fhir_builders"}
TOOLING = ["bench", "scripts", "fhir_builders.py"]

# Known violations, being removed as this is written. Delete a line when its import goes (the
# last test below says when one is no longer needed); never add one.
TEMPORARY_ALLOWANCES: set[tuple[str, str]] = set()


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    path: Path
    line: int
    target: str  # the module imported

    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_module(name: str) -> bool:
    base = ROOT.joinpath(*name.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _resolve(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    package = module.split(".") if is_package else module.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def imports_of(path: Path) -> Iterator[Import]:
    module = module_name(path)
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(module, path, node.lineno, alias.name)
        elif isinstance(node, ast.ImportFrom):
            source = _resolve(node, module, path.name == "__init__.py")
            for alias in node.names:
                # `from service import store` imports the module service.store.
                submodule = f"{source}.{alias.name}"
                target = submodule if _is_module(submodule) else source
                yield Import(module, path, node.lineno, target)


def unit_of(module: str) -> str | None:
    """The unit of the product ``module`` belongs to; None outside the product."""
    candidates = [u for u in MAY_IMPORT if module == u or module.startswith(u + ".")]
    return max(candidates, key=len) if candidates else None


def product_files() -> list[Path]:
    return sorted([*(ROOT / "cds_hooks").rglob("*.py"), *(ROOT / "service").rglob("*.py")])


def tooling_files() -> list[Path]:
    files: list[Path] = []
    for name in TOOLING:
        path = ROOT / name
        files.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    return files


def problem(imported: Import) -> str | None:
    """What is wrong with this import of the product, if anything."""
    source = unit_of(imported.module)
    assert source is not None
    top = imported.target.split(".")[0]
    if top in NOT_PRODUCT:
        return f"the product imports {imported.target}, which is not part of it"
    if top in MUST_NOT_IMPORT.get(source, set()):
        return f"{source} must not import {top}"
    target = unit_of(imported.target)
    if target is None or target == source or target in MAY_IMPORT[source]:
        return None
    if (imported.module, target) in TEMPORARY_ALLOWANCES:
        return None
    return f"{source} must not import {target} ({imported.target})"


def test_every_module_of_the_product_belongs_to_a_unit() -> None:
    assert all(unit_of(module_name(path)) is not None for path in product_files())


def test_imports_point_down_the_layers() -> None:
    problems = {
        f"{imported.where()}: {message}": None  # once each, however many names a line imports
        for path in product_files()
        for imported in imports_of(path)
        if (message := problem(imported)) is not None
    }
    assert not problems, "\n".join(problems)


def test_tooling_never_imports_the_tests() -> None:
    offenders = [
        f"{imported.where()}: imports {imported.target}"
        for path in tooling_files()
        for imported in imports_of(path)
        if imported.target.split(".")[0] == "tests"
    ]
    assert not offenders, "\n".join(offenders)


@pytest.mark.parametrize(
    ("module", "target", "allowed"),
    [
        ("service.clinical.rules.dose", "service.clinical.knowledge", True),
        ("service.clinical.rules.dose", "service.settings", False),
        ("service.clinical.facts", "fastapi", False),
        ("service.clinical.facts", "cds_hooks.response", False),
        ("cds_hooks.jwt", "service.settings", False),
        ("service.present.cards", "service.clinical.findings", True),
        ("service.present.cards", "service.pipeline.evaluator", False),
        ("service.pipeline.evaluator", "service.present.cards", True),
        ("service.pipeline.evaluator", "service.api.hooks", False),
        ("service.api.hooks", "service.pipeline.evaluator", True),
        ("service.api.hooks", "service.app.factory", False),
        ("service.app.factory", "service.api.hooks", True),
        ("service.cli.main", "service.app.factory", True),
        ("service.store.recorder", "tests.factories", False),
    ],
)
def test_the_check_itself(module: str, target: str, allowed: bool) -> None:
    imported = Import(module, ROOT / "service" / "x.py", 1, target)
    assert (problem(imported) is None) is allowed


def test_every_temporary_allowance_is_still_needed() -> None:
    """An allowance whose import is gone must be deleted, so it cannot hide a new one."""
    used = {
        (imported.module, unit_of(imported.target))
        for path in product_files()
        for imported in imports_of(path)
    }
    stale = sorted(TEMPORARY_ALLOWANCES - used)
    assert not stale, f"delete from TEMPORARY_ALLOWANCES: {stale}"
