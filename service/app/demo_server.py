"""``baclofen-cds demo``: the service for a look on this machine, with the demo EHR page.

Whatever the environment says, the demo listens on 127.0.0.1 only, with authentication off, a
store of its own in a temporary directory (deleted at exit) and no FHIR fetches (the examples
carry all their data). These settings are not reachable through the environment: no deployment
can end up serving the demo page by a stray variable.
"""

from __future__ import annotations

import signal
import socket
import sys
import tempfile
from pathlib import Path

from cds_hooks.request import HookRequest
from cds_hooks.resolution import Fetcher
from service.app.serving import GRACEFUL_SHUTDOWN_S
from service.auth.caller import Caller
from service.settings import Settings

HOST = "127.0.0.1"
QUIET_LOG_LEVEL = "WARNING"  # a demo's terminal shows its URL, not a line per request


def no_fetching(_request: HookRequest, _caller: Caller) -> Fetcher | None:
    """The demo never contacts a FHIR server: every example carries its prefetch."""
    return None


def demo_settings(port: int, store: Path) -> Settings:
    settings = Settings(
        host=HOST,
        port=port,
        auth_required=False,
        auth_discovery=False,
        database_url=f"sqlite+aiosqlite:///{store}",
        public_base_url=f"http://{HOST}:{port}",
        cors_origins=[],
        redis_url=None,
    )
    if "log_level" not in settings.model_fields_set:  # BACLOFEN_CDS_LOG_LEVEL still wins
        settings = settings.model_copy(update={"log_level": QUIET_LOG_LEVEL})
    return settings


def bind(port: int) -> socket.socket:
    """A listening socket on 127.0.0.1 (port 0: a free one), before the app needs its URL."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((HOST, port))
        # Listening from here: a browser opened on the printed URL waits in the backlog
        # while the app starts, instead of being refused.
        listener.listen(128)
    except OSError:
        listener.close()
        raise
    return listener


def run(port: int) -> int:
    import uvicorn

    from service.app.factory import create_app
    from service.observability.logs import configure_logging

    try:
        listener = bind(port)
    except OSError as error:
        print(f"baclofen-cds demo: cannot listen on {HOST}:{port}: {error}", file=sys.stderr)
        return 1
    with listener, tempfile.TemporaryDirectory(prefix="baclofen-cds-demo-") as directory:
        port = listener.getsockname()[1]
        settings = demo_settings(port, Path(directory) / "demo.sqlite3")
        configure_logging(settings.log_level)
        app = create_app(settings, demo=True, fetcher_factory=no_fetching)
        url = f"{settings.public_base_url}/demo"
        print(f"baclofen-cds demo: open {url}", flush=True)
        print(
            f"  override analytics: {settings.public_base_url}/analytics\n"
            "  local use only: authentication is off; the store is deleted when you stop it"
            " (Ctrl+C)",
            flush=True,
        )
        config = uvicorn.Config(
            app,
            log_config=None,
            lifespan="on",
            server_header=False,
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        )
        # uvicorn stops gracefully on SIGINT or SIGTERM, then raises the signal again: here it
        # ends the run as an exception, so that the temporary store is deleted either way.
        previous = signal.signal(signal.SIGTERM, _stopped)
        try:
            uvicorn.Server(config).run(sockets=[listener])
        except (KeyboardInterrupt, Stopped):
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
    print("baclofen-cds demo: stopped; its store is deleted", flush=True)
    return 0


class Stopped(Exception):
    """SIGTERM reached the demo."""


def _stopped(_signum: int, _frame: object) -> None:
    raise Stopped
