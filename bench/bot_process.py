"""The real bot as its own process, for the benchmarks: prints JSON lines with its progress and resources.

    DATABASE_URL=... python -m bench.bot_process SANDBOX_URL CONFIG_DIR [STATS_EVERY_SECONDS]

Events: {"event": "scheduled", "jobs", "rss_mib", "seconds"} once the gateway is up and every job is scheduled
(process start to all jobs scheduled), {"event": "ready", ...} right after, then {"event": "stats", ...}
periodically.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

from bot.app import build_bot
from bot.config import load_config
from bot.discord.client import ReleaseBot, point_at_sandbox


def process_seconds() -> float:
    """Seconds since this process was started by the kernel (imports included)."""
    ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
    boot = float(Path("/proc/uptime").read_text().split()[0])
    import os

    return boot - ticks / os.sysconf("SC_CLK_TCK")


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def emit(event: str, bot: ReleaseBot, **extra: object) -> None:
    jobs = bot.announcer.job_count() if bot.announcer else 0
    posts = bot.announcer.post_count() if bot.announcer else 0
    print(
        json.dumps(
            {"event": event, "t": time.time(), "jobs": jobs, "posts": posts, "rss_mib": round(rss_mib(), 1), **extra}
        ),
        flush=True,
    )


async def main(url: str, config_dir: str, every: float) -> None:
    point_at_sandbox(url)
    bot = await build_bot(
        load_config(Path(config_dir)),
        sandbox=True,
        chunk_guilds_at_startup=False,
        guild_ready_timeout=0.05,
        max_messages=None,
    )
    await bot.login("bench-token")  # build_bot migrated the database; the announcer starts once connected
    runner = asyncio.create_task(bot.connect())
    await bot.wait_until_ready()
    if bot.announcer is not None:  # recovery, catch-up and every job scheduled, in the background
        await bot.announcer.ready.wait()
    emit("scheduled", bot, seconds=round(process_seconds(), 3))
    emit("ready", bot, guilds=len(bot.guilds))
    while not runner.done():
        await asyncio.sleep(every)  # a sampling period, not a wait for something to happen
        emit("stats", bot)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3]) if len(sys.argv) > 3 else 5.0))
