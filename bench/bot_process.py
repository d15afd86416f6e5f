"""The real bot as its own process, for the benchmarks: prints JSON lines with its progress.

    DATABASE_URL=... python -m bench.bot_process SANDBOX_URL CONFIG_DIR [STATS_EVERY_SECONDS]

Built by the composition root with its production defaults (caches, imports), as `release-bot run` builds it.
Events: {"event": "scheduled", "seconds", "scheduled_at", "jobs", "posts"} once every job is scheduled and every
server is cached (`seconds`: process start to all jobs scheduled, imports included; `scheduled_at`: that
instant), {"event": "ready", "guilds"} right after, then {"event": "stats", "jobs", "posts", "queued", "sent",
"delay_sum", "delay_count"} periodically. Memory is read from outside (/proc/PID/status), when the benchmark has
seen the bot serve.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path

from bot.app import build_bot
from bot.config import load_config
from bot.discord.client import ReleaseBot, point_at_sandbox
from bot.metrics import DELIVERY_DELAY, POSTS


def process_seconds() -> float:
    """Seconds since this process was started by the kernel (imports included)."""
    ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
    boot = float(Path("/proc/uptime").read_text().split()[0])
    return boot - ticks / os.sysconf("SC_CLK_TCK")


def metric(collector: object, suffix: str, **labels: str) -> float:
    for family in collector.collect():  # type: ignore[attr-defined]
        for sample in family.samples:
            if sample.name.endswith(suffix) and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return 0.0


def emit(event: str, bot: ReleaseBot, **extra: object) -> None:
    announcer = bot.announcer
    print(
        json.dumps(
            {
                "event": event,
                "t": time.time(),
                "jobs": announcer.job_count() if announcer else 0,
                "posts": announcer.post_count() if announcer else 0,
                "queued": announcer.queued() if announcer else 0,
                "sent": metric(POSTS, "_total", outcome="sent") + metric(POSTS, "_total", outcome="late"),
                "skipped": metric(POSTS, "_total", outcome="skipped"),
                "delay_sum": metric(DELIVERY_DELAY, "_sum"),
                "delay_count": metric(DELIVERY_DELAY, "_count"),
                **extra,
            }
        ),
        flush=True,
    )


async def main(url: str, config_dir: str, every: float) -> None:
    point_at_sandbox(url)
    bot = await build_bot(load_config(Path(config_dir)), sandbox=True, guild_ready_timeout=0.05)
    marks = {"built": process_seconds()}  # imports, configuration, database migrated
    await bot.login("bench-token")  # the announcer starts once connected
    runner = asyncio.create_task(bot.connect())
    if bot.announcer is not None:  # recovery, catch-up and every job scheduled, beside the gateway's connection
        await bot.announcer.ready.wait()
    marks["scheduled"] = process_seconds()
    scheduled_at = time.time()  # when the bot could post: the fan-out compares it with the due instant
    marks["cpu"] = sum(os.times()[:2])  # this process's own CPU seconds to every post scheduled, imports included
    await bot.wait_until_ready()
    # discord.py is "ready" once GUILD_CREATEs pause for `guild_ready_timeout`; with 10,000 servers on a loaded
    # machine the sandbox is often slower than that, so servers still arrive after it. Memory is only comparable
    # once every server is in the cache.
    waiting = list(bot.guilds)
    while waiting:
        await asyncio.sleep(0.25)  # a sampling period, not a wait for something to happen
        waiting = [guild for guild in waiting if guild.unavailable]
    marks["ready"] = process_seconds()  # every server's GUILD_CREATE received (the sandbox's pace, mostly)
    marks["cpu_ready"] = sum(os.times()[:2])  # ... and its CPU seconds once every server is cached
    emit(
        "scheduled",
        bot,
        seconds=round(marks["scheduled"], 3),
        scheduled_at=scheduled_at,
        marks={k: round(v, 2) for k, v in marks.items()},
    )
    emit("ready", bot, guilds=len(bot.guilds))
    while not runner.done():
        await asyncio.sleep(every)  # a sampling period, not a wait for something to happen
        emit("stats", bot)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3]) if len(sys.argv) > 3 else 5.0))
