"""Members' DM reminders through the shared handlers and the real store and announcer (Discord faked at the
poster): /remind, the Remind me button and its menu, /privacy, delivery through the ledger, closed DMs, downtime."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.commands.registry import REGISTRY, CommandContext, dispatch, dispatch_component
from bot.console import answer
from bot.domain.reminders import DmClosed, reminder_key
from bot.sandbox.limits import message_errors
from bot.scheduling.announcer import Announcer, Timing
from bot.scheduling.service import AnnouncementService
from bot.storage.database import create_engine, upgrade
from bot.storage.repository import Store, delivery_nonce
from tests.conftest import upcoming_release

SOON = datetime(2030, 5, 1, 18, 0, tzinfo=UTC)  # "The Lighthouse Keeper", featured
RELEASE_ID = "the-lighthouse-keeper"
ALICE, BOB = 111, 222


class DmPoster:
    """Discord's side of a DM: records what each member would receive; a member in `closed` refuses DMs."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, str, str]] = []  # (DM channel, text, nonce)
        self.closed: set[int] = set()
        self.open: set[int] = set()  # DM channels opened (later ones come from the cache)

    async def wait_turn(self, urgent: bool = False) -> None:
        await asyncio.sleep(0)

    def cached_dm(self, user_id: int) -> int | None:
        return 10_000 + user_id if user_id in self.open else None

    async def open_dm(self, user_id: int) -> int:
        self.open.add(user_id)
        return 10_000 + user_id

    async def send(
        self, channel_id: int, content: str, nonce: str, role_id: int | None, *, remind: str | None = None
    ) -> int:
        assert role_id is None and remind is None  # a DM pings nobody and carries no button
        if channel_id - 10_000 in self.closed:
            raise DmClosed("the member's DMs are closed (Cannot send messages to this user)")
        self.sent.append((channel_id, content, nonce))
        return 5000 + len(self.sent)

    async def post(
        self, channel_id: int, content: str, nonce: str, role_id: int | None, *, urgent: bool = False
    ) -> int:
        return await self.send(channel_id, content, nonce, role_id)

    async def find(self, channel_id: int, content: str, since: datetime) -> int | None:
        return None

    def to(self, user_id: int) -> list[str]:
        return [text for channel, text, _ in self.sent if channel == 10_000 + user_id]


@dataclass
class World:
    announcer: Announcer
    poster: DmPoster
    clock: list[datetime]

    async def press(self, user_id: int, custom_id: str, *values: str) -> dict:
        reply = await dispatch_component(custom_id, list(values), self.ctx(user_id))
        return self.checked(reply.payload())

    async def run(self, user_id: int, command: str, locale: str = "en", **options: str) -> dict:
        reply = await dispatch(command, options, self.ctx(user_id, locale))
        return self.checked(reply.payload())

    def ctx(self, user_id: int, locale: str = "en") -> CommandContext:
        service = AnnouncementService(self.announcer)
        settings, catalogue = self.announcer.settings, self.announcer.catalogue
        return CommandContext(
            catalogue, settings, self.clock[0], user_id=user_id, reminders=service, services=service, locale=locale
        )

    @staticmethod
    def checked(payload: dict) -> dict:
        assert message_errors(payload) == {}, payload
        assert payload["flags"] == 64  # everything about a member's reminders is private
        return payload


@pytest.fixture
async def world(config, database_url: str):  # type: ignore[no-untyped-def]
    cfg = upcoming_release(config, SOON)
    engine = create_engine(database_url)
    await upgrade(engine)
    clock = [SOON - timedelta(days=3)]
    poster = DmPoster()
    timing = Timing(retry_delays=(0.01,), read_delays=(0.01,), workers=4)
    announcer = Announcer(Store(engine), cfg.catalogue, cfg.settings, poster, clock=lambda: clock[0], timing=timing)
    yield World(announcer, poster, clock)
    await announcer.stop()
    await engine.dispose()


async def deliver(world: World, at: datetime) -> None:
    """Let the (release, before) timers due by `at` fire, and the workers drain the queue."""
    world.clock[0] = at
    for ident, (_, _, due) in sorted(world.announcer._reminder_jobs.items()):
        if due <= at:
            await world.announcer._fire_reminders(ident)
    world.announcer._start_workers()
    for _ in range(200):
        await asyncio.sleep(0.01)
        if world.announcer.queued() == 0 and not any(world.announcer._workers.values()):
            break
    await world.announcer.stop()


def stamp(moment: datetime, style: str) -> str:
    return f"<t:{int(moment.timestamp())}:{style}>"


