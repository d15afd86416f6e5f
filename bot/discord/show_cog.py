"""Slash commands about releases. Thin: each one hands its options to the shared handler."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.respond import Text, run_command, slash, suggest


class ShowCog(commands.Cog):
    @slash("countdown")
    @app_commands.autocomplete(release=suggest("countdown", "release"))
    async def countdown(self, interaction: discord.Interaction, release: Text | None = None) -> None:
        await run_command(interaction, "countdown", release=release)

    @slash("premiere")
    @app_commands.autocomplete(timezone=suggest("premiere", "timezone"), release=suggest("premiere", "release"))
    async def premiere(self, interaction: discord.Interaction, timezone: Text | None = None,
                       release: Text | None = None) -> None:
        await run_command(interaction, "premiere", timezone=timezone, release=release)

    @slash("about")
    @app_commands.autocomplete(release=suggest("about", "release"))
    async def about(self, interaction: discord.Interaction, release: Text | None = None) -> None:
        await run_command(interaction, "about", release=release)

    @slash("cast")
    @app_commands.autocomplete(name=suggest("cast", "name"), release=suggest("cast", "release"))
    async def cast(self, interaction: discord.Interaction, name: Text | None = None,
                   release: Text | None = None) -> None:
        await run_command(interaction, "cast", name=name, release=release)

    @slash("trivia")
    @app_commands.autocomplete(release=suggest("trivia", "release"))
    async def trivia(self, interaction: discord.Interaction, release: Text | None = None) -> None:
        await run_command(interaction, "trivia", release=release)

    @slash("help")
    async def help(self, interaction: discord.Interaction) -> None:
        await run_command(interaction, "help")
