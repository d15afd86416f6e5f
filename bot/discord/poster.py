"""Delivering announcement posts through discord.py: the Poster the scheduler calls."""

from __future__ import annotations

import asyncio

import aiohttp
import discord

from bot.scheduling.announcer import PostFailed, PostRejected


class Pacer:
    """Spaces calls evenly at `rate` per second (FIFO). discord.py only reacts to a global 429 after the fact;
    a fan-out to thousands of servers would first burn thousands of invalid requests (10,000 in 10 minutes
    gets a bot banned for an hour), so posts are paced below Discord's 50 requests/s instead."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self._lock:
            loop = asyncio.get_running_loop()
            now = loop.time()
            if self._next > now:
                await asyncio.sleep(self._next - now)
            self._next = max(now, self._next) + self.interval


class DiscordPoster:
    def __init__(self, client: discord.Client, posts_per_second: float) -> None:
        self.client = client
        self.pacer = Pacer(posts_per_second)

    async def post(self, channel_id: int, content: str, nonce: str, role_id: int | None,
                   urgent: bool = False) -> int:
        # `urgent` (an interaction waits, e.g. /announce test): its own lane comes with the delivery work.
        await self.pacer.wait()
        # A partial messageable needs no cache: posts go out even before the gateway has sent the guilds.
        channel = self.client.get_partial_messageable(channel_id)
        # Only the configured role may be pinged; names and titles in the text can never ping anyone.
        mentions = discord.AllowedMentions(everyone=False, users=False,
                                           roles=[discord.Object(role_id)] if role_id else False)
        try:
            # discord.py waits out 429s as told and retries 5xx a few times before raising.
            message = await channel.send(content, nonce=nonce, allowed_mentions=mentions)
        except discord.Forbidden as exc:
            raise PostRejected(f"I lost permission to post in <#{channel_id}> ({exc.text or 'Missing Permissions'})"
                               ) from exc
        except discord.NotFound as exc:
            raise PostRejected(f"the channel <#{channel_id}> no longer exists") from exc
        except (TimeoutError, discord.HTTPException, aiohttp.ClientError) as exc:
            raise PostFailed(str(exc) or type(exc).__name__) from exc
        return message.id
