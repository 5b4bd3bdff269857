"""``GET /schedules/view``: a titration or taper schedule as a page a patient can take home.

Server-rendered HTML with an inline SVG step chart (daily dose against day, from the dose being
left) and a table of the steps with calendar dates, the product named as a person writes it,
and on a taper or reduction the withdrawal signs to seek help for. No scripts, no external
resources, printable. The URL carries only the schedule, signed by the service (see
``service.present.schedule_codec``), never who it is for; the words come from the knowledge
base (``counselling.yaml``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, Response

from cds_hooks.errors import bad_request
from service.api.dependencies import KnowledgeDep, LinkSignerDep
from service.api.web import templates
from service.api.web.step_chart import step_chart
from service.clinical.dosing.products import Form, Product
from service.clinical.knowledge import Knowledge
from service.clinical.knowledge.schema import ProductName, WithdrawalWarning
from service.clinical.quantity import is_multiple, whole_steps_in
from service.clinical.schedules import Schedule, ScheduleKind, Step
from service.clinical.wording import number
from service.present.schedule_codec import PrintableSchedule, ScheduleCodecError, decode

router = APIRouter()


@dataclass(frozen=True)
class Row:
    """A row of the schedule's table: ``kind`` is its class ("now", "step-row", "stop")."""

    kind: str
    cells: tuple[str, str, str, str, str]  # step, dates, how to take, per day, days


TITLES = {
    ScheduleKind.TITRATION: "Baclofen: starting and increasing the dose",
    ScheduleKind.TAPER: "Baclofen: reducing the dose step by step",
    ScheduleKind.INTRATHECAL_REDUCTION: "Intrathecal baclofen: gradual reduction",
}


@router.get("/schedules/view", summary="A schedule as a printable page (HTML)")
async def view(request: Request, knowledge: KnowledgeDep, signer: LinkSignerDep) -> Response:
    try:
        printable = decode(request.query_params.multi_items(), signer, knowledge)
    except ScheduleCodecError as error:
        raise bad_request(f"not a schedule: {error}", "query") from None
    return HTMLResponse(render(printable, knowledge))


def product_name(product: Product, knowledge: Knowledge) -> str:
    """'Baclofen 10 mg tablets', 'Intrathecal baclofen 500 mcg/mL' (counselling.yaml)."""
    names: ProductName = getattr(knowledge.counselling.product_names, product.form.value)
    amount: float | None = product.strength_mg
    if product.form in (Form.LIQUID, Form.INTRATHECAL):
        amount = product.concentration_mg_per_ml
        if amount is not None and product.form is Form.INTRATHECAL:
            amount *= 1000  # mcg/mL
    if amount is None:
        return names.without_amount
    return names.with_amount.format(amount=number(amount))


def _dates(schedule: Schedule, start: dt.date) -> list[tuple[dt.date, dt.date | None]]:
    spans: list[tuple[dt.date, dt.date | None]] = []
    day = start
    for step in schedule.steps:
        if step.days is None:
            spans.append((day, None))
        else:
            spans.append((day, day + dt.timedelta(days=step.days - 1)))
            day += dt.timedelta(days=step.days)
    return spans


def _measure(dose: float, schedule: Schedule) -> str:
    """'5 mg (½ tablet)', '7.5 mg (7.5 mL)': what the patient counts or measures."""
    product = schedule.product
    text = f"{number(dose)} {schedule.unit}"
    if product.strength_mg and is_multiple(dose, product.strength_mg / 2):
        halves = whole_steps_in(dose, product.strength_mg / 2)
        whole, half = divmod(halves, 2)
        count = (str(whole) if whole else "") + ("½" if half else "")
        noun = "tablet" if halves <= 2 else "tablets"
        return f"{text} ({count} {noun})"
    if product.concentration_mg_per_ml and schedule.unit == "mg":
        return f"{text} ({number(dose / product.concentration_mg_per_ml)} mL)"
    return text


def _how(step: Step, schedule: Schedule) -> str:
    if step.even:
        times = "time a day" if step.per_day == 1 else "times a day"
        return f"{_measure(step.doses[0], schedule)}, {step.per_day} {times}"
    moments = ["morning", "afternoon", "evening", "night"]
    return ", ".join(f"{_measure(d, schedule)} {moments[i]}" for i, d in enumerate(step.doses))


def _rows(schedule: Schedule, start: dt.date, left_daily: float | None) -> list[Row]:
    rows = []
    if left_daily is not None:
        until = start - dt.timedelta(days=1)
        daily = f"{number(left_daily)} {schedule.unit}"
        rows.append(
            Row("now", ("now", f"until {until:%a %d %b %Y}", "the dose you take now", daily, ""))
        )
    spans = _dates(schedule, start)
    for index, (step, (first, last)) in enumerate(zip(schedule.steps, spans, strict=True), start=1):
        when = (
            f"{first:%a %d %b %Y} to {last:%a %d %b %Y}"
            if last is not None
            else f"from {first:%a %d %b %Y} onwards"
        )
        days = str(step.days) if step.days is not None else "continue"
        daily = f"{number(step.daily)} {schedule.unit}"
        rows.append(Row("step-row", (str(index), when, _how(step, schedule), daily, days)))
    last_day = spans[-1][1]  # None: the last step goes on, there is no stop
    if schedule.kind is not ScheduleKind.TITRATION and last_day is not None:
        stop = last_day + dt.timedelta(days=1)
        rows.append(Row("stop", ("", f"from {stop:%a %d %b %Y}", "stop", "0", "")))
    return rows


def _withdrawal_warning(schedule: Schedule, knowledge: Knowledge) -> WithdrawalWarning | None:
    if schedule.kind is ScheduleKind.TITRATION:
        return None
    warnings = knowledge.counselling.withdrawal_warning
    return warnings.intrathecal if schedule.unit == "mcg" else warnings.oral


def render(printable: PrintableSchedule, knowledge: Knowledge) -> str:
    schedule, start, left = printable.schedule, printable.start, printable.left_daily
    return templates.render(
        "schedule.html",
        title=TITLES[schedule.kind],
        product=product_name(schedule.product, knowledge),
        start=start,
        warning=_withdrawal_warning(schedule, knowledge),
        chart=step_chart(schedule, left),
        rows=_rows(schedule, start, left),
        advice=[line.text for line in knowledge.counselling.patient_instruction],
    )
