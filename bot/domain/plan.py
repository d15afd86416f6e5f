"""The announcement plan: every post a channel gets for a release, from a moment on.

The scheduler executes exactly this plan and `release-bot plan` prints it, so both always agree.
Each post has a stable `key` (unique per release) that the delivery ledger uses to send it exactly once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.countdown import span_words
from bot.domain.durations import format_duration
from bot.domain.releases import Release
from bot.i18n import ptr, tr

DEFAULT_MILESTONES: tuple[timedelta, ...] = tuple(
    timedelta(**kw)
    for kw in ({"days": 30}, {"days": 14}, {"days": 7}, {"days": 3}, {"days": 1}, {"hours": 12}, {"hours": 1})
)


@dataclass(frozen=True, order=True)
class PlannedPost:
    at: datetime  # aware, UTC; first so that posts sort by time
    kind: str  # "milestone" | "daily" | "premiere"
    key: str  # unique within one release's plan: "milestone:7d", "daily:2023-10-28", "premiere"
    label: str  # for the operator (`release-bot plan`), in English: "7 days before", "daily 20:00", "premiere"


def local_instant(day: datetime | object, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of wall-clock `at` on local `day` in `zone`.

    A wall time skipped by a spring-forward gap is read with the offset before the gap, i.e. it lands
    just after the gap (02:30 on a 02:00->03:00 night posts at 03:30); a repeated autumn hour posts at its
    first occurrence (fold=0). Either way exactly one post per local day.
    """
    local = datetime.combine(day, at, tzinfo=zone)  # type: ignore[arg-type]
    return local.astimezone(UTC)


def build_plan(
    release: Release,
    zone: ZoneInfo,
    daily: time | None,
    after: datetime,
    milestones: Sequence[timedelta] = DEFAULT_MILESTONES,
) -> list[PlannedPost]:
    """Every post strictly after `after`, in time order, one per instant (a milestone wins a tie)."""
    release_at = release.release_at
    posts: dict[datetime, PlannedPost] = {}
    if release_at > after:
        posts[release_at] = PlannedPost(release_at, "premiere", "premiere", "premiere")
    for offset in sorted(set(milestones)):
        at = release_at - offset
        if at > after and at not in posts:
            label = f"{span_words(at, release_at)} before"
            posts[at] = PlannedPost(at, "milestone", f"milestone:{format_duration(offset)}", label)
    if daily is not None and release_at > after:
        day = after.astimezone(zone).date()
        last = release_at.astimezone(zone).date()
        while day <= last:
            at = local_instant(day, daily, zone)
            if after < at < release_at and at not in posts:
                posts[at] = PlannedPost(at, "daily", f"daily:{day.isoformat()}", f"daily {daily:%H:%M}")
            day += timedelta(days=1)
    return sorted(posts.values())


def post_for_key(
    release: Release, zone: ZoneInfo, daily: time | None, key: str, milestones: Sequence[timedelta] = DEFAULT_MILESTONES
) -> PlannedPost | None:
    """The one post of the plan with this key, computed directly; None if the plan has no such post."""
    kind, _, rest = key.partition(":")
    if kind == "premiere":
        return PlannedPost(release.release_at, "premiere", "premiere", "premiere")
    if kind == "milestone":
        for offset in milestones:
            if format_duration(offset) == rest:
                at = release.release_at - offset
                return PlannedPost(at, "milestone", key, f"{span_words(at, release.release_at)} before")
        return None
    if kind == "daily" and daily is not None:
        try:
            day = date.fromisoformat(rest)
        except ValueError:
            return None
        at = local_instant(day, daily, zone)
        return PlannedPost(at, "daily", key, f"daily {daily:%H:%M}") if at < release.release_at else None
    return None


def sample_post(release: Release, now: datetime) -> PlannedPost:
    """The post a channel would get if one were sent at `now`: the countdown before the release (whole seconds,
    rounded up like every countdown), the premiere post from its moment on. For `/announce test`."""
    left = math.ceil((release.release_at - now).total_seconds())
    if left <= 0:
        return PlannedPost(release.release_at, "premiere", "premiere", "premiere")
    at = release.release_at - timedelta(seconds=left)
    return PlannedPost(at, "milestone", "sample", f"{span_words(at, release.release_at)} before")


def post_label(release: Release, post: PlannedPost, locale: str | None = None) -> str:
    """The post as an admin reads it in `/announce status`, in their language: "7 days before", "daily 20:00"."""
    if post.kind == "premiere":
        return ptr(locale, "post", "premiere")
    if post.kind == "daily":  # the label is "daily HH:MM": the local time is the subscription's, not computable here
        return tr(locale, "daily {time}", time=post.label.rpartition(" ")[2])
    return tr(locale, "{time} before", time=span_words(post.at, release.release_at, locale=locale))


def post_text(release: Release, post: PlannedPost, *, late: bool = False, locale: str | None = None) -> str:
    """The words of a post, in the server's language. Timestamps use Discord markup so each reader sees their own
    time zone. The title and the network are the catalogue's words, shown as written."""
    stamp = f"<t:{release.unix}:F> (<t:{release.unix}:R>)"
    fields = {"title": release.title, "verb": release.future_verb_in(locale), "network": release.network}
    if post.kind == "premiere":
        news = release.with_availability(tr(locale, "**{title}** is out now", **fields), locale)
        text = tr(locale, "🎬 {news}!", news=news)
    else:
        # After "in" a count takes its case ("in 7 Tagen"); before "to go" it does not ("7 Tage").
        left = span_words(post.at, release.release_at, locale=locale, relative=post.kind == "milestone")
        fields |= {"left": left, "stamp": stamp}
        if post.kind == "milestone" and release.network:
            text = tr(locale, "📣 **{title}** {verb} on {network} in {left}: {stamp}", **fields)
        elif post.kind == "milestone":
            text = tr(locale, "📣 **{title}** {verb} in {left}: {stamp}", **fields)
        elif release.network:
            text = tr(locale, "⏳ {left} to go until **{title}** {verb} on {network}: {stamp}", **fields)
        else:
            text = tr(locale, "⏳ {left} to go until **{title}** {verb}: {stamp}", **fields)
    if late:
        text += "\n-# " + tr(locale, "posted late: the bot was offline")
    return text
