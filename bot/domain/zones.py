"""IANA time zones as users type them: exact, any case, or a unique city ("paris")."""

from __future__ import annotations

import functools
from zoneinfo import ZoneInfo, available_timezones


@functools.cache
def all_zones() -> tuple[str, ...]:
    # Legacy aliases ("US/Pacific", "EST5EDT") still resolve; the list we suggest holds the canonical ones.
    canonical = sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))
    return (*canonical, "UTC")


@functools.cache
def _by_folded_name() -> dict[str, str]:
    # "localtime" is whatever zone the host runs in: not a place, and not the same on the next machine.
    names = {z.casefold(): z for z in available_timezones() if z != "localtime"}
    for zone in all_zones():  # "paris" -> Europe/Paris; the first zone in order wins a shared city name
        city = zone.rsplit("/", 1)[-1].replace("_", " ").casefold()
        names.setdefault(city, zone)
        names.setdefault(city.replace(" ", "_"), zone)
    return names


def resolve_zone(text: str) -> ZoneInfo | None:
    name = _by_folded_name().get(text.strip().casefold())
    return ZoneInfo(name) if name else None


def search_zones(text: str, limit: int = 25) -> list[str]:
    """Zones containing `text` (spaces match underscores), those starting with it first: for autocomplete."""
    key = text.strip().casefold().replace(" ", "_")
    hits = [z for z in all_zones() if key in z.casefold()]
    hits.sort(key=lambda z: (not z.casefold().startswith(key) and not z.casefold().split("/")[-1].startswith(key), z))
    return hits[:limit]
