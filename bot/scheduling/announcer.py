"""Announcements: schedule the plan of every subscription, deliver each post exactly once, catch up honestly.

Exactly once, in three steps per post:
1. claim its ledger row, unique on (server, release, post key), in its own transaction (INSERT ... ON CONFLICT
   DO NOTHING): whoever inserts it, in whichever process, is the only one who may send it;
2. send it with a nonce derived from that row (`enforce_nonce`): Discord returns the first message for a repeat;
3. record the message id.
A crash between 1 and 3 leaves a `claimed` row; at start it is sent again with the same nonce, so Discord
deduplicates it, as long as the claim is younger than Discord's nonce memory (`NONCE_WINDOW`). An older claim is
settled as `skipped` rather than risking a second copy.
"""

from __future__ import annotations

import asyncio
import logging
import time as time_module
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

from bot.config import Settings
from bot.domain.plan import PlannedPost, build_plan, post_for_key, post_text
from bot.domain.releases import Catalogue, Release, UnknownRelease
from bot.storage.models import Delivery, Subscription
from bot.storage.repository import Store

log = logging.getLogger(__name__)
NONCE_WINDOW = timedelta(minutes=2)  # well inside the "few minutes" Discord remembers a nonce
HORIZON = timedelta(days=40)  # jobs further ahead are added by the daily refresh
RETRY_DELAYS = (5.0, 15.0, 30.0, 60.0)  # after discord.py's own retries of 5xx answers, inside NONCE_WINDOW
ORPHAN_AGE = timedelta(seconds=20)  # a claim unconfirmed this long lost its sender (a killed process)
SWEEP_SECONDS = 15
ZONE_CACHE_SECONDS = 30.0  # another process's /announce setup shows in this one's replies within this


class PostRejected(Exception):
    """Discord refused for good (403 missing permission, 404 unknown channel): pause, explain, do not retry."""


class PostFailed(Exception):
    """A transient failure (5xx after retries, network): try again later with the same nonce."""


class Poster(Protocol):
    async def post(self, channel_id: int, content: str, nonce: str, role_id: int | None) -> int: ...


def job_id(release_id: str, key: str, at: datetime) -> str:
    return f"post:{release_id}:{key}@{int(at.timestamp())}"


@dataclass
class Group:
    """One timer for one post of one release at one instant, for every server whose plan has it.

    Thousands of servers counting down to the same release share their milestone instants, so they share a
    job: memory and start-up grow with distinct instants, not with servers."""

    at: datetime
    release_id: str
    key: str
    guilds: set[int]


@dataclass(frozen=True)
class Due:
    """A post of a subscription, as the scheduler holds it."""

    at: datetime
    key: str


