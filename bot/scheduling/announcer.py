"""Announcements: schedule the plan of every subscription, deliver each post exactly once, catch up honestly.

Why it is built this way:

- **A claim means "being sent now".** A timer only puts (server, post) items on an in-memory queue; a small,
  fixed number of workers drains it. Each worker first waits for a pacing slot (Discord allows 50 requests/s),
  then claims the post's ledger row, then sends. So a 10,000-server fan-out holds at most `workers` claims and
  `workers` database sessions at any moment, whatever its size; a waiting post costs a queue entry, nothing in
  storage. If the process dies, what was still queued has no ledger row and is caught up at the next start like
  any post missed while offline.
- **Exactly once**, per post: the ledger row is unique on (server, release, post key), inserted with
  `INSERT ... ON CONFLICT DO NOTHING` in its own transaction: whoever inserts it, in whichever process, is the only
  one who may send it. It is sent with a nonce derived from that row (`enforce_nonce`): Discord returns the first
  message for a repeat of the nonce, for a few minutes. Then the message id is recorded.
- **An unconfirmed claim is reconciled, never assumed lost nor assumed sent.** A claim carries a lease (its sender
  is at work on it until then); a claim whose lease ran out was abandoned (a killed process) and any process's
  sweep takes it over (compare-and-set on the lease). Younger than Discord's nonce memory (`nonce_window`), it is
  simply sent again with the same nonce and the same text (so Discord's answer and the ledger agree). Older, the
  channel's recent messages are read for the bot's post with the exact text stored in the claim (Discord does not
  return nonces on fetched messages, so author and text are the identity, and the claim's instant bounds the
  search): found, it is recorded as sent with its message id; not found, it is sent now (labelled late when the bot
  was down) if the post is still inside its grace window, else recorded as skipped with the reason.
- **Retries are bounded by attempts and by the post's grace window**, never by how long a post waited in the
  queue; before each retry the lease is extended, so no sweep takes a claim whose sender is only waiting.
- **Catch-up and recovery apply the same rules**: a post sent after downtime is labelled late, only inside its
  grace window; outside it is skipped with the reason, visible in the ledger (and `/announce status`).
- **Nothing one server does stops the others.** A timer's group of servers is dropped only after its storage read
  succeeded (the read is retried with backoff); one server's failed send is that server's outcome only; a
  subscription whose stored settings do not parse is paused with the reason and everyone else goes on; `rebuild`
  builds the new timers before dropping the old ones.
- **Start-up never blocks the gateway**: `start()` returns at once; recovery, catch-up and scheduling run in a
  background task (`ready` is set when they are done).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import sys
import time as time_module
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from typing import Protocol, TypeVar
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

from bot.config import Settings
from bot.domain.announcements import PostFailed, PostRejected, PostUnverifiable, Subscription
from bot.domain.live import LiveCard, LiveMessage, live_card, live_stage
from bot.domain.plan import PlannedPost, build_plan, post_for_key, post_text
from bot.domain.releases import Catalogue, Release, UnknownRelease
from bot.domain.reminders import (
    DM_GUILD,
    LABELS,
    OFFSETS,
    DmClosed,
    Reminder,
    dm_closed_notice,
    due_at,
    grace_kind,
    parse_key,
    reminder_key,
    reminder_text,
)
from bot.domain.server_releases import is_server_release_id
from bot.metrics import DELIVERY_DELAY, POSTS, QUEUE_DEPTH
from bot.scheduling.server_ids import ServerIds
from bot.storage.models import Delivery
from bot.storage.repository import Store

log = logging.getLogger(__name__)
HORIZON = timedelta(days=40)  # jobs further ahead are added by the daily refresh
RELEASES_CACHE_SECONDS = 30.0  # another process's /release add shows in this one's catalogue within this
TIMING_ENV = "RELEASE_BOT_TIMING"
_DAILY = re.compile(r"([0-9]{1,2}):([0-9]{2})")  # ASCII digits only: `\d` would take any Unicode digit
T = TypeVar("T")


@dataclass(frozen=True)
class Timing:
    """Every delay of the delivery engine, injectable so tests never wait real seconds for them."""

    nonce_window: timedelta = timedelta(minutes=2)  # well inside the "few minutes" Discord remembers a nonce
    lease: timedelta = timedelta(seconds=60)  # a claim whose sender shows no sign of life this long is orphaned
    sweep_seconds: float = 15.0  # how often abandoned claims are looked for
    # Our retries of a post, after discord.py's own retries of 5xx answers (1+3+5+7+9 s).
    retry_delays: tuple[float, ...] = (5.0, 15.0, 30.0, 60.0)
    # Storage reads when a timer fires or at start; the last delay repeats until the read succeeds.
    read_delays: tuple[float, ...] = (1.0, 2.0, 5.0, 10.0, 30.0)
    workers: int = 16  # concurrent sends; each holds a database connection only to claim and to confirm

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Timing:
        """`RELEASE_BOT_TIMING="nonce_window=1,lease=0.5,sweep=0.2,retry=0.1/0.2,read=0.1,workers=4"` (seconds):
        for tests and failure drills; production keeps the defaults."""
        timing = cls()
        spec = environ.get(TIMING_ENV, "").strip()
        for part in filter(None, (p.strip() for p in spec.split(","))):
            name, _, value = part.partition("=")
            if name == "nonce_window":
                timing = replace(timing, nonce_window=timedelta(seconds=float(value)))
            elif name == "lease":
                timing = replace(timing, lease=timedelta(seconds=float(value)))
            elif name == "sweep":
                timing = replace(timing, sweep_seconds=float(value))
            elif name == "retry":
                timing = replace(timing, retry_delays=tuple(float(v) for v in value.split("/")))
            elif name == "read":
                timing = replace(timing, read_delays=tuple(float(v) for v in value.split("/")))
            elif name == "workers":
                timing = replace(timing, workers=int(value))
            else:
                raise ValueError(f"{TIMING_ENV}: unknown setting {name!r}")
        return timing


class Poster(Protocol):
    async def wait_turn(self, urgent: bool = False) -> None:
        """Wait for a pacing slot (an urgent one goes before every waiting fan-out post)."""
        ...

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
        """Send now, without pacing (the caller took a slot); the new message's id. `remind`: a release id whose
        "Remind me" button goes under the post."""
        ...

    async def post(
        self, channel_id: int, content: str, nonce: str, role_id: int | None, *, urgent: bool = False
    ) -> int:
        """A slot, then the send: a one-off post."""
        ...

    async def find(self, channel_id: int, content: str, since: datetime) -> int | None:
        """The id of the bot's message with exactly this text posted since `since`, if any."""
        ...

    def cached_dm(self, user_id: int) -> int | None:
        """The id of the DM channel with a member, if it is known without a request."""
        ...

    async def open_dm(self, user_id: int) -> int:
        """Open the DM channel with a member (one request, not paced: the caller holds a slot); its id."""
        ...

    async def post_card(self, channel_id: int, card: LiveCard) -> int:
        """Send a live countdown message now (the caller took a slot); its id."""
        ...

    async def edit_card(self, channel_id: int, message_id: int, card: LiveCard) -> bool:
        """Edit it (the caller took a slot); False if it no longer exists (someone deleted it)."""
        ...

    async def delete_message(self, channel_id: int, message_id: int) -> None: ...


