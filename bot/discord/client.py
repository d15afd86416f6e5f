"""The bot client: owns the configuration and the services, loads the cogs."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import discord
from discord.ext import commands

from bot.commands.registry import CommandContext
from bot.config import Config
from bot.discord.respond import on_app_command_error
from bot.discord.slash import app_commands_for
from bot.scheduling.announcer import Announcer, Timing

log = logging.getLogger(__name__)


class ReleaseBot(commands.AutoShardedBot):
    """One process of the bot: all shards by default, or `shard_ids` of `shard_count` (several processes)."""

    def __init__(self, config: Config, *, services: bool = True, sandbox: bool = False, **options: Any) -> None:
        # Only the guilds intent: slash commands arrive as interactions, we never read messages.
        options.setdefault("intents", discord.Intents(guilds=True))
        options.setdefault("allowed_mentions", discord.AllowedMentions.none())
        super().__init__(command_prefix=commands.when_mentioned, help_command=None, **options)
        self.config = config
        self.with_services = services  # False for `release-bot sync`: no database, no scheduler
        self.sandbox = sandbox
        self.announcer: Announcer | None = None
        self._announcer_start: asyncio.Task[None] | None = None
        self.tree.on_error = on_app_command_error

    async def setup_hook(self) -> None:
        from bot.discord.poster import DiscordPoster
        from bot.storage.database import create_engine, upgrade
        from bot.storage.repository import Store

        for command in app_commands_for():
            self.tree.add_command(command)
        if not self.with_services:
            return
        engine = create_engine(self.config.settings.database_url)
        await upgrade(engine)
        settings = self.config.settings
        poster = DiscordPoster(self, settings.posts_per_second)
        self.announcer = Announcer(Store(engine), self.config.catalogue, settings, poster, timing=Timing.from_env())
        self.configure_announcer(self.announcer)
        # Connect first: recovery and catch-up run in the background once the gateway is up, so commands are
        # answered from the first second after a crash (`announcer.ready` tells when they are done).
        self._announcer_start = asyncio.create_task(self._start_announcer(self.announcer), name="announcer start")

    async def _start_announcer(self, announcer: Announcer) -> None:
        await self.wait_until_ready()
        await announcer.start()

    def configure_announcer(self, announcer: Announcer) -> None:
        """A hook for what must be set before the first catch-up (the shards this process owns)."""
        shard_ids = getattr(self, "shard_ids", None)  # set on AutoShardedClient only
        if self.shard_count and shard_ids is not None:
            owned, count = set(shard_ids), self.shard_count
            announcer.guild_filter = lambda guild_id: (guild_id >> 22) % count in owned

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        # Discord allows one IDENTIFY per 5 s per bucket; a local sandbox has no such limit.
        if not self.sandbox:
            await super().before_identify_hook(shard_id, initial=initial)

    async def close(self) -> None:
        if self._announcer_start is not None:
            self._announcer_start.cancel()
        if self.announcer is not None:
            await self.announcer.stop()
            await self.announcer.store.engine.dispose()
        await super().close()

    async def command_context(self, interaction: discord.Interaction, now: datetime) -> CommandContext:
        guild_zone = None
        if interaction.guild_id and self.announcer is not None:
            name = await self.announcer.guild_zone(interaction.guild_id)
            guild_zone = ZoneInfo(name) if name else None
        return CommandContext(self.config.catalogue, self.config.settings, now, guild_zone=guild_zone,
                              guild_id=interaction.guild_id, is_admin=interaction.permissions.manage_guild,
                              services=self.announcer)

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        """Removed from a server (not an outage): its settings and ledger are deleted."""
        if self.announcer is not None:
            self.announcer.unschedule_guild(guild.id)
            await self.announcer.store.forget_guild(guild.id)

    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        if self.announcer is None:
            return
        reason = f"the channel #{channel.name} was deleted"
        if await self.announcer.store.set_paused(channel.guild.id, True, reason, datetime.now(UTC),
                                                 channel_id=channel.id):
            await self.announcer.reschedule_guild(channel.guild.id)

    async def on_ready(self) -> None:
        log.info("logged in as %s (id %s) in %d server(s)", self.user, self.user and self.user.id, len(self.guilds))
