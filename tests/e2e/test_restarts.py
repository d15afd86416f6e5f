"""Restarts: the grace rules after downtime, and a SIGKILL in the middle of a fan-out."""

from __future__ import annotations

import asyncio
import signal
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import Config
from bot.domain.announcements import PostUnverifiable
from bot.domain.releases import Catalogue
from bot.sandbox.server import Sandbox
from tests.conftest import upcoming_release
from tests.e2e.conftest import (
    FAST_TIMING,
    Launch,
    Server,
    next_posts,
    seeded_store,
    start_bot,
    stop_bot,
    subscribe,
    wait_until,
    write_config,
)

MINUTE = timedelta(minutes=1)


async def test_after_downtime_only_the_latest_post_in_grace_is_sent_late(
    sandbox: Sandbox, launch: Launch, config: Config, database_url: str
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    # Milestones 1 day, 2 h, 1 h, 45 min and 40 min before a release 30 minutes away; the bot was off for 3 days.
    soon = upcoming_release(
        config,
        now + 30 * MINUTE,
        database_url=database_url,
        milestones=(timedelta(days=1), 120 * MINUTE, 60 * MINUTE, 45 * MINUTE, 40 * MINUTE),
    )
    ids = await sandbox.create_guild("Offline server", ["general"], [{"name": "admin", "admin": True}])
    await subscribe(database_url, [ids], now - timedelta(days=3))
    queue = sandbox.listen()
    bot = await launch(soon)
    [late] = await next_posts(queue, 1)
    assert late["content"] == (
        "📣 **The Lighthouse Keeper** premieres on Netflix in 40 minutes: "
        f"<t:{int((now + 30 * MINUTE).timestamp())}:F> "
        f"(<t:{int((now + 30 * MINUTE).timestamp())}:R>)\n"
        "-# posted late: the bot was offline"
    )
    rows = await wait_until(lambda: bot.announcer.store.deliveries(), lambda r: all(d.state != "claimed" for d in r))
    states = {d.post_key: (d.state, d.late) for d in rows}
    assert states == {
        "milestone:1d": ("skipped", False),
        "milestone:2h": ("skipped", False),
        "milestone:1h": ("skipped", False),
        "milestone:45m": ("skipped", False),
        "milestone:40m": ("sent", True),
    }
    details = {d.post_key: d.detail for d in rows}
    assert "past its grace window" in details["milestone:1d"] and "past its grace window" in details["milestone:2h"]
    assert details["milestone:1h"] == "superseded by a later post"
    assert [d.key for d in bot.announcer.scheduled(int(ids["guild_id"]))] == ["premiere"]  # the rest goes on


async def test_a_premiere_is_announced_late_within_a_day_and_skipped_after(
    sandbox: Sandbox, launch: Launch, config: Config, database_url: str
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    soon = upcoming_release(config, now - 2 * 60 * MINUTE, database_url=database_url, milestones=(60 * MINUTE,))
    recent = soon.catalogue.featured
    older = replace(recent, id="the-old-lighthouse", title="The Old Lighthouse", release_at=now - 25 * 60 * MINUTE)
    soon = replace(soon, catalogue=Catalogue((*soon.catalogue.releases, older), recent.id))
    ids = await sandbox.create_guild("Offline server", ["general", "old"], [])
    store = await seeded_store(database_url)
    guild = int(ids["guild_id"])
    for release_id, channel in ((recent.id, "general"), (older.id, "old")):
        await store.save_subscription(
            guild, release_id, int(ids["channels"][channel]), None, "UTC", None, now - timedelta(days=3)
        )
    await store.engine.dispose()
    queue = sandbox.listen()
    bot = await launch(soon)
    [late] = await next_posts(queue, 1)
    assert late["channel_id"] == ids["channels"]["general"]
    assert late["content"].startswith("🎬 **The Lighthouse Keeper** is out now")
    assert late["content"].endswith("posted late: the bot was offline")
    rows = await wait_until(lambda: bot.announcer.store.deliveries(), lambda r: all(d.state != "claimed" for d in r))
    states = {(d.release_id, d.post_key): d.state for d in rows}
    assert states == {
        (recent.id, "milestone:1h"): "skipped",
        (recent.id, "premiere"): "sent",
        (older.id, "milestone:1h"): "skipped",
        (older.id, "premiere"): "skipped",
    }
    assert sandbox.messages(ids["channels"]["old"]) == []  # 25 h late is past the 24 h premiere grace


LATE = "\n-# posted late: the bot was offline"
MESSAGES = "POST /channels/{channel_id}/messages"


async def seed_servers(sandbox: Sandbox, database_url: str, count: int) -> list[dict]:
    ids = [await sandbox.create_guild(f"Server {n}", ["general"], []) for n in range(count)]
    await subscribe(database_url, ids, datetime.now(UTC))
    return ids


def sends(sandbox: Sandbox) -> list[dict]:
    return [e for e in sandbox.log if e.get("route") == MESSAGES]


async def kill_mid_fan_out(sandbox: Sandbox, config_dir: Path, database_url: str, timing: str) -> dict[str, str]:
    """A slow fan-out (2 posts/s) of the milestone; after 3 posts the 4th send is held 1.5 s at Discord (it lands)
    and the 5th fails after 1.5 s (nothing is created); SIGKILL while both are in flight. Returns once the held
    post has landed: {"held": its channel, "lost": the failed one's channel}."""
    sandbox.add_fault(MESSAGES, status=0, count=3)
    sandbox.add_fault(MESSAGES, status=0, count=1, latency_ms=1500)
    sandbox.add_fault(MESSAGES, status=500, count=1, latency_ms=1500)
    queue = sandbox.listen()
    bot = await start_bot(sandbox, config_dir, database_url, timing=timing)
    try:
        await next_posts(queue, 3, timeout=60)
        await wait_until(lambda: asyncio.sleep(0, sends(sandbox)), lambda found: len(found) >= 5, timeout=30)
    finally:
        await stop_bot(bot, signal.SIGKILL)
    held, lost = sends(sandbox)[3], sends(sandbox)[4]
    [landed] = await next_posts(queue, 1, timeout=10)
    assert landed["channel_id"] == held["path"].split("/")[2]
    return {"held": landed["channel_id"], "lost": lost["path"].split("/")[2]}


async def every_post_once(sandbox: Sandbox, database_url: str, ids: list[dict]) -> dict[str, object]:
    """Wait until each server has its milestone and the ledger is settled; exactly one copy each, and each
    ledger row names the message that arrived, labelled late exactly when the ledger says so."""
    store = await seeded_store(database_url)
    try:
        rows = await wait_until(
            store.deliveries, lambda r: len(r) == len(ids) and all(d.state == "sent" for d in r), timeout=60
        )
    finally:
        await store.engine.dispose()
    by_channel = {str(d.channel_id): d for d in rows}
    for server in ids:
        channel = server["channels"]["general"]
        [message] = sandbox.messages(channel)
        row = by_channel[channel]
        assert message["id"] == str(row.message_id)
        assert message["content"].startswith("📣 **The Lighthouse Keeper** premieres on Netflix in 1 hour")
        assert message["content"].endswith(LATE) == row.late, (message["content"], row.late)
    return by_channel


async def test_sigkill_mid_fan_out_then_restart_gives_exactly_one_copy(
    sandbox: Sandbox, database_url: str, tmp_path: Path
) -> None:
    # The premiere is an hour away, so a restart never supersedes the milestone being fanned out.
    release_at = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1, seconds=8)
    config_dir = write_config(tmp_path, release_at, milestones=("1h",), posts_per_second=2)
    ids = await seed_servers(sandbox, database_url, 10)
    channels = await kill_mid_fan_out(sandbox, config_dir, database_url, FAST_TIMING)
    assert sum(len(sandbox.messages(s["channels"]["general"])) for s in ids) == 4  # the fan-out was cut short
    second = await start_bot(sandbox, config_dir, database_url)  # at once: inside Discord's nonce memory
    try:
        rows = await every_post_once(sandbox, database_url, ids)
    finally:
        await stop_bot(second, signal.SIGTERM)
    # The two claims in flight were sent again with their nonce: the held one's first message came back.
    for channel in channels.values():
        tries = [e for e in sends(sandbox) if e["path"] == f"/channels/{channel}/messages"]
        assert len(tries) == 2 and len({e["body"]["nonce"] for e in tries}) == 1
    assert not rows[channels["held"]].late
    # Those the killed process never claimed were caught up after the restart, labelled late.
    never_claimed = {s["channels"]["general"] for s in ids} - {e["path"].split("/")[2] for e in sends(sandbox)[:5]}
    assert never_claimed and all(rows[c].late for c in never_claimed)


async def test_long_fan_out_killed_and_restarted_after_the_nonce_window(
    sandbox: Sandbox, database_url: str, tmp_path: Path
) -> None:
    release_at = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1, seconds=8)
    config_dir = write_config(tmp_path, release_at, milestones=("1h",), posts_per_second=2)
    ids = await seed_servers(sandbox, database_url, 10)
    timing = FAST_TIMING + ",nonce_window=1"  # Discord's nonce memory, shortened to one second
    channels = await kill_mid_fan_out(sandbox, config_dir, database_url, timing)
    killed_at = time.monotonic()
    await asyncio.sleep(max(0.0, killed_at + 1.5 - time.monotonic()))  # the pause outlasts the nonce memory
    second = await start_bot(sandbox, config_dir, database_url, timing=timing)
    try:
        rows = await every_post_once(sandbox, database_url, ids)
    finally:
        await stop_bot(second, signal.SIGTERM)
    # Past the nonce memory, both claims in flight were looked for in their channel before anything was decided:
    reads = {e["path"].split("/")[2] for e in sandbox.log if e.get("route") == "GET /channels/{channel_id}/messages"}
    assert {channels["held"], channels["lost"]} <= reads
    # the one that had landed is recorded with its message, not sent again;
    assert len([e for e in sends(sandbox) if e["path"] == f"/channels/{channels['held']}/messages"]) == 1
    assert not rows[channels["held"]].late
    # the one that had not is sent now, labelled late.
    assert rows[channels["lost"]].late