async def test_button_press_sets_one_hour_and_shows_the_menu(world: World) -> None:
    reply = await world.press(ALICE, f"remind:{RELEASE_ID}")
    due = SOON - timedelta(hours=1)
    assert reply["content"].startswith(
        f"🔔 I'll send you a direct message **1 hour before** **The Lighthouse Keeper**: {stamp(due, 'F')}"
    )
    select, cancel = (row["components"][0] for row in reply["components"])
    assert select["custom_id"] == f"remind-at:{RELEASE_ID}" and select["type"] == 3
    assert [(o["value"], o["default"]) for o in select["options"]] == [("1d", False), ("1h", True), ("0m", False)]
    assert cancel["custom_id"] == f"remind-cancel:{RELEASE_ID}" and cancel["label"] == "Cancel"
    # One timer for (release, 1h), whoever asks.
    await world.press(BOB, f"remind:{RELEASE_ID}")
    assert world.announcer.reminder_job_count() == 1
    # Choosing "1 day before" in the menu changes Alice's reminder; a second timer, for 1d.
    changed = await world.press(ALICE, f"remind-at:{RELEASE_ID}", "1d")
    assert "**1 day before**" in changed["content"] and "replaces your earlier reminder" in changed["content"]
    assert world.announcer.reminder_job_count() == 2
    listed = await world.run(ALICE, "remind list")
    assert "**The Lighthouse Keeper** — 1 day before" in listed["content"]
    # Pressing the button again keeps the moment she chose.
    again = await world.press(ALICE, f"remind:{RELEASE_ID}")
    assert "**1 day before**" in again["content"]
    cancelled = await world.press(ALICE, f"remind-cancel:{RELEASE_ID}")
    assert cancelled["content"] == "🔕 Your reminder for **The Lighthouse Keeper** is cancelled."
    assert (await world.run(ALICE, "remind list"))["content"].startswith("You have no reminders.")


async def test_each_member_gets_exactly_one_dm_at_the_chosen_moment(world: World) -> None:
    await world.run(ALICE, "remind me", before="15m")
    await world.run(BOB, "remind me")  # 1 hour by default
    await deliver(world, SOON - timedelta(hours=1))
    assert world.poster.to(ALICE) == []
    (bob,) = world.poster.to(BOB)
    assert bob.startswith("🔔 Reminder: **The Lighthouse Keeper** premieres in 1 hour: ")
    await deliver(world, SOON - timedelta(minutes=15))
    (alice,) = world.poster.to(ALICE)
    assert "premieres in 15 minutes" in alice
    assert len(world.poster.to(BOB)) == 1  # not again
    # The ledger has one row per (member, release, before), sent, with its deterministic nonce.
    rows = [d for d in await world.announcer.store.deliveries() if d.user_id == ALICE]
    assert [(r.guild_id, r.post_key, r.state, r.channel_id) for r in rows] == [
        (0, reminder_key(ALICE, "15m"), "sent", 10_000 + ALICE)
    ]
    assert world.poster.sent[-1][2] == delivery_nonce(0, RELEASE_ID, reminder_key(ALICE, "15m"))
    listed = await world.run(ALICE, "remind list")
    assert "15 minutes before" in listed["content"] and "✅ sent" in listed["content"]


async def test_closed_dms_fail_once_and_the_member_is_told_once(world: World) -> None:
    await world.run(ALICE, "remind me", before="1h")
    world.poster.closed.add(ALICE)
    await deliver(world, SOON - timedelta(hours=1))
    (row,) = [d for d in await world.announcer.store.deliveries() if d.user_id == ALICE]
    assert row.state == "failed" and "closed" in (row.detail or "")
    # Never retried: another fire of the same moment, and a restart's catch-up, send nothing.
    world.poster.closed.clear()
    await world.announcer.catch_up_reminders(SOON - timedelta(minutes=50))
    await deliver(world, SOON - timedelta(minutes=50))
    assert world.poster.to(ALICE) == []
    notice = await world.announcer.store.take_notice(ALICE)
    assert notice is not None and notice.startswith("🔕 I could not send you your reminder for **The Lighthouse")
    assert await world.announcer.store.take_notice(ALICE) is None  # told once


