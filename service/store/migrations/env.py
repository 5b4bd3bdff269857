"""Alembic environment: always handed a connection by service.store.migrate.

Migrations run inside the caller's transaction (atomic on PostgreSQL and, through our BEGIN
handling, on SQLite), so there is no URL or logging configuration here.
"""

from __future__ import annotations

from alembic import context

from service.store.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `baclofen-cds migrate`, which supplies the connection")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite cannot ALTER most things in place; batch mode rebuilds the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
