"""A schedule as the query of a signed link, and back: for the printable schedule page.

Only the schedule travels: kind, unit, the product's form and strength (or concentration), the
first day, the daily dose being left, and the steps (the doses of a day and number of days).
Never a patient identifier, and never free text: the page writes the product's name from the
knowledge base.

The query is signed with HMAC-SHA256 (``sig``, last), so that the page shows only schedules
this service made: an edited link cannot print "1000 mg (100 tablets)" under the service's
name. The key comes from the service's configuration through ``LinkSigner``; several keys may
verify while one signs, so that keys can be rotated. And whatever the signature, the page
refuses a dose beyond the knowledge base's maxima, as the cards never link one.

    kind=taper&unit=mg&form=tablet&strength=10&start=2026-11-23&from=45&s=15,15,10:3&...&sig=...
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from service.clinical.dosing.products import Form, Product
from service.clinical.knowledge import Knowledge
from service.clinical.schedules import Schedule, ScheduleKind, Step
from service.clinical.wording import number

MAX_STEPS = 60
MAX_DAYS_PER_STEP = 366
MAX_DOSES_PER_DAY = 6
# Calendar dates the page can print, with room for every step after the first day.
FIRST_START = dt.date(2000, 1, 1)
LAST_START = dt.date(2199, 12, 31)
SIGNATURE = "sig"
_NUMBER_CHARS = frozenset("0123456789.")


class ScheduleCodecError(ValueError):
    """The parameters do not describe a schedule this service made; the message says why."""


class LinkSigner:
    """Signs and verifies link queries: HMAC-SHA256, the first key signs, every key verifies."""

    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys or any(len(key) < 16 for key in keys):
            raise ValueError("a link signer needs at least one key of 16 bytes or more")
        self._keys = tuple(keys)

    def __repr__(self) -> str:  # never the keys
        return f"LinkSigner({len(self._keys)} keys)"

    def sign(self, query: str) -> str:
        return self._mac(self._keys[0], query)

    def verify(self, query: str, signature: str) -> bool:
        return any(hmac.compare_digest(self._mac(key, query), signature) for key in self._keys)

    @staticmethod
    def _mac(key: bytes, query: str) -> str:
        digest = hmac.new(key, query.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass(frozen=True)
class PrintableSchedule:
    schedule: Schedule
    start: dt.date
    left_daily: float | None = None  # the daily dose being left: the chart starts there


def beyond_maxima(printable: PrintableSchedule, knowledge: Knowledge) -> str | None:
    """Why the page must not show this schedule (a daily dose above the knowledge base's
    maximum for its route), or None. Cards link only schedules for which this is None."""
    schedule = printable.schedule
    if schedule.unit == "mcg":
        limit, what = knowledge.dosing.intrathecal.critical_above_mcg, "mcg/day intrathecal"
    else:
        limit, what = knowledge.dosing.oral.max_daily_mg, "mg/day"
    dailies = [step.daily for step in schedule.steps]
    if printable.left_daily is not None:
        dailies.append(printable.left_daily)
    if max(dailies) > limit:
        return f"a daily dose above {number(limit)} {what}"
    return None


def encode(printable: PrintableSchedule, signer: LinkSigner) -> str:
    schedule, product = printable.schedule, printable.schedule.product
    params: list[tuple[str, str]] = [
        ("kind", schedule.kind.value),
        ("unit", schedule.unit),
        ("form", product.form.value),
    ]
    if product.strength_mg:
        params.append(("strength", number(product.strength_mg)))
    elif product.concentration_mg_per_ml:
        params.append(("concentration", number(product.concentration_mg_per_ml)))
    params.append(("start", printable.start.isoformat()))
    if printable.left_daily is not None:
        params.append(("from", number(printable.left_daily)))
    for step in schedule.steps:
        doses = ",".join(number(d) for d in step.doses)
        params.append(("s", f"{doses}:{step.days if step.days is not None else ''}"))
    query = urlencode(params)
    return f"{query}&{SIGNATURE}={signer.sign(query)}"


def decode(
    pairs: Sequence[tuple[str, str]], signer: LinkSigner, knowledge: Knowledge
) -> PrintableSchedule:
    """The schedule of a link's query (its parameters in their order), if this service signed
    it and it stays within the knowledge base's maxima; ``ScheduleCodecError`` if not."""
    signatures = [value for key, value in pairs if key == SIGNATURE]
    signed = [(key, value) for key, value in pairs if key != SIGNATURE]
    if len(signatures) != 1 or not signer.verify(urlencode(signed), signatures[0]):
        raise ScheduleCodecError("the link is not one this service signed")
    params = dict(signed)
    steps = [value for key, value in signed if key == "s"]
    printable = _parse(params, steps)
    problem = beyond_maxima(printable, knowledge)
    if problem is not None:
        raise ScheduleCodecError(problem)
    return printable


