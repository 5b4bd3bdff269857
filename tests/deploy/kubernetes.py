"""Rendering the kustomizations and checking what they render, as a cluster would.

``kubectl kustomize`` renders an overlay without a cluster (kustomize is built into kubectl;
CI's machines have kubectl 1.32 with kustomize 5.5). Built-in kinds are checked against the
Kubernetes API schemas (kubernetes-validate, strict); the Prometheus Operator's kinds against
strict schemas of the fields these manifests use (crd_schemas.py); and values the API server
decodes (a Secret's ``data``) are decoded as it would.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml

from tests.conftest import ROOT
from tests.deploy.crd_schemas import CUSTOM_RESOURCES
from tests.requirements import unavailable

KUBERNETES = ROOT / "deploy" / "kubernetes"
MONITORING = ROOT / "deploy" / "monitoring"
KUBERNETES_VERSION = "1.33.0"  # the oldest release still supported upstream (2026)
OVERLAYS = ("overlays/local", "overlays/production", "overlays/production/migrate")
MINIMUM_KUSTOMIZE = (5, 0)  # components, `labels:`, and patches by target as written here


class ApiServerRefusal(Exception):
    """What the API server would refuse although the schema allows it."""


def kubectl() -> str:
    found = shutil.which("kubectl")
    if found is None:
        unavailable("kubectl is not installed: it renders the kustomizations (kubectl kustomize)")
    version = subprocess.run(
        [found, "version", "--client"], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    match = re.search(r"Kustomize Version: v(\d+)\.(\d+)", version)
    assert match, f"kubectl reports no kustomize version:\n{version}"
    assert (int(match[1]), int(match[2])) >= MINIMUM_KUSTOMIZE, version
    return found


@functools.cache
def _render(directory: str) -> str:
    result = subprocess.run(
        [kubectl(), "kustomize", str(KUBERNETES / directory)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def render(directory: str) -> list[dict[str, Any]]:
    """The resources ``kubectl kustomize deploy/kubernetes/DIRECTORY`` outputs (fresh copies)."""
    return [doc for doc in yaml.safe_load_all(_render(directory)) if doc]


def documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def one(resources: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    [found] = [
        r
        for r in resources
        if r["kind"] == kind and (name is None or r["metadata"]["name"] == name)
    ]
    return found


def validate(resource: dict[str, Any]) -> None:
    """Raise unless the API server would accept the resource (as far as can be told offline)."""
    schema = CUSTOM_RESOURCES.get((resource["apiVersion"], resource["kind"]))
    if schema is not None:
        jsonschema.validate(resource, schema)
    else:
        kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)
    if resource["kind"] == "Secret":
        for key, value in resource.get("data", {}).items():
            try:
                base64.b64decode(value.replace("\n", ""), validate=True)
            except (binascii.Error, ValueError) as error:
                raise ApiServerRefusal(f"Secret data {key} is not base64: {error}") from None


def container(pod_spec: dict[str, Any]) -> dict[str, Any]:
    [only] = pod_spec["containers"]
    result: dict[str, Any] = only
    return result
