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
from html import escape

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, Response

from cds_hooks.errors import bad_request
from service.clinical.dosing.products import Form, Product
from service.clinical.knowledge import Knowledge
from service.clinical.knowledge.schema import ProductName
from service.clinical.quantity import is_multiple, whole_steps_in
from service.clinical.schedules import Schedule, ScheduleKind, Step
from service.clinical.wording import number
from service.present.schedule_codec import PrintableSchedule, ScheduleCodecError, decode

router = APIRouter()

TITLES = {
    ScheduleKind.TITRATION: "Baclofen: starting and increasing the dose",
    ScheduleKind.TAPER: "Baclofen: reducing the dose step by step",
    ScheduleKind.INTRATHECAL_REDUCTION: "Intrathecal baclofen: gradual reduction",
}
WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 40
OPEN_STEP_DAYS = 7  # how much of an open-ended last step the chart shows
NOW_DAYS = 3  # how wide the chart draws the dose being left, before day 1

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:50rem;
  margin:1.5rem auto;padding:0 1rem;color:#1a1a1a;line-height:1.45}
h1{font-size:1.4rem;margin-bottom:.2rem}
.meta{color:#555;margin-top:0}
.chart{width:100%;height:auto;border:1px solid #ddd;border-radius:6px;background:#fafafa}
.chart .axis{stroke:#888;stroke-width:1}
.chart .riser{stroke:#1f5f8b;stroke-width:2}
.chart .step{fill:#cfe3f2;stroke:#1f5f8b;stroke-width:2}
.chart .open{fill:#e4f0f8;stroke-dasharray:6 4}
.chart .now{fill:#eeeeee;stroke:#888;stroke-width:2;stroke-dasharray:3 3}
.chart text{font-size:12px;fill:#333}
.chart .value{font-weight:600}
table{border-collapse:collapse;width:100%;margin:1rem 0}
th,td{border:1px solid #ccc;padding:.35rem .5rem; text-align:left}
th{background:#f0f0f0}
tr.stop td{font-weight:600}
tr.now td{color:#555;font-style:italic}
.warning{border-left:4px solid #b00020;padding:.4rem .8rem;background:#fdecee}
.warning p{margin:.2rem 0}
footer{color:#666;font-size:.85rem;margin-top:1.5rem}
@media print{body{margin:0;max-width:none} .chart{border:none} footer{display:none}}
"""


@router.get("/schedules/view", summary="A schedule as a printable page (HTML)")
async def view(request: Request) -> Response:
    state = request.app.state
    try:
        printable = decode(request.query_params.multi_items(), state.link_signer, state.knowledge)
    except ScheduleCodecError as error:
        raise bad_request(f"not a schedule: {error}", "query") from None
    return HTMLResponse(render(printable, state.knowledge))


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


def _chart(schedule: Schedule, left_daily: float | None) -> str:
    lengths = [step.days or OPEN_STEP_DAYS for step in schedule.steps]
    before = NOW_DAYS if left_daily is not None else 0  # the dose being left, before day 1
    total = sum(lengths)
    peak = max([step.daily for step in schedule.steps] + [left_daily or 0])
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(day: float) -> float:
        return LEFT + plot_w * (day + before) / (total + before)

    def y(dose: float) -> float:
        return TOP + plot_h * (1 - dose / (peak * 1.1))

    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="Daily dose by day" xmlns="http://www.w3.org/2000/svg">',
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" '
        'class="axis"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" class="axis"/>',
        f'<text x="{LEFT - 8}" y="{y(peak):.1f}" class="tick" text-anchor="end">'
        f"{number(peak)}</text>",
        f'<text x="{LEFT - 8}" y="{TOP + plot_h}" class="tick" text-anchor="end">0</text>',
        f'<text x="{x(0):.1f}" y="{HEIGHT - 8}" class="label">day 1</text>',
        f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - 8}" class="label" text-anchor="end">'
        f"day {total}{'+' if schedule.steps[-1].days is None else ''}</text>",
        f'<text x="12" y="{TOP + plot_h / 2:.1f}" class="label" transform="rotate(-90 12 '
        f'{TOP + plot_h / 2:.1f})" text-anchor="middle">{escape(schedule.unit)}/day</text>',
    ]
    day = 0.0
    previous_y: float | None = None
    if left_daily is not None:
        top = y(left_daily)
        parts.append(
            f'<rect class="now" data-daily="{number(left_daily)}" x="{x(-before):.1f}" '
            f'y="{top:.1f}" width="{x(0) - x(-before):.1f}" height="{TOP + plot_h - top:.1f}">'
            f"<title>Now: {number(left_daily)} {escape(schedule.unit)}/day</title></rect>"
        )
        parts.append(f'<text x="{(x(-before) + x(0)) / 2:.1f}" y="{top - 4:.1f}" class="value" '
                     f'text-anchor="middle">now {number(left_daily)}</text>')  # fmt: skip
        previous_y = top
    for index, (step, length) in enumerate(zip(schedule.steps, lengths, strict=True), start=1):
        top = y(step.daily)
        if previous_y is not None:
            parts.append(f'<line x1="{x(day):.1f}" y1="{previous_y:.1f}" x2="{x(day):.1f}" '
                         f'y2="{top:.1f}" class="riser"/>')  # fmt: skip
        open_end = step.days is None
        parts.append(
            f'<rect class="step{" open" if open_end else ""}" data-step="{index}" '
            f'data-daily="{number(step.daily)}" data-days="{step.days or ""}" '
            f'x="{x(day):.1f}" y="{top:.1f}" width="{x(day + length) - x(day):.1f}" '
            f'height="{TOP + plot_h - top:.1f}"><title>Step {index}: '
            f"{number(step.daily)} {escape(schedule.unit)}/day</title></rect>"
        )
        parts.append(f'<text x="{(x(day) + x(day + length)) / 2:.1f}" y="{top - 4:.1f}" '
                     f'class="value" text-anchor="middle">{number(step.daily)}</text>')  # fmt: skip
        previous_y = top
        day += length
    parts.append("</svg>")
    return "".join(parts)


def _table(schedule: Schedule, start: dt.date, left_daily: float | None) -> str:
    rows = []
    if left_daily is not None:
        until = start - dt.timedelta(days=1)
        rows.append(
            f'<tr class="now"><td>now</td><td>until {until:%a %d %b %Y}</td>'
            f"<td>the dose you take now</td><td>{number(left_daily)} {escape(schedule.unit)}</td>"
            "<td></td></tr>"
        )
    for index, (step, (first, last)) in enumerate(
        zip(schedule.steps, _dates(schedule, start), strict=True), start=1
    ):
        when = (
            f"{first:%a %d %b %Y} to {last:%a %d %b %Y}"
            if last is not None
            else f"from {first:%a %d %b %Y} onwards"
        )
        days = str(step.days) if step.days is not None else "continue"
        rows.append(
            f'<tr class="step-row"><td>{index}</td><td>{when}</td>'
            f"<td>{escape(_how(step, schedule))}</td>"
            f"<td>{number(step.daily)} {escape(schedule.unit)}</td><td>{days}</td></tr>"
        )
    if schedule.kind is not ScheduleKind.TITRATION and schedule.steps[-1].days is not None:
        after = _dates(schedule, start)[-1][1]
        assert after is not None
        stop = after + dt.timedelta(days=1)
        rows.append(f'<tr class="stop"><td></td><td>from {stop:%a %d %b %Y}</td>'
                    f"<td>stop</td><td>0</td><td></td></tr>")  # fmt: skip
    return (
        "<table><thead><tr><th>Step</th><th>Dates</th><th>How to take</th>"
        "<th>Per day</th><th>Days</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
    )


def _withdrawal_warning(schedule: Schedule, knowledge: Knowledge) -> str:
    if schedule.kind is ScheduleKind.TITRATION:
        return ""
    warnings = knowledge.counselling.withdrawal_warning
    warning = warnings.intrathecal if schedule.unit == "mcg" else warnings.oral
    signs = "".join(f"<li>{escape(sign)}</li>" for sign in warning.signs)
    return f'<div class="warning"><p>{escape(warning.lead)}</p><ul>{signs}</ul></div>'


def render(printable: PrintableSchedule, knowledge: Knowledge) -> str:
    schedule, start, left = printable.schedule, printable.start, printable.left_daily
    title = TITLES[schedule.kind]
    product = product_name(schedule.product, knowledge)
    counselling = [line.text for line in knowledge.counselling.patient_instruction]
    advice = "".join(f"<li>{escape(line)}</li>" for line in counselling)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>{STYLE}</style></head><body>
<h1>{escape(title)}</h1>
<p class="meta">{escape(product)} · starting {start:%A %d %B %Y}</p>
{_withdrawal_warning(schedule, knowledge)}
{_chart(schedule, left)}
{_table(schedule, start, left)}
<h2>Good to know</h2><ul>{advice}</ul>
<footer>Printed from baclofen-cds. Follow your prescriber's instructions; this page shows the
schedule as ordered.</footer>
</body></html>"""
