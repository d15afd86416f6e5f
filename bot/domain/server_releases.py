"""Releases a server adds itself (`/release add`): reading what an admin typed, and making it safe to show.

Pure: the instant "now" is passed in. Everything an admin types is checked here before anything is stored, so a
refused `/release add` or `/release edit` changes nothing.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from dateutil import parser as dateutil_parser

from bot.domain.releases import Release
from bot.i18n import tr

MAX_RELEASES = 25  # per server: what one autocomplete list can show
MAX_NAME = 100
MAX_DESCRIPTION = 1000
MAX_URL = 500
MAX_AHEAD = timedelta(days=366 * 10)  # a plan with a daily post is built day by day: keep it bounded
KINDS = ("release", "film", "series", "season", "episode", "game", "album", "book", "event")
SERVER_PREFIX = "s"  # server release ids are "s{guild}-{slug}"; operator ids start with a letter or digit, never
# with "s" followed by a digit and a dash... so they are checked by `is_server_release_id`, not by the prefix alone.
_SERVER_ID = re.compile(r"s([0-9]+)-[a-z0-9-]+")
# A numeric date with two small leading numbers: 03/04/2027 is 3 April in Europe and 4 March in the US.
_NUMERIC_DATE = re.compile(r"(?<![0-9/.\-])([0-9]{1,2})[/.\-]([0-9]{1,2})(?:[/.\-]([0-9]{2,4}))?(?![0-9/.\-])")
_MARKDOWN = re.compile(r"([\\*_~`|>#\[\]<-])")  # Discord drops a backslash before punctuation
_URL_UNSAFE = re.compile(r"[\s<>\"'`\\]")


class TooManyReleases(Exception):
    """The server already has MAX_RELEASES releases (storage checks it in the transaction that adds one)."""


class BadReleaseInput(ValueError):
    """What an admin typed cannot be used; the message says why and what to type instead, in the admin's language
    (each check takes the `locale` of the reply)."""


def is_server_release_id(release_id: str, guild_id: int | None = None) -> bool:
    """A server release's id ("s{guild}-{slug}"), of `guild_id` when given."""
    match = _SERVER_ID.fullmatch(release_id)
    return match is not None and (guild_id is None or match[1] == str(guild_id))


def slug(name: str) -> str:
    """ "The Lighthouse Keeper: Part 2" -> "the-lighthouse-keeper-part-2" (at most 40 characters)."""
    words = re.findall(r"[a-z0-9]+", name.lower())
    text = "-".join(words)[:40].strip("-")
    return text or "release"


def release_id(guild_id: int, name: str, taken: set[str]) -> str:
    """A new id, never one of `taken` (the server's other releases)."""
    base = f"{SERVER_PREFIX}{guild_id}-{slug(name)}"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def _printable(text: str, refusal: str) -> str:
    """Text as one line of visible characters: no control or format characters (which could hide or reorder)."""
    text = " ".join(text.split())
    for char in text:
        if unicodedata.category(char) in ("Cc", "Cf", "Co", "Cs", "Zl", "Zp"):
            raise BadReleaseInput(refusal)
    return text


def clean_name(text: str, locale: str | None = None) -> str:
    name = _printable(text, tr(locale, "The name contains an invisible or control character; type it again."))
    if not name:
        raise BadReleaseInput(tr(locale, "Give the release a name."))
    if len(name) > MAX_NAME:
        raise BadReleaseInput(
            tr(locale, "The name is {length:,} characters long; at most {most} fit.", length=len(name), most=MAX_NAME)
        )
    return name


def clean_description(text: str, locale: str | None = None) -> str:
    description = " ".join(line.strip() for line in text.splitlines()).strip()
    refusal = tr(locale, "The description contains an invisible or control character; type it again.")
    description = _printable(description, refusal)
    if len(description) > MAX_DESCRIPTION:
        raise BadReleaseInput(
            tr(
                locale,
                "The description is {length:,} characters long; at most {most} fit.",
                length=len(description),
                most=MAX_DESCRIPTION,
            )
        )
    return description


def clean_url(text: str, locale: str | None = None) -> str:
    url = text.strip()
    parts = urlsplit(url) if url.isascii() and not _URL_UNSAFE.search(url) else None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname or len(url) > MAX_URL:
        raise BadReleaseInput(
            tr(
                locale,
                "The link must be a web address starting with https:// or http:// (such as https://example.com/film).",
            )
        )
    return url


