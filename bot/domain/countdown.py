"""Countdown wording: "7 days", "3 days, 4 hours", "out now", "premiered 3 years, 23 days ago" — in the reader's
language ("7 Tage", "1 jour, 2 heures", "il y a 3 ans").

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
from bot.i18n import nptr, ntr, tr


def _unit_words(unit: str, n: int, locale: str | None, relative: bool) -> str:
    # One literal pair per unit, so the translators' tool finds each with its plural forms.
    if relative:
        return _relative_unit_words(unit, n, locale)
    if unit == "years":
        return ntr(locale, "{n} year", "{n} years", n)
    if unit == "months":
        return ntr(locale, "{n} month", "{n} months", n)
    if unit == "days":
        return ntr(locale, "{n} day", "{n} days", n)
    if unit == "hours":
        return ntr(locale, "{n} hour", "{n} hours", n)
    if unit == "minutes":
        return ntr(locale, "{n} minute", "{n} minutes", n)
    return ntr(locale, "{n} second", "{n} seconds", n)


def _relative_unit_words(unit: str, n: int, locale: str | None) -> str:
    # After "in" or "ago" (context "relative"): German needs the dative ("in 3 Tagen", "vor 3 Jahren").
    if unit == "years":
        return nptr(locale, "relative", "{n} year", "{n} years", n)
    if unit == "months":
        return nptr(locale, "relative", "{n} month", "{n} months", n)
    if unit == "days":
        return nptr(locale, "relative", "{n} day", "{n} days", n)
    if unit == "hours":
        return nptr(locale, "relative", "{n} hour", "{n} hours", n)
    if unit == "minutes":
        return nptr(locale, "relative", "{n} minute", "{n} minutes", n)
    return nptr(locale, "relative", "{n} second", "{n} seconds", n)


_UNITS = ("years", "months", "days", "hours", "minutes", "seconds")


def span_words(
    start: datetime, end: datetime, units: int = 2, locale: str | None = None, *, relative: bool = False
) -> str:
    """The largest `units` non-zero calendar units from `start` to `end` (end > start, whole seconds), each
    pluralised in the locale's language: "3 days, 4 hours", "1 jour, 2 heures", "7 Tage". `relative`: the words
    follow "in" or "ago" ("in {words}", "il y a {words}", "vor {words}": German "vor 3 Jahren")."""
    delta = relativedelta(end, start)
    parts = [_unit_words(unit, getattr(delta, unit), locale, relative) for unit in _UNITS if getattr(delta, unit)]
    if not parts:
        raise ValueError("span_words needs end after start")
    # A list of amounts reads "a, b" in English, French and German alike.
    return ", ".join(parts[:units])


@dataclass(frozen=True)
class Countdown:
    """Where `now` stands against a release: upcoming (with `words` left), out now, or past (`words` ago).

    `words` is English; `words_in(locale)` gives them in another language (from the same span)."""

    state: str  # "upcoming" | "out_now" | "past"
    words: str
    start: datetime | None = None  # the span the words count (None when out now)
    end: datetime | None = None

    def words_in(self, locale: str | None = None, *, relative: bool = False) -> str:
        """The words in the locale's language; `relative`: after "in" or "ago" (see span_words)."""
        if self.start is None or self.end is None:
            return ""
        return span_words(self.start, self.end, locale=locale, relative=relative)

    def sentence(self, release: Release, locale: str | None = None) -> str:
        """ "7 days to go", "out now — …", "premiered 3 years, 23 days ago — …", in the locale's language."""
        if self.state == "upcoming":
            return tr(locale, "{words} to go", words=self.words_in(locale))
        if self.state == "out_now":
            return release.with_availability(tr(locale, "out now"), locale)
        return release.with_availability(release.ago(self.words_in(locale), locale), locale)


def countdown(release_at: datetime, now: datetime) -> Countdown:
    seconds = (release_at - now).total_seconds()
    if seconds > 0:
        start = release_at - timedelta(seconds=math.ceil(seconds))
        return Countdown("upcoming", span_words(start, release_at), start, release_at)
    elapsed = math.floor(-seconds)
    if elapsed < 1:
        return Countdown("out_now", "")
    end = release_at + timedelta(seconds=elapsed)
    return Countdown("past", span_words(release_at, end), release_at, end)
