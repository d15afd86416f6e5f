"""Members' reminders end to end, through the real discord.py client and the sandbox: the "🔔 Remind me" button
under a reply, its menu, the DM at the chosen moment (exactly once), closed DMs, and a fan-out of DMs that never
slows the answers to commands."""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import Config
from bot.sandbox.interactions import InteractionError
from bot.sandbox.server import Sandbox
from tests.conftest import upcoming_release
from tests.e2e.conftest import Launch, Server, join_guild, start_bot, wait_until, write_config
from tests.e2e.test_restarts import seeded_store

RELEASE_ID = "the-lighthouse-keeper"


async def soon_server(
    sandbox: Sandbox, launch: Launch, config: Config, database_url: str, release_at: datetime, members: int = 0
) -> Server:
    soon = upcoming_release(config, release_at, milestones=(), database_url=database_url)
    bot = await launch(soon)
    people = [{"name": "ada"}, {"name": "grace", "admin": True}] + [{"name": f"m{n}"} for n in range(members)]
    ids = await join_guild(sandbox, bot, "Lamplight Readers", channels=["general"], members=people)
    return Server(sandbox, bot, ids)


def dms_to(sandbox: Sandbox, user_id: str) -> list[dict]:
    return [m for m in sandbox.messages() if m.get("channel_type") == 1 and m.get("recipient_id") == str(user_id)]


async def message_with(sandbox: Sandbox, text: str) -> dict:
    async def read() -> list[dict]:
        return [m for m in sandbox.messages() if text in (m.get("content") or "")]

    return (await wait_until(read, bool, timeout=15))[-1]


async def test_a_press_of_the_button_gives_exactly_one_dm_at_the_chosen_moment(
    sandbox: Sandbox, launch: Launch, config: Config, database_url: str
) -> None:
    # The release is 1 hour and 4 seconds away: "1 hour before" (the button's default) is 4 seconds away.
    release_at = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1, seconds=4)
    server = await soon_server(sandbox, launch, config, database_url, release_at)
    ada = server.member("ada")
    reply = await server.slash("/countdown")
    assert reply["data"]["components"][0]["components"][0]["custom_id"] == f"remind:{RELEASE_ID}"
    [countdown] = [m for m in sandbox.messages(server.channel()) if m.get("components")]

    await sandbox.press(ada, countdown["id"], f"remind:{RELEASE_ID}")
    menu = await message_with(sandbox, "I'll send you a direct message **1 hour before**")
    assert menu["flags"] & 64  # only ada sees it
    [select], [cancel] = (row["components"] for row in menu["components"])
    assert (select["custom_id"], cancel["custom_id"]) == (f"remind-at:{RELEASE_ID}", f"remind-cancel:{RELEASE_ID}")
    assert [o["value"] for o in select["options"] if o.get("default")] == ["1h"]
    # Grace presses it too, then cancels from the menu: only ada is reminded.
    await sandbox.press(server.member("grace"), countdown["id"], f"remind:{RELEASE_ID}")
    grace_menu = await message_with(sandbox, "I'll send you a direct message")
    await sandbox.press(server.member("grace"), grace_menu["id"], f"remind-cancel:{RELEASE_ID}")
    await message_with(sandbox, "Your reminder for **The Lighthouse Keeper** is cancelled")

    due = release_at - timedelta(hours=1)
    dms = await wait_until(lambda: asyncio.sleep(0, dms_to(sandbox, ada)), bool, timeout=20)
    arrived = datetime.now(UTC)
    assert arrived >= due
    unix = int(release_at.timestamp())
    assert dms[0]["content"].startswith(
        f"🔔 Reminder: **The Lighthouse Keeper** premieres in 1 hour: <t:{unix}:F> (<t:{unix}:R>)"
    )
    ledger = await wait_until(
        server.bot.announcer.store.deliveries, lambda rows: rows and all(d.state == "sent" for d in rows)
    )
    assert [(d.guild_id, d.user_id, d.state, str(d.message_id)) for d in ledger] == [
        (0, int(ada), "sent", dms[0]["id"])
    ]
    await asyncio.sleep(1)  # a second fire or a sweep would have sent it again by now
    assert len(dms_to(sandbox, ada)) == 1
    assert dms_to(sandbox, server.member("grace")) == []


