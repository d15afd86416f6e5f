"""Discord Scheduled Events for releases: created once per (server, release), moved and deleted with it.

Exactly one event, whatever crashes: a row is written *before* the event is created (an intent, no event id yet);
the id is recorded after. A row found without an id (the process died in between, or a retry) is reconciled by
listing the server's events and looking for the marker every event of ours carries in its description: found,
its id is recorded; not found, it is created then. So a restart or a retry never makes a second event.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.domain.announcements import MissingPermission
from bot.domain.dates import date_fields
from bot.domain.releases import Release
from bot.i18n import tr
from bot.storage.repository import Store

log = logging.getLogger(__name__)
EVENT_DURATION = timedelta(hours=2)  # Discord needs an end for an external event
NAME_LIMIT, LOCATION_LIMIT, DESCRIPTION_LIMIT = 100, 100, 1000  # Discord's limits


@dataclass(frozen=True)
class EventSpec:
    name: str
    start: datetime
    end: datetime
    location: str
    description: str


class EventPoster(Protocol):
    def missing_event_permission(self, guild_id: int) -> str | None:
        """The permission the bot lacks to create events in the server ("Create Events"), or None."""
        ...

    async def create_event(self, guild_id: int, spec: EventSpec) -> int: ...

    async def edit_event(self, guild_id: int, event_id: int, spec: EventSpec) -> bool:
        """False if the event no longer exists (someone deleted it)."""
        ...

    async def delete_event(self, guild_id: int, event_id: int) -> None: ...

    async def events(self, guild_id: int) -> Sequence[tuple[int, str]]:
        """(id, description) of the server's events the bot created."""
        ...


def marker(release_id: str) -> str:
    """The last line of our events' descriptions: how an event whose id was never recorded is found again."""
    return f"release-bot: {release_id}"


def long_date(moment: datetime, locale: str | None = None) -> str:
    """ "Thursday 02 November 2023, 07:00 UTC" in the locale's language and order (a UTC instant: an event's
    description is plain text, where Discord's `<t:…>` markup does not render)."""
    return tr(
        locale,
        "{weekday} {day:02d} {month} {year}, {time} UTC",
        **date_fields(moment, locale),
    )


def event_spec(release: Release, locale: str | None = None) -> EventSpec:
    """The event as the server's members see it: the bot's words in the server's language; the release's name,
    logline and link are its own, as written."""
    where = release.url if release.url and len(release.url) <= LOCATION_LIMIT else ""
    location = where or release.where_to_watch or release.network or tr(locale, "Online")
    when = release.release_at
    text = tr(
        locale,
        "Counting down to {name}: {verb} {when}.",
        name=release.menu_name,
        verb=release.future_verb_in(locale),
        when=long_date(when, locale),
    )
    if release.logline:
        text += "\n\n" + release.logline
    tail = "\n\n" + marker(release.id)
    text = text[: DESCRIPTION_LIMIT - len(tail)] + tail
    return EventSpec(release.menu_name[:NAME_LIMIT], when, when + EVENT_DURATION, location[:LOCATION_LIMIT], text)


class EventKeeper:
    def __init__(self, store: Store, poster: EventPoster) -> None:
        self.store = store
        self.poster = poster

    def missing_permission(self, guild_id: int) -> str | None:
        return self.poster.missing_event_permission(guild_id)

    async def ensure(
        self, guild_id: int, release: Release, now: datetime, locale: str | None = None
    ) -> tuple[int, bool]:
        """The server's event for the release, worded in `locale` (the server's language): (its id, whether it was
        created now). Never a second one."""
        spec = event_spec(release, locale)
        exists, event_id = await self.store.event_row(guild_id, release.id)
        if exists and event_id is None:
            event_id = await self._find(guild_id, release.id)
            if event_id is not None:
                await self.store.record_event(guild_id, release.id, event_id)
        if event_id is not None:
            if await self.poster.edit_event(guild_id, event_id, spec):
                return event_id, False
            await self.store.forget_event(guild_id, release.id)  # deleted in Discord: make it again
            exists = False
        if not exists:
            await self.store.intend_event(guild_id, release.id, now)
        try:
            event_id = await self.poster.create_event(guild_id, spec)
        except MissingPermission:  # Discord refused it: nothing was created, so nothing to remember
            await self.store.forget_event(guild_id, release.id)
            raise
        await self.store.record_event(guild_id, release.id, event_id)
        log.info("server %s: created the event %s for %s", guild_id, event_id, release.id)
        return event_id, True

    async def move(self, guild_id: int, release: Release, locale: str | None = None) -> None:
        """After /release edit: the event follows (if there is one)."""
        _, event_id = await self.store.event_row(guild_id, release.id)
        spec = event_spec(release, locale)
        if event_id is not None and not await self.poster.edit_event(guild_id, event_id, spec):
            await self.store.forget_event(guild_id, release.id)

    async def remove(self, guild_id: int, release_id: str | None = None) -> int:
        """Delete the server's event for a release (or all of its events); how many were deleted."""
        rows = [r for r in await self.store.event_rows(guild_id) if release_id is None or r[1] == release_id]
        deleted = 0
        for _, rid, event_id in rows:
            found = event_id if event_id is not None else await self._find(guild_id, rid)
            if found is not None:
                await self.poster.delete_event(guild_id, found)
                deleted += 1
            await self.store.forget_event(guild_id, rid)
        return deleted

    async def reconcile(self) -> None:
        """At start: every intent without an id gets the id of the event it made, if it made one."""
        for guild_id, release_id, event_id in await self.store.event_rows():
            if event_id is not None:
                continue
            found = await self._find(guild_id, release_id)
            if found is not None:
                await self.store.record_event(guild_id, release_id, found)
                log.info("server %s: recorded the event %s of %s after a restart", guild_id, found, release_id)

    async def _find(self, guild_id: int, release_id: str) -> int | None:
        line = marker(release_id)
        for event_id, description in await self.poster.events(guild_id):
            if description.rstrip().endswith(line):
                return event_id
        return None
