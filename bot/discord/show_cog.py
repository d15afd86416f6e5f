"""Slash commands about releases. Thin: each one hands its options to the shared handler."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.commands.registry import REGISTRY
from bot.commands.show import countdown_command  # noqa: F401  (registers the handlers)
from bot.discord.respond import run_command, suggest

# Discord enforces these lengths in its own input box; the shared handlers check them again for the console.
Text = app_commands.Range[str, 1, 100]
Callback = Callable[..., Any]


def slash(name: str) -> Callable[[Callback], app_commands.Command]:  # type: ignore[type-arg]
    """The app command for registry command `name`, with its description and option descriptions."""
    spec = REGISTRY[name]

    def decorate(func: Callback) -> app_commands.Command:  # type: ignore[type-arg]
        described = app_commands.describe(**spec.describe())(func)
        return app_commands.command(name=name, description=spec.description)(described)

    return decorate


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
