"""deploy/: the Kubernetes overlays as kustomize renders them, against the Kubernetes API schemas
and against the service they deploy (its settings, routes, user, limits and shutdown timings).

Each overlay is rendered with ``kubectl kustomize`` (no cluster needed; tests/deploy/kubernetes.py).
docker-compose, when installed (CI installs Debian's), checks compose.yaml against the Compose
schema.
"""

from __future__ import annotations

import base64
import ipaddress
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import kubernetes_validate
import pytest

from service.app.factory import create_app
from service.app.serving import GRACEFUL_SHUTDOWN_S
from service.settings import Settings
from service.store.database import Database
from service.store.recorder import DRAIN_TIMEOUT_S
from tests.conftest import ROOT, make_settings
from tests.deploy.kubernetes import (
    KUBERNETES,
    MONITORING,
    OVERLAYS,
    ApiServerRefusal,
    container,
    documents,
    one,
    render,
    validate,
)
from tests.requirements import unavailable

COMPOSE = ROOT / "deploy" / "compose.yaml"
NAME = "baclofen-cds"
PRODUCTION = KUBERNETES / "overlays" / "production"
SECRET_EXAMPLE = PRODUCTION / "secret.example.yaml"
CONTROLLER_SETTINGS = PRODUCTION / "ingress-nginx-controller.yaml"
# Files no kustomization applies, on purpose: each is validated on its own below.
NOT_APPLIED = {SECRET_EXAMPLE, CONTROLLER_SETTINGS}
# Routes that answer without authentication: never behind the Ingress.
INTERNAL_ROUTES = ("/metrics", "/healthz", "/readyz", "/analytics/rules", "/analytics")


def setting_names() -> set[str]:
    return {f"BACLOFEN_CDS_{name.upper()}" for name in Settings.model_fields}


