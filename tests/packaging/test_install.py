"""The Dockerfile's build stage, without a container: what it copies, installed as it installs.

The image is built only where podman is (scripts/container-check); this runs everywhere and
catches the usual packaging faults early: a file the Dockerfile does not copy, fixtures or
knowledge YAML missing from the wheel, a run-time need for pip or setuptools.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, ROOT, codes, load_scenario

DOCKERFILE = ROOT / "Dockerfile"
FIXTURE = "03-increase-60-120-mg-day"


def dockerfile_copies() -> list[tuple[list[str], str]]:
    """(sources, destination) of each COPY from the build context (not --from a stage)."""
    copies = []
    for line in DOCKERFILE.read_text().splitlines():
        match = re.match(r"COPY\s+(?!--)(.+)$", line)
        if match:
            *sources, destination = match.group(1).split()
            copies.append((sources, destination))
    return copies


def stage_sources(target: Path) -> None:
    """The build context as the Dockerfile's COPY lines lay it out under WORKDIR."""
    for sources, destination in dockerfile_copies():
        for source in sources:
            origin = ROOT / source
            if origin.is_dir():
                dest = target / destination
                ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
                shutil.copytree(origin, dest, ignore=ignore, dirs_exist_ok=True)
            else:
                shutil.copy2(origin, target / destination / origin.name)


def run(*argv: str | Path, cwd: Path, timeout: float = 120) -> str:
    # Nothing of this checkout or of the developer's settings may leak into the fresh install.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("BACLOFEN_CDS_") and k not in {"PYTHONPATH", "VIRTUAL_ENV"}
    }
    result = subprocess.run(
        [str(a) for a in argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )
    assert result.returncode == 0, f"{argv} exited {result.returncode}:\n{result.stderr}"
    return result.stdout


def test_dockerfile_copies_what_the_package_is_built_from() -> None:
    copied = {source for sources, _ in dockerfile_copies() for source in sources}
    assert {"pyproject.toml", "constraints.txt", "README.md"} <= copied
    assert {"cds_hooks", "service", "fixtures"} <= copied


@pytest.mark.slow
def test_installed_as_in_the_image_it_serves_its_bundled_fixtures(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    stage_sources(src)
    venv = tmp_path / "venv"
    python, cli = venv / "bin" / "python", venv / "bin" / "baclofen-cds"
    # The build stage's commands (pip's own cache left on, to keep this fast).
    run(sys.executable, "-m", "venv", venv, cwd=src)
    run(
        python,
        "-m",
        "pip",
        "install",
        "--quiet",
        "-c",
        "constraints.txt",
        ".",
        cwd=src,
        timeout=600,
    )
    run(python, "-m", "pip", "uninstall", "--yes", "--quiet", "pip", "setuptools", cwd=src)

    elsewhere = tmp_path / "elsewhere"  # no checkout in sight: only the installed package
    elsewhere.mkdir()
    where = run(
        python,
        "-c",
        "import service, service.fixtures as f; print(service.__file__); print(f.fixtures_dir())",
        cwd=elsewhere,
    ).split()
    assert all(Path(path).is_relative_to(venv) for path in where), where

    listed = [line.split()[0] for line in run(cli, "fixtures", cwd=elsewhere).splitlines()]
    assert listed == sorted(p.stem for p in FIXTURES.glob("*.json"))

    # The pages' templates and assets are package data: in the wheel, found from anywhere.
    shipped = run(
        python,
        "-c",
        "from service.web.templates import environment;"
        "from service.web.assets import DEMO, PUBLIC, _content;"
        "print(' '.join(sorted(environment().list_templates())));"
        "print(min(len(_content(name)) for name in {**PUBLIC, **DEMO}))",
        cwd=elsewhere,
    ).split("\n")
    templates = set(shipped[0].split())
    assert {"analytics.html", "demo.html", "demo/cards.html", "demo/chart.html"} <= templates
    assert int(shipped[1]) > 1000

    bundled = Path(where[1]) / f"{FIXTURE}.json"
    found = codes(json.loads(run(cli, "evaluate", bundled, cwd=elsewhere)))
    assert found["dose-above-max"] == "critical"
    assert found.items() >= load_scenario(FIXTURE)["expect"]["present"].items()
