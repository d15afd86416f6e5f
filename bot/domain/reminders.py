"""Members' own reminders: a DM some time before a release, as plain values and pure rules (no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.announcements import PostRejected
from bot.domain.countdown import span_words
from bot.domain.releases import Release
from bot.i18n import N_, tr

# `before` as members choose it (the order of the menus), and what it means.
OFFSETS: dict[str, timedelta] = {
    "1d": timedelta(days=1),
    "1h": timedelta(hours=1),
    "15m": timedelta(minutes=15),
    "0m": timedelta(0),
}
LABELS: dict[str, str] = {  # English; `label(before, locale)` in the reader's language
    "1d": N_("1 day before"),
    "1h": N_("1 hour before"),
    "15m": N_("15 minutes before"),
    "0m": N_("at the premiere"),
}
DEFAULT_BEFORE = "1h"
MAX_PER_MEMBER = 25
# A reminder's ledger row: guild 0 (a DM belongs to no server) and a key naming the member, so it is unique per
# (member, release, offset) under the ledger's existing (guild, release, post key) constraint.
DM_GUILD = 0


@dataclass(frozen=True)
class Reminder:
    user_id: int
    release_id: str
    before: str  # a key of OFFSETS
    created_at: datetime
    locale: str | None = None  # the member's language when they set it: the DM speaks it (None: English)


@dataclass(frozen=True)
class ReminderOutcome:
    """A reminder's ledger row, as the member reads it in /remind list and /privacy."""

    release_id: str
    before: str
    due_at: datetime
    state: str  # claimed | sent | skipped | failed
    late: bool
    detail: str | None


def label(before: str, locale: str | None = None) -> str:
    """ "1 day before", "1 jour avant", "1 Tag vorher"..., as a menu shows it (a whole phrase on its own)."""
    return tr(locale, LABELS[before])


def due_at(release: Release, before: str) -> datetime:
    return release.release_at - OFFSETS[before]


def reminder_key(user_id: int, before: str) -> str:
    return f"dm:{user_id}:{before}"


def parse_key(key: str) -> tuple[int, str] | None:
    """(member, before) of a reminder's ledger key; None for a channel post's key."""
    kind, _, rest = key.partition(":")
    user, _, before = rest.partition(":")
    if kind != "dm" or not user.isdigit() or before not in OFFSETS:
        return None
    return int(user), before


def grace_kind(before: str) -> str:
    """Reminders follow the channel posts' grace rules: the premiere's window at the premiere, else a milestone's."""
    return "premiere" if OFFSETS[before] == timedelta(0) else "milestone"


def reminder_text(release: Release, before: str, *, late: bool = False, locale: str | None = None) -> str:
    """The words of the DM, in the member's language. Discord timestamps, so they see their own time zone.
    The release's title is the catalogue's, shown as written."""
    stamp = f"<t:{release.unix}:F> (<t:{release.unix}:R>)"
    if OFFSETS[before] == timedelta(0):
        out_now = tr(locale, "**{title}** is out now", title=release.title)
        text = tr(locale, "🔔 {news}!", news=release.with_availability(out_now, locale))
    else:
        text = tr(
            locale,
            "🔔 Reminder: **{title}** {verb} in {left}: {stamp}",
            title=release.title,
            verb=release.future_verb_in(locale),
            left=span_words(due_at(release, before), release.release_at, locale=locale, relative=True),
            stamp=stamp,
        )
    if late:
        text += "\n" + tr(locale, "-# sent late: the bot was offline")
    return (
        text
        + "\n"
        + tr(locale, "-# You asked for this reminder. `/remind cancel` stops it; `/privacy` shows what I keep.")
    )


def dm_closed_notice(release: Release, locale: str | None = None) -> str:
    """What the member is told, once, the next time they use the bot, when their DMs refused a reminder."""
    return tr(
        locale,
        "🔕 I could not send you your reminder for **{title}**: your direct messages are closed to me. "
        "Allow direct messages from this server's members (or from apps) and set the reminder again with "
        "`/remind me`.",
        title=release.title,
    )


class DmClosed(PostRejected):
    """Discord refused the DM for good (50007: the member does not accept DMs from the bot)."""


class TooManyReminders(Exception):
    """The member already has the most reminders allowed (MAX_PER_MEMBER)."""
