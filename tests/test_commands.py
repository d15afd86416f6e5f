"""Every slash command through the shared handlers: what the member sees, inside Discord's limits."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.commands.announce import ChannelRef, RoleRef
from bot.commands.registry import REGISTRY, CommandContext, autocomplete, dispatch
from bot.console import answer
from bot.domain.announcements import PostFailed, PostRejected
from bot.domain.releases import Catalogue
from bot.sandbox.command_line import parse_command_line
from bot.sandbox.limits import choices_errors, command_errors, message_errors
from bot.scheduling.announcer import Announcer
from bot.scheduling.service import AnnouncementService
from bot.storage.database import create_engine, upgrade
from bot.storage.repository import Store
from tests.conftest import PREMIERE, upcoming_release

BEFORE = datetime(2023, 10, 26, 7, 0, tzinfo=UTC)
TODAY = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


async def run(config, command: str, now: datetime = TODAY, **options) -> dict:
    reply = await dispatch(command, options, CommandContext(config.catalogue, config.settings, now))
    payload = reply.payload()
    assert message_errors(payload) == {}, payload
    assert payload["allowed_mentions"] == {"parse": []}
    return payload


def text_of(payload: dict) -> str:
    parts = [payload.get("content") or ""]
    for embed in payload["embeds"]:
        parts += [embed["title"], embed.get("description", "")]
        parts += [f"{f['name']}: {f['value']}" for f in embed.get("fields", [])]
    return "\n".join(parts)


async def test_countdown_before_and_after(config) -> None:
    before = await run(config, "countdown", BEFORE)
    assert "**7 days** to go" in text_of(before)
    assert "<t:1698908400:F>" in text_of(before) and "<t:1698908400:R>" in text_of(before)
    after = await run(config, "countdown", TODAY)
    assert "Premiered 3 years, 23 days ago — all 4 episodes are streaming on Netflix." in text_of(after)
    assert "flags" not in after  # public reply


async def test_premiere_in_zones(config) -> None:
    paris = text_of(await run(config, "premiere", timezone="Europe/Paris"))
    assert "Thursday 2 November 2023, 08:00 CET (UTC+01:00)" in paris
    default = text_of(await run(config, "premiere"))
    assert "Thursday 2 November 2023, 00:00 PDT (UTC-07:00)** in `America/Los_Angeles`" in default
    kolkata = text_of(await run(config, "premiere", timezone="asia/kolkata"))
    assert "12:30 IST (UTC+05:30)" in kolkata
    chatham = text_of(await run(config, "premiere", timezone="Pacific/Chatham"))
    assert "Thursday 2 November 2023, 20:45" in chatham


async def test_about_has_every_fact(config) -> None:
    text = text_of(await run(config, "about"))
    for fact in (
        "Relentlessly pursued by a cruel Gestapo officer",
        "official logline, Netflix",
        "Netflix",
        "Episodes: 4",
        "Shawn Levy",
        "Steven Knight",
        "Anthony Doerr",
        "St. Malo",
        "Where to watch",
    ):
        assert fact in text
    assert "Stephen" not in text


async def test_cast(config) -> None:
    everyone = text_of(await run(config, "cast"))
    assert "**Louis Hofmann** as Werner Pfennig" in everyone and "Hoffman" not in everyone
    assert "**Marion Bailey** as Madame Manec" in everyone
    hugh = await run(config, "cast", name="Hugh Laurie")
    assert hugh["embeds"][0]["title"] == "Hugh Laurie as Etienne LeBlanc"
    by_role = await run(config, "cast", name="werner")
    assert by_role["embeds"][0]["title"] == "Louis Hofmann as Werner Pfennig"


async def test_trivia_and_help(config) -> None:
    trivia = text_of(await run(config, "trivia"))
    for fact in ("Sea of Flames", "St. Malo", "Clair de Lune", "Darkness lasts not even for one second"):
        assert fact in trivia
    help_ = await run(config, "help")
    assert help_["flags"] == 64
    usages = [f["name"] for f in help_["embeds"][0]["fields"]]
    assert len(usages) == len(REGISTRY.commands)
    assert all(usage.startswith(f"/{c.name}") for usage, c in zip(usages, REGISTRY, strict=True))
    assert "/announce setup <channel> [role] [timezone] [daily_time] [release] [event]" in usages
    assert "/calendar [release]" in usages


@pytest.mark.parametrize(
    ("command", "options", "expected"),
    [
        ("premiere", {"timezone": "Mars/Olympus"}, "is not a time zone I know"),
        ("premiere", {"timezone": "Europe/Pari"}, "Did you mean `Europe/Paris`"),
        ("premiere", {"timezone": "localtime"}, "is not a time zone I know"),  # the host's zone, not a place
        ("premiere", {"timezone": "  "}, "“  ” is not a time zone I know. Use an IANA name"),  # no random guesses
        ("countdown", {"release": "Dune 3"}, "I don't know a release called “Dune 3”"),
        ("cast", {"name": "Tom Hanks"}, "Nobody in **All the Light We Cannot See** matches"),
        ("cast", {"name": "x" * 3000}, "3,000 characters long; at most 100 fit"),
        ("countdown", {"colour": "red"}, "has no option `colour`"),
        ("nope", {}, "There is no `/nope` command"),
    ],
)
async def test_bad_input_gets_a_friendly_private_error(config, command, options, expected) -> None:
    payload = await run(config, command, **options)
    assert payload["flags"] == 64
    assert payload["embeds"] == []
    assert payload["content"].startswith("⚠️ ") and expected in payload["content"]


async def test_mentions_in_input_cannot_ping(config) -> None:
    for options in ({"name": "@everyone"}, {"name": "<@&123> @here"}):
        payload = await run(config, "cast", **options)
        assert "@everyone" not in payload["content"] and "@here" not in payload["content"]
        assert "<@&" not in payload["content"]


def test_autocomplete_lists_fit_discord(config) -> None:
    ctx = CommandContext(config.catalogue, config.settings, TODAY)
    zones = autocomplete("premiere", "timezone", ctx, "")
    assert len(zones) == 25
    assert autocomplete("premiere", "timezone", ctx, "paris") == ["Europe/Paris"]
    assert autocomplete("premiere", "timezone", ctx, "new y") == ["America/New_York"]
    assert autocomplete("cast", "name", ctx, "lau") == ["Hugh Laurie", "Aria Mia Loberti", "Nell Sutton"]
    assert autocomplete("countdown", "release", ctx, "light") == ["All the Light We Cannot See"]
    for option in (("premiere", "timezone"), ("cast", "name"), ("countdown", "release")):
        choices = [{"name": v, "value": v} for v in autocomplete(*option, ctx, "a")]
        assert choices_errors(choices) == {}


def test_command_definitions_fit_discord() -> None:
    for spec in REGISTRY:
        definition = {
            "name": spec.name.split()[-1],
            "description": spec.description,
            "options": [{"name": o.name, "description": o.description} for o in spec.options],
        }
        assert command_errors(definition) == {}, spec.name


async def test_every_command_fits_at_every_moment(config) -> None:
    for now in (BEFORE, PREMIERE, TODAY):
        for spec in REGISTRY:
            if not spec.guild_only:  # the /announce commands are exercised end to end, in a server
                await run(config, spec.name, now)


# ---- /announce through the shared handlers, with a real store and announcer ---------------------------------

SOON = datetime(2030, 5, 1, 18, 0, tzinfo=UTC)  # "The Lighthouse Keeper", featured in these tests
GUILD = 4242


class RecordingPoster:
    """Stands in for Discord's side of a post: records what would be sent, or fails as told."""

    def __init__(self) -> None:
        self.sent: list[dict] = []
        self.cards: list[tuple[int, object]] = []
        self.fail: Exception | None = None

    async def post(self, channel_id: int, content: str, nonce: str, role_id: int | None, urgent: bool = False) -> int:
        if self.fail is not None:
            raise self.fail
        self.sent.append({"channel_id": channel_id, "content": content, "role_id": role_id, "urgent": urgent})
        return 900 + len(self.sent)

    async def wait_turn(self, urgent: bool = False) -> None:
        return None

    async def post_card(self, channel_id: int, card) -> int:  # type: ignore[no-untyped-def]  # /announce live
        if self.fail is not None:
            raise self.fail
        self.cards.append((channel_id, card))
        return 800 + len(self.cards)

    async def edit_card(self, channel_id: int, message_id: int, card) -> bool:  # type: ignore[no-untyped-def]
        return True

    async def delete_message(self, channel_id: int, message_id: int) -> None:
        return None