async def test_after_downtime_the_grace_and_late_label_of_channel_posts_apply(world: World) -> None:
    await world.run(ALICE, "remind me", before="1d")
    await world.run(BOB, "remind me", before="1h")
    # Down from before both moments until 30 minutes after Bob's: Alice's is past the 1 h grace, Bob's is not.
    now = SOON - timedelta(minutes=30)
    world.clock[0] = now
    world.announcer._reminder_jobs.clear()  # the process that set the timers died; a new one starts at `now`
    await world.announcer.catch_up_reminders(now)
    await world.announcer.rebuild_reminders(now)
    assert world.announcer.reminder_job_count() == 0  # both moments have passed: nothing left to time
    await deliver(world, now)
    (bob,) = world.poster.to(BOB)
    assert bob.startswith("🔔 Reminder: **The Lighthouse Keeper** premieres in 1 hour") and "sent late" in bob
    assert world.poster.to(ALICE) == []
    rows = {d.user_id: d for d in await world.announcer.store.deliveries()}
    assert rows[ALICE].state == "skipped" and "past its grace window" in (rows[ALICE].detail or "")
    assert rows[BOB].state == "sent" and rows[BOB].late


async def test_typed_reminders_are_checked(world: World) -> None:
    passed = await world.run(ALICE, "remind me", before="1d")
    assert "**1 day before**" in passed["content"]
    world.clock[0] = SOON - timedelta(minutes=30)
    late = await world.run(ALICE, "remind me", before="1h")
    assert late["content"].startswith("⚠️ 1 hour before **The Lighthouse Keeper** has already passed.")
    assert "`15m` (15 minutes before), `0m` (at the premiere)" in late["content"]
    bad = await world.run(ALICE, "remind me", before="2h")
    assert bad["content"] == "⚠️ `before` is one of `1d`, `1h`, `15m`, `0m`."
    out = await world.run(ALICE, "remind me", release="All the Light We Cannot See")
    assert out["content"] == "⚠️ **All the Light We Cannot See** is already out, so there is nothing to remind you of."


async def test_at_most_25_reminders_per_member(world: World) -> None:
    store = world.announcer.store
    for n in range(25):
        await store.save_reminder(ALICE, f"release-{n}", "1h", world.clock[0])
    refused = await world.run(ALICE, "remind me")
    assert refused["content"] == (
        "⚠️ You already have 25 reminders, the most I keep. Cancel one with `/remind cancel` first."
    )
    assert len(await store.reminders(ALICE)) == 25


async def test_privacy_shows_and_forgets_everything_about_the_member(world: World) -> None:
    assert (await world.run(ALICE, "privacy show"))["content"] == "🔒 I keep nothing about you."
    await world.run(ALICE, "remind me", before="1h")
    await world.run(BOB, "remind me", before="1h")
    world.poster.closed.add(ALICE)
    await deliver(world, SOON - timedelta(hours=1))
    shown = (await world.run(ALICE, "privacy show"))["content"]
    assert "• 1 reminder: which release" in shown and "• 1 record of reminder DMs" in shown
    gone = await world.run(ALICE, "privacy forget")
    assert gone["content"] == "🗑️ Done: I deleted 3 records about you. Nothing about you is left."
    assert (await world.run(ALICE, "privacy show"))["content"] == "🔒 I keep nothing about you."
    assert await world.announcer.store.take_notice(ALICE) is None
    assert len(await world.announcer.store.reminders(BOB)) == 1  # only hers


async def test_the_console_presses_buttons_and_says_reminders_need_discord(config) -> None:
    now = SOON - timedelta(days=3)
    cfg = upcoming_release(config, SOON)
    name, reply = await answer(f"!press remind:{RELEASE_ID}", cfg, now)
    assert name == "remind" and reply.payload()["content"].startswith("⚠️ Reminders come by direct message")
    _, countdown = await answer("/countdown", cfg, now)
    assert countdown.payload()["components"][0]["components"][0]["custom_id"] == f"remind:{RELEASE_ID}"
    _, unknown = await answer("!press nothing:here", cfg, now)
    assert unknown.payload()["content"] == "⚠️ This button is no longer in use. Run the command again for a fresh one."


def test_components_are_declared_once_and_their_ids_fit_discord() -> None:
    assert set(REGISTRY.components) == {"remind", "remind-at", "remind-cancel", "ping"}
    longest = "r" * 64  # the longest release id the catalogue allows
    longest_server = "s" + "9" * 20 + "-" + "r" * 40 + "-25"  # and a server's own release (a 40-character slug)
    for spec in REGISTRY.components.values():
        assert len(spec.custom_id(longest)) <= 100
        assert len(spec.custom_id(longest_server)) <= 100


