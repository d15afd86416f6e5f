"""Server releases (/release) through the shared handlers: parsing `when`, refusals, isolation between servers,
announcements and events following a release."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.commands.announce import ChannelRef
from bot.commands.registry import CommandContext, autocomplete, dispatch
from bot.domain.announcements import MissingPermission, PostFailed
from bot.domain.server_releases import BadReleaseInput, ServerRelease, TooManyReleases, parse_when, safe_title
from bot.sandbox.limits import message_errors
from bot.scheduling.announcer import Announcer
from bot.scheduling.events import EventKeeper, EventSpec
from bot.scheduling.service import AnnouncementService
from bot.storage.database import create_engine, upgrade
from bot.storage.repository import Store

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")
A, B = 1111, 2222
_STAMP = re.compile(r"<t:(-?\d+):F>")


# ---- `when` ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2027-03-15 20:00", datetime(2027, 3, 15, 19, 0, tzinfo=UTC)),  # CET: UTC+1
        ("15 March 2027 8pm", datetime(2027, 3, 15, 19, 0, tzinfo=UTC)),
        ("March 15 2027", datetime(2027, 3, 14, 23, 0, tzinfo=UTC)),  # no time: 00:00 in the zone
        ("2027-07-01 09:30", datetime(2027, 7, 1, 7, 30, tzinfo=UTC)),  # CEST: UTC+2
        ("2027-03-15T20:00+05:30", datetime(2027, 3, 15, 14, 30, tzinfo=UTC)),  # its own offset wins
        ("15/03/2027 20:00", datetime(2027, 3, 15, 19, 0, tzinfo=UTC)),  # 15 can only be the day
    ],
)
def test_when_is_read_in_the_zone(typed: str, expected: datetime) -> None:
    assert parse_when(typed, PARIS, NOW) == expected


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("03/04/2027", "could be day/month or month/day"),
        ("3.4.2027 20:00", "could be day/month or month/day"),
        ("4/5 20:00", "could be day/month or month/day"),
        ("2025-01-01 10:00", "in the past"),
        ("2026-11-26 12:00", "in the past"),  # now is not still to come
        ("2027-03-15 ٢٠:٠٠", "digits 0-9"),  # Arabic-Indic digits
        ("２０２７-03-15", "digits 0-9"),  # full-width
        ("2027-03-15 20:00 XYZ", "can't read"),  # an unknown zone abbreviation is not silently ignored
        ("next friday-ish", "can't read"),
        ("2040-01-01", "more than ten years"),
        ("", "Say when"),
    ],
)
def test_bad_when_is_refused(typed: str, why: str) -> None:
    with pytest.raises(BadReleaseInput, match=re.escape(why)):
        parse_when(typed, PARIS, NOW)


ZONES = ["UTC", "Europe/Paris", "America/Los_Angeles", "Asia/Kolkata", "Pacific/Chatham", "Pacific/Kiritimati"]
FORMATS = ["%Y-%m-%d %H:%M", "%d %B %Y %H:%M", "%B %d %Y %I:%M%p", "%Y-%m-%dT%H:%M:%S"]


@settings(max_examples=300, deadline=None)
@given(
    local=st.datetimes(min_value=datetime(2026, 11, 28), max_value=datetime(2036, 11, 1)),  # noqa: DTZ001
    zone=st.sampled_from(ZONES),
    form=st.sampled_from(FORMATS),
)
def test_any_written_instant_reads_back_as_the_same_instant(local: datetime, zone: str, form: str) -> None:
    local = local.replace(microsecond=0, second=local.second if "%S" in form else 0)
    typed = local.strftime(form)
    instant = parse_when(typed, ZoneInfo(zone), NOW)
    assert instant == local.replace(fold=0, tzinfo=ZoneInfo(zone)).astimezone(UTC)  # text has no fold
    assert instant > NOW


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40) | st.from_regex(r"[0-9 :/.\-apmAPMT]{1,25}"))
def test_anything_accepted_is_a_whole_second_still_to_come(typed: str) -> None:
    try:
        instant = parse_when(typed, PARIS, NOW)
    except BadReleaseInput:
        return
    assert instant > NOW and instant.tzinfo is UTC and instant.microsecond == 0
    assert datetime.fromtimestamp(int(instant.timestamp()), UTC) == instant  # what <t:…:F> shows is it


def test_a_title_cannot_break_out() -> None:
    title = safe_title("**Big** @everyone <@123> [click](https://evil) # H")
    assert "@everyone" not in title and "<@123>" not in title
    assert "**" not in title.replace("\\*", "") and "](" not in title.replace("\\]", "")


# ---- the handlers, with an in-memory server (fast enough for property tests) -------------------------------


class MemoryServices:
    """Only what /release add needs, in memory: the property test runs it hundreds of times."""

    def __init__(self) -> None:
        self.releases: list[ServerRelease] = []

    async def server_releases(self, guild_id: int) -> list[ServerRelease]:
        return [r for r in self.releases if r.guild_id == guild_id]

    async def add_release(self, release: ServerRelease, now: datetime) -> None:
        self.releases.append(release)

    def missing_event_permission(self, guild_id: int) -> str | None:
        return None


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    typed=st.text(alphabet=st.characters(codec="utf-8"), max_size=30)
    | st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1)).map(  # noqa: DTZ001
        lambda d: d.strftime("%Y-%m-%d %H:%M")
    ),
    zone=st.sampled_from(ZONES),
)
async def test_an_accepted_when_is_shown_as_the_stored_instant(config, typed: str, zone: str) -> None:
    services = MemoryServices()
    ctx = CommandContext(config.catalogue, config.settings, NOW, guild_id=A, is_admin=True, services=services)  # type: ignore[arg-type]
    reply = (await dispatch("release add", {"name": "Film", "when": typed, "timezone": zone}, ctx)).payload()
    if not services.releases:
        assert reply["content"].startswith("⚠️") and reply["flags"] == 64
        return
    stored = services.releases[0].release_at
    assert stored > NOW
    assert {int(m) for m in _STAMP.findall(reply["content"])} == {int(stored.timestamp())}


# ---- with a real store, announcer and services -------------------------------------------------------------


class FakeEvents:
    """Discord's side of scheduled events: what exists, and whether the bot may create them."""

    def __init__(self) -> None:
        self.existing: dict[int, tuple[int, EventSpec]] = {}  # id -> (guild, spec)
        self.created = 0
        self.missing: str | None = None
        self.fail: Exception | None = None
        self.next_id = 500

    def missing_event_permission(self, guild_id: int) -> str | None:
        return self.missing

    async def create_event(self, guild_id: int, spec: EventSpec) -> int:
        if self.fail is not None:
            raise self.fail
        self.next_id += 1
        self.created += 1
        self.existing[self.next_id] = (guild_id, spec)
        return self.next_id

    async def edit_event(self, guild_id: int, event_id: int, spec: EventSpec) -> bool:
        if event_id not in self.existing:
            return False
        self.existing[event_id] = (guild_id, spec)
        return True

    async def delete_event(self, guild_id: int, event_id: int) -> None:
        if self.fail is not None:
            raise self.fail
        self.existing.pop(event_id, None)

    async def events_of(self, guild_id: int) -> list[EventSpec]:
        return [spec for g, spec in self.existing.values() if g == guild_id]

    async def events(self, guild_id: int) -> list[tuple[int, str]]:
        return [(i, spec.description) for i, (g, spec) in self.existing.items() if g == guild_id]


