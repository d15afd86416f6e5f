"""What the /announce handlers need from the running bot, as a typed port (bot.scheduling.service implements it).

Handlers see domain values only; the console has no services (None), and says that announcements live in a server.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.domain.announcements import PostOutcome, Subscription
from bot.domain.live import LiveMessage
from bot.domain.plan import PlannedPost
from bot.domain.releases import Release
from bot.domain.reminders import Reminder, ReminderOutcome
from bot.domain.server_releases import ServerRelease


class Announcements(Protocol):
    def release_of(self, sub: Subscription) -> Release | None:
        """The subscription's release, or None if it left the catalogue."""
        ...

    def plan(self, sub: Subscription, after: datetime) -> list[PlannedPost]:
        """Its posts after `after`; raises ValueError or KeyError if its saved settings do not read."""
        ...

    async def subscriptions(self, guild_id: int, release_id: str | None = None) -> Sequence[Subscription]: ...

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
        """Create or replace a server's announcements for a release (un-paused), and schedule them."""
        ...

    async def set_paused(self, guild_id: int, release_ids: Sequence[str], paused: bool, now: datetime) -> None:
        """Pause or resume by an admin (no reason recorded), and schedule accordingly."""
        ...

    async def unsubscribe(self, guild_id: int, release_id: str | None) -> None:
        """Forget the server's announcements (for one release, or all), and their timers."""
        ...

    async def outcomes(self, guild_id: int) -> Sequence[PostOutcome]:
        """The server's delivery ledger, oldest first."""
        ...

    async def send_test(self, channel_id: int, text: str) -> None:
        """A one-off post now, pinging nobody, ahead of any fan-out; raises PostRejected or PostFailed."""
        ...

    # ---- releases the server added (/release) ------------------------------------------------------------

    async def server_releases(self, guild_id: int) -> Sequence[ServerRelease]:
        """The server's own releases, soonest first."""
        ...

    async def add_release(self, release: ServerRelease, now: datetime) -> None:
        """Store it; raises TooManyReleases when the server has MAX_RELEASES already."""
        ...

    async def edit_release(self, release: ServerRelease, now: datetime) -> None:
        """Store the change; its announcements' timers and its event follow (posts already sent stay sent)."""
        ...

    async def remove_release(self, guild_id: int, release_id: str) -> None:
        """Forget it with its announcements, their ledger and its event (deleted in Discord)."""
        ...

    # ---- Discord Scheduled Events ---------------------------------------------------------------------------

    def missing_event_permission(self, guild_id: int) -> str | None:
        """The permission the bot lacks to create events in the server, or None."""
        ...

    async def ensure_event(self, guild_id: int, release: Release, now: datetime) -> bool:
        """The server's event for the release, created once; True if it was created now (False: it existed and
        was brought up to date). Raises MissingPermission, PostFailed."""
        ...

    async def remove_events(self, guild_id: int, release_id: str | None) -> int:
        """Delete the server's event for a release (or all of them); how many."""
        ...

    # ---- the live countdown message ------------------------------------------------------------------------

    async def live_messages(self, guild_id: int) -> Sequence[LiveMessage]: ...

    async def start_live(self, guild_id: int, release: Release, channel_id: int, now: datetime) -> LiveMessage:
        """Post the server's live message for the release (the one before it, if any, is deleted); raises
        PostRejected or PostFailed."""
        ...


class Reminders(Protocol):
    """Members' DM reminders (bot.scheduling.service implements it); raises TooManyReminders at the limit."""

    async def set_reminder(
        self, user_id: int, release_id: str, before: str, now: datetime, locale: str | None = None
    ) -> tuple[Reminder, bool]:
        """Create the member's reminder for a release or change its `before`, and schedule it; (it, replaced).
        `locale`: the member's language, which the DM will speak."""
        ...

    def reminder_release(self, release_id: str) -> Release | None:
        """The release of a reminder, wherever the member asks (a server's own release from a DM too), if it exists."""
        ...

    async def reminders_of(self, user_id: int) -> Sequence[Reminder]: ...

    async def reminder_outcomes(self, user_id: int) -> Sequence[ReminderOutcome]:
        """What became of the member's reminders (the DM ledger), oldest first."""
        ...

    async def cancel_reminders(self, user_id: int, release_id: str | None) -> int:
        """Forget the member's reminder for a release (or all of them); how many there were."""
        ...

    async def forget_member(self, user_id: int) -> int:
        """Delete everything stored about the member (reminders, their ledger rows, notices); how many rows."""
        ...


@dataclass(frozen=True)
class RoleAccess:
    """Whether the bot may hand a role out to members (Discord wants Manage Roles and the role below the bot's,
    and answers 50013 otherwise), whether it should (see `ping_role.ELEVATED_PERMISSIONS`), and whether posts
    pinging it really ping anyone."""

    manage_roles: bool  # the bot has Manage Roles in the server
    below_bot: bool  # the role is below the bot's highest role
    bot_role: str  # the name of the bot's highest role, to name it in advice
    elevated: tuple[str, ...] = ()  # the role's elevated permissions, as Discord's settings name them
    managed: bool = False  # a bot's or an integration's own role (or @everyone): nobody can hand it out
    pings: bool = True  # the role is mentionable, or the bot may Mention @everyone, @here and All Roles there

    @property
    def safe_to_hand_out(self) -> bool:
        return not self.elevated and not self.managed

    @property
    def can_hand_out(self) -> bool:
        """Whether the Get pinged button may and would work for this role."""
        return self.safe_to_hand_out and self.manage_roles and self.below_bot


class MemberRoles(Protocol):
    """Adding and removing a member's role (the "Get pinged" button); the Discord adapter implements it."""

    def role_access(self, guild_id: int, role_id: int, channel_id: int | None = None) -> RoleAccess | None:
        """What the bot may do with the role, from the gateway's cache; None when the server or role is unknown.
        `channel_id`: where the posts go, for whether they really ping the role there."""
        ...

    async def set_member_role(self, guild_id: int, user_id: int, role_id: int, give: bool) -> None:
        """Give (or take away) the role; raises MissingPermission when Discord refuses (50013), PostFailed."""
        ...
