"""The composition root: the one place where the bot's parts are built from the configuration and wired.

config -> engine (migrated) -> store -> announcer (timers, delivery) -> poster (discord.py) -> client, with the
app commands generated from the registry. `release-bot run`, `sync` and `demo`, the tests and `bench/` all start
the bot through here, so there is one way it is put together.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import signal
import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from discord import Object

from bot.config import SANDBOX_TOKEN, Config
from bot.discord.client import ReleaseBot, point_at_sandbox
from bot.discord.poster import DiscordPoster
from bot.discord.slash import app_commands_for
from bot.domain.announcements import PostRejected
from bot.domain.live import LiveCard
from bot.scheduling.announcer import Announcer, Timing
from bot.scheduling.events import EventKeeper
from bot.scheduling.service import AnnouncementService
from bot.storage.database import create_engine, upgrade
from bot.storage.repository import Store

log = logging.getLogger(__name__)


async def open_store(config: Config) -> Store:
    """The database, migrated to the current schema."""
    engine = create_engine(config.settings.database_url)
    try:
        await upgrade(engine)
    except BaseException:
        await engine.dispose()
        raise
    return Store(engine)


MALLOC_ARENAS = 2  # glibc's M_ARENA_MAX for the running bot (an operator's MALLOC_ARENA_MAX wins)
_M_ARENA_MAX = -8  # mallopt's parameter number, from glibc's malloc.h


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Ask glibc for at most `arenas` malloc arenas; True if it was asked.

    glibc gives each thread that allocates its own arena (up to 8 per core), and memory freed in one arena is
    only reused by the threads of that arena. The bot's SQLite connections each run in a thread (5 in the pool):
    in a 12-minute soak their arenas kept 7-12 MiB of freed memory and RSS rose for ~5 minutes and then fell
    back (98-101 MiB); with 2 arenas it stayed at 90-92 MiB. Must run before those threads start; glibc reads
    the limit when it first needs an extra arena. Nothing happens on a C library other than glibc."""
    if sys.platform != "linux" or "MALLOC_ARENA_MAX" in os.environ:
        return False
    try:
        libc = ctypes.CDLL(None)
        if not hasattr(libc, "gnu_get_libc_version"):
            return False  # musl and others: their allocators have no per-thread arenas to limit
        return bool(libc.mallopt(_M_ARENA_MAX, arenas))
    except (OSError, AttributeError):
        return False


def guild_locale(client: ReleaseBot, start_up_wait: float = 30.0) -> Callable[[int], Awaitable[str | None]]:
    """A server's language as Discord says (`preferred_locale`, kept current by GUILD_UPDATE), from the gateway's
    guild cache: no request per post. At start-up the catch-up may post before the gateway has delivered the
    servers: a server not in the cache yet is waited for (until the client is ready, at most `start_up_wait`
    seconds), so a late post is not in English for a French server. Unknown after that: None (English)."""

    async def locale(guild_id: int) -> str | None:
        guild = client.get_guild(guild_id)
        if guild is None and not client.is_ready():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(client.wait_until_ready(), start_up_wait)
            guild = client.get_guild(guild_id)
        return str(guild.preferred_locale) if guild is not None and guild.preferred_locale else None

    return locale


def shard_filter(shard_ids: list[int], shard_count: int) -> Callable[[int], bool]:
    """Whether a server belongs to one of this process's shards (Discord's rule: (guild_id >> 22) % count)."""
    owned = set(shard_ids)
    return lambda guild_id: (guild_id >> 22) % shard_count in owned


async def build_bot(
    config: Config,
    *,
    services: bool = True,
    sandbox: bool = False,
    shard_ids: list[int] | None = None,
    shard_count: int | None = None,
    timing: Timing | None = None,
    **options: Any,
) -> ReleaseBot:
    """The bot, ready to log in; with `services`, its storage (migrated) and announcer attached, which the client
    starts once connected. Without them (`release-bot sync`) it only knows its commands."""
    if services:
        limit_malloc_arenas()  # before the storage's connection threads start
    bot = ReleaseBot(config, sandbox=sandbox, shard_ids=shard_ids, shard_count=shard_count, **options)
    for command in app_commands_for():
        bot.tree.add_command(command)
    if services:
        store = await open_store(config)
        poster = DiscordPoster(bot, config.settings.posts_per_second)
        announcer = Announcer(store, config.catalogue, config.settings, poster, timing=timing or Timing.from_env())
        if shard_ids is not None and shard_count:
            announcer.guild_filter = shard_filter(shard_ids, shard_count)
        announcer.guild_locale = guild_locale(bot)
        events = EventKeeper(store, poster)
        bot.attach(announcer, AnnouncementService(announcer, events), events)
    return bot