class NoPosts:
    async def post(self, *args, **kwargs) -> int:  # type: ignore[no-untyped-def]
        raise AssertionError("no post expected")


@dataclass
class World:
    announcer: Announcer
    events: FakeEvents
    now: datetime

    @property
    def store(self) -> Store:
        return self.announcer.store

    def services(self) -> AnnouncementService:
        return AnnouncementService(self.announcer, EventKeeper(self.store, self.events))  # type: ignore[arg-type]

    async def ctx(self, guild_id: int, admin: bool = True) -> CommandContext:
        """What the adapter builds for a request: the operator's catalogue and this server's own releases."""
        catalogue = await self.announcer.catalogue_for(guild_id, self.now)
        return CommandContext(
            catalogue, self.announcer.settings, self.now, guild_id=guild_id, is_admin=admin, services=self.services()
        )

    async def run(self, guild_id: int, command: str, admin: bool = True, **options) -> dict:
        payload = (await dispatch(command, options, await self.ctx(guild_id, admin))).payload()
        assert message_errors(payload) == {}, payload
        assert payload["allowed_mentions"] == {"parse": []}
        return payload

    async def suggest(self, guild_id: int, command: str, option: str, current: str = "") -> list[str]:
        return autocomplete(command, option, await self.ctx(guild_id), current)


