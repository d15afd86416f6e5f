"""Announcements end to end: setup by slash command, posts arriving once each, failures handled."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.config import Config
from bot.domain.plan import build_plan
from bot.sandbox.server import Sandbox
from tests.conftest import upcoming_release
from tests.e2e.conftest import Launch, Server, join_guild, next_posts, time_comes, wait_until

SECOND = timedelta(seconds=1)


async def soon_server(
    sandbox: Sandbox,
    launch: Launch,
    config: Config,
    database_url: str,
    seconds: float,
    milestones: tuple[timedelta, ...] = (2 * SECOND, SECOND),
) -> tuple[Server, Config]:
    release_at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=seconds)
    soon = upcoming_release(config, release_at, milestones=milestones, database_url=database_url)
    bot = await launch(soon)
    ids = await join_guild(
        sandbox,
        bot,
        "Lamplight Readers",
        channels=["general", "announcements", "locked"],
        members=[{"name": "ada"}, {"name": "grace", "admin": True}],
    )
    return Server(sandbox, bot, ids), soon


async def test_setup_then_posts_arrive_once_each(
    sandbox: Sandbox, launch: Launch, config: Config, database_url: str
) -> None:
    # Far enough ahead that a slow machine still sets up before the first milestone is due.
    server, soon = await soon_server(sandbox, launch, config, database_url, seconds=10)
    role = await sandbox.add_role(int(server.guild_id), "Watchers")
    queue = sandbox.listen()
    response = await server.slash(
        "/announce setup channel:#announcements role:@Watchers timezone:Europe/Paris", user="grace"
    )
    assert response["data"]["flags"] == 64
    assert "✅ Countdown posts for **The Lighthouse Keeper** will go to" in response["data"]["embeds"][0]["description"]

    # The jobs scheduled are exactly the plan `release-bot plan` prints.
    release = soon.catalogue.featured
    announcer = server.bot.announcer
    plan = build_plan(release, release.timezone, None, datetime.now(UTC), soon.settings.milestones)
    assert [(d.at, d.key) for d in announcer.scheduled(int(server.guild_id))] == [(p.at, p.key) for p in plan]

    posts = await next_posts(queue, 3)
    channel = server.channel("announcements")
    assert [p["channel_id"] for p in posts] == [channel] * 3
    unix = int(release.release_at.timestamp())
    assert posts[0]["content"] == (
        f"<@&{role}> 📣 **The Lighthouse Keeper** premieres on Netflix in 2 seconds: <t:{unix}:F> (<t:{unix}:R>)"
    )
    assert "in 1 second" in posts[1]["content"]
    assert posts[2]["content"] == f"<@&{role}> 🎬 **The Lighthouse Keeper** is out now — it is streaming on Netflix!"
    stored = sandbox.messages(channel)
    assert len(stored) == 3  # once each
    assert all(m["allowed_mentions"] == {"parse": [], "roles": [int(role)]} for m in stored)
    ledger = await wait_until(
        lambda: announcer.store.deliveries(int(server.guild_id)), lambda rows: all(d.state != "claimed" for d in rows)
    )
    assert [(d.post_key, d.state, str(d.message_id)) for d in ledger] == [
        ("milestone:2s", "sent", posts[0]["id"]),
        ("milestone:1s", "sent", posts[1]["id"]),
        ("premiere", "sent", posts[2]["id"]),
    ]
    # /announce status links each post, and the subscription is finished, not "Active".
    status = await server.slash("/announce status", user="grace")
    fields = {f["name"]: f["value"] for f in status["data"]["embeds"][0]["fields"]}
    links = [f"https://discord.com/channels/{server.guild_id}/{channel}/{p['id']}" for p in posts]
    assert [line.split(" — ", 2)[1:] for line in fields["Last posts"].splitlines()] == [
        ["2 seconds before", f"[sent]({links[0]})"],
        ["1 second before", f"[sent]({links[1]})"],
        ["premiere", f"[sent]({links[2]})"],
    ]
    assert fields["Status"] == "✅ Finished — the release is out"


async def test_admin_commands_status_test_pause_resume_off(
    sandbox: Sandbox, launch: Launch, config: Config, database_url: str
) -> None:
    server, _ = await soon_server(sandbox, launch, config, database_url, seconds=3600, milestones=(30 * 60 * SECOND,))
    empty = await server.slash("/announce status", user="grace")
    assert "No announcements are set up" in empty["data"]["content"]
    # A daily time 3 hours from now never falls before the premiere, an hour away: whatever the wall clock says.
    daily = (datetime.now(ZoneInfo("Asia/Kolkata")) + timedelta(hours=3)).strftime("%H:%M")
    await server.slash(f"/announce setup channel:#announcements daily_time:{daily} timezone:Asia/Kolkata", user="grace")
    # Setting up again to add a role keeps the daily post and the zone.
    role = await sandbox.add_role(int(server.guild_id), "Watchers")
    again = await server.slash("/announce setup channel:#announcements role:@Watchers", user="grace")
    assert f"Kept from before: the daily post at {daily}." in again["data"]["embeds"][0]["description"]
    status = await server.slash("/announce status", user="grace")
    assert status["deferred"] is True and status["data"]["flags"] == 64  # "thinking…" first, privately
    embed = status["data"]["embeds"][0]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Channel"] == f"<#{server.channel('announcements')}>"
    assert fields["Daily post"] == f"{daily} (Asia/Kolkata)"
    assert fields["Role ping"] == f"<@&{role}>"
    assert fields["Status"] == "▶️ Active"
    assert "30 minutes before" in next(v for k, v in fields.items() if k.startswith("Next posts"))

    queue = sandbox.listen()
    test = await server.slash("/announce test", user="grace")
    assert test["data"]["content"] == (
        f"✅ Sent a test post to <#{server.channel('announcements')}>. It pings nobody. Real posts ping <@&{role}>."
    )
    [sample] = await next_posts(queue, 1)
    assert sample["content"].startswith(
        "🔔 **Test post** — a post sent now would say:\n📣 **The Lighthouse Keeper** premieres on Netflix in "
    )  # the words for now, an hour before
    [stored] = [m for m in sandbox.messages(server.channel("announcements")) if m["id"] == sample["id"]]
    assert "<@&" not in sample["content"] and stored["allowed_mentions"] == {"parse": []}  # pings nobody

    paused = await server.slash("/announce pause", user="grace")
    assert "paused" in paused["data"]["content"]
    assert server.bot.announcer.scheduled(int(server.guild_id)) == []
    status = await server.slash("/announce status", user="grace")
    value = {f["name"]: f["value"] for f in status["data"]["embeds"][0]["fields"]}["Status"]
    assert value == "⏸️ Paused by an admin — `/announce resume` to restart."  # nothing about permissions
    resumed = await server.slash("/announce resume", user="grace")
    assert resumed["data"]["content"] == "▶️ Announcements resumed."
    assert len(server.bot.announcer.scheduled(int(server.guild_id))) == 2  # 30 min before, premiere
    again = await server.slash("/announce resume", user="grace")
    assert again["data"]["content"] == "▶️ Announcements are already active: there was nothing to resume."
    off = await server.slash("/announce off", user="grace")
    assert "off" in off["data"]["content"]
    assert await server.bot.announcer.store.subscriptions(int(server.guild_id)) == []


async def test_members_without_manage_server_cannot_announce(
    sandbox: Sandbox, launch: Launch, config: Config, database_url: str
) -> None:
    server, _ = await soon_server(sandbox, launch, config, database_url, seconds=3600)
    announce = next(c for c in sandbox.world.global_commands if c["name"] == "announce")
    assert announce["default_member_permissions"] == "32"  # Discord hides it from members without Manage Server
    response = await server.slash("/announce setup channel:#general", user="ada")
    assert response["data"]["flags"] == 64
    assert "Manage Server" in response["data"]["content"]
    assert await server.bot.announcer.store.subscriptions() == []


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("/announce setup channel:#general timezone:Mars/Olympus", "is not a time zone I know"),
        ("/announce setup channel:#general daily_time:25:00", "“25:00” is not a time of day"),
        ("/announce setup channel:#general daily_time:1:5٥", "“1:5٥” is not a time of day"),  # an Arabic-Indic 5
        ("/announce setup channel:#general daily_time:9:5５", "“9:5５” is not a time of day"),  # a fullwidth 5
        ("/announce setup channel:#general daily_time:0:0०", "“0:0०” is not a time of day"),  # a Devanagari 0
        ("/announce setup channel:#locked", "I can't post in"),
        ("/announce setup channel:#general release:all-the-light-we-cannot-see", "nothing left to count down to"),
        ("/announce setup channel:#general role:@everyone", "won't ping"),
    ],
)
async def test_bad_setup_is_refused_and_changes_nothing(
    sandbox: Sandbox, launch: Launch, config: Config, command: str, expected: str, tmp_path
) -> None:
    server, _ = await soon_server(sandbox, launch, config, f"sqlite+aiosqlite:///{tmp_path / 'b.sqlite3'}", 3600)
    await sandbox.set_channel_permissions(int(server.channel("locked")), sandbox.world.bot_id, [], ["send_messages"])
    response = await server.slash(command, user="grace")
    assert response["data"]["flags"] == 64
    assert expected in response["data"]["content"], response["data"]["content"]
    assert await server.bot.announcer.store.subscriptions() == []


async def test_lost_permission_pauses_and_explains_without_retrying(
    sandbox: Sandbox, launch: Launch, config: Config, database_url: str
) -> None:
    # The first post, 5 s from now, finds the permission gone; the premiere is an hour away.
    server, _ = await soon_server(sandbox, launch, config, database_url, seconds=3600, milestones=(3595 * SECOND,))
    await server.slash("/announce setup channel:#announcements", user="grace")
    channel = int(server.channel("announcements"))
    await sandbox.set_channel_permissions(channel, sandbox.world.bot_id, [], ["send_messages"])
    announcer = server.bot.announcer
    await wait_until(lambda: announcer.store.deliveries(), lambda rows: rows and rows[0].state == "failed")
    await wait_until(lambda: announcer.store.subscriptions(), lambda subs: subs[0].paused)  # written just after
    posts = [e for e in sandbox.log if e["method"] == "POST" and e["path"] == f"/channels/{channel}/messages"]
    assert [e["status"] for e in posts] == [403]  # one try: no retry loop
    status = await server.slash("/announce status", user="grace")
    fields = {f["name"]: f["value"] for f in status["data"]["embeds"][0]["fields"]}
    assert fields["Status"].startswith("⏸️ Paused: I lost permission to post in")
    assert "/announce resume" in fields["Status"]
    # The lost post leaves a trace the admin can see, with the reason.
    assert fields["Last posts"].startswith("❌ <t:")
    assert (
        f" — 59 minutes, 55 seconds before — failed: I lost permission to post in <#{channel}>" in fields["Last posts"]
    )
    assert announcer.scheduled(int(server.guild_id)) == []


async def test_deleted_channel_pauses_and_explains(
    sandbox: Sandbox, launch: Launch, config: Config, database_url: str
) -> None:
    server, _ = await soon_server(sandbox, launch, config, database_url, seconds=3600)
    await server.slash("/announce setup channel:#announcements", user="grace")
    waiter = asyncio.ensure_future(server.bot.wait_for("guild_channel_delete", timeout=5))
    await sandbox.delete_channel(int(server.channel("announcements")))
    await waiter
    await wait_until(lambda: server.bot.announcer.store.subscriptions(), lambda subs: subs[0].paused)
    status = await server.slash("/announce status", user="grace")
    value = {f["name"]: f["value"] for f in status["data"]["embeds"][0]["fields"]}["Status"]
    assert value.startswith("⏸️ Paused: the channel #announcements was deleted")


async def test_a_channel_gone_without_notice_is_404_and_paused(
    sandbox: Sandbox, launch: Launch, config: Config, database_url: str
) -> None:
    server, soon = await soon_server(sandbox, launch, config, database_url, seconds=3600, milestones=())
    await server.slash("/announce setup channel:#announcements", user="grace")
    sandbox.world.channels.pop(int(server.channel("announcements")))  # gone, and the bot was not told
    time_comes(server.bot, soon.catalogue.featured.release_at)  # the premiere
    await wait_until(lambda: server.bot.announcer.store.deliveries(), lambda rows: rows and rows[0].state == "failed")
    # The pause is written just after the failure: wait for it too rather than race it.
    [sub] = await wait_until(lambda: server.bot.announcer.store.subscriptions(), lambda subs: subs[0].paused)
    assert "no longer exists" in sub.pause_reason


async def test_fan_out_survives_429_500_and_a_dropped_gateway(
    sandbox: Sandbox, launch: Launch, config: Config, database_url: str
) -> None:
    release_at = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    soon = upcoming_release(config, release_at, milestones=(), database_url=database_url)
    bot = await launch(soon)
    servers = []
    for n in range(6):
        ids = await join_guild(sandbox, bot, f"Server {n}", members=[{"name": "admin", "admin": True}])
        servers.append(Server(sandbox, bot, ids))
    for server in servers:
        await server.slash("/announce setup channel:#general", user="admin")
    sandbox.add_fault("POST /channels/{channel_id}/messages", status=429, count=2, retry_after=0.5)
    sandbox.add_fault("POST /channels/{channel_id}/messages", status=500, count=2)
    queue = sandbox.listen()
    assert await sandbox.drop_gateway() == 1
    time_comes(bot, release_at)  # the premiere, for the six servers at once
    posts = await next_posts(queue, 6)
    assert sorted(p["channel_id"] for p in posts) == sorted(s.channel() for s in servers)
    for server in servers:
        assert len([m for m in sandbox.messages(server.channel()) if m["type"] == 0]) == 1
    faults = [e.get("fault") for e in sandbox.log if e.get("fault")]
    assert sorted(faults) == [429, 429, 500, 500]
    # The gateway came back by RESUME, and commands are answered again.
    response = await servers[0].slash("/countdown", user="admin")
    assert response["type"] == 4
    assert sandbox.gateway.resumes >= 1


async def test_leaving_a_server_deletes_its_data(
    sandbox: Sandbox, launch: Launch, config: Config, database_url: str
) -> None:
    server, _ = await soon_server(sandbox, launch, config, database_url, seconds=3600)
    await server.slash("/announce setup channel:#announcements", user="grace")
    store = server.bot.announcer.store
    assert len(await store.subscriptions(int(server.guild_id))) == 1
    waiter = asyncio.ensure_future(server.bot.wait_for("guild_remove", timeout=5))
    await sandbox.remove_guild(int(server.guild_id))
    await waiter
    await wait_until(lambda: store.subscriptions(int(server.guild_id)), lambda subs: subs == [])
    assert server.bot.announcer.scheduled(int(server.guild_id)) == []
    assert await store.guild_timezone(int(server.guild_id)) is None


async def test_a_failed_post_is_retried_with_the_same_nonce(
    sandbox: Sandbox, launch: Launch, config: Config, database_url: str
) -> None:
    # discord.py does not retry a 503 itself, so this exercises the bot's own backoff (shortened for the tests).
    server, soon = await soon_server(sandbox, launch, config, database_url, seconds=3600, milestones=())
    await server.slash("/announce setup channel:#announcements", user="grace")
    sandbox.add_fault("POST /channels/{channel_id}/messages", status=503, count=1)
    queue = sandbox.listen()
    time_comes(server.bot, soon.catalogue.featured.release_at)  # the premiere
    [post] = await next_posts(queue, 1, timeout=20)
    assert "is out now" in post["content"]
    rows = await wait_until(lambda: server.bot.announcer.store.deliveries(), lambda r: r and r[0].state == "sent")
    attempts = [e for e in sandbox.log if e["method"] == "POST" and e["path"].endswith("/messages")]
    assert [e["status"] for e in attempts] == [503, 200]
    assert attempts[0]["body"]["nonce"] == attempts[1]["body"]["nonce"] == rows[0].nonce
    assert len(sandbox.messages(server.channel("announcements"))) == 1