async def run_bot(
    config: Config,
    token: str,
    sandbox: str | None = None,
    shard_ids: list[int] | None = None,
    shard_count: int | None = None,
) -> int:
    """Run until the bot is closed; SIGTERM (systemd, docker stop) and Ctrl-C both close it cleanly."""
    if sandbox:
        point_at_sandbox(sandbox)
    bot = await build_bot(config, sandbox=bool(sandbox), shard_ids=shard_ids, shard_count=shard_count)
    async with bot:
        loop = asyncio.get_running_loop()
        running = asyncio.ensure_future(bot.start(token))
        closing: list[asyncio.Task[None]] = []  # holds the task so it is not garbage-collected mid-close

        async def close() -> None:
            await bot.close()
            # While Discord is unreachable, discord.py's gateway loop sleeps in its reconnect back-off (up to 17
            # minutes) or retries its first connection forever, and close() does not wake it: it is cancelled.
            running.cancel()

        def stop(signum: signal.Signals) -> None:
            if not closing:
                log.info("%s received: shutting down", signum.name)
                closing.append(loop.create_task(close()))

        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop, signum)
        try:
            await running
        except asyncio.CancelledError:
            if not closing:  # run_bot itself was cancelled, not stopped by a signal
                raise
        if closing:
            await closing[0]
    log.info("stopped cleanly")
    return 0


async def sync_commands(config: Config, token: str, guild_id: int | None, sandbox: str | None = None) -> list[str]:
    if sandbox:
        point_at_sandbox(sandbox)
    async with await build_bot(config, services=False, sandbox=bool(sandbox)) as bot:
        await bot.login(token)
        guild = Object(guild_id) if guild_id else None
        if guild is not None:
            bot.tree.copy_global_to(guild=guild)
        synced = await bot.tree.sync(guild=guild)
    return [c.name for c in synced]


async def start_in_process(config: Config, sandbox_url: str, **options: Any) -> ReleaseBot:
    """The real bot, logged in to a sandbox inside this event loop (for `release-bot demo`, the tests, `bench/`).

    Returns once READY has been processed; the gateway keeps running in a task until `bot.close()`.
    """
    point_at_sandbox(sandbox_url)
    options.setdefault("chunk_guilds_at_startup", False)
    options.setdefault("guild_ready_timeout", 0.05)
    bot = await build_bot(config, sandbox=True, **options)
    await bot.login(SANDBOX_TOKEN)
    bot.gateway_task = asyncio.create_task(bot.connect(reconnect=True), name="release-bot gateway")
    await bot.wait_until_ready()
    return bot


class _NowherePoster:
    """The console's poster: it is not connected to Discord, so nothing is ever posted (its timers never start)."""

    async def wait_turn(self, urgent: bool = False) -> None:
        return None

    async def send(
        self,
        channel_id: int,
        content: str,
        nonce: str,
        role_id: int | None,
        *,
        remind: str | None = None,
        locale: str | None = None,
    ) -> int:
        raise PostRejected("the console is not connected to Discord")

    async def post(
        self, channel_id: int, content: str, nonce: str, role_id: int | None, *, urgent: bool = False
    ) -> int:
        raise PostRejected("the console is not connected to Discord")

    async def find(self, channel_id: int, content: str, since: datetime) -> int | None:
        return None

    def cached_dm(self, user_id: int) -> int | None:
        return None

    async def open_dm(self, user_id: int) -> int:
        raise PostRejected("the console is not connected to Discord")

    async def post_card(self, channel_id: int, card: LiveCard) -> int:
        raise PostRejected("the console is not connected to Discord")

    async def edit_card(self, channel_id: int, message_id: int, card: LiveCard) -> bool:
        return False

    async def delete_message(self, channel_id: int, message_id: int) -> None:
        return None


@asynccontextmanager
async def console_services(config: Config) -> AsyncIterator[tuple[Announcer, AnnouncementService]]:
    """Services for `release-bot console`: a throw-away SQLite database (gone when the console quits), an announcer
    whose timers never start and a poster that posts nowhere, so /release and /announce answer as in a server."""
    with tempfile.TemporaryDirectory(prefix="release-bot-console-") as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'console.sqlite3'}"
        store = await open_store(replace(config, settings=replace(config.settings, database_url=url)))
        announcer = Announcer(store, config.catalogue, config.settings, _NowherePoster())
        try:
            yield announcer, AnnouncementService(announcer)
        finally:
            await store.engine.dispose()
