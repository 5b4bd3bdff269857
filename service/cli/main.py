"""The ``baclofen-cds`` command: serve, demo, evaluate, fixtures, migrate, report, test-issuer.

``evaluate`` runs the same pipeline as ``POST /cds-services/{id}``: what it prints is what the
service would answer.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
import os
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from cds_hooks.errors import CdsHooksError
from service.app.serving import (
    GRACEFUL_SHUTDOWN_S,
    refusals,
    uvicorn_limits,
    worker_metrics_directory,
)
from service.auth.caller import Caller
from service.cli.store import add_commands as add_store_commands
from service.cli.support import (
    CliError,
    HelpFormatter,
    env_name,
    iso_date,
    load_settings,
    run,
    whole_number,
)
from service.cli.test_issuer import add_commands as add_test_issuer_commands
from service.settings import Settings

HOOK_TO_SERVICE = {
    "order-select": "baclofen-order-select",
    "order-sign": "baclofen-order-sign",
    "patient-view": "baclofen-patient-view",
}

DESCRIPTION = """\
baclofen-cds: a CDS Hooks 2.0 service that checks baclofen orders while a clinician writes
them, and the tools around it. Settings come from BACLOFEN_CDS_* environment variables
(see the README's Configuration table).
"""

SERVE_EPILOG = """\
Card links and the audience expected in JWTs use BACLOFEN_CDS_PUBLIC_BASE_URL. When it is
not set it is the address served, http://HOST:PORT (localhost when HOST is 0.0.0.0 or ::).
Behind a load balancer, proxy or container port mapping, set it to the URL callers use.
"""

EVALUATE_EPILOG = """\
A scenario file (fixtures/) is evaluated as of its evaluationDate, so the dates in the answer
are the file's; `fixtures show` prints a scenario's request with its dates moved to today, so
its answer from a server carries today's dates. The cards are the same. --shift-to-today
evaluates a scenario as `fixtures show` prints it.
"""


SERVICE_APP = "service.app.asgi:app"


def _serve(args: argparse.Namespace) -> int:
    return serve(args.host, args.port, args.workers)


def serve(host: str | None, port: int | None, workers: int | None, app: str = SERVICE_APP) -> int:
    """Serve ``app`` (an ASGI import path) as ``baclofen-cds serve`` does: the service's own,
    or the benchmark's (``bench.server``: the same application with its floor route)."""
    import uvicorn

    from service.observability.logs import configure_logging

    configured = load_settings()
    host = host or configured.host
    port = port or configured.port
    workers = workers or configured.workers
    # The application (in this process, or in each worker) reads its settings from the
    # environment: give it the address actually served, from which the public base URL
    # defaults (service.settings).
    os.environ[env_name("host")] = host
    os.environ[env_name("port")] = str(port)
    os.environ[env_name("workers")] = str(workers)
    settings = load_settings()
    problems = refusals(settings, workers)
    for problem in problems:
        print(f"baclofen-cds: refusing to start: {problem}", file=sys.stderr)
    if problems:
        return 2
    configure_logging(settings.log_level)
    log = logging.getLogger("baclofen_cds")
    if not settings.auth_required:
        log.warning(
            "authentication is OFF (BACLOFEN_CDS_AUTH_REQUIRED=false): for local development only"
        )
    served = {"host": host, "port": port, "workers": workers}
    log.info("serving", extra={**served, "public_base_url": settings.public_base_url})
    # Workers are separate processes: their metrics are summed through files (prometheus-client's
    # multiprocess mode), in a directory that must be new for each start of the server.
    with worker_metrics_directory(workers):
        uvicorn.run(
            app,
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
    from service.app.demo_server import run

    return run(args.port)


def _read_input(source: str) -> Any:
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CliError(f"no such file: {source}") from None
    except IsADirectoryError:
        raise CliError(f"{source} is a directory: give a request or scenario file") from None
    except OSError as error:
        raise CliError(f"cannot read {source}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise CliError(f"{source} is not UTF-8 text") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise CliError(f"the input is not valid JSON: {error}") from None


@dataclass(frozen=True)
class _Evaluation:
    """What ``evaluate`` was asked: a request for a service, as of a day (None: today)."""

    service_id: str
    request: Any
    today: dt.date | None


def _scenario_date(document: dict[str, Any]) -> dt.date | None:
    if "evaluationDate" not in document:
        return None
    try:
        return dt.date.fromisoformat(str(document["evaluationDate"]))
    except ValueError:
        raise CliError("the scenario's evaluationDate is not a date (YYYY-MM-DD)") from None


def _service_of(request: Any) -> str | None:
    hook = request.get("hook") if isinstance(request, dict) else None
    return HOOK_TO_SERVICE.get(hook) if isinstance(hook, str) else None


def _evaluation(document: Any, args: argparse.Namespace, pinned: dt.date | None) -> _Evaluation:
    """The request in ``document`` (a request, or a scenario file wrapping one), its service
    and its day: ``--today``, else ``BACLOFEN_CDS_TODAY`` (``pinned``), else the scenario's."""
    from service.pipeline.examples import shift_dates

    today = args.today or pinned
    request = document
    service_id = args.service
    scenario_date: dt.date | None = None
    # A scenario file (fixtures/) wraps the request with its service and evaluation date.
    if isinstance(document, dict) and "request" in document and "hook" not in document:
        request = document["request"]
        service_id = service_id or document.get("service")
        scenario_date = _scenario_date(document)
        if today is None and scenario_date is not None and not args.shift_to_today:
            today = scenario_date
    service_id = service_id or _service_of(request)
    if service_id is None:
        raise CliError("cannot tell which service to call: give --service")
    if args.shift_to_today and scenario_date is not None:
        request = shift_dates(request, (dt.date.today() - scenario_date).days)
        today = dt.date.today()
    return _Evaluation(service_id, request, today)


def _evaluate(args: argparse.Namespace) -> int:
    """The pipeline alone, as the service runs it: no application, store or authenticator."""
    from service.app.services import build_evaluator, checked_knowledge, clinical_clock
    from service.fhir.fetchers import fetcher_factory_for
    from service.pipeline.evaluator import EvaluationResult

    document = _read_input(args.file)
    settings = load_settings()
    asked = _evaluation(document, args, settings.today)
    fetching = fetcher_factory_for(settings)
    knowledge = checked_knowledge()
    today = asked.today
    clock = (lambda: today) if today is not None else clinical_clock(settings)
    evaluator = build_evaluator(settings, knowledge, clock=clock, fetcher_factory=fetching)
    caller = Caller.unauthenticated(settings.fhir_allowed_bases)

    async def evaluate() -> EvaluationResult:
        try:
            return await evaluator.evaluate(asked.service_id, asked.request, caller)
        finally:
            # Not served: close the pooled FHIR client and the evaluation threads here.
            await fetching.aclose()
            await evaluator.aclose()

    try:
        result = asyncio.run(evaluate())
    except CdsHooksError as error:
        problems = "; ".join(issue.diagnostics for issue in error.issues)
        raise CliError(f"the service would answer {error.status}: {problems}") from None
    if args.explain:
        from service.pipeline.explain import explain

        print(explain(result, knowledge), file=sys.stderr)
    print(json.dumps(result.response.to_json_dict(), indent=2, ensure_ascii=False))
    return 0


def _fixtures(args: argparse.Namespace) -> int:
    from service.pipeline.examples import all_fixtures, find_fixture

    if args.action == "show":
        if not args.name:
            raise CliError("fixtures show needs a fixture: its name or number (see `fixtures`)")
        try:
            fixture = find_fixture(args.name)
        except KeyError:
            raise CliError(f"no fixture {args.name!r} (see `baclofen-cds fixtures`)") from None
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


class _VersionAction(argparse.Action):
    """``--version``: the package's version and its knowledge base's, read only when asked."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        from service.clinical.knowledge import load_knowledge

        try:
            version = metadata.version("baclofen-cds")
        except metadata.PackageNotFoundError:
            version = "(not installed)"
        print(f"baclofen-cds {version} (knowledge base {load_knowledge().version})")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    defaults = Settings.model_fields
    parser = argparse.ArgumentParser(
        prog="baclofen-cds", description=DESCRIPTION, formatter_class=HelpFormatter
    )
    parser.add_argument("--version", action=_VersionAction, help="print the version and exit")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser(
        "serve",
        help="run the HTTP service",
        description="Run the HTTP service.",
        epilog=SERVE_EPILOG,
        formatter_class=HelpFormatter,
    )
    serve.add_argument(
        "--host",
        help=f"interface to bind (default: BACLOFEN_CDS_HOST, else {defaults['host'].default})",
    )
    serve.add_argument(
        "--port",
        type=whole_number(1, 65535),
        help=f"port to listen on (default: BACLOFEN_CDS_PORT, else {defaults['port'].default})",
    )
    serve.add_argument(
        "--workers",
        type=whole_number(1, 64),
        help="worker processes sharing the port, 1 to 64 "
        f"(default: BACLOFEN_CDS_WORKERS, else {defaults['workers'].default})",
    )
    serve.set_defaults(run=_serve)

    demo = commands.add_parser(
        "demo",
        help="the service with a demo EHR page, for a look on this machine (127.0.0.1 only)",
        description="Start the service with the demo EHR page at /demo, on 127.0.0.1 only, "
        "authentication off, a store of its own in a temporary directory.",
        formatter_class=HelpFormatter,
    )
    demo.add_argument(
        "--port",
        type=whole_number(0, 65535),
        default=0,
        help="port on 127.0.0.1 (default: a free one, printed)",
    )
    demo.set_defaults(run=_demo)

    evaluate = commands.add_parser(
        "evaluate",
        help="evaluate a CDS Hooks request (JSON) and print the answer",
        description="Evaluate a CDS Hooks request, or a scenario file, without HTTP: the same "
        "pipeline and the same answer as the service. Exit status 2 on invalid input.",
        epilog=EVALUATE_EPILOG,
        formatter_class=HelpFormatter,
    )
    evaluate.add_argument("file", help="a request or scenario file, or - for standard input")
    evaluate.add_argument(
        "--service", help="service id (default: from the scenario, else from the request's hook)"
    )
    evaluate.add_argument(
        "--today",
        type=iso_date,
        metavar="YYYY-MM-DD",
        help="evaluation date (default: BACLOFEN_CDS_TODAY, else the scenario's, else today)",
    )
    evaluate.add_argument(
        "--shift-to-today",
        action="store_true",
        help="move a scenario's dates to today and evaluate as of today",
    )
    evaluate.add_argument(
        "--explain",
        action="store_true",
        help="also print, on standard error, what the service read and which rules ran, "
        "which were skipped and why",
    )
    evaluate.set_defaults(run=_evaluate)

    fixtures = commands.add_parser(
        "fixtures",
        help="list the bundled example requests, or print one",
        description="List the bundled example requests with the cards each should produce, "
        "or print one (`fixtures show 3`).",
        formatter_class=HelpFormatter,
    )
    fixtures.add_argument(
        "action", nargs="?", choices=["list", "show"], default="list", help="(default: list)"
    )
    fixtures.add_argument(
        "name", nargs="?", help="with show: the fixture, by file name or number (3, 03)"
    )
    fixtures.add_argument(
        "--as-written",
        action="store_true",
        help="with show: keep the dates as written (default: moved to today)",
    )
    fixtures.set_defaults(run=_fixtures)

    add_store_commands(commands)  # migrate, report
    add_test_issuer_commands(commands)  # test-issuer
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return run(lambda: int(args.run(args)))


if __name__ == "__main__":
    sys.exit(main())
