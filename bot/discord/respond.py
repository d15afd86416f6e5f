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

from bot.commands.registry import REGISTRY, Command, CommandContext, dispatch, dispatch_component, find_component
from bot.commands.replies import COLOUR, INTERNAL_ERROR, Embed, Reply, error_reply
from bot.discord.components import view_for
from bot.i18n import tr
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
    """The files and buttons of a reply as discord.py takes them; none when it has neither (so a plain reply's
    payload has no `attachments` or `components` keys, exactly as `Reply.payload()` says)."""
    extras: dict[str, Any] = {}
    if reply.files:
        extras["files"] = [discord.File(io.BytesIO(f.data), filename=f.filename) for f in reply.files]
    view = view_for(reply.rows())
    if view is not None:
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


async def send_with_notice(interaction: discord.Interaction, reply: Reply, notice: str | None) -> None:
    """The reply, and a notice the member is owed (e.g. their DMs were closed to a reminder), seen by them alone:
    prepended to a private reply, or as a private follow-up to a public one."""
    if notice and reply.ephemeral:
        reply.content = f"{notice}\n\n{reply.content or ''}".strip()[:2000]
        notice = None
    await send_reply(interaction, reply)
    if notice:
        await interaction.followup.send(content=notice, ephemeral=True, allowed_mentions=NO_PINGS)


def member_locale(interaction: discord.Interaction) -> str:
    """The language the member's Discord is in (for the errors raised before a command context exists)."""
    return str(interaction.locale)


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
        ctx, reply = await _reply_in_time(interaction, spec, options)
        await send_with_notice(interaction, reply, ctx.notice)
    except discord.NotFound as exc:
        if not expired(exc):
            raise
        log_expired(name, interaction)  # a refused deferral means the command did not run: nothing changed
    finally:
        INTERACTION_LATENCY.labels(command=name).observe(time.perf_counter() - started)


async def run_component(interaction: discord.Interaction, custom_id: str, values: list[str]) -> None:
    """A press of a declared button or select: like a slash command, through `dispatch_component`."""
    found = find_component(custom_id)
    name = f"component {found[0].name if found else '?'}"
    started = time.perf_counter()
    try:
        if found is not None and found[0].touches_storage:
            await interaction.response.defer(ephemeral=found[0].ephemeral, thinking=True)
        ctx = await client_of(interaction).command_context(interaction, datetime.now(UTC))
        reply = await dispatch_component(custom_id, values, ctx)
        await send_with_notice(interaction, reply, ctx.notice)
    except discord.NotFound as exc:
        if not expired(exc):
            raise
        log_expired(name, interaction)
    except Exception:  # nothing else would tell the member: discord.py only logs a failed item callback
        log.exception("%s failed", name)
        try:
            await send_reply(interaction, error_reply(tr(member_locale(interaction), INTERNAL_ERROR)))
        except discord.HTTPException:
            log.warning("could not tell the user about an error (the interaction may have expired)")
    finally:
        INTERACTION_LATENCY.labels(command=name).observe(time.perf_counter() - started)


async def _reply_in_time(
    interaction: discord.Interaction, spec: Command, options: dict[str, Any]
) -> tuple[CommandContext, Reply]:
    """The handler's reply; deferred after DEFER_AFTER seconds if it is not ready by then and not deferred yet."""

    async def answer() -> tuple[CommandContext, Reply]:
        ctx = await client_of(interaction).command_context(interaction, datetime.now(UTC))
        return ctx, await dispatch(spec.name, options, ctx)

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
    lang = member_locale(interaction)
    if isinstance(error, app_commands.MissingPermissions | app_commands.CheckFailure):
        reply = error_reply(tr(lang, "You need the **Manage Server** permission to use this command."))
    elif isinstance(error, app_commands.NoPrivateMessage):
        reply = error_reply(tr(lang, "This command works only inside a server."))
    else:
        log.exception("command %s failed", interaction.command and interaction.command.qualified_name, exc_info=error)
        reply = error_reply(tr(lang, INTERNAL_ERROR))
    try:
        await send_reply(interaction, reply)
    except discord.HTTPException:
        log.warning("could not tell the user about an error (the interaction may have expired)")


__all__ = ["client_of", "on_app_command_error", "reply_extras", "run_command", "run_component", "send_reply"]
