#!/usr/bin/env python3
"""In-process JWT verification: what authentication costs each hook call, without HTTP.

    .venv/bin/python -m bench.inprocess_jwt [--repeat N] [--json]

Verifies ``--repeat`` distinct tokens (each its own ``jti``, as every EHR call has) with the
service's ``JwtVerifier``: RS384 as Epic signs (2048-bit key) and ES384 as the CDS Hooks
sandbox signs, the key set already fetched and an in-memory replay cache, as with one worker.
Reports the median and the 95th percentile per verification.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from cds_hooks.jwks import PublicKey, parse_jwks
from cds_hooks.jwt import JwtVerifier, TrustedIssuer

ISSUER = "https://bench.ehr.example"
AUDIENCE = "https://cds.example.org/cds-services/baclofen-order-sign"


class _Keys:
    def __init__(self, jwks: dict[str, Any]) -> None:
        self.keys = parse_jwks(jwks)

    async def key(self, issuer: str, kid: str) -> PublicKey | None:
        return self.keys.get(kid)


class _Replay:
    def __init__(self) -> None:
        self.seen: set[str] = set()

    async def first_use(self, key: str, ttl_seconds: int) -> bool:
        if key in self.seen:
            return False
        self.seen.add(key)
        return True


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(alg: str, repeat: int) -> dict[str, Any]:
    if alg == "RS384":
        private: Any = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
    else:
        private = ec.generate_private_key(ec.SECP384R1())
        jwk = json.loads(ECAlgorithm.to_jwk(private.public_key()))
    jwks = {"keys": [{**jwk, "kid": "bench", "use": "sig", "alg": alg}]}
    verifier = JwtVerifier({ISSUER: TrustedIssuer()}, _Keys(jwks), _Replay())
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "iat": now, "nbf": now - 300, "exp": now + 900}
    tokens = [
        jwt.encode(
            {**claims, "jti": uuid.uuid4().hex},
            private,
            algorithm=alg,
            headers={"kid": "bench", "typ": "JWT"},
        )
        for _ in range(repeat)
    ]
    loop = asyncio.new_event_loop()
    samples = []
    for token in tokens:
        started = time.perf_counter()
        loop.run_until_complete(verifier.verify(token, AUDIENCE))
        samples.append((time.perf_counter() - started) * 1000)
    loop.close()
    return {
        "alg": alg,
        "median_ms": round(statistics.median(samples), 3),
        "p95_ms": round(_percentile(samples, 0.95), 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=2000)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    rows = [measure(alg, args.repeat) for alg in ("RS384", "ES384")]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for row in rows:
        print(f"{row['alg']:<6} median {row['median_ms']:.3f} ms  p95 {row['p95_ms']:.3f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
