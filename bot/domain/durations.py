"""Short durations as operators write them in settings: "30d", "12h", "90m", "45s"."""

from __future__ import annotations

import re
from datetime import timedelta

_UNITS = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}
_PATTERN = re.compile(r"^\s*([0-9]+)\s*([dhms])\s*$")  # ASCII digits only: `\d` would take "٣" too
_SIZES = {"d": 86400, "h": 3600, "m": 60, "s": 1}
MAX_DURATION = timedelta(days=3650)  # ten years, as far ahead as a release may be; also keeps dates in range


def parse_duration(text: str) -> timedelta:
    match = _PATTERN.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a duration like '30d', '12h', '90m' or '45s'")
    # Compared as whole seconds before a timedelta is built: a huge number would overflow timedelta itself (and
    # int() refuses thousands of digits), so a number of more than 12 digits is too long whatever its unit.
    digits = match[1].lstrip("0") or "0"
    if len(digits) > 12 or int(digits) * _SIZES[match[2]] > MAX_DURATION.total_seconds():
        raise ValueError(f"{text.strip()!r} is longer than ten years ({MAX_DURATION.days}d), the most allowed")
    return timedelta(**{_UNITS[match[2]]: int(digits)})


def format_duration(delta: timedelta) -> str:
    """The inverse of parse_duration, in the largest whole unit: 1 day -> "1d", 90 minutes -> "90m"."""
    seconds = int(delta.total_seconds())
    for suffix, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{suffix}"
    return f"{seconds}s"