@dataclass
class Admin:
    """One server's admin typing /announce commands; `now` is what the handlers and the announcer see."""

    announcer: Announcer
    poster: RecordingPoster
    now: datetime

    async def run(self, command: str, **options) -> dict:
        ctx = CommandContext(
            self.announcer.catalogue,
            self.announcer.settings,
            self.now,
            guild_id=GUILD,
            is_admin=True,
            services=AnnouncementService(self.announcer),
        )
        reply = await dispatch(command, options, ctx)
        payload = reply.payload()
        assert message_errors(payload) == {}, payload
        assert payload["flags"] == 64  # every /announce reply is private
        return payload

    async def subscription(self):  # type: ignore[no-untyped-def]
        subs = await self.announcer.store.subscriptions(GUILD)
        return subs[0] if subs else None


@pytest.fixture
async def admin(config, tmp_path) -> Admin:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}")
    await upgrade(engine)
    soon = upcoming_release(config, SOON)
    poster = RecordingPoster()
    state = Admin(None, poster, SOON - timedelta(days=10))  # type: ignore[arg-type]
    state.announcer = Announcer(Store(engine), soon.catalogue, soon.settings, poster, clock=lambda: state.now)
    yield state
    await engine.dispose()


def field(payload: dict, name: str, embed: int = 0) -> str:
    return next(f["value"] for f in payload["embeds"][embed]["fields"] if f["name"].startswith(name))


