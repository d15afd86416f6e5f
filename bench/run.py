"""release-bot benchmarks: fan-out, interaction overhead, start-up and memory, soak — with their plots.

    python -m bench.run all              # every benchmark (~50 min); rewrites docs/benchmarks.md and its plots
    python -m bench.run quick            # < 60 s: a small fan-out, interactions and start-up; exits 1 on any lost
                                         # post or an insane ratio (what CI can run; it is not a timed test)
    python -m bench.run fanout|interactions|startup|soak [--minutes N] [--servers N ...] [--postgres]
    python -m bench.run report           # docs/benchmarks.md from the last saved result of each benchmark

PostgreSQL runs in a throw-away cluster on BENCH_PG_PORT (default 55499) when it is installed; `all` and `startup`
always use it, `fanout` with --postgres. Each benchmark saves its table and data under bench/results/ and its SVG
plots under docs/benchmarks/, so `report` can assemble a document from benchmarks run one at a time.

To see where the bot process's memory goes in a soak, set BENCH_DIAG=FILE (and BENCH_DIAG_TRACE=S1,S2): see
bench/bot_process.py. Off by default; the saved figures come from runs without it.

Each compares against a baseline measured in the same run (Discord's own 50 requests/s, a bare discord.py
client sending the same reply, an empty database, a bot in one server). The sandbox runs in this process with
Discord's limits on; the bot runs as its own process, as in production, and its memory is read from outside.
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
from typing import Any

from sqlalchemy import insert, text

from bot.sandbox.server import Sandbox
from bot.storage.database import create_engine, upgrade
from bot.storage.models import Delivery, Subscription
from bot.storage.repository import delivery_nonce

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
PLOTS = ROOT / "docs" / "benchmarks"
RESULTS = ROOT / "bench" / "results"
RELEASE_ID = "bench-release"
FINISHED_ID = "bench-finished"  # the release whose history the start-up benchmark leaves in the database
MILESTONES = ["30d", "14d", "7d", "3d", "1d", "12h", "1h"]  # with the premiere: 8 posts per server
SQLITE = "sqlite+aiosqlite:///{tmp}/bench.sqlite3"
Json = dict[str, Any]


# ---- helpers -------------------------------------------------------------------------------------------------


def write_config(directory: Path, releases: list[tuple[str, datetime]], milestones: list[str]) -> Path:
    text_ = f'featured = "{releases[0][0]}"\n'
    for ident, at in releases:
        text_ += (
            f'\n[[release]]\nid = "{ident}"\ntitle = "Bench {ident}"\nkind = "film"\nnetwork = "Netflix"\n'
            f'release_at = "{at.replace(tzinfo=None).isoformat()}"\ntimezone = "UTC"\n'
        )
    (directory / "releases.toml").write_text(text_)
    quoted = ", ".join(f'"{m}"' for m in milestones)
    (directory / "settings.toml").write_text(f"[announcements]\nmilestones = [{quoted}]\n")
    return directory


def subscription_rows(servers: list[Json], release_id: str, created: datetime) -> list[Json]:
    return [
        {
            "guild_id": int(s["guild_id"]),
            "release_id": release_id,
            "channel_id": int(s["channel_id"]),
            "role_id": None,
            "timezone": "UTC",
            "daily_time": None,
            "paused": False,
            "pause_reason": None,
            "created_at": created,
            "updated_at": created,
        }
        for s in servers
    ]


def history_rows(servers: list[Json], release_at: datetime) -> list[Json]:
    """The ledger of a finished release: every server's 8 posts, sent."""
    posts = [(f"milestone:{m}", release_at - parse_span(m)) for m in MILESTONES] + [("premiere", release_at)]
    return [
        {
            "guild_id": int(s["guild_id"]),
            "release_id": FINISHED_ID,
            "post_key": key,
            "channel_id": int(s["channel_id"]),
            "due_at": at,
            "state": "sent",
            "nonce": delivery_nonce(int(s["guild_id"]), FINISHED_ID, key),
            "late": False,
            "message_id": 10**18 + n,
            "detail": None,
            "claimed_at": at,
            "finished_at": at,
            "content": f"Bench {FINISHED_ID}: {key}",
            "lease_until": None,
        }
        for n, s in enumerate(servers)
        for key, at in posts
    ]


def parse_span(span: str) -> timedelta:
    return timedelta(days=int(span[:-1])) if span.endswith("d") else timedelta(hours=int(span[:-1]))


