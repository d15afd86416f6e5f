"""Countdown wording: two largest non-zero units, 'out now', 'premiered ... ago', never negative."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.countdown import countdown, span_words
from tests.conftest import PREMIERE


@pytest.mark.parametrize(
    ("before", "words"),
    [
        (timedelta(days=7), "7 days"),
        (timedelta(days=3, hours=4), "3 days, 4 hours"),
        (timedelta(days=3, hours=4, minutes=59), "3 days, 4 hours"),  # only the two largest units
        (timedelta(days=1), "1 day"),
        (timedelta(hours=23, minutes=59, seconds=59), "23 hours, 59 minutes"),
        (timedelta(minutes=1), "1 minute"),
        (timedelta(seconds=61), "1 minute, 1 second"),
        (timedelta(seconds=45), "45 seconds"),
        (timedelta(seconds=1), "1 second"),
        (timedelta(milliseconds=300), "1 second"),  # rounded up: a countdown never shows 0
        (timedelta(days=2, seconds=5), "2 days, 5 seconds"),  # zero units are skipped, not padded
    ],
)
def test_upcoming_wording(before: timedelta, words: str) -> None:
    state = countdown(PREMIERE, PREMIERE - before)
    assert (state.state, state.words) == ("upcoming", words)


def test_calendar_months_and_years() -> None:
    assert span_words(datetime(2023, 1, 31, tzinfo=UTC), datetime(2023, 3, 1, tzinfo=UTC)) == "1 month, 1 day"
    assert span_words(datetime(2022, 11, 2, 7, tzinfo=UTC), PREMIERE) == "1 year"


def test_the_moment_itself_is_out_now(config) -> None:
    release = config.catalogue.featured
    state = countdown(PREMIERE, PREMIERE)
    assert state.state == "out_now"
    assert state.sentence(release) == "out now — all 4 episodes are streaming on Netflix"


def test_after_the_premiere_says_how_long_ago(config) -> None:
    release = config.catalogue.featured
    state = countdown(PREMIERE, datetime(2026, 11, 25, 7, 0, 5, tzinfo=UTC))
    assert state.sentence(release) == "premiered 3 years, 23 days ago — all 4 episodes are streaming on Netflix"
    assert countdown(PREMIERE, PREMIERE + timedelta(seconds=1)).words == "1 second"


# hypothesis takes naive bounds and attaches the zone itself
@given(st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)))  # noqa: DTZ001
def test_never_negative_or_zero(now: datetime) -> None:
    state = countdown(PREMIERE, now)
    assert "-" not in state.words
    assert not any(part.startswith("0 ") for part in state.words.split(", "))
    assert (state.state == "upcoming") == (now < PREMIERE)
    assert state.state == "out_now" or state.words


def test_a_release_with_no_network_is_not_out_now_twice(config) -> None:
    bare = replace(config.catalogue.featured, network="", where_to_watch="", episodes=None)
    assert countdown(PREMIERE, PREMIERE).sentence(bare) == "out now"
    later = countdown(PREMIERE, PREMIERE + timedelta(days=2))
    assert later.sentence(bare) == "premiered 2 days ago"
    episodes = replace(bare, episodes=4)
    assert later.sentence(episodes) == "premiered 2 days ago — all 4 episodes are available"