async def test_member_commands_work_anywhere_and_announce_stays_in_servers() -> None:
    import discord
    from discord import app_commands

    from bot.discord.slash import app_commands_for

    tree = app_commands.CommandTree(discord.Client(intents=discord.Intents.none()))
    synced = {c.name: c.to_dict(tree) for c in app_commands_for()}
    for name in ("countdown", "premiere", "about", "cast", "trivia", "help", "calendar", "remind", "privacy"):
        # Installed to a server (0) or to a member's account (1); in servers (0), the bot's DM (1), group DMs (2).
        assert (synced[name]["integration_types"], synced[name]["contexts"]) == ([0, 1], [0, 1, 2]), name
    assert (synced["announce"]["integration_types"], synced["announce"]["contexts"]) == ([0], [0])


async def test_a_double_press_leaves_one_reminder(world: World) -> None:
    first, second = await asyncio.gather(
        world.press(ALICE, f"remind:{RELEASE_ID}"), world.press(ALICE, f"remind-at:{RELEASE_ID}", "1d")
    )
    assert all(r["content"].startswith("🔔 I'll send you a direct message") for r in (first, second))
    [stored] = await world.announcer.store.reminders(ALICE)
    assert stored.before in ("1h", "1d")


GUILD = 4242


async def in_server(world: World, user_id: int, command: str, **options: str) -> dict:
    """A command typed in the server GUILD (whose own releases it sees), by an admin of it."""
    service = AnnouncementService(world.announcer)
    catalogue = await world.announcer.catalogue_for(GUILD, world.clock[0])
    ctx = CommandContext(
        catalogue,
        world.announcer.settings,
        world.clock[0],
        guild_id=GUILD,
        is_admin=True,
        services=service,
        user_id=user_id,
        reminders=service,
    )
    return (await dispatch(command, options, ctx)).payload()


async def test_a_server_release_gets_reminders_that_follow_its_edits_and_go_with_it(world: World) -> None:
    first = SOON + timedelta(days=1)
    added = await in_server(world, BOB, "release add", name="Moon Film", when=f"{first:%Y-%m-%d %H:%M}")
    assert added["content"].startswith("✅ Added **Moon Film**")
    moon = f"s{GUILD}-moon-film"
    countdown = await in_server(world, ALICE, "countdown", release="Moon Film")
    assert countdown["components"][0]["components"][0]["custom_id"] == f"remind:{moon}"  # the button, at last

    pressed = await in_server(world, ALICE, "remind me", release="Moon Film", before="1h")
    assert pressed["content"].startswith(
        f"🔔 I'll send you a direct message **1 hour before** **Moon Film**: {stamp(first - timedelta(hours=1), 'F')}"
    )
    # Listed from a DM too, where the server's releases are not in the catalogue.
    listed = await world.run(ALICE, "remind list")
    assert f"• **Moon Film** — 1 hour before: {stamp(first - timedelta(hours=1), 'f')}" in listed["content"]

    # Cancelled from a DM, by name, and set again.
    cancelled = await world.run(ALICE, "remind cancel", release="Moon Film")
    assert cancelled["content"] == "🔕 Your reminder for **Moon Film** is cancelled."
    await in_server(world, ALICE, "remind me", release="Moon Film", before="1h")

    # The server moves its release a day later: the reminder follows, nothing goes at the old moment.
    later = first + timedelta(days=1)
    await in_server(world, BOB, "release edit", release="Moon Film", when=f"{later:%Y-%m-%d %H:%M}")
    await deliver(world, first - timedelta(hours=1))
    assert world.poster.to(ALICE) == []
    await deliver(world, later - timedelta(hours=1))
    (dm,) = world.poster.to(ALICE)
    assert dm.startswith(f"🔔 Reminder: **Moon Film** premieres in 1 hour: {stamp(later, 'F')}")

    # Another release, removed by the server: its members' reminders go with it, and no DM ever comes.
    world.clock[0] = SOON - timedelta(days=3)
    second = SOON + timedelta(days=5)
    await in_server(world, BOB, "release add", name="Star Film", when=f"{second:%Y-%m-%d %H:%M}")
    await in_server(world, BOB, "remind me", release="Star Film", before="1d")
    assert [r.release_id for r in await world.announcer.store.reminders(BOB)] == [f"s{GUILD}-star-film"]
    removed = await in_server(world, BOB, "release remove", release="Star Film")
    assert removed["content"] == "🗑️ Removed **Star Film**, with its announcements and its event."
    assert await world.announcer.store.reminders(BOB) == []
    assert all(slot[0] != f"s{GUILD}-star-film" for slot in world.announcer._reminder_jobs.values())
    await deliver(world, second - timedelta(days=1))
    assert world.poster.to(BOB) == []
    assert (await world.run(BOB, "remind list"))["content"].startswith("You have no reminders.")


