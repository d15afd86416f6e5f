"""Delivering announcement posts through discord.py: the Poster the scheduler calls."""

from __future__ import annotations

import aiohttp
import discord

from bot.scheduling.announcer import PostFailed, PostRejected


class DiscordPoster:
    def __init__(self, client: discord.Client) -> None:
        self.client = client

    async def post(self, channel_id: int, content: str, nonce: str, role_id: int | None) -> int:
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
