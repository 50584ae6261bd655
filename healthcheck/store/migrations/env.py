"""Alembic environment for the healthcheck store.

Migrations always run on a connection handed over by `healthcheck.store.db.Database.migrate` in
``config.attributes["connection"]``: the store has already begun a transaction and taken a
lock, so concurrent starts take turns and a failed upgrade leaves nothing half-done.
"""

from __future__ import annotations

from alembic import context

# Every table is declared in this one module, so its metadata is the whole schema.
from healthcheck.store.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "healthcheck migrations run through healthcheck.store.Store (or pass a connection in "
        "config.attributes['connection'])."
    )

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