async def test_a_server_release_reminder_missed_while_offline_is_caught_up(world: World) -> None:
    """Even when none of the operator's releases is near (the catch-up once looked only at those)."""
    announcer = world.announcer
    announcer.catalogue = replace(announcer.catalogue, releases=(announcer.catalogue.featured,))  # SOON, 3 days out
    moon_at = SOON - timedelta(days=2)
    await in_server(world, BOB, "release add", name="Moon Film", when=f"{moon_at:%Y-%m-%d %H:%M}")
    await in_server(world, ALICE, "remind me", release="Moon Film", before="1h")
    # Down from before Alice's moment until 30 minutes after it; a new process starts.
    now = moon_at - timedelta(minutes=30)
    world.clock[0] = now
    announcer._reminder_jobs.clear()
    await announcer.catch_up_reminders(now)
    await deliver(world, now)
    (dm,) = world.poster.to(ALICE)
    assert dm.startswith("🔔 Reminder: **Moon Film** premieres in 1 hour") and "sent late" in dm


async def test_reminders_of_a_server_release_go_when_the_bot_leaves_that_server(world: World) -> None:
    when = SOON + timedelta(days=1)
    await in_server(world, BOB, "release add", name="Moon Film", when=f"{when:%Y-%m-%d %H:%M}")
    await in_server(world, ALICE, "remind me", release="Moon Film", before="1h")
    await world.run(ALICE, "remind me", before="1d")  # the operator's release: not the server's to take away
    assert world.announcer.reminder_job_count() == 2
    await world.announcer.forget_guild(GUILD)
    assert [r.release_id for r in await world.announcer.store.reminders(ALICE)] == [RELEASE_ID]
    assert world.announcer.reminder_job_count() == 1
    await deliver(world, SOON - timedelta(days=1))
    await deliver(world, when - timedelta(hours=1))
    assert [dm.split(" premieres")[0] for dm in world.poster.to(ALICE)] == ["🔔 Reminder: **The Lighthouse Keeper**"]


async def test_the_dm_speaks_the_language_the_member_set_the_reminder_in(world: World) -> None:
    reply = await world.run(ALICE, "remind me", locale="fr", before="1d")
    assert reply["content"].startswith("🔔 Je t'enverrai un message privé pour **The Lighthouse Keeper**, **1 jour")
    await world.run(BOB, "remind me", locale="de", before="1d")
    stored = {r.user_id: r.locale for r in await world.announcer.store.reminders()}
    assert stored == {ALICE: "fr", BOB: "de"}
    await deliver(world, SOON - timedelta(days=1))
    unix = int(SOON.timestamp())
    assert world.poster.to(ALICE) == [
        f"🔔 Rappel\u00a0: **The Lighthouse Keeper** sort dans 1 jour\u00a0: <t:{unix}:F> (<t:{unix}:R>)\n"
        "-# Tu as demandé ce rappel. `/rappel annuler` l’arrête\u00a0; `/confidentialité` montre ce que je garde."
    ]
    assert world.poster.to(BOB) == [
        f"🔔 Erinnerung: **The Lighthouse Keeper** startet in 1 Tag: <t:{unix}:F> (<t:{unix}:R>)\n"
        "-# Du hast diese Erinnerung angefordert. `/erinnerung löschen` stoppt sie; `/datenschutz` zeigt, was ich "
        "speichere."
    ]


async def test_changing_a_reminder_from_another_language_changes_the_dms_language(world: World) -> None:
    await world.run(ALICE, "remind me", locale="fr", before="1d")
    await world.run(ALICE, "remind me", locale="en-US", before="1h")  # her Discord is in English now
    await deliver(world, SOON - timedelta(hours=1))
    [dm] = world.poster.to(ALICE)
    assert dm.startswith("🔔 Reminder: **The Lighthouse Keeper** premieres in 1 hour: ")


async def test_the_closed_dms_notice_speaks_the_members_language(world: World) -> None:
    await world.run(BOB, "remind me", locale="de", before="1h")
    world.poster.closed.add(BOB)
    await deliver(world, SOON - timedelta(hours=1))
    notice = await world.announcer.store.take_notice(BOB)
    assert notice is not None
    assert notice.startswith("🔕 Ich konnte dir deine Erinnerung für **The Lighthouse Keeper** nicht schicken")
