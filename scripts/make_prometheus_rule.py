"""Write deploy/monitoring/prometheusrule.yaml from deploy/monitoring/alerts.rules.yaml.

The plain rules file is the one edited and unit-tested (promtool); the PrometheusRule carries
the same groups for the Prometheus Operator. tests/deploy fails when they differ; then run
    .venv/bin/python scripts/make_prometheus_rule.py
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

MONITORING = Path(__file__).resolve().parent.parent / "deploy" / "monitoring"
HEADER = """\
# The alerts of alerts.rules.yaml for the Prometheus Operator: `spec` is that file's content,
# written by scripts/make_prometheus_rule.py (tests/deploy checks that they are identical).
# Your Prometheus must select it: kube-prometheus-stack selects PrometheusRules by its Helm
# release's label (`release: <name>`) unless ruleSelectorNilUsesHelmValues is false.
"""


class _Dumper(yaml.SafeDumper):
    pass


def _text(dumper: yaml.SafeDumper, data: str) -> Any:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _text)


def main() -> None:
    rules = yaml.safe_load((MONITORING / "alerts.rules.yaml").read_text())
    resource = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": "baclofen-cds", "labels": {"app.kubernetes.io/name": "baclofen-cds"}},
        "spec": rules,
    }
    body = yaml.dump(resource, Dumper=_Dumper, sort_keys=False, width=1000, allow_unicode=True)
    (MONITORING / "prometheusrule.yaml").write_text(HEADER + body)


if __name__ == "__main__":
    main()