@pytest.fixture
async def world(config, database_url: str) -> World:
    engine = create_engine(database_url)
    await upgrade(engine)
    events = FakeEvents()
    state = World(None, events, NOW)  # type: ignore[arg-type]
    state.announcer = Announcer(Store(engine), config.catalogue, config.settings, NoPosts(), clock=lambda: state.now)
    yield state
    await engine.dispose()


def text_of(payload: dict) -> str:
    parts = [payload.get("content") or ""]
    for embed in payload["embeds"]:
        parts += [embed["title"], embed.get("description", "")]
        parts += [f"{f['name']}: {f['value']}" for f in embed.get("fields", [])]
    return "\n".join(parts)


async def test_add_list_and_show_in_member_commands(world: World) -> None:
    added = await world.run(A, "release add", name="Dune: Part Three", when="2027-12-18 20:00", timezone="Europe/Paris")
    assert added["flags"] == 64
    assert "✅ Added **Dune: Part Three**: <t:1829156400:F>." in added["content"]
    (stored,) = await world.store.server_releases(A)
    assert stored.release_at == datetime(2027, 12, 18, 19, 0, tzinfo=UTC) and stored.timezone == "Europe/Paris"
    assert stored.id == f"s{A}-dune-part-three"
    listed = text_of(await world.run(A, "release list"))
    assert "Dune: Part Three" in listed and "<t:1829156400:F>" in listed and "1 of 25" in listed
    # The server's own release is its default in member commands, and found by name.
    countdown = text_of(await world.run(A, "countdown"))
    assert "Dune: Part Three" in countdown and "to go" in countdown
    assert "Dune: Part Three" in text_of(await world.run(A, "about", release="dune: part three"))
    assert "Dune: Part Three" in text_of(await world.run(A, "premiere", release="Dune: Part Three"))
    assert (await world.suggest(A, "countdown", "release", "dune")) == ["Dune: Part Three"]


async def test_the_zone_defaults_to_the_servers_then_utc(world: World) -> None:
    await world.run(A, "release add", name="Plain", when="2027-01-10")
    assert (await world.store.server_releases(A))[0].release_at == datetime(2027, 1, 10, tzinfo=UTC)
    await world.store.save_subscription(B, "all-the-light-we-cannot-see", 5, None, "Asia/Tokyo", None, NOW)
    world.announcer._zones.clear()
    ctx = await world.ctx(B)
    ctx.guild_zone = ZoneInfo("Asia/Tokyo")  # as the adapter reads it from /announce setup
    await dispatch("release add", {"name": "Tokyo", "when": "2027-01-10"}, ctx)
    (tokyo,) = await world.store.server_releases(B)
    assert (tokyo.release_at, tokyo.timezone) == (datetime(2027, 1, 9, 15, 0, tzinfo=UTC), "Asia/Tokyo")


@pytest.mark.parametrize(
    ("options", "why"),
    [
        ({"when": "03/04/2027"}, "YYYY-MM-DD"),
        ({"when": "2020-01-01"}, "in the past"),
        ({"timezone": "Mars/Olympus"}, "is not a time zone I know"),
        ({"name": "x" * 5000}, "5,000 characters long; at most 100 fit"),
        ({"description": "y" * 1001}, "at most 1000 fit"),
        ({"url": "javascript:alert(1)"}, "must be a web address starting with https://"),
        ({"url": "https://exa mple.com"}, "must be a web address"),
        ({"url": "ftp://example.com/x"}, "must be a web address"),
        ({"name": "   "}, "Give the release a name"),
        ({"name": "Evil\u202eeman"}, "invisible or control character"),
        ({"kind": "podcast"}, "`kind` is one of"),
        ({"event": "maybe"}, "True or False"),
    ],
)
async def test_bad_input_is_refused_and_changes_nothing(world: World, options: dict, why: str) -> None:
    reply = await world.run(A, "release add", **{"name": "Film", "when": "2027-03-15 20:00", **options})
    assert reply["flags"] == 64 and reply["content"].startswith("⚠️"), reply
    assert why in reply["content"]
    assert await world.store.server_releases(A) == []


