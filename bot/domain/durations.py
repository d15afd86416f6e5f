"""Short durations as operators write them in settings: "30d", "12h", "90m", "45s"."""

from __future__ import annotations

import re
from datetime import timedelta

_UNITS = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}
_PATTERN = re.compile(r"^\s*(\d+)\s*([dhms])\s*$")


def parse_duration(text: str) -> timedelta:
    match = _PATTERN.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a duration like '30d', '12h', '90m' or '45s'")
    return timedelta(**{_UNITS[match[2]]: int(match[1])})


def format_duration(delta: timedelta) -> str:
    """The inverse of parse_duration, in the largest whole unit: 1 day -> "1d", 90 minutes -> "90m"."""
    seconds = int(delta.total_seconds())
    for suffix, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{suffix}"
    return f"{seconds}s"
