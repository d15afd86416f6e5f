"""What admins change, carried out: storage first (the truth), then the server's timers derived again."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime

from bot.domain.announcements import PostOutcome, Subscription
from bot.domain.plan import PlannedPost
from bot.domain.releases import Release
from bot.scheduling.announcer import Announcer


class AnnouncementService:
    """The `bot.commands.services.Announcements` port, over the store and the announcer's timers."""

    def __init__(self, announcer: Announcer) -> None:
        self.announcer = announcer
        self.store = announcer.store

    def release_of(self, sub: Subscription) -> Release | None:
        return self.announcer.release_of(sub)

    def plan(self, sub: Subscription, after: datetime) -> list[PlannedPost]:
        return self.announcer.plan(sub, after)

    async def subscriptions(self, guild_id: int, release_id: str | None = None) -> Sequence[Subscription]:
        return await self.store.subscriptions(guild_id, release_id=release_id)

    async def subscribe(
        self,
        guild_id: int,
        release_id: str,
        channel_id: int,
        role_id: int | None,
        timezone: str,
        daily_time: str | None,
        now: datetime,
    ) -> Subscription:
        sub = await self.store.save_subscription(guild_id, release_id, channel_id, role_id, timezone, daily_time, now)
        await self.announcer.reschedule_guild(guild_id)
        return sub

    async def set_paused(self, guild_id: int, release_ids: Sequence[str], paused: bool, now: datetime) -> None:
        for release_id in release_ids:  # one by one: only those named, so a pause a failure made keeps its reason
            await self.store.set_paused(guild_id, paused, None, now, release_id=release_id)
        await self.announcer.reschedule_guild(guild_id)

    async def unsubscribe(self, guild_id: int, release_id: str | None) -> None:
        await self.store.delete_subscriptions(guild_id, release_id)
        await self.announcer.reschedule_guild(guild_id)

    async def outcomes(self, guild_id: int) -> Sequence[PostOutcome]:
        return await self.store.outcomes(guild_id)

    async def send_test(self, channel_id: int, text: str) -> None:
        # A nonce of its own (never a real post's), no role: a test pings nobody; urgent: an admin is waiting.
        await self.announcer.poster.post(channel_id, text, "t" + secrets.token_hex(12), None, urgent=True)
