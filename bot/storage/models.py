"""Tables: server settings, announcement subscriptions, the delivery ledger, members' reminders and notices."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, DateTime, Integer, String, Text, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, on SQLite (which keeps no zone) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: storage takes aware UTC instants only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = value
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class GuildSettings(Base):
    __tablename__ = "guild_settings"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    timezone: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Subscription(Base):
    """A server's announcements for one release, into one channel."""

    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("guild_id", "release_id", name="uq_subscription_guild_release"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger, index=True)
    release_id: Mapped[str] = mapped_column(String(64))
    channel_id: Mapped[int] = mapped_column(BigInteger)
    role_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    timezone: Mapped[str] = mapped_column(String(64))
    daily_time: Mapped[str | None] = mapped_column(String(5), nullable=True)  # "HH:MM", local
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    pause_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Delivery(Base):
    """The ledger: one row per (server, release, post), claimed before sending; the arbiter of exactly-once."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("guild_id", "release_id", "post_key", name="uq_delivery_post"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger, index=True)
    release_id: Mapped[str] = mapped_column(String(64))
    post_key: Mapped[str] = mapped_column(String(64))
    channel_id: Mapped[int] = mapped_column(BigInteger)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(16), index=True)  # claimed | sent | skipped | failed
    nonce: Mapped[str] = mapped_column(String(25))
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    message_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    detail: Mapped[str | None] = mapped_column(String(500), nullable=True)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The exact text sent: past Discord's nonce memory the post is looked for in its channel by this text
    # (Discord does not return a nonce on fetched messages).
    content: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Until this instant the claim's sender is at work on it (sending, or waiting to retry); after it, any
    # process's sweep may take the claim over.
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Set for a member's DM reminder (whose guild_id is 0 and channel_id the DM channel); None for a channel post.
    user_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)


class Reminder(Base):
    """A member's reminder: a DM `before` (a key of bot.domain.reminders.OFFSETS) a release; one per release."""

    __tablename__ = "reminders"
    __table_args__ = (UniqueConstraint("user_id", "release_id", name="uq_reminder_user_release"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    release_id: Mapped[str] = mapped_column(String(64), index=True)
    before: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The member's language when they set it ("fr"): the DM speaks it. NULL (set before 0005): English.
    locale: Mapped[str | None] = mapped_column(String(16), nullable=True)


class MemberNotice(Base):
    """Something to tell a member once, privately, the next time they use the bot (e.g. their DMs are closed)."""

    __tablename__ = "member_notices"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    text: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ServerRelease(Base):
    """A release a server added with `/release add`; seen in that server only."""

    __tablename__ = "server_releases"
    __table_args__ = (UniqueConstraint("release_id", name="uq_server_release_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger, index=True)
    release_id: Mapped[str] = mapped_column(String(64))  # "s{guild}-{slug}": never an operator release's id
    name: Mapped[str] = mapped_column(String(100))
    release_at: Mapped[datetime] = mapped_column(UTCDateTime)
    timezone: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(40))
    url: Mapped[str] = mapped_column(String(500), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ScheduledEvent(Base):
    """The Discord Scheduled Event of a server for a release. The row is written *before* the event is created
    (event_id NULL: "being created"), so a crash in between is found and reconciled, never a second event."""

    __tablename__ = "scheduled_events"
    __table_args__ = (UniqueConstraint("guild_id", "release_id", name="uq_scheduled_event"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger, index=True)
    release_id: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LiveMessage(Base):
    """The live countdown message of a server for a release (`/announce live`)."""

    __tablename__ = "live_messages"
    __table_args__ = (UniqueConstraint("guild_id", "release_id", name="uq_live_message"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger, index=True)
    release_id: Mapped[str] = mapped_column(String(64))
    channel_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)
    stage: Mapped[str] = mapped_column(String(64))
    replaced_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
