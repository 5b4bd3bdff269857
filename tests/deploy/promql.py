"""The series a PromQL expression reads: metric names and the label matchers on each.

Enough of PromQL for the expressions of deploy/monitoring (selectors, functions, aggregations
with ``by``/``without``, binary operators with ``on``/``ignoring``/``group_*``, ranges, offsets,
Grafana's ``$variables``); not a general parser. It errs towards finding too much: anything
that is not a keyword, a function, a grouping label or a number is taken for a metric, so a
metric cannot hide from the check that uses this.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# https://prometheus.io/docs/prometheus/latest/querying/functions/ (those one might use here)
FUNCTIONS = frozenset(
    {
        "abs", "absent", "absent_over_time", "avg_over_time", "ceil", "changes", "clamp",
        "clamp_max", "clamp_min", "count_over_time", "day_of_week", "delta", "deriv", "exp",
        "floor", "histogram_quantile", "holt_winters", "idelta", "increase", "irate",
        "label_join", "label_replace", "label_values", "last_over_time", "ln", "log2", "log10",
        "max_over_time", "min_over_time", "predict_linear", "quantile_over_time", "rate",
        "resets", "round", "scalar", "sort", "sort_desc", "sqrt", "stddev_over_time",
        "sum_over_time", "time", "timestamp", "vector",
    }
)  # fmt: skip
AGGREGATIONS = frozenset(
    {
        "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
        "bottomk", "topk", "quantile",
    }
)  # fmt: skip
KEYWORDS = frozenset({"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring"})
_GROUPING = re.compile(
    r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)", re.IGNORECASE
)
_MATCHER = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"')
# Braces inside quoted values ("/cds-services/{service_id}") do not end a selector.
_SELECTOR = re.compile(r'([a-zA-Z_:][a-zA-Z0-9_:]*)?\s*\{((?:[^}"]|"(?:[^"\\]|\\.)*")*)\}')
# Grafana's label_values(SELECTOR, LABEL): the label is not a metric.
_LABEL_VALUES = re.compile(r"\blabel_values\s*\((.*),\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)")
_IDENTIFIER = re.compile(r"(?<![\w$.])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w])")


@dataclass(frozen=True)
class Matcher:
    label: str
    operator: str
    value: str


@dataclass(frozen=True)
class Selector:
    metric: str
    matchers: tuple[Matcher, ...]


def selectors(expression: str) -> list[Selector]:
    """Every series selector of the expression: its metric and its label matchers."""
    text = _LABEL_VALUES.sub(r"\1", expression)
    found: list[Selector] = []

    def braces(match: re.Match[str]) -> str:
        matchers = tuple(Matcher(*m) for m in _MATCHER.findall(match.group(2)))
        name = match.group(1) or ""
        if name in KEYWORDS or name in FUNCTIONS or name in AGGREGATIONS:
            found.append(Selector("", matchers))
            return f" {name} "
        found.append(Selector(name, matchers))
        return " "

    text = _SELECTOR.sub(braces, text)
    text = re.sub(r"\[[^\]]*\]", " ", text)  # range and subquery durations
    text = _GROUPING.sub(" ", text)
    text = re.sub(r'"(?:[^"\\]|\\.)*"', " ", text)  # string arguments (label_replace)
    for name in _IDENTIFIER.findall(text):
        if name in FUNCTIONS or name in AGGREGATIONS or name in KEYWORDS:
            continue
        if re.fullmatch(r"(?:inf|nan|[0-9].*|e[0-9]+)", name, re.IGNORECASE):
            continue
        found.append(Selector(name, ()))
    # A selector written {__name__="x"} names its metric in a matcher.
    named = [
        Selector(next(m.value for m in s.matchers if m.label == "__name__"), s.matchers)
        if not s.metric and any(m.label == "__name__" for m in s.matchers)
        else s
        for s in found
    ]
    unnamed = [s for s in named if not s.metric]
    assert not unnamed, f"a selector without a metric name in {expression!r}"
    return named


def metrics(expression: str) -> set[str]:
    return {selector.metric for selector in selectors(expression)}
