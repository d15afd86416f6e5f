"""Sending a `Reply`, running a registry command for an interaction, and autocomplete glue."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.commands.registry import REGISTRY, autocomplete, dispatch
from bot.commands.replies import Reply, error_reply

if TYPE_CHECKING:
    from bot.discord.client import ReleaseBot

log = logging.getLogger(__name__)
NO_PINGS = discord.AllowedMentions.none()
# Discord enforces these lengths in its own input box; the shared handlers check them again for the console.
Text = app_commands.Range[str, 1, 100]
Callback = Callable[..., Any]


def slash(name: str) -> Callable[[Callback], app_commands.Command]:  # type: ignore[type-arg]
    """The app command for registry command `name` ("countdown", "announce setup"), described from the registry."""
    spec = REGISTRY[name]

    def decorate(func: Callback) -> app_commands.Command:  # type: ignore[type-arg]
        described = app_commands.describe(**spec.describe())(func)
        return app_commands.command(name=name.split()[-1], description=spec.description)(described)

    return decorate


async def send_reply(interaction: discord.Interaction, reply: Reply) -> None:
    payload = reply.payload()
    embeds = [discord.Embed.from_dict(e) for e in payload["embeds"]]
    if interaction.response.is_done():
        await interaction.followup.send(content=reply.content or discord.utils.MISSING, embeds=embeds,
                                        ephemeral=reply.ephemeral, allowed_mentions=NO_PINGS)
    else:
        await interaction.response.send_message(content=reply.content, embeds=embeds, ephemeral=reply.ephemeral,
                                                allowed_mentions=NO_PINGS)


def client_of(interaction: discord.Interaction) -> ReleaseBot:
    return interaction.client  # type: ignore[return-value]


async def run_command(interaction: discord.Interaction, name: str, /, **options: Any) -> None:
    """The whole life of a slash command: context, the shared handler, the reply."""
    bot = client_of(interaction)
    ctx = await bot.command_context(interaction, datetime.now(UTC))
    reply = await dispatch(name, options, ctx)
    await send_reply(interaction, reply)


def suggest(name: str, option: str) -> Callable[[discord.Interaction, str], Awaitable[list[app_commands.Choice[str]]]]:
    """An autocomplete callback for `option` of registry command `name`."""

    async def complete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        ctx = await client_of(interaction).command_context(interaction, datetime.now(UTC))
        return [app_commands.Choice(name=v[:100], value=v[:100]) for v in autocomplete(name, option, ctx, current)]

    return complete


async def on_app_command_error(interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
    """Anything a handler did not turn into a friendly reply: say so privately, log the details for the operator."""
    if isinstance(error, app_commands.MissingPermissions | app_commands.CheckFailure):
        reply = error_reply("You need the **Manage Server** permission to use this command.")
    elif isinstance(error, app_commands.NoPrivateMessage):
        reply = error_reply("This command works only inside a server.")
    else:
        log.exception("command %s failed", interaction.command and interaction.command.qualified_name,
                      exc_info=error)
        reply = error_reply("Something went wrong on my side. It has been logged; please try again in a moment.")
    try:
        await send_reply(interaction, reply)
    except discord.HTTPException:
        log.warning("could not tell the user about an error (the interaction may have expired)")


__all__ = ["Text", "on_app_command_error", "run_command", "send_reply", "slash", "suggest"]