def job_id(release_id: str, key: str, at: datetime) -> str:
    return f"post:{release_id}:{key}@{int(at.timestamp())}"


def reminder_job_id(release_id: str, before: str, at: datetime) -> str:
    return f"remind:{release_id}:{before}@{int(at.timestamp())}"


def _dm_sub(release_id: str, now: datetime) -> Subscription:
    """The stand-in subscription of a DM reminder on the delivery queue: no server, no channel, no role."""
    return Subscription(DM_GUILD, release_id, 0, None, "UTC", None, False, None, now, now)


@dataclass
class Group:
    """One timer for one post of one release at one instant, for every server whose plan has it.

    Thousands of servers counting down to the same release share their milestone instants, so they share a
    job: memory and start-up grow with distinct instants, not with servers."""

    at: datetime
    release_id: str
    key: str
    guilds: ServerIds


@dataclass(frozen=True)
class Due:
    """A post of a subscription, as the scheduler holds it."""

    at: datetime
    key: str


@dataclass(slots=True)
class Outgoing:
    """A post of one server on the delivery queue: ~0.5 KiB with its subscription and post (servers of one
    zone share the post), so a fan-out's 10,000 waiting posts cost ~5 MiB, not a task or a claim each."""

    sub: Subscription
    post: PlannedPost
    late: bool = False  # sent after downtime: labelled so
    delivery: Delivery | None = None  # its claim, once there is one (a retry, or a claim taken over)
    attempt: int = 0
    reminder: Reminder | None = None  # a member's DM reminder (then `sub` is a stand-in for no server)


class BadSubscription(Exception):
    """A stored subscription whose settings do not parse."""


