"""A release as a calendar entry: an iCalendar (RFC 5545) file, and a Google Calendar "add event" link.

Pure: the time the file is made (`now`, its DTSTAMP) is passed in. Every instant is written in UTC (`…Z`), so a
calendar shows the release at the right moment in whatever zone its reader is in, with no VTIMEZONE to get wrong.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from bot.domain.countdown import span_words
from bot.domain.releases import Release
from bot.i18n import tr

# A release is a moment, not a programme with a running time (a series may drop every episode at once), so the
# event is one hour long: long enough to show as a block in a day view, never a claim about the running time.
EVENT_LENGTH = timedelta(hours=1)
REMINDER_BEFORE = timedelta(hours=1)  # the VALARM: a notification one hour before


def reminder_words(locale: str | None = None, *, relative: bool = False) -> str:
    """How long before the release the calendar's reminder comes: "1 hour", "1 heure" (`relative`: after "in")."""
    start = datetime(2000, 1, 1, tzinfo=UTC)
    return span_words(start, start + REMINDER_BEFORE, locale=locale, relative=relative)


REMINDER_WORDS = reminder_words()  # English, for the operator's `release-bot ics`
PRODUCT_ID = "-//release-bot//release calendar//EN"
CONTENT_TYPE = "text/calendar; charset=utf-8"
GOOGLE_CALENDAR = "https://calendar.google.com/calendar/render"
LINK_LIMIT = 512  # Discord's longest link-button url; the details are shortened to fit
_UNSAFE_IN_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


def event_uid(release: Release) -> str:
    """The same for every file made for a release, so importing it again updates the event instead of adding one."""
    return f"{release.id}@release-bot"


def calendar_filename(release: Release) -> str:
    """`the-lighthouse-keeper.ics`: the release id, reduced to characters every file system and client accepts."""
    stem = _UNSAFE_IN_FILENAME.sub("-", release.id).strip("-.")
    return f"{stem or 'release'}.ics"


def _url(release: Release) -> str:
    # Server releases (issue 11, /release add url:…) carry a url; catalogue releases may not have the field.
    url = getattr(release, "url", "") or ""
    return url if isinstance(url, str) else ""


def _where(release: Release) -> str:
    return release.where_to_watch or release.network


def event_description(release: Release, locale: str | None = None) -> str:
    """Plain text (calendars do not render markdown): what it is, where to watch it, the logline, the link.
    The bot's words in the member's language; the release's own (title, kind, network, logline) as written."""
    what = " · ".join(x for x in (release.kind, release.network) if x)
    lines = [f"{release.title} ({what})" if what else release.title]
    if _where(release):
        lines.append(tr(locale, "Where to watch: {where}", where=_where(release)))
    if release.logline:
        lines += ["", release.logline]
    if _url(release):
        lines += ["", _url(release)]
    return "\n".join(lines)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def build_ics(release: Release, now: datetime, locale: str | None = None) -> bytes:
    """The .ics file for one release: one VEVENT at the release instant (UTC) with a display alarm an hour before;
    its descriptions in the member's language."""
    # Imported here: icalendar (~95 modules, ~3 MiB) is needed by /calendar and `release-bot ics` only, not kept
    # in every running bot from its start.
    from icalendar import Alarm, Calendar, Event

    start = _utc(release.release_at)
    event = Event()
    event.add("uid", event_uid(release))
    event.add("dtstamp", _utc(now))
    event.add("dtstart", start)
    event.add("dtend", start + EVENT_LENGTH)
    event.add("summary", release.title)
    event.add("description", event_description(release, locale))
    if _where(release):
        event.add("location", _where(release))
    if _url(release):
        event.add("url", _url(release))
    event.add("transp", "TRANSPARENT")  # a premiere does not make its watchers busy

    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("trigger", -REMINDER_BEFORE)
    alarm.add(
        "description",
        tr(
            locale,
            "{title} {verb} in {time}",
            title=release.title,
            verb=release.future_verb_in(locale),
            time=reminder_words(locale, relative=True),
        ),
    )
    event.add_component(alarm)

    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add_component(event)
    data: bytes = calendar.to_ical()
    return data


def _google_stamp(moment: datetime) -> str:
    return _utc(moment).strftime("%Y%m%dT%H%M%SZ")


def _fit(text: str, fits: Callable[[str], bool]) -> str:
    """`text`, or its longest beginning (ending in "…") that `fits`; "" when not even that does."""
    if fits(text):
        return text
    keep = len(text)
    while keep > 0:
        keep -= 1
        shorter = text[:keep].rstrip() + "…"
        if fits(shorter):
            return shorter
    return ""


def google_calendar_link(release: Release, limit: int = LINK_LIMIT, locale: str | None = None) -> str:
    """Google Calendar's "add event" page, pre-filled; at most `limit` characters (Discord's limit for a link
    button): the details are cut to fit, then, for a very long non-Latin title, the title."""
    start = _utc(release.release_at)
    dates = f"{_google_stamp(start)}/{_google_stamp(start + EVENT_LENGTH)}"

    def link(title: str, details: str) -> str:
        query = {"action": "TEMPLATE", "text": title, "dates": dates, "details": details}
        if _where(release):
            query["location"] = _where(release)[:100]
        return f"{GOOGLE_CALENDAR}?{urlencode(query, safe='/')}"  # dates=START/END, as Google writes it

    title = _fit(release.title, lambda t: len(link(t, "")) <= limit)
    details = _fit(event_description(release, locale), lambda d: len(link(title, d)) <= limit)
    return link(title, details)
