"""Running a registry command for an interaction: deferral, the shared handler, sending its `Reply`."""

from __future__ import annotations

import asyncio
import io
import logging
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.commands.registry import REGISTRY, Command, dispatch
from bot.commands.replies import COLOUR, INTERNAL_ERROR, Embed, Reply, error_reply
from bot.metrics import INTERACTION_LATENCY

if TYPE_CHECKING:
    from bot.discord.client import ReleaseBot

log = logging.getLogger(__name__)
NO_PINGS = discord.AllowedMentions.none()
UNKNOWN_INTERACTION = 10062  # Discord's code when the 3 s for the first response have passed
# A command not marked as touching storage is still deferred if its answer is not ready by then (the guild's
# time zone is read for every command, and a database can be slow): inside Discord's 3 s, with room for the trip.
DEFER_AFTER = 2.0


def discord_embed(embed: Embed) -> discord.Embed:
    """The handler's embed as discord.py's, built directly (what Discord receives equals `Reply.payload()`)."""
    built = discord.Embed(
        title=embed.title, description=embed.description or None, colour=COLOUR, timestamp=embed.moment
    )
    for name, value, inline in embed.fields:
        built.add_field(name=name, value=value, inline=inline)
    if embed.footer:
        built.set_footer(text=embed.footer)
    return built


def reply_extras(reply: Reply) -> dict[str, Any]:
    """The files and link buttons of a reply as discord.py takes them; none when it has neither (so a plain reply's
    payload has no `attachments` or `components` keys, exactly as `Reply.payload()` says)."""
    extras: dict[str, Any] = {}
    if reply.files:
        extras["files"] = [discord.File(io.BytesIO(f.data), filename=f.filename) for f in reply.files]
    if reply.links:
        view = discord.ui.View(timeout=None)  # link buttons need no listener: Discord opens the url itself
        for link in reply.links:
            view.add_item(discord.ui.Button(style=discord.ButtonStyle.link, label=link.label, url=link.url))
        extras["view"] = view
    return extras


async def send_reply(interaction: discord.Interaction, reply: Reply) -> None:
    embeds = [discord_embed(e) for e in reply.embeds]
    extras = reply_extras(reply)
    if interaction.response.is_done():
        await interaction.followup.send(
            content=reply.content or discord.utils.MISSING,
            embeds=embeds,
            ephemeral=reply.ephemeral,
            allowed_mentions=NO_PINGS,
            **extras,
        )
    else:
        await interaction.response.send_message(
            content=reply.content, embeds=embeds, ephemeral=reply.ephemeral, allowed_mentions=NO_PINGS, **extras
        )
    if "view" in extras:  # discord.py keeps a sent view listening (15 min when ephemeral); links need no listener
        extras["view"].stop()


def client_of(interaction: discord.Interaction) -> ReleaseBot:
    return interaction.client  # type: ignore[return-value]


def expired(error: BaseException) -> bool:
    """Discord no longer takes a response: the 3 s for the first one passed (or the token is gone)."""
    return isinstance(error, discord.NotFound) and error.code == UNKNOWN_INTERACTION


def log_expired(name: str | None, interaction: discord.Interaction) -> None:
    # One line, no traceback: the member already saw "The application did not respond", nothing is left to do.
    log.warning(
        "/%s in server %s: the interaction expired before I answered (Discord allows 3 s)", name, interaction.guild_id
    )


async def run_command(interaction: discord.Interaction, name: str, /, **options: Any) -> None:
    """The whole life of a slash command: deferral when it may be slow, context, the shared handler, the reply."""
    spec = REGISTRY[name]
    started = time.perf_counter()
    try:
        if spec.touches_storage:  # "thinking…" at once, as private as the reply will be; the reply follows up
            await interaction.response.defer(ephemeral=spec.ephemeral, thinking=True)
        reply = await _reply_in_time(interaction, spec, options)
        await send_reply(interaction, reply)
    except discord.NotFound as exc:
        if not expired(exc):
            raise
        log_expired(name, interaction)  # a refused deferral means the command did not run: nothing changed
    finally:
        INTERACTION_LATENCY.labels(command=name).observe(time.perf_counter() - started)


async def _reply_in_time(interaction: discord.Interaction, spec: Command, options: dict[str, Any]) -> Reply:
    """The handler's reply; deferred after DEFER_AFTER seconds if it is not ready by then and not deferred yet."""

    async def answer() -> Reply:
        ctx = await client_of(interaction).command_context(interaction, datetime.now(UTC))
        return await dispatch(spec.name, options, ctx)

    work = asyncio.ensure_future(answer())
    try:
        if not interaction.response.is_done():
            done, _ = await asyncio.wait({work}, timeout=DEFER_AFTER)
            if not done:
                await interaction.response.defer(ephemeral=spec.ephemeral, thinking=True)
        return await work
    finally:
        work.cancel()  # only does anything if we leave early (the deferral failed, or we were cancelled)


async def on_app_command_error(interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
    """Anything a handler did not turn into a friendly reply: say so privately, log the details for the operator."""
    if expired(getattr(error, "original", error)):
        log_expired(interaction.command.qualified_name if interaction.command else None, interaction)
        return
    if isinstance(error, app_commands.MissingPermissions | app_commands.CheckFailure):
        reply = error_reply("You need the **Manage Server** permission to use this command.")
    elif isinstance(error, app_commands.NoPrivateMessage):
        reply = error_reply("This command works only inside a server.")
    else:
        log.exception("command %s failed", interaction.command and interaction.command.qualified_name, exc_info=error)
        reply = error_reply(INTERNAL_ERROR)
    try:
        await send_reply(interaction, reply)
    except discord.HTTPException:
        log.warning("could not tell the user about an error (the interaction may have expired)")


__all__ = ["client_of", "on_app_command_error", "reply_extras", "run_command", "send_reply"]
