"""What the commands of ``baclofen-cds`` share: settings read with readable errors, option
types that refuse bad values, help that shows defaults, and output that survives a closed pipe.

A command fails by raising ``CliError``; ``run`` prints it as one line on standard error and
exits with its status. No traceback reaches the user for a mistake of theirs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sys
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError
from pydantic_settings import SettingsError

from service.settings import Settings

ENV_PREFIX = "BACLOFEN_CDS_"
# 128 + SIGPIPE: what a shell reports for a writer whose reader went away (`... | head`).
EXIT_BROKEN_PIPE = 141
EXIT_INTERRUPTED = 130


class CliError(Exception):
    """A failure to report in one line: ``baclofen-cds: <message>``, exit ``status``."""

    def __init__(self, message: str, status: int = 2) -> None:
        super().__init__(message)
        self.status = status


def env_name(field: str) -> str:
    return ENV_PREFIX + field.upper()


def settings_problems(error: ValidationError) -> list[str]:
    """Each problem named by its environment variable, never by the Python field name.

    The values are left out: a database URL can carry a password.
    """
    problems = []
    for issue in error.errors():
        field, *inside = [str(part) for part in issue["loc"]] or ["settings"]
        where = env_name(field) + "".join(f"[{part!r}]" for part in inside)
        message = issue["msg"].removeprefix("Value error, ")
        problems.append(f"{where}: {message}")
    return problems


def load_settings(**overrides: Any) -> Settings:
    """The settings from the environment, or a CliError naming each variable that is wrong."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        raise CliError("invalid setting: " + "; ".join(settings_problems(error))) from None
    except SettingsError as error:
        # pydantic-settings: 'error parsing value for field "trusted_issuers" from source ...'
        match = re.search(r'field "(\w+)"', str(error))
        name = env_name(match.group(1)) if match else "a BACLOFEN_CDS_ variable"
        raise CliError(f"invalid setting: {name} is not valid JSON") from None


def whole_number(low: int, high: int) -> Callable[[str], int]:
    """An option type for a whole number from ``low`` to ``high``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is not between {low} and {high}")
        return value

    parse.__name__ = "whole number"  # argparse names the type in its messages
    return parse


def iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Descriptions kept as written (paragraphs, examples); each option's default appended
    when it has one worth showing and its help does not already say it."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if (
            "default" in text
            or default is None
            or default is argparse.SUPPRESS
            or isinstance(default, bool)
            or not action.option_strings
        ):
            return text
        return f"{text} (default: {default})"


def run(command: Callable[[], int]) -> int:
    """Run a command; its CliError, a closed output pipe and Ctrl-C end it without a traceback."""
    try:
        return command()
    except CliError as error:
        print(f"baclofen-cds: {error}", file=sys.stderr)
        return error.status
    except BrokenPipeError:
        # The reader went away (`fixtures show 03 | head`). Point standard output at /dev/null
        # so that Python's flush at exit does not fail a second time.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
