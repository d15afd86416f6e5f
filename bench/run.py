"""release-bot benchmarks: fan-out, interaction overhead, start-up and memory, soak.

    python -m bench.run all            # every benchmark, then docs/benchmarks.md is rewritten from this run
    python -m bench.run fanout|interactions|startup|soak [--quick]
    python -m bench.run fanout --servers 500 [--postgres]   # BENCH_PG_PORT picks the throw-away cluster's port

The fan-out counts what arrived in every server's channel: any post missed or doubled prints "MISSED" and the run
exits 1.

Each compares against a baseline measured in the same run (Discord's own 50 requests/s, a bare discord.py
client, an empty database) and prints a table. The sandbox runs in this process with Discord's limits on; the bot
runs as its own process, as in production.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from bot.sandbox.server import Sandbox
from bot.storage.database import create_engine, upgrade
from bot.storage.models import Subscription

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
RELEASE_ID = "bench-release"


# ---- helpers -------------------------------------------------------------------------------------------------


def write_config(directory: Path, releases: list[tuple[str, datetime]], milestones: list[str]) -> Path:
    text = f'featured = "{releases[0][0]}"\n'
    for ident, at in releases:
        text += (
            f'\n[[release]]\nid = "{ident}"\ntitle = "Bench {ident}"\nkind = "film"\nnetwork = "Netflix"\n'
            f'release_at = "{at.isoformat()}"\ntimezone = "UTC"\n'
        )
    (directory / "releases.toml").write_text(text)
    quoted = ", ".join(f'"{m}"' for m in milestones)
    (directory / "settings.toml").write_text(f"[announcements]\nmilestones = [{quoted}]\n")
    return directory


async def seed(database_url: str, servers: list[dict], release_ids: list[str]) -> None:
    """Subscriptions for every server, inserted in bulk (the bot's own start-up reads them in bulk too)."""
    engine = create_engine(database_url)
    await upgrade(engine)
    now = datetime.now(UTC)
    rows = [
        {
            "guild_id": int(s["guild_id"]),
            "release_id": r,
            "channel_id": int(s["channel_id"]),
            "role_id": None,
            "timezone": "UTC",
            "daily_time": None,
            "paused": False,
            "pause_reason": None,
            "created_at": now,
            "updated_at": now,
        }
        for s in servers
        for r in release_ids
    ]
    async with engine.begin() as connection:
        for start in range(0, len(rows), 5000):
            await connection.execute(insert(Subscription), rows[start : start + 5000])
    await engine.dispose()


def make_servers(sandbox: Sandbox, count: int) -> list[dict]:
    servers = []
    for n in range(count):
        guild = sandbox.world.create_guild(f"Server {n}", ["general"], [])
        servers.append({"guild_id": str(guild.id), "channel_id": str(next(iter(guild.channels)))})
    return servers


class Child:
    """A benchmark process that reports JSON lines on stdout."""

    def __init__(self, process: asyncio.subprocess.Process, started: float) -> None:
        self.process = process
        self.started = started

    @classmethod
    async def start(cls, module: str, *args: str, database_url: str = "") -> Child:
        env = {**os.environ, "DATABASE_URL": database_url} if database_url else dict(os.environ)
        env.pop("DISCORD_TOKEN", None)
        started = time.time()
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            module,
            *args,
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            limit=2**20,
        )
        return cls(process, started)

    async def event(self, name: str, timeout: float = 600) -> dict:
        while True:
            line = await asyncio.wait_for(self.process.stdout.readline(), timeout)  # type: ignore[union-attr]
            if not line:
                raise RuntimeError(f"{name}: the process ended early")
            data = json.loads(line)
            if data.get("event") == name:
                return data

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.terminate()
            await self.process.wait()


