"""deploy/: the Kubernetes manifests against the Kubernetes API schemas, and both deployments
against the service they deploy (its settings, routes, user and shutdown timings).

The schemas come with kubernetes-validate (no network). docker-compose, when installed (CI
installs Debian's), checks compose.yaml against the Compose schema.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from service.app import create_app
from service.serving import GRACEFUL_SHUTDOWN_S
from service.settings import Settings
from service.store.recorder import DRAIN_TIMEOUT_S
from tests.conftest import ROOT, make_settings
from tests.requirements import unavailable

KUBERNETES = ROOT / "deploy" / "kubernetes"
COMPOSE = ROOT / "deploy" / "compose.yaml"
KUBERNETES_VERSION = "1.33.0"  # the oldest release still supported upstream (2026)
NAME = "baclofen-cds"
RESOURCE_FILES = sorted(p for p in KUBERNETES.glob("*.yaml") if p.name != "kustomization.yaml")


def documents(path: Path) -> Iterator[dict[str, Any]]:
    yield from (doc for doc in yaml.safe_load_all(path.read_text()) if doc)


def manifests() -> dict[str, dict[str, Any]]:
    """kind -> the one resource of that kind (kustomization.yaml aside)."""
    found: dict[str, dict[str, Any]] = {}
    for path in RESOURCE_FILES:
        for doc in documents(path):
            assert doc["kind"] not in found, f"two {doc['kind']}s"
            found[doc["kind"]] = doc
    return found


def container(pod_spec: dict[str, Any]) -> dict[str, Any]:
    [only] = pod_spec["containers"]
    result: dict[str, Any] = only
    return result


def setting_names() -> set[str]:
    return {f"BACLOFEN_CDS_{name.upper()}" for name in Settings.model_fields}


@pytest.mark.parametrize("path", RESOURCE_FILES, ids=lambda p: p.name)
def test_every_manifest_is_valid_for_the_kubernetes_api(path: Path) -> None:
    for doc in documents(path):
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_the_validator_refuses_a_misspelt_field() -> None:
    deployment = manifests()["Deployment"]
    container(deployment["spec"]["template"]["spec"])["securityContext"][
        "readOnlyRootFilesytem"
    ] = True
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


def test_kustomization_applies_every_manifest_but_the_one_off_job() -> None:
    [kustomization] = documents(KUBERNETES / "kustomization.yaml")
    listed = set(kustomization["resources"])
    on_disk = {p.name for p in KUBERNETES.glob("*.yaml")} - {"kustomization.yaml"}
    assert on_disk - listed == {"migrate-job.yaml"}
    assert listed <= on_disk
    assert [image["name"] for image in kustomization["images"]] == [
        container(manifests()["Deployment"]["spec"]["template"]["spec"])["image"]
    ]


def test_the_pods_run_unprivileged_on_a_read_only_root() -> None:
    found = manifests()
    image_user = re.search(r"^USER (\d+)", (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    assert image_user is not None
    for kind in ("Deployment", "Job"):
        pod = found[kind]["spec"]["template"]["spec"]
        assert pod["automountServiceAccountToken"] is False
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] == int(image_user.group(1))
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        main = container(pod)
        assert main["securityContext"] == {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        }
        # The one writable place: tempfiles and the workers' metrics directory.
        [mount] = main["volumeMounts"]
        assert mount["mountPath"] == "/tmp"
        [volume] = pod["volumes"]
        assert volume["name"] == mount["name"] and "emptyDir" in volume
        assert {"requests", "limits"} <= main["resources"].keys()


def test_probes_ask_the_service_what_they_mean() -> None:
    found = manifests()
    main = container(found["Deployment"]["spec"]["template"]["spec"])
    routes = set(create_app(make_settings()).openapi()["paths"])
    paths = {
        probe: main[probe]["httpGet"]["path"]
        for probe in ("startupProbe", "readinessProbe", "livenessProbe")
    }
    assert paths == {
        "startupProbe": "/healthz",
        "readinessProbe": "/readyz",  # store and knowledge: a DB outage takes a pod out
        "livenessProbe": "/healthz",  # never the store: a DB outage must not restart pods
    }
    assert set(paths.values()) <= routes
    [port] = main["ports"]
    assert port["containerPort"] == int(found["ConfigMap"]["data"]["BACLOFEN_CDS_PORT"])
    assert {main[p]["httpGet"]["port"] for p in paths} == {port["name"]}


def test_termination_leaves_time_for_calls_in_flight_and_the_recorder() -> None:
    pod = manifests()["Deployment"]["spec"]["template"]["spec"]
    pre_stop = container(pod)["lifecycle"]["preStop"]["exec"]["command"]
    assert pre_stop[0] == "sleep"
    needed = int(pre_stop[1]) + GRACEFUL_SHUTDOWN_S + DRAIN_TIMEOUT_S
    assert pod["terminationGracePeriodSeconds"] >= needed


def test_service_budget_and_autoscaler_select_the_deployment() -> None:
    found = manifests()
    deployment = found["Deployment"]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert found["Service"]["spec"]["selector"].items() <= labels.items()
    assert found["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"].items() <= labels.items()
    target = found["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", deployment["metadata"]["name"])
    assert found["HorizontalPodAutoscaler"]["spec"]["minReplicas"] >= 2
    assert found["PodDisruptionBudget"]["spec"]["minAvailable"] < deployment["spec"]["replicas"]


def test_the_configuration_is_settings_the_service_reads_and_accepts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    found = manifests()
    config, secret = found["ConfigMap"]["data"], found["Secret"]["stringData"]
    assert set(config) | set(secret) <= setting_names()
    assert {"BACLOFEN_CDS_DATABASE_URL", "BACLOFEN_CDS_REDIS_URL"} <= set(secret)
    pod = found["Deployment"]["spec"]["template"]["spec"]
    sources = container(pod)["envFrom"]
    assert [s.get("configMapRef", s.get("secretRef"))["name"] for s in sources] == [NAME, NAME]
    for name, value in {**config, **secret}.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert settings.database_url.startswith("postgresql://")  # never SQLite on a read-only root
    assert settings.auth_required and settings.trusted_issuers and settings.workers > 1
    assert settings.redis_url  # several processes: the replay cache must be shared


def test_the_compose_stack_wires_the_service_to_postgresql_and_redis() -> None:
    [compose] = documents(COMPOSE)
    service = compose["services"][NAME]
    assert set(service["environment"]) <= setting_names()
    assert service["environment"]["BACLOFEN_CDS_DATABASE_URL"].startswith("postgresql://")
    assert "@postgres:5432/" in service["environment"]["BACLOFEN_CDS_DATABASE_URL"]
    assert service["environment"]["BACLOFEN_CDS_REDIS_URL"].startswith("redis://redis:")
    assert service["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }
    assert all("healthcheck" in compose["services"][name] for name in ("postgres", "redis"))
    assert service["read_only"] is True and service["tmpfs"] == ["/tmp"]


def test_docker_compose_accepts_the_compose_file(tmp_path: Path) -> None:
    tool = shutil.which("docker-compose")
    if tool is None:
        unavailable("docker-compose is not installed (Debian: apt-get install docker-compose)")
    result = subprocess.run(
        [tool, "--project-directory", str(COMPOSE.parent), "-f", str(COMPOSE), "config", "-q"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