async def test_closed_dms_fail_once_and_the_member_is_told_once(
    sandbox: Sandbox, launch: Launch, config: Config, database_url: str
) -> None:
    release_at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=4)
    server = await soon_server(sandbox, launch, config, database_url, release_at)
    ada = server.member("ada")
    typed = await server.slash("/remind me before:0m")
    assert typed["data"]["flags"] & 64
    assert typed["data"]["content"].startswith("🔔 I'll send you a direct message **at the premiere of**")
    await sandbox.actions.set_dms(ada, False)
    ledger = await wait_until(
        server.bot.announcer.store.deliveries, lambda rows: rows and rows[0].state != "claimed", timeout=20
    )
    assert ledger[0].state == "failed" and "closed" in (ledger[0].detail or "")
    assert dms_to(sandbox, ada) == []
    # The next time ada uses the bot she is told, privately, once.
    await sandbox.actions.set_dms(ada, True)
    await server.slash("/countdown")
    notice = await message_with(sandbox, "I could not send you your reminder for **The Lighthouse Keeper**")
    assert notice["flags"] & 64
    await server.slash("/countdown")
    await server.slash("/remind list")
    listed = await message_with(sandbox, "Your reminders")
    assert "❌ failed" in listed["content"] and "I could not send you" not in listed["content"]
    told = [m for m in sandbox.messages() if "I could not send you" in (m.get("content") or "")]
    assert len(told) == 1
    assert dms_to(sandbox, ada) == []  # never retried


# Discord's pace (48 requests/s, two per DM) would take 42 s for 1,000 members: the sandbox and the bot both run 5
# times faster here, so the test takes seconds; the DMs go through the same pacer, workers and ledger.
FAN_OUT_RATE = 250


@pytest.mark.parametrize("sandbox", [{"global_limit": FAN_OUT_RATE}], indirect=True)
async def test_many_members_reminded_at_once_while_countdown_is_answered_promptly(
    sandbox: Sandbox, launch: Launch, config: Config, database_url: str
) -> None:
    members = 1000
    fast = replace(config, settings=replace(config.settings, posts_per_second=FAN_OUT_RATE - 10))
    release_at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=5)
    server = await soon_server(sandbox, launch, fast, database_url, release_at, members=members)
    announcer = server.bot.announcer
    now = datetime.now(UTC)
    people = [server.member(f"m{n}") for n in range(members)]
    for user in people:  # as if each had pressed the button (the presses themselves are tested above)
        reminder, _ = await announcer.store.save_reminder(int(user), RELEASE_ID, "0m", now)
    announcer.schedule_reminder(reminder)
    assert announcer.reminder_job_count() == 1  # one timer for all of them

    def dm_count() -> int:
        return sum(1 for m in sandbox.messages() if m.get("channel_type") == 1)

    await wait_until(lambda: asyncio.sleep(0, dm_count() or announcer.queued()), bool, timeout=30)
    began_fan_out = time.perf_counter()
    slowest = 0.0
    asked = 0
    deadline = began_fan_out + 240
    while dm_count() < members and time.perf_counter() < deadline:
        began = time.perf_counter()
        answer = await server.slash("/countdown")
        slowest = max(slowest, time.perf_counter() - began)
        asked += 1
        assert answer["type"] == 4
        await asyncio.sleep(0.2)
    took = time.perf_counter() - began_fan_out
    print(f"1,000 reminder DMs in {took:.1f} s; the slowest of {asked} /countdown answers took {slowest:.2f} s")
    assert dm_count() == members, f"{dm_count()} of {members} DMs in {took:.0f} s"
    assert asked >= 3  # /countdown was really asked during the fan-out
    assert slowest < 3.0  # Discord's deadline for the first response
    received = Counter(m.get("recipient_id") for m in sandbox.messages() if m.get("channel_type") == 1)
    assert received == Counter({str(user): 1 for user in people})  # each exactly once


