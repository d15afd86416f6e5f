"""All reads and writes of the bot's state. Each method is one short transaction."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.domain import announcements as domain
from bot.storage.models import Delivery, GuildSettings, Subscription


def delivery_nonce(guild_id: int, release_id: str, post_key: str) -> str:
    """Deterministic per post, so a re-send after a crash is the same message to Discord (<= 25 chars)."""
    digest = hashlib.sha256(f"{guild_id}:{release_id}:{post_key}".encode()).hexdigest()
    return "rb" + digest[:23]


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


COLUMNS = (  # a subscription's columns, named as domain.Subscription's fields
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


class Store:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.session = async_sessionmaker(engine, expire_on_commit=False)

    def _insert(self) -> Callable[..., Any]:
        """The dialect's INSERT, which has ON CONFLICT DO NOTHING (SQLAlchemy's generic insert has not)."""
        return postgresql.insert if self.engine.dialect.name == "postgresql" else sqlite.insert

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
    ) -> list[domain.Subscription]:
        # Columns, not ORM rows: start-up reads every subscription, and entities cost ~3x as much to build.
        query = select(*COLUMNS).order_by(Subscription.guild_id, Subscription.release_id)
        if guild_id is not None:
            query = query.where(Subscription.guild_id == guild_id)
        if release_id is not None:
            query = query.where(Subscription.release_id == release_id)
        if release_ids is not None:
            query = query.where(Subscription.release_id.in_(release_ids))
        if active_only:
            query = query.where(Subscription.paused.is_(False))
        async with self.session() as s:
            return [domain.Subscription(**row._mapping) for row in (await s.execute(query)).all()]

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
            for table in (Subscription, Delivery, GuildSettings):
                await s.execute(delete(table).where(table.guild_id == guild_id))

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
        values = {
            "guild_id": sub.guild_id,
            "release_id": sub.release_id,
            "post_key": post_key,
            "channel_id": sub.channel_id,
            "due_at": due_at,
            "state": state,
            "late": late,
            "detail": detail,
            "nonce": delivery_nonce(sub.guild_id, sub.release_id, post_key),
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
        self, delivery_id: int, state: str, now: datetime, message_id: int | None = None, detail: str | None = None
    ) -> None:
        async with self.session.begin() as s:
            await s.execute(
                update(Delivery)
                .where(Delivery.id == delivery_id)
                .values(state=state, message_id=message_id, detail=detail, finished_at=now, lease_until=None)
            )

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
