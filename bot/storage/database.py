"""The engine, and migrations applied at start (and by `release-bot db upgrade`)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

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
        def _pragmas(dbapi_connection, record) -> None:  # type: ignore[no-untyped-def]
            # WAL lets readers run beside the writer; several processes may share the file.
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()
            _stop_once(record.driver_connection)

        return engine
    return create_async_engine(url, pool_pre_ping=True)


def _stop_once(connection: Any) -> None:
    """Let an aiosqlite connection's worker thread be asked to stop only once.

    When a task is cancelled mid-query, SQLAlchemy closes its connection in a shielded task; if the task is cancelled
    again meanwhile, it force-closes the connection with aiosqlite's `stop()` and the shielded close goes on. If that
    close is cancelled too (the event loop's teardown cancels every task at once), it ends with a `stop()` of its
    own, which aiosqlite (0.22) queues behind the first: its thread has ended by then, so the close waits forever for
    an answer with its cancellation spent, and the loop's teardown never ends (a stalled test run; `release-bot run`
    hanging on SIGTERM). Every `stop()` after the first waits for the first one's answer instead."""
    stop = connection.stop
    first: list[asyncio.Future[Any] | None] = []

    def once() -> asyncio.Future[Any] | None:
        if not first:
            first.append(stop())
        return first[0]

    connection.stop = once


def _alembic_config(connection: Connection | None = None) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest migration's revision, read from the migration files' headers without importing Alembic."""
    found = re.compile(r'^(down_revision|revision)\s*=\s*["\']?([^"\'\s]+)', re.MULTILINE)
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        for name, value in found.findall(path.read_text(encoding="utf-8")):
            (revisions if name == "revision" else parents).add(value)
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else ""  # several heads: let Alembic decide (and complain)


def _current_revision(connection: Connection) -> str | None:
    if not connection.dialect.has_table(connection, "alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


async def upgrade(engine: AsyncEngine) -> None:
    """Bring the schema to the newest migration (idempotent).

    Alembic (~9 MiB of modules, kept for the life of the process once imported) is only loaded when there is
    something to migrate: a bot restarted on an up-to-date database never imports it."""

    def run(connection: Connection) -> None:
        head = head_revision()
        if head and _current_revision(connection) == head:
            return
        from alembic import command
        from alembic.util.exc import CommandError

        try:
            command.upgrade(_alembic_config(connection), "head")
        except CommandError as exc:  # e.g. a revision this version does not have: a newer release-bot migrated it
            raise DatabaseUnavailable(
                f"the database {safe_url(str(engine.url))} has a schema this release-bot does not know ({exc}); "
                "it was probably upgraded by a newer release-bot: run that version, or use another database"
            ) from None

    try:
        connection = await engine.connect()
    except (OSError, DBAPIError) as exc:  # refused, unknown host, bad password, no file, timed out
        reason = getattr(exc, "orig", None) or exc
        raise DatabaseUnavailable(f"cannot connect to the database {safe_url(str(engine.url))}: {reason}") from None
    try:
        async with connection.begin():
            await connection.run_sync(run)
    finally:
        await connection.close()


async def current_revision(engine: AsyncEngine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    def read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as connection:
        return await connection.run_sync(read)
