"""The scheduler's jobs are the plan: trigger instants asserted without waiting, DST included."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from apscheduler.triggers.date import DateTrigger
from prometheus_client import REGISTRY
from sqlalchemy import Connection, text

from bot.discord.poster import Pacer
from bot.domain.announcements import PostFailed, PostUnverifiable
from bot.domain.plan import post_text
from bot.scheduling.announcer import Announcer, Timing
from bot.storage.database import _alembic_config, create_engine, upgrade
from bot.storage.repository import Store, delivery_nonce

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


async def test_start_up_reads_no_subscription_of_a_release_its_server_saw_premiere(store: Store, config) -> None:
    """A finished release's subscriptions stay in storage (its history), but the start-up's catch-up does not read
    them once the server's premiere post is in the ledger: 10,000 of them cost ~0.3 s at every start."""
    now = datetime(2023, 11, 1, tzinfo=UTC)
    finished, upcoming = "finished-release", config.catalogue.featured.id
    done = await store.save_subscription(1, finished, 99, None, "UTC", None, now)
    await store.claim(done, "premiere", now, now, state="sent")
    missed = await store.save_subscription(2, finished, 98, None, "UTC", None, now)  # its premiere was never settled
    await store.claim(missed, "milestone:1h", now, now, state="sent")
    await store.save_subscription(1, upcoming, 99, None, "UTC", None, now)

    read = await store.subscriptions(active_only=True, unless_premiered=[finished])
    assert {(s.guild_id, s.release_id) for s in read} == {(2, finished), (1, upcoming)}
    assert len(await store.subscriptions(active_only=True)) == 3  # nothing was deleted


async def test_the_ledger_admits_one_claim_per_post(store: Store, config) -> None:
    now = datetime(2023, 11, 1, tzinfo=UTC)
    sub = await store.save_subscription(1, config.catalogue.featured.id, 99, None, "UTC", None, now)
    first = await store.claim(sub, "premiere", RELEASE, now)
    assert first is not None and first.state == "claimed" and len(first.nonce) <= 25
    assert await store.claim(sub, "premiere", RELEASE, now) is None
    assert await store.claim(sub, "premiere", RELEASE, now, state="skipped") is None
    await store.forget_guild(1)
    assert await store.deliveries(1) == [] and await store.subscriptions(1) == []


