"""The scheduler's jobs are the plan: trigger instants asserted without waiting, DST included."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.scheduling.announcer import Announcer
from bot.storage.database import create_engine, upgrade
from bot.storage.repository import Store

RELEASE = datetime(2023, 11, 20, 0, 0, tzinfo=UTC)


class NoPoster:
    async def post(self, channel_id: int, content: str, nonce: str, role_id: int | None) -> int:
        raise AssertionError("nothing is due in these tests")


@pytest.fixture
async def store(database_url: str):  # type: ignore[no-untyped-def]
    engine = create_engine(database_url)
    await upgrade(engine)
    yield Store(engine)
    await engine.dispose()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("Europe/Paris", {"2023-10-28": "2023-10-28T18:00:00Z", "2023-10-29": "2023-10-29T19:00:00Z"}),
        ("America/New_York", {"2023-11-04": "2023-11-05T00:00:00Z", "2023-11-05": "2023-11-06T01:00:00Z"}),
        ("Australia/Sydney", {"2023-10-27": "2023-10-27T09:00:00Z", "2023-10-28": "2023-10-28T09:00:00Z"}),
        ("Asia/Kolkata", {"2023-10-28": "2023-10-28T14:30:00Z", "2023-10-29": "2023-10-29T14:30:00Z"}),
    ],
)
async def test_daily_jobs_follow_dst(store: Store, config, zone: str, expected: dict[str, str]) -> None:
    release = replace(config.catalogue.featured, release_at=RELEASE)
    catalogue = replace(config.catalogue, releases=(release,))
    now = datetime(2023, 10, 20, tzinfo=UTC)
    announcer = Announcer(store, catalogue, config.settings, NoPoster(), clock=lambda: now)
    await store.save_subscription(1234, release.id, 99, None, zone, "20:00", now)
    await announcer.rebuild(now)
    jobs = {d.key: d.at for d in announcer.scheduled(1234)}
    for day, instant in expected.items():
        assert jobs[f"daily:{day}"] == at(instant.replace("Z", "+00:00"))
    assert jobs["premiere"] == RELEASE
    assert jobs["milestone:7d"] == RELEASE - timedelta(days=7)
    # The jobs are the plan, one for one.
    plan = announcer.plan((await store.subscriptions(1234))[0], now)
    assert [(d.at, d.key) for d in announcer.scheduled(1234)] == [(p.at, p.key) for p in plan]


async def test_paused_and_settled_posts_get_no_jobs(store: Store, config) -> None:
    release = replace(config.catalogue.featured, release_at=RELEASE)
    catalogue = replace(config.catalogue, releases=(release,))
    now = datetime(2023, 11, 1, tzinfo=UTC)
    announcer = Announcer(store, catalogue, config.settings, NoPoster(), clock=lambda: now)
    sub = await store.save_subscription(1, release.id, 99, None, "UTC", None, now)
    await store.claim(sub, "milestone:14d", RELEASE - timedelta(days=14), now, state="sent")
    await announcer.rebuild(now)
    assert "milestone:14d" not in {d.key for d in announcer.scheduled(1)}
    await store.set_paused(1, True, "by an admin", now)
    await announcer.reschedule_guild(1)
    assert announcer.scheduled(1) == []


async def test_the_ledger_admits_one_claim_per_post(store: Store, config) -> None:
    now = datetime(2023, 11, 1, tzinfo=UTC)
    sub = await store.save_subscription(1, config.catalogue.featured.id, 99, None, "UTC", None, now)
    first = await store.claim(sub, "premiere", RELEASE, now)
    assert first is not None and first.state == "claimed" and len(first.nonce) <= 25
    assert await store.claim(sub, "premiere", RELEASE, now) is None
    assert await store.claim(sub, "premiere", RELEASE, now, state="skipped") is None
    await store.forget_guild(1)
    assert await store.deliveries(1) == [] and await store.subscriptions(1) == []
