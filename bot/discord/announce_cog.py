"""/announce: the admin commands, and the gateway events that change what gets posted where."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.commands.announce import ChannelRef, RoleRef
from bot.discord.respond import Text, run_command, slash, suggest

if TYPE_CHECKING:
    from bot.discord.client import ReleaseBot

# What the bot needs in a channel to announce there, by discord.py's permission names.
NEEDED = {"view_channel": "View Channel", "send_messages": "Send Messages"}


def channel_ref(interaction: discord.Interaction, channel: discord.abc.GuildChannel | app_commands.AppCommandChannel
                ) -> ChannelRef:
    guild = interaction.guild
    real = guild.get_channel(channel.id) if guild else None
    if real is None or guild is None:
        return ChannelRef(channel.id, channel.name, ("View Channel",))
    permissions = real.permissions_for(guild.me)
    missing = tuple(label for name, label in NEEDED.items() if not getattr(permissions, name))
    return ChannelRef(real.id, real.name, missing)


def role_ref(role: discord.Role | None) -> RoleRef | None:
    return None if role is None else RoleRef(role.id, role.name, role.is_default())


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)  # hidden from members without it; checked again on our side
class AnnounceCog(commands.GroupCog, group_name="announce", group_description="Countdown posts in this server"):
    def __init__(self, bot: ReleaseBot) -> None:
        super().__init__()
        self.bot = bot

    @slash("announce setup")
    @app_commands.autocomplete(timezone=suggest("announce setup", "timezone"),
                               release=suggest("announce setup", "release"))
    async def setup(self, interaction: discord.Interaction, channel: discord.TextChannel,
                    role: discord.Role | None = None, timezone: Text | None = None,
                    daily_time: app_commands.Range[str, 1, 5] | None = None, release: Text | None = None) -> None:
        await run_command(interaction, "announce setup", channel=channel_ref(interaction, channel),
                          role=role_ref(role), timezone=timezone, daily_time=daily_time, release=release)

    @slash("announce status")
    async def status(self, interaction: discord.Interaction) -> None:
        await run_command(interaction, "announce status")

    @slash("announce test")
    @app_commands.autocomplete(release=suggest("announce test", "release"))
    async def test(self, interaction: discord.Interaction, release: Text | None = None) -> None:
        await run_command(interaction, "announce test", release=release)

    @slash("announce pause")
    @app_commands.autocomplete(release=suggest("announce pause", "release"))
    async def pause(self, interaction: discord.Interaction, release: Text | None = None) -> None:
        await run_command(interaction, "announce pause", release=release)

    @slash("announce resume")
    @app_commands.autocomplete(release=suggest("announce resume", "release"))
    async def resume(self, interaction: discord.Interaction, release: Text | None = None) -> None:
        await run_command(interaction, "announce resume", release=release)

    @slash("announce off")
    @app_commands.autocomplete(release=suggest("announce off", "release"))
    async def off(self, interaction: discord.Interaction, release: Text | None = None) -> None:
        await run_command(interaction, "announce off", release=release)

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        """Removed from a server (not an outage): its settings and ledger are deleted."""
        announcer = self.bot.announcer
        if announcer is not None:
            announcer.unschedule_guild(guild.id)
            await announcer.store.forget_guild(guild.id)

    @commands.Cog.listener()
    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        announcer = self.bot.announcer
        if announcer is None:
            return
        reason = f"the channel #{channel.name} was deleted"
        if await announcer.store.set_paused(channel.guild.id, True, reason, datetime.now(UTC), channel_id=channel.id):
            await announcer.reschedule_guild(channel.guild.id)


__all__ = ["AnnounceCog", "channel_ref", "role_ref"]