async def test_mentions_and_markdown_stay_inside_the_title(world: World) -> None:
    reply = await world.run(
        A, "release add", name="@everyone **LOUD** <@&1>", when="2027-03-15", description="hi @here"
    )
    assert "@everyone" not in text_of(reply) and "<@&1>" not in text_of(reply) and "@here" not in text_of(reply)
    shown = text_of(await world.run(A, "countdown"))
    assert "@everyone" not in shown and "\\*\\*LOUD\\*\\*" in shown
    # The plain name is what menus show and what members type.
    assert await world.suggest(A, "countdown", "release", "loud") == ["@everyone **LOUD** <@&1>"]


async def test_a_26th_release_is_refused(world: World) -> None:
    for n in range(25):
        reply = await world.run(A, "release add", name=f"Film {n}", when=f"2027-03-{n + 1:02d}")
        assert reply["content"].startswith("✅"), reply
    refused = await world.run(A, "release add", name="Film 26", when="2027-04-01")
    assert "This server has 25 releases, the most it can have" in refused["content"]
    assert len(await world.store.server_releases(A)) == 25
    assert len(await world.suggest(A, "release edit", "release")) == 25
    with pytest.raises(TooManyReleases):  # storage checks it too, in the same transaction as the insert
        first = (await world.store.server_releases(A))[0]
        await world.store.add_server_release(replace(first, id=f"s{A}-x", name="X"), NOW)


async def test_duplicate_names_are_refused(world: World) -> None:
    await world.run(A, "release add", name="Film", when="2027-03-15")
    again = await world.run(A, "release add", name="film", when="2027-04-15")
    assert "exists already" in again["content"]
    operator = await world.run(A, "release add", name="All the Light We Cannot See", when="2027-04-15")
    assert "exists already" in operator["content"]


async def test_members_cannot_change_releases(world: World) -> None:
    reply = await world.run(A, "release add", admin=False, name="Film", when="2027-03-15")
    assert "Manage Server" in reply["content"] and await world.store.server_releases(A) == []


async def test_a_server_never_sees_picks_or_changes_another_servers_releases(world: World) -> None:
    await world.run(A, "release add", name="Secret Premiere", when="2027-03-15 20:00")
    (secret,) = await world.store.server_releases(A)
    # B: not in autocomplete, not found by name nor by id, in any command.
    assert await world.suggest(B, "countdown", "release", "secret") == []
    assert await world.suggest(B, "release edit", "release", "") == []
    for wanted in ("Secret Premiere", secret.id):
        for command in ("countdown", "premiere", "about"):
            assert "I don't know a release called" in (await world.run(B, command, release=wanted))["content"]
        setup = await world.run(B, "announce setup", channel=ChannelRef(9, "news"), release=wanted)
        assert "I don't know a release called" in setup["content"]
        for command, extra in (("release edit", {"name": "Mine now"}), ("release remove", {})):
            refused = await world.run(B, command, release=wanted, **extra)
            assert "This server has no release called" in refused["content"]
    assert "Secret" not in text_of(await world.run(B, "countdown"))
    assert "Secret" not in text_of(await world.run(B, "help"))
    assert await world.store.server_releases(A) == [secret] and await world.store.subscriptions(B) == []
    # And the operator's releases are seen by both, and changed by neither.
    for guild in (A, B):
        assert "All the Light" in text_of(await world.run(guild, "about", release="all-the-light-we-cannot-see"))
        refused = await world.run(guild, "release remove", release="all-the-light-we-cannot-see")
        assert "one of the bot's own releases" in refused["content"]


async def test_the_stock_install_points_to_release_add(world: World) -> None:
    reply = await world.run(A, "announce setup", channel=ChannelRef(9, "news"))
    assert "nothing left to count down to" in reply["content"] and "`/release add" in reply["content"]


