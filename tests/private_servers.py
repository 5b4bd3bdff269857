"""Private PostgreSQL and Redis servers with TLS, for the transport-security tests.

The machine's shared servers (PostgreSQL at 5432, Redis at 6379) are never touched: each server
here is a new one, in a temporary directory, on a free loopback port, with a certificate signed
by a CA made for the test run, and is stopped and deleted afterwards. Without the server
programs (initdb and pg_ctl, redis-server) the tests are skipped, or fail on CI.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.requirements import unavailable
from tests.servers import free_port

START_TIMEOUT_S = 60
PASSWORD = "tls-test-secret"


@dataclass(frozen=True)
class Certificates:
    """A CA, and a server certificate it signed, as PEM files in ``directory``."""

    ca: Path
    certificate: Path
    key: Path


def make_certificates(directory: Path, *, hosts: tuple[str, ...] = ("localhost",)) -> Certificates:
    """A new CA and a server certificate for ``hosts`` (names or IP addresses)."""
    directory.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "baclofen-cds test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([x509.OID_SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    files = Certificates(directory / "ca.crt", directory / "server.crt", directory / "server.key")
    files.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files.certificate.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    files.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    files.key.chmod(0o600)
    return files


def _postgres_program(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: int(p.parts[-3])
    )
    if not versions:
        unavailable(f"PostgreSQL's {name} is not installed (Debian: apt-get install postgresql)")
    return str(versions[-1])


def _wait_for_port(port: int, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            assert time.monotonic() < deadline, log.read_text(errors="replace")[-2000:]
            time.sleep(0.1)


@dataclass(frozen=True)
class PrivatePostgres:
    port: int
    certificates: Certificates

    def url(self, host: str = "localhost", **query: str) -> str:
        parameters = "&".join(f"{name}={value}" for name, value in query.items())
        return f"postgresql://postgres:{PASSWORD}@{host}:{self.port}/postgres?{parameters}"


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    """A PostgreSQL cluster of its own that accepts only TLS connections, with a password.

    initdb refuses to run as root: as root the cluster belongs to the ``postgres`` user.
    """
    initdb, pg_ctl = _postgres_program("initdb"), _postgres_program("pg_ctl")
    as_owner: list[str] = []
    owner: pwd.struct_passwd | None = None
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            unavailable("running as root, and there is no postgres user to own a cluster")
        as_owner = ["runuser", "-u", "postgres", "--"]
    top = Path(tempfile.mkdtemp(prefix="baclofen-cds-pg-tls-"))
    data = top / "data"
    try:
        certificates = make_certificates(top / "certificates")
        password_file = top / "password"
        password_file.write_text(PASSWORD)
        if owner is not None:
            for path in [top, *top.rglob("*")]:
                os.chown(path, owner.pw_uid, owner.pw_gid)
        init = [initdb, "-D", str(data), "-U", "postgres", "-A", "scram-sha-256"]
        init += ["--pwfile", str(password_file), "-E", "UTF8", "--no-sync"]
        subprocess.run([*as_owner, *init], check=True, capture_output=True, timeout=120)
        port = free_port()
        (data / "pg_hba.conf").write_text(
            "hostssl all all 127.0.0.1/32 scram-sha-256\nhostnossl all all 127.0.0.1/32 reject\n"
        )
        with (data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"port = {port}\n"
                "listen_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{top}'\n"
                "ssl = on\n"
                f"ssl_cert_file = '{certificates.certificate}'\n"
                f"ssl_key_file = '{certificates.key}'\n"
                "fsync = off\n"
                "max_connections = 20\n"
                "shared_buffers = 16MB\n"
            )
        log = top / "postgres.log"
        if owner is not None:
            os.chown(data / "pg_hba.conf", owner.pw_uid, owner.pw_gid)
        start = [pg_ctl, "-D", str(data), "-l", str(log), "-w", "-t", str(START_TIMEOUT_S)]
        result = subprocess.run(
            [*as_owner, *start, "start"], capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stdout + result.stderr + _tail(log)
        try:
            _wait_for_port(port, log)
            yield PrivatePostgres(port, certificates)
        finally:
            subprocess.run(
                [*as_owner, pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"],
                capture_output=True,
                timeout=120,
            )
    finally:
        shutil.rmtree(top, ignore_errors=True)


@dataclass(frozen=True)
class PrivateRedis:
    port: int
    certificates: Certificates

    def url(self, *, password: str = PASSWORD, ca: Path | None = None) -> str:
        ca_file = ca or self.certificates.ca
        return f"rediss://:{password}@localhost:{self.port}/0?ssl_ca_certs={ca_file}"


@contextmanager
def private_redis() -> Iterator[PrivateRedis]:
    """A redis-server of its own, TLS only, with a password."""
    program = shutil.which("redis-server")
    if program is None:
        unavailable("redis-server is not installed (Debian: apt-get install redis-server)")
    top = Path(tempfile.mkdtemp(prefix="baclofen-cds-redis-tls-"))
    try:
        certificates = make_certificates(top / "certificates")
        port = free_port()
        log = top / "redis.log"
        arguments = [
            *("--port", "0", "--tls-port", str(port), "--bind", "127.0.0.1"),
            *("--tls-cert-file", str(certificates.certificate)),
            *("--tls-key-file", str(certificates.key)),
            *("--tls-ca-cert-file", str(certificates.ca)),
            *("--tls-auth-clients", "no"),
            *("--requirepass", PASSWORD),
            *("--save", "", "--appendonly", "no", "--dir", str(top), "--logfile", str(log)),
        ]
        process = subprocess.Popen(
            [program, *arguments], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL
        )
        try:
            _wait_for_port(port, log)
            _wait_for_tls(port, certificates, log)
            yield PrivateRedis(port, certificates)
        finally:
            process.terminate()
            process.wait(timeout=30)
    finally:
        shutil.rmtree(top, ignore_errors=True)


def _wait_for_tls(port: int, certificates: Certificates, log: Path) -> None:
    # A server built without TLS listens on the port but cannot complete a handshake.
    context = ssl.create_default_context(cafile=str(certificates.ca))
    try:
        with (
            socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
            context.wrap_socket(raw, server_hostname="localhost"),
        ):
            return
    except (OSError, ssl.SSLError) as error:
        unavailable(f"redis-server does not speak TLS here ({error}): {_tail(log)}")


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:] if log.exists() else ""
