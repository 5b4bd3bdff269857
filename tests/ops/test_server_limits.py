"""What a client can hold of ``baclofen-cds serve`` before it is authenticated: raw sockets
against a real server process.

Found by a penetration test: eight connections with unterminated 96 MB headers took the server
from 117 MB to 962 MB, and a half-sent request or an idle connection stayed open indefinitely.
Now headers are capped (``BACLOFEN_CDS_MAX_HEADER_BYTES``), must arrive within
``BACLOFEN_CDS_HEADER_TIMEOUT_S``, a body within ``BACLOFEN_CDS_BODY_TIMEOUT_S`` (408), and at
most ``BACLOFEN_CDS_MAX_CONNECTIONS`` connections are served at once (503 beyond).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.servers import Server, serving

HEADER_TIMEOUT_S = 1
BODY_TIMEOUT_S = 2
MAX_HEADER_BYTES = 8192
MAX_CONNECTIONS = 6
# Far above the limits under test, far below "indefinitely": generous on a loaded machine.
CLOSED_WITHIN_S = 15.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    workdir: Path = tmp_path_factory.mktemp("limits")
    env = {
        "BACLOFEN_CDS_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'store.sqlite3'}",
        "BACLOFEN_CDS_HEADER_TIMEOUT_S": str(HEADER_TIMEOUT_S),
        "BACLOFEN_CDS_BODY_TIMEOUT_S": str(BODY_TIMEOUT_S),
        "BACLOFEN_CDS_MAX_HEADER_BYTES": str(MAX_HEADER_BYTES),
        "BACLOFEN_CDS_MAX_CONNECTIONS": str(MAX_CONNECTIONS),
    }
    with serving(workdir, env) as started:
        yield started


def connect(server: Server) -> socket.socket:
    address = urlsplit(server.base)
    sock = socket.create_connection((address.hostname, address.port), timeout=CLOSED_WITHIN_S)
    return sock


def read_until_closed(sock: socket.socket, within_s: float = CLOSED_WITHIN_S) -> bytes | None:
    """Everything the server sends until it closes the connection; None if it did not close."""
    sock.settimeout(within_s)
    received = b""
    deadline = time.monotonic() + within_s
    try:
        while time.monotonic() < deadline:
            chunk = sock.recv(65536)
            if not chunk:
                return received
            received += chunk
    except (ConnectionResetError, BrokenPipeError):
        return received
    except TimeoutError:
        return None
    return None


def test_an_idle_connection_is_closed(server: Server) -> None:
    with connect(server) as sock:
        started = time.monotonic()
        assert read_until_closed(sock) == b""
        assert time.monotonic() - started >= HEADER_TIMEOUT_S * 0.9


def test_half_sent_headers_are_closed(server: Server) -> None:
    with connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\nX-Slow: ")
        assert read_until_closed(sock) == b""


def test_headers_dripped_byte_by_byte_are_closed_at_the_deadline(server: Server) -> None:
    """Each byte arrives well within the timeout; the request as a whole does not."""
    request = b"GET /healthz HTTP/1.1\r\nHost: test\r\nX-Drip: " + b"a" * 200 + b"\r\n\r\n"
    with connect(server) as sock:
        started = time.monotonic()
        sent = 0
        try:
            for byte in request:
                sock.sendall(bytes([byte]))
                sent += 1
                time.sleep(0.05)
        except (BrokenPipeError, ConnectionResetError):
            pass
        assert sent < len(request), "the whole request got through"
        assert time.monotonic() - started < CLOSED_WITHIN_S


def test_oversized_headers_are_refused_without_being_buffered(server: Server) -> None:
    rss_before = server.rss_bytes()
    for _ in range(8):
        with connect(server) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\nX-Big: ")
            sent = 0
            try:
                while sent < 64 * 1024 * 1024:  # the server must hang up long before
                    sock.sendall(b"a" * 65536)
                    sent += 65536
            except (BrokenPipeError, ConnectionResetError):
                pass
            assert sent < 16 * 1024 * 1024, "the server kept reading an unterminated header"
            answer = read_until_closed(sock)
            assert answer is not None
            assert answer == b"" or answer.startswith(b"HTTP/1.1 400")
    assert server.rss_bytes() - rss_before < 50 * 1024 * 1024


def test_a_half_sent_body_gets_408(server: Server) -> None:
    with connect(server) as sock:
        sock.sendall(
            b"POST /cds-services/baclofen-order-sign HTTP/1.1\r\nHost: test\r\n"
            b'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"hook": '
        )
        answer = read_until_closed(sock)
        assert answer is not None and answer.startswith(b"HTTP/1.1 408"), answer
        assert b"did not arrive within 2 s" in answer


def test_a_body_nobody_reads_cannot_hold_the_connection(server: Server) -> None:
    """Answered at once (404: no such service), then a body dripped forever: closed."""
    with connect(server) as sock:
        sock.sendall(
            b"POST /cds-services/nothing HTTP/1.1\r\nHost: test\r\nContent-Length: 100000\r\n\r\n"
        )
        deadline = time.monotonic() + BODY_TIMEOUT_S + 5 + CLOSED_WITHIN_S
        closed = False
        while time.monotonic() < deadline:
            try:
                sock.sendall(b"a")
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            sock.settimeout(0.5)
            try:
                if sock.recv(65536) == b"":
                    closed = True
                    break
            except TimeoutError:
                pass
        assert closed


def test_connections_beyond_the_limit_get_503(server: Server) -> None:
    held = []
    try:
        for _ in range(MAX_CONNECTIONS - 1):
            sock = connect(server)
            # Complete headers, no body yet: the call waits for its body (BODY_TIMEOUT_S).
            sock.sendall(
                b"POST /cds-services/baclofen-order-sign HTTP/1.1\r\nHost: test\r\n"
                b"Content-Length: 10\r\n\r\n"
            )
            held.append(sock)
        statuses = []
        deadline = time.monotonic() + BODY_TIMEOUT_S * 0.75
        while time.monotonic() < deadline and 503 not in statuses:
            statuses.append(httpx.get(f"{server.base}/healthz", timeout=5).status_code)
        assert 503 in statuses
    finally:
        for sock in held:
            sock.close()
    deadline = time.monotonic() + CLOSED_WITHIN_S
    while httpx.get(f"{server.base}/healthz", timeout=5).status_code != 200:
        assert time.monotonic() < deadline, "the limit did not free up"
        time.sleep(0.1)
