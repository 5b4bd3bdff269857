"""``evaluate --explain``: what the service read, which rules ran, were skipped or silenced."""

from __future__ import annotations

import asyncio
import copy
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from service.clinical.assess import assess
from service.clinical.knowledge import Knowledge
from service.pipeline.evaluator import EvaluationResult, Evaluator
from service.pipeline.examples import Fixture, all_fixtures, find_fixture
from service.pipeline.explain import trace
from tests.cli.test_cli import run
from tests.conftest import FIXTURES, PUBLIC_BASE_URL


def evaluated(fixture: Fixture, knowledge: Knowledge) -> EvaluationResult:
    evaluator = Evaluator(
        knowledge, base_url=PUBLIC_BASE_URL, clock=lambda: fixture.evaluation_date
    )
    return asyncio.run(evaluator.evaluate(fixture.service, copy.deepcopy(fixture.request)))


@pytest.mark.parametrize("fixture", list(all_fixtures()), ids=lambda f: f.key)
def test_the_explanation_runs_the_rules_as_the_evaluation_does(
    fixture: Fixture, knowledge: Knowledge
) -> None:
    # The explanation re-runs the rules from outside the core: what it says fired must be
    # exactly what the core found, rule by rule, or it explains another answer.
    result = evaluated(fixture, knowledge)
    case = result.case
    assert case is not None
    findings = assess(case, knowledge).findings
    assert Counter(trace(case, knowledge).fired) == Counter(f.rule for f in findings)
    assert Counter(result.rule_codes) == Counter(f.rule for f in findings)


def explained(capsys: pytest.CaptureFixture[str], name: str, *options: str) -> tuple[str, Any]:
    path = find_fixture(name).path
    code, out, err = run(capsys, "evaluate", str(path), "--explain", *options)
    assert code == 0, err
    return " ".join(err.split()), json.loads(out)  # the answer stays clean JSON on stdout


def test_what_was_read_for_an_increase(capsys: pytest.CaptureFixture[str]) -> None:
    text, answer = explained(capsys, "03")
    assert len(answer["cards"]) == 3
    assert "as of 2026-11-23" in text
    assert "sent by the client allergies, conditions, medications, observations, patient" in text
    assert "age 45 years (born 1981-10-24)" in text
    assert "weight Body weight 80 kg (2026-11-03), from an Observation coded 29463-7" in text
    assert "renal function eGFR 95 mL/min/1.73m2 (2026-09-24), from an Observation coded" in text
    assert "daily dose 120 mg/day (40 mg three times daily)" in text
    assert (
        "change an increase from baclofen 20 MG Oral Tablet, 60 mg/day (20 mg three times daily)"
        in text
    )
    assert "product baclofen 20 MG Oral Tablet" in text
    assert (
        "fired: dose-above-max (critical), tablet-strength (info), titration-too-fast (warning)"
        in text
    )
    assert "ran, found nothing: contraindication-epilepsy" in text
    assert "Answer: 3 card(s)" in text


def test_no_baclofen_recognised_is_told_apart_from_rules_that_passed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text, answer = explained(capsys, "14")
    assert answer == {"cards": []}
    assert "No baclofen order was recognised among the draft orders, so no rule ran" in text
    assert "draft medications: ibuprofen 200 MG Oral Tablet" in text

    text, answer = explained(capsys, "12")  # intrathecal 900 mcg/day: rules ran, nothing found
    assert answer == {"cards": []}
    assert "fired: none" in text and "ran, found nothing: " in text
    assert "change an increase from baclofen 2 MG/ML Intrathecal Solution" in text


def test_a_stop_skips_all_but_the_stop_rules_and_says_why(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text, _ = explained(capsys, "11")
    assert "change a stop (status stopped) of 45 mg/day" in text
    assert "fired: abrupt-discontinuation (warning)" in text
    assert "skipped (the order stops therapy): contraindication-epilepsy" in text


def test_patient_view_skips_the_dose_change_rules(capsys: pytest.CaptureFixture[str]) -> None:
    text, _ = explained(capsys, "13")
    assert "skipped (patient-view checks no dose change): " in text
    assert "an active order, checked as it stands" in text


def test_a_new_start_and_data_the_client_did_not_send(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    scenario = json.loads((FIXTURES / "02-new-start-15-mg-tid.json").read_text())
    scenario["request"]["prefetch"].pop("observations")
    path = tmp_path / "no-observations.json"
    path.write_text(json.dumps(scenario))
    code, _, err = run(capsys, "evaluate", str(path), "--explain")
    text = " ".join(err.split())
    assert code == 0
    assert "change a new start: no active baclofen order" in text
    assert "could not be obtained observations: not sent in prefetch" in text
    assert "weight none recorded" in text
    assert "renal function no CrCl or eGFR recent enough; the observations could not be" in text
    assert "data-missing (warning)" in text


def test_silenced_findings_are_named(capsys: pytest.CaptureFixture[str]) -> None:
    # 41: a dose written in grams: the unit is suspect, the checks that trust the dose are
    # dropped from the answer, and the explanation says so instead of "found nothing".
    text, answer = explained(capsys, "41")
    rules = {card["source"]["topic"]["code"] for card in answer["cards"]}
    assert "dose-unit-suspect" in rules
    assert "silenced (the dose is probably in the wrong unit (dose-unit-suspect)): " in text
