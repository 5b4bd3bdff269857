"""An app with authentication on, trusting a sandbox-like, an Epic-like and a tenant-scoped EHR.

The issuers' key sets are served by an in-process fake of their JWKS endpoints, which records
every fetch; nothing leaves the machine.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
from fastapi import FastAPI
from prometheus_client import REGISTRY

from cds_hooks.jwt import ReplayCache
from service.app.factory import application
from service.app.services import build_services
from service.auth import Authenticator
from service.auth.keys import IssuerKeys
from service.clinical.knowledge import Knowledge
from service.pipeline.evaluator import FetcherFactory
from tests.conftest import TODAY, make_settings
from tests.tokens import EPIC_FHIR, EPIC_ISS, EPIC_JKU, SANDBOX_ISS, SANDBOX_JKU, ec_key, rsa_key

SANDBOX_FHIR = "https://launch.smarthealthit.org/v/r4/fhir"
TENANT_ISS = "https://ehr.multi-site.example"
TENANT_FHIR = "https://ehr.multi-site.example/fhir/r4"
TENANT_KID = "multi-site-1"
TENANT = "hospital-a"


def trusted_issuers() -> dict[str, Any]:
    return {
        SANDBOX_ISS: {"jwks_url": SANDBOX_JKU, "fhir_servers": [SANDBOX_FHIR]},
        EPIC_ISS: {"jwks_url": EPIC_JKU, "fhir_servers": [EPIC_FHIR]},
        # Keys configured inline, and a tenant claim required.
        TENANT_ISS: {
            "jwks": ec_key(TENANT_KID).jwks(),
            "fhir_servers": [TENANT_FHIR],
            "tenants": [TENANT],
        },
    }


class JwksServer:
    """The issuers' JWKS endpoints; ``documents`` may be changed to rotate keys."""

    def __init__(self) -> None:
        self.documents: dict[str, Any] = {
            SANDBOX_JKU: ec_key().jwks(),
            EPIC_JKU: rsa_key().jwks(),
        }
        self.requests: list[str] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        self.requests.append(url)
        document = self.documents.get(url)
        return httpx.Response(404) if document is None else httpx.Response(200, json=document)

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self.handler))


def make_auth_app(
    knowledge: Knowledge,
    jwks: JwksServer,
    *,
    today: dt.date = TODAY,
    fetcher_factory: FetcherFactory | None = None,
    replay: ReplayCache | None = None,
    **settings: Any,
) -> FastAPI:
    values: dict[str, Any] = {"auth_required": True, "trusted_issuers": trusted_issuers()}
    config = make_settings(**{**values, **settings})
    # Its key sets come from the fake JWKS endpoints: nothing leaves the machine.
    keys = IssuerKeys(config.trusted_issuers, http=jwks.client())
    services = build_services(
        config,
        knowledge=knowledge,
        clock=lambda: today,
        fetcher_factory=fetcher_factory,
        authenticator=Authenticator(config, keys=keys, replay=replay),
    )
    return application(services)


def client_for(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def rejections(reason: str) -> float:
    value = REGISTRY.get_sample_value("baclofen_cds_jwt_rejections_total", {"reason": reason})
    return value or 0.0
