from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.config import PACKAGED_CONFIG_DIR, Config, load_config
from bot.domain.releases import Catalogue

ROOT = Path(__file__).resolve().parent.parent
PREMIERE = datetime(2023, 11, 2, 7, 0, tzinfo=UTC)  # from ../shared/show-facts.md, not from our catalogue


@pytest.fixture(autouse=True, scope="session")
def _own_user_data_directory(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The default database lives in the user's data directory: no test, nor a process it starts, touches the real
    one (it may hold another version's schema, or someone's data)."""
    os.environ["XDG_DATA_HOME"] = str(tmp_path_factory.mktemp("user-data"))


@pytest.fixture(scope="session")
def config() -> Config:
    return load_config(PACKAGED_CONFIG_DIR, environ={})


def upcoming_release(
    base: Config,
    release_at: datetime,
    *,
    milestones: tuple[timedelta, ...] | None = None,
    grace: timedelta | None = None,
    premiere_grace: timedelta | None = None,
    database_url: str | None = None,
) -> Config:
    """The shipped catalogue plus "The Lighthouse Keeper", a release at `release_at`, featured."""
    featured = base.catalogue.featured
    soon = replace(
        featured,
        id="the-lighthouse-keeper",
        title="The Lighthouse Keeper",
        kind="film",
        network="Netflix",
        episodes=None,
        release_at=release_at,
        cast=(),
        trivia=(),
    )
    settings = base.settings
    changes = {"milestones": milestones, "grace": grace, "premiere_grace": premiere_grace, "database_url": database_url}
    settings = replace(settings, **{k: v for k, v in changes.items() if v is not None})
    catalogue = Catalogue((soon, *base.catalogue.releases), soon.id)
    return replace(base, catalogue=catalogue, settings=settings)


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Storage tests run on both databases: an embedded SQLite file, and PostgreSQL when one is reachable."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}"
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        if os.environ.get("REQUIRE_POSTGRES"):
            pytest.fail("REQUIRE_POSTGRES is set but TEST_DATABASE_URL is not")
        pytest.skip("no PostgreSQL: set TEST_DATABASE_URL (CI starts a throw-away cluster, see .ci/run)")
    engine = create_async_engine(url)
    async with engine.begin() as connection:  # every test starts from an empty database
        await connection.execute(text("DROP SCHEMA public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()
    return url