async def seed(database_url: str, servers: list[Json], release_id: str, history: datetime | None = None) -> None:
    """Subscriptions for every server, inserted in bulk; with `history` (a finished release's instant), that
    release's subscriptions and its whole ledger too."""
    engine = create_engine(database_url)
    await upgrade(engine)
    now = datetime.now(UTC)
    batches: list[tuple[Any, list[Json]]] = [(Subscription, subscription_rows(servers, release_id, now))]
    if history is not None:
        created = history - timedelta(days=40)
        batches.append((Subscription, subscription_rows(servers, FINISHED_ID, created)))
        batches.append((Delivery, history_rows(servers, history)))
    async with engine.begin() as connection:
        for model, rows in batches:
            for start in range(0, len(rows), 5000):
                await connection.execute(insert(model), rows[start : start + 5000])
    await engine.dispose()


def make_servers(sandbox: Sandbox, count: int, member: bool = False) -> list[Json]:
    servers = []
    for n in range(count):
        guild = sandbox.world.create_guild(f"Server {n}", ["general"], [])
        ids = {"guild_id": str(guild.id), "channel_id": str(next(iter(guild.channels)))}
        if member:  # a member who types the commands
            ids["user_id"] = str(sandbox.world.add_member(guild, f"member {n}").user_id)
        servers.append(ids)
    return servers


