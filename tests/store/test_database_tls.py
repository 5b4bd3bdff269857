"""TLS to PostgreSQL: libpq's ``sslmode`` and certificate parameters in the database URL.

The translation to asyncpg's ``ssl`` argument is checked on its own, then against a private
PostgreSQL cluster that accepts only TLS connections with a password, whose certificate, for
``localhost`` only, is signed by a CA made for the test (tests/private_servers.py).
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from service.store import Database, Store
from service.store.database import postgres_tls
from tests.private_servers import (
    Certificates,
    PrivatePostgres,
    make_certificates,
    private_postgres,
)
from tests.store.helpers import issued

BASE = "postgresql+asyncpg://u:p@db.internal:5432/cds"


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("certificates"))


def translated(query: str) -> tuple[str, object]:
    url, arguments = postgres_tls(make_url(f"{BASE}?{query}" if query else BASE))
    return url.render_as_string(hide_password=False), arguments.get("ssl")


def test_no_tls_parameter_leaves_asyncpg_its_default() -> None:
    assert translated("") == (BASE, None)
    # asyncpg's own parameter passes through as before.
    assert translated("ssl=require") == (f"{BASE}?ssl=require", None)


@pytest.mark.parametrize("mode", ["disable", "allow", "prefer", "require"])
def test_modes_without_verification_are_passed_on(mode: str) -> None:
    assert translated(f"sslmode={mode}&application_name=x") == (
        f"{BASE}?application_name=x",
        mode,
    )


def test_verify_full_checks_the_chain_and_the_host_name(certificates: Certificates) -> None:
    url, context = translated(f"sslmode=verify-full&sslrootcert={certificates.ca}")
    assert url == BASE
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert len(context.get_ca_certs()) == 1  # the given CA, not the system's


def test_verify_full_without_a_root_certificate_uses_the_system_cas() -> None:
    _, context = translated("sslmode=verify-full")
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname


def test_verify_ca_checks_the_chain_only(certificates: Certificates) -> None:
    _, context = translated(f"sslmode=verify-ca&sslrootcert={certificates.ca}")
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and not context.check_hostname


def test_require_with_a_root_certificate_verifies_the_chain_as_libpq_does(
    certificates: Certificates,
) -> None:
    _, context = translated(f"sslmode=require&sslrootcert={certificates.ca}")
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and not context.check_hostname


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("sslmode=verify_full", "sslmode must be one of"),
        ("sslmode=prefer&sslrootcert=/etc/ssl/ca.pem", "need sslmode=require or stricter"),
        ("sslrootcert=/etc/ssl/ca.pem", "need sslmode=require or stricter"),
        ("sslmode=require&sslmode=verify-full", "sslmode must be one of"),
        ("sslmode=verify-full&sslrootcrt=/etc/ssl/ca.pem", "unsupported PostgreSQL URL parameter"),
        ("sslmode=require&ssl=require", "not both"),
        ("sslmode=verify-full&sslrootcert=/nonexistent/ca.pem", "/nonexistent/ca.pem"),
    ],
)
def test_mistakes_are_refused_at_start_up_not_read_as_no_tls(query: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Database(f"{BASE}?{query}")


# --- against a PostgreSQL server that accepts TLS only


@pytest.fixture(scope="module")
def postgres() -> Iterator[PrivatePostgres]:
    with private_postgres() as server:
        yield server


async def connection_is_encrypted(database: Database) -> bool:
    async with database.engine.connect() as connection:
        encrypted = await connection.scalar(
            text("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        )
    return bool(encrypted)


@pytest.mark.postgres
async def test_verify_full_reaches_the_store_encrypted(postgres: PrivatePostgres) -> None:
    url = postgres.url(sslmode="verify-full", sslrootcert=str(postgres.certificates.ca))
    store = Store(Database(url))
    try:
        await store.start()  # migrates
        assert await store.readiness() == "ok"
        await store.write_advice([issued("card-over-tls")])
        assert await connection_is_encrypted(store.database)
        assert "tls-test-secret" not in store.database.describe()
    finally:
        await store.close()


@pytest.mark.postgres
async def test_require_encrypts_without_verifying(postgres: PrivatePostgres) -> None:
    database = Database(postgres.url(sslmode="require"))
    try:
        assert await connection_is_encrypted(database)
    finally:
        await database.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("host", "mode", "ca"),
    [
        # The server refuses connections without TLS (pg_hba: hostnossl reject).
        ("localhost", "disable", None),
        # The certificate names localhost, not 127.0.0.1: verify-full refuses, verify-ca not.
        ("127.0.0.1", "verify-full", "server"),
        # A certificate from another CA.
        ("localhost", "verify-full", "other"),
    ],
)
async def test_the_store_is_unavailable_when_tls_cannot_be_established(
    postgres: PrivatePostgres, tmp_path: Path, host: str, mode: str, ca: str | None
) -> None:
    query = {"sslmode": mode}
    if ca == "server":
        query["sslrootcert"] = str(postgres.certificates.ca)
    elif ca == "other":
        query["sslrootcert"] = str(make_certificates(tmp_path / "other").ca)
    store = Store(Database(postgres.url(host, **query)))
    try:
        assert await store.readiness() == "unreachable"
    finally:
        await store.close()


@pytest.mark.postgres
async def test_verify_ca_accepts_a_certificate_for_another_name(
    postgres: PrivatePostgres,
) -> None:
    url = postgres.url("127.0.0.1", sslmode="verify-ca", sslrootcert=str(postgres.certificates.ca))
    database = Database(url)
    try:
        assert await connection_is_encrypted(database)
    finally:
        await database.dispose()
