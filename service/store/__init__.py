"""The advice and feedback store (SQLAlchemy 2 async, Alembic): SQLite or PostgreSQL."""

from __future__ import annotations

from typing import Any

from service.store.database import Database, StoreUnavailable
from service.store.recorder import AdviceRecorder
from service.store.store import Store


def install(state: Any) -> None:
    """Give an application (its ``app.state``) a store and an advice recorder.

    Both start with the application and stop with it: the recorder drains its queue first
    (shutdown work runs in reverse order), then the store closes its connections.
    """
    store = Store(Database(state.settings.database_url))
    recorder = AdviceRecorder(store, state.knowledge.version)
    state.store = store
    state.advice_recorder = recorder
    state.on_startup.extend([store.start, recorder.start])
    state.on_shutdown.extend([store.close, recorder.stop])


__all__ = ["AdviceRecorder", "Database", "Store", "StoreUnavailable", "install"]
