"""The real bot against the sandbox, in the test's event loop."""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import bot as bot_package
from bot.app import start_in_process
from bot.config import PACKAGED_CONFIG_DIR, Config
from bot.discord.client import ReleaseBot
from bot.sandbox.server import Sandbox
from bot.scheduling.announcer import TIMING_ENV, Timing
from bot.storage.database import create_engine, upgrade
from bot.storage.repository import Store
from tests.conftest import ROOT


@dataclass
class Server:
    """A sandbox server with a general channel, an admin and a member, and the bot in it."""

    sandbox: Sandbox
    bot: ReleaseBot
    ids: dict[str, Any]

    @property
    def guild_id(self) -> str:
        return self.ids["guild_id"]

    def channel(self, name: str = "general") -> str:
        return self.ids["channels"][name]

    def member(self, name: str) -> str:
        return self.ids["members"][name]

    async def slash(self, command: str, user: str = "ada", channel: str = "general", **kw: Any) -> dict[str, Any]:
        return await self.sandbox.interact(self.guild_id, self.channel(channel), self.member(user), command, **kw)


async def join_guild(sandbox: Sandbox, bot: ReleaseBot, name: str, **kw: Any) -> dict[str, Any]:
    """Create a server with the bot in it and wait until the bot has seen its GUILD_CREATE."""
    waiter = bot.loop.create_task(bot.wait_for("guild_join", timeout=5))
    ids = await sandbox.create_guild(name, **kw)
    guild = await waiter
    assert str(guild.id) == ids["guild_id"]
    return ids


@pytest.fixture
async def sandbox(request: pytest.FixtureRequest) -> AsyncIterator[Sandbox]:
    """The sandbox; a test may pass its options with `@pytest.mark.parametrize("sandbox", [{...}], indirect=True)`."""
    server = Sandbox(**getattr(request, "param", {}))
    await server.start()
    yield server
    await server.stop()
    found = [{k: v for k, v in violation.items() if k != "body"} for violation in server.violations]
    assert found == [], json.dumps(found, indent=1)[:4000]


@pytest.fixture
def bot_config(config: Config, tmp_path) -> Config:
    """The shipped catalogue, with a database of the test's own."""
    return replace(
        config, settings=replace(config.settings, database_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}")
    )


Launch = Callable[[Config], Awaitable[ReleaseBot]]


@pytest.fixture
async def launch(sandbox: Sandbox) -> AsyncIterator[Launch]:
    """Start the real bot on the sandbox (as many times as a test needs); all are closed at the end."""
    bots: list[ReleaseBot] = []

    async def start(config: Config) -> ReleaseBot:
        # The bot's own backoff shortened, as in the process tests: no test waits real seconds for a retry.
        bot = await start_in_process(config, sandbox.url, timing=Timing(retry_delays=FAST_RETRIES))
        bots.append(bot)
        await bot.tree.sync()
        if bot.announcer is not None:  # recovery, catch-up and scheduling run in the background: let them end
            await asyncio.wait_for(bot.announcer.ready.wait(), 30)
        return bot

    yield start
    for bot in bots:
        await bot.close()
    await _no_task_left_behind()


async def _no_task_left_behind(timeout: float = 10.0) -> None:
    """The bots' close waits for the work it stops, so nothing of theirs is left for the event loop's teardown: that
    teardown cancels every task at once and waits for them all, and a run once stalled there for ever (a close of a
    SQLite connection, cancelled mid-way, that could not end). Tasks still running here are cancelled one at a time,
    each waited for; a task of the bot's own code among them, or one that does not end when cancelled, fails the test
    with its stack (in the report: output printed by a stalled run is never shown)."""
    me = asyncio.current_task()
    left = [task for task in asyncio.all_tasks() if task is not me and not task.done()]
    of_the_bot = [task for task in left if _runs_bot_code(task)]
    stuck: list[asyncio.Task[Any]] = []
    for task in left:
        task.cancel()
        _, pending = await asyncio.wait([task], timeout=timeout)
        stuck.extend(pending)
    problems = [f"the bots' close left this task running: {_described(task)}" for task in of_the_bot]
    problems += [f"this task did not end within {timeout:g} s of being cancelled: {_described(task)}" for task in stuck]
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


BOT_CODE = Path(bot_package.__file__).parent


def _runs_bot_code(task: asyncio.Task[Any]) -> bool:
    """Whether the task runs a coroutine of the bot (not of the sandbox, discord.py or a library)."""
    code = getattr(task.get_coro(), "cr_code", None)
    path = Path(code.co_filename) if code is not None else None
    return path is not None and path.is_relative_to(BOT_CODE) and not path.is_relative_to(BOT_CODE / "sandbox")


def _described(task: asyncio.Task[Any]) -> str:
    stack = io.StringIO()
    task.print_stack(file=stack)
    return f"{task!r}\n{stack.getvalue()}"


@pytest.fixture
async def running_bot(launch: Launch, bot_config: Config) -> ReleaseBot:
    return await launch(bot_config)


@pytest.fixture
async def server(sandbox: Sandbox, running_bot: ReleaseBot) -> Server:
    ids = await join_guild(
        sandbox,
        running_bot,
        "Lamplight Readers",
        channels=["general", "announcements"],
        members=[{"name": "ada", "admin": False}, {"name": "grace", "admin": True}],
    )
    return Server(sandbox, running_bot, ids)


