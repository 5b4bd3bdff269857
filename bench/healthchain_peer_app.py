"""A HealthChain CDS Hooks service that answers every call with one trivial card: the peer that
``bench.peer_healthchain`` measures beside baclofen-cds. Runs in .venv-healthchain (HealthChain's
pins clash with the service's), never imported by the service:

    .venv-healthchain/bin/python bench/healthchain_peer_app.py --port 8765 --log access.log

The hook is the same order-sign service id as baclofen-cds's, under HealthChain's own prefix:
``POST /cds/cds-services/baclofen-order-sign``. HealthChain parses the body into its CDSRequest
model (pydantic) and serialises its CDSResponse: the work any endpoint of that stack costs.
It checks no JWT: HealthChain's CDSHooksService has no authentication of its own.
"""

from __future__ import annotations

import argparse
import logging

import uvicorn
from healthchain.gateway import CDSHooksService, HealthChainAPI
from healthchain.models import Card, CDSRequest, CDSResponse

SERVICE_ID = "baclofen-order-sign"


def build_app() -> HealthChainAPI:
    app = HealthChainAPI(title="HealthChain peer (benchmark)")
    cds = CDSHooksService()

    @cds.hook("order-sign", id=SERVICE_ID)  # type: ignore[untyped-decorator]
    def order_sign(request: CDSRequest) -> CDSResponse:  # noqa: ARG001 (passed by name)
        return CDSResponse(
            cards=[Card(summary="Peer card", indicator="info", source={"label": "HealthChain"})]
        )

    app.register_service(cds)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", required=True, help="the access log file, one line per request")
    args = parser.parse_args()
    # As the service is measured: INFO, one access line per request, written to a file.
    logging.basicConfig(filename=args.log, level=logging.INFO)
    config = uvicorn.Config(
        build_app(), host=args.host, port=args.port, log_config=None, log_level="info"
    )
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