def rss_mib(pid: int) -> float:
    """The resident set of a process, from outside: what `ps` and the operator's dashboard show."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Child:
    """A benchmark process that reports JSON lines on stdout; its stderr is kept and shown if it ends early."""

    def __init__(self, process: asyncio.subprocess.Process, stderr: Any) -> None:
        self.process = process
        self.stderr = stderr

    @property
    def pid(self) -> int:
        return self.process.pid

    @classmethod
    async def start(cls, module: str, *args: str, database_url: str = "") -> Child:
        env = {**os.environ, "DATABASE_URL": database_url} if database_url else dict(os.environ)
        env.pop("DISCORD_TOKEN", None)
        # A file, not a pipe: nobody reads it while the process runs. Closed by `stop`.
        stderr = tempfile.TemporaryFile()  # noqa: SIM115
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            module,
            *args,
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=stderr,
            limit=2**20,
        )
        return cls(process, stderr)

    def stderr_tail(self, lines: int = 30) -> str:
        self.stderr.seek(0)
        return "\n".join(self.stderr.read().decode(errors="replace").splitlines()[-lines:])

    async def event(self, name: str, timeout: float = 600) -> Json:
        while True:
            line = await asyncio.wait_for(self.process.stdout.readline(), timeout)  # type: ignore[union-attr]
            if not line:
                await self.process.wait()
                raise RuntimeError(
                    f"{name}: the process ended early (exit {self.process.returncode}); its stderr:\n"
                    + self.stderr_tail()
                )
            data: Json = json.loads(line)
            if data.get("event") == name:
                return data

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.terminate()
            await self.process.wait()
        self.stderr.close()


async def sync_commands(url: str, config_dir: str) -> None:
    sync = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "sync", "--sandbox", url, "--config", config_dir, cwd=ROOT,
        stdout=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    if await sync.wait():
        raise RuntimeError("release-bot sync failed")


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
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        [*run, f"{bindir}/pg_ctl", "-D", f"{folder}/data", "-l", f"{folder}/log", "-o", options, "-w", "start"],
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


async def reset_database(url: str) -> None:
    if not url.startswith("postgresql"):
        return
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


def table(header: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


LOSSES: list[str] = []  # any post missed or doubled, any check of the quick mode failed: the run exits 1


# ---- fan-out -------------------------------------------------------------------------------------------------


async def fanout_once(label: str, database_template: str, count: int) -> Json:
    """Every server subscribed to one release, due shortly after the bot is up: how fast, and was anything lost."""
    sandbox = Sandbox()  # Discord's limits on: 50 requests/s global, 5 messages per 5 s per channel
    url = await sandbox.start()
    with tempfile.TemporaryDirectory() as tmp:
        servers = make_servers(sandbox, count)
        database = database_template.format(tmp=tmp)
        await reset_database(database)
        await seed(database, servers, RELEASE_ID)
        # Due once the bot has surely started (10,000 servers: 55 s; a loaded machine starts it slowly).
        due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=15 + count // 250)
        write_config(Path(tmp), [(RELEASE_ID, due)], [])
        child = await Child.start("bench.bot_process", url, tmp, "5", database_url=database)
        try:
            scheduled = await child.event("scheduled")
            # Posting needs the timers, not the guild cache: was every post scheduled before it fell due?
            ready_before_due = datetime.fromtimestamp(scheduled["scheduled_at"], UTC) < due
            deadline = time.time() + (due - datetime.now(UTC)).total_seconds() + count / 40 + 120
            while len(sandbox.world.messages) < count and time.time() < deadline:
                await asyncio.sleep(0.5)  # sampling progress; the deadline bounds it
            await asyncio.sleep(3)  # a post more than expected (a duplicate) would show up now
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
    offsets = sorted((datetime.fromisoformat(m["timestamp"]) - due).total_seconds() for m in sandbox.world.messages)
    last = offsets[-1] if offsets else float("nan")
    return {
        "database": label,
        "servers": count,
        "delivered": len(offsets),
        "missed": missed,
        "doubled": doubled,
        "rate": len(offsets) / last if offsets and last > 0 else 0.0,  # from the due instant, not the first post
        "last": last,
        "first": offsets[0] if offsets else float("nan"),
        "rejected": sum(1 for e in sandbox.log if e.get("status") == 429),
        "ready_before_due": ready_before_due,
        "offsets": offsets,
    }


def fanout_table(runs: list[Json]) -> str:
    rows = []
    for r in runs:
        limit = r["servers"] / 50 + 2
        rows.append(
            [
                r["database"] + ("" if r["ready_before_due"] else " (bot not ready at due: posts caught up late)"),
                f"{r['servers']:,}",
                f"{r['servers']:,}",
                f"{r['delivered']:,}",
                f"**{r['missed']}**" if r["missed"] else "0",
                f"**{r['doubled']}**" if r["doubled"] else "0",
                f"{r['first']:.2f} s",
                f"{r['rate']:.1f}/s ({r['rate'] / 50:.2f}x)",
                f"{r['last']:.1f} s",
                f"{limit:.0f} s",
                "met" if r["last"] <= limit and r["rate"] >= 45 else "missed",
                r["rejected"],
            ]
        )
    return table(
        [
            "database",
            "servers",
            "posts expected",
            "posts delivered",
            "missed",
            "doubled",
            "first post after due",
            "posts/s from due (vs 50/s)",
            "last post after due",
            "target N/50 + 2 s",
            "met?",
            "429s",
        ],
        rows,
    )


async def fanout(sizes: list[int], databases: dict[str, str]) -> Json:
    runs = []
    for label, template in databases.items():
        for count in sizes:
            runs.append(await fanout_once(label, template, count))
            print(f"fan-out {label} {count}: {fanout_table(runs[-1:]).splitlines()[-1]}", flush=True)
    plot_fanout(runs)
    text_ = fanout_table(runs) + "\n\n![Fan-out: posts delivered over time](benchmarks/fanout.svg)"
    return {"text": text_, "runs": [{k: v for k, v in r.items() if k != "offsets"} for r in runs]}


# ---- interaction overhead ------------------------------------------------------------------------------------


async def interactions(samples_per_side: int, server_count: int = 100, blocks: int = 4, plot: bool = True) -> Json:
    """/countdown answered by the bot and by a bare discord.py client sending the same embed and buttons, through
    the same sandbox, across `server_count` servers; each block is a fresh process (cold caches), alternating sides."""
    sandbox = Sandbox()
    url = await sandbox.start()
    servers = make_servers(sandbox, server_count, member=True)
    bot_side, bare_side = "release-bot /countdown", "bare discord.py client, same embed and buttons"
    samples: dict[str, list[float]] = {bare_side: [], bot_side: []}
    cold: dict[str, list[float]] = {bare_side: [], bot_side: []}
    replies: dict[str, Json] = {}
    with tempfile.TemporaryDirectory() as tmp:
        database = SQLITE.format(tmp=tmp)
        write_config(Path(tmp), [(RELEASE_ID, datetime.now(UTC) + timedelta(days=3))], ["1d"])
        await sync_commands(url, tmp)
        reply_file = Path(tmp) / "reply.json"
        # The bot's reply, for the bare client to send the same.
        child = await Child.start("bench.bot_process", url, tmp, "600", database_url=database)
        try:
            await child.event("ready")
            s = servers[0]
            answer = await sandbox.interact(s["guild_id"], s["channel_id"], s["user_id"], "/countdown")
            reply_file.write_text(json.dumps(answer["data"]))
        finally:
            await child.stop()
        per_block = -(-samples_per_side // blocks)
        for block in range(blocks):
            for name, module, args in (
                (bare_side, "bench.bare_client", [url, str(reply_file)]),
                (bot_side, "bench.bot_process", [url, tmp, "600"]),
            ):
                child = await Child.start(module, *args, database_url=database)
                try:
                    await child.event("ready")
                    # The sandbox shares this process with what came before: collect it now and keep the
                    # collector out of the timed loop, so its pauses are charged to neither side.
                    gc.collect()
                    gc.disable()
                    for i in range(per_block):
                        s = servers[i % len(servers)]
                        began = time.perf_counter()
                        answer = await sandbox.interact(s["guild_id"], s["channel_id"], s["user_id"], "/countdown")
                        took = (time.perf_counter() - began) * 1000
                        samples[name].append(took)
                        if i < len(servers):
                            cold[name].append(took)  # the first command in each server since the process started
                        replies.setdefault(name, answer["data"])
                finally:
                    gc.enable()
                    await child.stop()
            print(f"interactions: block {block + 1}/{blocks}", flush=True)
    await sandbox.stop()
    same = all(replies[bare_side].get(k) == replies[bot_side].get(k) for k in ("embeds", "components"))
    base, ours = samples[bare_side], samples[bot_side]
    rows: list[list[object]] = [
        [
            name,
            f"{len(v):,}",
            f"{percentile(v, 50):.2f} ms",
            f"{percentile(v, 90):.2f} ms",
            f"{percentile(v, 99):.2f} ms",
            f"{statistics.median(cold[name]):.2f} ms",
        ]
        for name, v in samples.items()
    ]
    r50 = percentile(ours, 50) / percentile(base, 50)
    r90 = percentile(ours, 90) / percentile(base, 90)
    r99 = percentile(ours, 99) / percentile(base, 99)
    rows.append(
        [
            "ratio",
            "",
            f"{r50:.2f}x",
            f"{r90:.2f}x",
            f"{r99:.2f}x ({'met' if r99 <= 1.1 else 'missed'}: target <= 1.1x)",
            f"{statistics.median(cold[bot_side]) / statistics.median(cold[bare_side]):.2f}x",
        ]
    )
    if plot:  # (the quick mode leaves the documented plot alone)
        plot_latency(samples)
    text_ = (
        f"{server_count} servers, commands sent round-robin, {blocks} fresh processes per side alternating (every "
        f"block starts with cold caches: the first command in each server is in the samples). Same embed and "
        f"buttons on both sides: {'yes' if same else 'NO'}.\n\n"
        + table(["client", "interactions", "p50", "p90", "p99", "first command per server (median)"], rows)
        + "\n\n![Interaction latency: release-bot against a bare client](benchmarks/latency.svg)"
    )
    return {"text": text_, "ratio50": r50, "ratio99": r99, "same_embed": same, "samples": len(ours)}


# ---- start-up and memory -------------------------------------------------------------------------------------


async def serve_and_measure(sandbox: Sandbox, child: Child, server: Json, commands: int = 20) -> float:
    """RSS once the bot has answered commands: the gateway up and serving, not just connected."""
    for _ in range(commands):
        await sandbox.interact(server["guild_id"], server["channel_id"], server["user_id"], "/countdown")
    await asyncio.sleep(1)  # sampling instant: let the last reply's buffers settle
    return rss_mib(child.pid)


async def startup(count: int, databases: dict[str, str]) -> Json:
    sandbox = Sandbox()
    url = await sandbox.start()
    servers = make_servers(sandbox, 1, member=True) + make_servers(sandbox, count - 1)
    small = Sandbox()  # the baseline: the same bot in one server
    small_url = await small.start()
    one = make_servers(small, 1, member=True)
    release_at = datetime.now(UTC).replace(microsecond=0) + timedelta(days=31)
    finished_at = datetime.now(UTC).replace(microsecond=0) - timedelta(days=10)
    releases = [(RELEASE_ID, release_at), (FINISHED_ID, finished_at)]
    with tempfile.TemporaryDirectory() as tmp:
        write_config(Path(tmp), releases, MILESTONES)
        await sync_commands(url, tmp)
        await sync_commands(small_url, tmp)
    runs: list[Json] = []
    cases = [("1 (baseline)", 0, False, small, one), ("none", 0, False, sandbox, servers)]
    cases += [(f"{count:,}", count, False, sandbox, servers), (f"{count:,} + history", count, True, sandbox, servers)]
    for label, database in databases.items():
        for case, configured, history, world, members in cases:
            if case.endswith("(baseline)") and label != next(iter(databases)):
                continue
            with tempfile.TemporaryDirectory() as tmp:
                database_url = database.format(tmp=tmp)
                await reset_database(database_url)
                write_config(Path(tmp), releases, MILESTONES)
                await seed(database_url, members[:configured], RELEASE_ID, finished_at if history else None)
                child = await Child.start("bench.bot_process", world.url, tmp, "600", database_url=database_url)
                try:
                    scheduled = await child.event("scheduled")
                    ready = await child.event("ready")
                    rss_up = await serve_and_measure(world, child, members[0])
                finally:
                    await child.stop()
            runs.append(
                {
                    "database": label,
                    "servers": ready["guilds"],
                    "configured": configured,
                    "history": history,
                    "posts": scheduled["posts"],
                    "jobs": scheduled["jobs"],
                    "seconds": scheduled["seconds"],
                    "marks": scheduled.get("marks", {}),
                    "rss": rss_up,
                }
            )
            print(f"startup: {runs[-1]}", flush=True)
    await sandbox.stop()
    await small.stop()
    rows = []
    for r in runs:
        history = " + a finished release: 10,000 subscriptions, 80,000 ledger rows" if r["history"] else ""
        met = "met" if r["seconds"] <= 3 else "missed"
        rows.append(
            [
                r["database"],
                f"{r['servers']:,}",
                f"{r['configured']:,}{history}",
                f"{r['posts']:,} in {r['jobs']:,} jobs",
                (f"{r['seconds']:.2f} s ({met})" if r["configured"] else f"{r['seconds']:.2f} s")
                + (
                    " (migrated {built:.2f} s; CPU {cpu:.2f} s to every post scheduled; every server cached"
                    " {ready:.2f} s, CPU {cpu_ready:.2f} s by then)"
                ).format(**r["marks"]),
                f"{r['rss']:.0f} MiB" + (f" ({'met' if r['rss'] <= 100 else 'missed'})" if r["configured"] else ""),
            ]
        )
    baseline = next(r for r in runs if r["servers"] <= 1)
    empty = next(r for r in runs if r["servers"] > 1 and not r["configured"])
    full = next(r for r in runs if r["configured"] and not r["history"] and r["database"] == empty["database"])
    per_server = (empty["rss"] - baseline["rss"]) / (empty["servers"] / 1000)
    per_post = (full["rss"] - empty["rss"]) / (full["posts"] / 1000) if full["posts"] else 0.0
    text_ = (
        table(
            [
                "database",
                "servers (guilds cached)",
                "subscriptions",
                "posts scheduled",
                "process start to all posts scheduled (target <= 3 s), with this process's CPU time",
                "RSS, gateway up and serving (target <= 100 MiB)",
            ],
            rows,
        )
        + f"\n\nPer 1,000 servers cached (10,000 servers against 1, same empty database): **{per_server:.1f} MiB**. "
        f"Per 1,000 posts scheduled (80,000 against none, same servers): **{per_post:.2f} MiB**."
    )
    return {"text": text_, "runs": runs, "mib_per_1000_servers": per_server, "mib_per_1000_posts": per_post}


# ---- soak ----------------------------------------------------------------------------------------------------

LOADS = {  # seconds between two releases; each brings 3 posts per server (two milestones and the premiere)
    "sustainable": 4.0,  # 0.75 posts/s per channel, under Discord's 5 per 5 s
    "overload": 2.0,  # 1.5 posts/s per channel: a third of the posts must wait, the backlog grows
}


async def soak(minutes: float, load: str, servers: int = 20) -> Json:
    """20 servers; every `LOADS[load]` s each server's admin sets up announcements for a release ~30 s away, by
    slash command, while the posts of earlier releases go out. RSS read from outside every 10 s."""
    period = LOADS[load]
    sandbox = Sandbox()
    url = await sandbox.start()
    ids = [
        await sandbox.create_guild(f"Soak {n}", ["general"], [{"name": "admin", "admin": True}]) for n in range(servers)
    ]
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=40)
    count = int(minutes * 60 / period)
    releases = [(f"soak-{k}", start + timedelta(seconds=period * k)) for k in range(count)]
    samples: list[Json] = []
    began = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        database = SQLITE.format(tmp=tmp)
        write_config(Path(tmp), releases, ["4s", "2s"])
        await sync_commands(url, tmp)
        child = await Child.start("bench.bot_process", url, tmp, "10", database_url=database)

        async def admins() -> None:
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
                stats = await child.event("stats")
                stats["rss_mib"] = rss_mib(child.pid)
                stats["minute"] = (time.time() - began) / 60
                stats["rejected"] = sum(1 for e in sandbox.log if e.get("status") == 429)
                samples.append(stats)
            await driver
        finally:
            await child.stop()
    await sandbox.stop()
    offered = count * 3 * servers
    window = [s for s in samples if s["minute"] >= samples[-1]["minute"] - min(10.0, minutes * 2 / 3)]
    minute = max(1, len([s for s in window if s["minute"] <= window[0]["minute"] + 1]))
    head, tail = window[:minute], window[-minute:]
    rss_head, rss_tail = statistics.mean(s["rss_mib"] for s in head), statistics.mean(s["rss_mib"] for s in tail)
    drift = rss_tail / rss_head - 1
    last = samples[-1]
    delay = last["delay_sum"] / last["delay_count"] if last["delay_count"] else 0.0
    return {
        "load": load,
        "minutes": minutes,
        "window": window[-1]["minute"] - window[0]["minute"],
        "per_channel": 3 / period,
        "offered": offered,
        "sent": int(last["sent"]),
        "skipped": int(last["skipped"]),
        "backlog": int(last["queued"]),
        "max_backlog": max(int(s["queued"]) for s in samples),
        "rejected": int(last["rejected"]),
        "delay": delay,
        "rss_head": rss_head,
        "rss_tail": rss_tail,
        "rss_max": max(s["rss_mib"] for s in samples),
        "drift": drift,
        "series": [(s["minute"], s["rss_mib"], s["queued"]) for s in samples],
    }


def soak_text(runs: list[Json]) -> str:
    rows = []
    for r in runs:
        rows.append(
            [
                f"{r['load']} ({r['per_channel']:.2f} posts/s per channel)",
                f"{r['minutes']:g} min",
                f"{r['offered']:,} offered, {r['sent']:,} sent",
                f"{r['backlog']:,} (max {r['max_backlog']:,})",
                r["rejected"],
                f"{r['delay']:.1f} s",
                f"{r['rss_head']:.1f} → {r['rss_tail']:.1f} MiB (max {r['rss_max']:.1f})",
                f"{r['drift'] * 100:+.1f} % over the last {r['window']:.0f} min "
                f"({'met' if abs(r['drift']) <= 0.05 else 'missed'}: target ≤ 5 %)",
            ]
        )
    return (
        table(
            [
                "load",
                "length",
                "posts (by the end)",
                "waiting posts at the end",
                "429s",
                "mean delay due → sent",
                "RSS, first → last minute of the window",
                "RSS drift",
            ],
            rows,
        )
        + "\n\n![Soak: RSS and waiting posts over time](benchmarks/soak.svg)"
    )


# ---- plots ---------------------------------------------------------------------------------------------------


def pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("svg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(no plots: pip install -e '.[bench]' for matplotlib)", flush=True)
        return None
    plt.rcParams["svg.hashsalt"] = "release-bot"  # stable ids: a re-run changes only what the data changed
    PLOTS.mkdir(parents=True, exist_ok=True)
    return plt


def plot_fanout(runs: list[Json]) -> None:
    plt = pyplot()
    if plt is None or not runs:
        return
    figure, axes = plt.subplots(figsize=(7, 4))
    longest = 0.0
    for r in runs:
        offsets = r["offsets"]
        axes.step(offsets, range(1, len(offsets) + 1), where="post", label=f"{r['database']}, {r['servers']:,} servers")
        longest = max(longest, offsets[-1] if offsets else 0)
    axes.plot([0, longest], [0, 50 * longest], "k--", linewidth=1, label="Discord's 50 requests/s from due")
    axes.set_ylim(0, max(r["servers"] for r in runs) * 1.05)
    axes.set_xlabel("seconds after the due instant")
    axes.set_ylabel("posts delivered")
    axes.set_title("Fan-out: posts delivered over time")
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(PLOTS / "fanout.svg")
    plt.close(figure)


def plot_latency(samples: dict[str, list[float]]) -> None:
    plt = pyplot()
    if plt is None:
        return
    figure, axes = plt.subplots(figsize=(7, 4))
    for name, values in samples.items():
        ordered = sorted(values)
        axes.plot(ordered, [(i + 1) / len(ordered) for i in range(len(ordered))], label=f"{name} ({len(values):,})")
    axes.set_xscale("log")
    axes.axhline(0.99, color="grey", linewidth=0.8, linestyle=":")
    axes.axhline(0.5, color="grey", linewidth=0.8, linestyle=":")
    axes.set_xlabel("interaction round trip (ms, log scale)")
    axes.set_ylabel("fraction of interactions")
    axes.set_title("Interaction latency (cumulative): dotted lines at p50 and p99")
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(PLOTS / "latency.svg")
    plt.close(figure)


def plot_soak(runs: list[Json]) -> None:
    plt = pyplot()
    if plt is None or not runs:
        return
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(7, 5.5), sharex=True)
    for r in runs:
        minutes = [m for m, _, _ in r["series"]]
        top.plot(minutes, [rss for _, rss, _ in r["series"]], label=f"{r['load']}")
        bottom.plot(minutes, [q for _, _, q in r["series"]], label=f"{r['load']}")
    top.set_ylabel("bot RSS (MiB)")
    top.set_ylim(bottom=0)
    top.set_title("Soak: memory and waiting posts")
    top.legend(fontsize=8)
    bottom.set_ylabel("posts waiting")
    bottom.set_xlabel("minutes")
    figure.tight_layout()
    figure.savefig(PLOTS / "soak.svg")
    plt.close(figure)


# ---- quick mode, the document, the command line --------------------------------------------------------------


def check(ok: bool, what: str) -> None:
    print(f"  {'ok  ' if ok else 'FAIL'} {what}", flush=True)
    if not ok:
        LOSSES.append(what)


# The quick mode's guards (CI runs it after the tests: `.ci/run`). Each prints one line, `ok` or `FAIL`, and any
# FAIL makes the run exit 1. Measured on the shared 2-core machine (load average 1.8-2.2, other helpers' test suites
# and a soak running beside it), three runs: p50 ratio 1.12x / 1.54x / 1.37x, 45.7-46.0 posts/s, start-up with
# history 0.93-1.62 s, 82 MiB every time. Lost or doubled posts and memory do not depend on the machine's load, so
# those guards are hard; the timing guards sit far outside what load alone did here, to catch only a real
# regression (a storage round trip or an uncached rebuild per command costs several ms against a p50 of 7-14 ms).
QUICK_SERVERS = 1000  # start-up and memory
QUICK_RSS_MIB = 88  # 1,000 servers serving: 82 MiB measured (74 in one server + 4.1 per 1,000 + history rows)
QUICK_MIN_RATE = 20.0  # posts/s from due for 300 servers: 46/s measured, the pacing's 48/s the ceiling
QUICK_MAX_P50_RATIO = 2.5  # the bot's p50 against a bare client's: at most 1.54x measured under load
QUICK_MAX_STARTUP = 10.0  # seconds, process start to 8,000 posts scheduled with history: at most 1.62 s measured


async def quick() -> None:
    """A regression guard CI can run in under a minute on a loaded machine: no lost or doubled post and memory
    inside its budget (hard), and timings far from what load alone produces (see the thresholds above)."""
    began = time.monotonic()
    run = await fanout_once("SQLite", SQLITE, 300)
    check(
        run["missed"] == 0 and run["doubled"] == 0,
        f"fan-out 300: {run['delivered']} delivered, {run['missed']} lost, {run['doubled']} doubled (none of either)",
    )
    check(run["rate"] >= QUICK_MIN_RATE, f"fan-out 300: {run['rate']:.1f} posts/s from due (>= {QUICK_MIN_RATE:g})")
    result = await interactions(600, server_count=20, blocks=2, plot=False)
    check(result["same_embed"], "interactions: the bare client sent the same embed and buttons")
    check(
        result["ratio50"] <= QUICK_MAX_P50_RATIO,
        f"interactions: p50 {result['ratio50']:.2f}x a bare client (<= {QUICK_MAX_P50_RATIO:g}x)",
    )
    sandbox = Sandbox()
    url = await sandbox.start()
    servers = make_servers(sandbox, 1, member=True) + make_servers(sandbox, QUICK_SERVERS - 1)
    with tempfile.TemporaryDirectory() as tmp:
        at = datetime.now(UTC).replace(microsecond=0)
        write_config(
            Path(tmp), [(RELEASE_ID, at + timedelta(days=31)), (FINISHED_ID, at - timedelta(days=10))], MILESTONES
        )
        await sync_commands(url, tmp)
        database = SQLITE.format(tmp=tmp)
        await seed(database, servers, RELEASE_ID, at - timedelta(days=10))
        child = await Child.start("bench.bot_process", url, tmp, "600", database_url=database)
        try:
            scheduled = await child.event("scheduled")
            ready = await child.event("ready")
            rss = await serve_and_measure(sandbox, child, servers[0], commands=5)
        finally:
            await child.stop()
    await sandbox.stop()
    expected = QUICK_SERVERS * (len(MILESTONES) + 1)
    check(scheduled["posts"] == expected, f"start-up: {scheduled['posts']:,} posts scheduled ({expected:,} expected)")
    check(
        scheduled["seconds"] <= QUICK_MAX_STARTUP,
        f"start-up with history: {scheduled['seconds']:.2f} s to every post scheduled (<= {QUICK_MAX_STARTUP:g} s)",
    )
    check(
        rss <= QUICK_RSS_MIB,
        f"memory: {rss:.0f} MiB with {ready['guilds']:,} servers cached, serving (<= {QUICK_RSS_MIB} MiB)",
    )
    print(f"quick: {time.monotonic() - began:.0f} s", flush=True)


def save(name: str, result: Json) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    result = {**result, "machine": machine(), "date": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC", "load": load()}
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=1, default=str) + "\n")


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


def load() -> str:
    """The machine's load average when a benchmark finished: other work on it shows in the figures."""
    return " / ".join(Path("/proc/loadavg").read_text().split()[:3])


