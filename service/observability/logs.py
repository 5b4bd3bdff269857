"""Logging: one JSON object per line, with the structured fields routes attach via ``extra``.

What may appear in a log line is decided where the line is written (hookInstance, service id,
rule codes, timings, reasons); request bodies, tokens and patient data never are.
"""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import orjson

# uvicorn's color_message repeats the message with terminal colour codes.
_LEFT_OUT = {"message", "asctime", "taskName", "color_message"}
_STANDARD = set(vars(logging.makeLogRecord({})).keys()) | _LEFT_OUT

# The id of the HTTP request being served (service.api.access sets it), so that every line a
# request causes (a JWT refusal, a failed FHIR fetch) can be joined to its access line.
REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)

QUIET_LIBRARIES = ("sqlalchemy", "aiosqlite", "asyncpg", "alembic", "httpcore", "hpack")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            # With several workers, which process wrote the line.
            "pid": record.process,
        }
        request_id = REQUEST_ID.get()
        if request_id is not None:
            entry["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        return orjson.dumps(entry, default=str).decode()


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # Access logs repeat what the request log line already says, with the query string.
    logging.getLogger("uvicorn.access").disabled = True
    # httpx logs every request URL at INFO; FHIR URLs carry patient ids. Its warnings stay.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # The database layers log statements with their parameters (SQLAlchemy at INFO, the
    # drivers at DEBUG): what the service logs is its own choice, at every level.
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)