async def test_announcements_follow_an_edit_and_go_with_a_remove(world: World) -> None:
    world.now = datetime(2027, 2, 10, tzinfo=UTC)  # timers are set 40 days ahead
    await world.run(A, "release add", name="Film", when="2027-03-15 20:00", timezone="UTC")
    await world.run(A, "announce setup", channel=ChannelRef(9, "news"), release="Film")
    release_id = f"s{A}-film"
    first = world.announcer.scheduled(A)
    assert first[-1].at == datetime(2027, 3, 15, 20, 0, tzinfo=UTC) and first[-1].key == "premiere"
    assert first[0].key == "milestone:30d"
    # The 30-day milestone was sent; then the release moves a week later.
    world.now = datetime(2027, 2, 13, 20, 0, 5, tzinfo=UTC)
    (sub,) = await world.store.subscriptions(A)
    await world.store.claim(sub, "milestone:30d", datetime(2027, 2, 13, 20, 0, tzinfo=UTC), world.now, state="sent")
    moved = await world.run(A, "release edit", release="Film", when="2027-03-22 20:00")
    assert "posts already sent are not sent again" in moved["content"]
    assert "<t:1805745600:F>" in text_of(moved)
    after = world.announcer.scheduled(A)
    assert after[-1].at == datetime(2027, 3, 22, 20, 0, tzinfo=UTC)
    assert "milestone:30d" not in [d.key for d in after]  # its new instant is still to come, but it was sent
    assert after[0].key == "milestone:14d"
    # Renamed: the same release (same id, same announcements), a new name everywhere.
    await world.run(A, "release edit", release="film", name="Film: Director's Cut")
    assert [s.release_id for s in await world.store.subscriptions(A)] == [release_id]
    assert "Film: Director's Cut" in text_of(await world.run(A, "announce status"))
    removed = await world.run(A, "release remove", release="Film: Director's Cut")
    assert removed["content"].startswith("🗑️ Removed")
    assert await world.store.subscriptions(A) == [] and await world.store.outcomes(A) == []
    assert world.announcer.scheduled(A) == [] and await world.store.server_releases(A) == []


async def test_edit_refusals_change_nothing(world: World) -> None:
    await world.run(A, "release add", name="Film", when="2027-03-15 20:00", timezone="UTC")
    await world.run(A, "release add", name="Other", when="2027-04-15 20:00", timezone="UTC")
    before = await world.store.server_releases(A)
    for options, why in (
        ({"when": "2001-01-01"}, "in the past"),
        ({"when": "04/05/2027"}, "YYYY-MM-DD"),
        ({"name": "Other"}, "exists already"),
        ({"url": "javascript:void(0)"}, "web address"),
        ({"timezone": "Nowhere/City"}, "not a time zone"),
    ):
        reply = await world.run(A, "release edit", release="Film", **options)
        assert why in reply["content"], reply
    assert await world.store.server_releases(A) == before
    # A zone alone: the same wall-clock time, in the zone it was meant in.
    await world.run(A, "release edit", release="Film", timezone="America/New_York")
    film = next(r for r in await world.store.server_releases(A) if r.name == "Film")
    assert film.release_at == datetime(2027, 3, 16, 0, 0, tzinfo=UTC) and film.timezone == "America/New_York"


# ---- Discord Scheduled Events --------------------------------------------------------------------------------


async def test_an_event_is_created_once_moved_and_deleted(world: World) -> None:
    reply = await world.run(A, "release add", name="Film", when="2027-03-15 20:00", timezone="UTC", event=True)
    assert "📅 Created the server event" in reply["content"]
    (spec,) = await world.events.events_of(A)
    assert (spec.name, spec.start, spec.end) == (
        "Film",
        datetime(2027, 3, 15, 20, tzinfo=UTC),
        spec.start + timedelta(hours=2),
    )
    assert "Counting down to Film" in spec.description
    # Asked again (a retry, /announce setup event:True): the same event, not a second one.
    setup = await world.run(A, "announce setup", channel=ChannelRef(9, "news"), release="Film", event=True)
    assert "📅 The event is up to date" in setup["embeds"][0]["description"]
    assert world.events.created == 1
    await world.run(A, "release edit", release="Film", when="2027-04-01 18:00", url="https://example.com/film")
    (spec,) = await world.events.events_of(A)
    assert spec.start == datetime(2027, 4, 1, 18, tzinfo=UTC) and spec.location == "https://example.com/film"
    await world.run(A, "release remove", release="Film")
    assert await world.events.events_of(A) == [] and await world.store.event_rows(A) == []


async def test_announce_off_deletes_the_event(world: World) -> None:
    await world.run(A, "release add", name="Film", when="2027-03-15 20:00")
    await world.run(A, "announce setup", channel=ChannelRef(9, "news"), release="Film", event=True)
    off = await world.run(A, "announce off")
    assert "The server event is deleted." in off["content"]
    assert await world.events.events_of(A) == []


