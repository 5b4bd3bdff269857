"""No tokens and no patient data in any log line or error response, and no stack traces out.

The scenario run captures every log record of every logger at DEBUG (the service's, uvicorn's,
httpx's) and renders each the ways a handler could: the production JSON line, the plain text
with any exception and traceback, and the raw record.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from service.clinical.knowledge import Knowledge
from service.observability.logs import JsonFormatter
from tests.auth_support import SANDBOX_FHIR, JwksServer, bearer, client_for, make_auth_app
from tests.tokens import audience, sandbox_token

SIGN = "/cds-services/baclofen-order-sign"
AUD = audience(SIGN)
ACCESS_TOKEN = "fhir-access-token-7Hq2x9ZpVw3Lk8Rt"
FAMILY, GIVEN, BIRTH_DATE = "Testpatient", "Quinn", "1981-10-24"

_PLAIN = logging.Formatter("%(name)s %(levelname)s %(message)s")
_JSON = JsonFormatter()


def rendered(record: logging.LogRecord) -> str:
    return "\n".join((_JSON.format(record), _PLAIN.format(record), repr(vars(record))))


def leaks(records: Iterable[logging.LogRecord], secrets: dict[str, str]) -> list[str]:
    found = []
    for record in records:
        text = rendered(record)
        found += [
            f"{name} in {record.name}: {record.msg!r}" for name, s in secrets.items() if s in text
        ]
    return found


def with_fhir_access(request: dict[str, Any]) -> dict[str, Any]:
    request["fhirServer"] = SANDBOX_FHIR
    request["fhirAuthorization"] = {
        "access_token": ACCESS_TOKEN,
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "patient/Patient.read patient/MedicationRequest.read",
        "subject": "baclofen-cds",
        "patient": "pat-1",
    }
    return request


async def test_a_full_scenario_leaks_no_patient_data_and_no_token(
    knowledge: Knowledge,
    scenario: Callable[[str], dict[str, Any]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("baclofen_cds", "uvicorn", "uvicorn.error", "uvicorn.access", "httpx", "httpcore"):
        caplog.set_level(logging.DEBUG, logger=name)
    request = with_fhir_access(scenario("03"))
    patient = request["prefetch"]["patient"]
    assert (patient["name"][0]["family"], patient["birthDate"]) == (FAMILY, BIRTH_DATE)
    jwt = sandbox_token(AUD)

    # A 400 that must not echo what it refuses: a draft order naming the patient.
    invalid = with_fhir_access(scenario("03"))
    draft = invalid["context"]["draftOrders"]["entry"][0]["resource"]
    draft["status"] = {"text": f"{GIVEN} {FAMILY} {BIRTH_DATE}"}
    # A 412: the patient cannot be had, so nothing may be said about them.
    no_patient = with_fhir_access(scenario("03"))
    del no_patient["prefetch"]["patient"]
    # A 400 for prefetch about someone else.
    someone_else = with_fhir_access(scenario("03"))
    someone_else["prefetch"]["patient"]["id"] = "pat-2"

    sent = [
        (request, jwt, 200),
        (request, jwt, 401),  # replayed
        (request, sandbox_token(audience("/cds-services/other")), 401),
        (request, jwt.rsplit(".", 1)[0] + ".AAAA", 401),  # forged signature
        (invalid, sandbox_token(AUD), 400),
        (no_patient, sandbox_token(AUD), 412),
        (someone_else, sandbox_token(AUD), 400),
    ]
    tokens = {"jwt": jwt, "jwt signature": jwt.rsplit(".", 1)[1], "access token": ACCESS_TOKEN}
    async with client_for(make_auth_app(knowledge, JwksServer())) as client:
        responses = [
            await client.post(SIGN, json=body, headers=bearer(token)) for body, token, _ in sent
        ]
    assert [r.status_code for r in responses] == [status for _, _, status in sent]
    assert responses[0].json()["cards"]

    patient_data = {"family name": FAMILY, "given name": GIVEN, "birth date": BIRTH_DATE}
    for response in responses:
        assert "Traceback" not in response.text
        assert not [name for name, s in {**tokens, **patient_data}.items() if s in response.text]

    messages = [record.getMessage() for record in caplog.records]
    assert "request" in messages and "jwt rejected" in messages and "jwks fetched" in messages
    assert leaks(caplog.records, {**tokens, **patient_data}) == []
    # Every line as production writes it is one JSON object; one access line per request,
    # the answered hook call's with what operators need to find it.
    lines = [json.loads(_JSON.format(record)) for record in caplog.records]
    access = [line for line in lines if line["logger"] == "baclofen_cds.access"]
    assert [line["status"] for line in access] == [status for _, _, status in sent]
    assert access[0]["hook_instance"] == request["hookInstance"]
    assert "dose-above-max" in access[0]["rule_codes"]
    assert access[0]["request_id"] == responses[0].headers["x-request-id"]


def test_the_leak_check_finds_what_it_looks_for() -> None:
    """The scan above must be able to fail: planted secrets in each place are found."""
    log = logging.getLogger("baclofen_cds.test")
    planted = [
        log.makeRecord(log.name, logging.INFO, __file__, 1, "patient %s", (FAMILY,), None),
        log.makeRecord(log.name, logging.INFO, __file__, 1, "x", (), None, extra={"n": GIVEN}),
    ]
    try:
        raise KeyError(BIRTH_DATE)
    except KeyError:
        planted.append(
            log.makeRecord(log.name, logging.ERROR, __file__, 1, "x", (), sys.exc_info())
        )
    found = leaks(planted, {"family": FAMILY, "given": GIVEN, "birth date": BIRTH_DATE})
    assert len(found) == 3


def test_production_log_lines_leave_exception_text_out() -> None:
    # Servers log an app's exception with its message, which may quote request data;
    # the JSON formatter writes only the message of the log call itself.
    try:
        raise ValueError(f"bad value {FAMILY}")
    except ValueError:
        record = logging.getLogger("uvicorn.error").makeRecord(
            "uvicorn.error",
            logging.ERROR,
            __file__,
            1,
            "Exception in ASGI application",
            (),
            sys.exc_info(),
        )
    line = json.loads(_JSON.format(record))
    assert line["message"] == "Exception in ASGI application"
    assert FAMILY not in _JSON.format(record)


async def test_an_unexpected_error_is_a_bare_500_with_security_headers(
    make_app: Callable[..., FastAPI],
) -> None:
    app = make_app()

    @app.get("/boom")
    async def boom() -> None:
        raise KeyError(FAMILY)

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/boom")
    assert response.status_code == 500
    assert FAMILY not in response.text and "Traceback" not in response.text
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"


def test_logging_configuration_keeps_request_urls_out(monkeypatch: pytest.MonkeyPatch) -> None:
    from service.observability.logs import configure_logging

    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))
    monkeypatch.setattr(root, "level", root.level)
    httpx_logger = logging.getLogger("httpx")
    monkeypatch.setattr(httpx_logger, "level", httpx_logger.level)
    monkeypatch.setattr(logging.getLogger("uvicorn.access"), "disabled", False)
    configure_logging("DEBUG")
    # httpx's "HTTP Request: GET <url>" would carry FHIR URLs with patient ids.
    assert not httpx_logger.isEnabledFor(logging.INFO)
    assert httpx_logger.isEnabledFor(logging.WARNING)
    assert logging.getLogger("uvicorn.access").disabled


async def test_at_debug_no_sql_parameter_reaches_a_log(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Was: with BACLOFEN_CDS_LOG_LEVEL=DEBUG, SQLAlchemy and the driver logged every
    statement with its parameters."""
    from service.observability.logs import QUIET_LIBRARIES, configure_logging
    from service.store import Database, Store
    from tests.store.helpers import feedback

    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))
    monkeypatch.setattr(root, "level", root.level)
    for name in QUIET_LIBRARIES:
        monkeypatch.setattr(logging.getLogger(name), "level", logging.getLogger(name).level)
    configure_logging("DEBUG")
    root.addHandler(caplog.handler)
    marker = "reason-marker-5b1f"
    store = Store(Database(f"sqlite+aiosqlite:///{tmp_path / 'debug.sqlite3'}"))
    try:
        await store.start()
        await store.record_feedback([feedback("card-1", reason=marker)])
        # Nor in the text of a database error, which may end up in a log or a traceback.
        with pytest.raises(Exception) as failed:
            async with store.database.engine.begin() as connection:
                await connection.exec_driver_sql("SELECT * FROM nowhere WHERE x = ?", (marker,))
        assert marker not in str(failed.value)
    finally:
        await store.close()
    assert not [r for r in caplog.records if marker in rendered(r)]
    assert not [r for r in caplog.records if r.name.startswith(("sqlalchemy", "aiosqlite"))]
