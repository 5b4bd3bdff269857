"""The benchmark's server: ``baclofen-cds serve`` as deployed, with the floor mounted.

    python -m bench.server --host 127.0.0.1 --port 8081 --workers 2

The same server settings, limits and workers as ``serve`` (``service.cli.main.serve``), the
application of ``bench.floor``: the service's own plus ``POST /benchmark/floor``.
"""

from __future__ import annotations

import argparse

from service.cli.main import serve

FLOOR_APP = "bench.floor:app"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=None)
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args(argv)
    return serve(args.host, args.port, args.workers, app=FLOOR_APP)


if __name__ == "__main__":
    raise SystemExit(main())