async def test_without_create_events_the_reply_says_so_and_nothing_changes(world: World) -> None:
    world.events.missing = "Create Events"
    reply = await world.run(A, "release add", name="Film", when="2027-03-15 20:00", event=True)
    assert "missing the **Create Events** permission" in reply["content"] and "Nothing was changed" in reply["content"]
    assert await world.store.server_releases(A) == [] and world.events.created == 0
    world.events.missing = None
    await world.run(A, "release add", name="Film", when="2027-03-15 20:00")
    world.events.missing = "Create Events"
    setup = await world.run(A, "announce setup", channel=ChannelRef(9, "news"), release="Film", event=True)
    assert "missing the **Create Events** permission" in setup["content"]
    assert await world.store.subscriptions(A) == [] and await world.store.event_rows(A) == []
    # The bot's copy of its permissions was out of date: Discord's 403 is refused the same way.
    world.events.missing = None
    world.events.fail = MissingPermission("Create Events")
    for command, options in (
        ("release add", {"name": "Other", "when": "2027-04-15 20:00"}),
        ("announce setup", {"channel": ChannelRef(9, "news"), "release": "Film"}),
    ):
        reply = await world.run(A, command, event=True, **options)
        assert (
            "missing the **Create Events** permission" in reply["content"] and "Nothing was changed" in reply["content"]
        )
    assert [r.name for r in await world.store.server_releases(A)] == ["Film"]
    assert await world.store.subscriptions(A) == [] and await world.store.event_rows(A) == []


async def test_a_restart_between_creating_an_event_and_recording_its_id_leaves_one_event(world: World) -> None:
    await world.run(A, "release add", name="Film", when="2027-03-15 20:00")
    release = (await world.announcer.releases_of(A))[0]
    # The process wrote its intent and created the event, then died before recording the id.
    real_record = world.store.record_event

    async def crash(*args) -> None:  # type: ignore[no-untyped-def]
        raise ConnectionError("killed")

    world.store.record_event = crash  # type: ignore[method-assign]
    with pytest.raises(ConnectionError):
        await EventKeeper(world.store, world.events).ensure(A, release, NOW)  # type: ignore[arg-type]
    world.store.record_event = real_record  # type: ignore[method-assign]
    assert world.events.created == 1 and await world.store.event_rows(A) == [(A, release.id, None)]
    # After the restart: reconciled from the server's events, never created again.
    keeper = EventKeeper(world.store, world.events)  # type: ignore[arg-type]
    await keeper.reconcile()
    (event_id,) = world.events.existing
    assert await world.store.event_rows(A) == [(A, release.id, event_id)]
    await world.run(A, "release edit", release="Film", when="2027-03-20 20:00")
    await world.run(A, "announce setup", channel=ChannelRef(9, "news"), release="Film", event=True)
    assert world.events.created == 1 and len(world.events.existing) == 1
    # ...and a retry without a restart in between finds it the same way.
    await world.store.record_event(A, release.id, None)  # type: ignore[arg-type]
    await world.run(A, "announce setup", channel=ChannelRef(9, "news"), release="Film", event=True)
    assert world.events.created == 1


async def test_an_event_discord_will_not_move_or_delete_does_not_block_the_release(world: World) -> None:
    await world.run(A, "release add", name="Film", when="2027-03-15 20:00", event=True)
    world.events.fail = MissingPermission("Manage Events")

    async def refused(*args) -> bool:  # type: ignore[no-untyped-def]
        raise MissingPermission("Manage Events")

    world.events.edit_event = refused  # type: ignore[method-assign]
    moved = await world.run(A, "release edit", release="Film", when="2027-03-20 20:00")
    assert moved["content"].startswith("✅ Changed **Film**")
    removed = await world.run(A, "release remove", release="Film")
    assert removed["content"].startswith("🗑️ Removed **Film**")
    assert await world.store.server_releases(A) == [] and await world.store.event_rows(A) == []


async def test_a_failed_event_does_not_undo_the_release(world: World) -> None:
    world.events.fail = PostFailed("503 Service Unavailable")
    reply = await world.run(A, "release add", name="Film", when="2027-03-15 20:00", event=True)
    assert "No event this time (503 Service Unavailable)" in reply["content"]
    assert [r.name for r in await world.store.server_releases(A)] == ["Film"]


