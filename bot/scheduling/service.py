"""What admins change, carried out: storage first (the truth), then the server's timers derived again."""

from __future__ import annotations

import contextlib
import logging
import secrets
from collections.abc import Sequence
from datetime import datetime

from bot.domain.announcements import MissingPermission, PostFailed, PostOutcome, PostRejected, Subscription
from bot.domain.live import LiveMessage, live_card, live_stage
from bot.domain.plan import PlannedPost
from bot.domain.releases import Release
from bot.domain.reminders import Reminder, ReminderOutcome
from bot.domain.server_releases import ServerRelease
from bot.scheduling.announcer import Announcer
from bot.scheduling.events import EventKeeper

log = logging.getLogger(__name__)


class AnnouncementService:
    """The `bot.commands.services.Announcements` and `Reminders` ports, over the store and the announcer's timers."""

    def __init__(self, announcer: Announcer, events: EventKeeper | None = None) -> None:
        self.announcer = announcer
        self.store = announcer.store
        self.events = events  # None where the bot cannot reach Discord (the console)

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
        await self._delete_live(guild_id, release_id)
        await self.announcer.reschedule_guild(guild_id)

    async def _delete_live(self, guild_id: int, release_id: str | None) -> None:
        for row in await self.store.live_messages(guild_id, release_id):
            with contextlib.suppress(PostRejected, PostFailed):  # it stays; it is no longer ours to update
                await self.announcer.poster.delete_message(row.channel_id, row.message_id)
        await self.store.delete_live(guild_id, release_id)

    async def live_messages(self, guild_id: int) -> Sequence[LiveMessage]:
        return await self.store.live_messages(guild_id)

    async def start_live(self, guild_id: int, release: Release, channel_id: int, now: datetime) -> LiveMessage:
        stage = live_stage(release, self.announcer.settings.milestones, now)
        poster = self.announcer.poster
        await poster.wait_turn(urgent=True)  # an admin is waiting
        card = live_card(release, stage, await self.announcer.guild_locale(guild_id))  # the server's language
        message_id = await poster.post_card(channel_id, card)
        await self._delete_live(guild_id, release.id)
        row = LiveMessage(guild_id, release.id, channel_id, message_id, stage, None)
        await self.store.save_live(row, now)
        return row

    async def outcomes(self, guild_id: int) -> Sequence[PostOutcome]:
        return await self.store.outcomes(guild_id)

    async def send_test(self, channel_id: int, text: str) -> None:
        # A nonce of its own (never a real post's), no role: a test pings nobody; urgent: an admin is waiting.
        await self.announcer.poster.post(channel_id, text, "t" + secrets.token_hex(12), None, urgent=True)

    # ---- members' reminders -------------------------------------------------------------------------------

    async def set_reminder(
        self, user_id: int, release_id: str, before: str, now: datetime, locale: str | None = None
    ) -> tuple[Reminder, bool]:
        reminder, replaced = await self.store.save_reminder(user_id, release_id, before, now, locale=locale)
        self.announcer.schedule_reminder(reminder)
        return reminder, replaced

    def reminder_release(self, release_id: str) -> Release | None:
        return self.announcer.reminder_release(release_id)

    async def reminders_of(self, user_id: int) -> Sequence[Reminder]:
        return await self.store.reminders(user_id)

    async def reminder_outcomes(self, user_id: int) -> Sequence[ReminderOutcome]:
        return await self.store.reminder_outcomes(user_id)

    async def cancel_reminders(self, user_id: int, release_id: str | None) -> int:
        # The shared (release, before) timer stays: when it fires it reads who still wants a DM.
        return await self.store.delete_reminders(user_id, release_id)

    async def forget_member(self, user_id: int) -> int:
        return await self.store.forget_member(user_id)

    async def take_notice(self, user_id: int) -> str | None:
        return await self.store.take_notice(user_id)

    async def server_releases(self, guild_id: int) -> Sequence[ServerRelease]:
        return await self.store.server_releases(guild_id)

    async def add_release(self, release: ServerRelease, now: datetime) -> None:
        await self.store.add_server_release(release, now)
        await self.announcer.reschedule_guild(release.guild_id)

    async def edit_release(self, release: ServerRelease, now: datetime) -> None:
        await self.store.update_server_release(release, now)
        await self.announcer.reschedule_guild(release.guild_id)
        await self.announcer.rebuild_reminders(now)  # members' reminders follow the new date (one sent stays sent)
        shown = release.release()
        for row in await self.store.live_messages(release.guild_id, release.id):  # its live message shows the change
            await self.announcer.update_live(
                row, shown, live_stage(shown, self.announcer.settings.milestones, now), now
            )
        if self.events is not None:
            try:
                await self.events.move(release.guild_id, shown, await self.announcer.guild_locale(release.guild_id))
            except (MissingPermission, PostFailed) as exc:  # the release changed; its event stays where it was
                log.warning("server %s: the event of %s was not moved: %s", release.guild_id, release.id, exc)

    async def remove_release(self, guild_id: int, release_id: str) -> None:
        if self.events is not None:  # first: the event row that names it goes with the release
            try:
                await self.events.remove(guild_id, release_id)
            except (MissingPermission, PostFailed) as exc:  # the release goes anyway; its event stays in Discord
                log.warning("server %s: the event of %s was not deleted: %s", guild_id, release_id, exc)
                await self.store.forget_event(guild_id, release_id)
        await self._delete_live(guild_id, release_id)
        await self.store.remove_server_release(guild_id, release_id)
        await self.store.prune_reminders([release_id])  # members' reminders of it go too: nothing left to remind of
        await self.announcer.reschedule_guild(guild_id)
        await self.announcer.rebuild_reminders(self.announcer.clock())

    def missing_event_permission(self, guild_id: int) -> str | None:
        return self.events.missing_permission(guild_id) if self.events is not None else None

    async def ensure_event(self, guild_id: int, release: Release, now: datetime) -> bool:
        if self.events is None:
            raise PostFailed("the console is not connected to Discord")
        # The event is the server's: worded in its language, whoever asked for it.
        return (await self.events.ensure(guild_id, release, now, await self.announcer.guild_locale(guild_id)))[1]

    async def remove_events(self, guild_id: int, release_id: str | None) -> int:
        return await self.events.remove(guild_id, release_id) if self.events is not None else 0