@contextmanager
def postgres() -> Iterator[str | None]:
    """A throw-away PostgreSQL cluster on loopback, or None where PostgreSQL is not installed."""
    bindir = (
        subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True).stdout.strip()
        if shutil.which("pg_config")
        else ""
    )
    initdb = Path(bindir) / "initdb"
    if not initdb.exists():
        yield None
        return
    folder = Path(tempfile.mkdtemp(prefix="bench-pg-"))
    shutil.chown(folder, "postgres")
    port = os.environ.get("BENCH_PG_PORT", "55499")
    run = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        [*run, str(initdb), "-D", f"{folder}/data", "-A", "trust", "-U", "postgres"], check=True, capture_output=True
    )
    subprocess.run(
        [
            *run,
            f"{bindir}/pg_ctl",
            "-D",
            f"{folder}/data",
            "-l",
            f"{folder}/log",
            "-o",
            f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off",
            "-w",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        subprocess.run(
            [*run, f"{bindir}/createdb", "-h", "127.0.0.1", "-p", port, "-U", "postgres", "bench"],
            check=True,
            capture_output=True,
        )
        yield f"postgresql+asyncpg://postgres@127.0.0.1:{port}/bench"
    finally:
        subprocess.run(
            [*run, f"{bindir}/pg_ctl", "-D", f"{folder}/data", "-m", "immediate", "stop"], capture_output=True
        )
        shutil.rmtree(folder, ignore_errors=True)


async def reset_postgres(url: str) -> None:
    from sqlalchemy import text

    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


def table(header: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


# ---- the benchmarks ------------------------------------------------------------------------------------------

LOSSES: list[str] = []  # any post missed or doubled by a benchmark: the run fails


async def fanout(sizes: list[int], databases: dict[str, str]) -> str:
    rows = []
    for label, database_template in databases.items():
        for count in sizes:
            rows.append(await fanout_once(label, database_template, count))
            print(f"fan-out {label} {count}: {rows[-1]}", flush=True)
    return table(
        [
            "database",
            "servers",
            "posts expected",
            "posts delivered",
            "missed",
            "doubled",
            "posts/s",
            "vs 50/s floor",
            "target >= 0.9x",
            "last post after due",
            "target N/50 + 2 s",
            "met?",
            "429s",
        ],
        rows,
    )


async def fanout_once(label: str, database_template: str, count: int) -> list[object]:
    sandbox = Sandbox()  # Discord's limits on: 50 requests/s global, 5 messages per 5 s per channel
    url = await sandbox.start()
    with tempfile.TemporaryDirectory() as tmp:
        servers = make_servers(sandbox, count)
        database = database_template.format(tmp=tmp)
        if database.startswith("postgresql"):
            await reset_postgres(database)
        await seed(database, servers, [RELEASE_ID])
        due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=20 + count // 500)
        write_config(Path(tmp), [(RELEASE_ID, due)], [])
        child = await Child.start("bench.bot_process", url, tmp, "5", database_url=database)
        try:
            await child.event("ready")
            deadline = time.time() + (due - datetime.now(UTC)).total_seconds() + count / 40 + 120
            while len(sandbox.world.messages) < count and time.time() < deadline:
                await asyncio.sleep(0.5)  # sampling progress; the deadline bounds it
            await asyncio.sleep(2)  # a post more than expected (a duplicate) would show up now
        finally:
            await child.stop()
            await sandbox.stop()
    # Count what arrived where: every server's channel must have exactly one premiere post.
    per_channel: dict[str, int] = {}
    for message in sandbox.world.messages:
        per_channel[message["channel_id"]] = per_channel.get(message["channel_id"], 0) + 1
    missed = sum(1 for s in servers if per_channel.get(s["channel_id"], 0) == 0)
    doubled = sum(n - 1 for n in per_channel.values() if n > 1)
    if missed or doubled:
        LOSSES.append(f"fan-out {label} {count}: {missed} missed, {doubled} doubled")
    stamps = sorted(datetime.fromisoformat(m["timestamp"]) for m in sandbox.world.messages)
    delivered = len(stamps)
    first, last = (stamps[0], stamps[-1]) if stamps else (due, due)
    rate = (delivered - 1) / max((last - first).total_seconds(), 1e-9) if delivered > 1 else 0.0
    spread = (last - due).total_seconds()
    limit = count / 50 + 2
    rejected = sum(1 for e in sandbox.log if e.get("status") == 429)
    return [
        label,
        f"{count:,}",
        f"{count:,}",
        f"{delivered:,}",
        "MISSED " + str(missed) if missed else "0",
        doubled,
        f"{rate:.1f}/s",
        f"{rate / 50:.2f}x",
        "met" if rate >= 45 else "missed",
        f"{spread:.1f} s",
        f"{limit:.0f} s",
        "met" if spread <= limit else "missed",
        rejected,
    ]


async def interactions(rounds: int) -> str:
    sandbox = Sandbox()
    url = await sandbox.start()
    ids = await sandbox.create_guild("Bench server", ["general"], [{"name": "ada"}])
    samples: dict[str, list[float]] = {"bare discord.py client": [], "release-bot /countdown": []}
    with tempfile.TemporaryDirectory() as tmp:
        database = f"sqlite+aiosqlite:///{tmp}/bench.sqlite3"
        write_config(Path(tmp), [(RELEASE_ID, datetime.now(UTC) + timedelta(days=3))], ["1d"])
        sync = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "sync",
            "--sandbox",
            url,
            "--config",
            tmp,
            cwd=ROOT,
            stdout=asyncio.subprocess.DEVNULL,
        )
        await sync.wait()
        # Alternate the two clients in blocks, so drift on the machine hits both alike.
        for block in range(4):
            for name, module, args in (
                ("bare discord.py client", "bench.bare_client", [url]),
                ("release-bot /countdown", "bench.bot_process", [url, tmp, "60"]),
            ):
                child = await Child.start(module, *args, database_url=database)
                try:
                    await child.event("ready")
                    # The sandbox shares this process with what earlier benchmarks left behind: collect it now
                    # and keep the collector out of the timed loop, so its pauses are not charged to the bot.
                    gc.collect()
                    gc.disable()
                    for i in range(rounds // 4 + 10):
                        began = time.perf_counter()
                        await sandbox.interact(
                            ids["guild_id"], ids["channels"]["general"], ids["members"]["ada"], "/countdown"
                        )
                        if i >= 10:  # the first few warm caches up
                            samples[name].append((time.perf_counter() - began) * 1000)
                finally:
                    gc.enable()
                    await child.stop()
            print(f"interactions: block {block + 1}/4", flush=True)
    await sandbox.stop()

    def pct(values: list[float], p: float) -> float:
        return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]

    base, ours = samples["bare discord.py client"], samples["release-bot /countdown"]
    rows = [[name, len(v), f"{pct(v, 50):.2f} ms", f"{pct(v, 99):.2f} ms"] for name, v in samples.items()]
    ratio50, ratio99 = pct(ours, 50) / pct(base, 50), pct(ours, 99) / pct(base, 99)
    rows.append(
        ["ratio", "", f"{ratio50:.2f}x", f"{ratio99:.2f}x ({'met' if ratio99 <= 1.2 else 'missed'}: target <= 1.2x)"]
    )
    return table(["client", "interactions", "p50", "p99"], rows)


async def startup(count: int, database_urls: dict[str, str]) -> str:
    rows = []
    sandbox = Sandbox()
    url = await sandbox.start()
    servers = make_servers(sandbox, count)
    for label, database in database_urls.items():
        for configured in (0, count):
            with tempfile.TemporaryDirectory() as tmp:
                database_url = database.format(tmp=tmp)
                if database_url.startswith("postgresql"):
                    await reset_postgres(database_url)
                release_at = datetime.now(UTC) + timedelta(days=31)
                write_config(Path(tmp), [(RELEASE_ID, release_at)], ["30d", "14d", "7d", "3d", "1d", "12h", "1h"])
                await seed(database_url, servers[:configured], [RELEASE_ID])
                child = await Child.start("bench.bot_process", url, tmp, "60", database_url=database_url)
                try:
                    scheduled = await child.event("scheduled")
                    ready = await child.event("ready")
                finally:
                    await child.stop()
            rows.append(
                [
                    label,
                    f"{configured:,}",
                    f"{scheduled['posts']:,} in {scheduled['jobs']:,} jobs",
                    f"{scheduled['seconds']:.2f} s",
                    f"{scheduled['rss_mib']:.0f} MiB",
                    f"{ready['rss_mib']:.0f} MiB ({ready['guilds']:,})",
                ]
            )
            print(f"startup: {rows[-1]}", flush=True)
    await sandbox.stop()
    return table(
        [
            "database",
            "servers configured",
            "posts scheduled",
            "process start to all jobs scheduled",
            "RSS then",
            "RSS with the gateway up (guilds cached)",
        ],
        rows,
    )


async def soak(minutes: float) -> str:
    sandbox = Sandbox()
    url = await sandbox.start()
    servers = 20
    ids = [
        await sandbox.create_guild(f"Soak {n}", ["general"], [{"name": "admin", "admin": True}]) for n in range(servers)
    ]
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=40)
    count = int(minutes * 60 / 2)
    releases = [(f"soak-{k}", start + timedelta(seconds=2 * k)) for k in range(count)]
    samples = []
    with tempfile.TemporaryDirectory() as tmp:
        database = f"sqlite+aiosqlite:///{tmp}/bench.sqlite3"
        write_config(Path(tmp), releases, ["4s", "2s"])
        sync = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "sync",
            "--sandbox",
            url,
            "--config",
            tmp,
            cwd=ROOT,
            stdout=asyncio.subprocess.DEVNULL,
        )
        await sync.wait()
        child = await Child.start("bench.bot_process", url, tmp, "10", database_url=database)

        async def admins() -> None:
            # Every 2 s each server's admin sets up announcements for a release ~30 s away: a steady stream
            # of new jobs while older ones fire.
            for ident, at in releases:
                wait = (at - timedelta(seconds=30) - datetime.now(UTC)).total_seconds()
                if wait > 0:
                    await asyncio.sleep(wait)  # pacing the simulated admins, not waiting for a result
                for server in ids:
                    await sandbox.interact(
                        server["guild_id"],
                        server["channels"]["general"],
                        server["members"]["admin"],
                        f"/announce setup channel:#general release:{ident}",
                        wait=10,
                    )

        try:
            await child.event("ready")
            driver = asyncio.create_task(admins())
            while not driver.done():
                samples.append(await child.event("stats"))
            await driver
        finally:
            await child.stop()
    await sandbox.stop()
    posts = sum(1 for m in sandbox.world.messages if m["type"] == 0)
    steady = samples[len(samples) // 4 :]  # after the first jobs are in place
    quarter = max(len(steady) // 4, 1)
    first, last = steady[:quarter], steady[-quarter:]
    rss_first, rss_last = statistics.mean(s["rss_mib"] for s in first), statistics.mean(s["rss_mib"] for s in last)
    jobs_first, jobs_last = statistics.mean(s["jobs"] for s in first), statistics.mean(s["jobs"] for s in last)
    posts_first = statistics.mean(s["posts"] for s in first)
    posts_last = statistics.mean(s["posts"] for s in last)
    rows = [
        ["RSS (MiB)", f"{rss_first:.1f}", f"{rss_last:.1f}", f"{rss_last / rss_first:.2f}x"],
        ["post jobs", f"{jobs_first:.0f}", f"{jobs_last:.0f}", f"{jobs_last / max(jobs_first, 1):.2f}x"],
        ["posts scheduled", f"{posts_first:.0f}", f"{posts_last:.0f}", f"{posts_last / max(posts_first, 1):.2f}x"],
    ]
    return (
        f"{minutes:g} minutes, {servers} servers, {count} releases set up by slash command one every 2 s, "
        f"{posts:,} posts delivered; samples every 10 s.\n\n"
        + table(["measure", "first quarter (mean)", "last quarter (mean)", "ratio"], rows)
    )


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = int(Path("/proc/meminfo").read_text().split()[1]) // 1024 // 1024
    return f"{os.cpu_count()} cores ({cpu}), {memory} GiB, Python {platform.python_version()}, {platform.system()}"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else "")
    parser.add_argument("which", choices=["all", "fanout", "interactions", "startup", "soak"])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, to try the harness")
    parser.add_argument("--servers", type=int, nargs="*", help="fan-out sizes (default 1,000 and 10,000)")
    parser.add_argument("--postgres", action="store_true", help="fan-out on PostgreSQL too (when installed)")
    args = parser.parse_args()
    quick = args.quick
    sections: dict[str, str] = {}
    if args.which in ("all", "fanout"):
        sizes = args.servers or ([100, 300] if quick else [1000, 10000])
        with postgres() if args.postgres or args.which == "all" else nullcontext() as pg:
            databases = {"SQLite": "sqlite+aiosqlite:///{tmp}/bench.sqlite3"}
            if pg:
                databases["PostgreSQL"] = pg
            sections["Fan-out"] = await fanout(sizes, databases)
    if args.which in ("all", "interactions"):
        sections["Interaction overhead"] = await interactions(100 if quick else 400)
    if args.which in ("all", "startup"):
        with postgres() as pg:
            urls = {"SQLite": "sqlite+aiosqlite:///{tmp}/bench.sqlite3"}
            if pg:
                urls["PostgreSQL 15"] = pg
            sections["Start-up and memory"] = await startup(1000 if quick else 10000, urls)
    if args.which in ("all", "soak"):
        sections["Soak"] = await soak(1 if quick else 4)
    for name, text in sections.items():
        print(f"\n## {name}\n\n{text}")
    if args.which == "all" and not quick:
        write_doc(sections)
    if LOSSES:
        print("\nMISSED: " + "; ".join(LOSSES), file=sys.stderr)
        sys.exit(1)


def write_doc(sections: dict[str, str]) -> None:
    notes = (
        DOC.read_text().split("<!-- notes -->", 1)[1] if DOC.exists() and "<!-- notes -->" in DOC.read_text() else "\n"
    )
    body = "\n\n".join(f"## {name}\n\n{text}" for name, text in sections.items())
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(f"""# Benchmarks

Measured with `python -m bench.run all` on {datetime.now(UTC):%Y-%m-%d}, on {machine()}.
The sandbox runs in the benchmark's process with Discord's limits enforced; the bot runs as its own process.
Each run is one command: `python -m bench.run fanout|interactions|startup|soak`.

{body}

<!-- notes -->{notes}""")
    print(f"\nwrote {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    asyncio.run(main())
