"""Delivering announcement posts through discord.py: the Poster the scheduler calls."""

from __future__ import annotations

import asyncio
from collections import deque
from datetime import datetime, timedelta

import aiohttp
import discord

from bot.domain.announcements import PostFailed, PostRejected, PostUnverifiable
from bot.metrics import RATE_LIMIT_WAIT

CLOCK_SKEW = timedelta(seconds=30)  # our clock against Discord's, when looking for a post by its time
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

    async def send(self, channel_id: int, content: str, nonce: str, role_id: int | None) -> int:
        # A partial messageable needs no cache: posts go out even before the gateway has sent the guilds.
        channel = self.client.get_partial_messageable(channel_id)
        # Only the configured role may be pinged; names and titles in the text can never ping anyone.
        mentions = discord.AllowedMentions(
            everyone=False, users=False, roles=[discord.Object(role_id)] if role_id else False
        )
        try:
            # discord.py waits out 429s as told and retries 5xx a few times before raising.
            message = await channel.send(content, nonce=nonce, allowed_mentions=mentions)
        except discord.Forbidden as exc:
            raise PostRejected(
                f"I lost permission to post in <#{channel_id}> ({exc.text or 'Missing Permissions'})"
            ) from exc
        except discord.NotFound as exc:
            raise PostRejected(f"the channel <#{channel_id}> no longer exists") from exc
        except (TimeoutError, discord.HTTPException, aiohttp.ClientError) as exc:
            raise PostFailed(str(exc) or type(exc).__name__) from exc
        return message.id

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
