#!/usr/bin/env python3
"""The HTTP benchmark: the service as deployed, driven over loopback by wrk.

    .venv/bin/python -m bench.run [--workers 1 2] [--concurrency 1 16] [--duration 10]
                                  [--rounds 3] [--workloads ...] [--redis-url URL]

For each number of workers it starts ``baclofen-cds serve`` (as ``bench.server``, which adds
the floor route) with production settings (authentication on with a benchmark issuer whose key
is generated here, advice recording on, SQLite; with several workers, the JWT replay cache in
Redis when one answers at --redis-url),
checks that each workload gets its real answer, and drives each workload at each concurrency
with wrk. Every request carries its own signed JWT, as an EHR's would.

The floor: the same server answers ``POST /benchmark/floor`` (``bench.floor``: the same body
read and parsed, then ``{"cards": []}``). Floor and workload alternate in ``--rounds`` slices
of the duration, so that both see the same moment of a shared machine; each workload is
reported as the median of its per-round ratios to the floor, the figure to improve, since
absolute numbers move.

Why wrk: it is a C load generator (Debian's ``wrk``) that costs the two cores far less than a
Python driver would, so the service, not the client, is what is measured. The Lua script
(bench/post.lua) gives every request its own token.

Results are printed as a table and written as JSON under bench/results/.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx
import jwt
import redis
from cryptography.hazmat.primitives.asymmetric import rsa

from bench.workloads import SERVICES, build

ROOT = Path(__file__).resolve().parent.parent
LUA = ROOT / "bench" / "post.lua"
ISSUER = "https://bench.ehr.example"
KID = "bench-1"
TODAY = "2026-11-23"  # the workloads are dated against it
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def _b64(number: int, size: int) -> str:
    return base64.urlsafe_b64encode(number.to_bytes(size, "big")).rstrip(b"=").decode()


class Signer:
    """The benchmark EHR: RS384 as Epic signs (ES384 verification costs about 0.5 ms more)."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwks(self) -> dict[str, Any]:
        numbers = self.key.public_key().public_numbers()
        size = (numbers.n.bit_length() + 7) // 8
        jwk = {
            "kty": "RSA",
            "kid": KID,
            "use": "sig",
            "alg": "RS384",
            "n": _b64(numbers.n, size),
            "e": _b64(numbers.e, 3),
        }
        return {"keys": [jwk]}

    def tokens(self, audience: str, count: int) -> list[str]:
        now = int(time.time())
        claims = {"iss": ISSUER, "aud": audience, "iat": now, "nbf": now - 300, "exp": now + 3000}
        return [
            jwt.encode(
                {**claims, "jti": uuid.uuid4().hex},
                self.key,
                algorithm="RS384",
                headers={"kid": KID, "typ": "JWT"},
            )
            for _ in range(count)
        ]


