"""What a release is, and the catalogue that holds them."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.i18n import ntr, ptr, tr

# The verb a countdown uses once the moment has passed, by kind of release (English: operator output, logs).
_PAST_VERBS = {"game": "released", "album": "released", "book": "published"}
_FUTURE_VERBS = {"game": "releases", "album": "releases", "book": "is published"}
# The same in the reader's language: whole phrases per verb, since word order and agreement differ by language.
# ptr(locale, "verb", ...): the translators see "premieres", "releases"... as verbs, not as nouns (a literal
# context: the extractor reads only literals).


@dataclass(frozen=True)
class CastMember:
    actor: str
    role: str
    note: str = ""


@dataclass(frozen=True)
class Release:
    id: str
    title: str
    kind: str
    release_at: datetime  # aware, UTC
    timezone: ZoneInfo  # the zone the release is announced in
    network: str = ""
    episodes: int | None = None
    director: str = ""
    director_note: str = ""
    writer: str = ""
    based_on: str = ""
    setting: str = ""
    where_to_watch: str = ""
    logline: str = ""
    logline_source: str = ""
    trivia: tuple[str, ...] = ()
    cast: tuple[CastMember, ...] = ()
    url: str = ""  # where to watch, as a link (server releases)
    name: str = ""  # the plain name for menus when `title` is escaped markdown (server releases)
    guild_id: int | None = None  # the server that added it; None: the operator's catalogue, seen everywhere

    @property
    def menu_name(self) -> str:
        """The name as a menu or autocomplete list shows it (plain text, no markdown)."""
        return self.name or self.title

    @property
    def unix(self) -> int:
        return int(self.release_at.timestamp())

    @property
    def past_verb(self) -> str:
        """'premiered' for shows and films, 'released' for games..."""
        return _PAST_VERBS.get(self.kind.split()[-1].lower(), "premiered")

    @property
    def future_verb(self) -> str:
        """'premieres' for shows and films, 'releases' for games..."""
        return _FUTURE_VERBS.get(self.kind.split()[-1].lower(), "premieres")

    def past_verb_in(self, locale: str | None = None) -> str:
        """`past_verb` in the locale's language ("premiered", "erschienen")."""
        verb = self.past_verb
        if verb == "released":
            return ptr(locale, "verb", "released")
        if verb == "published":
            return ptr(locale, "verb", "published")
        return ptr(locale, "verb", "premiered")

    def future_verb_in(self, locale: str | None = None) -> str:
        """`future_verb` in the locale's language ("premieres", "sort", "erscheint")."""
        verb = self.future_verb
        if verb == "releases":
            return ptr(locale, "verb", "releases")
        if verb == "is published":
            return ptr(locale, "verb", "is published")
        return ptr(locale, "verb", "premieres")

    def ago(self, words: str, locale: str | None = None) -> str:
        """ "premiered 3 years, 23 days ago" for `words` "3 years, 23 days" (given in the same locale), as one
        sentence per verb: "première il y a 3 ans, 23 jours", "Premiere ist 3 Jahre, 23 Tage her"."""
        verb = self.past_verb
        if verb == "released":
            return tr(locale, "released {words} ago", words=words)
        if verb == "published":
            return tr(locale, "published {words} ago", words=words)
        return tr(locale, "premiered {words} ago", words=words)

    def past_heading(self, locale: str | None = None) -> str:
        """The title of the field that shows when it came out: "Premiered", "Released", "Published"."""
        verb = self.past_verb
        if verb == "released":
            return tr(locale, "Released")
        if verb == "published":
            return tr(locale, "Published")
        return tr(locale, "Premiered")

    @property
    def availability(self) -> str:
        """'all 4 episodes are streaming on Netflix', or the nearest thing the catalogue knows; '' if nothing."""
        return self.availability_in(None)

    def availability_in(self, locale: str | None = None) -> str:
        """`availability` in the locale's language. Where to watch is the operator's words: shown as written."""
        where = self.where_to_watch or self.network
        many = self.episodes is not None and self.episodes > 1
        if where:
            if many:
                return ntr(
                    locale,
                    "all {n} episode is streaming on {where}",
                    "all {n} episodes are streaming on {where}",
                    self.episodes or 0,
                    where=where,
                )
            return tr(locale, "it is streaming on {where}", where=where)
        # Nothing like "it is out now": the sentences this ends already say that.
        if many:
            return ntr(locale, "all {n} episode is available", "all {n} episodes are available", self.episodes or 0)
        return ""

    def with_availability(self, words: str, locale: str | None = None) -> str:
        """'out now' -> 'out now — it is streaming on Netflix', or just 'out now' when nothing more is known;
        `words` are already in the locale's language."""
        availability = self.availability_in(locale)
        return tr(locale, "{words} — {availability}", words=words, availability=availability) if availability else words


class UnknownRelease(LookupError):
    def __init__(self, wanted: str, suggestions: list[str]) -> None:
        super().__init__(wanted)
        self.wanted = wanted
        self.suggestions = suggestions


@dataclass(frozen=True)
class Catalogue:
    releases: tuple[Release, ...]
    featured_id: str
    _by_id: dict[str, Release] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {r.id: r for r in self.releases})

    @property
    def featured(self) -> Release:
        return self._by_id[self.featured_id]

    def get(self, wanted: str | None) -> Release:
        """The release named by id or title (case-insensitive); the featured one when none is named."""
        if not wanted:
            return self.featured
        key = wanted.strip().casefold()
        for release in self.releases:
            if key in (release.id.casefold(), release.title.casefold(), release.menu_name.casefold()):
                return release
        titles = [r.menu_name for r in self.releases]
        raise UnknownRelease(wanted, difflib.get_close_matches(wanted, titles, n=3, cutoff=0.4))

    def search(self, text: str, limit: int = 25) -> list[Release]:
        """Releases whose id or title contains `text`, featured first: the autocomplete list."""
        key = text.strip().casefold()
        found = [r for r in self.releases if key in r.menu_name.casefold() or key in r.id.casefold()]
        # The featured one, then the server's own, then the operator's.
        found.sort(key=lambda r: (r.id != self.featured_id, r.guild_id is None, r.menu_name.casefold()))
        return found[:limit]

    def with_server_releases(self, extra: Iterable[Release], now: datetime) -> Catalogue:
        """This catalogue plus one server's releases; the soonest upcoming of them is featured (the default
        release of its commands), else the operator's featured one stays."""
        own = tuple(extra)
        upcoming = sorted((r for r in own if r.release_at > now), key=lambda r: r.release_at)
        return Catalogue((*self.releases, *own), upcoming[0].id if upcoming else self.featured_id)


def find_cast(cast: Iterable[CastMember], text: str) -> list[CastMember]:
    """Cast members whose actor or role contains `text` (any case): exact matches, then actors, then roles."""
    key = text.strip().casefold()

    def rank(member: CastMember) -> int:
        actor, role = member.actor.casefold(), member.role.casefold()
        return 0 if key in (actor, role) else 1 if key in actor else 2 if key in role else 3

    return sorted((m for m in cast if rank(m) < 3), key=rank)