CHANNEL = ChannelRef(77, "announcements")


@pytest.mark.parametrize("clock", ["1:5٥", "9:5５", "0:0०", "٢٠:٠٠", "20：00", "20h00"])
async def test_a_daily_time_with_other_digits_is_refused_and_nothing_saved(admin: Admin, clock: str) -> None:
    reply = await admin.run("announce setup", channel=CHANNEL, daily_time=clock)
    assert reply["content"].startswith("⚠️ “") and "is not a time of day" in reply["content"]
    assert "Nothing was changed" in reply["content"]
    assert await admin.subscription() is None
    # ...and a server already set up keeps its settings, and its status still answers.
    await admin.run("announce setup", channel=CHANNEL, daily_time="20:00")
    await admin.run("announce setup", channel=ChannelRef(78, "other"), daily_time=clock)
    sub = await admin.subscription()
    assert (sub.channel_id, sub.daily_time) == (77, "20:00")
    assert field(await admin.run("announce status"), "Status") == "▶️ Active"


async def test_setting_up_again_keeps_what_is_not_given(admin: Admin) -> None:
    await admin.run("announce setup", channel=CHANNEL, daily_time="9:05", timezone="Europe/Paris")
    again = await admin.run("announce setup", channel=CHANNEL, role=RoleRef(55, "Watchers"))
    assert "Kept from before: the daily post at 09:05." in again["embeds"][0]["description"]
    assert "`daily_time:off` stops the daily post" in again["embeds"][0]["description"]
    sub = await admin.subscription()
    assert (sub.daily_time, sub.role_id, sub.timezone) == ("09:05", 55, "Europe/Paris")
    moved = await admin.run("announce setup", channel=ChannelRef(78, "other"))
    assert "the role ping <@&55>" in moved["embeds"][0]["description"]
    sub = await admin.subscription()
    assert (sub.channel_id, sub.daily_time, sub.role_id, sub.timezone) == (78, "09:05", 55, "Europe/Paris")
    await admin.run("announce setup", channel=CHANNEL, daily_time="off")
    sub = await admin.subscription()
    assert (sub.daily_time, sub.role_id) == (None, 55)
    assert field(await admin.run("announce status"), "Daily post") == "off"
    assert not [d for d in admin.announcer.scheduled(GUILD) if d.key.startswith("daily:")]