def test_release_commands_in_the_console(capsys, monkeypatch) -> None:
    """The console plays one server's admin, on a throw-away database: /release works there end to end."""
    import io
    import json
    import sys

    from bot.cli import main

    lines = (
        '/release add name:"Watch Party" when:"2027-03-15 20:00" timezone:Asia/Tokyo\n'
        "/release list\n/countdown\n"
        '/release add name:Film when:"03/04/2027"\n'
        '/release edit release:"Watch Party" when:"2027-03-16 20:00"\n'
        '/release remove release:"Watch Party"\n/release list\n'
    )
    monkeypatch.setattr(sys, "stdin", io.StringIO(lines))
    assert main(["console", "--json", "--at", "2026-11-26T12:00:00Z"]) == 0
    replies = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    shown = [text_of(r["payload"]) for r in replies]
    assert "✅ Added **Watch Party**: <t:1805108400:F>." in shown[0]  # 20:00 in Tokyo is 11:00 UTC
    assert "Watch Party" in shown[1] and "Watch Party" in shown[2]
    assert "YYYY-MM-DD" in shown[3]
    assert "<t:1805194800:F>" in shown[4]
    assert shown[5].startswith("🗑️ Removed **Watch Party**")
    assert "no releases of its own yet" in shown[6]
    # Nothing is left behind: the next console starts empty.
    monkeypatch.setattr(sys, "stdin", io.StringIO("/release list\n"))
    assert main(["console", "--json"]) == 0
    assert "no releases of its own yet" in capsys.readouterr().out


# ---- the live countdown message ---------------------------------------------------------------------------------


class LivePoster:
    """Discord's side of the live message: the messages that exist, and every request made."""

    def __init__(self) -> None:
        self.messages: dict[int, tuple[int, object]] = {}  # id -> (channel, card)
        self.requests: list[str] = []
        self.turns = 0
        self.next_id = 9000

    async def wait_turn(self, urgent: bool = False) -> None:
        self.turns += 1

    async def post_card(self, channel_id: int, card) -> int:  # type: ignore[no-untyped-def]
        self.next_id += 1
        self.messages[self.next_id] = (channel_id, card)
        self.requests.append(f"post {self.next_id}")
        return self.next_id

    async def edit_card(self, channel_id: int, message_id: int, card) -> bool:  # type: ignore[no-untyped-def]
        self.requests.append(f"edit {message_id}")
        if message_id not in self.messages:
            return False
        self.messages[message_id] = (channel_id, card)
        return True

    async def delete_message(self, channel_id: int, message_id: int) -> None:
        self.requests.append(f"delete {message_id}")
        self.messages.pop(message_id, None)

    def card(self, message_id: int):  # type: ignore[no-untyped-def]
        return self.messages[message_id][1]


@pytest.fixture
def live(world: World) -> LivePoster:
    poster = LivePoster()
    world.announcer.poster = poster  # type: ignore[assignment]
    return poster


async def test_the_live_message_is_posted_once_and_edited_only_at_milestones(world: World, live: LivePoster) -> None:
    world.now = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
    await world.run(A, "release add", name="Film", when="2027-03-15 20:00", timezone="UTC")
    refused = await world.run(A, "announce live", release="Film")
    assert "No announcements are set up here" in refused["content"] and live.requests == []
    await world.run(A, "announce setup", channel=ChannelRef(9, "news"), release="Film")
    reply = await world.run(A, "announce live", release="Film")
    assert reply["content"].startswith("✅ Posted the live countdown for **Film** in <#9>")
    (row,) = await world.store.live_messages(A)
    assert (row.channel_id, row.message_id, row.stage) == (9, 9001, "milestone:30d")
    card = live.card(9001)
    assert "<t:1805140800:R>" in card.description and "1 month, 2 days to go" in card.footer
    # Between milestones nothing is edited; at the 7-day milestone once, however often it is asked.
    await world.announcer.sync_live(datetime(2027, 3, 1, 15, tzinfo=UTC))
    assert live.requests == ["post 9001"]
    for _ in range(2):
        await world.announcer.sync_live(datetime(2027, 3, 8, 20, 0, tzinfo=UTC))
    assert live.requests == ["post 9001", "edit 9001"] and "7 days to go" in live.card(9001).footer
    # Someone deletes it: the next milestone posts a new one, and /announce status says so.
    del live.messages[9001]
    world.now = datetime(2027, 3, 12, 20, 0, tzinfo=UTC)
    await world.announcer.sync_live(world.now)
    assert live.requests[-2:] == ["edit 9001", "post 9002"]
    status = text_of(await world.run(A, "announce status"))
    assert "Live message: [in <#9>](https://discord.com/channels/1111/9/9002)" in status
    assert "It was deleted, so a new one was posted <t:1804881600:R>" in status
    # A restart: a new announcer (same storage) brings it to the premiere, once.
    again = Announcer(world.store, world.announcer.catalogue, world.announcer.settings, live, clock=lambda: world.now)
    await again.load_releases()
    await again.sync_live(datetime(2027, 3, 15, 20, 0, 1, tzinfo=UTC))
    assert "**Film** is out now" in live.card(9002).description
    assert (await world.store.live_messages(A))[0].stage == "premiere"
    assert live.turns == len(live.requests)  # every request took a pacing slot


