"""The announcement plan: milestones, DST-correct daily posts, the premiere; ordered, no repeats."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.plan import DEFAULT_MILESTONES, PlannedPost, build_plan, post_text, sample_post
from tests.conftest import PREMIERE


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def test_default_milestones_and_premiere(config) -> None:
    plan = build_plan(config.catalogue.featured, ZoneInfo("UTC"), None, at("2023-09-01T00:00:00Z"))
    assert [(p.at, p.kind, p.key) for p in plan] == [
        (PREMIERE - timedelta(days=30), "milestone", "milestone:30d"),
        (PREMIERE - timedelta(days=14), "milestone", "milestone:14d"),
        (PREMIERE - timedelta(days=7), "milestone", "milestone:7d"),
        (PREMIERE - timedelta(days=3), "milestone", "milestone:3d"),
        (PREMIERE - timedelta(days=1), "milestone", "milestone:1d"),
        (PREMIERE - timedelta(hours=12), "milestone", "milestone:12h"),
        (PREMIERE - timedelta(hours=1), "milestone", "milestone:1h"),
        (PREMIERE, "premiere", "premiere"),
    ]
    assert [p.label for p in plan][:3] == ["30 days before", "14 days before", "7 days before"]


def test_only_posts_after_now(config) -> None:
    plan = build_plan(config.catalogue.featured, ZoneInfo("UTC"), None, PREMIERE - timedelta(days=2))
    assert [p.key for p in plan] == ["milestone:1d", "milestone:12h", "milestone:1h", "premiere"]
    assert build_plan(config.catalogue.featured, ZoneInfo("UTC"), time(20), PREMIERE) == []


def dailies(release, zone: str, start: str) -> dict[str, datetime]:
    plan = build_plan(release, ZoneInfo(zone), time(20, 0), at(start), milestones=())
    return {p.key: p.at for p in plan if p.kind == "daily"}


def test_daily_posts_follow_europe_autumn_dst(config) -> None:
    posts = dailies(config.catalogue.featured, "Europe/Paris", "2023-10-27T00:00:00Z")
    assert posts["daily:2023-10-28"] == at("2023-10-28T18:00:00Z")  # CEST, UTC+2
    assert posts["daily:2023-10-29"] == at("2023-10-29T19:00:00Z")  # CET, UTC+1 from that night


@pytest.mark.parametrize(
    ("zone", "before", "after"),
    [
        # US DST ends 5 Nov 2023: EDT (UTC-4) -> EST (UTC-5)
        ("America/New_York", ("2023-11-04", "2023-11-05T00:00:00Z"), ("2023-11-05", "2023-11-06T01:00:00Z")),
        # Sydney's DST starts 1 Oct 2023: AEST (UTC+10) -> AEDT (UTC+11), the other direction
        ("Australia/Sydney", ("2023-09-30", "2023-09-30T10:00:00Z"), ("2023-10-01", "2023-10-01T09:00:00Z")),
        # Kolkata has no DST at UTC+05:30
        ("Asia/Kolkata", ("2023-10-28", "2023-10-28T14:30:00Z"), ("2023-10-29", "2023-10-29T14:30:00Z")),
    ],
)
def test_daily_posts_in_far_zones(config, zone, before, after) -> None:
    release = replace(config.catalogue.featured, release_at=at("2023-11-20T00:00:00Z"))
    posts = dailies(release, zone, "2023-09-25T00:00:00Z")
    assert posts[f"daily:{before[0]}"] == at(before[1])
    assert posts[f"daily:{after[0]}"] == at(after[1])


def test_spring_forward_gap_posts_once_after_the_gap(config) -> None:
    # 26 Mar 2023 in Paris: 02:00 -> 03:00. A 02:30 daily post lands at 03:30 CEST, exactly once.
    release = replace(config.catalogue.featured, release_at=at("2023-03-28T00:00:00Z"))
    plan = build_plan(release, ZoneInfo("Europe/Paris"), time(2, 30), at("2023-03-25T00:00:00Z"), milestones=())
    assert {p.key: p.at for p in plan if p.kind == "daily"} == {
        "daily:2023-03-25": at("2023-03-25T01:30:00Z"),
        "daily:2023-03-26": at("2023-03-26T01:30:00Z"),
        "daily:2023-03-27": at("2023-03-27T00:30:00Z"),
    }


def test_a_milestone_wins_a_tie_with_a_daily_post(config) -> None:
    # 12 h before 07:00Z is 19:00Z = 20:00 in Paris on 1 Nov: one post, the milestone.
    plan = build_plan(config.catalogue.featured, ZoneInfo("Europe/Paris"), time(20), at("2023-10-31T20:00:00Z"))
    assert [(p.at, p.key) for p in plan if p.at == at("2023-11-01T19:00:00Z")] == [
        (at("2023-11-01T19:00:00Z"), "milestone:12h")
    ]


def test_post_texts(config) -> None:
    release = config.catalogue.featured
    plan = build_plan(release, ZoneInfo("Europe/Paris"), time(20), at("2023-10-26T00:00:00Z"))
    texts = {p.key: post_text(release, p) for p in plan}
    assert texts["milestone:7d"] == (
        "📣 **All the Light We Cannot See** premieres on Netflix in 7 days: <t:1698908400:F> (<t:1698908400:R>)"
    )
    assert texts["daily:2023-10-28"].startswith("⏳ 4 days, 13 hours to go until **All the Light We Cannot See**")
    assert texts["premiere"] == (
        "🎬 **All the Light We Cannot See** is out now — all 4 episodes are streaming on Netflix!"
    )
    late = post_text(release, plan[0], late=True)
    assert late.endswith("posted late: the bot was offline")


def test_a_premiere_post_without_a_network_says_out_now_once(config) -> None:
    bare = replace(config.catalogue.featured, network="", where_to_watch="", episodes=None)
    premiere = PlannedPost(PREMIERE, "premiere", "premiere", "premiere")
    assert post_text(bare, premiere) == "🎬 **All the Light We Cannot See** is out now!"
    milestone = build_plan(bare, ZoneInfo("UTC"), None, PREMIERE - timedelta(hours=2))[0]
    assert post_text(bare, milestone) == (
        "📣 **All the Light We Cannot See** premieres in 1 hour: <t:1698908400:F> (<t:1698908400:R>)"
    )


@pytest.mark.parametrize(
    ("before", "expected"),
    [
        (timedelta(minutes=2), "premieres on Netflix in 2 minutes:"),  # not the premiere post, 2 minutes early
        (timedelta(days=3, hours=4, minutes=5), "premieres on Netflix in 3 days, 4 hours:"),
        (timedelta(milliseconds=300), "premieres on Netflix in 1 second:"),  # rounded up, never "0 seconds"
        (timedelta(0), "is out now — all 4 episodes are streaming on Netflix!"),
        (-timedelta(hours=1), "is out now — all 4 episodes are streaming on Netflix!"),
    ],
)
def test_a_sample_post_says_what_a_post_sent_now_would(config, before: timedelta, expected: str) -> None:
    release = config.catalogue.featured
    assert expected in post_text(release, sample_post(release, PREMIERE - before))


zones = st.sampled_from(
    [
        "UTC",
        "Europe/Paris",
        "America/New_York",
        "Australia/Sydney",
        "Asia/Kolkata",
        "Pacific/Chatham",
        "America/St_Johns",
        "Pacific/Kiritimati",
        "Pacific/Pago_Pago",
    ]
)


@settings(max_examples=60, deadline=None)
@given(
    zone=zones,
    daily=st.none() | st.times(),
    before=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=45)),
    milestones=st.lists(st.timedeltas(min_value=timedelta(minutes=1), max_value=timedelta(days=40)), max_size=8),
)
def test_plan_is_ordered_unique_and_inside_the_window(config, zone, daily, before, milestones) -> None:
    now = PREMIERE - before
    plan = build_plan(config.catalogue.featured, ZoneInfo(zone), daily, now, milestones or DEFAULT_MILESTONES)
    instants = [p.at for p in plan]
    assert instants == sorted(instants)
    assert len(set(instants)) == len(instants)
    assert len({p.key for p in plan}) == len(plan)
    assert all(now < p.at <= PREMIERE for p in plan)
    if before > timedelta(0):
        assert plan[-1].key == "premiere"
    if daily is not None:  # one daily post per local day at most
        days = [p.key for p in plan if p.kind == "daily"]
        assert len(days) == len(set(days))
