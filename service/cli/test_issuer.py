"""``baclofen-cds test-issuer``: a local test issuer and its tokens, FOR TESTING ONLY."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path
from typing import Any

from service.cli.local_issuer import (
    DEFAULT_ISSUER,
    DEFAULT_LIFETIME_S,
    MAX_LIFETIME_S,
    IssuerDirectoryError,
    LocalTestIssuer,
)
from service.cli.support import CliError, HelpFormatter, whole_number

WARNING = (
    "FOR TESTING ONLY: anyone who can read the issuer's directory can sign as it. "
    "Never trust it where real patient data is."
)

DESCRIPTION = f"""\
A local test issuer: a stand-in EHR that signs CDS Hooks JWTs, so that a service with
authentication on can be called by hand.

{WARNING}

  baclofen-cds test-issuer create DIR      make the key pair, print the setting that trusts it
  baclofen-cds test-issuer settings DIR    print that setting's value again
  baclofen-cds test-issuer token DIR URL   print a signed token for one call of URL
"""


def add_commands(commands: Any) -> None:
    """Register ``test-issuer`` and its subcommands on the CLI's subparsers."""
    parser = commands.add_parser(
        "test-issuer",
        help="a local issuer of test JWTs (for testing only)",
        description=DESCRIPTION,
        formatter_class=HelpFormatter,
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    create = actions.add_parser(
        "create",
        help="make a key pair in DIR and print the BACLOFEN_CDS_TRUSTED_ISSUERS that trusts it",
        description=f"Make a test issuer in DIR. {WARNING}",
        formatter_class=HelpFormatter,
    )
    create.add_argument("directory", type=Path, metavar="DIR", help="where the keys are kept")
    create.add_argument("--issuer", default=DEFAULT_ISSUER, help="the tokens' iss")
    create.add_argument(
        "--fhir-server",
        action="append",
        default=[],
        metavar="URL",
        help="a FHIR base URL the service may fetch missing prefetch from for this issuer "
        "(repeat for several; default: none, so every call must carry its prefetch)",
    )
    create.set_defaults(run=_create)

    settings = actions.add_parser(
        "settings",
        help="print the BACLOFEN_CDS_TRUSTED_ISSUERS value that trusts the issuer in DIR",
        formatter_class=HelpFormatter,
    )
    settings.add_argument("directory", type=Path, metavar="DIR")
    settings.set_defaults(run=_settings)

    token = actions.add_parser(
        "token",
        help="print a JWT for one call of URL, signed by the issuer in DIR",
        description="Print a signed JWT for one call of URL (each token carries a new jti: "
        "the service accepts it once). URL is the full address called: the service's "
        "public base URL and the path, e.g. "
        "http://127.0.0.1:8080/cds-services/baclofen-order-sign.",
        formatter_class=HelpFormatter,
    )
    token.add_argument("directory", type=Path, metavar="DIR")
    token.add_argument("url", metavar="URL", help="the URL the token is for (its aud)")
    token.add_argument(
        "--lifetime",
        type=whole_number(1, MAX_LIFETIME_S),
        default=DEFAULT_LIFETIME_S,
        metavar="SECONDS",
        help="seconds until the token expires",
    )
    token.add_argument(
        "--count",
        type=whole_number(1, 1000),
        default=1,
        metavar="N",
        help="tokens to print, one a line",
    )
    token.set_defaults(run=_token)


def _load(directory: Path) -> LocalTestIssuer:
    try:
        return LocalTestIssuer.load(directory)
    except IssuerDirectoryError as error:
        raise CliError(str(error)) from None


def _setting_value(issuer: LocalTestIssuer) -> str:
    return json.dumps(issuer.trusted_issuers(), separators=(",", ":"))


def _create(args: argparse.Namespace) -> int:
    try:
        issuer = LocalTestIssuer.create(
            args.directory, issuer=args.issuer, fhir_servers=tuple(args.fhir_server)
        )
    except IssuerDirectoryError as error:
        raise CliError(str(error)) from None
    except OSError as error:
        raise CliError(f"cannot write to {args.directory}: {error.strerror}") from None
    print(f"baclofen-cds: test issuer {issuer.issuer} made in {args.directory}", file=sys.stderr)
    print(f"baclofen-cds: {WARNING}", file=sys.stderr)
    print("baclofen-cds: trust it in the service's environment with:", file=sys.stderr)
    print(f"export BACLOFEN_CDS_TRUSTED_ISSUERS={shlex.quote(_setting_value(issuer))}")
    return 0


def _settings(args: argparse.Namespace) -> int:
    print(_setting_value(_load(args.directory)))
    return 0


def _token(args: argparse.Namespace) -> int:
    url = args.url
    if not url.startswith(("http://", "https://")):
        raise CliError(f"the URL must start with http:// or https://: {url!r}")
    issuer = _load(args.directory)
    for _ in range(args.count):
        print(issuer.token(url, lifetime_s=args.lifetime))
    return 0
