"""Restarts: the grace rules after downtime, and a SIGKILL in the middle of a fan-out."""

from __future__ import annotations

import asyncio
import signal
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.config import Config
from bot.domain.releases import Catalogue
from bot.sandbox.server import Sandbox
from bot.storage.database import create_engine, upgrade
from bot.storage.repository import Store
from tests.conftest import upcoming_release
from tests.e2e.conftest import Launch, next_posts, start_bot, wait_until, write_config

MINUTE = timedelta(minutes=1)


async def seeded_store(database_url: str) -> Store:
    engine = create_engine(database_url)
    await upgrade(engine)
    return Store(engine)


async def test_after_downtime_only_the_latest_post_in_grace_is_sent_late(
        sandbox: Sandbox, launch: Launch, config: Config, database_url: str) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    # Milestones 1 day, 2 h, 1 h, 45 min and 40 min before a release 30 minutes away; the bot was off for 3 days.
    soon = upcoming_release(config, now + 30 * MINUTE, database_url=database_url,
                            milestones=(timedelta(days=1), 120 * MINUTE, 60 * MINUTE, 45 * MINUTE, 40 * MINUTE))
    ids = await sandbox.create_guild("Offline server", ["general"], [{"name": "admin", "admin": True}])
    store = await seeded_store(database_url)
    await store.save_subscription(int(ids["guild_id"]), "the-lighthouse-keeper", int(ids["channels"]["general"]),
                                  None, "UTC", None, now - timedelta(days=3))
    await store.engine.dispose()
    queue = sandbox.listen()
    bot = await launch(soon)
    [late] = await next_posts(queue, 1)
    assert late["content"] == ("📣 **The Lighthouse Keeper** premieres on Netflix in 40 minutes: "
                               f"<t:{int((now + 30 * MINUTE).timestamp())}:F> "
                               f"(<t:{int((now + 30 * MINUTE).timestamp())}:R>)\n"
                               "-# posted late: the bot was offline")
    rows = await wait_until(lambda: bot.announcer.store.deliveries(), lambda r: all(d.state != "claimed" for d in r))
    states = {d.post_key: (d.state, d.late) for d in rows}
    assert states == {"milestone:1d": ("skipped", False), "milestone:2h": ("skipped", False),
                      "milestone:1h": ("skipped", False), "milestone:45m": ("skipped", False),
                      "milestone:40m": ("sent", True)}
    details = {d.post_key: d.detail for d in rows}
    assert "past its grace window" in details["milestone:1d"] and "past its grace window" in details["milestone:2h"]
    assert details["milestone:1h"] == "superseded by a later post"
    assert [d.key for d in bot.announcer.scheduled(int(ids["guild_id"]))] == ["premiere"]  # the rest goes on


async def test_a_premiere_is_announced_late_within_a_day_and_skipped_after(
        sandbox: Sandbox, launch: Launch, config: Config, database_url: str) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    soon = upcoming_release(config, now - 2 * 60 * MINUTE, database_url=database_url, milestones=(60 * MINUTE,))
    recent = soon.catalogue.featured
    older = replace(recent, id="the-old-lighthouse", title="The Old Lighthouse", release_at=now - 25 * 60 * MINUTE)
    soon = replace(soon, catalogue=Catalogue((*soon.catalogue.releases, older), recent.id))
    ids = await sandbox.create_guild("Offline server", ["general", "old"], [])
    store = await seeded_store(database_url)
    guild = int(ids["guild_id"])
    for release_id, channel in ((recent.id, "general"), (older.id, "old")):
        await store.save_subscription(guild, release_id, int(ids["channels"][channel]), None, "UTC", None,
                                      now - timedelta(days=3))
    await store.engine.dispose()
    queue = sandbox.listen()
    bot = await launch(soon)
    [late] = await next_posts(queue, 1)
    assert late["channel_id"] == ids["channels"]["general"]
    assert late["content"].startswith("🎬 **The Lighthouse Keeper** is out now")
    assert late["content"].endswith("posted late: the bot was offline")
    rows = await wait_until(lambda: bot.announcer.store.deliveries(), lambda r: all(d.state != "claimed" for d in r))
    states = {(d.release_id, d.post_key): d.state for d in rows}
    assert states == {(recent.id, "milestone:1h"): "skipped", (recent.id, "premiere"): "sent",
                      (older.id, "milestone:1h"): "skipped", (older.id, "premiere"): "skipped"}
    assert sandbox.messages(ids["channels"]["old"]) == []  # 25 h late is past the 24 h premiere grace


async def test_sigkill_mid_fan_out_then_restart_gives_exactly_one_copy(
        sandbox: Sandbox, config: Config, database_url: str, tmp_path: Path) -> None:
    servers = 12
    release_at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=12)
    config_dir = write_config(tmp_path, release_at)
    ids = [await sandbox.create_guild(f"Server {n}", ["general"], []) for n in range(servers)]
    store = await seeded_store(database_url)
    for server in ids:
        await store.save_subscription(int(server["guild_id"]), "the-lighthouse-keeper",
                                      int(server["channels"]["general"]), None, "UTC", None, datetime.now(UTC))
    await store.engine.dispose()
    # Slow message creation down so the kill lands while posts are in flight.
    sandbox.add_fault("POST /channels/{channel_id}/messages", status=0, count=servers, latency_ms=400)
    queue = sandbox.listen()
    first = await start_bot(sandbox, config_dir, database_url)
    try:
        await next_posts(queue, 3, timeout=30)  # the 2-seconds-before post has started to land
    finally:
        first.send_signal(signal.SIGKILL)
        await first.wait()
    second = await start_bot(sandbox, config_dir, database_url)
    try:
        # Every server must end with the milestone and the premiere: 2 posts each, exactly once.
        def complete() -> bool:
            return all(len(sandbox.messages(s["channels"]["general"])) >= 2 for s in ids)

        deadline = asyncio.get_running_loop().time() + 40
        while not complete():
            assert asyncio.get_running_loop().time() < deadline, "posts missing after the restart"
            await asyncio.wait_for(queue.get(), 40)
        store = await seeded_store(database_url)
        rows = await wait_until(store.deliveries, lambda r: len(r) == 2 * servers and
                                all(d.state == "sent" for d in r), timeout=20)
        await store.engine.dispose()
    finally:
        second.send_signal(signal.SIGTERM)
        await second.wait()
    for server in ids:
        contents = [m["content"] for m in sandbox.messages(server["channels"]["general"])]
        assert len(contents) == 2, contents
        assert "in 2 seconds" in contents[0] and "is out now" in contents[1]
    assert len({d.message_id for d in rows}) == 2 * servers
    # Claims the killed process never confirmed were sent again after the restart, with the same nonce:
    # more requests than messages, and still one message per post.
    sends = [e for e in sandbox.log if e["method"] == "POST" and e["path"].endswith("/messages")]
    assert len(sends) > 2 * servers
