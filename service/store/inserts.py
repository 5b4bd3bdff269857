"""INSERT ... ON CONFLICT DO NOTHING in the dialect of the database at hand.

Both databases speak it, with the same SQLAlchemy API but from dialect-specific modules. It is
how the store makes writes idempotent without a read-then-write race.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase


def insert_ignoring_conflicts(
    dialect: str, model: type[DeclarativeBase], key: Sequence[str]
) -> Any:
    """An INSERT for ``model`` that skips rows whose ``key`` columns are already stored."""
    if dialect == "postgresql":
        return postgresql.insert(model).on_conflict_do_nothing(index_elements=list(key))
    if dialect == "sqlite":
        return sqlite.insert(model).on_conflict_do_nothing(index_elements=list(key))
    raise ValueError(f"no idempotent insert for {dialect}")