class HeldPoster:
    """Sends only when the test opens the gate; counts how many sends are in flight at once."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.in_flight = 0
        self.peak = 0
        self.sent: list[tuple[int, str, str]] = []

    async def wait_turn(self, urgent: bool = False) -> None:
        await asyncio.sleep(0)

    async def send(
        self,
        channel_id: int,
        content: str,
        nonce: str,
        role_id: int | None,
        *,
        remind: str | None = None,
        locale: str | None = None,
    ) -> int:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        await self.gate.wait()
        self.in_flight -= 1
        self.sent.append((channel_id, content, nonce))
        return 1000 + len(self.sent)

    async def post(
        self, channel_id: int, content: str, nonce: str, role_id: int | None, *, urgent: bool = False
    ) -> int:
        return await self.send(channel_id, content, nonce, role_id)

    async def find(self, channel_id: int, content: str, since: datetime) -> int | None:
        return None


async def until(condition, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


def soon_catalogue(config, release_at: datetime):  # type: ignore[no-untyped-def]
    release = replace(config.catalogue.featured, release_at=release_at)
    return release, replace(config.catalogue, releases=(release,))


def posts_counted(outcome: str) -> float:
    return REGISTRY.get_sample_value("release_bot_posts_total", {"outcome": outcome}) or 0.0


async def test_a_fan_out_holds_no_more_claims_than_workers(store: Store, config, caplog) -> None:
    """A claim means "being sent now": 120 servers due at once never hold more than `workers` claims."""
    caplog.set_level(logging.INFO, logger="bot.scheduling.announcer")
    sent_before = posts_counted("sent")
    now = datetime.now(UTC)
    release, catalogue = soon_catalogue(config, now + timedelta(hours=2))
    poster = HeldPoster()
    announcer = Announcer(
        store,
        catalogue,
        replace(config.settings, milestones=(timedelta(hours=1),)),
        poster,
        clock=lambda: now + timedelta(hours=1),
        timing=Timing(workers=4),
    )
    for guild in range(1, 121):
        await store.save_subscription(guild, release.id, 10_000 + guild, None, "UTC", None, now)
    await announcer.rebuild(now)
    [ident] = [i for i, g in announcer._groups.items() if g.key == "milestone:1h"]
    announcer._start_workers()
    try:
        await announcer._fire(ident)
        await until(lambda: poster.in_flight == 4)
        claimed = [d for d in await store.deliveries() if d.state == "claimed"]
        assert len(claimed) == 4 and announcer.queued() == 116
        assert REGISTRY.get_sample_value("release_bot_post_queue_depth") == 116
        poster.gate.set()
        await until(lambda: len(poster.sent) == 120)
        await until(lambda: announcer.queued() == 0)
    finally:
        await announcer.stop()
    rows = await store.deliveries()
    assert poster.peak == 4
    assert len(rows) == 120 and all(d.state == "sent" and not d.late for d in rows)
    assert len({channel for channel, _, _ in poster.sent}) == 120
    # One log line and one count per outcome.
    assert posts_counted("sent") - sent_before == 120
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("post sent: ")]
    assert len(lines) == 120 and f"post sent: server 7, release {release.id}, post milestone:1h" in lines


async def test_a_storage_error_when_a_timer_fires_delays_its_posts_and_loses_none(
    store: Store, config, monkeypatch
) -> None:
    now = datetime.now(UTC)
    release, catalogue = soon_catalogue(config, now + timedelta(hours=2))
    poster = HeldPoster()
    poster.gate.set()
    announcer = Announcer(
        store,
        catalogue,
        replace(config.settings, milestones=(timedelta(hours=1),)),
        poster,
        clock=lambda: now + timedelta(hours=1),
        timing=Timing(workers=2, read_delays=(0.0,)),
    )
    for guild in (1, 2):
        await store.save_subscription(guild, release.id, 500 + guild, None, "UTC", None, now)
    await announcer.rebuild(now)
    [ident] = [i for i, g in announcer._groups.items() if g.key == "milestone:1h"]
    real = store.subscriptions
    failures = iter([OSError("database is restarting"), OSError("still restarting")])

    async def flaky(*args, **kwargs):  # type: ignore[no-untyped-def]
        failure = next(failures, None)
        if failure is not None:
            raise failure
        return await real(*args, **kwargs)

    monkeypatch.setattr(store, "subscriptions", flaky)
    announcer._start_workers()
    try:
        await announcer._fire(ident)
        await until(lambda: len(poster.sent) == 2)
    finally:
        await announcer.stop()
    assert sorted(channel for channel, _, _ in poster.sent) == [501, 502]
    assert ident not in announcer._groups  # dropped only once the read succeeded


async def test_rebuild_keeps_the_old_timers_when_storage_fails(store: Store, config, monkeypatch) -> None:
    release, catalogue = soon_catalogue(config, RELEASE)
    now = datetime(2023, 11, 1, tzinfo=UTC)
    announcer = Announcer(store, catalogue, config.settings, NoPoster(), clock=lambda: now)
    await store.save_subscription(1, release.id, 99, None, "UTC", None, now)
    await announcer.rebuild(now)
    before = announcer.scheduled(1)
    assert before

    async def down(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError("connection refused")

    monkeypatch.setattr(store, "settled_keys", down)
    with pytest.raises(OSError):
        await announcer.rebuild(now)
    assert announcer.scheduled(1) == before


@pytest.mark.parametrize(
    ("zone", "daily", "reason"),
    [
        ("UTC", "1:5٥", "the stored daily time '1:5٥' is not a time like 20:00"),
        ("UTC", "9:5５", "the stored daily time '9:5５' is not a time like 20:00"),
        ("Mars/Olympus", None, "the stored time zone 'Mars/Olympus' is not one I know"),
    ],
)
async def test_a_row_that_does_not_parse_pauses_that_subscription_only(
    store: Store, config, zone: str, daily: str | None, reason: str
) -> None:
    release, catalogue = soon_catalogue(config, RELEASE)
    now = datetime(2023, 11, 1, tzinfo=UTC)
    announcer = Announcer(store, catalogue, config.settings, NoPoster(), clock=lambda: now)
    await store.save_subscription(1, release.id, 99, None, "UTC", "20:00", now)
    await store.save_subscription(2, release.id, 98, None, zone, daily, now - timedelta(days=3))
    await announcer.catch_up(now)  # must not raise for one bad row
    await announcer.rebuild(now)
    assert announcer.scheduled(1) and announcer.scheduled(2) == []
    good, bad = await store.subscriptions(1), await store.subscriptions(2)
    assert not good[0].paused
    assert bad[0].paused and bad[0].pause_reason == f"{reason}; run /announce setup again"
    assert announcer.plan(bad[0], now) == [] and announcer.post(bad[0], "premiere") is None


async def test_a_post_job_re_added_while_its_predecessor_runs_still_runs(store: Store, config) -> None:
    """/announce setup re-schedules a server while its job with the same id is running: both run
    (APScheduler would skip the second at max_instances=1, and that post would be lost)."""
    announcer = Announcer(store, config.catalogue, config.settings, NoPoster())
    ran: list[str] = []
    first_running, release_first = asyncio.Event(), asyncio.Event()

    async def job(name: str) -> None:
        ran.append(name)
        if name == "first":
            first_running.set()
            await release_first.wait()

    announcer.scheduler.start()
    try:
        announcer.scheduler.add_job(job, DateTrigger(datetime.now(UTC)), id="post:x:premiere@1", args=("first",))
        await asyncio.wait_for(first_running.wait(), 10)
        announcer.scheduler.add_job(
            job, DateTrigger(datetime.now(UTC)), id="post:x:premiere@1", args=("second",), replace_existing=True
        )
        await until(lambda: "second" in ran)
    finally:
        release_first.set()
        announcer.scheduler.shutdown(wait=False)
    assert ran == ["first", "second"]


async def test_an_urgent_post_takes_the_next_slot_before_a_waiting_fan_out() -> None:
    pacer = Pacer(rate=50)
    order: list[str] = []

    async def take(name: str, urgent: bool = False) -> None:
        await pacer.wait(urgent)
        order.append(name)

    fan_out = [asyncio.create_task(take(f"fan-out {n}")) for n in range(6)]
    await asyncio.sleep(0)  # they are all waiting in line now; the first has its slot at once
    urgent = asyncio.create_task(take("/announce test", urgent=True))
    await asyncio.gather(*fan_out, urgent)
    assert order.index("/announce test") <= 1, order
    assert [o for o in order if o != "/announce test"] == [f"fan-out {n}" for n in range(6)]


async def test_a_claim_left_before_the_upgrade_is_recovered_after_it(database_url: str, config) -> None:
    """A claim written by the previous version (no stored text, no lease) is taken over and sent with its nonce."""
    engine = create_engine(database_url)

    def to_0001(connection: Connection) -> None:
        command.upgrade(_alembic_config(connection), "0001")

    async with engine.begin() as connection:
        await connection.run_sync(to_0001)
    now = datetime.now(UTC)
    release, catalogue = soon_catalogue(config, now + timedelta(minutes=59))
    store = Store(engine)
    sub = await store.save_subscription(1, release.id, 77, None, "UTC", None, now - timedelta(days=1))
    nonce = delivery_nonce(1, release.id, "milestone:1h")
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO deliveries (guild_id, release_id, post_key, channel_id, due_at, state, nonce, late, "
                "claimed_at) VALUES (1, :release, 'milestone:1h', 77, :due, 'claimed', :nonce, false, :claimed)"
            ),
            {
                "release": release.id,
                "due": (now - timedelta(minutes=1)).replace(tzinfo=None),
                "nonce": nonce,
                "claimed": (now - timedelta(seconds=30)).replace(tzinfo=None),
            },
        )
    await upgrade(engine)
    poster = HeldPoster()
    poster.gate.set()
    announcer = Announcer(
        store,
        catalogue,
        replace(config.settings, milestones=(timedelta(hours=1),)),
        poster,
        clock=lambda: now,
        timing=Timing(workers=1),
    )
    try:
        announcer._start_workers()
        await announcer.recover(now)
        await until(lambda: len(poster.sent) == 1)
    finally:
        await announcer.stop()
        await engine.dispose()
    post = announcer.post(sub, "milestone:1h")
    assert post is not None
    assert poster.sent == [(77, post_text(release, post), nonce)]  # within the nonce memory: same text, same nonce


class BlindPoster(HeldPoster):
    async def find(self, channel_id: int, content: str, since: datetime) -> int | None:
        raise PostUnverifiable(f"I may not read the message history of <#{channel_id}>")


async def test_an_old_claim_that_cannot_be_checked_is_not_sent_blind(store: Store, config) -> None:
    now = datetime.now(UTC)
    release, catalogue = soon_catalogue(config, now + timedelta(minutes=55))
    sub = await store.save_subscription(1, release.id, 77, None, "UTC", None, now - timedelta(days=1))
    await store.claim(
        sub,
        "milestone:1h",
        now - timedelta(minutes=5),
        now - timedelta(minutes=5),
        content="📣 text",
        lease_until=now - timedelta(minutes=4),
    )
    poster = BlindPoster()
    announcer = Announcer(
        store,
        catalogue,
        replace(config.settings, milestones=(timedelta(hours=1),)),
        poster,
        clock=lambda: now,
        timing=Timing(workers=1),
    )
    try:
        announcer._start_workers()
        await announcer.recover(now)
        for _ in range(2000):  # until the worker has settled it
            [row] = await store.deliveries()
            if row.state != "claimed":
                break
            await asyncio.sleep(0.01)
    finally:
        await announcer.stop()
    assert poster.sent == []
    assert (row.state, row.detail) == (
        "skipped",
        "I may not read the message history of <#77>; not sent again, so it cannot appear twice",
    )


async def test_stop_lets_a_running_timer_callback_finish_before_the_database_goes(store: Store, config) -> None:
    """A sweep still reading storage when SIGTERM came: stop() waits for it (else the database is closed under it,
    and the connection's thread kept the process alive after "stopped cleanly")."""
    now = datetime(2023, 10, 20, tzinfo=UTC)
    announcer = Announcer(store, config.catalogue, config.settings, NoPoster(), clock=lambda: now)
    reading, may_finish, finished = asyncio.Event(), asyncio.Event(), []

    async def slow_recover(when: datetime) -> None:
        reading.set()
        await may_finish.wait()
        finished.append(when)

    announcer.recover = slow_recover  # type: ignore[method-assign]
    sweep = asyncio.create_task(announcer._sweep())
    await reading.wait()
    stopping = asyncio.create_task(announcer.stop(timeout=30))
    await asyncio.sleep(0)  # stop() has run up to its wait for the sweep
    assert not stopping.done() and finished == []
    may_finish.set()
    await stopping
    assert finished == [now] and sweep.done()


class FailsOnceThenSwitchesLanguage(HeldPoster):
    """Discord fails the first send (a 503); while the bot waits to retry, the server switches to German."""

    def __init__(self, languages: dict[int, str]) -> None:
        super().__init__()
        self.gate.set()
        self.languages = languages
        self.attempts: list[str] = []

    async def send(
        self,
        channel_id: int,
        content: str,
        nonce: str,
        role_id: int | None,
        *,
        remind: str | None = None,
        locale: str | None = None,
    ) -> int:
        self.attempts.append(content)
        if len(self.attempts) == 1:
            self.languages[1] = "de"  # GUILD_UPDATE between the claim and the retry
            raise PostFailed("503 Service Unavailable")
        return await super().send(channel_id, content, nonce, role_id, remind=remind)


async def test_a_retry_sends_the_text_claimed_even_if_the_server_changed_its_language(store: Store, config) -> None:
    """Exactly once: the post's text is stored with its claim, in the server's language then; a retry sends that
    text (same nonce), so a language changed in between cannot make a second, different post."""
    now = datetime.now(UTC)
    release, catalogue = soon_catalogue(config, now + timedelta(hours=2))
    languages = {1: "fr"}
    poster = FailsOnceThenSwitchesLanguage(languages)
    announcer = Announcer(
        store,
        catalogue,
        replace(config.settings, milestones=(timedelta(hours=1),)),
        poster,
        clock=lambda: now + timedelta(hours=1),
        timing=Timing(workers=1, retry_delays=(0.0,)),
    )

    async def language(guild_id: int) -> str | None:
        return languages.get(guild_id)

    announcer.guild_locale = language
    await store.save_subscription(1, release.id, 501, None, "UTC", None, now)
    await announcer.rebuild(now)
    [ident] = [i for i, g in announcer._groups.items() if g.key == "milestone:1h"]
    announcer._start_workers()
    try:
        await announcer._fire(ident)
        await until(lambda: len(poster.sent) == 1)
        [row] = await wait_settled(store)
    finally:
        await announcer.stop()
    [post] = [p for p in announcer.plan(await only_subscription(store), now) if p.key == "milestone:1h"]
    french = post_text(release, post, locale="fr")
    assert french.startswith("📣 ") and " sur Netflix dans " in french  # the words of a French post
    assert poster.attempts == [french, french]  # the retry sent the stored text, not a German one
    assert poster.sent == [(501, french, delivery_nonce(1, release.id, "milestone:1h"))]
    assert (row.state, row.content) == ("sent", french)
    assert post_text(release, post, locale="de") != french  # the server's language had changed by then


async def wait_settled(store: Store) -> list:  # type: ignore[type-arg]
    for _ in range(2000):
        rows = await store.deliveries()
        if rows and all(d.state != "claimed" for d in rows):
            return rows
        await asyncio.sleep(0.01)
    raise AssertionError(f"not settled: {rows!r}")


async def only_subscription(store: Store):  # type: ignore[no-untyped-def]
    [sub] = await store.subscriptions()
    return sub
