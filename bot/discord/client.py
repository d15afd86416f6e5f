"""The bot client: discord.py's side of the bot, with the services the composition root attached."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import discord
import yarl
from discord import app_commands, gateway, http

from bot.commands.registry import CommandContext
from bot.config import Config
from bot.discord.components import DYNAMIC_ITEMS
from bot.discord.poster import DiscordRoles
from bot.discord.respond import on_app_command_error
from bot.discord.translator import CatalogueTranslator
from bot.i18n import language
from bot.scheduling.announcer import Announcer
from bot.scheduling.events import EventKeeper
from bot.scheduling.service import AnnouncementService

log = logging.getLogger(__name__)


def point_at_sandbox(url: str) -> None:
    """Send discord.py's REST and gateway traffic to a sandbox instead of Discord (the bot's code is unchanged)."""
    base = url.rstrip("/")
    http.Route.BASE = f"{base}/api/v10"
    gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(base.replace("http", "ws", 1) + "/")


class ReleaseBot(discord.AutoShardedClient):
    """One process of the bot: all shards by default, or `shard_ids` of `shard_count` (several processes).

    Built by `bot.app.build_bot`, which attaches its services; the client starts and stops them with itself."""

    def __init__(self, config: Config, *, sandbox: bool = False, **options: Any) -> None:
        # Only the guilds intent: slash commands arrive as interactions, we never read messages.
        options.setdefault("intents", discord.Intents(guilds=True))
        options.setdefault("allowed_mentions", discord.AllowedMentions.none())
        # The caches a slash-command bot reads: guilds, channels and roles (permissions), never members or
        # messages. discord.py's defaults would keep members seen in events and the last 1,000 messages, and
        # ask for every guild's member list at start-up.
        options.setdefault("member_cache_flags", discord.MemberCacheFlags.none())
        options.setdefault("max_messages", None)
        options.setdefault("chunk_guilds_at_startup", False)
        super().__init__(**options)
        # A plain client with a command tree: discord.ext.commands (prefix commands, ~1.4 MiB of imports) is
        # for bots that read messages, and this one never does.
        self.tree = app_commands.CommandTree(self)
        self.config = config
        self.sandbox = sandbox
        self.announcer: Announcer | None = None
        self.services: AnnouncementService | None = None
        self.events: EventKeeper | None = None
        self.roles = DiscordRoles(self)  # the Get pinged button's port
        self.gateway_task: asyncio.Task[None] | None = None  # set by `bot.app.start_in_process`
        self._announcer_start: asyncio.Task[None] | None = None
        self.tree.on_error = on_app_command_error  # type: ignore[method-assign]

    def attach(self, announcer: Announcer, services: AnnouncementService, events: EventKeeper | None = None) -> None:
        self.announcer, self.services, self.events = announcer, services, events

    async def setup_hook(self) -> None:
        # Command names and descriptions in French and German, sent to Discord whenever the commands are synced.
        await self.tree.set_translator(CatalogueTranslator())
        # Presses of the registry's buttons and selects, under any message, from before a restart too.
        self.add_dynamic_items(*DYNAMIC_ITEMS.values())
        if self.announcer is not None:
            # Recovery, catch-up and scheduling run in the background beside the gateway's connection: they need
            # storage and REST only (posts go to channels by id), so neither waits for the other, and commands are
            # answered from the first second after a crash (`announcer.ready` tells when they are done). With
            # 10,000 servers the gateway takes seconds to deliver every server; scheduling does not wait for it.
            self._announcer_start = asyncio.create_task(self._start_announcer(self.announcer), name="announcer start")

    async def _start_announcer(self, announcer: Announcer) -> None:
        await announcer.start()
        if self.events is not None:
            await self.wait_until_ready()  # the servers' events are looked up through the guild cache
            try:  # an event created just before a crash gets its id recorded: never a second one
                await self.events.reconcile()
            except Exception:
                log.exception("could not reconcile scheduled events; the next /announce setup event:True will")

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        # Discord allows one IDENTIFY per 5 s per bucket; a local sandbox has no such limit.
        if not self.sandbox:
            await super().before_identify_hook(shard_id, initial=initial)

    async def close(self) -> None:
        if self._announcer_start is not None:
            # Waited for, not only cancelled: its storage work (a cancelled query closes its connection) ends before
            # the engine is disposed, and nothing of the bot is left for the event loop's teardown to cancel.
            self._announcer_start.cancel()
            await asyncio.gather(self._announcer_start, return_exceptions=True)
        if self.announcer is not None:
            await self.announcer.stop()
            await self.announcer.store.engine.dispose()
        await super().close()

    async def command_context(
        self, interaction: discord.Interaction, now: datetime, *, with_notice: bool = True
    ) -> CommandContext:
        """What a handler knows of the interaction; `with_notice`: take the member's pending notice (shown once
        with the reply; an autocomplete request shows nothing, so it leaves the notice for the next reply)."""
        guild_zone = None
        catalogue = self.config.catalogue
        if interaction.guild_id and self.announcer is not None:
            name = await self.announcer.guild_zone(interaction.guild_id)
            guild_zone = ZoneInfo(name) if name else None
            # The operator's releases and this server's own: a server never sees another server's releases.
            catalogue = await self.announcer.catalogue_for(interaction.guild_id, now)
        user_id = interaction.user.id
        notice = await self.services.take_notice(user_id) if self.services is not None and with_notice else None
        return CommandContext(
            catalogue,
            self.config.settings,
            now,
            guild_zone=guild_zone,
            guild_id=interaction.guild_id,
            is_admin=interaction.permissions.manage_guild,
            services=self.services,
            user_id=user_id,
            reminders=self.services,
            notice=notice,
            roles=self.roles if interaction.guild_id else None,
            member_roles=frozenset(r.id for r in getattr(interaction.user, "roles", ())),
            # Discord sends the member's client language with every interaction (commands, autocomplete and
            # component presses alike), and the server's preferred locale when there is a server.
            locale=language(str(interaction.locale)),
            guild_locale=language(str(interaction.guild_locale)) if interaction.guild_locale else None,
        )

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        """Removed from a server (not an outage): its settings and ledger are deleted."""
        if self.announcer is not None:
            await self.announcer.forget_guild(guild.id)

    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        if self.announcer is None:
            return
        reason = f"the channel #{channel.name} was deleted"
        if await self.announcer.store.set_paused(
            channel.guild.id, True, reason, datetime.now(UTC), channel_id=channel.id
        ):
            await self.announcer.reschedule_guild(channel.guild.id)

    async def on_ready(self) -> None:
        log.info("logged in as %s (id %s) in %d server(s)", self.user, self.user and self.user.id, len(self.guilds))