def _reachable(url: str) -> str | None:
    """``url`` if a Redis answers there; otherwise None (each worker keeps its own cache)."""
    if not url:
        return None
    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    try:
        client.ping()
    except (redis.RedisError, OSError):
        print(f"no Redis at {url}: each worker keeps its own replay cache", file=sys.stderr)
        return None
    finally:
        client.close()
    return url


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    def __init__(self, workers: int, signer: Signer, workdir: Path, redis_url: str | None) -> None:
        self.port = _free_port()
        self.replay_cache = "redis" if redis_url else "memory"
        self.base = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "BACLOFEN_CDS_AUTH_REQUIRED": "true",
            "BACLOFEN_CDS_TRUSTED_ISSUERS": json.dumps(
                {ISSUER: {"jwks": signer.jwks(), "fhir_servers": ["https://ehr.example.org/fhir"]}}
            ),
            "BACLOFEN_CDS_PUBLIC_BASE_URL": self.base,
            "BACLOFEN_CDS_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / f'{workers}.sqlite3'}",
            "BACLOFEN_CDS_LOG_LEVEL": "INFO",  # as deployed: one access line per request
            "BACLOFEN_CDS_TODAY": TODAY,
            "BACLOFEN_CDS_WORKERS": str(workers),
            "BACLOFEN_CDS_LINK_KEYS": "benchmark-only-link-key-0123456789abcdef",
        }
        if redis_url:
            env["BACLOFEN_CDS_REDIS_URL"] = redis_url
        command = [
            sys.executable,
            "-m",
            "bench.server",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(workers),
        ]
        self.log = open(workdir / f"server-{workers}.log", "wb")  # noqa: SIM115
        self.process = subprocess.Popen(
            command,
            env=env,
            cwd=ROOT,  # where bench.server is found, by this process and its workers
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the server did not become ready; see {self.log.name}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()


def _wrk(
    url: str,
    path: str,
    body: Path,
    tokens: Path | None,
    offset: int,
    concurrency: int,
    seconds: float,
) -> dict[str, Any]:
    command = [
        "wrk",
        "-t1",
        f"-c{concurrency}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        url,
        "--",
        path,
        str(body),
        str(tokens) if tokens else "-",
        str(offset),
        "1",
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("{"))
    result: dict[str, Any] = json.loads(line)
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


class TokenPool:
    """Unused tokens per audience, signed ahead of each run."""

    def __init__(self, signer: Signer, workdir: Path) -> None:
        self.signer, self.workdir = signer, workdir

    def file(self, audience: str, count: int) -> Path:
        path = self.workdir / f"tokens-{uuid.uuid4().hex}.txt"
        path.write_text("\n".join(self.signer.tokens(audience, count)) + "\n")
        return path


def warm_up(server: Server, signer: Signer, body: Path, name: str, calls: int = 20) -> int:
    """Call the workload ``calls`` times; the number of cards it answers with."""
    path = f"/cds-services/{SERVICES[name]}"
    counts = set()
    for token in signer.tokens(server.base + path, calls):
        response = httpx.post(
            server.base + path,
            content=body.read_bytes(),
            timeout=30,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        if response.status_code != 200:
            raise RuntimeError(f"{name}: HTTP {response.status_code} during the warm-up")
        counts.add(len(response.json()["cards"]))
    if len(counts) != 1 or (name != "no-baclofen") != (counts != {0}):
        raise RuntimeError(f"{name}: unexpected answers during the warm-up: {sorted(counts)} cards")
    return counts.pop()


def combine_rounds(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """Requests summed over the rounds; the median round's rate and percentiles."""
    merged: dict[str, Any] = {
        key: sum(int(r[key]) for r in rounds)
        for key in ("requests", "duration_us", "status_errors", "socket_errors")
    }
    for key in ("rps", "p50_us", "p95_us", "p99_us", "max_us"):
        merged[key] = statistics.median(float(r[key]) for r in rounds)
    return merged


def measure_against_floor(
    server: Server,
    pool: TokenPool,
    name: str,
    body: Path,
    concurrency: int,
    seconds: float,
    rounds: int,
) -> tuple[dict[str, Any], dict[str, Any], float]:
    """(workload, floor, ratio): floor and workload alternate in ``rounds`` slices.

    On a shared machine the capacity moves from one minute to the next; alternating short
    slices exposes both to the same conditions, and the median of the per-round ratios is
    what is reported.
    """
    path = f"/cds-services/{SERVICES[name]}"
    audience = server.base + path
    slice_s = max(1.0, seconds / rounds)
    # A short pilot tells how many tokens a slice needs (each request spends one).
    pilot = _wrk(server.base, path, body, pool.file(audience, 3000), 0, concurrency, 1)
    needed = int(max(pilot["rps"], 50) * slice_s * 2) + 500
    floors, results, ratios = [], [], []
    for _ in range(rounds):
        floors.append(_wrk(server.base, "/benchmark/floor", body, None, 0, concurrency, slice_s))
        result = _wrk(server.base, path, body, pool.file(audience, needed), 0, concurrency, slice_s)
        if result["requests"] > needed:
            raise RuntimeError(f"{name}: ran out of tokens ({result['requests']} > {needed})")
        results.append(result)
        ratios.append(result["rps"] / floors[-1]["rps"])
    return combine_rounds(results), combine_rounds(floors), statistics.median(ratios)


def write_bodies(workdir: Path, workloads: Iterable[str]) -> dict[str, Path]:
    """Each workload's request body as a file wrk posts (``post.lua``), by workload name."""
    bodies = {}
    for name in workloads:
        bodies[name] = workdir / f"{name}.json"
        bodies[name].write_text(json.dumps(build(name)))
    return bodies


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 16])
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--workloads", nargs="+", default=list(SERVICES))
    parser.add_argument(
        "--rounds", type=int, default=3, help="floor/workload alternations per measurement"
    )
    parser.add_argument(
        "--redis-url",
        default=DEFAULT_REDIS_URL,
        help="the JWT replay cache shared by several workers, as in production ('' for none)",
    )
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install wrk", file=sys.stderr)
        return 2

    signer = Signer()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="baclofen-bench-") as scratch:
        workdir = Path(scratch)
        bodies = write_bodies(workdir, args.workloads)
        pool = TokenPool(signer, workdir)
        for workers in args.workers:
            redis_url = _reachable(args.redis_url) if workers > 1 else None
            server = Server(workers, signer, workdir, redis_url)
            try:
                # Warm-up (imports, caches, the database file), and a check that what is
                # measured is the real answer: a 401 or an empty answer would be fast and wrong.
                cards = {
                    name: warm_up(server, signer, bodies[name], name) for name in args.workloads
                }
                for concurrency in args.concurrency:
                    for name in args.workloads:
                        result, floor, ratio = measure_against_floor(
                            server,
                            pool,
                            name,
                            bodies[name],
                            concurrency,
                            args.duration,
                            args.rounds,
                        )
                        rows.append(
                            {
                                "workers": workers,
                                "concurrency": concurrency,
                                "workload": name,
                                "cards": cards[name],
                                "replay_cache": server.replay_cache,
                                "ratio_to_floor": ratio,
                                "result": result,
                                "floor": floor,
                            }
                        )
                        _print_row(rows[-1])
            finally:
                server.stop()
    out = args.out or ROOT / "bench" / "results" / f"{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    summary = {"duration_s": args.duration, "rounds": args.rounds, "rows": rows}
    out.write_text(json.dumps(summary, indent=2) + "\n")
    print(f"\nwritten to {out}")
    failed = [row for row in rows if _errors(row["result"]) or _errors(row["floor"])]
    if failed:
        print(f"{len(failed)} runs had failed requests: the numbers are not valid", file=sys.stderr)
        return 1
    return 0


def _errors(result: dict[str, Any]) -> int:
    return int(result["status_errors"]) + int(result["socket_errors"])


def _print_row(row: dict[str, Any]) -> None:
    result, floor, share = row["result"], row["floor"], row["ratio_to_floor"]
    print(
        f"workers={row['workers']} c={row['concurrency']:<3} {row['workload']:<13} "
        f"{result['rps']:8.0f} req/s ({share:5.0%} of floor {floor['rps']:6.0f})  "
        f"p50 {result['p50_us'] / 1000:6.2f} ms  p95 {result['p95_us'] / 1000:6.2f} ms  "
        f"p99 {result['p99_us'] / 1000:6.2f} ms  (floor p50 {floor['p50_us'] / 1000:5.2f} ms)  "
        f"errors {_errors(result)}",
        flush=True,
    )


if __name__ == "__main__":
    raise SystemExit(main())
