"""The real bot as its own process, for the benchmarks: prints JSON lines with its progress.

    DATABASE_URL=... python -m bench.bot_process SANDBOX_URL CONFIG_DIR [STATS_EVERY_SECONDS]

Built by the composition root with its production defaults (caches, imports), as `release-bot run` builds it.
Events: {"event": "scheduled", "seconds", "scheduled_at", "jobs", "posts"} once every job is scheduled and every
server is cached (`seconds`: process start to all jobs scheduled, imports included; `scheduled_at`: that
instant), {"event": "ready", "guilds"} right after, then {"event": "stats", "jobs", "posts", "queued", "sent",
"delay_sum", "delay_count"} periodically. Memory is read from outside (/proc/PID/status), when the benchmark has
seen the bot serve.

Off by default, for finding where memory goes: BENCH_DIAG=FILE appends a JSON line to FILE every
BENCH_DIAG_EVERY seconds (default 30): RSS, glibc's mallinfo2, SQLite's own heap, the commonest object types and
the sizes of the bot's in-memory containers. BENCH_DIAG_TRACE=S1,S2 (seconds after start) also traces Python's
allocations from S1 and writes FILE.trace at S2: the top 25 tracebacks of what was allocated since S1 and is still
held (what grew). Tracing costs memory and CPU itself: RSS figures of a traced run are not comparable.
"""

from __future__ import annotations

import asyncio
import collections
import ctypes
import ctypes.util
import gc
import json
import os
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

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


class MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks")
    ] + [("keepcost", ctypes.c_size_t)]


def sqlite_library() -> Any:
    """The SQLite library Python's sqlite3 module is linked with (as mapped in this process), or None."""
    import sqlite3  # noqa: F401  (maps the library)

    for line in Path("/proc/self/maps").read_text().splitlines():
        path = line.split()[-1]
        if "libsqlite3" in path or "_sqlite3" in path:
            library = ctypes.CDLL(path)
            if hasattr(library, "sqlite3_memory_used"):
                library.sqlite3_memory_used.restype = ctypes.c_int64
                library.sqlite3_memory_highwater.restype = ctypes.c_int64
                return library
    return None


def rss_kib() -> int:
    return int(next(x for x in Path("/proc/self/status").read_text().splitlines() if x.startswith("VmRSS")).split()[1])


def containers(**roots: object) -> dict[str, int]:
    """len() of every container attribute of the given objects: what a cache or a leak would grow."""
    sizes = {}
    for name, root in roots.items():
        for attr, value in vars(root).items() if hasattr(root, "__dict__") else ():
            if isinstance(value, dict | set | list | collections.deque | collections.OrderedDict):
                sizes[f"{name}.{attr}"] = len(value)
    return sizes


async def diagnose(bot: ReleaseBot, path: Path, every: float, trace: list[float]) -> None:
    libc = ctypes.CDLL(None)
    libc.mallinfo2.restype = MallInfo2
    sqlite = sqlite_library()
    while True:
        await asyncio.sleep(every)  # a sampling period
        info = libc.mallinfo2()
        types = collections.Counter(type(o).__name__ for o in gc.get_objects())
        announcer = bot.announcer
        roots = {
            "announcer": announcer,
            "scheduler": getattr(announcer, "scheduler", None),
            "jobstore": announcer.scheduler._jobstores["default"] if announcer else None,
            "poster": getattr(announcer, "poster", None),
            "connection": bot._connection,
            "http": bot.http,
            "tree": bot.tree,
        }
        seconds = round(process_seconds(), 1)
        engine = announcer.store.engine if announcer else None
        line = {
            "seconds": seconds,
            "rss_kib": rss_kib(),
            "mallinfo2": {name: getattr(info, name) for name, _ in MallInfo2._fields_},
            "sqlite_used": sqlite.sqlite3_memory_used() if sqlite else None,
            "sqlite_highwater": sqlite.sqlite3_memory_highwater(0) if sqlite else None,
            "gc_objects": sum(types.values()),
            "types": dict(types.most_common(40)),
            "containers": containers(**{k: v for k, v in roots.items() if v is not None}),
            "threads": len(os.listdir("/proc/self/task")),
            "pool": engine.pool.status() if engine else None,
            "statement_cache": len(engine.sync_engine._compiled_cache or ()) if engine else None,
            "traced": tracemalloc.get_traced_memory()[0] if tracemalloc.is_tracing() else None,
        }
        with path.open("a") as out:
            out.write(json.dumps(line) + "\n")
        if trace and not tracemalloc.is_tracing() and seconds >= trace[0]:
            tracemalloc.start(10)  # from now on: what is still allocated at trace[1] was allocated meanwhile
        elif trace and tracemalloc.is_tracing() and seconds >= trace[1]:
            kept = tracemalloc.take_snapshot().statistics("traceback")
            tracemalloc.stop()
            with path.with_suffix(path.suffix + ".trace").open("w") as out:
                out.write(f"allocated from {trace[0]:g} s after start and still held at {seconds:g} s, top 25\n")
                for stat in kept[:25]:
                    out.write(f"\n{stat}\n" + "\n".join(stat.traceback.format()) + "\n")
            trace = []


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
    diag = os.environ.get("BENCH_DIAG")
    trace = [float(s) for s in os.environ.get("BENCH_DIAG_TRACE", "").split(",") if s]
    every_diag = float(os.environ.get("BENCH_DIAG_EVERY", "30"))
    diagnosis = asyncio.create_task(diagnose(bot, Path(diag), every_diag, trace)) if diag else None
    while not runner.done():
        await asyncio.sleep(every)  # a sampling period, not a wait for something to happen
        emit("stats", bot)
    if diagnosis is not None:
        diagnosis.cancel()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3]) if len(sys.argv) > 3 else 5.0))