class Announcer:
    def __init__(
        self,
        store: Store,
        catalogue: Catalogue,
        settings: Settings,
        poster: Poster,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        timing: Timing | None = None,
    ) -> None:
        self.store = store
        self.catalogue = catalogue
        self.settings = settings
        self.poster = poster
        self.clock = clock
        self.timing = timing or Timing()
        # In-memory jobs only: they are rebuilt from storage at every start and never shared between processes.
        # misfire_grace_time=None: a job that fires late still runs, and the workers apply our own grace rules.
        # Several instances of one job id may run: a server re-scheduled while its job runs gets a new job with
        # the same id, which APScheduler would otherwise skip ("maximum number of running instances reached").
        self.scheduler = AsyncIOScheduler(
            timezone=UTC, job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1000}
        )
        self.guild_filter: Callable[[int], bool] = lambda guild_id: True  # shards: only the servers we own
        # A server's language (Discord's `preferred_locale`), for its channel posts and live messages; the
        # composition root wires it to the gateway's guild cache. None (unknown server): English.
        self.guild_locale: Callable[[int], Awaitable[str | None]] = _no_locale
        self.ready = asyncio.Event()  # set once recovery, catch-up and scheduling are done after `start()`
        self._queue: asyncio.Queue[Outgoing] = asyncio.Queue()
        self._workers: dict[asyncio.Task[None], bool] = {}  # worker -> busy with a post
        self._starting: asyncio.Task[None] | None = None
        # Timer callbacks running now (a fire, the sweep, the refresh): stop() lets them end before the database
        # goes, or an unclosed connection (aiosqlite's thread) would keep the process alive after SIGTERM.
        self._jobs: set[asyncio.Task[object]] = set()
        self._timers: set[asyncio.TimerHandle] = set()  # retries waiting for their moment
        self._stopping = False
        self._mine: set[int] = set()  # ledger ids this process is sending or will retry: not for the sweep
        self._groups: dict[str, Group] = {}  # job id -> the servers that job posts to
        self._reminder_jobs: dict[str, tuple[str, str, datetime]] = {}  # job id -> (release, before, due)
        # guild -> its time zone, for every reply: loaded in one query at start-up and at each daily refresh,
        # read again for a server whose settings change here, so commands never wait on storage. Once loaded, a
        # server missing from it has no zone set.
        self._zones: dict[int, str] = {}
        self._zones_loaded = False
        self._bad: dict[tuple[int, str], str] = {}  # (guild, release) -> why its stored settings do not parse
        # Releases servers added (/release add), by id: each server's own, loaded at start and whenever that
        # server's catalogue is read (every command reads it, cached briefly).
        self._server_releases: dict[str, Release] = {}
        self._guild_releases: dict[int, tuple[float, tuple[Release, ...]]] = {}  # guild -> (valid until, its own)
        self._live_tasks: set[asyncio.Task[None]] = set()

    # ---- the plan of one subscription ---------------------------------------------------------------------

    def release_of(self, sub: Subscription) -> Release | None:
        if sub.guild_id == DM_GUILD:  # a member's reminder (the stand-in of a DM), of any server's release
            return self.reminder_release(sub.release_id)
        return self.release_in(sub.guild_id, sub.release_id)

    def reminder_release(self, release_id: str) -> Release | None:
        """The release of a member's reminder: the operator's, or a server's own (set up from inside that server,
        so the member may see it), as long as it exists. Only the servers this process serves are known here; the
        process serving the others fires their reminders."""
        if is_server_release_id(release_id):
            return self._server_releases.get(release_id)
        return self.release_in(DM_GUILD, release_id)

    def release_in(self, guild_id: int, release_id: str) -> Release | None:
        """A release as one server sees it: the operator's, or that server's own (never another server's)."""
        if is_server_release_id(release_id):
            found = self._server_releases.get(release_id)
            return found if found is not None and found.guild_id == guild_id else None
        try:
            return self.catalogue.get(release_id)
        except UnknownRelease:
            return None

    async def load_releases(self, now: datetime | None = None) -> None:
        """Every server's own releases (of the servers this process serves), for the timers."""
        rows = await self.store.server_releases()
        self._server_releases = {r.id: r.release() for r in rows if self.guild_filter(r.guild_id)}
        self._guild_releases.clear()

    async def releases_of(self, guild_id: int, fresh: bool = False) -> tuple[Release, ...]:
        """One server's own releases, soonest first; cached briefly, as every slash command asks for them."""
        cached = self._guild_releases.get(guild_id)
        if cached is not None and cached[0] > time_module.monotonic() and not fresh:
            return cached[1]
        own = tuple(r.release() for r in await self.store.server_releases(guild_id))
        for release_id in [i for i, r in self._server_releases.items() if r.guild_id == guild_id]:
            del self._server_releases[release_id]
        self._server_releases.update((r.id, r) for r in own)
        self._guild_releases[guild_id] = (time_module.monotonic() + RELEASES_CACHE_SECONDS, own)
        return own

    async def catalogue_for(self, guild_id: int | None, now: datetime) -> Catalogue:
        """What one server's commands see: the operator's catalogue and that server's own releases."""
        if guild_id is None:
            return self.catalogue
        return self.catalogue.with_server_releases(await self.releases_of(guild_id), now)

    def _settings_of(self, sub: Subscription) -> tuple[ZoneInfo, time | None]:
        try:
            zone = ZoneInfo(sub.timezone)
        except (ValueError, KeyError) as exc:  # ZoneInfoNotFoundError is a KeyError
            raise BadSubscription(f"the stored time zone {sub.timezone!r} is not one I know") from exc
        if not sub.daily_time:
            return zone, None
        match = _DAILY.fullmatch(sub.daily_time)
        try:
            if match is None:
                raise ValueError
            return zone, time(int(match[1]), int(match[2]))
        except ValueError as exc:
            raise BadSubscription(f"the stored daily time {sub.daily_time!r} is not a time like 20:00") from exc

    def _unreadable(self, sub: Subscription, exc: Exception) -> None:
        reason = str(exc) if isinstance(exc, BadSubscription) else f"its settings could not be read ({exc})"
        self._bad[(sub.guild_id, sub.release_id)] = reason

    def plan(self, sub: Subscription, after: datetime) -> list[PlannedPost]:
        """The subscription's posts after `after`; none (and the subscription is paused) if it does not parse."""
        release = self.release_of(sub)
        if release is None:
            return []
        try:
            zone, daily = self._settings_of(sub)
            return build_plan(release, zone, daily, after, self.settings.milestones)
        except Exception as exc:  # one server's bad row never stops the others
            self._unreadable(sub, exc)
            return []

    def post(self, sub: Subscription, key: str) -> PlannedPost | None:
        """The subscription's post with this key, as its settings give it now."""
        release = self.release_of(sub)
        if release is None:
            return None
        try:
            zone, daily = self._settings_of(sub)
            return post_for_key(release, zone, daily, key, self.settings.milestones)
        except Exception as exc:
            self._unreadable(sub, exc)
            return None

    async def _pause_unreadable(self) -> None:
        """Pause each subscription found unreadable, with the reason: the bot goes on for everyone else."""
        for (guild_id, release_id), reason in list(self._bad.items()):
            why = f"{reason}; run /announce setup again"
            await self.store.set_paused(guild_id, True, why, self.clock(), release_id=release_id)
            del self._bad[(guild_id, release_id)]
            log.warning("server %s, release %s: announcements paused: %s", guild_id, release_id, why)

    def upcoming_release_ids(self, now: datetime) -> list[str]:
        """Releases that can still have posts due: the timers only ever need their subscriptions."""
        operator = [r.id for r in self.catalogue.releases if r.release_at > now]
        return operator + [r.id for r in self._server_releases.values() if r.release_at > now]

    def grace(self, kind: str) -> timedelta:
        return self.settings.premiere_grace if kind == "premiere" else self.settings.grace

    # ---- life cycle ---------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the workers, and recover -> catch up -> schedule in the background; returns at once."""
        self._start_workers()
        self._starting = asyncio.get_running_loop().create_task(self._start_up(), name="announcer start-up")

    def _start_workers(self) -> None:
        self._stopping = False
        for _ in range(self.timing.workers):
            self._workers[asyncio.get_running_loop().create_task(self._work(), name="post worker")] = False

    async def _start_up(self) -> None:
        began = time_module.perf_counter()
        now = self.clock()
        await self._with_retries("server releases", self.load_releases, now)
        await self._with_retries("time zones", self.load_zones, now)
        await self._with_retries("start-up", self.recover, now)
        await self._with_retries("catch-up", self.catch_up, now)
        await self._with_retries("reminder catch-up", self.catch_up_reminders, now)
        await self._with_retries("live messages", self.sync_live, now)
        await self._with_retries("scheduling", self.rebuild, now)
        log.info(
            "scheduled %d posts in %d timers in %.2f s",
            self.post_count(),
            self.job_count(),
            time_module.perf_counter() - began,
        )
        self.scheduler.add_job(
            self._refresh, "interval", hours=24, id="refresh", replace_existing=True, max_instances=1
        )
        # Another process (an old one in a rolling restart, or one that was killed) may leave claims behind.
        self.scheduler.add_job(
            self._sweep,
            "interval",
            seconds=self.timing.sweep_seconds,
            id="sweep",
            replace_existing=True,
            max_instances=1,
        )
        if not self.scheduler.running:
            self.scheduler.start()
        self.ready.set()

    async def _with_retries(self, what: str, step: Callable[[datetime], Awaitable[T]], now: datetime) -> T:
        """A storage step, retried with backoff until it succeeds (the database may be restarting). The same
        `now` throughout: catch-up and scheduling meet at one instant, so no post falls between them."""
        delays = self.timing.read_delays
        attempt = 0
        while True:
            try:
                return await step(now)
            except Exception as exc:
                delay = delays[min(attempt, len(delays) - 1)]
                attempt += 1
                log.warning("%s failed (%s); trying again in %s s", what, exc or type(exc).__name__, delay)
                await asyncio.sleep(delay)

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop timers, and let posts being sent record their outcome (the rest is caught up at the next start)."""
        self._stopping = True
        if self.scheduler.running:
            self.scheduler.pause()  # no new jobs; shutdown() would cancel the running ones
        if self._starting is not None:
            self._starting.cancel()
            await asyncio.gather(self._starting, return_exceptions=True)
        for timer in self._timers:
            timer.cancel()
        for task in list(self._live_tasks):
            task.cancel()
        await asyncio.gather(*self._live_tasks, return_exceptions=True)
        busy = [task for task, working in self._workers.items() if working]
        for task, working in self._workers.items():
            if not working:
                task.cancel()
        if busy:
            await asyncio.wait(busy, timeout=timeout)
        for task in self._workers:
            task.cancel()
        self._workers.clear()
        if self._jobs:
            await asyncio.wait(list(self._jobs), timeout=timeout)
        for job in list(self._jobs):
            job.cancel()
        await asyncio.gather(*self._jobs, return_exceptions=True)
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    @contextlib.contextmanager
    def _job(self) -> Iterator[None]:
        """Marks the running timer callback, so stop() can wait for it."""
        task = asyncio.current_task()
        if task is not None:
            self._jobs.add(task)
        try:
            yield
        finally:
            self._jobs.discard(task)

    async def _refresh(self) -> None:
        with self._job():
            await self.load_zones(self.clock())
            await self.rebuild(self.clock())

    async def load_zones(self, now: datetime) -> None:
        """Every server's time zone, in one read (the zone names are shared: ~100 bytes per server)."""
        zones = await self.store.guild_timezones()
        self._zones = {guild: sys.intern(zone) for guild, zone in zones.items()}
        self._zones_loaded = True

    async def _sweep(self) -> None:
        with self._job():
            await self.recover(self.clock())

    async def rebuild(self, now: datetime) -> None:
        """Derive every post job from storage again; the new timers are built before any old one is dropped."""
        await self.load_releases()
        subs = [
            s
            for s in await self.store.subscriptions(active_only=True, release_ids=self.upcoming_release_ids(now))
            if self.guild_filter(s.guild_id)
        ]
        settled = await self.store.settled_keys(due_after=now) if subs else set()
        fresh: dict[str, Group] = {}
        shared: dict[tuple[str, str, str | None], list[tuple[PlannedPost, str]]] = {}
        for sub in subs:
            self._plan_into(fresh, sub, now, settled, shared)
        for ident in list(self._groups):
            if ident not in fresh:
                self._remove_job(ident)
        for ident, group in fresh.items():
            current = self._groups.get(ident)
            if current is None:
                self._add_job(ident, group)
            else:  # in place: a job firing right now still finds its group
                current.guilds.clear()
                current.guilds.update(group.guilds)
        await self._pause_unreadable()
        await self.rebuild_reminders(now)

    async def reschedule_guild(self, guild_id: int) -> None:
        """After a settings change: that server's jobs, derived again from storage."""
        now = self.clock()
        await self.releases_of(guild_id, fresh=True)
        # All the server's ledger keys, not only those due from now on: a release moved later by /release edit
        # brings an already sent milestone back into the future, and it must not be planned (nor sent) again.
        settled = await self.store.settled_keys(guild_id=guild_id)
        subs = await self.store.subscriptions(guild_id, active_only=True, release_ids=self.upcoming_release_ids(now))
        zone = await self.store.guild_timezone(guild_id)
        self.unschedule_guild(guild_id)
        if zone is not None:
            self._zones[guild_id] = sys.intern(zone)
        fresh: dict[str, Group] = {}
        for sub in subs:
            self._plan_into(fresh, sub, now, settled)
        for ident, group in fresh.items():
            current = self._groups.get(ident)
            if current is None:
                self._add_job(ident, group)
            else:
                current.guilds.update(group.guilds)
        await self._pause_unreadable()

    async def forget_guild(self, guild_id: int) -> None:
        """The bot was removed from the server: its timers and data go, with members' reminders of its releases."""
        self.unschedule_guild(guild_id)
        own = [r.id for r in await self.store.server_releases(guild_id)]
        await self.store.forget_guild(guild_id)
        if own:
            await self.store.prune_reminders(own)
            await self.releases_of(guild_id, fresh=True)
            await self.rebuild_reminders(self.clock())

    def unschedule_guild(self, guild_id: int) -> None:
        self._zones.pop(guild_id, None)
        for job_id_, group in list(self._groups.items()):
            group.guilds.discard(guild_id)
            if not group.guilds:
                self._remove_job(job_id_)

    def _add_job(self, ident: str, group: Group) -> None:
        self._groups[ident] = group
        self.scheduler.add_job(
            self._fire, DateTrigger(group.at, timezone=UTC), id=ident, args=(ident,), replace_existing=True
        )

    def _remove_job(self, job_id_: str) -> None:
        self._groups.pop(job_id_, None)
        if self.scheduler.get_job(job_id_) is not None:
            self.scheduler.remove_job(job_id_)

    def _plan_into(
        self,
        groups: dict[str, Group],
        sub: Subscription,
        now: datetime,
        settled: set[tuple[int, str, str]],
        shared: dict[tuple[str, str, str | None], list[tuple[PlannedPost, str]]] | None = None,
    ) -> None:
        for post, ident in self._jobs_of(sub, now, {} if shared is None else shared):
            if (sub.guild_id, sub.release_id, post.key) not in settled:
                group = groups.get(ident)
                if group is None:  # (not setdefault: 10,000 servers would build 80,000 groups to keep 8)
                    group = groups[ident] = Group(post.at, sub.release_id, post.key, ServerIds())
                group.guilds.add(sub.guild_id)

    def _jobs_of(
        self, sub: Subscription, now: datetime, shared: dict[tuple[str, str, str | None], list[tuple[PlannedPost, str]]]
    ) -> list[tuple[PlannedPost, str]]:
        """The subscription's posts inside the horizon with their job ids, planned once per release, zone and
        daily time: the 10,000 servers counting down to one release in one zone share one plan (planning is most
        of the start-up's work)."""
        settings = (sub.release_id, sub.timezone, sub.daily_time)
        if settings in shared:
            return shared[settings]
        jobs = [
            (post, job_id(sub.release_id, post.key, post.at))
            for post in self.plan(sub, now)
            if post.at <= now + HORIZON
        ]
        if (sub.guild_id, sub.release_id) not in self._bad:  # a plan that failed is tried (and paused) per server
            shared[settings] = jobs
        return jobs

    # ---- members' DM reminders: one timer per (release, before) for all its members --------------------------

    async def rebuild_reminders(self, now: datetime) -> None:
        """Timers for every (release, before) that has reminders; reminders of releases long out are pruned."""
        known = (*self.catalogue.releases, *self._server_releases.values())
        gone = [r.id for r in known if now - r.release_at > self.settings.premiere_grace]
        if gone:
            await self.store.prune_reminders(gone)
        slots = await self.store.reminder_slots(self.upcoming_release_ids(now))
        fresh = {}
        for release_id, before in slots:
            release = self.release_of(_dm_sub(release_id, now))
            if release is None or before not in OFFSETS:
                continue
            at = due_at(release, before)
            if now < at <= now + HORIZON:
                fresh[reminder_job_id(release_id, before, at)] = (release_id, before, at)
        for ident, slot in fresh.items():
            if ident not in self._reminder_jobs:
                self._add_reminder_job(ident, slot)
        for ident in list(self._reminder_jobs):
            if ident not in fresh:
                self._reminder_jobs.pop(ident)
                if self.scheduler.get_job(ident) is not None:
                    self.scheduler.remove_job(ident)

    def schedule_reminder(self, reminder: Reminder) -> datetime | None:
        """After a member set a reminder: its (release, before) timer exists (shared with every other member)."""
        release = self.reminder_release(reminder.release_id)
        if release is None:  # a server's release this process does not serve: that server's process fires it
            return None
        at = due_at(release, reminder.before)
        ident = reminder_job_id(reminder.release_id, reminder.before, at)
        if ident not in self._reminder_jobs and at <= self.clock() + HORIZON:
            self._add_reminder_job(ident, (reminder.release_id, reminder.before, at))
        return at

    def _add_reminder_job(self, ident: str, slot: tuple[str, str, datetime]) -> None:
        self._reminder_jobs[ident] = slot
        self.scheduler.add_job(
            self._fire_reminders, DateTrigger(slot[2], timezone=UTC), id=ident, args=(ident,), replace_existing=True
        )

    def reminder_job_count(self) -> int:
        return len(self._reminder_jobs)

    async def _fire_reminders(self, ident: str) -> None:
        """A (release, before) moment came: queue one DM per member who asked, read from storage (retried)."""
        slot = self._reminder_jobs.get(ident)
        if slot is None:
            return
        release_id, before, at = slot
        delays = self.timing.read_delays
        attempt = 0
        while True:
            try:
                found = await self.store.reminders(release_id=release_id, before=before)
                break
            except Exception as exc:
                if self.clock() - at > self.grace(grace_kind(before)):
                    log.error(
                        "reminders %s of %s: storage unreadable past their grace window (%s)", before, release_id, exc
                    )
                    self._reminder_jobs.pop(ident, None)
                    return
                delay = delays[min(attempt, len(delays) - 1)]
                attempt += 1
                log.warning(
                    "reminders %s of %s: reading storage failed (%s); again in %s s", before, release_id, exc, delay
                )
                await asyncio.sleep(delay)
        self._reminder_jobs.pop(ident, None)
        for reminder in found:
            self._enqueue(self._reminder_item(reminder, at))

    def _reminder_item(self, reminder: Reminder, at: datetime, **fields: object) -> Outgoing:
        key = reminder_key(reminder.user_id, reminder.before)
        post = PlannedPost(at, grace_kind(reminder.before), key, LABELS[reminder.before])
        return Outgoing(_dm_sub(reminder.release_id, reminder.created_at), post, reminder=reminder, **fields)  # type: ignore[arg-type]

    async def _deliver_reminder(self, item: Outgoing, reminder: Reminder, release: Release) -> None:
        """Open the DM, claim, send, confirm: the channel posts' rules, to one member. The DM channel is opened
        before the claim (opening is idempotent, and takes a pacing slot of its own when it is a request), so a
        claim still means "being sent now", and the claim names the channel a reconciliation reads."""
        post = item.post
        now = self.clock()
        if item.delivery is None:
            if now - post.at > self.grace(post.kind):
                why = f"due {_ago(now - post.at)} ago, past its grace window"
                if await self.store.claim_reminder(reminder, post.at, now, state="skipped", detail=why):
                    self._outcome("skipped", item.sub, post.key, why)
                return
            try:
                channel_id = self.poster.cached_dm(reminder.user_id)
                if channel_id is None:
                    channel_id = await self.poster.open_dm(reminder.user_id)
                    await self.poster.wait_turn()  # the opening took this worker's slot
            except PostFailed as exc:
                await self._retry_or_give_up(item, str(exc))
                return
            except PostRejected as exc:
                if await self.store.claim_reminder(reminder, post.at, now, state="failed", detail=str(exc)):
                    self._outcome("failed", item.sub, post.key, str(exc))
                return
            now = self.clock()
            text = reminder_text(release, reminder.before, late=item.late, locale=reminder.locale)
            item.delivery = await self.store.claim_reminder(
                reminder,
                post.at,
                now,
                channel_id=channel_id,
                late=item.late,
                content=text,
                lease_until=now + self.timing.lease,
            )
            if item.delivery is None:
                return  # another path or process has it
            self._mine.add(item.delivery.id)
        delivery = item.delivery
        try:
            if await self._settled_by_reconciling(item, release):
                return
            assert delivery.content is not None
            message_id = await self.poster.send(delivery.channel_id, delivery.content, delivery.nonce, None)
        except DmClosed as exc:  # never retried: the member is told once, the next time they use the bot
            await self._finish(item, "failed", str(exc))
            await self.store.add_notice(reminder.user_id, dm_closed_notice(release, reminder.locale), self.clock())
        except PostRejected as exc:
            await self._finish(item, "failed", str(exc))
        except PostFailed as exc:
            await self._retry_or_give_up(item, str(exc))
        else:
            await self._finish_sent(item, message_id)

    def job_count(self) -> int:
        return len(self._groups)

    def post_count(self) -> int:
        """Posts with a timer: one per server in each job."""
        return sum(len(g.guilds) for g in self._groups.values())

    def queued(self) -> int:
        """Posts due and waiting for a worker."""
        return self._queue.qsize()

    async def guild_zone(self, guild_id: int) -> str | None:
        """The server's time zone, for replies: from memory, as every slash command asks for it."""
        zone = self._zones.get(guild_id)
        if zone is not None or self._zones_loaded:
            return zone
        return await self.store.guild_timezone(guild_id)  # start-up has not loaded them yet

    def scheduled(self, guild_id: int) -> list[Due]:
        """The posts one server has timers for, in time order: what the tests compare with the plan."""
        found = [Due(g.at, g.key) for g in self._groups.values() if guild_id in g.guilds]
        return sorted(found, key=lambda d: d.at)

    # ---- delivery -----------------------------------------------------------------------------------------

    async def _fire(self, ident: str) -> None:
        """A job's moment came: read the truth from storage (one query for all its servers), and queue a post
        for each server. The group is dropped only once the read succeeded: a database hiccup delays the posts,
        it does not lose them."""
        with self._job():
            await self._fire_group(ident)

    async def _fire_group(self, ident: str) -> None:
        group = self._groups.get(ident)
        if group is None:
            return
        delays = self.timing.read_delays
        attempt = 0
        while True:
            try:
                subs = await self.store.subscriptions(release_id=group.release_id, active_only=True)
                break
            except Exception as exc:
                if self.clock() - group.at > self.grace(group.key.partition(":")[0]):
                    log.error(
                        "posts %s of %s: storage unreadable until past their grace window (%s); "
                        "the next start records them as skipped",
                        group.key,
                        group.release_id,
                        exc,
                    )
                    if self._groups.get(ident) is group:
                        del self._groups[ident]
                    return
                delay = delays[min(attempt, len(delays) - 1)]
                attempt += 1
                log.warning(
                    "posts %s of %s: reading storage failed (%s); trying again in %s s",
                    group.key,
                    group.release_id,
                    exc or type(exc).__name__,
                    delay,
                )
                await asyncio.sleep(delay)
        if self._groups.get(ident) is group:
            del self._groups[ident]
        if not group.key.startswith("daily:"):  # the live messages move on at each milestone and the premiere
            self._live_task(group.release_id, max(self.clock(), group.at))
        posts: dict[tuple[str, str | None], PlannedPost] = {}  # one per zone and daily time, shared
        for sub in subs:
            if sub.guild_id not in group.guilds or not self.guild_filter(sub.guild_id):
                continue
            post = posts.get((sub.timezone, sub.daily_time)) or self.post(sub, group.key)
            if post is not None:  # (a subscription that does not parse is recorded by `post`, one by one)
                posts[(sub.timezone, sub.daily_time)] = post
            if post is None or post.at != group.at:
                continue  # the settings changed under the job; the server's new jobs carry the new plan
            self._enqueue(Outgoing(sub, post))
        await self._pause_unreadable()

    def _enqueue(self, item: Outgoing) -> None:
        self._queue.put_nowait(item)
        QUEUE_DEPTH.set(self._queue.qsize())

    async def _work(self) -> None:
        me = asyncio.current_task()
        assert me is not None
        while not self._stopping:
            item = await self._queue.get()
            QUEUE_DEPTH.set(self._queue.qsize())
            await self.poster.wait_turn()  # the pacing slot first: a claim always means "being sent now"
            if self._stopping:
                return  # nothing claimed: the next start catches it up
            self._workers[me] = True
            try:
                await self._deliver(item)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # storage down, a bug: this post is retried, the other posts go on
                log.exception(
                    "server %s: post %s of %s: unexpected error", item.sub.guild_id, item.post.key, item.sub.release_id
                )
                await self._retry_or_give_up(item, f"{type(exc).__name__}: {exc}")
            finally:
                self._workers[me] = False

    async def _text(self, sub: Subscription, release: Release, post: PlannedPost, late: bool) -> str:
        """The post in the server's language as it is now. It is stored with the claim, and a retry sends the
        stored text: a language changed between the claim and a retry cannot make a second, different post."""
        text = post_text(release, post, late=late, locale=await self.guild_locale(sub.guild_id))
        return f"<@&{sub.role_id}> {text}" if sub.role_id else text

    async def _deliver(self, item: Outgoing) -> None:
        """Claim, send, confirm (the worker holds a pacing slot)."""
        sub, post = item.sub, item.post
        release = self.release_of(sub)
        if release is None:
            return
        if item.reminder is not None:
            await self._deliver_reminder(item, item.reminder, release)
            return
        now = self.clock()
        if item.delivery is None:
            if now - post.at > self.grace(post.kind):
                why = f"due {_ago(now - post.at)} ago, past its grace window"
                if await self.store.claim(sub, post.key, post.at, now, state="skipped", detail=why):
                    self._outcome("skipped", sub, post.key, why)
                return
            text = await self._text(sub, release, post, item.late)
            item.delivery = await self.store.claim(
                sub, post.key, post.at, now, late=item.late, content=text, lease_until=now + self.timing.lease
            )
            if item.delivery is None:
                return  # another path or process has it
            self._mine.add(item.delivery.id)
        try:
            if await self._settled_by_reconciling(item, release):
                return
            delivery = item.delivery
            assert delivery is not None and delivery.content is not None
            # Members can ask for their own DM from the post, until the release is out.
            remind = sub.release_id if post.kind != "premiere" else None
            message_id = await self.poster.send(
                delivery.channel_id,
                delivery.content,
                delivery.nonce,
                sub.role_id,
                remind=remind,
                locale=await self.guild_locale(sub.guild_id),
            )
        except PostRejected as exc:
            reason = str(exc)
            await self._finish(item, "failed", reason)
            channel_id = item.delivery.channel_id if item.delivery is not None else sub.channel_id
            await self.store.set_paused(sub.guild_id, True, reason, self.clock(), channel_id=channel_id)
            await self.reschedule_guild(sub.guild_id)
            log.warning("server %s: announcements paused: %s", sub.guild_id, reason)
        except PostFailed as exc:
            await self._retry_or_give_up(item, str(exc))
        else:
            await self._finish_sent(item, message_id)

    async def _settled_by_reconciling(self, item: Outgoing, release: Release) -> bool:
        """Before sending an existing claim again: past the nonce window, look for it in its channel first.
        True when that settled the post (found, or too late to send)."""
        delivery = item.delivery
        assert delivery is not None
        if delivery.content is None:  # a claim from before the text was stored
            delivery.content = await self._text(item.sub, release, item.post, delivery.late)
        reminder = item.reminder
        if self.clock() - delivery.claimed_at <= self.timing.nonce_window:
            return False  # Discord still deduplicates the nonce: sending again is safe
        try:
            found = await self.poster.find(delivery.channel_id, delivery.content, delivery.claimed_at)
        except PostUnverifiable as exc:  # sending blind could make a second copy: the one thing never allowed
            await self._finish(item, "skipped", f"{exc}; not sent again, so it cannot appear twice")
            return True
        if found is not None:
            await self._finish_sent(item, found, "found in its channel")
            return True
        now = self.clock()
        if now - item.post.at > self.grace(item.post.kind):
            await self._finish(
                item, "skipped", f"never arrived, and is now {_ago(now - item.post.at)} late: past its grace window"
            )
            return True
        if item.late and not delivery.late:  # sent only now, after the bot was down: say so
            delivery.content = (
                reminder_text(release, reminder.before, late=True, locale=reminder.locale)
                if reminder is not None
                else await self._text(item.sub, release, item.post, True)
            )
            delivery.late = True
            await self.store.rewrite(delivery.id, delivery.content, late=True)
        await self.poster.wait_turn()  # the read took the slot
        return False

    async def _retry_or_give_up(self, item: Outgoing, error: str) -> None:
        """Again later with the same claim (and nonce), while attempts remain inside the post's grace window."""
        delays = self.timing.retry_delays
        now = self.clock()
        if item.attempt < len(delays):
            delay = delays[item.attempt]
            if now + timedelta(seconds=delay) - item.post.at <= self.grace(item.post.kind):
                item.attempt += 1
                try:
                    if item.delivery is not None:  # no sweep takes it while we wait
                        await self.store.extend_lease(
                            item.delivery.id, now + timedelta(seconds=delay) + self.timing.lease
                        )
                except Exception as exc:  # the sweep may take it over then, and reconcile it
                    log.warning(
                        "server %s: could not extend the claim of post %s: %s", item.sub.guild_id, item.post.key, exc
                    )
                log.info(
                    "server %s: post %s of %s failed (%s); retry %d in %s s",
                    item.sub.guild_id,
                    item.post.key,
                    item.sub.release_id,
                    error,
                    item.attempt,
                    delay,
                )
                self._later(delay, item)
                return
        reason = f"gave up after {item.attempt + 1} tries: {error}"
        if item.delivery is None:
            self._outcome("failed", item.sub, item.post.key, reason + " (never claimed; caught up at next start)")
            return
        try:
            await self._finish(item, "failed", reason)
        except Exception as exc:  # storage down: the claim stays, its lease runs out, a sweep reconciles it
            log.error("server %s: post %s: could not record the failure: %s", item.sub.guild_id, item.post.key, exc)

    def _later(self, delay: float, item: Outgoing) -> None:
        """Back on the queue after `delay` (a timer, not a task: a waiting retry costs next to nothing)."""

        def due() -> None:
            self._timers.discard(timer)
            if not self._stopping:
                self._enqueue(item)

        timer = asyncio.get_running_loop().call_later(delay, due)
        self._timers.add(timer)

    async def _finish_sent(self, item: Outgoing, message_id: int, how: str = "") -> None:
        delivery = item.delivery
        assert delivery is not None
        now = self.clock()
        await self.store.finish(delivery.id, "sent", now, message_id=message_id)
        self._mine.discard(delivery.id)
        DELIVERY_DELAY.observe(max(0.0, (now - item.post.at).total_seconds()))
        self._outcome("late" if delivery.late else "sent", item.sub, item.post.key, how or None)

    async def _finish(self, item: Outgoing, state: str, why: str) -> None:
        delivery = item.delivery
        assert delivery is not None
        await self.store.finish(delivery.id, state, self.clock(), detail=why)
        self._mine.discard(delivery.id)
        self._outcome(state, item.sub, item.post.key, why)

    def _outcome(self, outcome: str, sub: Subscription, key: str, why: str | None) -> None:
        """One log line and one count per post outcome: sent | late | skipped | failed."""
        POSTS.labels(outcome=outcome).inc()
        level = logging.WARNING if outcome == "failed" else logging.INFO
        where = "DM reminder" if sub.guild_id == DM_GUILD else f"server {sub.guild_id}"
        log.log(
            level, "post %s: %s, release %s, post %s%s", outcome, where, sub.release_id, key, f": {why}" if why else ""
        )

    # ---- live countdown messages --------------------------------------------------------------------------

    def _live_task(self, release_id: str, now: datetime) -> None:
        task = asyncio.get_running_loop().create_task(self._sync_live_logged(release_id, now), name="live messages")
        self._live_tasks.add(task)
        task.add_done_callback(self._live_tasks.discard)

    async def _sync_live_logged(self, release_id: str, now: datetime) -> None:
        try:
            await self.sync_live(now, release_id)
        except Exception:  # storage down: the next milestone (or the next start) brings them up to date
            log.exception("live messages of %s: could not be updated", release_id)

    async def sync_live(self, now: datetime, release_id: str | None = None) -> None:
        """Bring every live message (of a release) to the stage it should show at `now`; one edit each, paced
        like posts. A message someone deleted is posted again (and `/announce status` says so)."""
        for row in await self.store.live_messages(release_id=release_id):
            release = self.release_in(row.guild_id, row.release_id)
            if release is None or not self.guild_filter(row.guild_id):
                continue
            stage = live_stage(release, self.settings.milestones, now)
            if stage != row.stage:
                await self.update_live(row, release, stage, now)

    async def update_live(self, row: LiveMessage, release: Release, stage: str, now: datetime) -> LiveMessage:
        card = live_card(release, stage, await self.guild_locale(row.guild_id))
        try:
            await self.poster.wait_turn()
            if await self.poster.edit_card(row.channel_id, row.message_id, card):
                new = replace(row, stage=stage)
            else:
                await self.poster.wait_turn()
                new = replace(row, message_id=await self.poster.post_card(row.channel_id, card), stage=stage)
                new = replace(new, replaced_at=now)
                log.info("server %s: the live message of %s was deleted; posted a new one", row.guild_id, release.id)
        except (PostRejected, PostFailed) as exc:
            log.warning("server %s: live message of %s not updated: %s", row.guild_id, release.id, exc)
            return row
        await self.store.save_live(new, now)
        return new

    # ---- after a restart ----------------------------------------------------------------------------------

    async def recover(self, now: datetime) -> None:
        """Claims whose sender's lease ran out (a process died mid-send): take each over and reconcile it.

        Claims of a live process (its lease still running, or this process's own) are left alone."""
        claims = [
            d
            for d in await self.store.unfinished_claims(lease_expired_at=now)
            if self.guild_filter(d.guild_id) and d.id not in self._mine
        ]
        if not claims:
            return
        subs = {(s.guild_id, s.release_id): s for s in await self.store.subscriptions()}
        for delivery in claims:
            if delivery.user_id is not None:
                await self._recover_reminder(delivery, now)
                continue
            sub = subs.get((delivery.guild_id, delivery.release_id))
            post = self.post(sub, delivery.post_key) if sub is not None and not sub.paused else None
            if sub is None or post is None:
                if await self.store.take_over(delivery, now + self.timing.lease):
                    why = (
                        "announcements were turned off"
                        if sub is None or sub.paused
                        else self._bad.get((sub.guild_id, sub.release_id), "no longer in the plan")
                    )
                    await self.store.finish(delivery.id, "skipped", now, detail=why)
                    if sub is not None:
                        self._outcome("skipped", sub, delivery.post_key, why)
                continue
            if await self.store.take_over(delivery, now + self.timing.lease):
                self._mine.add(delivery.id)
                self._enqueue(Outgoing(sub, post, late=True, delivery=delivery))
        await self._pause_unreadable()

    async def _recover_reminder(self, delivery: Delivery, now: datetime) -> None:
        parsed = parse_key(delivery.post_key)
        wanted = await self.store.reminders(delivery.user_id, delivery.release_id, parsed[1] if parsed else None)
        release = self.release_of(_dm_sub(delivery.release_id, now))
        if not wanted or release is None:
            if await self.store.take_over(delivery, now + self.timing.lease):
                await self.store.finish(delivery.id, "skipped", now, detail="the reminder was cancelled")
            return
        if await self.store.take_over(delivery, now + self.timing.lease):
            self._mine.add(delivery.id)
            self._enqueue(self._reminder_item(wanted[0], delivery.due_at, late=True, delivery=delivery))

    async def catch_up_reminders(self, now: datetime) -> None:
        """Reminders missed while offline: sent once, marked late, inside the grace window; else skipped."""
        known = (*self.catalogue.releases, *self._server_releases.values())  # a server's own releases too
        near = any(r.release_at - max(OFFSETS.values()) <= now for r in known)
        found = await self.store.reminders() if near else []
        if not found:
            return
        settled = await self.store.settled_keys(guild_id=DM_GUILD)
        for reminder in found:
            release = self.release_of(_dm_sub(reminder.release_id, now))
            if release is None:
                continue
            at = due_at(release, reminder.before)
            key = reminder_key(reminder.user_id, reminder.before)
            if at > now or reminder.created_at >= at or (DM_GUILD, reminder.release_id, key) in settled:
                continue
            item = self._reminder_item(reminder, at, late=True)
            if now - at <= self.grace(item.post.kind):
                self._enqueue(item)
            else:
                why = f"missed while the bot was offline ({_ago(now - at)} ago, past its grace window)"
                if await self.store.claim_reminder(reminder, at, now, state="skipped", detail=why):
                    self._outcome("skipped", item.sub, key, why)

    async def catch_up(self, now: datetime) -> None:
        """Posts missed while offline: the latest one inside its grace window is sent, marked late; the rest
        are recorded as skipped. A server never gets a flood."""
        # A server whose premiere post is in the ledger is done with that release (every earlier post was settled
        # as it fell due, or by the catch-up of a restart before it): a finished release's history is not read.
        released = [r.id for r in self.catalogue.releases if r.release_at <= now]
        released += [r.id for r in self._server_releases.values() if r.release_at <= now]
        subs = [
            s
            for s in await self.store.subscriptions(active_only=True, unless_premiered=released)
            if self.guild_filter(s.guild_id)
        ]
        if not subs:
            return
        settled = await self.store.settled_keys(
            due_after=min(s.created_at for s in subs), release_ids=sorted({s.release_id for s in subs})
        )
        earliest = min(s.created_at for s in subs)
        shared: dict[tuple[str, str, str | None], list[PlannedPost]] = {}  # plans after `earliest`, shared
        for sub in subs:
            settings = (sub.release_id, sub.timezone, sub.daily_time)
            plan = shared.get(settings)
            if plan is None:
                plan = self.plan(sub, earliest)
                if (sub.guild_id, sub.release_id) not in self._bad:
                    shared[settings] = plan
            missed = [  # the plan after `earliest`, from the subscription's creation on: its own plan
                p for p in plan if sub.created_at < p.at <= now and (sub.guild_id, sub.release_id, p.key) not in settled
            ]
            if not missed:
                continue
            in_grace = [p for p in missed if now - p.at <= self.grace(p.kind)]
            send = in_grace[-1] if in_grace else None
            for post in missed:
                if post is send:
                    continue
                why = (
                    "superseded by a later post"
                    if now - post.at <= self.grace(post.kind)
                    else f"missed while the bot was offline ({_ago(now - post.at)} ago, past its grace window)"
                )
                if await self.store.claim(sub, post.key, post.at, now, state="skipped", detail=why):
                    self._outcome("skipped", sub, post.key, why)
            if send is not None:
                self._enqueue(Outgoing(sub, send, late=True))
        await self._pause_unreadable()


async def _no_locale(guild_id: int) -> str | None:
    return None


def _ago(delta: timedelta) -> str:
    hours, rest = divmod(int(delta.total_seconds()), 3600)
    return f"{hours} h {rest // 60} min" if hours else f"{rest // 60} min {rest % 60} s"


__all__: Sequence[str] = ("Announcer", "Poster", "Timing")