SECTIONS = {
    "fanout": "Fan-out",
    "interactions": "Interaction overhead",
    "startup": "Start-up and memory",
    "soak": "Soak",
}


def write_doc() -> None:
    notes = (
        DOC.read_text().split("<!-- notes -->", 1)[1] if DOC.exists() and "<!-- notes -->" in DOC.read_text() else "\n"
    )
    body = []
    for name, title in SECTIONS.items():
        path = RESULTS / f"{name}.json"
        if not path.exists():
            continue
        result = json.loads(path.read_text())
        body.append(
            f"## {title}\n\nMeasured {result['date']} (load average at the end: {result['load']}).\n\n{result['text']}"
        )
    first = json.loads(next(iter(sorted(RESULTS.glob("*.json")))).read_text()) if RESULTS.exists() else {}
    DOC.write_text(
        f"""# Benchmarks

Measured with `python -m bench.run all` (or one benchmark at a time, then `python -m bench.run report`) on
{first.get("machine", machine())}. The sandbox runs in the benchmark's process with Discord's limits enforced; the
bot runs as its own process, built by the composition root as `release-bot run` builds it, and its memory is read
from outside. `python -m bench.run quick` is the regression guard (under a minute).

"""
        + "\n\n".join(body)
        + f"\n\n<!-- notes -->{notes}"
    )
    print(f"\nwrote {DOC.relative_to(ROOT)}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else "")
    parser.add_argument("which", choices=["all", "quick", "report", "fanout", "interactions", "startup", "soak"])
    parser.add_argument("--servers", type=int, nargs="*", help="fan-out sizes (default 1,000 and 10,000)")
    parser.add_argument("--postgres", action="store_true", help="fan-out on PostgreSQL too (when installed)")
    parser.add_argument("--minutes", type=float, default=15, help="soak length at each load (default 15)")
    parser.add_argument("--load", choices=[*LOADS, "both"], default="both", help="soak load (default both)")
    parser.add_argument("--samples", type=int, default=5000, help="interactions per side (default 5,000)")
    args = parser.parse_args()
    which = args.which
    if which == "quick":
        await quick()
    if which in ("all", "fanout"):
        with postgres() if args.postgres or which == "all" else nullcontext() as pg:
            databases = {"SQLite": SQLITE} | ({"PostgreSQL": pg} if pg else {})
            save("fanout", await fanout(args.servers or [1000, 10000], databases))
    if which in ("all", "interactions"):
        save("interactions", await interactions(args.samples))
    if which in ("all", "startup"):
        with postgres() as pg:
            save("startup", await startup(10000, {"SQLite": SQLITE} | ({"PostgreSQL": pg} if pg else {})))
    if which in ("all", "soak"):
        runs = [await soak(args.minutes, load) for load in (LOADS if args.load == "both" else [args.load])]
        plot_soak(runs)
        save("soak", {"text": soak_text(runs), "runs": runs})
    if which not in ("quick", "report"):
        print("\n" + json.loads((RESULTS / f"{which if which != 'all' else 'soak'}.json").read_text())["text"])
    if which in ("all", "report"):
        write_doc()
    if LOSSES:
        print("\nFAILED: " + "; ".join(LOSSES), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    asyncio.run(main())
