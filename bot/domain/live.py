"""The live countdown message (`/announce live`): one message per server and release, edited only at each
milestone and at the premiere. Its `<t:…:R>` counts down by itself in every client, so no per-minute edits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.countdown import span_words
from bot.domain.durations import format_duration, parse_duration
from bot.domain.releases import Release
from bot.i18n import tr


@dataclass(frozen=True)
class LiveCard:
    """What the live message shows: one embed."""

    title: str
    description: str
    footer: str
    moment: datetime


@dataclass(frozen=True)
class LiveMessage:
    """A server's live message for a release, as stored."""

    guild_id: int
    release_id: str
    channel_id: int
    message_id: int
    stage: str  # the stage it shows: "" (before any milestone), "milestone:7d", "premiere"
    replaced_at: datetime | None  # when it was last posted again because someone had deleted it


def live_stage(release: Release, milestones: Sequence[timedelta], now: datetime) -> str:
    """The stage the message should show at `now`: the premiere once out, else the last milestone passed."""
    if release.release_at <= now:
        return "premiere"
    passed = [offset for offset in milestones if release.release_at - offset <= now]
    return f"milestone:{format_duration(min(passed))}" if passed else ""


def live_card(release: Release, stage: str, locale: str | None = None) -> LiveCard:
    """The message in the server's language (the title is the catalogue's, shown as written)."""
    stamp = f"<t:{release.unix}:F>"
    if stage == "premiere":
        out = tr(locale, "**{title}** is out now", title=release.title)
        description = tr(locale, "🎬 {news}!", news=release.with_availability(out, locale))
        return LiveCard(release.title, description, tr(locale, "Out now"), release.release_at)
    relative = f"<t:{release.unix}:R>"  # Discord writes "in 3 days" in each reader's own language
    verb = release.future_verb_in(locale)
    description = tr(locale, "⏳ **{title}** {verb} {relative}", title=release.title, verb=verb, relative=relative)
    description += f"\n{stamp}"
    footer = tr(locale, "Live countdown: updated at each milestone")
    if stage.startswith("milestone:"):
        at = release.release_at - parse_duration(stage.partition(":")[2])
        left = span_words(at, release.release_at, locale=locale)
        footer = tr(locale, "Live countdown: {time} to go at the last update", time=left)
    return LiveCard(release.title, description, footer, release.release_at)
