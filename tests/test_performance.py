"""What keeps the bot small and quick (issue 14): asserted as behaviour, never as timings."""

from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory

from bot.app import MALLOC_ARENAS
from bot.scheduling.announcer import Announcer
from bot.storage.database import MIGRATIONS, create_engine, head_revision, upgrade
from bot.storage.repository import Store

RELEASE = datetime(2023, 11, 20, 0, 0, tzinfo=UTC)


class NoPoster:
    async def wait_turn(self, urgent: bool = False) -> None:
        raise AssertionError("nothing is sent in these tests")


@pytest.fixture
async def store(database_url: str):  # type: ignore[no-untyped-def]
    engine = create_engine(database_url)
    await upgrade(engine)
    yield Store(engine)
    await engine.dispose()


class CountingStore(Store):
    """The real store, counting the per-server time zone reads a command would wait on."""

    zone_reads = 0

    async def guild_timezone(self, guild_id: int) -> str | None:
        self.zone_reads += 1
        return await super().guild_timezone(guild_id)


def test_the_head_revision_is_alembics() -> None:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert head_revision() == ScriptDirectory.from_config(config).get_current_head()


def test_an_up_to_date_database_never_loads_alembic(tmp_path) -> None:  # type: ignore[no-untyped-def]
    program = f"""
import asyncio, json, sys
from bot.storage.database import create_engine, upgrade
async def main():
    engine = create_engine("sqlite+aiosqlite:///{tmp_path}/bot.sqlite3")
    await upgrade(engine)
    first = "alembic" in sys.modules
    for name in [m for m in sys.modules if m == "alembic" or m.startswith("alembic.")]:
        del sys.modules[name]
    await upgrade(engine)  # a restart on the migrated database
    print(json.dumps([first, "alembic" in sys.modules]))
    await engine.dispose()
asyncio.run(main())
"""
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [True, False]  # loaded to create the schema, not on the restart


