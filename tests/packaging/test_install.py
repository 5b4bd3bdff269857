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
import signal
import subprocess
import sys
from pathlib import Path

import httpx
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


def clean_environment() -> dict[str, str]:
    # Nothing of this checkout or of the developer's settings may leak into the fresh install.
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("BACLOFEN_CDS_") and k not in {"PYTHONPATH", "VIRTUAL_ENV"}
    }


def run(*argv: str | Path, cwd: Path, timeout: float = 120) -> str:
    env = clean_environment()
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
        "import service, service.pipeline.examples as f; "
        "print(service.__file__); print(f.fixtures_dir())",
        cwd=elsewhere,
    ).split()
    assert all(Path(path).is_relative_to(venv) for path in where), where

    listed = [line.split()[0] for line in run(cli, "fixtures", cwd=elsewhere).splitlines()]
    assert listed == sorted(p.stem for p in FIXTURES.glob("*.json"))

    # The quick start's demo, from the installed package alone: its templates, assets and
    # example patients are package data.
    pages = ["/demo", "/demo/assets/demo.js", "/demo/assets/demo.css", "/assets/pages.css"]
    pages += ["/analytics", f"/demo/examples/{FIXTURE}"]
    with subprocess.Popen(
        [cli, "demo"], cwd=elsewhere, env=clean_environment(), stdout=subprocess.PIPE, text=True
    ) as demo:
        try:
            assert demo.stdout is not None
            url = demo.stdout.readline().split("open ", 1)[1].strip()
            base = url.removesuffix("/demo")
            for path in pages:
                assert httpx.get(f"{base}{path}", timeout=30).status_code == 200, path
            shown = httpx.post(f"{base}/demo/cards", json={"cards": []}, timeout=30)
            assert "No cards" in shown.text
        finally:
            demo.send_signal(signal.SIGINT)
            assert demo.wait(timeout=60) == 0

    bundled = Path(where[1]) / f"{FIXTURE}.json"
    found = codes(json.loads(run(cli, "evaluate", bundled, cwd=elsewhere)))
    assert found["dose-above-max"] == "critical"
    assert found.items() >= load_scenario(FIXTURE)["expect"]["present"].items()