def time_comes(bot: ReleaseBot, at: datetime) -> None:
    """The moment `at` comes for a bot running in the test's loop, at once and exactly: its announcer's clock says
    `at` from now on, and every timer due by then fires now (the timers keep APScheduler's wall clock, so each is
    told to run now). A test sets its release an hour away, sets up at leisure, then lets the moment come: it never
    waits real seconds for it, and a slow machine cannot make the setup miss it."""
    announcer = bot.announcer
    assert announcer is not None
    announcer.clock = lambda: at
    due = [job for job in announcer.scheduler.get_jobs() if job.next_run_time is not None and job.next_run_time <= at]
    assert due, f"no timer is due by {at.isoformat()}"
    for job in due:
        job.modify(next_run_time=datetime.now(UTC))


async def seeded_store(database_url: str) -> Store:
    """The bot's storage, migrated, for a test to write what a bot would have written."""
    engine = create_engine(database_url)
    await upgrade(engine)
    return Store(engine)


async def subscribe(database_url: str, servers: list[dict[str, Any]], since: datetime) -> None:
    """Each server counts down to The Lighthouse Keeper in its #general (UTC, no daily post), set up at `since`:
    written to storage directly, as if by a bot that was running then."""
    store = await seeded_store(database_url)
    for server in servers:
        await store.save_subscription(
            int(server["guild_id"]),
            "the-lighthouse-keeper",
            int(server["channels"]["general"]),
            None,
            "UTC",
            None,
            since,
        )
    await store.engine.dispose()


def write_config(
    directory: Path, release_at: datetime, milestones: tuple[str, ...] = ("2s",), posts_per_second: float | None = None
) -> Path:
    catalogue = (PACKAGED_CONFIG_DIR / "releases.toml").read_text()
    catalogue = catalogue.replace('featured = "all-the-light-we-cannot-see"', 'featured = "the-lighthouse-keeper"')
    catalogue += (
        f'\n[[release]]\nid = "the-lighthouse-keeper"\ntitle = "The Lighthouse Keeper"\nkind = "film"\n'
        f'network = "Netflix"\nrelease_at = "{release_at.isoformat()}"\ntimezone = "UTC"\n'
    )
    (directory / "releases.toml").write_text(catalogue)
    settings = f'[announcements]\nmilestones = {json.dumps(list(milestones))}\ngrace = "1h"\n'
    if posts_per_second is not None:
        settings += f"posts_per_second = {posts_per_second}\n"
    (directory / "settings.toml").write_text(settings)
    return directory


# Bot processes in tests: abandoned claims are swept within a second, retries come within a second; Discord's
# nonce memory stays as in production unless a test shortens it.
FAST_RETRIES = (0.2, 0.4, 0.8)
FAST_TIMING = "lease=1,sweep=0.2,retry=0.2/0.4/0.8,read=0.1/0.5"


async def start_bot(
    sandbox: Sandbox, config_dir: Path, database_url: str, *args: str, timing: str = FAST_TIMING
) -> asyncio.subprocess.Process:
    """`release-bot run --sandbox URL [args]` as its own process, as an operator would start it.

    Its stderr goes to `config_dir/bot-N.stderr` (shown when the test fails). Returns once it has identified on
    the gateway (all its shards)."""
    env = {**os.environ, "DATABASE_URL": database_url, TIMING_ENV: timing}
    env.pop("DISCORD_TOKEN", None)
    identified = sandbox.gateway.identifies
    shards = len(args[args.index("--shard-ids") + 1].split(",")) if "--shard-ids" in args else 1
    stderr = (config_dir / f"bot-{len(list(config_dir.glob('bot-*.stderr')))}.stderr").open("wb")
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            "--sandbox",
            sandbox.url,
            "--config",
            str(config_dir),
            *args,
            env=env,
            cwd=ROOT,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=stderr,
        )
    finally:
        stderr.close()
    async with sandbox.gateway.identified:
        await asyncio.wait_for(
            sandbox.gateway.identified.wait_for(lambda: sandbox.gateway.identifies >= identified + shards), 30
        )
    return process


async def stop_bot(
    process: asyncio.subprocess.Process, sig: signal.Signals = signal.SIGTERM, timeout: float = 30.0
) -> int:
    """Signal a bot process and wait for it to exit. One that has not exited in time is killed and the test fails:
    a bot that does not stop on SIGTERM is a bug an operator would meet (and a test must never hang on it)."""
    if process.returncode is None:
        process.send_signal(sig)
    try:
        return await asyncio.wait_for(process.wait(), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise AssertionError(f"the bot process did not exit within {timeout:g} s of {sig.name}") from None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """A failed test that drove bot processes shows their stderr."""
    outcome = yield
    report = outcome.get_result()
    tmp_path = getattr(item, "funcargs", {}).get("tmp_path")
    if report.failed and tmp_path is not None:
        for path in sorted(Path(tmp_path).rglob("bot-*.stderr")):
            report.sections.append((f"bot process stderr: {path.name}", path.read_text(errors="replace")[-20000:]))


async def next_posts(queue: asyncio.Queue, count: int, timeout: float = 45.0) -> list[dict]:
    """Wait for `count` channel messages, as they are created (no sleeping and hoping)."""
    return [await asyncio.wait_for(queue.get(), timeout) for _ in range(count)]


async def wait_until(read, ready, timeout: float = 30.0):  # type: ignore[no-untyped-def]
    """Poll storage until a condition holds (storage has no events to await); fails loudly at the deadline."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await read()
        if ready(value):
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout} s; last value: {value!r}")
        await asyncio.sleep(0.05)