def _parse(params: dict[str, str], steps: Sequence[str]) -> PrintableSchedule:
    try:
        kind = ScheduleKind(params.get("kind", ""))
    except ValueError:
        raise ScheduleCodecError("kind must be titration, taper or intrathecal-reduction") from None
    unit = params.get("unit", "")
    if unit not in ("mg", "mcg"):
        raise ScheduleCodecError("unit must be mg or mcg")
    try:
        form = Form(params.get("form", ""))
    except ValueError:
        raise ScheduleCodecError("form is not a baclofen product form") from None
    try:
        start = dt.date.fromisoformat(params.get("start", ""))
    except ValueError:
        raise ScheduleCodecError("start must be a date (YYYY-MM-DD)") from None
    if not FIRST_START <= start <= LAST_START:
        raise ScheduleCodecError(f"start must be between {FIRST_START} and {LAST_START}")
    if not steps or len(steps) > MAX_STEPS:
        raise ScheduleCodecError(f"give between 1 and {MAX_STEPS} steps (s=doses:days)")
    parsed = []
    for index, raw in enumerate(steps):
        doses_text, separator, days_text = raw.partition(":")
        doses = tuple(_amount(d, f"step {index + 1}") for d in doses_text.split(","))
        if not separator or len(doses) > MAX_DOSES_PER_DAY:
            raise ScheduleCodecError(f"step {index + 1} is not doses:days")
        days = None
        if days_text:
            if not days_text.isdigit() or not 1 <= int(days_text) <= MAX_DAYS_PER_STEP:
                raise ScheduleCodecError(f"step {index + 1}: days must be 1-{MAX_DAYS_PER_STEP}")
            days = int(days_text)
        elif index != len(steps) - 1:
            raise ScheduleCodecError("only the last step may be open-ended")
        parsed.append(Step(doses, days))
    strength = _optional(params.get("strength"), "strength")
    concentration = _optional(params.get("concentration"), "concentration")
    left = _optional(params.get("from"), "from")
    product = Product(form, "", strength_mg=strength, concentration_mg_per_ml=concentration)
    return PrintableSchedule(Schedule(kind, unit, tuple(parsed), product), start, left)


def _amount(text: str, what: str) -> float:
    """A positive decimal as this codec writes it: digits and a point, nothing else (no
    exponents, signs, 'nan' or 'inf', which float() would take)."""
    if not text or len(text) > 12 or not set(text) <= _NUMBER_CHARS or text.count(".") > 1:
        raise ScheduleCodecError(f"{what} is not doses:days")
    value = float(text)
    if not 0 < value <= 100_000:
        raise ScheduleCodecError(f"{what}: a dose must be above 0")
    return value


def _optional(text: str | None, name: str) -> float | None:
    if text is None:
        return None
    try:
        value = _amount(text, name)
    except ScheduleCodecError:
        raise ScheduleCodecError(f"{name} must be a positive number") from None
    if value > 10_000:
        raise ScheduleCodecError(f"{name} must be at most 10000")
    return value