async def test_status_after_an_admin_pause_does_not_ask_to_fix_permissions(admin: Admin) -> None:
    await admin.run("announce setup", channel=CHANNEL)
    assert "already active" in (await admin.run("announce resume"))["content"]
    assert (await admin.run("announce pause"))["content"].startswith("⏸️ Announcements paused.")
    status = field(await admin.run("announce status"), "Status")
    assert status == "⏸️ Paused by an admin — `/announce resume` to restart."
    assert "already paused" in (await admin.run("announce pause"))["content"]
    resumed = await admin.run("announce resume")
    assert resumed["content"] == "▶️ Announcements resumed."
    assert field(resumed, "Status") == "▶️ Active"
    # A pause the bot made for a lost permission says what to fix, and an admin pause on top keeps that reason.
    await admin.announcer.store.set_paused(GUILD, True, "I lost permission to post in <#77>", admin.now)
    await admin.run("announce pause")
    status = field(await admin.run("announce status"), "Status")
    assert status.startswith("⏸️ Paused: I lost permission to post in <#77>.\nFix it")


async def test_a_finished_subscription_is_not_active(admin: Admin) -> None:
    await admin.run("announce setup", channel=CHANNEL)
    admin.now = SOON + timedelta(days=1)
    status = await admin.run("announce status")
    assert field(status, "Status") == "✅ Finished — the release is out"
    assert field(status, "Next posts").startswith("None: The Lighthouse Keeper premiered 1 day ago")


async def test_status_shows_the_last_posts_with_links_and_reasons(admin: Admin) -> None:
    await admin.run("announce setup", channel=CHANNEL)
    store, sub = admin.announcer.store, await admin.subscription()
    day = timedelta(days=1)
    sent = await store.claim(sub, "milestone:30d", SOON - 30 * day, admin.now)
    await store.finish(sent.id, "sent", admin.now, message_id=1234)
    late = await store.claim(sub, "milestone:14d", SOON - 14 * day, admin.now, late=True)
    await store.finish(late.id, "sent", admin.now, message_id=1235)
    await store.claim(
        sub,
        "milestone:7d",
        SOON - 7 * day,
        admin.now,
        state="skipped",
        detail="missed while the bot was offline (3 h 0 min ago, past its grace window)",
    )
    failed = await store.claim(sub, "milestone:3d", SOON - 3 * day, admin.now)
    await store.finish(failed.id, "failed", admin.now, detail="the channel <#77> no longer exists")
    last = field(await admin.run("announce status"), "Last posts").splitlines()
    assert last == [
        f"✅ <t:{int((SOON - 30 * day).timestamp())}:f> — 1 month before — "
        f"[sent](https://discord.com/channels/{GUILD}/77/1234)",
        f"🕓 <t:{int((SOON - 14 * day).timestamp())}:f> — 14 days before — "
        f"[sent late](https://discord.com/channels/{GUILD}/77/1235) (the bot was offline)",
        f"⏭️ <t:{int((SOON - 7 * day).timestamp())}:f> — 7 days before — skipped: missed while the bot was offline "
        "(3 h 0 min ago, past its grace window)",
        f"❌ <t:{int((SOON - 3 * day).timestamp())}:f> — 3 days before — failed: the channel <#77> no longer exists",
    ]


async def test_the_test_post_says_what_a_post_now_would_and_pings_nobody(admin: Admin) -> None:
    await admin.run("announce setup", channel=CHANNEL, role=RoleRef(55, "Watchers"))
    admin.now = SOON - timedelta(minutes=2)  # the next planned post is the premiere itself
    reply = await admin.run("announce test")
    assert reply["content"] == "✅ Sent a test post to <#77>. It pings nobody. Real posts ping <@&55>."
    [post] = admin.poster.sent
    assert post["content"] == (
        "🔔 **Test post** — a post sent now would say:\n📣 **The Lighthouse Keeper** "
        f"premieres on Netflix in 2 minutes: <t:{int(SOON.timestamp())}:F> "
        f"(<t:{int(SOON.timestamp())}:R>)"
    )
    assert post["role_id"] is None and "<@&" not in post["content"]
    assert post["urgent"] is True  # an interaction is waiting: the interaction lane
    assert await admin.announcer.store.deliveries(GUILD) == []  # a test post is not a planned post


