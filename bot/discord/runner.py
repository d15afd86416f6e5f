"""Starting the bot: on Discord, or on a release-bot sandbox; and registering its slash commands."""

from __future__ import annotations

import asyncio
import logging
import signal

import yarl
from discord import Object, gateway, http

from bot.config import Config
from bot.discord.client import ReleaseBot

log = logging.getLogger(__name__)


def point_at_sandbox(url: str) -> None:
    """Send discord.py's REST and gateway traffic to a sandbox instead of Discord (the bot's code is unchanged)."""
    base = url.rstrip("/")
    http.Route.BASE = f"{base}/api/v10"
    gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(base.replace("http", "ws", 1) + "/")


async def run_bot(config: Config, token: str, sandbox: str | None = None, shard_ids: list[int] | None = None,
                  shard_count: int | None = None) -> int:
    """Run until the bot is closed; SIGTERM (systemd, docker stop) and Ctrl-C both close it cleanly."""
    if sandbox:
        point_at_sandbox(sandbox)
    async with ReleaseBot(config, sandbox=bool(sandbox), shard_ids=shard_ids, shard_count=shard_count) as bot:
        loop = asyncio.get_running_loop()
        closing: list[asyncio.Task[None]] = []  # holds the task so it is not garbage-collected mid-close

        def stop(signum: signal.Signals) -> None:
            if not closing:
                log.info("%s received: shutting down", signum.name)
                closing.append(loop.create_task(bot.close()))

        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop, signum)
        await bot.start(token)
        if closing:
            await closing[0]
    log.info("stopped cleanly")
    return 0


async def sync_commands(config: Config, token: str, guild_id: int | None, sandbox: str | None = None) -> list[str]:
    if sandbox:
        point_at_sandbox(sandbox)
    async with ReleaseBot(config, services=False, sandbox=bool(sandbox)) as bot:
        await bot.login(token)
        guild = Object(guild_id) if guild_id else None
        if guild is not None:
            bot.tree.copy_global_to(guild=guild)
        synced = await bot.tree.sync(guild=guild)
    return [c.name for c in synced]


async def start_in_process(config: Config, sandbox_url: str, **options: object) -> ReleaseBot:
    """The real bot, logged in to a sandbox inside this event loop (for `release-bot demo` and the tests).

    Returns once READY has been processed; the gateway keeps running in a task until `bot.close()`.
    """
    point_at_sandbox(sandbox_url)
    options.setdefault("chunk_guilds_at_startup", False)
    options.setdefault("guild_ready_timeout", 0.05)
    bot = ReleaseBot(config, sandbox=True, **options)  # type: ignore[arg-type]
    await bot.login("sandbox-token")
    bot.runner_task = asyncio.create_task(bot.connect(reconnect=True), name="release-bot gateway")
    await bot.wait_until_ready()
    return bot
