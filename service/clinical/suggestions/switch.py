"""Switching the product of an order while keeping its dose: the lactose-free solution."""

from __future__ import annotations

from service.clinical.findings import SuggestionSpec, SwitchProduct
from service.clinical.limits import oral_ceiling
from service.clinical.quantity import amount
from service.clinical.rule_input import RuleInput
from service.clinical.suggestions.current import established_daily
from service.clinical.wording import number


def _keeps_limits(inp: RuleInput, daily: float | None) -> bool:
    """The switch keeps the ordered daily dose: offered only where that dose keeps every
    other limit (the ceiling, and no abrupt cut from the current dose)."""
    if daily is None:
        return False
    ceiling = oral_ceiling(inp.patient, inp.knowledge)
    before = established_daily(inp)
    cut = inp.knowledge.dosing.discontinuation.max_cut_daily_mg
    return amount(daily) <= ceiling.daily_mg and (
        before is None or amount(daily) >= amount(before - cut)
    )


def lactose_free_switch(inp: RuleInput) -> tuple[SuggestionSpec, ...]:
    """The order's doses in the lactose-free solution (dosing.yaml), as one switch; none for
    a schedule, a dose that cannot be read, or a dose another limit forbids."""
    steps = inp.order.dose.steps
    step = steps[0]
    code = inp.knowledge.dosing.oral.lactose_free_product
    product = inp.knowledge.medications.baclofen.products[code]
    strength = product.concentration_mg_per_ml
    if len(steps) != 1 or not step.per_dose or not step.per_day or not strength:
        return ()
    if not _keeps_limits(inp, step.daily):
        return ()
    label = inp.knowledge.words(
        "switch_to_solution",
        product=product.display,
        dose=number(step.per_dose),
        volume=number(step.per_dose / strength),
    )
    before = established_daily(inp)
    switch = SwitchProduct(
        inp.order,
        product.display,
        (step.per_dose,) * round(step.per_day),
        label,
        rxnorm=code,
        concentration_mg_per_ml=strength,
        recommended=True,
        # Keeping the ordered dose keeps its increase too: beside a contraindication that
        # blocks increases, the switch is withheld like any other raise.
        raises=before is not None and amount(step.daily or 0.0) > amount(before),
    )
    return (switch,)


__all__ = ["lactose_free_switch"]
