"""BACLOFEN_CDS_PUBLIC_BASE_URL: when unset, the address actually served, not a fixed port."""

from __future__ import annotations

import pytest

from service.cli.main import main
from service.settings import Settings, served_base_url


@pytest.mark.parametrize(
    ("host", "port", "expected"),
    [
        ("127.0.0.1", 9123, "http://127.0.0.1:9123"),
        ("0.0.0.0", 8080, "http://localhost:8080"),
        ("::", 8081, "http://localhost:8081"),
        ("::1", 8082, "http://[::1]:8082"),
        ("cds.internal", 80, "http://cds.internal:80"),
    ],
)
def test_the_default_is_the_address_served(host: str, port: int, expected: str) -> None:
    assert served_base_url(host, port) == expected
    assert Settings(host=host, port=port).public_base_url == expected


def test_a_configured_url_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACLOFEN_CDS_PUBLIC_BASE_URL", "https://cds.example.org/")
    assert Settings(port=9000).public_base_url == "https://cds.example.org"


def test_serve_gives_the_application_the_address_it_serves(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import uvicorn

    import service.observability.logs

    for name in ("HOST", "PORT", "WORKERS"):  # restored after the test: serve sets them
        monkeypatch.setenv(f"BACLOFEN_CDS_{name}", "")
        monkeypatch.delenv(f"BACLOFEN_CDS_{name}")
    seen: list[str] = []
    # What the application (service.app.asgi) will read when uvicorn imports it.
    monkeypatch.setattr(uvicorn, "run", lambda *_, **__: seen.append(Settings().public_base_url))
    monkeypatch.setattr(service.observability.logs, "configure_logging", lambda level: None)
    monkeypatch.setenv("BACLOFEN_CDS_AUTH_REQUIRED", "false")
    assert main(["serve", "--port", "9123"]) == 0
    assert main(["serve", "--host", "0.0.0.0", "--port", "9124"]) == 0
    assert seen == ["http://127.0.0.1:9123", "http://localhost:9124"]
