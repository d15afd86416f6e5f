"""What an operator sees from `release-bot run` as a process: its log, its metrics, its shutdown, its errors."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.sandbox.server import Sandbox
from tests.conftest import ROOT
from tests.e2e.conftest import next_posts, write_config

SECRET = "MTAx.this-is-the-operators-real-token.do-not-leak"
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (DEBUG|INFO|WARNING|ERROR|CRITICAL) +[\w.]+: ")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class BotProcess:
    """`release-bot …` as its own process, stderr kept in a file and shown when the test fails."""

    def __init__(self, tmp_path: Path) -> None:
        self.stderr_path = tmp_path / "bot.stderr"
        self.process: asyncio.subprocess.Process | None = None

    async def start(self, *args: str, **env: str) -> asyncio.subprocess.Process:
        environment = {**os.environ, "DISCORD_TOKEN": SECRET, **env}
        with self.stderr_path.open("wb") as stderr:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                *args,
                cwd=ROOT,
                env=environment,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=stderr,
            )
        return self.process

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    async def logged(self, text: str, timeout: float = 60.0) -> None:
        """Until the bot's log says `text` (it has no other way to tell a test it is ready)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while text not in self.stderr:
            assert asyncio.get_running_loop().time() < deadline, f"the bot never logged {text!r}:\n{self.stderr}"
            await asyncio.sleep(0.05)


@pytest.fixture
async def bot_process(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[BotProcess]:
    bot = BotProcess(tmp_path)
    yield bot
    if bot.process is not None and bot.process.returncode is None:
        bot.process.kill()
        await bot.process.wait()
    if bot.process is not None:
        print(f"--- the bot's stderr ({bot.stderr_path}) ---\n{bot.stderr[-6000:]}")


async def answered(sandbox: Sandbox, guild: str, channel: str, user: str, command: str) -> dict:
    """A slash command, retried while the bot is still starting (nobody answers yet)."""
    for _ in range(60):
        try:
            return await sandbox.interact(guild, channel, user, command)
        except Exception as exc:  # the sandbox raises when no response came in time
            last = exc
        await asyncio.sleep(0.5)
    raise AssertionError(f"the bot never answered {command}: {last}")


async def test_run_logs_plainly_serves_metrics_and_stops_cleanly_on_sigterm(
    sandbox: Sandbox, bot_process: BotProcess, tmp_path: Path
) -> None:
    # A separate process keeps the real clock: 20 s leave a loaded machine time to start it and set up (at 8 s a
    # slow start met a premiere already past, and the setup was refused).
    release_at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=20)
    config_dir = write_config(tmp_path, release_at)  # one milestone, 2 s before
    ids = await sandbox.create_guild("Ops", ["general", "announcements"], [{"name": "grace", "admin": True}])
    sync = await bot_process.start("sync", "--sandbox", sandbox.url)
    assert await asyncio.wait_for(sync.wait(), 60) == 0, bot_process.stderr
    port = free_port()
    process = await bot_process.start(
        "run",
        "--sandbox",
        sandbox.url,
        "--config",
        str(config_dir),
        "--metrics-port",
        str(port),
        DATABASE_URL=f"sqlite:///{tmp_path / 'bot.sqlite3'}",
    )
    queue = sandbox.listen()
    await bot_process.logged("scheduled 0 posts")  # connected, recovered, caught up: a loaded machine is slow
    reply = await answered(
        sandbox,
        ids["guild_id"],
        ids["channels"]["general"],
        ids["members"]["grace"],
        "/announce setup channel:#announcements release:the-lighthouse-keeper",
    )
    assert "✅" in reply["data"]["embeds"][0]["description"], reply
    # A post arrived: a timer ran (on a slow machine the milestone may already have passed at setup: the premiere).
    [post] = await next_posts(queue, 1, timeout=45)
    assert "The Lighthouse Keeper" in post["content"]

    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/metrics") as response:
        assert response.status == 200
        scraped = await response.text()
    for family in (
        "release_bot_posts",
        "release_bot_delivery_delay_seconds",
        "release_bot_interaction_seconds",
        "release_bot_rate_limit_wait_seconds",
        "release_bot_post_queue_depth",
    ):
        assert re.search(rf"^# TYPE {family}(_total)? ", scraped, re.MULTILINE), family

    process.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(process.wait(), 30) == 0
    log = bot_process.stderr
    assert "SIGTERM received: shutting down" in log and log.rstrip().endswith("stopped cleanly")
    assert "Traceback" not in log
    assert "\x1b[" not in log  # no colour codes: stderr is a file here
    assert SECRET not in log
    for routine in ("Running job", "executed successfully", "Added job", "Context impl", "Will assume"):
        assert routine not in log, routine  # APScheduler's and Alembic's routine INFO lines stay quiet
    lines = log.splitlines()
    assert all(LOG_LINE.match(line) for line in lines), [line for line in lines if not LOG_LINE.match(line)]
    assert f"metrics at http://127.0.0.1:{port}/metrics" in log
    assert f"database: sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}" in log