async def test_the_live_message_follows_an_edit(world: World, live: LivePoster) -> None:
    await world.run(A, "release add", name="Film", when="2027-03-15 20:00", timezone="UTC")
    await world.run(A, "announce setup", channel=ChannelRef(9, "news"), release="Film")
    await world.run(A, "announce live", release="Film")
    await world.run(A, "release edit", release="Film", name="Film II", when="2027-03-22 20:00")
    assert live.requests == ["post 9001", "edit 9001"]
    card = live.card(9001)
    assert card.title == "Film II" and "<t:1805745600:R>" in card.description


async def test_the_live_message_goes_with_announce_off_and_release_remove(world: World, live: LivePoster) -> None:
    for name in ("One", "Two"):
        await world.run(A, "release add", name=name, when="2027-03-15 20:00")
        await world.run(A, "announce setup", channel=ChannelRef(9, "news"), release=name)
        await world.run(A, "announce live", release=name, channel=ChannelRef(10, "countdown"))
    assert set(live.messages) == {9001, 9002}
    await world.run(A, "release remove", release="One")
    await world.run(A, "announce off", release="Two")
    assert live.messages == {} and await world.store.live_messages(A) == []
    assert live.requests[-2:] == ["delete 9001", "delete 9002"]


async def test_live_refusals(world: World, live: LivePoster) -> None:
    await world.run(A, "release add", name="Film", when="2027-03-15 20:00")
    await world.run(A, "announce setup", channel=ChannelRef(9, "news"), release="Film")
    locked = await world.run(A, "announce live", channel=ChannelRef(10, "locked", ("Send Messages",)))
    assert "missing **Send Messages**" in locked["content"]
    world.now = datetime(2027, 3, 16, tzinfo=UTC)
    late = await world.run(A, "announce live", release="Film")
    assert "is out already" in late["content"]
    assert live.requests == [] and await world.store.live_messages(A) == []


def test_the_operator_cannot_take_a_server_release_id(tmp_path) -> None:
    from bot.config import PACKAGED_CONFIG_DIR, ConfigError, load_config

    catalogue = (PACKAGED_CONFIG_DIR / "releases.toml").read_text()
    catalogue += '\n[[release]]\nid = "s1111-film"\ntitle = "Film"\nkind = "film"\n'
    catalogue += 'release_at = "2027-01-01T00:00:00"\ntimezone = "UTC"\n'
    (tmp_path / "releases.toml").write_text(catalogue)
    with pytest.raises(ConfigError, match="those ids belong to releases servers add themselves"):
        load_config(tmp_path, environ={})


async def test_admins_adding_at_once_never_make_26(world: World, database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite serialises writers itself; the race is PostgreSQL's")
    base = ServerRelease(A, f"s{A}-film-0", "Film 0", datetime(2027, 3, 1, tzinfo=UTC), "UTC", "film", "", "")
    for n in range(20):
        await world.store.add_server_release(replace(base, id=f"s{A}-film-{n}", name=f"Film {n}"), NOW)
    results = await asyncio.gather(
        *(world.store.add_server_release(replace(base, id=f"s{A}-x-{n}", name=f"X {n}"), NOW) for n in range(10)),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["NoneType"] * 5 + ["TooManyReleases"] * 5
    assert len(await world.store.server_releases(A)) == 25
