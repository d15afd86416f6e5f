"""Delivering announcement posts through discord.py: the Poster the scheduler calls."""

from __future__ import annotations

import asyncio
from collections import deque
from datetime import datetime, timedelta

import aiohttp
import discord

from bot.commands.ping_role import ELEVATED_PERMISSIONS, ping_button
from bot.commands.replies import Component
from bot.commands.services import RoleAccess
from bot.commands.show import remind_button
from bot.discord.components import view_for
from bot.domain.announcements import MissingPermission, PostFailed, PostRejected, PostUnverifiable
from bot.domain.live import LiveCard
from bot.domain.reminders import DmClosed
from bot.metrics import RATE_LIMIT_WAIT
from bot.scheduling.events import EventSpec

DMS_CLOSED = 50007  # Discord: "Cannot send messages to this user"
CLOCK_SKEW = timedelta(seconds=30)  # our clock against Discord's, when looking for a post by its time
UNKNOWN_MESSAGE = 10008  # Discord's code for a message that no longer exists
COLOUR = 0xE8B04B
HISTORY_LIMIT = 200  # messages read after a claim's instant when looking for its post


class Pacer:
    """Hands out one slot every 1/`rate` s: urgent waiters (an interaction's one-off post) first, then the
    fan-out in FIFO order; both lanes share the one rate, so the bot stays under Discord's 50 requests/s overall.

    discord.py only reacts to a global 429 after the fact; a fan-out to thousands of servers would first burn
    thousands of invalid requests (10,000 in 10 minutes gets a bot banned for an hour), so posts are paced below
    Discord's limit instead."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self._next = 0.0  # loop time of the next free slot
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._normal: deque[asyncio.Future[None]] = deque()
        self._timer: asyncio.TimerHandle | None = None

    async def wait(self, urgent: bool = False) -> None:
        loop = asyncio.get_running_loop()
        began = loop.time()
        turn: asyncio.Future[None] = loop.create_future()
        (self._urgent if urgent else self._normal).append(turn)
        self._wake(loop)
        try:
            await turn
        except asyncio.CancelledError:
            for lane in (self._urgent, self._normal):
                if turn in lane:
                    lane.remove(turn)
            raise
        RATE_LIMIT_WAIT.observe(loop.time() - began)

    def _wake(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._timer is None and (self._urgent or self._normal):
            self._timer = loop.call_at(max(loop.time(), self._next), self._release, loop)

    def _release(self, loop: asyncio.AbstractEventLoop) -> None:
        self._timer = None
        for lane in (self._urgent, self._normal):
            while lane:
                turn = lane.popleft()
                if not turn.done():
                    turn.set_result(None)
                    self._next = loop.time() + self.interval
                    self._wake(loop)
                    return
        self._wake(loop)


class DiscordPoster:
    """What the announcer sends through. For a one-off post outside the fan-out (e.g. `/announce test`), call
    `post(channel_id, content, nonce, role_id, urgent=True)`: it takes the next pacing slot, before every
    fan-out post still waiting."""

    def __init__(self, client: discord.Client, posts_per_second: float) -> None:
        self.client = client
        self.pacer = Pacer(posts_per_second)

    async def wait_turn(self, urgent: bool = False) -> None:
        await self.pacer.wait(urgent)

    async def post(
        self, channel_id: int, content: str, nonce: str, role_id: int | None, *, urgent: bool = False
    ) -> int:
        await self.pacer.wait(urgent)
        return await self.send(channel_id, content, nonce, role_id)

    async def send(
        self,
        channel_id: int,
        content: str,
        nonce: str,
        role_id: int | None,
        *,
        remind: str | None = None,
        locale: str | None = None,
    ) -> int:
        """`remind`: a release id, to put the "🔔 Remind me" button for it under the post. A post pinging a role
        also carries the "Get pinged" button, if the bot can hand that role out. Both are labelled in `locale` (the
        server's language)."""
        # A partial messageable needs no cache: posts go out even before the gateway has sent the guilds.
        channel = self.client.get_partial_messageable(channel_id)
        # Only the configured role may be pinged; names and titles in the text can never ping anyone.
        mentions = discord.AllowedMentions(
            everyone=False, users=False, roles=[discord.Object(role_id)] if role_id else False
        )
        try:
            # discord.py waits out 429s as told and retries 5xx a few times before raising.
            buttons: list[Component] = [remind_button(remind, locale)] if remind else []
            if role_id and self._can_hand_out(channel_id, role_id):
                buttons.append(ping_button(role_id, locale))
            view = view_for([buttons]) if buttons else None
            message = await channel.send(
                content, nonce=nonce, allowed_mentions=mentions, view=view or discord.utils.MISSING
            )
        except discord.Forbidden as exc:
            if exc.code == DMS_CLOSED:
                raise DmClosed(f"the member's DMs are closed ({exc.text or 'Cannot send messages'})") from exc
            raise PostRejected(
                f"I lost permission to post in <#{channel_id}> ({exc.text or 'Missing Permissions'})"
            ) from exc
        except discord.NotFound as exc:
            raise PostRejected(f"the channel <#{channel_id}> no longer exists") from exc
        except (TimeoutError, discord.HTTPException, aiohttp.ClientError) as exc:
            raise PostFailed(str(exc) or type(exc).__name__) from exc
        return message.id

    def _can_hand_out(self, channel_id: int, role_id: int) -> bool:
        """Whether the post's Get pinged button would work. A managed role, or one with elevated permissions, is
        never handed out. Without Manage Roles, or with the role above the bot's, the button is left off too: in a
        channel everyone sees, a button that can only answer "I can't" looks broken, and the admin was told at
        `/announce setup` what to change. The check is a cache look-up, so the button is back from the next post
        once that is fixed. An unknown server or role (cache not filled yet) gets the button: a press checks again
        and gets a friendly answer."""
        channel = self.client.get_channel(channel_id)
        if not isinstance(channel, discord.abc.GuildChannel):
            return True
        access = role_access(channel.guild, role_id)
        return access is None or access.can_hand_out

    def cached_dm(self, user_id: int) -> int | None:
        channel = self.client._connection._get_private_channel_by_user(user_id)
        return channel.id if channel is not None else None

    async def open_dm(self, user_id: int) -> int:
        """The DM channel with a member, opened (one request; the caller took a pacing slot)."""
        try:
            channel = await self.client.create_dm(discord.Object(user_id))
        except (discord.Forbidden, discord.NotFound) as exc:
            raise PostRejected(f"I cannot open a direct message with this member ({exc.text})") from exc
        except (TimeoutError, discord.HTTPException, aiohttp.ClientError) as exc:
            raise PostFailed(str(exc) or type(exc).__name__) from exc
        return channel.id

    async def find(self, channel_id: int, content: str, since: datetime) -> int | None:
        """The bot's own message with exactly `content`, posted since `since` (less clock skew), if any.

        Discord does not return a message's nonce when messages are read back, so the exact text (stored with the
        claim) and the author are the post's identity; the time bound keeps an identical older post out."""
        cached = self.client.get_channel(channel_id)
        me_there = cached.guild.me if isinstance(cached, discord.abc.GuildChannel) else None
        if me_there is not None and not cached.permissions_for(me_there).read_message_history:  # type: ignore[union-attr]
            # Discord would answer an empty list: "not found" would be a guess, and a wrong one a second copy.
            raise PostUnverifiable(
                f"I may not read the message history of <#{channel_id}> to check whether the post arrived"
            )
        channel = self.client.get_partial_messageable(channel_id)
        me = self.client.user.id if self.client.user else self.client.application_id
        try:
            async for message in channel.history(limit=HISTORY_LIMIT, after=since - CLOCK_SKEW, oldest_first=True):
                if message.author.id == me and message.content == content:
                    return message.id
        except discord.Forbidden as exc:
            raise PostRejected(f"I lost access to <#{channel_id}> ({exc.text or 'Missing Access'})") from exc
        except discord.NotFound as exc:
            raise PostRejected(f"the channel <#{channel_id}> no longer exists") from exc
        except (TimeoutError, discord.HTTPException, aiohttp.ClientError) as exc:
            raise PostFailed(str(exc) or type(exc).__name__) from exc
        return None

    # ---- the live countdown message ---------------------------------------------------------------------------

    @staticmethod
    def _embed(card: LiveCard) -> discord.Embed:
        embed = discord.Embed(title=card.title, description=card.description, colour=COLOUR, timestamp=card.moment)
        return embed.set_footer(text=card.footer)

    async def post_card(self, channel_id: int, card: LiveCard) -> int:
        channel = self.client.get_partial_messageable(channel_id)
        try:
            message = await channel.send(embed=self._embed(card), allowed_mentions=discord.AllowedMentions.none())
        except discord.Forbidden as exc:
            raise PostRejected(f"I may not post in <#{channel_id}> ({exc.text or 'Missing Permissions'})") from exc
        except discord.NotFound as exc:
            raise PostRejected(f"the channel <#{channel_id}> no longer exists") from exc
        except (TimeoutError, discord.HTTPException, aiohttp.ClientError) as exc:
            raise PostFailed(str(exc) or type(exc).__name__) from exc
        return message.id

    async def edit_card(self, channel_id: int, message_id: int, card: LiveCard) -> bool:
        message = self.client.get_partial_messageable(channel_id).get_partial_message(message_id)
        try:
            await message.edit(embed=self._embed(card))
        except discord.NotFound as exc:
            if exc.code == UNKNOWN_MESSAGE:
                return False
            raise PostRejected(f"the channel <#{channel_id}> no longer exists") from exc
        except discord.Forbidden as exc:
            raise PostRejected(f"I may not edit in <#{channel_id}> ({exc.text or 'Missing Permissions'})") from exc
        except (TimeoutError, discord.HTTPException, aiohttp.ClientError) as exc:
            raise PostFailed(str(exc) or type(exc).__name__) from exc
        return True

    async def delete_message(self, channel_id: int, message_id: int) -> None:
        message = self.client.get_partial_messageable(channel_id).get_partial_message(message_id)
        try:
            await message.delete()
        except discord.NotFound:
            return
        except (TimeoutError, discord.HTTPException, aiohttp.ClientError) as exc:
            raise PostFailed(str(exc) or type(exc).__name__) from exc

    # ---- Discord Scheduled Events (the `bot.scheduling.events.EventPoster` port) -------------------------------

    def _guild(self, guild_id: int) -> discord.Guild:
        guild = self.client.get_guild(guild_id)
        if guild is None:
            raise PostFailed(f"the server {guild_id} is not available right now")
        return guild

    def missing_event_permission(self, guild_id: int) -> str | None:
        guild = self.client.get_guild(guild_id)
        if guild is None:
            return None  # not known yet: Discord's answer (403) says it if so
        permissions = guild.me.guild_permissions
        return None if permissions.create_events or permissions.manage_events else "Create Events"

    async def create_event(self, guild_id: int, spec: EventSpec) -> int:
        guild = self._guild(guild_id)
        await self.pacer.wait(urgent=True)  # an admin is waiting for the reply
        try:
            event = await guild.create_scheduled_event(
                name=spec.name,
                start_time=spec.start,
                end_time=spec.end,
                entity_type=discord.EntityType.external,
                privacy_level=discord.PrivacyLevel.guild_only,
                location=spec.location,
                description=spec.description,
            )
        except discord.Forbidden as exc:
            raise MissingPermission("Create Events") from exc
        except (TimeoutError, discord.HTTPException, aiohttp.ClientError) as exc:
            raise PostFailed(str(exc) or type(exc).__name__) from exc
        return event.id

    async def edit_event(self, guild_id: int, event_id: int, spec: EventSpec) -> bool:
        await self.pacer.wait(urgent=True)
        try:
            await self.client.http.edit_scheduled_event(
                guild_id,
                event_id,
                name=spec.name,
                scheduled_start_time=spec.start.isoformat(),
                scheduled_end_time=spec.end.isoformat(),
                entity_type=discord.EntityType.external.value,
                entity_metadata={"location": spec.location},
                description=spec.description,
            )
        except discord.NotFound:
            return False
        except discord.Forbidden as exc:
            raise MissingPermission("Manage Events") from exc
        except (TimeoutError, discord.HTTPException, aiohttp.ClientError) as exc:
            raise PostFailed(str(exc) or type(exc).__name__) from exc
        return True

    async def delete_event(self, guild_id: int, event_id: int) -> None:
        await self.pacer.wait(urgent=True)
        try:
            await self.client.http.delete_scheduled_event(guild_id, event_id)
        except discord.NotFound:
            return  # already gone
        except discord.Forbidden as exc:
            raise MissingPermission("Manage Events") from exc
        except (TimeoutError, discord.HTTPException, aiohttp.ClientError) as exc:
            raise PostFailed(str(exc) or type(exc).__name__) from exc

    async def events(self, guild_id: int) -> list[tuple[int, str]]:
        await self.pacer.wait(urgent=True)
        try:
            found = await self.client.http.get_scheduled_events(guild_id, False)
        except (TimeoutError, discord.HTTPException, aiohttp.ClientError) as exc:
            raise PostFailed(str(exc) or type(exc).__name__) from exc
        me = self.client.user.id if self.client.user else self.client.application_id
        return [
            (int(e["id"]), e.get("description") or "")
            for e in found
            if e.get("creator_id") is None or str(e["creator_id"]) == str(me)
        ]


def role_access(guild: discord.Guild | None, role_id: int, channel_id: int | None = None) -> RoleAccess | None:
    """What the bot may do with a role of the server, from the gateway's cache (None: not known)."""
    role = guild.get_role(role_id) if guild is not None else None
    if guild is None or role is None or guild.me is None:
        return None
    me = guild.me
    channel = guild.get_channel(channel_id) if channel_id else None
    allowed = channel.permissions_for(me) if channel is not None else me.guild_permissions
    return RoleAccess(
        manage_roles=me.guild_permissions.manage_roles,
        below_bot=role < me.top_role,
        bot_role=me.top_role.name,
        elevated=tuple(label for flag, label in ELEVATED_PERMISSIONS.items() if getattr(role.permissions, flag)),
        managed=role.managed or role.is_default(),
        pings=role.mentionable or allowed.mention_everyone,
    )


class DiscordRoles:
    """The `bot.commands.services.MemberRoles` port: members' roles changed through discord.py's REST client."""

    def __init__(self, client: discord.Client) -> None:
        self.client = client

    def role_access(self, guild_id: int, role_id: int, channel_id: int | None = None) -> RoleAccess | None:
        return role_access(self.client.get_guild(guild_id), role_id, channel_id)

    async def set_member_role(self, guild_id: int, user_id: int, role_id: int, give: bool) -> None:
        # One request per press, answered to the member who pressed: like an interaction response, not paced.
        change = self.client.http.add_role if give else self.client.http.remove_role
        try:
            await change(guild_id, user_id, role_id, reason="Get pinged button")
        except discord.Forbidden as exc:  # 50013: Manage Roles gone, or the role is not below the bot's
            raise MissingPermission("Manage Roles") from exc
        except (TimeoutError, discord.HTTPException, aiohttp.ClientError) as exc:
            raise PostFailed(str(exc) or type(exc).__name__) from exc
