"""Which cards silence which is declared in rules.yaml (``when_fired_silences``) and applied by
the evaluation without naming a rule: without the declaration, nothing is silenced.

(With it, a unit error is the only card: tests/clinical/rules/test_dose.py.)"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from service.clinical.knowledge import Knowledge
from tests.factories import BACLOFEN_10, dosage, hook_request, med_request


@pytest.fixture
def knowledge(knowledge: Knowledge) -> Knowledge:
    """The knowledge with dose-unit-suspect declaring no silence."""
    rules = dict(knowledge.rules_file.rules)
    rules["dose-unit-suspect"] = rules["dose-unit-suspect"].model_copy(
        update={"when_fired_silences": None}
    )
    rules_file = knowledge.rules_file.model_copy(update={"rules": rules})
    return dataclasses.replace(knowledge, rules_file=rules_file)


def test_without_the_declaration_the_cards_on_the_wrong_number_are_back(
    fired: Callable[..., dict[str, str]],
) -> None:
    draft = med_request(BACLOFEN_10, [dosage(10, "g", frequency=3)])  # 30 000 mg/day
    codes = fired(hook_request([draft]))
    assert codes["dose-unit-suspect"] == "critical"
    assert codes["dose-above-max"] == "critical"
