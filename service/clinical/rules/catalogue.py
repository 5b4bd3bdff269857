"""Every rule, in the order the evaluation runs them (and their cards are listed).

The one list of the rules: adding a rule is adding its entry here and its entry in
rules.yaml, and ``check_catalogue`` refuses to start when the two disagree.
"""

from __future__ import annotations

from service.clinical.knowledge import Knowledge, KnowledgeError
from service.clinical.rules import (
    conditions,
    data,
    dose,
    duplicates,
    interactions,
    intrathecal,
    monitoring,
    population,
    renal,
    titration,
)
from service.clinical.rules.base import AnswerRule, OrderRule

ORDER_RULES: tuple[OrderRule, ...] = (
    OrderRule(conditions.epilepsy, ("contraindication-epilepsy",)),
    OrderRule(conditions.parkinsons, ("contraindication-parkinsons",)),
    OrderRule(conditions.cerebrovascular, ("caution-cerebrovascular",)),
    OrderRule(conditions.respiratory, ("caution-respiratory",)),
    OrderRule(conditions.alcohol, ("interaction-alcohol",)),
    OrderRule(conditions.psychosis, ("contraindication-psychosis", "caution-psychosis-history")),
    OrderRule(conditions.hypersensitivity, ("contraindication-hypersensitivity",)),
    OrderRule(
        conditions.peptic_ulcer, ("contraindication-peptic-ulcer", "caution-peptic-ulcer-history")
    ),
    OrderRule(conditions.excipient_lactose, ("excipient-lactose",)),
    OrderRule(conditions.pregnancy, ("contraindication-pregnancy",)),
    OrderRule(conditions.lactation, ("contraindication-lactation",)),
    OrderRule(data.data_missing, (data.CODE,)),
    OrderRule(dose.dose_unverifiable, ("dose-unverifiable",)),
    OrderRule(dose.dose_unit_suspect, ("dose-unit-suspect",)),
    OrderRule(dose.dose_above_max, ("dose-above-max",)),
    OrderRule(dose.dose_above_label, ("dose-above-label",)),
    OrderRule(dose.tablet_strength, ("tablet-strength",)),
    OrderRule(interactions.interactions, interactions.CODES),
    OrderRule(intrathecal.intrathecal_route, ("intrathecal-route",)),
    OrderRule(intrathecal.intrathecal_dose_high, ("intrathecal-dose-high",)),
    OrderRule(
        intrathecal.intrathecal_discontinuation, ("intrathecal-discontinuation",), on_stop=True
    ),
    OrderRule(monitoring.monitoring_hepatic, ("monitoring-hepatic",)),
    OrderRule(monitoring.monitoring_glucose, ("monitoring-glucose",)),
    OrderRule(monitoring.monitoring_renal, ("monitoring-renal",)),
    OrderRule(population.pediatric_age_contraindicated, ("pediatric-age-contraindicated",)),
    OrderRule(population.pediatric_caution, ("pediatric-caution",)),
    OrderRule(population.pediatric_dose, ("pediatric-dose",)),
    OrderRule(population.weight_missing, ("weight-missing",)),
    OrderRule(population.elderly, ("elderly",)),
    OrderRule(renal.renal_contraindication, ("renal-contraindication",)),
    OrderRule(renal.renal_impairment, ("renal-impairment",)),
    OrderRule(titration.start_dose_high, ("start-dose-high",)),
    OrderRule(titration.titration_plan, ("titration-plan",)),
    OrderRule(titration.titration_too_fast, ("titration-too-fast",)),
    OrderRule(titration.abrupt_discontinuation, ("abrupt-discontinuation",), on_stop=True),
)

# Run after every order's rules, in this order: the last sees every card before it.
ANSWER_RULES: tuple[AnswerRule, ...] = (
    AnswerRule(duplicates.duplicate_therapy, (duplicates.CODE,)),
    AnswerRule(data.unidentified_orders, (data.CODE,)),
    AnswerRule(data.orders_not_evaluated, (data.CODE,)),
    AnswerRule(data.unchecked, (data.CODE,)),
)


def catalogue_codes() -> set[str]:
    """Every rule code the catalogue's rules may produce."""
    codes = {code for entry in ORDER_RULES for code in entry.codes}
    return codes | {code for entry in ANSWER_RULES for code in entry.codes}


def check_catalogue(knowledge: Knowledge) -> None:
    """Refuse to run when code and knowledge disagree about the rule codes."""
    in_code, in_data = catalogue_codes(), set(knowledge.rules_file.rules)
    if in_code != in_data:
        raise KnowledgeError(
            "rules.yaml and the rule code disagree: "
            f"only in code {sorted(in_code - in_data)}, only in data {sorted(in_data - in_code)}"
        )
    order_codes = [code for entry in ORDER_RULES for code in entry.codes]
    if len(order_codes) != len(set(order_codes)):
        # One card per rule and order: two rules producing one code would hide each other.
        raise KnowledgeError("a rule code is produced by two rules of an order")


__all__ = ["ANSWER_RULES", "ORDER_RULES", "catalogue_codes", "check_catalogue"]
