"""The engine, and migrations applied at start (and by `release-bot db upgrade`)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.util.exc import CommandError
from sqlalchemy import Connection, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

MIGRATIONS = Path(__file__).parent / "migrations"


class DatabaseUnavailable(Exception):
    """The database cannot be reached or opened: a message for the operator, not a traceback."""


def safe_url(url: str) -> str:
    """A database URL without its password, for messages and logs."""
    return make_url(url).render_as_string(hide_password=True)


def create_engine(url: str) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            try:
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseUnavailable(
                    f"cannot create the folder for the database {parsed.database}: {exc.strerror or exc}"
                ) from None
        engine = create_async_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            # WAL lets readers run beside the writer; several processes may share the file.
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_async_engine(url, pool_pre_ping=True)


def _alembic_config(connection: Connection | None = None) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


async def upgrade(engine: AsyncEngine) -> None:
    """Bring the schema to the newest migration (idempotent)."""

    def run(connection: Connection) -> None:
        command.upgrade(_alembic_config(connection), "head")

    try:
        connection = await engine.connect()
    except (OSError, DBAPIError) as exc:  # refused, unknown host, bad password, no file, timed out
        reason = getattr(exc, "orig", None) or exc
        raise DatabaseUnavailable(f"cannot connect to the database {safe_url(str(engine.url))}: {reason}") from None
    try:
        async with connection.begin():
            await connection.run_sync(run)
    except CommandError as exc:  # e.g. a revision this version does not have: a newer release-bot migrated it
        raise DatabaseUnavailable(
            f"the database {safe_url(str(engine.url))} has a schema this release-bot does not know ({exc}); "
            "it was probably upgraded by a newer release-bot: run that version, or use another database"
        ) from None
    finally:
        await connection.close()


async def current_revision(engine: AsyncEngine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    def read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as connection:
        return await connection.run_sync(read)
