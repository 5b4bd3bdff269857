"""Titration, taper and intrathecal reduction schedules, as the catalogue states them.

A schedule is a list of steps; a step is the doses of one day (in mg, or mcg intrathecal) and
how many days it lasts. Every dose is one the product can give: a multiple of half a tablet of
the ordered strength, of half a millilitre of the ordered solution, or of 5 mcg intrathecally.
Uneven days are allowed ("10 mg, 10 mg, 5 mg"): that is how a 5 mg/day step is given with
three doses a day.

The generators are pure functions of the doses, the product and the patient's ceiling; the
invariants (start, step sizes, durations, ceilings) are proved by property-based tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from service.clinical.dosing.deliverable import dose_step_mg, round_down, split_daily
from service.clinical.dosing.products import Form, Product, product_of_code
from service.clinical.knowledge import Knowledge
from service.clinical.quantity import (
    amount,
    amount_sum,
    is_multiple,
    steps_of,
    whole_steps_covering,
)
from service.clinical.wording import frequency_text, number

# No real schedule has more steps (the slowest, 5 to 100 mg/day at +5 mg/day, has 20). A
# dose absurd enough to need more (1e15 mg/day from a record) would otherwise have the loops
# below build trillions of steps: the request would hang, and every request behind it.
MAX_STEPS = 40

# The product used when the ordered strength cannot give the 5 mg/day steps a taper or a
# slow titration needs (half of a 20 or 25 mg tablet is 10 or 12.5 mg).


class ScheduleKind(StrEnum):
    TITRATION = "titration"
    TAPER = "taper"
    INTRATHECAL_REDUCTION = "intrathecal-reduction"


def doses_text(doses: tuple[float, ...], unit: str) -> str:
    """(10, 10, 10) -> '10 mg three times daily'; (10, 10, 5) -> '10 mg + 10 mg + 5 mg'."""
    if len(set(doses)) == 1:
        return f"{number(doses[0])} {unit} {frequency_text(len(doses))}"
    return " + ".join(f"{number(d)} {unit}" for d in doses)


@dataclass(frozen=True)
class Step:
    doses: tuple[float, ...]  # the doses of one day, largest first
    days: int | None  # None: open-ended (the last step of a titration)

    @property
    def daily(self) -> float:
        return amount_sum(self.doses)

    @property
    def per_day(self) -> int:
        return len(self.doses)

    @property
    def even(self) -> bool:
        return len(set(self.doses)) == 1

    def text(self, unit: str) -> str:
        """'10 mg three times daily for 3 days', '10 mg + 5 mg + 5 mg (20 mg/day) for 3 days'."""
        what = doses_text(self.doses, unit)
        if not self.even:
            what += f" ({number(self.daily)} {unit}/day)"
        if self.days is None:
            return f"{what} from then on"
        return f"{what} for {self.days} day" + ("s" if self.days != 1 else "")


@dataclass(frozen=True)
class Schedule:
    kind: ScheduleKind
    unit: str  # "mg" or "mcg"
    steps: tuple[Step, ...]
    product: Product  # the product the doses are measured in
    substituted: bool = False  # the ordered strength could not give every step

    @property
    def total_days(self) -> int:
        return sum(step.days or 0 for step in self.steps)

    @property
    def final_daily(self) -> float:
        return self.steps[-1].daily


def _unit_for(
    product: Product, needed_step: float | None, knowledge: Knowledge
) -> tuple[Product, float, bool]:
    """The product and dose step to use so that steps of ``needed_step`` mg can be given.

    Half of a 20 or 25 mg tablet is 10 or 12.5 mg: a 5 mg/day step cannot be given with them,
    so such schedules are written in 10 mg tablets (and say so).
    """
    steps = knowledge.dosing.deliverable
    step = dose_step_mg(product, steps)
    if needed_step is None or is_multiple(needed_step, step):
        return product, step, False
    if product.form in (Form.TABLET, Form.GRANULES, Form.UNKNOWN):
        substitute = product_of_code(knowledge.dosing.schedules.substitute_product, knowledge)
        return substitute, dose_step_mg(substitute, steps), True
    return product, step, False


def titration(
    *,
    knowledge: Knowledge,
    product: Product,
    target_daily: float,
    ceiling_daily: float,
    slow: bool,
    from_daily: float | None = None,
) -> Schedule | None:
    """A titration to ``min(target, ceiling)``.

    A new start (``from_daily`` None) begins at 5 mg three times daily (or the ceiling, if
    lower); an increase begins one step above ``from_daily``. Each step lasts the titration
    interval and raises the daily dose by at most 15 mg (5 mg in the slow variant); the last
    step has no end. A product that cannot give the 5 mg doses (half of a 20 or 25 mg tablet
    is 10 or 12.5 mg) is replaced by 10 mg tablets, and the schedule says so. ``None`` when
    there is nothing to titrate.
    """
    data = knowledge.dosing.titration
    oral = knowledge.dosing.oral
    increment = data.slow_step_daily_mg if slow else data.max_step_daily_mg
    per_dose_step = increment / oral.start_frequency_per_day if not slow else increment
    needed = min(oral.start_dose_mg, per_dose_step)
    product, unit, substituted = _unit_for(product, needed, knowledge)
    cap = round_down(min(target_daily, ceiling_daily), unit)
    if cap <= 0:
        return None
    levels: list[float] = []
    if from_daily is None:
        current = round_down(min(oral.start_daily_mg, cap), unit)
        if current <= 0:
            return None
        levels.append(current)
    else:
        current = amount(from_daily)
    while current < cap:
        following = round_down(min(current + increment, cap), unit)
        if following <= current:
            break
        levels.append(following)
        current = following
        if len(levels) > MAX_STEPS:
            return None
    if not levels:
        return None
    last = len(levels) - 1
    steps = tuple(
        Step(
            split_daily(level, unit, oral.start_frequency_per_day),
            None if i == last else data.interval_days,
        )
        for i, level in enumerate(levels)
    )
    return Schedule(ScheduleKind.TITRATION, "mg", steps, product, substituted)


def taper(
    *,
    knowledge: Knowledge,
    product: Product,
    from_daily: float,
    to_daily: float = 0.0,
    long: bool,
    per_day: int = 3,
    final_per_day: int | None = None,
) -> Schedule | None:
    """A taper from ``from_daily`` down to ``to_daily`` (0: stop).

    Each step lowers the daily dose by at most 15 mg (5 mg at or below 15 mg/day) and lasts at
    least 3 days. A taper to zero lasts at least 14 days (21 when ``long``) and at most 42; a
    taper to a lower maintenance dose ends with that dose, open-ended. ``None`` when no
    schedule can respect the limits (a dose far above the maximum).
    """
    data = knowledge.dosing.taper
    from_daily, to_daily = amount(from_daily), amount(to_daily)
    if to_daily >= from_daily:
        return None
    product, unit, substituted = _unit_for(product, data.low_dose_step_daily_mg, knowledge)
    floor = round_down(to_daily, unit) if to_daily > 0 else 0.0

    def following(previous: float) -> float:
        if previous > data.low_dose_below_daily_mg:
            candidate = max(previous - data.max_step_daily_mg, data.low_dose_below_daily_mg)
        else:
            candidate = previous - data.low_dose_step_daily_mg
        # Round up to what the product gives: a cut is never bigger than allowed. With a step
        # of at most 5 mg there is always such a dose below `previous`.
        lower = steps_of(whole_steps_covering(candidate, unit), unit)
        return max(lower, floor)

    levels: list[float] = []
    previous = from_daily
    while (lower := following(previous)) > floor:
        levels.append(lower)
        previous = lower
        if len(levels) > MAX_STEPS:
            return None
    if floor == 0 and not levels:
        # 5 mg/day or less: stopping is one step of at most 5 mg. The current dose is held
        # long enough to make it a taper (it is what the patient already takes).
        if from_daily <= 0:
            return None
        held = _taper_days(1, knowledge, long)
        if held is None:
            return None
        step = Step((from_daily,), held[0])
        return Schedule(ScheduleKind.TAPER, "mg", (step,), product, substituted)
    if floor > 0:
        durations = [data.min_step_days] * len(levels)
    else:
        found = _taper_days(len(levels), knowledge, long)
        if found is None:
            return None
        durations = found
    steps = [
        Step(split_daily(level, unit, per_day), days)
        for level, days in zip(levels, durations, strict=True)
    ]
    if floor > 0:
        # The dose the taper arrives at is kept as prescribed ("5 mg once daily" in renal
        # failure stays one dose, not two halves of a 5 mg tablet).
        steps.append(Step(split_daily(floor, unit, final_per_day or per_day), None))
    return Schedule(ScheduleKind.TAPER, "mg", tuple(steps), product, substituted)


def _taper_days(steps: int, knowledge: Knowledge, long: bool) -> list[int] | None:
    data = knowledge.dosing.taper
    minimum = data.min_days_long if long else data.min_days
    total = max(minimum, steps * data.min_step_days)
    if total > data.max_days:
        return None
    base, extra = divmod(total, steps)
    # Extra days go to the last steps: the end of a taper is where withdrawal shows.
    return [base + (1 if i >= steps - extra else 0) for i in range(steps)]


def intrathecal_reduction(
    *, knowledge: Knowledge, product: Product, from_mcg: float, to_mcg: float = 0.0
) -> Schedule | None:
    """A gradual intrathecal reduction from ``from_mcg`` to ``to_mcg`` (0: towards a stop).

    Each step lowers the daily dose by at most 20 % of the step before it (rounded to whole
    5 mcg, upwards, so that a cut is never larger) and lasts ``step_days``. A cut ends at
    ``to_mcg``; a stop ends at a last step at or below the stop threshold (100 mcg/day): the
    pump is switched off from there only under specialist supervision with oral cover, never
    by the schedule. The last step is open-ended: the schedule never ends with a silent stop.
    """
    data = knowledge.dosing.intrathecal.reduction
    if from_mcg <= 0 or to_mcg >= from_mcg:
        return None
    to_mcg = amount(to_mcg)
    floor = to_mcg if to_mcg > 0 else data.stop_at_or_below_mcg
    pump = knowledge.dosing.deliverable
    levels: list[float] = []
    level = amount(from_mcg)
    while level > floor and level != to_mcg:
        lowest = amount(level * (1 - data.max_step_fraction))
        large = amount(level - lowest) >= pump.intrathecal_mcg
        quantum = pump.intrathecal_mcg if large else pump.intrathecal_small_mcg
        following = steps_of(whole_steps_covering(lowest, quantum), quantum)
        if following >= level:
            following = amount(level - quantum)
        level = to_mcg if following <= to_mcg else following
        levels.append(level)
        if len(levels) > MAX_STEPS:
            return None
    if not levels:
        # Already at or below the threshold: the reduction is to keep this dose, open-ended.
        levels.append(from_mcg)
    last = len(levels) - 1
    steps = tuple(
        Step((value,), None if i == last else data.step_days) for i, value in enumerate(levels)
    )
    return Schedule(ScheduleKind.INTRATHECAL_REDUCTION, "mcg", steps, product)