async def test_a_test_post_discord_refuses_is_a_friendly_error(admin: Admin) -> None:
    await admin.run("announce setup", channel=CHANNEL)
    admin.poster.fail = PostFailed("503 Service Unavailable")
    reply = await admin.run("announce test")
    assert reply["content"] == (
        "⚠️ Discord did not take the test post just now (503 Service Unavailable). Please try again in a moment."
    )
    admin.poster.fail = PostRejected("I lost permission to post in <#77> (Missing Permissions)")
    assert "Give me **View Channel**" in (await admin.run("announce test"))["content"]


async def test_announce_alone_lists_its_sub_commands(config) -> None:
    payload = await run(config, "announce")
    assert payload["flags"] == 64
    assert payload["content"].startswith("`/announce` has sub-commands; pick one:")
    for sub in ("setup", "status", "test", "pause", "resume", "off"):
        assert f"`/announce {sub}` — " in payload["content"]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/premiere timezone: Europe/Paris", ("premiere", {"timezone": "Europe/Paris"})),
        (
            '/cast name: "Hugh Laurie" release: all-the-light-we-cannot-see',
            ("cast", {"name": "Hugh Laurie", "release": "all-the-light-we-cannot-see"}),
        ),
        (
            "/announce setup channel:#general daily_time: 20:00",
            ("announce setup", {"channel": "#general", "daily_time": "20:00"}),
        ),
        ("/cast name: release:x", ("cast", {"name": "", "release": "x"})),
        ("/cast name:", ("cast", {"name": ""})),
    ],
)
def test_a_space_after_the_colon_is_read_as_people_mean_it(line: str, expected: tuple) -> None:
    assert parse_command_line(line) == expected


async def test_console_json_names_the_command_of_a_line_that_does_not_parse(config) -> None:
    name, reply = await answer('/cast name:"Hugh', config, TODAY)
    assert name == "cast" and "A quote is not closed" in reply.content
    name, _ = await answer("/announce setup oops channel:#x stray", config, TODAY)
    assert name == "announce setup oops"


async def test_every_admin_change_is_one_log_line(admin: Admin, caplog) -> None:
    with caplog.at_level(logging.INFO, logger="bot.commands"):
        await admin.run("announce setup", channel=CHANNEL, daily_time="20:00", timezone="Europe/Paris")
        await admin.run("announce setup", channel=CHANNEL, role=RoleRef(55, "Watchers"))
        await admin.run("announce status")  # not a change: no line
        await admin.run("announce pause")
        await admin.run("announce resume")
        await admin.run("announce off")
    assert [r.getMessage() for r in caplog.records] == [
        f"server {GUILD}: announcements for the-lighthouse-keeper set up: channel 77, role none, "
        "time zone Europe/Paris, daily post 20:00",
        f"server {GUILD}: announcements for the-lighthouse-keeper changed: channel 77, role 55, "
        "time zone Europe/Paris, daily post 20:00",
        f"server {GUILD}: announcements paused by an admin: the-lighthouse-keeper",
        f"server {GUILD}: announcements resumed by an admin: the-lighthouse-keeper",
        f"server {GUILD}: announcements turned off and forgotten: every release",
    ]


async def test_status_of_many_releases_fits_one_message(admin: Admin, config) -> None:
    releases = tuple(
        replace(admin.announcer.catalogue.featured, id=f"film-{n}", title=f"Film {n} " + "x" * 80) for n in range(14)
    )
    admin.announcer.catalogue = Catalogue((*releases, *admin.announcer.catalogue.releases), releases[0].id)
    for release in releases:
        await admin.run("announce setup", channel=CHANNEL, daily_time="20:00", release=release.id)
    status = await admin.run("announce status")  # `run` checks Discord's limits: 10 embeds, 6,000 characters
    shown = len(status["embeds"])
    assert 0 < shown <= 10
    assert status["content"] == f"…and {14 - shown} more set up here than one message can show."