class Announcer:
    def __init__(self, store: Store, catalogue: Catalogue, settings: Settings, poster: Poster,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.store = store
        self.catalogue = catalogue
        self.settings = settings
        self.poster = poster
        self.clock = clock
        # In-memory jobs only: they are rebuilt from storage at every start and never shared between processes.
        # misfire_grace_time=None: a job that fires late still runs, and `_fire` applies our own grace rules.
        self.scheduler = AsyncIOScheduler(timezone=UTC, job_defaults={"misfire_grace_time": None,
                                                                      "coalesce": True, "max_instances": 1})
        self.guild_filter: Callable[[int], bool] = lambda guild_id: True  # shards: only the servers we own
        self._tasks: set[asyncio.Task[None]] = set()  # retries waiting for their moment
        self._inflight: set[asyncio.Task[object]] = set()  # deliveries under way: let them finish at stop
        self._mine: set[int] = set()  # ledger ids this process is sending or will retry: not for the sweep
        self._groups: dict[str, Group] = {}  # job id -> the servers that job posts to
        self._zones: dict[int, tuple[float, str | None]] = {}  # guild -> (valid until, time zone)

    # ---- the plan of one subscription ---------------------------------------------------------------------

    def release_of(self, sub: Subscription) -> Release | None:
        try:
            return self.catalogue.get(sub.release_id)
        except UnknownRelease:
            return None

    def plan(self, sub: Subscription, after: datetime) -> list[PlannedPost]:
        release = self.release_of(sub)
        if release is None:
            return []
        daily = time.fromisoformat(sub.daily_time) if sub.daily_time else None
        return build_plan(release, ZoneInfo(sub.timezone), daily, after, self.settings.milestones)

    def post(self, sub: Subscription, key: str) -> PlannedPost | None:
        """The subscription's post with this key, as its settings give it now."""
        release = self.release_of(sub)
        if release is None:
            return None
        daily = time.fromisoformat(sub.daily_time) if sub.daily_time else None
        return post_for_key(release, ZoneInfo(sub.timezone), daily, key, self.settings.milestones)

    def upcoming_release_ids(self, now: datetime) -> list[str]:
        """Releases that can still have posts due: the timers only ever need their subscriptions."""
        return [r.id for r in self.catalogue.releases if r.release_at > now]

    def grace(self, kind: str) -> timedelta:
        return self.settings.premiere_grace if kind == "premiere" else self.settings.grace

    # ---- life cycle ---------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Recover unconfirmed sends, catch up on what was missed, schedule the rest. Needs the running loop."""
        began = time_module.perf_counter()
        now = self.clock()
        await self.recover(now)
        await self.catch_up(now)
        await self.rebuild(now)
        log.info("scheduled %d posts in %d timers in %.2f s", self.post_count(), self.job_count(),
                 time_module.perf_counter() - began)
        self.scheduler.add_job(self._refresh, "interval", hours=24, id="refresh", replace_existing=True)
        # Another process (an old one in a rolling restart, or one that was killed) may leave claims behind.
        self.scheduler.add_job(self._sweep, "interval", seconds=SWEEP_SECONDS, id="sweep", replace_existing=True)
        if not self.scheduler.running:
            self.scheduler.start()

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop timers, and let posts already being sent record their outcome (else they are recovered at start)."""
        if self.scheduler.running:
            self.scheduler.pause()  # no new jobs; shutdown() would cancel the running ones
        for task in list(self._tasks):
            task.cancel()
        if self._inflight:
            await asyncio.wait(list(self._inflight), timeout=timeout)
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    async def _refresh(self) -> None:
        await self.rebuild(self.clock())

    async def _sweep(self) -> None:
        await self.recover(self.clock(), min_age=ORPHAN_AGE)

    async def rebuild(self, now: datetime) -> None:
        """Drop every post job and derive them again from storage."""
        for job_id_ in list(self._groups):
            self._remove_job(job_id_)
        subs = [s for s in await self.store.subscriptions(active_only=True,
                                                           release_ids=self.upcoming_release_ids(now))
                if self.guild_filter(s.guild_id)]
        settled = await self.store.settled_keys(due_after=now) if subs else set()
        for sub in subs:
            self._schedule(sub, now, settled)

    async def reschedule_guild(self, guild_id: int) -> None:
        """After a settings change: that server's jobs, derived again from storage."""
        self._zones.pop(guild_id, None)
        self.unschedule_guild(guild_id)
        now = self.clock()
        settled = await self.store.settled_keys(guild_id=guild_id, due_after=now)
        for sub in await self.store.subscriptions(guild_id, active_only=True,
                                                  release_ids=self.upcoming_release_ids(now)):
            self._schedule(sub, now, settled)

    def unschedule_guild(self, guild_id: int) -> None:
        for job_id_, group in list(self._groups.items()):
            group.guilds.discard(guild_id)
            if not group.guilds:
                self._remove_job(job_id_)

    def _remove_job(self, job_id_: str) -> None:
        self._groups.pop(job_id_, None)
        if self.scheduler.get_job(job_id_) is not None:
            self.scheduler.remove_job(job_id_)

    def _schedule(self, sub: Subscription, now: datetime, settled: set[tuple[int, str, str]]) -> None:
        for post in self.plan(sub, now):
            if post.at > now + HORIZON:
                break
            if (sub.guild_id, sub.release_id, post.key) in settled:
                continue
            ident = job_id(sub.release_id, post.key, post.at)
            group = self._groups.get(ident)
            if group is None:
                group = self._groups[ident] = Group(post.at, sub.release_id, post.key, set())
                self.scheduler.add_job(self._fire, DateTrigger(post.at, timezone=UTC), id=ident, args=(ident,),
                                       replace_existing=True)
            group.guilds.add(sub.guild_id)

    def job_count(self) -> int:
        return len(self._groups)

    def post_count(self) -> int:
        """Posts with a timer: one per server in each job."""
        return sum(len(g.guilds) for g in self._groups.values())

    async def guild_zone(self, guild_id: int) -> str | None:
        """The server's time zone, for replies; cached briefly, as every slash command asks for it."""
        cached = self._zones.get(guild_id)
        if cached is not None and cached[0] > time_module.monotonic():
            return cached[1]
        zone = await self.store.guild_timezone(guild_id)
        self._zones[guild_id] = (time_module.monotonic() + ZONE_CACHE_SECONDS, zone)
        return zone

    def scheduled(self, guild_id: int) -> list[Due]:
        """The posts one server has timers for, in time order: what the tests compare with the plan."""
        found = [Due(g.at, g.key) for g in self._groups.values() if guild_id in g.guilds]
        return sorted(found, key=lambda d: d.at)

    # ---- delivery -----------------------------------------------------------------------------------------

    async def _fire(self, ident: str) -> None:
        """A job's moment came: re-read the truth from storage (one query for all its servers), then deliver to
        each server as its own task, so one server's trouble never delays another's post."""
        group = self._groups.pop(ident, None)
        if group is None:
            return
        now = self.clock()
        subs = [s for s in await self.store.subscriptions(release_id=group.release_id, active_only=True)
                if s.guild_id in group.guilds and self.guild_filter(s.guild_id)]
        await asyncio.gather(*(self._fire_one(sub, group, now) for sub in subs))

    async def _fire_one(self, sub: Subscription, group: Group, now: datetime) -> None:
        post = self.post(sub, group.key)
        if post is None or post.at != group.at:
            return  # the settings changed under the job; the server's new jobs carry the new plan
        if now - post.at > self.grace(post.kind):  # e.g. the machine slept: same rule as after downtime
            await self.store.claim(sub, post.key, post.at, now, state="skipped",
                                   detail=f"fired {now - post.at} late, past its grace window")
            return
        await self.deliver(sub, post, now)

    async def deliver(self, sub: Subscription, post: PlannedPost, now: datetime, late: bool = False) -> bool:
        """Claim, send, confirm. False when another path or process already owns this post."""
        release = self.release_of(sub)
        if release is None:
            return False
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
        try:
            delivery = await self.store.claim(sub, post.key, post.at, now, late=late)
            if delivery is None:
                return False
            await self._send(sub, delivery, post_text(release, post, late=late))
            return True
        finally:
            self._inflight.discard(task)  # type: ignore[arg-type]

    async def _send(self, sub: Subscription, delivery: Delivery, text: str, attempt: int = 0) -> None:
        self._mine.add(delivery.id)
        if await self._attempt(sub, delivery, text, attempt):
            self._mine.discard(delivery.id)

    async def _attempt(self, sub: Subscription, delivery: Delivery, text: str, attempt: int) -> bool:
        """One try; True once the post's outcome is recorded, False while a retry is pending."""
        content = f"<@&{sub.role_id}> {text}" if sub.role_id else text
        try:
            message_id = await self.poster.post(sub.channel_id, content, delivery.nonce, sub.role_id)
        except PostRejected as exc:
            reason = str(exc)
            await self.store.finish(delivery.id, "failed", self.clock(), detail=reason)
            await self.store.set_paused(sub.guild_id, True, reason, self.clock(), channel_id=sub.channel_id)
            await self.reschedule_guild(sub.guild_id)
            log.warning("server %s: announcements paused: %s", sub.guild_id, reason)
            return True
        except PostFailed as exc:
            # Past Discord's nonce memory a re-send could make a second copy (a 5xx does not prove the first
            # try created nothing): give up rather than risk it.
            if attempt >= len(RETRY_DELAYS) or self.clock() - delivery.claimed_at > NONCE_WINDOW:
                await self.store.finish(delivery.id, "failed", self.clock(), detail=f"gave up: {exc}")
                return True
            delay = RETRY_DELAYS[attempt]
            log.info("server %s: post %s failed (%s); retrying in %ss", sub.guild_id, delivery.post_key, exc, delay)
            self._later(delay, lambda: self._send(sub, delivery, text, attempt + 1))
            return False
        await self.store.finish(delivery.id, "sent", self.clock(), message_id=message_id)
        return True

    def _later(self, delay: float, retry: Callable[[], Awaitable[None]]) -> None:
        async def run() -> None:
            await asyncio.sleep(delay)  # the backoff itself
            await retry()

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ---- after a restart ----------------------------------------------------------------------------------

    async def recover(self, now: datetime, min_age: timedelta = timedelta(0)) -> None:
        """Claims never confirmed (a process died mid-send): same nonce again, or settle them as skipped.

        At start every claim of our servers is recovered; the periodic sweep takes only those older than
        `min_age`, so a send still under way elsewhere is left alone (and a duplicate re-send would be
        deduplicated by its nonce anyway)."""
        claims = [d for d in await self.store.unfinished_claims()
                  if self.guild_filter(d.guild_id) and now - d.claimed_at >= min_age and d.id not in self._mine]
        if not claims:
            return
        subs = {(s.guild_id, s.release_id): s for s in await self.store.subscriptions()}
        for delivery in claims:
            sub = subs.get((delivery.guild_id, delivery.release_id))
            release = self.release_of(sub) if sub else None
            if sub is None or release is None or sub.paused:
                await self.store.finish(delivery.id, "skipped", now, detail="announcements were turned off")
                continue
            if now - delivery.claimed_at > NONCE_WINDOW:
                await self.store.finish(delivery.id, "skipped", now, detail=(
                    "the bot stopped while sending this post and came back after Discord's nonce memory; "
                    "not sent again, so it cannot appear twice"))
                continue
            post = self.post(sub, delivery.post_key)
            if post is None:
                await self.store.finish(delivery.id, "skipped", now, detail="no longer in the plan")
                continue
            await self._send(sub, delivery, post_text(release, post, late=delivery.late))

    async def catch_up(self, now: datetime) -> None:
        """Posts missed while offline: the latest one inside its grace window is sent, marked late; the rest
        are recorded as skipped. A server never gets a flood."""
        subs = [s for s in await self.store.subscriptions(active_only=True) if self.guild_filter(s.guild_id)]
        if not subs:
            return
        settled = await self.store.settled_keys(due_after=min(s.created_at for s in subs))
        for sub in subs:
            missed = [p for p in self.plan(sub, sub.created_at) if p.at <= now
                      and (sub.guild_id, sub.release_id, p.key) not in settled]
            if not missed:
                continue
            in_grace = [p for p in missed if now - p.at <= self.grace(p.kind)]
            send = in_grace[-1] if in_grace else None
            for post in missed:
                if post is send:
                    continue
                why = "superseded by a later post" if now - post.at <= self.grace(post.kind) else \
                    f"missed while the bot was offline ({_ago(now - post.at)} ago, past its grace window)"
                await self.store.claim(sub, post.key, post.at, now, state="skipped", detail=why)
            if send is not None:
                await self.deliver(sub, send, now, late=True)


def _ago(delta: timedelta) -> str:
    hours, rest = divmod(int(delta.total_seconds()), 3600)
    return f"{hours} h {rest // 60} min" if hours else f"{rest // 60} min {rest % 60} s"


__all__: Sequence[str] = ("Announcer", "PostFailed", "PostRejected", "Poster")