def test_the_running_bot_loads_only_what_it_uses(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The bot as `release-bot run` builds it (composition root, storage opened), restarted on an up-to-date
    SQLite database, keeps none of the modules only other paths need: a module once loaded stays for the life of
    the process (issue 14: RSS with 10,000 servers)."""
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/bot.sqlite3"}
    migrate = subprocess.run(
        [sys.executable, "-m", "bot", "db", "upgrade"], capture_output=True, text=True, timeout=120, env=env
    )
    assert migrate.returncode == 0, migrate.stderr
    program = """
import asyncio, json, sys
from bot.app import build_bot
from bot.config import load_config
async def main():
    bot = await build_bot(load_config(None), sandbox=True)
    await bot.announcer.store.engine.dispose()  # never logged in: nothing else to close
    print(json.dumps(sorted(sys.modules)))
asyncio.run(main())
"""
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    loaded = set(json.loads(result.stdout))
    assert "bot.scheduling.announcer" in loaded and "discord" in loaded  # it did build the running bot
    only_elsewhere = {
        "alembic": "migrations (loaded only when the schema is behind)",
        "icalendar": "/calendar and `release-bot ics`",
        "discord.ext.commands": "prefix commands, which a slash-command bot never reads",
        "sqlalchemy.dialects.postgresql": "a PostgreSQL database",
        "prompt_toolkit": "the console",
        "jsonschema": "the sandbox's spec validation",
        "bot.sandbox": "the sandbox",
        "bot.console": "the console",
        "bot.demo": "the demo",
    }
    assert {name: why for name, why in only_elsewhere.items() if name in loaded} == {}


ARENAS_PROGRAM = """
import asyncio, ctypes, json, os, sys, tempfile, threading
from bot.app import build_bot
from bot.config import load_config
libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
libc.fopen.restype = ctypes.c_void_p
libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
libc.fclose.argtypes = [ctypes.c_void_p]
def arenas():
    path = tempfile.mktemp()
    stream = libc.fopen(path.encode(), b"w")
    libc.malloc_info(0, stream)
    libc.fclose(stream)
    return open(path).read().count("<heap nr=")
async def main():
    bot = await build_bot(load_config(None), sandbox=True)
    # Eight threads allocating at once, as the storage's connection threads do: each would get its own arena.
    barrier = threading.Barrier(9)
    def allocate():
        libc.malloc(1000)
        barrier.wait()
        barrier.wait()
    threads = [threading.Thread(target=allocate) for _ in range(8)]
    for thread in threads:
        thread.start()
    barrier.wait()
    found = arenas()
    barrier.wait()
    for thread in threads:
        thread.join()
    await bot.announcer.store.engine.dispose()
    print(json.dumps(found))
asyncio.run(main())
"""


@pytest.mark.skipif(
    sys.platform != "linux" or not hasattr(ctypes.CDLL(None), "gnu_get_libc_version"), reason="glibc's arenas"
)
def test_the_running_bot_keeps_few_malloc_arenas(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """glibc would give each allocating thread its own arena (up to 8 per core) and keep freed memory apart in
    each: the bot limits them to 2 before its storage threads start (issue 14: the soak's RSS drift); an
    operator's MALLOC_ARENA_MAX still wins."""
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path}/bot.sqlite3"
    limited = subprocess.run(
        [sys.executable, "-c", ARENAS_PROGRAM], capture_output=True, text=True, env=env, timeout=120
    )
    assert limited.returncode == 0, limited.stderr
    assert json.loads(limited.stdout) <= MALLOC_ARENAS
    chosen = subprocess.run(
        [sys.executable, "-c", ARENAS_PROGRAM],
        capture_output=True,
        text=True,
        env={**env, "MALLOC_ARENA_MAX": "4"},
        timeout=120,
    )
    assert chosen.returncode == 0, chosen.stderr
    assert json.loads(chosen.stdout) == 4  # the operator's choice, not ours


async def test_replies_read_the_time_zone_from_memory(database_url: str, config) -> None:  # type: ignore[no-untyped-def]
    engine = create_engine(database_url)
    await upgrade(engine)
    store = CountingStore(engine)
    now = datetime(2023, 11, 1, tzinfo=UTC)
    release = replace(config.catalogue.featured, release_at=RELEASE)
    catalogue = replace(config.catalogue, releases=(release,))
    await store.save_subscription(1, release.id, 99, None, "Europe/Paris", None, now)
    announcer = Announcer(store, catalogue, config.settings, NoPoster(), clock=lambda: now)
    try:
        await announcer.load_zones(now)
        assert await announcer.guild_zone(1) == "Europe/Paris"
        assert await announcer.guild_zone(2) is None  # no settings: known without asking storage
        assert store.zone_reads == 0
        # A settings change in this process shows in the next reply.
        await store.save_subscription(1, release.id, 99, None, "Asia/Tokyo", None, now)
        await announcer.reschedule_guild(1)
        await store.save_subscription(2, release.id, 98, None, "America/Lima", None, now)
        await announcer.reschedule_guild(2)
        assert [await announcer.guild_zone(1), await announcer.guild_zone(2)] == ["Asia/Tokyo", "America/Lima"]
        announcer.unschedule_guild(2)  # the bot left that server (its settings are deleted)
        await store.forget_guild(2)
        assert await announcer.guild_zone(2) is None
    finally:
        await engine.dispose()


async def test_a_finished_releases_history_is_not_caught_up_again(store: Store, config) -> None:  # type: ignore[no-untyped-def]
    """A server whose premiere post is in the ledger is done with that release; one whose premiere is not is
    still caught up (its missed posts recorded as skipped)."""
    release = replace(config.catalogue.featured, release_at=RELEASE)
    catalogue = replace(config.catalogue, releases=(release,))
    created = RELEASE - timedelta(days=40)
    now = RELEASE + timedelta(days=10)
    done = await store.save_subscription(1, release.id, 91, None, "UTC", None, created)
    await store.save_subscription(2, release.id, 92, None, "UTC", None, created)
    await store.claim(done, "premiere", RELEASE, RELEASE, state="sent")
    announcer = Announcer(store, catalogue, config.settings, NoPoster(), clock=lambda: now)
    await announcer.catch_up(now)
    rows = await store.deliveries()
    assert [(d.guild_id, d.post_key) for d in rows if d.guild_id == 1] == [(1, "premiere")]
    skipped = [d for d in rows if d.guild_id == 2]
    assert {d.post_key for d in skipped} == {p.key for p in announcer.plan((await store.subscriptions(2))[0], created)}
    assert {d.state for d in skipped} == {"skipped"}
