"""Starting the bot: on Discord, or on a release-bot sandbox; and registering its slash commands."""

from __future__ import annotations

import yarl
from discord import Object, gateway, http, utils

from bot.config import Config
from bot.discord.client import ReleaseBot


def point_at_sandbox(url: str) -> None:
    """Send discord.py's REST and gateway traffic to a sandbox instead of Discord (the bot's code is unchanged)."""
    base = url.rstrip("/")
    http.Route.BASE = f"{base}/api/v10"
    gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(base.replace("http", "ws", 1) + "/")


async def run_bot(config: Config, token: str, sandbox: str | None = None) -> int:
    if sandbox:
        point_at_sandbox(sandbox)
    utils.setup_logging()
    async with ReleaseBot(config) as bot:
        await bot.start(token)
    return 0


async def sync_commands(config: Config, token: str, guild_id: int | None, sandbox: str | None = None) -> list[str]:
    if sandbox:
        point_at_sandbox(sandbox)
    async with ReleaseBot(config) as bot:
        await bot.login(token)
        guild = Object(guild_id) if guild_id else None
        if guild is not None:
            bot.tree.copy_global_to(guild=guild)
        synced = await bot.tree.sync(guild=guild)
    return [c.name for c in synced]
