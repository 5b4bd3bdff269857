"""Configuration from the environment (prefix ``BACLOFEN_CDS_``), with embedded defaults.

The defaults run the service on one machine with no other services: a SQLite file in the
working directory, no Redis, port 8080. Names are part of the external contract (the
README's configuration table).
"""

from __future__ import annotations

import ipaddress
import json
from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./baclofen-cds.sqlite3"
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
DEFAULT_MAX_BODY_BYTES = 5 * 1024 * 1024
MIN_LINK_KEY_CHARS = 32  # e.g. `openssl rand -base64 32` gives 44


class IssuerSettings(BaseModel):
    """One trusted CDS client (an EHR): where its keys are and what it may ask us to fetch.

    ``jwks_url`` alone: the keys are fetched from it, and it is the only ``jku`` accepted.
    ``jwks`` alone: the keys as given; a token naming a ``jku`` is refused. Both: the keys as
    given (pinned, never fetched), and ``jwks_url`` the only ``jku`` accepted: for a client
    that names its key set's URL when that URL cannot or must not be reached (an offline test
    of the CDS Hooks sandbox).
    """

    model_config = ConfigDict(extra="forbid")

    jwks_url: str | None = None
    jwks: dict[str, Any] | None = None
    fhir_servers: list[str] = Field(default_factory=list)
    tenants: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _some_key_source(self) -> IssuerSettings:
        if self.jwks_url is None and self.jwks is None:
            raise ValueError("give jwks_url, jwks, or both")
        return self


def _list_of_strings(value: Any) -> Any:
    """Accept a JSON list or a comma-separated string: both are natural in an env file."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return []
        if text.startswith("["):
            return json.loads(text)
        return [item.strip() for item in text.split(",") if item.strip()]
    return value


_ALL_INTERFACES = {"", "0.0.0.0", "::", "[::]"}


def served_base_url(host: str, port: int) -> str:
    """``http://HOST:PORT`` for a server bound there; ``localhost`` for all interfaces."""
    name = "localhost" if host in _ALL_INTERFACES else host
    if ":" in name and not name.startswith("["):
        name = f"[{name}]"  # an IPv6 address
    return f"http://{name}:{port}"


class Settings(BaseSettings):
    # Values are left out of error messages: several are secrets (keys, URLs with passwords).
    model_config = SettingsConfigDict(
        env_prefix="BACLOFEN_CDS_", extra="ignore", hide_input_in_errors=True
    )

    # The external contract: these names are fixed.
    database_url: str = DEFAULT_DATABASE_URL
    auth_required: bool = True
    trusted_issuers: dict[str, IssuerSettings] = Field(default_factory=dict)
    # Empty: the address served, http://HOST:PORT (see served_base_url).
    public_base_url: str = ""
    fhir_allowed_bases: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Networks (CIDR) a FHIR server's name may resolve into although they are not public: a
    # hospital's internal FHIR server. Otherwise only public addresses (service.fhir.network).
    fhir_allowed_networks: Annotated[list[IpNetwork], NoDecode] = Field(default_factory=list)
    fhir_timeout_s: float = Field(default=3.0, gt=0, le=60)
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    redis_url: str | None = None

    # Authentication: beyond the contract's names.
    auth_discovery: bool = False  # also require a JWT on GET /cds-services
    jwt_leeway_s: float = Field(default=60.0, ge=0, le=300)  # clock skew allowed on exp/nbf

    # Operations.
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    log_level: str = "INFO"
    max_body_bytes: int = Field(default=DEFAULT_MAX_BODY_BYTES, ge=1024)
    # What a client may hold of the server before it is authenticated (service.app.serving):
    # the request line and headers, the time to send them and the body, connections at once.
    max_header_bytes: int = Field(default=16 * 1024, ge=4096, le=1024 * 1024)
    header_timeout_s: float = Field(default=10.0, gt=0, le=300)
    body_timeout_s: float = Field(default=30.0, gt=0, le=600)
    max_connections: int = Field(default=100, ge=1, le=10_000)
    # Proxies whose X-Forwarded-For/-Proto are believed (uvicorn's forwarded_allow_ips);
    # empty: none, the headers are ignored.
    forwarded_allow_ips: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Keys of the printable schedule links' HMAC: the first signs, all verify (rotation).
    # None: a random key of this process (service.present.links), refused by serve in production.
    link_keys: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)
    # Pages of one FHIR search read before the list is reported as incomplete.
    fhir_max_pages: int = Field(default=10, ge=1, le=100)
    # CPU time one hook call's checks may take before it answers 503 (service.pipeline.evaluator).
    evaluation_timeout_s: float = Field(default=5.0, gt=0, le=60)
    # Pins the clinical clock to a date. For demonstrations and tests only: a pinned clock in
    # production would compute ages and lab recency wrongly, so the service warns when set.
    today: date | None = None
    # GET /analytics, the override analytics of every client as a page: on when authentication
    # is off (local use), else only when an operator turns it on for internal routing.
    analytics_page: bool | None = None
    # GET /docs (Swagger UI, served offline). Unset: on when authentication is off.
    api_docs: bool | None = None

    @property
    def analytics_page_enabled(self) -> bool:
        return self.analytics_page if self.analytics_page is not None else not self.auth_required

    @field_validator(
        "fhir_allowed_bases",
        "cors_origins",
        "forwarded_allow_ips",
        "link_keys",
        "fhir_allowed_networks",
        mode="before",
    )
    @classmethod
    def _split(cls, value: Any) -> Any:
        return _list_of_strings(value)

    @field_validator("link_keys")
    @classmethod
    def _long_keys(cls, value: list[SecretStr]) -> list[SecretStr]:
        if any(len(key.get_secret_value()) < MIN_LINK_KEY_CHARS for key in value):
            # The message must not quote the key.
            raise ValueError(f"each link key must be at least {MIN_LINK_KEY_CHARS} characters")
        return value

    @field_validator("public_base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.strip().rstrip("/")

    @model_validator(mode="after")
    def _base_url_from_the_address_served(self) -> Settings:
        # Card links and the JWT audience must name a URL that reaches this service; without a
        # setting, the best guess is the address served (``serve`` passes its --host and --port
        # to the application through BACLOFEN_CDS_HOST and BACLOFEN_CDS_PORT).
        if not self.public_base_url:
            self.public_base_url = served_base_url(self.host, self.port)
        return self

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("log level must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level
