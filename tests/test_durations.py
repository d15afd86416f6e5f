"""Durations as operators and the console's `!wait` write them: bounded, and in ASCII digits."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain.durations import MAX_DURATION, format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [("30d", timedelta(days=30)), (" 90m ", timedelta(minutes=90)), ("3650d", MAX_DURATION), ("87600h", MAX_DURATION)],
)
def test_durations_up_to_ten_years(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["3651d", "87601h", "2900000d", "999999999d", "99999999999d", "9" * 5000 + "s"])
def test_longer_than_ten_years_is_a_clear_error_not_an_overflow(text: str) -> None:
    with pytest.raises(ValueError, match=r"longer than ten years \(3650d\)"):
        parse_duration(text)


@pytest.mark.parametrize("text", ["٣m", "３h", "1٠d", "soon", "", "5", "-5m"])
def test_only_ascii_digits_make_a_duration(text: str) -> None:
    with pytest.raises(ValueError, match="is not a duration like '30d'"):
        parse_duration(text)


def test_format_is_the_inverse() -> None:
    assert format_duration(parse_duration("3650d")) == "3650d"