async def test_a_5xx_late_in_a_long_fan_out_is_retried_and_delivered(
    sandbox: Sandbox, database_url: str, tmp_path: Path
) -> None:
    release_at = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1, seconds=8)
    config_dir = write_config(tmp_path, release_at, milestones=("1h",), posts_per_second=4)
    ids = await seed_servers(sandbox, database_url, 10)
    # The 8th post of the fan-out gets a 503 (discord.py does not retry it), ~2 s after the post was due:
    # longer than the (shortened) nonce memory, as it is hours into a 10,000-server fan-out.
    sandbox.add_fault(MESSAGES, status=0, count=7)
    sandbox.add_fault(MESSAGES, status=503, count=1)
    bot = await start_bot(sandbox, config_dir, database_url, timing=FAST_TIMING + ",nonce_window=1")
    try:
        rows = await every_post_once(sandbox, database_url, ids)
    finally:
        await stop_bot(bot, signal.SIGTERM)
    [failed] = [e for e in sends(sandbox) if e.get("fault") == 503]
    channel = failed["path"].split("/")[2]
    tries = [e for e in sends(sandbox) if e["path"] == failed["path"]]
    assert len(tries) == 2 and tries[1]["status"] == 200 and tries[1]["body"]["nonce"] == failed["body"]["nonce"]
    assert not any(row.late for row in rows.values())  # the bot never went down: nothing says it did
    assert rows[channel].message_id == int(tries[1]["response"]["id"])


