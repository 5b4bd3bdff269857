"""The printable schedule's link: it round-trips, it is signed, and it stays within the maxima.

Found by a penetration test: ``/schedules/view`` rendered any schedule from its query (up to
100,000 mg a dose, any product text), so anyone could print "1000 mg (100 tablets)" with a note
of their own under the service's name, on the service's domain.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.clinical.dosing.products import Form, Product
from service.clinical.knowledge import Knowledge, load_knowledge
from service.clinical.schedules import Schedule, ScheduleKind, Step, taper, titration
from service.present.schedule_codec import (
    LinkSigner,
    PrintableSchedule,
    ScheduleCodecError,
    beyond_maxima,
    decode,
    encode,
)

KNOWLEDGE = load_knowledge()
TODAY = dt.date(2026, 11, 23)
SIGNER = LinkSigner([b"k" * 32])
TABLET_10 = Product(Form.TABLET, "baclofen 10 MG Oral Tablet", strength_mg=10)
PRODUCTS = [
    TABLET_10,
    Product(Form.TABLET, "baclofen 25 MG Oral Tablet", strength_mg=25),
    Product(Form.LIQUID, "baclofen 1 MG/ML Oral Solution", concentration_mg_per_ml=1),
]


def pairs(query: str) -> list[tuple[str, str]]:
    return parse_qsl(query, keep_blank_values=True)


def taper_link(left: float | None = 45, signer: LinkSigner = SIGNER) -> str:
    schedule = taper(knowledge=KNOWLEDGE, product=TABLET_10, from_daily=45, long=False)
    assert schedule is not None
    return encode(PrintableSchedule(schedule, TODAY, left), signer)


@settings(max_examples=100, deadline=None)
@given(
    current=st.floats(min_value=5, max_value=100),
    product=st.sampled_from(PRODUCTS),
    rising=st.booleans(),
)
def test_schedules_survive_the_signed_link(current: float, product: Product, rising: bool) -> None:
    if rising:
        schedule = titration(
            knowledge=KNOWLEDGE, product=product, target_daily=current, ceiling_daily=100,
            slow=False,
        )  # fmt: skip
    else:
        schedule = taper(knowledge=KNOWLEDGE, product=product, from_daily=current, long=True)
    if schedule is None:
        return
    left = None if rising else round(current, 1)
    decoded = decode(
        pairs(encode(PrintableSchedule(schedule, TODAY, left), SIGNER)), SIGNER, KNOWLEDGE
    )
    assert decoded.start == TODAY and decoded.schedule.kind is schedule.kind
    assert decoded.left_daily == (None if left is None else pytest.approx(left, abs=0.01))
    assert [s.days for s in decoded.schedule.steps] == [s.days for s in schedule.steps]
    assert [s.daily for s in decoded.schedule.steps] == pytest.approx(
        [s.daily for s in schedule.steps], abs=0.01
    )
    assert decoded.schedule.product.form is schedule.product.form
    assert decoded.schedule.product.strength_mg == schedule.product.strength_mg


def test_the_link_carries_no_free_text() -> None:
    keys = [key for key, _ in pairs(taper_link())]
    assert "product" not in keys
    assert set(keys) <= {"kind", "unit", "form", "strength", "concentration", "start", "from",
                         "s", "sig"}  # fmt: skip
    assert keys[-1] == "sig"


def _tampered(query: str, key: str, value: str) -> list[tuple[str, str]]:
    found = pairs(query)
    index = next(i for i, (name, _) in enumerate(found) if name == key)
    found[index] = (key, value)
    return found


@pytest.mark.parametrize(
    ("key", "value"),
    [("s", "100,100,100:3"), ("strength", "1"), ("start", "2027-01-01"), ("from", "5"),
     ("kind", "titration"), ("sig", "A" * 43), ("sig", "")],
)  # fmt: skip
def test_a_tampered_link_is_refused(key: str, value: str) -> None:
    with pytest.raises(ScheduleCodecError, match="not one this service signed"):
        decode(_tampered(taper_link(), key, value), SIGNER, KNOWLEDGE)


def test_an_unsigned_or_twice_signed_link_is_refused() -> None:
    signed = pairs(taper_link())
    unsigned = [pair for pair in signed if pair[0] != "sig"]
    for attempt in (unsigned, [*signed, signed[-1]], [*unsigned, ("note", "x"), signed[-1]]):
        with pytest.raises(ScheduleCodecError, match="not one this service signed"):
            decode(attempt, SIGNER, KNOWLEDGE)


def test_a_link_signed_with_another_key_is_refused() -> None:
    other = LinkSigner([b"o" * 32])
    with pytest.raises(ScheduleCodecError, match="not one this service signed"):
        decode(pairs(taper_link(signer=other)), SIGNER, KNOWLEDGE)


def test_keys_rotate_the_first_signs_and_every_one_verifies() -> None:
    old, new = b"o" * 32, b"n" * 32
    before = taper_link(signer=LinkSigner([old]))
    rotated = LinkSigner([new, old])
    decode(pairs(before), rotated, KNOWLEDGE)  # old links still open
    after = taper_link(signer=rotated)
    decode(pairs(after), LinkSigner([new]), KNOWLEDGE)  # new links are signed by the new key
    with pytest.raises(ScheduleCodecError):
        decode(pairs(after), LinkSigner([old]), KNOWLEDGE)


def test_the_signer_wants_real_keys() -> None:
    with pytest.raises(ValueError):
        LinkSigner([])
    with pytest.raises(ValueError):
        LinkSigner([b"short"])
    assert "kkkk" not in repr(SIGNER)


def _signed(schedule: Schedule, left: float | None = None) -> list[tuple[str, str]]:
    return pairs(encode(PrintableSchedule(schedule, TODAY, left), SIGNER))


@pytest.mark.parametrize(
    ("unit", "doses", "left"),
    [("mg", (40, 40, 40), None), ("mg", (30, 30), 150), ("mcg", (2500,), None)],
)
def test_doses_beyond_the_maxima_are_refused_even_when_signed(
    knowledge: Knowledge, unit: str, doses: tuple[float, ...], left: float | None
) -> None:
    form = Form.INTRATHECAL if unit == "mcg" else Form.TABLET
    schedule = Schedule(ScheduleKind.TAPER, unit, (Step(doses, 3),), Product(form, "x"))
    assert beyond_maxima(PrintableSchedule(schedule, TODAY, left), knowledge) is not None
    with pytest.raises(ScheduleCodecError, match="a daily dose above"):
        decode(_signed(schedule, left), SIGNER, knowledge)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("start", "9999-12-31", "start must be between"),
        ("start", "0001-01-01", "start must be between"),
        ("s", "nan:3", "step 1"),
        ("s", "1e2:3", "step 1"),
        ("s", "-5:3", "step 1"),
        ("s", "5:0", "days must be"),
        ("s", "5:+3", "days must be"),
        ("strength", "inf", "strength must be"),
        ("form", "pill", "form is not"),
    ],
)
def test_nonsense_is_refused_with_a_reason(key: str, value: str, message: str) -> None:
    """Was a 500 for a start in year 9999 (the calendar dates overflowed)."""
    unsigned = [pair for pair in _tampered(taper_link(), key, value) if pair[0] != "sig"]
    signed = [*unsigned, ("sig", SIGNER.sign(urlencode(unsigned)))]
    with pytest.raises(ScheduleCodecError, match=message):
        decode(signed, SIGNER, KNOWLEDGE)
