"""The advice and feedback store (SQLAlchemy 2 async, Alembic): SQLite or PostgreSQL."""

from __future__ import annotations

from service.store.database import Database, StoreUnavailable
from service.store.recorder import AdviceRecorder
from service.store.store import Store

__all__ = ["AdviceRecorder", "Database", "Store", "StoreUnavailable"]
