"""FastAPI's own OpenTelemetry export stays off, even where a provider is configured.

Its spans would carry URLs with patient ids and its logs exception messages; the service's
metrics and access log are its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry import trace


class RecordingTracer(trace.NoOpTracer):
    def __init__(self, started: list[str]) -> None:
        self.started = started

    def start_span(self, name: str, *args: Any, **kwargs: Any) -> trace.Span:
        self.started.append(name)
        return super().start_span(name, *args, **kwargs)


class RecordingProvider(trace.TracerProvider):
    """A provider an operator's environment might have configured."""

    def __init__(self) -> None:
        self.started: list[str] = []

    def get_tracer(self, *args: Any, **kwargs: Any) -> trace.Tracer:
        return RecordingTracer(self.started)


@pytest.fixture
def configured_provider(monkeypatch: pytest.MonkeyPatch) -> Iterator[RecordingProvider]:
    provider = RecordingProvider()
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: provider)
    monkeypatch.setenv("FASTAPI_OTEL_AUTO_CONFIGURE", "true")
    yield provider


async def get(app: FastAPI, path: str) -> int:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        return (await http.get(path)).status_code


async def test_a_plain_fastapi_app_would_export_spans(
    configured_provider: RecordingProvider,
) -> None:
    plain = FastAPI()

    @plain.get("/patients/{patient_id}")
    async def patient(patient_id: str) -> dict[str, str]:
        return {}

    assert await get(plain, "/patients/example-patient") == 200
    assert configured_provider.started  # what the service must not do


async def test_the_service_exports_no_spans(
    configured_provider: RecordingProvider, make_app: Callable[..., FastAPI]
) -> None:
    app = make_app()
    assert await get(app, "/cds-services") == 200
    assert await get(app, "/knowledge/rules") == 200
    assert configured_provider.started == []
