"""deploy/monitoring: the alert rules (checked and unit-tested with promtool), the ServiceMonitor,
and the Grafana dashboard, against the metrics a running service exports.

promtool comes with Debian's ``prometheus`` package (CI installs it); without it the promtool
tests are skipped, except on CI, where they fail.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any, get_args

import httpx
import yaml
from prometheus_client.parser import text_string_to_metric_families

from cds_hooks.jwt import Reason
from service.app.factory import create_app
from tests.api.store_client import FEEDBACK, item
from tests.conftest import make_settings
from tests.deploy.kubernetes import MONITORING, one, render
from tests.deploy.promql import Selector, metrics, selectors
from tests.requirements import unavailable
from tests.servers import free_port, serving

RULES = MONITORING / "alerts.rules.yaml"
RULE_TESTS = MONITORING / "alerts.test.yaml"
DASHBOARD = MONITORING / "dashboard.json"
SIGN = "/cds-services/baclofen-order-sign"
# Made by Prometheus for each target, not exported by the service.
PROMETHEUS_SERIES = {"up"}
# Labels Prometheus attaches to every series of a target (the ServiceMonitor's discovery).
TARGET_LABELS = {"namespace", "job", "instance", "pod", "service", "container", "endpoint"}

Scenario = Callable[[str], dict[str, Any]]


def rule_expressions() -> dict[str, str]:
    rules = yaml.safe_load(RULES.read_text())
    return {rule["alert"]: rule["expr"] for group in rules["groups"] for rule in group["rules"]}


def dashboard_expressions() -> dict[str, str]:
    dashboard = json.loads(DASHBOARD.read_text())
    found = {
        f"{panel['title']} [{target['refId']}]": target["expr"]
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
    }
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            found[f"variable {variable['name']}"] = variable["definition"]
    return found


def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        unavailable("promtool is not installed (Debian: apt-get install prometheus)")
    return found


def run_promtool(*arguments: str) -> None:
    result = subprocess.run(
        [promtool(), *arguments],
        cwd=MONITORING,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_accepts_the_rules() -> None:
    run_promtool("check", "rules", RULES.name)


def test_promtool_unit_tests_of_the_alerts_pass() -> None:
    run_promtool("test", "rules", RULE_TESTS.name)


def test_every_alert_is_shown_firing_in_a_unit_test() -> None:
    tests = yaml.safe_load(RULE_TESTS.read_text())
    firing = {
        case["alertname"]
        for test in tests["tests"]
        for case in test["alert_rule_test"]
        if case["exp_alerts"]
    }
    assert firing == set(rule_expressions())


def test_every_alert_says_how_bad_and_what_happened() -> None:
    rules = yaml.safe_load(RULES.read_text())
    for rule in (rule for group in rules["groups"] for rule in group["rules"]):
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}, rule["alert"]
        assert {"summary", "description"} <= rule["annotations"].keys(), rule["alert"]


def test_the_prometheus_rule_holds_the_plain_rules_file() -> None:
    resource = one(render("overlays/production"), "PrometheusRule")
    assert resource["spec"] == yaml.safe_load(RULES.read_text()), (
        "run scripts/make_prometheus_rule.py"
    )


def test_the_service_monitor_scrapes_the_metrics_route_as_the_job_the_alerts_name() -> None:
    resources = render("overlays/production")
    monitor = one(resources, "ServiceMonitor")
    [service] = [
        r
        for r in resources
        if r["kind"] == "Service"
        and monitor["spec"]["selector"]["matchLabels"].items() <= r["metadata"]["labels"].items()
    ]
    [endpoint] = monitor["spec"]["endpoints"]
    assert endpoint["port"] in {port["name"] for port in service["spec"]["ports"]}
    assert endpoint["path"] == "/metrics"
    assert "/metrics" in create_app(make_settings()).openapi()["paths"]
    # The operator names the job after the Service; the alerts on `up` select that job.
    jobs = {
        matcher.value
        for selector in selectors(rule_expressions()["BaclofenCdsDown"])
        for matcher in selector.matchers
        if matcher.label == "job"
    }
    assert jobs == {service["metadata"]["name"]}


def test_the_dashboard_is_well_formed_and_shipped_as_is() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    variables = {variable["name"] for variable in dashboard["templating"]["list"]}
    assert "datasource" in variables
    for panel in dashboard["panels"]:
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        refs = [target["refId"] for target in panel["targets"]]
        assert refs and len(refs) == len(set(refs)), panel["title"]
    shipped = one(render("overlays/production"), "ConfigMap", "baclofen-cds-dashboard")
    assert shipped["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert json.loads(shipped["data"]["baclofen-cds.json"]) == dashboard
    # What the issue of operators asked to see.
    used = set().union(*(metrics(e) for e in dashboard_expressions().values()))
    assert {
        "baclofen_cds_requests_total",
        "baclofen_cds_request_seconds_bucket",
        "baclofen_cds_cards_total",
        "baclofen_cds_fhir_fetches_total",
        "baclofen_cds_advice_queue_depth",
        "baclofen_cds_advice_records_total",
    } <= used


def test_the_expression_reader_finds_every_series() -> None:
    expression = (
        'sum by (service, le) (rate(a_bucket{route="/x/{id}", status=~"5.."}[$__rate_interval]))'
        " / on (service) group_left (hook) b offset 5m unless c > 0.5"
        ' or label_values(d{job="j"}, namespace) and {__name__="e"}'
    )
    found = selectors(expression)
    assert {s.metric for s in found} == {"a_bucket", "b", "c", "d", "e"}
    [first] = [s for s in found if s.metric == "a_bucket"]
    assert [(m.label, m.operator, m.value) for m in first.matchers] == [
        ("route", "=", "/x/{id}"),
        ("status", "=~", "5.."),
    ]


# --- against a running service


def exported(text: str) -> dict[str, list[dict[str, str]]]:
    """Sample name -> the label sets it is exported with."""
    samples: dict[str, list[dict[str, str]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append(dict(sample.labels))
    return samples


def known_values(routes: set[str]) -> dict[str, set[str]]:
    """Labels whose every possible value is known: what a matcher on them may name."""
    return {
        "route": routes | {"unmatched"},
        "result": {"written", "dropped", "failed"},
        "reason": set(get_args(Reason)),
        "stored": {"true", "false"},
    }


def literal_alternatives(value: str) -> list[str] | None:
    """The values a matcher names when it is a plain value or plain alternatives, else None."""
    alternatives = value.split("|")
    if any(set(a) & set(".*+?[](){}^$\\") for a in alternatives if "{" not in a):
        return None
    return alternatives


def check_selector(
    where: str, selector: Selector, samples: dict[str, list[dict[str, str]]], routes: set[str]
) -> list[str]:
    if selector.metric in PROMETHEUS_SERIES:
        return []
    if selector.metric not in samples:
        return [f"{where}: {selector.metric} is not exported"]
    problems = []
    labels = set().union(*(set(labels) for labels in samples[selector.metric]))
    values = known_values(routes)
    for matcher in selector.matchers:
        if matcher.label in TARGET_LABELS:
            continue
        if matcher.label not in labels:
            problems.append(f"{where}: {selector.metric} has no label {matcher.label}")
        elif matcher.label in values and not matcher.value.startswith("$"):
            for value in literal_alternatives(matcher.value) or []:
                if value not in values[matcher.label]:
                    problems.append(f"{where}: {matcher.label}={value!r} never occurs")
    return problems


def drive_traffic(base: str, scenario: Scenario) -> None:
    """Calls that make every family the dashboard and the alerts read export a series."""
    with httpx.Client(base_url=base, timeout=60) as http:
        answer = http.post(SIGN, json=scenario("03"))
        assert answer.status_code == 200
        card = answer.json()["cards"][0]["uuid"]
        # A missing prefetch key, fetched from a FHIR server that is not there.
        partial = scenario("03")
        del partial["prefetch"]["conditions"]
        partial["fhirServer"] = f"http://127.0.0.1:{free_port()}/fhir"
        assert http.post(SIGN, json=partial).status_code == 200
        assert http.post(FEEDBACK, json={"feedback": [item(card)]}).status_code == 200
        assert http.get("/analytics/rules").status_code == 200
        assert http.get("/openapi.json").status_code == 200


def test_the_dashboard_and_the_alerts_read_only_what_the_service_exports(
    tmp_path: Path, scenario: Scenario
) -> None:
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = {
        "BACLOFEN_CDS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'store.sqlite3'}",
        "BACLOFEN_CDS_FHIR_TIMEOUT_S": "5",
        "TMPDIR": str(temporary),
    }
    # As deployed: two workers, whose metrics are summed through files.
    with serving(tmp_path, env, "--workers", "2") as server:
        drive_traffic(server.base, scenario)
        text = httpx.get(f"{server.base}/metrics", timeout=30).text
    samples = exported(text)
    routes = set(create_app(make_settings()).openapi()["paths"]) | {"/openapi.json"}
    problems = []
    expressions = {
        **{f"alert {name}": e for name, e in rule_expressions().items()},
        **{f"dashboard {name}": e for name, e in dashboard_expressions().items()},
    }
    for where, expression in expressions.items():
        for selector in selectors(expression):
            problems += check_selector(where, selector, samples, routes)
    assert not problems, "\n".join(problems)


def test_the_check_catches_a_metric_or_label_that_is_not_exported() -> None:
    samples = exported(
        "# TYPE baclofen_cds_advice_records_total counter\n"
        'baclofen_cds_advice_records_total{result="written"} 1\n'
    )
    routes = {"/metrics"}
    [wrong_metric, wrong_label, wrong_value] = [
        selectors(e)[0]
        for e in (
            "baclofen_cds_advice_record_total",
            'baclofen_cds_advice_records_total{outcome="failed"}',
            'baclofen_cds_advice_records_total{result=~"dropped|lost"}',
        )
    ]
    assert check_selector("x", wrong_metric, samples, routes)
    assert check_selector("x", wrong_label, samples, routes)
    assert check_selector("x", wrong_value, samples, routes) == ["x: result='lost' never occurs"]
    fine = selectors('baclofen_cds_advice_records_total{namespace=~"$ns", result="failed"}')[0]
    assert check_selector("x", fine, samples, routes) == []
