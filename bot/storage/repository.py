"""All reads and writes of the bot's state. Each method is one short transaction."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, exists, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.domain import announcements as domain
from bot.domain import live
from bot.domain import reminders as dm
from bot.domain.server_releases import MAX_RELEASES, TooManyReleases
from bot.domain.server_releases import ServerRelease as ServerReleaseValue
from bot.storage.models import (
    Delivery,
    GuildSettings,
    LiveMessage,
    MemberNotice,
    Reminder,
    ScheduledEvent,
    ServerRelease,
    Subscription,
)


def delivery_nonce(guild_id: int, release_id: str, post_key: str) -> str:
    """Deterministic per post, so a re-send after a crash is the same message to Discord (<= 25 chars)."""
    digest = hashlib.sha256(f"{guild_id}:{release_id}:{post_key}".encode()).hexdigest()
    return "rb" + digest[:23]


def _server_release(row: ServerRelease) -> ServerReleaseValue:
    return ServerReleaseValue(
        row.guild_id, row.release_id, row.name, row.release_at, row.timezone, row.kind, row.url, row.description
    )


def _subscription(row: Subscription) -> domain.Subscription:
    return domain.Subscription(
        row.guild_id,
        row.release_id,
        row.channel_id,
        row.role_id,
        row.timezone,
        row.daily_time,
        row.paused,
        row.pause_reason,
        row.created_at,
        row.updated_at,
    )


def _reminder(row: Reminder) -> dm.Reminder:
    return dm.Reminder(row.user_id, row.release_id, row.before, row.created_at, row.locale)


COLUMNS = (  # a subscription's columns, in domain.Subscription's field order (rows are passed positionally)
    Subscription.guild_id,
    Subscription.release_id,
    Subscription.channel_id,
    Subscription.role_id,
    Subscription.timezone,
    Subscription.daily_time,
    Subscription.paused,
    Subscription.pause_reason,
    Subscription.created_at,
    Subscription.updated_at,
)


def _release_fields(release: ServerReleaseValue) -> dict[str, Any]:
    """What an admin gives in /release add and may change with /release edit (the id and guild never change)."""
    return {
        "name": release.name,
        "release_at": release.release_at,
        "timezone": release.timezone,
        "kind": release.kind,
        "url": release.url,
        "description": release.description,
    }


class Store:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.session = async_sessionmaker(engine, expire_on_commit=False)

    def _insert(self) -> Callable[..., Any]:
        """The dialect's INSERT, which has ON CONFLICT DO NOTHING (SQLAlchemy's generic insert has not).

        Imported here, from the engine's own dialect package (already loaded by the engine): a bot on SQLite never
        loads PostgreSQL's dialect (~2.4 MiB)."""
        if self.engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            return pg_insert
        from sqlalchemy.dialects.sqlite import insert

        return insert

    # ---- server settings and subscriptions ----------------------------------------------------------------

    async def guild_timezone(self, guild_id: int) -> str | None:
        async with self.session() as s:
            row = await s.get(GuildSettings, guild_id)
            return row.timezone if row else None

    async def guild_timezones(self) -> dict[int, str]:
        """Every server's time zone, in one read (the replies' cache)."""
        async with self.session() as s:
            return {g: z for g, z in (await s.execute(select(GuildSettings.guild_id, GuildSettings.timezone))).all()}

    async def save_subscription(
        self,
        guild_id: int,
        release_id: str,
        channel_id: int,
        role_id: int | None,
        timezone: str,
        daily_time: str | None,
        now: datetime,
    ) -> domain.Subscription:
        """Create or replace the server's announcements for a release; setting up again un-pauses them."""
        async with self.session.begin() as s:
            settings = await s.get(GuildSettings, guild_id)
            if settings is None:
                s.add(GuildSettings(guild_id=guild_id, timezone=timezone, updated_at=now))
            else:
                settings.timezone, settings.updated_at = timezone, now
            sub = (
                await s.execute(
                    select(Subscription).where(Subscription.guild_id == guild_id, Subscription.release_id == release_id)
                )
            ).scalar_one_or_none()
            if sub is None:
                sub = Subscription(guild_id=guild_id, release_id=release_id, created_at=now)
                s.add(sub)
            sub.channel_id, sub.role_id, sub.timezone, sub.daily_time = channel_id, role_id, timezone, daily_time
            sub.paused, sub.pause_reason, sub.updated_at = False, None, now
        return _subscription(sub)

    async def subscriptions(
        self,
        guild_id: int | None = None,
        active_only: bool = False,
        release_id: str | None = None,
        release_ids: Sequence[str] | None = None,
        unless_premiered: Sequence[str] = (),
    ) -> list[domain.Subscription]:
        """`unless_premiered`: of these releases, only the servers whose premiere post is not in the ledger yet
        (a finished release's 10,000 subscriptions are not read at every start-up)."""
        # Columns, not ORM rows: start-up reads every subscription, and entities cost ~3x as much to build.
        query = select(*COLUMNS).order_by(Subscription.guild_id, Subscription.release_id)
        if unless_premiered:
            premiered = exists().where(
                Delivery.guild_id == Subscription.guild_id,
                Delivery.release_id == Subscription.release_id,
                Delivery.post_key == "premiere",
            )
            query = query.where(or_(Subscription.release_id.not_in(unless_premiered), ~premiered))
        if guild_id is not None:
            query = query.where(Subscription.guild_id == guild_id)
        if release_id is not None:
            query = query.where(Subscription.release_id == release_id)
        if release_ids is not None:
            query = query.where(Subscription.release_id.in_(release_ids))
        if active_only:
            query = query.where(Subscription.paused.is_(False))
        async with self.session() as s:
            return [domain.Subscription(*tuple(row)) for row in (await s.execute(query)).all()]

    async def set_paused(
        self,
        guild_id: int,
        paused: bool,
        reason: str | None,
        now: datetime,
        release_id: str | None = None,
        channel_id: int | None = None,
    ) -> int:
        query = update(Subscription).where(Subscription.guild_id == guild_id)
        if release_id is not None:
            query = query.where(Subscription.release_id == release_id)
        if channel_id is not None:
            query = query.where(Subscription.channel_id == channel_id)
        async with self.session.begin() as s:
            result = await s.execute(query.values(paused=paused, pause_reason=reason, updated_at=now))
            return result.rowcount  # type: ignore[attr-defined,no-any-return]

    async def delete_subscriptions(self, guild_id: int, release_id: str | None = None) -> int:
        query = delete(Subscription).where(Subscription.guild_id == guild_id)
        if release_id is not None:
            query = query.where(Subscription.release_id == release_id)
        async with self.session.begin() as s:
            return (await s.execute(query)).rowcount  # type: ignore[attr-defined,no-any-return]

    async def forget_guild(self, guild_id: int) -> None:
        """The bot left the server: its data goes with it."""
        async with self.session.begin() as s:
            for table in (Subscription, Delivery, GuildSettings, ServerRelease, ScheduledEvent, LiveMessage):
                await s.execute(delete(table).where(table.guild_id == guild_id))

    # ---- releases a server added ---------------------------------------------------------------------------

    async def server_releases(self, guild_id: int | None = None) -> list[ServerReleaseValue]:
        """One server's releases (or every server's), soonest first."""
        query = select(ServerRelease).order_by(ServerRelease.release_at, ServerRelease.release_id)
        if guild_id is not None:
            query = query.where(ServerRelease.guild_id == guild_id)
        async with self.session() as s:
            return [_server_release(row) for row in (await s.execute(query)).scalars()]

    async def add_server_release(self, release: ServerReleaseValue, now: datetime) -> None:
        """Store a new release; TooManyReleases if the server has MAX_RELEASES already (checked in the same
        transaction as the insert)."""
        async with self.session.begin() as s:
            if self.engine.dialect.name == "postgresql":  # two admins adding at once: one counts after the other
                await s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": release.guild_id})
            count = len(
                (await s.execute(select(ServerRelease.id).where(ServerRelease.guild_id == release.guild_id))).all()
            )
            if count >= MAX_RELEASES:
                raise TooManyReleases
            s.add(
                ServerRelease(
                    guild_id=release.guild_id,
                    release_id=release.id,
                    created_at=now,
                    updated_at=now,
                    **_release_fields(release),
                )
            )

    async def update_server_release(self, release: ServerReleaseValue, now: datetime) -> bool:
        """Change a server's release in place (its id stays, so its ledger and subscriptions stay)."""
        async with self.session.begin() as s:
            result = await s.execute(
                update(ServerRelease)
                .where(ServerRelease.guild_id == release.guild_id, ServerRelease.release_id == release.id)
                .values(updated_at=now, **_release_fields(release))
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def remove_server_release(self, guild_id: int, release_id: str) -> bool:
        """A server's release and everything of it: its announcements, their ledger, its event row."""
        async with self.session.begin() as s:
            result = await s.execute(
                delete(ServerRelease).where(ServerRelease.guild_id == guild_id, ServerRelease.release_id == release_id)
            )
            for table in (Subscription, Delivery, ScheduledEvent, LiveMessage):
                await s.execute(delete(table).where(table.guild_id == guild_id, table.release_id == release_id))
            return bool(result.rowcount)  # type: ignore[attr-defined]

    # ---- live countdown messages ---------------------------------------------------------------------------

    async def live_messages(self, guild_id: int | None = None, release_id: str | None = None) -> list[live.LiveMessage]:
        query = select(LiveMessage).order_by(LiveMessage.guild_id, LiveMessage.release_id)
        if guild_id is not None:
            query = query.where(LiveMessage.guild_id == guild_id)
        if release_id is not None:
            query = query.where(LiveMessage.release_id == release_id)
        async with self.session() as s:
            return [
                live.LiveMessage(r.guild_id, r.release_id, r.channel_id, r.message_id, r.stage, r.replaced_at)
                for r in (await s.execute(query)).scalars()
            ]

    async def save_live(self, row: live.LiveMessage, now: datetime) -> None:
        """Create or replace the server's live message for a release."""
        async with self.session.begin() as s:
            found = (
                await s.execute(
                    select(LiveMessage).where(
                        LiveMessage.guild_id == row.guild_id, LiveMessage.release_id == row.release_id
                    )
                )
            ).scalar_one_or_none()
            if found is None:
                found = LiveMessage(guild_id=row.guild_id, release_id=row.release_id)
                s.add(found)
            found.channel_id, found.message_id, found.stage = row.channel_id, row.message_id, row.stage
            found.replaced_at, found.updated_at = row.replaced_at, now

    async def delete_live(self, guild_id: int, release_id: str | None = None) -> None:
        query = delete(LiveMessage).where(LiveMessage.guild_id == guild_id)
        if release_id is not None:
            query = query.where(LiveMessage.release_id == release_id)
        async with self.session.begin() as s:
            await s.execute(query)

    # ---- Discord Scheduled Events ---------------------------------------------------------------------------

    async def event_row(self, guild_id: int, release_id: str) -> tuple[bool, int | None]:
        """(a row exists, its event id): (True, None) is an intent whose creation may or may not have happened."""
        async with self.session() as s:
            row = (
                await s.execute(
                    select(ScheduledEvent).where(
                        ScheduledEvent.guild_id == guild_id, ScheduledEvent.release_id == release_id
                    )
                )
            ).scalar_one_or_none()
            return (row is not None, row.event_id if row is not None else None)

    async def event_rows(self, guild_id: int | None = None) -> list[tuple[int, str, int | None]]:
        """(guild, release, event id) of every event row (of one server)."""
        query = select(ScheduledEvent.guild_id, ScheduledEvent.release_id, ScheduledEvent.event_id)
        if guild_id is not None:
            query = query.where(ScheduledEvent.guild_id == guild_id)
        async with self.session() as s:
            return [(g, r, e) for g, r, e in (await s.execute(query)).all()]

    async def intend_event(self, guild_id: int, release_id: str, now: datetime) -> bool:
        """Record that an event is about to be created; False if a row (an event, or an intent) exists already."""
        statement = (
            self._insert()(ScheduledEvent)
            .values(guild_id=guild_id, release_id=release_id, event_id=None, created_at=now)
            .on_conflict_do_nothing(index_elements=["guild_id", "release_id"])
            .returning(ScheduledEvent.id)
        )
        async with self.session.begin() as s:
            return (await s.execute(statement)).scalar_one_or_none() is not None

    async def record_event(self, guild_id: int, release_id: str, event_id: int) -> None:
        async with self.session.begin() as s:
            await s.execute(
                update(ScheduledEvent)
                .where(ScheduledEvent.guild_id == guild_id, ScheduledEvent.release_id == release_id)
                .values(event_id=event_id)
            )

    async def forget_event(self, guild_id: int, release_id: str | None = None) -> None:
        query = delete(ScheduledEvent).where(ScheduledEvent.guild_id == guild_id)
        if release_id is not None:
            query = query.where(ScheduledEvent.release_id == release_id)
        async with self.session.begin() as s:
            await s.execute(query)

    # ---- the delivery ledger ------------------------------------------------------------------------------

    async def claim(
        self,
        sub: domain.Subscription,
        post_key: str,
        due_at: datetime,
        now: datetime,
        *,
        state: str = "claimed",
        late: bool = False,
        detail: str | None = None,
        content: str | None = None,
        lease_until: datetime | None = None,
    ) -> Delivery | None:
        """Insert the ledger row for a post; None if any process claimed (or settled) it before."""
        return await self._claim(
            sub.guild_id,
            sub.release_id,
            post_key,
            sub.channel_id,
            due_at,
            now,
            state,
            late,
            detail,
            content,
            lease_until,
        )

    async def claim_reminder(
        self,
        reminder: dm.Reminder,
        due_at: datetime,
        now: datetime,
        *,
        channel_id: int = 0,
        state: str = "claimed",
        late: bool = False,
        detail: str | None = None,
        content: str | None = None,
        lease_until: datetime | None = None,
    ) -> Delivery | None:
        """The ledger row of a member's DM reminder (guild 0, the DM channel, the member's id); None if taken."""
        key = dm.reminder_key(reminder.user_id, reminder.before)
        return await self._claim(
            dm.DM_GUILD,
            reminder.release_id,
            key,
            channel_id,
            due_at,
            now,
            state,
            late,
            detail,
            content,
            lease_until,
            user_id=reminder.user_id,
        )

    async def _claim(
        self,
        guild_id: int,
        release_id: str,
        post_key: str,
        channel_id: int,
        due_at: datetime,
        now: datetime,
        state: str,
        late: bool,
        detail: str | None,
        content: str | None,
        lease_until: datetime | None,
        user_id: int | None = None,
    ) -> Delivery | None:
        values = {
            "guild_id": guild_id,
            "release_id": release_id,
            "post_key": post_key,
            "channel_id": channel_id,
            "user_id": user_id,
            "due_at": due_at,
            "state": state,
            "late": late,
            "detail": detail,
            "nonce": delivery_nonce(guild_id, release_id, post_key),
            "claimed_at": now,
            "finished_at": now if state != "claimed" else None,
            "content": content,
            "lease_until": lease_until,
        }
        statement = (
            self._insert()(Delivery)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["guild_id", "release_id", "post_key"])
            .returning(Delivery.id)
        )
        async with self.session.begin() as s:
            inserted = (await s.execute(statement)).scalar_one_or_none()
            if inserted is None:
                return None
            return await s.get(Delivery, inserted)

    async def finish(
        self,
        delivery_id: int,
        state: str,
        now: datetime,
        message_id: int | None = None,
        detail: str | None = None,
        channel_id: int | None = None,
    ) -> None:
        values: dict[str, Any] = {
            "state": state,
            "message_id": message_id,
            "detail": detail,
            "finished_at": now,
            "lease_until": None,
        }
        if channel_id is not None:  # a DM reminder's channel, known only once the DM was opened
            values["channel_id"] = channel_id
        async with self.session.begin() as s:
            await s.execute(update(Delivery).where(Delivery.id == delivery_id).values(**values))

    async def extend_lease(self, delivery_id: int, until: datetime) -> None:
        """The sender is still at work on this claim (e.g. waiting to retry): no sweep takes it before `until`."""
        async with self.session.begin() as s:
            await s.execute(
                update(Delivery)
                .where(Delivery.id == delivery_id, Delivery.state == "claimed")
                .values(lease_until=until)
            )

    async def take_over(self, delivery: Delivery, until: datetime) -> bool:
        """Take an abandoned claim; False if another process took it first (compare-and-set on the lease)."""
        same_lease = (
            Delivery.lease_until.is_(None)
            if delivery.lease_until is None
            else Delivery.lease_until == delivery.lease_until
        )
        async with self.session.begin() as s:
            result = await s.execute(
                update(Delivery)
                .where(Delivery.id == delivery.id, Delivery.state == "claimed", same_lease)
                .values(lease_until=until)
            )
            taken = bool(result.rowcount)  # type: ignore[attr-defined]
        if taken:
            delivery.lease_until = until
        return taken

    async def rewrite(self, delivery_id: int, content: str, late: bool) -> None:
        """The claim will be sent with new text (it was not found in its channel): look for this text next time."""
        async with self.session.begin() as s:
            await s.execute(update(Delivery).where(Delivery.id == delivery_id).values(content=content, late=late))

    async def unfinished_claims(self, lease_expired_at: datetime | None = None) -> Sequence[Delivery]:
        """Claims not settled yet; with `lease_expired_at`, only those whose sender's lease ran out by then."""
        query = select(Delivery).where(Delivery.state == "claimed").order_by(Delivery.due_at)
        if lease_expired_at is not None:
            query = query.where(or_(Delivery.lease_until.is_(None), Delivery.lease_until <= lease_expired_at))
        async with self.session() as s:
            return (await s.execute(query)).scalars().all()

    async def settled_keys(
        self,
        guild_id: int | None = None,
        due_after: datetime | None = None,
        release_ids: Sequence[str] | None = None,
        post_key: str | None = None,
    ) -> set[tuple[int, str, str]]:
        """(guild, release, post key) of ledger rows: the posts that must never be sent again."""
        query = select(Delivery.guild_id, Delivery.release_id, Delivery.post_key)
        if guild_id is not None:
            query = query.where(Delivery.guild_id == guild_id)
        if due_after is not None:
            query = query.where(Delivery.due_at >= due_after)
        if release_ids is not None:
            query = query.where(Delivery.release_id.in_(release_ids))
        if post_key is not None:
            query = query.where(Delivery.post_key == post_key)
        async with self.session() as s:
            return {(g, r, k) for g, r, k in (await s.execute(query)).all()}

    async def deliveries(self, guild_id: int | None = None) -> Sequence[Delivery]:
        query = select(Delivery).order_by(Delivery.due_at, Delivery.id)
        if guild_id is not None:
            query = query.where(Delivery.guild_id == guild_id)
        async with self.session() as s:
            return (await s.execute(query)).scalars().all()

    async def outcomes(self, guild_id: int) -> list[domain.PostOutcome]:
        """A server's ledger as admins read it, oldest first."""
        return [
            domain.PostOutcome(
                d.guild_id, d.release_id, d.post_key, d.channel_id, d.due_at, d.state, d.late, d.message_id, d.detail
            )
            for d in await self.deliveries(guild_id)
        ]

    # ---- members' reminders and notices -------------------------------------------------------------------

    async def save_reminder(
        self,
        user_id: int,
        release_id: str,
        before: str,
        now: datetime,
        limit: int = dm.MAX_PER_MEMBER,
        locale: str | None = None,
    ) -> tuple[dm.Reminder, bool]:
        """Create the member's reminder for a release, or change its `before`; (it, whether it replaced one).
        Raises TooManyReminders for a new one beyond `limit`. An upsert: a double press of the button (two
        interactions at once) leaves one reminder, never an error."""
        async with self.session.begin() as s:
            releases = (await s.execute(select(Reminder.release_id).where(Reminder.user_id == user_id))).scalars().all()
            replaced = release_id in releases
            if not replaced and len(releases) >= limit:
                raise dm.TooManyReminders(limit)
            await s.execute(
                self._insert()(Reminder)
                .values(user_id=user_id, release_id=release_id, before=before, created_at=now, locale=locale)
                .on_conflict_do_update(
                    index_elements=["user_id", "release_id"],
                    set_={"before": before, "created_at": now, "locale": locale},
                )
            )
        return dm.Reminder(user_id, release_id, before, now, locale), replaced

    async def reminders(
        self, user_id: int | None = None, release_id: str | None = None, before: str | None = None
    ) -> list[dm.Reminder]:
        query = select(Reminder).order_by(Reminder.user_id, Reminder.release_id)
        if user_id is not None:
            query = query.where(Reminder.user_id == user_id)
        if release_id is not None:
            query = query.where(Reminder.release_id == release_id)
        if before is not None:
            query = query.where(Reminder.before == before)
        async with self.session() as s:
            return [_reminder(row) for row in (await s.execute(query)).scalars()]

    async def reminder_slots(self, release_ids: Sequence[str]) -> set[tuple[str, str]]:
        """(release, before) pairs that have at least one reminder: one timer each, for all their members."""
        query = select(Reminder.release_id, Reminder.before).where(Reminder.release_id.in_(release_ids)).distinct()
        async with self.session() as s:
            return {(r, b) for r, b in (await s.execute(query)).all()}

    async def prune_reminders(self, release_ids: Sequence[str]) -> int:
        """Reminders of releases long out, with their ledger rows: nothing can be sent for them any more."""
        async with self.session.begin() as s:
            gone = (await s.execute(delete(Reminder).where(Reminder.release_id.in_(release_ids)))).rowcount  # type: ignore[attr-defined]
            await s.execute(delete(Delivery).where(Delivery.user_id.is_not(None), Delivery.release_id.in_(release_ids)))
            return gone  # type: ignore[no-any-return]

    async def delete_reminders(self, user_id: int, release_id: str | None = None) -> int:
        query = delete(Reminder).where(Reminder.user_id == user_id)
        if release_id is not None:
            query = query.where(Reminder.release_id == release_id)
        async with self.session.begin() as s:
            return (await s.execute(query)).rowcount  # type: ignore[attr-defined,no-any-return]

    async def reminder_outcomes(self, user_id: int) -> list[dm.ReminderOutcome]:
        """The member's DM reminders in the ledger, oldest first."""
        query = select(Delivery).where(Delivery.user_id == user_id).order_by(Delivery.due_at, Delivery.id)
        async with self.session() as s:
            rows = (await s.execute(query)).scalars().all()
        found = []
        for d in rows:
            parsed = dm.parse_key(d.post_key)
            if parsed is not None:
                found.append(dm.ReminderOutcome(d.release_id, parsed[1], d.due_at, d.state, d.late, d.detail))
        return found

    async def add_notice(self, user_id: int, text: str, now: datetime) -> None:
        """Tell the member once, next time (a newer notice replaces an unread one)."""
        statement = (
            self._insert()(MemberNotice)
            .values(user_id=user_id, text=text, created_at=now)
            .on_conflict_do_update(index_elements=["user_id"], set_={"text": text, "created_at": now})
        )
        async with self.session.begin() as s:
            await s.execute(statement)

    async def take_notice(self, user_id: int) -> str | None:
        """The member's pending notice, removed: shown exactly once (whoever deletes it shows it)."""
        async with self.session.begin() as s:
            row = await s.get(MemberNotice, user_id)
            if row is None:
                return None
            deleted = await s.execute(
                delete(MemberNotice).where(MemberNotice.user_id == user_id, MemberNotice.created_at == row.created_at)
            )
            return row.text if deleted.rowcount else None  # type: ignore[attr-defined]

    async def forget_member(self, user_id: int) -> int:
        """/privacy forget: the member's reminders, their ledger rows and notices; how many rows went."""
        async with self.session.begin() as s:
            gone = 0
            for query in (
                delete(Reminder).where(Reminder.user_id == user_id),
                delete(Delivery).where(Delivery.user_id == user_id),
                delete(MemberNotice).where(MemberNotice.user_id == user_id),
            ):
                gone += (await s.execute(query)).rowcount  # type: ignore[attr-defined]
            return gone