async def test_sigkill_mid_fan_out_of_dms_then_restart_gives_each_member_one_dm(
    sandbox: Sandbox, database_url: str, tmp_path: Path
) -> None:
    # "1 hour before" is 6 s away; DMs paced at 2 requests/s (opening a DM and sending it): about one DM a second.
    release_at = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1, seconds=6)
    config_dir = write_config(tmp_path, release_at, posts_per_second=2)
    count = 8
    ids = await sandbox.create_guild("Readers", ["general"], [{"name": f"m{n}"} for n in range(count)])
    people = [ids["members"][f"m{n}"] for n in range(count)]
    store = await seeded_store(database_url)
    for user in people:
        await store.save_reminder(int(user), RELEASE_ID, "1h", datetime.now(UTC))
    first = await start_bot(sandbox, config_dir, database_url)
    try:
        await wait_until(
            lambda: asyncio.sleep(0, [m for m in sandbox.messages() if m.get("channel_type") == 1]),
            lambda dms: len(dms) >= 3,
            timeout=30,
        )
    finally:
        first.send_signal(signal.SIGKILL)
        await first.wait()
    cut_short = len([m for m in sandbox.messages() if m.get("channel_type") == 1])
    assert cut_short < count
    second = await start_bot(sandbox, config_dir, database_url)  # at once: inside Discord's nonce memory
    try:
        rows = await wait_until(
            store.deliveries, lambda r: len(r) == count and all(d.state == "sent" for d in r), timeout=60
        )
    finally:
        second.send_signal(signal.SIGTERM)
        await second.wait()
        await store.engine.dispose()
    by_user = {str(d.user_id): d for d in rows}
    for user in people:
        [dm] = dms_to(sandbox, user)  # exactly one each
        assert dm["id"] == str(by_user[user].message_id)
        assert dm["content"].startswith("🔔 Reminder: **The Lighthouse Keeper** premieres in 1 hour")
        assert dm["content"].count("sent late") == int(by_user[user].late)
    assert any(d.late for d in rows)  # those the killed process never claimed were caught up, labelled late


async def test_member_commands_answer_in_the_bots_dm_and_in_a_user_install(
    sandbox: Sandbox, launch: Launch, config: Config, database_url: str
) -> None:
    release_at = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    server = await soon_server(sandbox, launch, config, database_url, release_at)
    ada = server.member("ada")
    for context in (1, 2):  # the member's DM with the bot; a group DM, through the app installed to their account
        countdown = await sandbox.interact(None, None, ada, "/countdown", context=context)
        assert countdown["type"] == 4 and countdown["data"]["embeds"][0]["title"] == "The Lighthouse Keeper"
    reminded = await sandbox.interact(None, None, ada, "/remind me before:1d", context=1)
    assert reminded["data"]["content"].startswith("🔔 I'll send you a direct message **1 day before**")
    stored = await server.bot.announcer.store.reminders(int(ada))
    assert [(r.release_id, r.before) for r in stored] == [(RELEASE_ID, "1d")]
    with pytest.raises(InteractionError):  # Discord offers /announce only in servers
        await sandbox.interact(None, None, ada, "/announce status", context=1)


async def test_a_server_release_reminds_by_dm_from_its_button(
    sandbox: Sandbox, launch: Launch, config: Config, database_url: str
) -> None:
    far = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
    server = await soon_server(sandbox, launch, config, database_url, far)
    ada = server.member("ada")
    # The server's own release, 1 hour and 6 seconds away: "1 hour before" (the button's default) is 6 s away.
    release_at = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1, seconds=6)
    added = await server.slash(f'/release add name:"Moon Film" when:"{release_at:%Y-%m-%d %H:%M:%S}"', user="grace")
    assert added["data"]["content"].startswith("✅ Added **Moon Film**"), added["data"]["content"]
    moon = f"s{server.guild_id}-moon-film"
    reply = await server.slash('/countdown release:"Moon Film"')
    assert reply["data"]["components"][0]["components"][0]["custom_id"] == f"remind:{moon}"
    [countdown] = [m for m in sandbox.messages(server.channel()) if m.get("components")]

    await sandbox.press(ada, countdown["id"], f"remind:{moon}")
    await message_with(sandbox, "I'll send you a direct message **1 hour before** **Moon Film**")
    dms = await wait_until(lambda: asyncio.sleep(0, dms_to(sandbox, ada)), bool, timeout=30)
    assert datetime.now(UTC) >= release_at - timedelta(hours=1)
    unix = int(release_at.timestamp())
    assert dms[0]["content"].startswith(f"🔔 Reminder: **Moon Film** premieres in 1 hour: <t:{unix}:F> (<t:{unix}:R>)")
    await asyncio.sleep(1)  # a second fire or a sweep would have sent it again by now
    assert len(dms_to(sandbox, ada)) == 1
