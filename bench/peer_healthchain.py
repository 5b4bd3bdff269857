#!/usr/bin/env python3
"""baclofen-cds beside a HealthChain CDS Hooks service that answers one trivial card.

    .venv/bin/python -m bench.peer_healthchain [--workloads typical] [--concurrency 1 16]
                                               [--duration 12] [--rounds 3]

The floor (``bench.run``) says what this stack costs for a body; the peer says what another
Python CDS Hooks framework costs for the same body when it does nothing clinical: HealthChain's
``CDSHooksService`` (bench/healthchain_peer_app.py, run in .venv-healthchain, whose pins clash
with the service's) parses the request into its pydantic models and returns one fixed card.

Both get the same bodies from the same wrk driver (bench/post.lua), in alternating slices of
the same minute: the floor, baclofen-cds as deployed (authentication on, every request with its
own RS384 JWT, advice recording, one worker), then the peer (no authentication: HealthChain has
none). Reported per workload: each one's req/s and latency percentiles, and the median of the
per-round ratios of baclofen-cds to the peer. Results are written as JSON under bench/results/.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.run import (
    ROOT,
    Server,
    Signer,
    TokenPool,
    _errors,
    _free_port,
    _wrk,
    combine_rounds,
    warm_up,
    write_bodies,
)
from bench.workloads import SERVICES

HEALTHCHAIN_PYTHON = ROOT / ".venv-healthchain" / "bin" / "python"
PEER_APP = ROOT / "bench" / "healthchain_peer_app.py"
PEER_PREFIX = "/cds/cds-services"  # HealthChain mounts its CDS Hooks router under /cds


class Peer:
    """The HealthChain service, in its own environment and process group."""

    def __init__(self, python: Path, workdir: Path) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(workdir / "peer.log", "wb")  # noqa: SIM115
        command = [
            str(python),
            str(PEER_APP),
            "--port",
            str(self.port),
            "--log",
            str(workdir / "peer-access.log"),
        ]
        self.process = subprocess.Popen(
            command, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/cds/cds-discovery", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.process.poll() is not None:
                break
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"the HealthChain peer did not become ready; see {self.log.name}")

    def path(self, workload: str) -> str:
        return f"{PEER_PREFIX}/{SERVICES[workload]}"

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()


def warm_up_peer(peer: Peer, body: Path, name: str, calls: int = 20) -> None:
    """The peer must answer the workload's body with its one card, or nothing is measured."""
    for _ in range(calls):
        response = httpx.post(
            peer.base + peer.path(name),
            content=body.read_bytes(),
            headers={"Content-Type": "application/json"},
            timeout=30,
        )
        if response.status_code != 200 or len(response.json().get("cards", [])) != 1:
            raise RuntimeError(
                f"{name}: the HealthChain peer answered HTTP {response.status_code}: "
                f"{response.text[:300]}"
            )


def measure(
    server: Server,
    peer: Peer,
    pool: TokenPool,
    name: str,
    body: Path,
    concurrency: int,
    seconds: float,
    rounds: int,
) -> dict[str, Any]:
    """Floor, baclofen-cds and the peer in ``rounds`` alternating slices of ``seconds``."""
    path = f"/cds-services/{SERVICES[name]}"
    audience = server.base + path
    slice_s = max(1.0, seconds / rounds)
    pilot = _wrk(server.base, path, body, pool.file(audience, 3000), 0, concurrency, 1)
    needed = int(max(pilot["rps"], 50) * slice_s * 2) + 500
    floors, ours, peers, ratios = [], [], [], []
    for _ in range(rounds):
        floors.append(_wrk(server.base, "/benchmark/floor", body, None, 0, concurrency, slice_s))
        result = _wrk(server.base, path, body, pool.file(audience, needed), 0, concurrency, slice_s)
        if result["requests"] > needed:
            raise RuntimeError(f"{name}: ran out of tokens ({result['requests']} > {needed})")
        ours.append(result)
        peers.append(_wrk(peer.base, peer.path(name), body, None, 0, concurrency, slice_s))
        ratios.append(ours[-1]["rps"] / peers[-1]["rps"])
    return {
        "workload": name,
        "concurrency": concurrency,
        "ratio_to_peer": statistics.median(ratios),
        "floor": combine_rounds(floors),
        "baclofen_cds": combine_rounds(ours),
        "healthchain": combine_rounds(peers),
    }


def _print_row(row: dict[str, Any]) -> None:
    def cell(result: dict[str, Any]) -> str:
        return (
            f"{result['rps']:7.0f} req/s p50 {result['p50_us'] / 1000:6.2f} ms "
            f"p99 {result['p99_us'] / 1000:6.2f} ms"
        )

    print(
        f"c={row['concurrency']:<3} {row['workload']:<13} "
        f"baclofen-cds {cell(row['baclofen_cds'])} | HealthChain {cell(row['healthchain'])} | "
        f"floor {row['floor']['rps']:6.0f} req/s | baclofen-cds / HealthChain "
        f"{row['ratio_to_peer']:5.2f}",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 16])
    parser.add_argument("--duration", type=float, default=12)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--workloads",
        nargs="+",
        default=["typical"],
        choices=[name for name in SERVICES if SERVICES[name].endswith("order-sign")],
        help="order-sign workloads (the peer serves that hook)",
    )
    parser.add_argument("--healthchain-python", type=Path, default=HEALTHCHAIN_PYTHON)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install wrk", file=sys.stderr)
        return 2
    if not args.healthchain_python.exists():
        print(
            f"no HealthChain environment at {args.healthchain_python}: ./scripts/test makes "
            ".venv-healthchain",
            file=sys.stderr,
        )
        return 2

    signer = Signer()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="baclofen-peer-") as scratch:
        workdir = Path(scratch)
        bodies = write_bodies(workdir, args.workloads)
        server = Server(1, signer, workdir, None)
        try:
            peer = Peer(args.healthchain_python, workdir)
        except RuntimeError:
            server.stop()
            raise
        try:
            for name in args.workloads:
                warm_up(server, signer, bodies[name], name)
                warm_up_peer(peer, bodies[name], name)
            pool = TokenPool(signer, workdir)
            for concurrency in args.concurrency:
                for name in args.workloads:
                    rows.append(
                        measure(
                            server,
                            peer,
                            pool,
                            name,
                            bodies[name],
                            concurrency,
                            args.duration,
                            args.rounds,
                        )
                    )
                    _print_row(rows[-1])
        finally:
            peer.stop()
            server.stop()
    out = args.out or ROOT / "bench" / "results" / f"peer-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps({"duration_s": args.duration, "rounds": args.rounds, "rows": rows}, indent=2)
        + "\n"
    )
    print(f"\nwritten to {out}")
    keys = ("floor", "baclofen_cds", "healthchain")
    if any(_errors(row[key]) for row in rows for key in keys):
        print("some measured requests failed: the numbers are not valid", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