def pod_templates(resources: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Deployment or Job name -> its pod template."""
    return {
        r["metadata"]["name"]: r["spec"]["template"]
        for r in resources
        if r["kind"] in ("Deployment", "Job")
    }


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    assert set(selector) <= {"matchLabels"}, "only matchLabels is used here"
    return bool(selector["matchLabels"].items() <= labels.items())


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_overlay_renders_to_resources_the_api_server_accepts(overlay: str) -> None:
    resources = render(overlay)
    assert resources
    for resource in resources:
        validate(resource)


@pytest.mark.parametrize("path", sorted(NOT_APPLIED), ids=lambda p: p.name)
def test_the_files_no_overlay_applies_are_valid_kubernetes_too(path: Path) -> None:
    for resource in documents(path):
        if path == SECRET_EXAMPLE:
            # Its placeholders are what makes it refused (below); the shape is right.
            resource = {**resource, "data": dict.fromkeys(resource["data"], "")}
        validate(resource)


def test_the_validators_refuse_a_misspelt_field() -> None:
    deployment = one(render("overlays/production"), "Deployment")
    container(deployment["spec"]["template"]["spec"])["securityContext"][
        "readOnlyRootFilesytem"
    ] = True
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(deployment)
    monitor = one(render("overlays/production"), "ServiceMonitor")
    monitor["spec"]["endpoints"][0]["intervall"] = "30s"
    with pytest.raises(jsonschema.ValidationError):
        validate(monitor)
    rule = one(render("overlays/production"), "PrometheusRule")
    rule["spec"]["groups"][0]["rules"][0]["fore"] = "5m"
    with pytest.raises(jsonschema.ValidationError):
        validate(rule)


def test_every_manifest_is_used_by_a_kustomization() -> None:
    listed: set[Path] = set()
    for kustomization in [
        *KUBERNETES.rglob("kustomization.yaml"),
        MONITORING / "kustomization.yaml",
    ]:
        [spec] = documents(kustomization)
        for entry in [
            *spec.get("resources", []),
            *spec.get("components", []),
            *(patch["path"] for patch in spec.get("patches", []) if "path" in patch),
        ]:
            listed.add((kustomization.parent / entry).resolve())
    manifests = {
        p.resolve()
        for p in [*KUBERNETES.rglob("*.yaml"), *MONITORING.glob("*.yaml")]
        if p.name != "kustomization.yaml"
        and not p.name.startswith("alerts.")  # the plain rules and their tests: promtool's
    }
    assert manifests - listed == {p.resolve() for p in NOT_APPLIED}


def test_the_image_is_set_in_one_place_per_overlay() -> None:
    # The manifests name the image without registry or tag; the overlays' `images:` set both.
    for path in [
        KUBERNETES / "base" / "deployment.yaml",
        KUBERNETES / "migrate" / "migrate-job.yaml",
    ]:
        for resource in documents(path):
            assert container(resource["spec"]["template"]["spec"])["image"] == NAME
    [release] = documents(PRODUCTION / "release" / "kustomization.yaml")
    [image] = release["images"]
    expected = f"{image['newName']}:{image['newTag']}"
    service = pod_templates(render("overlays/production"))[NAME]
    job = pod_templates(render("overlays/production/migrate"))[f"{NAME}-migrate"]
    assert container(service["spec"])["image"] == container(job["spec"])["image"] == expected
    for path in KUBERNETES.rglob("kustomization.yaml"):
        if path.parent != PRODUCTION / "release" and "images" in documents(path)[0]:
            assert path.parent == KUBERNETES / "overlays" / "local"  # its own image, set once


def test_production_applies_no_secret_and_its_placeholders_cannot_be_applied(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for overlay in ("overlays/production", "overlays/production/migrate"):
        assert not [r for r in render(overlay) if r["kind"] == "Secret"]
    [example] = documents(SECRET_EXAMPLE)
    assert example["metadata"]["name"] == NAME
    assert set(example["data"]) <= setting_names()
    with pytest.raises(ApiServerRefusal):
        validate(example)

    # Filled in, as an operator would, it is applied and the service accepts the values.
    values = {
        "BACLOFEN_CDS_DATABASE_URL": "postgresql://cds:pw@db.internal:5432/cds?sslmode=verify-full",
        "BACLOFEN_CDS_REDIS_URL": "rediss://:pw@redis.internal:6380/0",
        "BACLOFEN_CDS_TRUSTED_ISSUERS": '{"https://ehr.example.org": {"jwks_url": '
        '"https://ehr.example.org/jwks.json", "fhir_servers": ["https://ehr.example.org/fhir"]}}',
        "BACLOFEN_CDS_LINK_KEYS": "a-random-secret-of-32-characters-or-more-x",
    }
    assert set(values) == set(example["data"])
    filled = {
        **example,
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in values.items()},
    }
    validate(filled)
    config = one(render("overlays/production"), "ConfigMap", NAME)["data"]
    for name, value in {**config, **values}.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    Database(settings.database_url)  # the TLS parameters are understood
    assert settings.redis_url and settings.redis_url.startswith("rediss://")


@pytest.mark.parametrize("overlay", ["overlays/local", "overlays/production"])
def test_the_configuration_is_settings_the_service_reads_and_accepts(
    monkeypatch: pytest.MonkeyPatch, overlay: str
) -> None:
    resources = render(overlay)
    deployment = one(resources, "Deployment", NAME)
    sources = container(deployment["spec"]["template"]["spec"])["envFrom"]
    config_name = sources[0]["configMapRef"]["name"]
    secret_name = sources[1]["secretRef"]["name"]
    config = one(resources, "ConfigMap", config_name)["data"]
    assert set(config) <= setting_names()
    assert "BACLOFEN_CDS_PUBLIC_BASE_URL" in config  # each environment says where it is
    secrets = [
        r for r in resources if r["kind"] == "Secret" and r["metadata"]["name"] == secret_name
    ]
    if overlay == "overlays/production":
        assert secret_name == NAME and not secrets  # managed outside: see the test above
        return
    [secret] = secrets
    values = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    assert set(values) <= setting_names()
    for name, value in {**config, **values}.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert settings.database_url.startswith("postgresql://")  # never SQLite on a read-only root
    assert settings.workers > 1 and settings.redis_url  # several processes: a shared cache


def test_the_pods_run_unprivileged_on_a_read_only_root() -> None:
    image_user = re.search(r"^USER (\d+)", (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    assert image_user is not None
    pods = {
        **pod_templates(render("overlays/production")),
        **pod_templates(render("overlays/production/migrate")),
    }
    assert set(pods) == {NAME, f"{NAME}-migrate"}
    for template in pods.values():
        pod = template["spec"]
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
    resources = render("overlays/production")
    main = container(one(resources, "Deployment")["spec"]["template"]["spec"])
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
    assert port["containerPort"] == int(
        one(resources, "ConfigMap", NAME)["data"]["BACLOFEN_CDS_PORT"]
    )
    assert {main[p]["httpGet"]["port"] for p in paths} == {port["name"]}


def test_termination_leaves_time_for_calls_in_flight_and_the_recorder() -> None:
    pod = one(render("overlays/production"), "Deployment")["spec"]["template"]["spec"]
    pre_stop = container(pod)["lifecycle"]["preStop"]["exec"]["command"]
    assert pre_stop[0] == "sleep"
    needed = int(pre_stop[1]) + GRACEFUL_SHUTDOWN_S + DRAIN_TIMEOUT_S
    assert pod["terminationGracePeriodSeconds"] >= needed


@pytest.mark.parametrize("overlay", ["overlays/local", "overlays/production"])
def test_service_budget_and_autoscaler_select_the_deployment(overlay: str) -> None:
    resources = render(overlay)
    deployment = one(resources, "Deployment", NAME)
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert selects(deployment["spec"]["selector"], labels)
    assert one(resources, "Service", NAME)["spec"]["selector"].items() <= labels.items()
    target = one(resources, "HorizontalPodAutoscaler")["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", NAME)
    budgets = [r for r in resources if r["kind"] == "PodDisruptionBudget"]
    if overlay == "overlays/production":
        [budget] = budgets
        assert selects(budget["spec"]["selector"], labels)
        assert one(resources, "HorizontalPodAutoscaler")["spec"]["minReplicas"] >= 2
        assert budget["spec"]["minAvailable"] < deployment["spec"]["replicas"]
    else:
        assert not budgets  # one pod: a budget would block every node drain


# --- the network


def policies(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in resources if r["kind"] == "NetworkPolicy"]


def policies_for(resources: list[dict[str, Any]], labels: dict[str, str]) -> list[dict[str, Any]]:
    return [p for p in policies(resources) if selects(p["spec"]["podSelector"], labels)]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_pod_of_the_service_is_closed_both_ways(overlay: str) -> None:
    resources = render(overlay)
    # The migration Job runs among the resources the production overlay applied.
    applied = render("overlays/production") if overlay.endswith("/migrate") else resources
    for name, template in pod_templates(resources).items():
        labels = template["metadata"]["labels"]
        selected = policies_for(applied, labels)
        types = {t for p in selected for t in p["spec"]["policyTypes"]}
        if labels.get("app.kubernetes.io/part-of") == NAME:
            assert types == {"Ingress", "Egress"}, name
        else:
            assert not selected, f"{name}: the service's policies select another pod"


def test_only_the_ingress_controller_and_prometheus_reach_the_pods() -> None:
    resources = render("overlays/production")
    labels = one(resources, "Deployment")["spec"]["template"]["metadata"]["labels"]
    rules = [rule for p in policies_for(resources, labels) for rule in p["spec"].get("ingress", [])]
    port_name = container(one(resources, "Deployment")["spec"]["template"]["spec"])["ports"][0]
    sources = set()
    for rule in rules:
        assert rule.get("from"), "a rule without `from` admits everyone"
        assert rule["ports"] == [{"port": port_name["name"], "protocol": "TCP"}]
        for peer in rule["from"]:
            assert set(peer) == {"namespaceSelector", "podSelector"}  # a namespace AND its pods
            namespace = peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
            sources.add((namespace, peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"]))
    assert sources == {("ingress-nginx", "ingress-nginx"), ("monitoring", "prometheus")}


def egress_rules(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    labels = pod_templates(resources)[NAME]["metadata"]["labels"]
    return [rule for p in policies_for(resources, labels) for rule in p["spec"].get("egress", [])]


def ports(rule: dict[str, Any]) -> set[tuple[int, str]]:
    return {(port["port"], port["protocol"]) for port in rule["ports"]}


def test_production_pods_reach_dns_the_stores_and_https_only() -> None:
    rules = egress_rules(render("overlays/production"))
    for rule in rules:
        assert rule.get("to") and rule.get("ports"), "a rule without `to` or ports allows anything"
    reached = set().union(*(ports(rule) for rule in rules))
    assert reached == {(53, "UDP"), (53, "TCP"), (5432, "TCP"), (6380, "TCP"), (443, "TCP")}
    # The ports are those of the example URLs the Secret is documented with.
    text = SECRET_EXAMPLE.read_text()
    assert "HOST:5432/" in text and "HOST:6380/" in text
    # Until an operator sets them, the addresses lead nowhere: documentation ranges (RFC 5737).
    documentation = [
        ipaddress.IPv4Network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")
    ]
    blocks = [peer["ipBlock"]["cidr"] for rule in rules for peer in rule["to"] if "ipBlock" in peer]
    assert blocks
    for block in blocks:
        network = ipaddress.IPv4Network(block)
        assert any(network.subnet_of(d) for d in documentation), block


def test_local_pods_reach_dns_and_the_overlays_own_stores() -> None:
    resources = render("overlays/local")
    targets = set()
    for rule in egress_rules(resources):
        for peer in rule["to"]:
            if "podSelector" in peer and "namespaceSelector" not in peer:
                targets.add(
                    (peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"], *ports(rule))
                )
    assert targets == {(f"{NAME}-postgres", (5432, "TCP")), (f"{NAME}-redis", (6379, "TCP"))}
    for name in (f"{NAME}-postgres", f"{NAME}-redis"):
        assert one(resources, "Service", name)


# --- the Ingress and the limits in front of the service


def nginx_size(text: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([kKmMgG]?)", text).groups()  # type: ignore[union-attr]
    return int(number) * {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[unit.lower()]


def routed(path: str, ingress: dict[str, Any]) -> bool:
    """Whether the Ingress forwards ``path`` (Kubernetes' Exact and Prefix semantics)."""
    for rule in ingress["spec"]["rules"]:
        for entry in rule["http"]["paths"]:
            prefix = entry["path"].rstrip("/")
            if entry["pathType"] == "Exact" and path == entry["path"]:
                return True
            if entry["pathType"] == "Prefix" and (path == prefix or path.startswith(prefix + "/")):
                return True
    return False


def test_the_ingress_serves_the_ehr_facing_paths_with_tls_at_the_public_url() -> None:
    resources = render("overlays/production")
    ingress = one(resources, "Ingress")
    public = urlsplit(one(resources, "ConfigMap", NAME)["data"]["BACLOFEN_CDS_PUBLIC_BASE_URL"])
    assert public.scheme == "https"
    [rule] = ingress["spec"]["rules"]
    assert rule["host"] == public.hostname
    assert [public.hostname] in [tls["hosts"] for tls in ingress["spec"]["tls"]]
    service = one(resources, "Service", NAME)
    for entry in rule["http"]["paths"]:
        backend = entry["backend"]["service"]
        assert backend["name"] == NAME
        assert backend["port"]["name"] in {port["name"] for port in service["spec"]["ports"]}
    ehr_facing = [
        "/cds-services",
        "/cds-services/baclofen-order-sign",
        "/cds-services/baclofen-order-sign/feedback",
        "/knowledge/rules",
        "/knowledge/rules/dose-above-max",
        "/schedules/view",
    ]
    internal = [*INTERNAL_ROUTES, "/openapi.json", "/"]
    assert all(routed(path, ingress) for path in ehr_facing)
    assert not any(routed(path, ingress) for path in internal)
    # Every route the service has is either EHR-facing or kept inside.
    routes = create_app(make_settings()).openapi()["paths"]
    for route in routes:
        concrete = route.replace("{service_id}", "baclofen-order-sign").replace("{code}", "x")
        assert routed(concrete, ingress) != (route in INTERNAL_ROUTES), route


def test_the_limits_in_front_of_the_service_match_its_own() -> None:
    resources = render("overlays/production")
    annotations = one(resources, "Ingress")["metadata"]["annotations"]
    config = one(resources, "ConfigMap", NAME)["data"]
    prefix = "nginx.ingress.kubernetes.io/"
    body_limit = nginx_size(annotations[prefix + "proxy-body-size"])
    assert body_limit == int(config["BACLOFEN_CDS_MAX_BODY_BYTES"])
    assert annotations[prefix + "proxy-request-buffering"] == "on"
    assert int(annotations[prefix + "proxy-read-timeout"]) > float(
        config["BACLOFEN_CDS_FHIR_TIMEOUT_S"]
    )
    [controller] = documents(CONTROLLER_SETTINGS)
    settings = controller["data"]
    assert 0 < int(settings["client-header-timeout"]) <= 60
    assert 0 < int(settings["client-body-timeout"]) <= 60
    count, size = settings["large-client-header-buffers"].split()
    # Room for a JWT (a few KiB) in one header line, and a bound on all of them.
    assert nginx_size(size) >= 8 * 1024 and int(count) * nginx_size(size) <= 256 * 1024


# --- compose


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