async def test_run_with_the_database_down_says_so(sandbox: Sandbox, bot_process: BotProcess) -> None:
    process = await bot_process.start(
        "run", "--sandbox", sandbox.url, DATABASE_URL="postgresql://bot:hunter2@127.0.0.1:1/db"
    )
    assert await asyncio.wait_for(process.wait(), 60) == 1
    log = bot_process.stderr
    assert (
        log.rstrip()
        .splitlines()[-1]
        .startswith("release-bot: cannot connect to the database postgresql+asyncpg://bot:***@127.0.0.1:1/db: ")
    )
    assert "Traceback" not in log and "hunter2" not in log


async def test_a_sandbox_never_gets_the_real_token(bot_process: BotProcess) -> None:
    """`--sandbox URL` may point at anyone's server: the bot logs in there with a fixed sandbox token."""
    seen: list[str] = []

    async def refuse(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Authorization", ""))
        return web.json_response({"message": "401: Unauthorized", "code": 0}, status=401)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", refuse)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    try:
        for command in ("sync", "run"):
            process = await bot_process.start(command, "--sandbox", url)
            assert await asyncio.wait_for(process.wait(), 60) == 1
            assert (
                bot_process.stderr.rstrip().splitlines()[-1]
                == f"release-bot: the sandbox at {url} refused the bot's token: is it a release-bot sandbox?"
            )
            assert "Traceback" not in bot_process.stderr
    finally:
        await runner.cleanup()
    assert seen and set(seen) == {"Bot sandbox-token"}


async def test_sigterm_stops_the_bot_while_discords_gateway_is_unreachable(sandbox: Sandbox, tmp_path: Path) -> None:
    """An outage: REST answers but every gateway connection is refused. discord.py then retries the gateway inside
    `start()` (forever, or in a reconnect back-off of up to 17 minutes), which its `close()` does not interrupt; SIGTERM
    must still stop the bot at once, cleanly (before the fix it never exited)."""
    program = (
        "import sys, discord.gateway\n"
        "async def refused(*args, **kwargs):\n"
        "    print('gateway refused', file=sys.stderr, flush=True)\n"
        "    raise ConnectionRefusedError(111, 'Connect call failed')\n"
        "discord.gateway.DiscordWebSocket.from_client = refused\n"
        "from bot.cli import main\n"
        "raise SystemExit(main())\n"
    )
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.sqlite3'}"}
    env.pop("DISCORD_TOKEN", None)
    stderr_path = tmp_path / "bot-0.stderr"  # shown when the test fails (tests/e2e/conftest.py)
    with stderr_path.open("wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", program, "run", "--sandbox", sandbox.url, cwd=ROOT, env=env, stderr=stderr
        )
    try:
        deadline = asyncio.get_running_loop().time() + 60
        while "gateway refused" not in stderr_path.read_text(errors="replace"):
            assert asyncio.get_running_loop().time() < deadline, "the bot never tried the gateway"
            await asyncio.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 20) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert stderr_path.read_text(errors="replace").rstrip().endswith("stopped cleanly")
