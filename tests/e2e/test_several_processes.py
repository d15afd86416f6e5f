"""Several bot processes: shards routed to their owners, and a rolling restart where the ledger arbitrates."""

from __future__ import annotations

import asyncio
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.sandbox.server import Sandbox
from bot.storage.database import create_engine
from bot.storage.repository import Store
from tests.conftest import ROOT
from tests.e2e.conftest import next_posts, start_bot, stop_bot, subscribe, wait_until, write_config


async def seed(sandbox: Sandbox, database_url: str, servers: int) -> list[dict]:
    ids = [await sandbox.create_guild(f"Server {n}", ["general"], [{"name": "ada"}]) for n in range(servers)]
    await subscribe(database_url, ids, datetime.now(UTC))
    return ids


async def ledger(database_url: str, expected: int) -> list:
    engine = create_engine(database_url)
    try:
        return await wait_until(
            Store(engine).deliveries,
            lambda rows: len(rows) == expected and all(d.state == "sent" for d in rows),
            timeout=60,
        )
    finally:
        await engine.dispose()


def stop(*processes: asyncio.subprocess.Process) -> list:
    return [stop_bot(process) for process in processes]


async def test_each_shard_process_serves_its_own_servers(sandbox: Sandbox, database_url: str, tmp_path: Path) -> None:
    release_at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=10)
    config_dir = write_config(tmp_path, release_at)
    ids = await seed(sandbox, database_url, 4)
    sync = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "sync", "--sandbox", sandbox.url, cwd=ROOT, stdout=asyncio.subprocess.DEVNULL
    )
    assert await sync.wait() == 0
    queue = sandbox.listen()
    zero = await start_bot(sandbox, config_dir, database_url, "--shard-ids", "0", "--shard-count", "2")
    one = await start_bot(sandbox, config_dir, database_url, "--shard-ids", "1", "--shard-count", "2")
    try:
        assert sorted(s.shard for s in sandbox.gateway.sessions.values()) == [(0, 2), (1, 2)]
        for n, server in enumerate(ids):
            [owner] = sandbox.gateway.sessions_for(int(server["guild_id"]))
            assert owner.shard == (n % 2, 2)  # guild n is on shard n % 2
        for server in ids:  # each server's command reaches, and is answered by, the process of its shard
            response = await sandbox.interact(
                server["guild_id"], server["channels"]["general"], server["members"]["ada"], "/countdown", wait=10
            )
            assert response["data"]["embeds"][0]["title"] == "The Lighthouse Keeper"
        await next_posts(queue, 8, timeout=40)  # 2 posts for each of 4 servers
        rows = await ledger(database_url, 8)
        assert len({d.message_id for d in rows}) == 8
        for server in ids:
            assert len([m for m in sandbox.messages(server["channels"]["general"]) if m["type"] == 0]) == 2
    finally:
        await asyncio.gather(*stop(zero, one))


async def test_rolling_restart_with_a_kill_mid_fan_out_sends_each_post_once(
    sandbox: Sandbox, database_url: str, tmp_path: Path
) -> None:
    servers = 12
    release_at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=12)
    config_dir = write_config(tmp_path, release_at)
    ids = await seed(sandbox, database_url, servers)
    sandbox.add_fault("POST /channels/{channel_id}/messages", status=0, count=4 * servers, latency_ms=400)
    queue = sandbox.listen()
    old = await start_bot(sandbox, config_dir, database_url)
    new = await start_bot(sandbox, config_dir, database_url)  # both own every server for a while
    try:
        await next_posts(queue, 2, timeout=40)
        await stop_bot(old, signal.SIGKILL)  # mid fan-out; the new process sweeps up what it left claimed
        rows = await ledger(database_url, 2 * servers)
    finally:
        await asyncio.gather(*stop(old, new))
    for server in ids:
        contents = [m["content"] for m in sandbox.messages(server["channels"]["general"])]
        assert len(contents) == 2, contents
    assert len({d.message_id for d in rows}) == 2 * servers
    # Both processes raced for every post; the ledger let exactly one send each, and what the killed process
    # had claimed but not confirmed the survivor's sweep finished (with the same nonce).
    assert {d.post_key for d in rows} == {"milestone:2s", "premiere"}
