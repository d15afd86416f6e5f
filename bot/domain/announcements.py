"""A server's announcement settings and what became of its posts, as plain values.

Storage returns these (not ORM rows), the scheduler plans from them and the /announce handlers describe them, so
no layer above storage depends on how they are stored. The exceptions are how a poster tells the scheduler and
the handlers what Discord said.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Subscription:
    """A server's announcements for one release, into one channel."""

    guild_id: int
    release_id: str
    channel_id: int
    role_id: int | None
    timezone: str  # an IANA name, as saved (a bad one pauses this subscription alone)
    daily_time: str | None  # "HH:MM" local, as saved
    paused: bool
    pause_reason: str | None  # None: paused by an admin
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class PostOutcome:
    """One row of the delivery ledger, as an admin reads it in /announce status."""

    guild_id: int
    release_id: str
    post_key: str
    channel_id: int
    due_at: datetime
    state: str  # claimed | sent | skipped | failed
    late: bool
    message_id: int | None
    detail: str | None


class PostRejected(Exception):
    """Discord refused for good (403 missing permission, 404 unknown channel): pause, explain, do not retry."""


class PostFailed(Exception):
    """A transient failure (5xx after retries, network): try again later with the same nonce."""


class PostUnverifiable(Exception):
    """Whether an old claim's post arrived cannot be checked (no permission to read the channel's history)."""


class MissingPermission(Exception):
    """The bot lacks a server permission; the message is its name as Discord shows it ("Create Events")."""
