"""``baclofen-cds migrate`` and ``baclofen-cds report``: the store from the command line.

``report`` prints the rows of ``GET /analytics/rules``, from the same query and the same
rendering code: every EHR's cards, or one EHR's (``--issuer``, ``--tenant``), as that EHR reads
them through the API. It only reads: a database whose schema is not current is refused with a hint
to run ``migrate``, not migrated behind the operator's back.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from service.cli.support import HelpFormatter, load_settings
from service.store import reporting
from service.store.analytics import Window, WindowError, rule_stats, unmatched_feedback
from service.store.database import Database, StoreUnavailable, unavailability_as_error
from service.store.migrate import current_revision, head_revision, upgrade
from service.store.scope import ClientScope


def add_commands(commands: Any) -> None:
    """Register the commands on the CLI's subparsers."""
    migrate = commands.add_parser(
        "migrate",
        help="create or update the store's schema",
        description="Create or update the schema of the store at BACLOFEN_CDS_DATABASE_URL "
        "(serve does it at start-up too). Exit status 1 if the store is unreachable.",
        formatter_class=HelpFormatter,
    )
    migrate.set_defaults(run=_migrate)

    report = commands.add_parser(
        "report",
        help="cards issued, accepted and overridden per rule code",
        description="The rows of GET /analytics/rules: cards issued, accepted and overridden "
        "per service and rule code. Exit status 1 if the store is unreachable or not "
        "migrated, 2 on a bad date.",
        formatter_class=HelpFormatter,
    )
    report.add_argument(
        "--since",
        help="cards issued from (ISO 8601 date or date-time; UTC; default: the beginning)",
    )
    report.add_argument(
        "--until", help="cards issued before (ISO 8601 date or date-time; UTC; default: now)"
    )
    report.add_argument("--format", choices=reporting.FORMATS, default="table", help="output")
    report.add_argument(
        "--issuer", help="only the cards issued to this EHR (its JWT iss; default: every card)"
    )
    report.add_argument("--tenant", help="with --issuer: only that tenant's cards")
    report.set_defaults(run=_report)


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")


def _fail(message: str, status: int = 1) -> int:
    sys.stderr.write(f"baclofen-cds: {message}\n")
    return status


def _migrate(_: argparse.Namespace) -> int:
    return asyncio.run(_migrate_database(Database(load_settings().database_url)))


async def _migrate_database(database: Database) -> int:
    try:
        async with unavailability_as_error():
            before = await current_revision(database)
            await upgrade(database)
            after = await current_revision(database)
    except StoreUnavailable as error:
        return _fail(f"the store at {database.describe()} is unreachable ({error})")
    finally:
        await database.dispose()
    change = "already current" if before == after else f"was {before or 'empty'}"
    _say(f"{database.describe()}: schema at revision {after} ({change})")
    return 0


def _report(args: argparse.Namespace) -> int:
    try:
        window = Window.parse(args.since, args.until)
    except WindowError as error:
        return _fail(str(error), status=2)
    if args.tenant and not args.issuer:
        return _fail("--tenant needs --issuer", status=2)
    scope = ClientScope(args.issuer, args.tenant) if args.issuer else None
    database = Database(load_settings().database_url)
    return asyncio.run(_print_report(database, window, args.format, scope))


async def _print_report(
    database: Database, window: Window, output: str, scope: ClientScope | None = None
) -> int:
    try:
        async with unavailability_as_error():
            if await current_revision(database) != head_revision():
                return _fail(
                    f"the store at {database.describe()} is not migrated: "
                    "run `baclofen-cds migrate` first"
                )
            rows = await rule_stats(database, window, scope)
            unmatched = await unmatched_feedback(database, window)
    except StoreUnavailable as error:
        return _fail(f"the store at {database.describe()} is unreachable ({error})")
    finally:
        await database.dispose()

    if output == "json":
        _say(json.dumps(reporting.as_json(rows), indent=2))
    elif output == "csv":
        sys.stdout.write(reporting.as_csv(rows))
    else:
        since = window.since.isoformat() if window.since else "the beginning"
        until = window.until.isoformat() if window.until else "now"
        _say(f"Cards issued from {since} until {until}\n")
        sys.stdout.write(reporting.as_table(rows))
        if unmatched:
            _say(f"\n{unmatched} feedback item(s) name cards this store has no record of.")
    return 0
