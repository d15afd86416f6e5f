"""The bot client: owns the configuration and the services, loads the cogs."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import discord
from discord.ext import commands

from bot.commands.registry import CommandContext
from bot.config import Config
from bot.discord.respond import on_app_command_error

log = logging.getLogger(__name__)


class ReleaseBot(commands.Bot):
    def __init__(self, config: Config, **options: Any) -> None:
        # Only the guilds intent: slash commands arrive as interactions, we never read messages.
        options.setdefault("intents", discord.Intents(guilds=True))
        options.setdefault("allowed_mentions", discord.AllowedMentions.none())
        super().__init__(command_prefix=commands.when_mentioned, help_command=None, **options)
        self.config = config
        self.tree.on_error = on_app_command_error

    async def setup_hook(self) -> None:
        from bot.discord.show_cog import ShowCog

        await self.add_cog(ShowCog())

    async def command_context(self, interaction: discord.Interaction, now: datetime) -> CommandContext:
        return CommandContext(self.config.catalogue, self.config.settings, now)

    async def on_ready(self) -> None:
        log.info("logged in as %s (id %s) in %d server(s)", self.user, self.user and self.user.id, len(self.guilds))
