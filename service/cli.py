"""The ``baclofen-cds`` command: serve, demo, evaluate, fixtures, migrate, report.

``evaluate`` runs the same pipeline as ``POST /cds-services/{id}``: what it prints is what the
service would answer.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from cds_hooks.errors import CdsHooksError
from service.caller import Caller
from service.serving import (
    GRACEFUL_SHUTDOWN_S,
    refusals,
    uvicorn_limits,
    worker_metrics_directory,
)
from service.settings import Settings
from service.store_cli import add_commands as add_store_commands

HOOK_TO_SERVICE = {
    "order-select": "baclofen-order-select",
    "order-sign": "baclofen-order-sign",
    "patient-view": "baclofen-patient-view",
}


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from service.logs import configure_logging

    settings = Settings()
    host = args.host or settings.host
    port = args.port or settings.port
    workers = args.workers or settings.workers
    problems = refusals(settings, workers)
    for problem in problems:
        print(f"baclofen-cds: refusing to start: {problem}", file=sys.stderr)
    if problems:
        return 2
    configure_logging(settings.log_level)
    if not settings.auth_required:
        import logging

        logging.getLogger("baclofen_cds").warning(
            "authentication is OFF (BACLOFEN_CDS_AUTH_REQUIRED=false): for local development only"
        )
    # Workers are separate processes: their metrics are summed through files (prometheus-client's
    # multiprocess mode), in a directory that must be new for each start of the server.
    with worker_metrics_directory(workers):
        uvicorn.run(
            "service.asgi:app",
            host=host,
            port=port,
            workers=workers,
            log_config=None,
            # In-flight calls get this long to finish after SIGTERM (orchestrators wait 30 s
            # before SIGKILL by default); then the advice recorder drains (service.store).
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
            server_header=False,
            **uvicorn_limits(settings),
        )
    return 0


def _demo(args: argparse.Namespace) -> int:
    from service.demo_server import run

    return run(args.port)


def _read_input(source: str) -> Any:
    text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    return json.loads(text)


def _evaluate(args: argparse.Namespace) -> int:
    from service.app import create_app
    from service.fixtures import shift_dates

    try:
        document = _read_input(args.file)
    except FileNotFoundError:
        print(f"baclofen-cds: no such file: {args.file}", file=sys.stderr)
        return 2
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        print(f"baclofen-cds: the input is not valid JSON: {error}", file=sys.stderr)
        return 2

    settings = Settings()
    today = args.today or settings.today
    request = document
    service_id = args.service
    # A scenario file (fixtures/) wraps the request with its service and evaluation date.
    if isinstance(document, dict) and "request" in document and "hook" not in document:
        request = document["request"]
        service_id = service_id or document.get("service")
        if today is None and "evaluationDate" in document:
            today = dt.date.fromisoformat(document["evaluationDate"])
    if service_id is None:
        hook = request.get("hook") if isinstance(request, dict) else None
        service_id = HOOK_TO_SERVICE.get(hook) if isinstance(hook, str) else None
    if service_id is None:
        print("baclofen-cds: cannot tell which service to call: give --service", file=sys.stderr)
        return 2
    if args.shift_to_today and isinstance(document, dict) and "evaluationDate" in document:
        days = (dt.date.today() - dt.date.fromisoformat(document["evaluationDate"])).days
        request, today = shift_dates(request, days), dt.date.today()

    from service.evaluate import EvaluationResult, Evaluator
    from service.prefetch_client import fetcher_factory_for

    fetching = fetcher_factory_for(settings)
    app = create_app(
        settings,
        clock=(lambda: today) if today else None,
        fetcher_factory=fetching,
    )
    caller = Caller.unauthenticated(settings.fhir_allowed_bases)

    async def evaluate() -> EvaluationResult:
        try:
            evaluator: Evaluator = app.state.evaluator
            return await evaluator.evaluate(service_id, request, caller)
        finally:
            # No lifespan here: close the pooled FHIR client and the evaluation threads.
            await fetching.aclose()
            await app.state.evaluator.aclose()

    try:
        result = asyncio.run(evaluate())
    except CdsHooksError as error:
        for issue in error.issues:
            print(f"baclofen-cds: {error.status}: {issue.diagnostics}", file=sys.stderr)
        return 2
    print(json.dumps(result.response.to_json_dict(), indent=2, ensure_ascii=False))
    return 0


def _fixtures(args: argparse.Namespace) -> int:
    from service.fixtures import all_fixtures, find_fixture

    if args.action == "show":
        try:
            fixture = find_fixture(args.name)
        except KeyError:
            print(f"baclofen-cds: no fixture named {args.name!r}", file=sys.stderr)
            return 2
        request = fixture.request if args.as_written else fixture.shifted_request(dt.date.today())
        print(json.dumps(request, indent=2, ensure_ascii=False))
        return 0
    fixtures = list(all_fixtures())
    width = max((len(f.key) for f in fixtures), default=10)
    for fixture in fixtures:
        expected = ", ".join(
            f"{code} ({ind})" for code, ind in fixture.expect.get("present", {}).items()
        )
        if fixture.expect.get("empty"):
            expected = "no cards"
        print(
            f"{fixture.key:<{width}}  {fixture.service:<22}  {fixture.name}"
            + (f"  -> {expected}" if expected else "")
        )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="baclofen-cds", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the HTTP service")
    serve.add_argument("--host", help="interface to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8080)")
    serve.add_argument("--workers", type=int, help="worker processes (default 1)")
    serve.set_defaults(run=_serve)

    demo = commands.add_parser(
        "demo",
        help="the service with a demo EHR page, for a look on this machine (127.0.0.1 only)",
    )
    demo.add_argument(
        "--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one, printed)"
    )
    demo.set_defaults(run=_demo)

    evaluate = commands.add_parser("evaluate", help="evaluate a CDS Hooks request (JSON)")
    evaluate.add_argument("file", help="a request or scenario file, or - for standard input")
    evaluate.add_argument("--service", help="service id (default: from the hook or the scenario)")
    evaluate.add_argument(
        "--today",
        type=dt.date.fromisoformat,
        help="evaluation date (default: the scenario's, else today)",
    )
    evaluate.add_argument(
        "--shift-to-today",
        action="store_true",
        help="move a scenario's dates to today before evaluating",
    )
    evaluate.set_defaults(run=_evaluate)

    fixtures = commands.add_parser("fixtures", help="list the bundled example requests")
    fixtures.add_argument("action", nargs="?", choices=["list", "show"], default="list")
    fixtures.add_argument("name", nargs="?", help="with show: the fixture (file name or number)")
    fixtures.add_argument(
        "--as-written",
        action="store_true",
        help="with show: keep the dates as written (default: moved to today)",
    )
    fixtures.set_defaults(run=_fixtures)

    add_store_commands(commands)  # migrate, report
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "fixtures" and args.action == "show" and not args.name:
        parser.error("fixtures show needs a fixture name")
    result: int = args.run(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
