"""Countdown wording: "7 days", "3 days, 4 hours", "out now", "premiered 3 years, 23 days ago".

Computed from UTC instants with `relativedelta`, so months and years are calendar months and years.
Never negative, never zero-padded: before the moment the remaining time is rounded *up* to the second
(a countdown never shows "0 seconds"), after it the elapsed time is rounded down.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from dateutil.relativedelta import relativedelta

from bot.domain.releases import Release

_UNITS = ("years", "months", "days", "hours", "minutes", "seconds")


def span_words(start: datetime, end: datetime, units: int = 2) -> str:
    """The largest `units` non-zero calendar units from `start` to `end` (end > start, whole seconds)."""
    delta = relativedelta(end, start)
    parts = []
    for unit in _UNITS:
        value = getattr(delta, unit)
        if value:
            parts.append(f"{value} {unit[:-1] if value == 1 else unit}")
    if not parts:
        raise ValueError("span_words needs end after start")
    return ", ".join(parts[:units])


@dataclass(frozen=True)
class Countdown:
    """Where `now` stands against a release: upcoming (with `words` left), out now, or past (`words` ago)."""

    state: str  # "upcoming" | "out_now" | "past"
    words: str

    def sentence(self, release: Release) -> str:
        if self.state == "upcoming":
            return f"{self.words} to go"
        if self.state == "out_now":
            return release.with_availability("out now")
        return release.with_availability(f"{release.past_verb} {self.words} ago")


def countdown(release_at: datetime, now: datetime) -> Countdown:
    seconds = (release_at - now).total_seconds()
    if seconds > 0:
        whole = math.ceil(seconds)
        return Countdown("upcoming", span_words(release_at - timedelta(seconds=whole), release_at))
    elapsed = math.floor(-seconds)
    if elapsed < 1:
        return Countdown("out_now", "")
    return Countdown("past", span_words(release_at, release_at + timedelta(seconds=elapsed)))
