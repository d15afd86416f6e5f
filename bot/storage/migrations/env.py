"""Alembic environment: migrations run on a connection handed over by `bot.storage.database.upgrade`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from bot.storage.models import Base

connection = context.config.attributes["connection"]
if connection.dialect.name == "postgresql":
    # Several bot processes may start at once: one migrates, the others wait for it.
    connection.execute(text("SELECT pg_advisory_xact_lock(72616463)"))
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