async def test_a_stored_row_that_does_not_parse_pauses_that_server_only(
    sandbox: Sandbox, launch: Launch, config: Config, database_url: str
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    soon = upcoming_release(config, now + timedelta(seconds=3), database_url=database_url, milestones=())
    good = await sandbox.create_guild("Good server", ["general"], [])
    bad = [await sandbox.create_guild(f"Bad server {n}", ["general"], []) for n in range(2)]
    store = await seeded_store(database_url)
    # Saved before input was validated: a non-ASCII digit in the daily time, a time zone that does not exist.
    # The good server's daily time is 12 hours away: a fixed "20:00" made its daily post due within the hour's grace
    # when the test ran between 20:00 and 21:00 UTC, and the catch-up sent it (late) before the premiere.
    daily_ok = f"{now + timedelta(hours=12):%H:%M}"
    for ids, zone, daily in ((good, "UTC", daily_ok), (bad[0], "UTC", "1:5٥"), (bad[1], "Mars/Olympus", None)):
        await store.save_subscription(
            int(ids["guild_id"]),
            "the-lighthouse-keeper",
            int(ids["channels"]["general"]),
            None,
            zone,
            daily,
            now - timedelta(days=1),
        )
    await store.engine.dispose()
    queue = sandbox.listen()
    bot = await launch(soon)  # it starts
    [premiere] = await next_posts(queue, 1)
    assert premiere["channel_id"] == good["channels"]["general"]
    assert premiere["content"].startswith("🎬 **The Lighthouse Keeper** is out now")
    subs = {s.guild_id: s for s in await bot.announcer.store.subscriptions()}
    assert not subs[int(good["guild_id"])].paused
    assert subs[int(bad[0]["guild_id"])].pause_reason == (
        "the stored daily time '1:5٥' is not a time like 20:00; run /announce setup again"
    )
    assert subs[int(bad[1]["guild_id"])].pause_reason == (
        "the stored time zone 'Mars/Olympus' is not one I know; run /announce setup again"
    )
    assert all(sandbox.messages(b["channels"]["general"]) == [] for b in bad)


async def test_commands_are_answered_while_catch_up_posts_are_still_being_sent(
    sandbox: Sandbox, launch: Launch, config: Config, database_url: str
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    soon = upcoming_release(config, now + 30 * MINUTE, database_url=database_url, milestones=(40 * MINUTE,))
    ids = await sandbox.create_guild("Offline server", ["general"], [{"name": "ada"}])
    await subscribe(database_url, [ids], now - timedelta(days=1))
    sandbox.add_fault(MESSAGES, status=0, count=1, latency_ms=4000)  # Discord is slow to take the late post
    queue = sandbox.listen()
    await launch(soon)
    answer = await sandbox.interact(ids["guild_id"], ids["channels"]["general"], ids["members"]["ada"], "/countdown")
    assert answer["data"]["embeds"][0]["title"] == "The Lighthouse Keeper"
    # answered while the late post is still on its way (before, start-up sent it before connecting)
    assert not any("premieres on Netflix" in m["content"] for m in sandbox.messages(ids["channels"]["general"]))
    [late] = await next_posts(queue, 1)  # and the caught-up post still arrives
    assert late["content"].endswith(LATE)


async def test_a_one_off_urgent_post_does_not_wait_behind_a_fan_out(
    sandbox: Sandbox, launch: Launch, config: Config, database_url: str
) -> None:
    """What `/announce test` uses: `poster.post(..., urgent=True)` takes the next pacing slot, before the fan-out
    posts still waiting (a 10,000-server fan-out would otherwise hold it ~200 s, past the interaction's life)."""
    now = datetime.now(UTC).replace(microsecond=0)
    soon = upcoming_release(config, now + timedelta(seconds=3), database_url=database_url, milestones=())
    soon = replace(soon, settings=replace(soon.settings, posts_per_second=2.0))
    ids = await seed_servers(sandbox, database_url, 6)
    queue = sandbox.listen()
    bot = await launch(soon)
    assert bot.announcer is not None
    await next_posts(queue, 1)  # the fan-out has begun; five posts wait for their slot
    channel = ids[0]["channels"]["general"]
    test_post = asyncio.create_task(bot.announcer.poster.post(int(channel), "Test post", "t-urgent", None, urgent=True))
    rest = [m["content"] for m in await next_posts(queue, 6)]
    await test_post
    assert rest.index("Test post") <= 1, rest


async def test_an_old_claim_is_looked_for_in_its_channel_by_author_text_and_time(server: Server) -> None:
    """Reconciliation through the real client: Discord returns no nonce on messages read back."""
    assert server.bot.announcer is not None
    poster = server.bot.announcer.poster
    channel = int(server.channel())
    since = datetime.now(UTC)
    sent = await poster.post(channel, "📣 The Lighthouse Keeper premieres in 1 hour", "rb-find-1", None)
    await poster.post(channel, "📣 The Lighthouse Keeper premieres in 2 hours", "rb-find-2", None)
    assert await poster.find(channel, "📣 The Lighthouse Keeper premieres in 1 hour", since) == sent
    assert await poster.find(channel, "📣 The Lighthouse Keeper is out now", since) is None
    # A claim made after that message was posted (less clock skew) is not that message.
    assert await poster.find(channel, "📣 The Lighthouse Keeper premieres in 1 hour", since + 5 * MINUTE) is None
    # Without Read Message History, Discord would answer an empty list: the bot says it cannot check.
    await server.sandbox.set_channel_permissions(channel, server.sandbox.world.bot_id, [], ["read_message_history"])
    guild_channel = server.bot.get_channel(channel)
    await wait_until(
        lambda: asyncio.sleep(0, guild_channel.permissions_for(guild_channel.guild.me)),
        lambda permissions: not permissions.read_message_history,
    )
    with pytest.raises(PostUnverifiable):
        await poster.find(channel, "📣 The Lighthouse Keeper premieres in 1 hour", since)
