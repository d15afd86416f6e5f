"""The names of weekdays and months, marked for translation: dates written out in words, in any language."""

from __future__ import annotations

from datetime import datetime

from bot.i18n import N_, tr

WEEKDAYS = (N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"), N_("Saturday"), N_("Sunday"))
MONTHS = (
    N_("January"),
    N_("February"),
    N_("March"),
    N_("April"),
    N_("May"),
    N_("June"),
    N_("July"),
    N_("August"),
    N_("September"),
    N_("October"),
    N_("November"),
    N_("December"),
)


def date_fields(moment: datetime, locale: str | None = None) -> dict[str, object]:
    """The fields a written-out date message takes ({weekday} {day} {month} {year}, {time}), in the locale's
    language; each caller keeps its own message, so translators order them as their language does."""
    return {
        "weekday": tr(locale, WEEKDAYS[moment.weekday()]),
        "day": moment.day,
        "month": tr(locale, MONTHS[moment.month - 1]),
        "year": moment.year,
        "time": f"{moment:%H:%M}",
    }
