"""The service's parts: started in order with the application, stopped in the reverse order."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI

from service.api.dependencies import services_of_app
from service.api.services import Services
from service.fhir.fetchers import PrefetchClient
from tests.auth_support import trusted_issuers

STARTS = ["fhir client", "store", "advice recorder", "authenticator"]
STOPS = ["authenticator", "advice recorder", "store", "evaluator", "fhir client"]


def recording(
    services: Services, monkeypatch: pytest.MonkeyPatch, fail_to_start: str | None = None
) -> list[str]:
    """Replace each part's start and stop by one that notes it; ``fail_to_start`` raises."""
    assert isinstance(services.fetcher_factory, PrefetchClient)
    events: list[str] = []
    parts: list[tuple[str, object, str | None, str]] = [
        ("fhir client", services.fetcher_factory, "start", "aclose"),
        ("evaluator", services.evaluator, None, "aclose"),
        ("store", services.store, "start", "close"),
        ("advice recorder", services.advice_recorder, "start", "stop"),
        ("authenticator", services.authenticator, "start", "aclose"),
    ]
    for name, part, start, stop in parts:

        async def started(*_: object, name: str = name) -> None:
            if name == fail_to_start:
                raise RuntimeError(f"{name} cannot start")
            events.append(f"start {name}")

        async def stopped(*_: object, name: str = name) -> None:
            events.append(f"stop {name}")

        if start is not None:
            monkeypatch.setattr(part, start, started)
        monkeypatch.setattr(part, stop, stopped)
    return events


@pytest.fixture
def app(make_app: Callable[..., FastAPI]) -> FastAPI:
    return make_app(auth_required=True, trusted_issuers=trusted_issuers())


async def test_parts_stop_in_the_reverse_order_of_their_start(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    events = recording(services_of_app(app), monkeypatch)
    async with app.router.lifespan_context(app):
        assert events == [f"start {name}" for name in STARTS]
        events.clear()
    assert events == [f"stop {name}" for name in STOPS]


async def test_a_part_that_cannot_start_stops_those_started_before_it(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    events = recording(services_of_app(app), monkeypatch, fail_to_start="advice recorder")
    with pytest.raises(RuntimeError, match="advice recorder cannot start"):
        async with app.router.lifespan_context(app):
            pass
    assert events == [
        "start fhir client",
        "start store",
        "stop store",
        "stop evaluator",
        "stop fhir client",
    ]


def test_the_parts_are_built_once_per_application(make_app: Callable[..., FastAPI]) -> None:
    first, second = services_of_app(make_app()), services_of_app(make_app())
    assert first.evaluator is not second.evaluator
    assert first.store is not second.store
    assert first.advice_recorder.store is first.store
    assert first.evaluator.links.signer is first.link_signer