def safe_title(name: str) -> str:
    """The name as markdown that shows exactly the name: no formatting, link, heading or mention can come out of
    it, wherever it is put (inside **bold**, a post, an embed)."""
    escaped = _MARKDOWN.sub(r"\\\1", name)
    return escaped.replace("@", "@\u200b")


def safe_text(text: str) -> str:
    """A description: markdown is the admin's to use, but it can never mention anyone."""
    return text.replace("@", "@\u200b").replace("<", "<\u200b")


def parse_when(text: str, zone: ZoneInfo, now: datetime, locale: str | None = None) -> datetime:
    """What an admin typed for `when`, as an aware UTC instant in whole seconds, strictly after `now`.

    `2027-03-15 20:00`, `15 March 2027 8pm`, `March 15 2027` (00:00): read as wall-clock time in `zone`, unless
    the text names its own offset (`2027-03-15T20:00+02:00`). Refused: a numeric date whose day and month could be
    swapped (03/04/2027), anything but ASCII (other scripts' digits would not read back the same), an instant in
    the past or more than ten years ahead. A refusal is in `locale`'s language.
    """
    typed = text.strip()
    if not typed:
        raise BadReleaseInput(tr(locale, "Say when, such as `2027-03-15 20:00`."))
    if not typed.isascii():
        raise BadReleaseInput(
            tr(locale, "Type the date with the digits 0-9 and English month names, such as `2027-03-15 20:00`.")
        )
    numeric = _NUMERIC_DATE.search(typed)
    if numeric and int(numeric[1]) <= 12 and int(numeric[2]) <= 12 and numeric[1] != numeric[2]:
        raise BadReleaseInput(
            tr(
                locale,
                "`{typed}` could be day/month or month/day. Type the date as YYYY-MM-DD (year, month, day), "
                "such as `2027-03-15 20:00`.",
                typed=numeric[0],
            )
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # an unknown zone abbreviation ("20:00 XYZ") is refused, not ignored
            # A missing year, month or day is this year's, January, the 1st; a missing time is 00:00.
            start_of_year = now.astimezone(zone).replace(tzinfo=None, month=1, day=1, hour=0, minute=0, second=0)
            parsed = dateutil_parser.parse(typed, default=start_of_year.replace(microsecond=0))
    except (ValueError, OverflowError, Warning):
        raise BadReleaseInput(
            tr(
                locale,
                "I can't read “{typed}” as a date. Try `2027-03-15 20:00` or `15 March 2027 8pm`.",
                typed=typed[:60],
            )
        ) from None
    if parsed.tzinfo is not None and parsed.utcoffset() is None:
        raise BadReleaseInput(tr(locale, "Leave the time zone out of `when` and use the `timezone` option."))
    local = parsed.replace(microsecond=0)
    if local.tzinfo is None:
        local = local.replace(tzinfo=zone)
    instant = local.astimezone(UTC)
    if instant <= now:
        moment = f"<t:{int(instant.timestamp())}:F>"
        raise BadReleaseInput(
            tr(locale, "That is in the past ({moment}). Give a date and time still to come.", moment=moment)
        )
    if instant - now > MAX_AHEAD:
        raise BadReleaseInput(tr(locale, "That is more than ten years away; give a nearer date."))
    return instant


@dataclass(frozen=True)
class ServerRelease:
    """A release a server added, as stored."""

    guild_id: int
    id: str
    name: str  # as typed (cleaned): menus and autocomplete show it
    release_at: datetime  # aware, UTC
    timezone: str  # IANA
    kind: str
    url: str
    description: str

    def release(self) -> Release:
        """As the rest of the bot sees releases: a title that cannot break out of its markdown."""
        try:
            zone = ZoneInfo(self.timezone)
        except (ValueError, KeyError):
            zone = ZoneInfo("UTC")
        return Release(
            id=self.id,
            title=safe_title(self.name),
            kind=self.kind,
            release_at=self.release_at,
            timezone=zone,
            logline=safe_text(self.description),
            url=self.url,
            name=self.name,
            guild_id=self.guild_id,
        )
