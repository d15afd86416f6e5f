"""Every command, every option, any text a member can type: a normal reply or a friendly error, never a crash.

Through `dispatch` (the code Discord and the console run), with a real store on SQLite and a real announcer, so a
value that passes validation but breaks storage or scheduling later (the "1:5٥" daily time that was saved and then
failed every command of that server, and the next start) is caught: after every example, everything stored must
still plan.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from bot.commands.announce import ChannelRef, RoleRef
from bot.commands.registry import REGISTRY, CommandContext, Option, dispatch
from bot.commands.replies import INTERNAL_ERROR, Reply
from bot.domain.announcements import PostFailed, PostRejected
from bot.sandbox.limits import message_errors
from bot.scheduling.announcer import Announcer
from bot.scheduling.service import AnnouncementService
from bot.storage.database import create_engine, upgrade
from bot.storage.repository import Store
from tests.conftest import upcoming_release
from tests.test_commands import SOON, Admin, RecordingPoster

NASTY = [
    "",
    " ",
    "\t\n",
    "@everyone",
    "@here",
    "<@&1> <@1> <#1>",
    "**bold** _it_ `code` ||spoiler|| > quote",
    "[link](https://example.com)",
    "1:5٥",
    "9:5５",
    "0:0०",
    "٢٠:٠٠",
    "20:00",
    "9:05",
    "24:00",
    "-1:00",
    "off",
    "OFF",
    "20:00:00",
    "\x00",
    "\x1b[31m",
    "\u202eevil",
    "\ufeff",
    "a" * 100,
    "a" * 101,
    "a" * 3000,
    "Europe/Paris",
    "paris",
    "UTC",
    "Etc/GMT+5",
    "EST5EDT",
    "Factory",
    "localtime",
    "../../etc/passwd",
    "the-lighthouse-keeper",
    "The Lighthouse Keeper",
    "all-the-light-we-cannot-see",
    "Hugh Laurie",
    "werner",
]
texts = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=120),
    st.text(st.characters(categories=["Nd"]) | st.just(":"), max_size=6),  # digits of every script
    st.text(st.characters(categories=["Cc", "Cf", "Zs"]), max_size=5),  # control, format and space characters
)
digits = st.text(st.sampled_from("0123456789") | st.characters(categories=["Nd"]), min_size=1, max_size=2)
clocks = (
    st.sampled_from(["1:5٥", "9:5５", "0:0०", "20:00", "9:05", "off", "25:00"])  # the issue's, and plain ones
    | st.builds("{}{}{}".format, digits, st.sampled_from([":", ":", "：", ".", " : "]), digits)
    | texts
)
zones = st.sampled_from(["Europe/Paris", "paris", "UTC", "Asia/Kolkata", "europe/PARIS", "Mars/Olympus"]) | texts
releases = st.sampled_from(["the-lighthouse-keeper", "The Lighthouse Keeper", "all-the-light-we-cannot-see"]) | texts
ids = st.integers(min_value=1, max_value=2**63 - 1)
good_channels = st.builds(ChannelRef, ids, texts)
channels = good_channels | st.builds(ChannelRef, ids, texts, st.just(("Send Messages",))) | texts
roles = st.builds(RoleRef, ids, texts, st.booleans()) | texts
BY_NAME = {"daily_time": clocks, "timezone": zones, "release": releases}
POSTER_FAULTS = [None, PostFailed("503 Service Unavailable"), PostRejected("the channel <#77> no longer exists")]
NOWS = [timedelta(days=-40), timedelta(days=-10), timedelta(minutes=-2), timedelta(0), timedelta(days=3)]


@pytest.fixture
async def admin(config, tmp_path) -> AsyncIterator[Admin]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'fuzz.sqlite3'}")
    await upgrade(engine)
    soon = upcoming_release(config, SOON)
    poster = RecordingPoster()
    state = Admin(None, poster, SOON)  # type: ignore[arg-type]
    state.announcer = Announcer(Store(engine), soon.catalogue, soon.settings, poster, clock=lambda: state.now)
    yield state
    await engine.dispose()


def value_for(option: Option) -> st.SearchStrategy[Any]:
    by_kind = {"channel": channels, "role": roles}
    return by_kind[option.kind] if option.kind in by_kind else BY_NAME.get(option.name, texts)


@st.composite
def invocations(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A command (any registered one, or a made-up or group name) and some of its options, with any values."""
    spec = draw(st.sampled_from(list(REGISTRY)))
    roll = draw(st.integers(0, 19))
    name = spec.name if roll > 2 else draw(st.sampled_from(["announce", "announce nope", ""]) | texts)
    options = {o.name: draw(value_for(o)) for o in spec.options if draw(st.booleans())}
    if draw(st.integers(0, 9)) == 0:
        options[draw(texts)] = draw(texts)  # an option the command does not have
    return name, options


def is_error(reply: Reply) -> bool:
    return (reply.content or "").startswith("⚠️")


def visible_text(reply: Reply) -> str:
    return json.dumps(reply.payload(), ensure_ascii=False)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    invocation=invocations(),
    now=st.sampled_from(NOWS),
    guild_id=st.sampled_from([1, 1, 2, None]),
    is_admin=st.sampled_from([True, True, True, False]),
    console=st.sampled_from([False, False, False, True]),
    fault=st.sampled_from(POSTER_FAULTS),
)
async def test_no_input_ever_breaks_a_command(
    admin: Admin,
    caplog: pytest.LogCaptureFixture,
    invocation: tuple[str, dict[str, Any]],
    now: timedelta,
    guild_id: int | None,
    is_admin: bool,
    console: bool,
    fault: Exception | None,
) -> None:
    name, options = invocation
    announcer = admin.announcer
    if not await announcer.store.subscriptions(1):  # server 1 is set up (again, after an `off`), server 2 not
        await announcer.store.save_subscription(
            1, "the-lighthouse-keeper", 77, 55, "Europe/Paris", "20:00", SOON - timedelta(days=40)
        )
    admin.now = SOON + now
    admin.poster.fail = fault
    ctx = CommandContext(
        announcer.catalogue,
        announcer.settings,
        admin.now,
        guild_id=guild_id,
        is_admin=is_admin,
        services=None if console else AnnouncementService(announcer),
    )
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        reply = await dispatch(name, options, ctx)

    assert isinstance(reply, Reply)
    event(f"{name if name in REGISTRY.commands else 'other'}: {'refused' if is_error(reply) else 'answered'}")
    payload = reply.payload()
    assert message_errors(payload) == {}, payload  # fits Discord, or Discord would refuse the answer
    assert payload["allowed_mentions"] == {"parse": []}
    assert INTERNAL_ERROR not in (reply.content or ""), (name, options, caplog.text)
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    if is_error(reply):
        assert reply.ephemeral and reply.embeds == []
    shown = visible_text(reply)
    assert "@everyone" not in shown and "@here" not in shown  # echoed text can never form a mass ping

    # Whatever was accepted, storage still holds only what the scheduler can read: every command of the server
    # and the next start keep working.
    for sub in await announcer.store.subscriptions():
        assert sub.daily_time is None or re.fullmatch(r"[01][0-9]:[0-5][0-9]|2[0-3]:[0-5][0-9]", sub.daily_time)
        ZoneInfo(sub.timezone)
        announcer.plan(sub, admin.now)
    for post in admin.poster.sent:
        assert "<@&" not in post["content"] and post["role_id"] is None  # test posts ping nobody


def settings_of(subs: Any) -> list[tuple[Any, ...]]:
    return [(s.release_id, s.channel_id, s.role_id, s.timezone, s.daily_time, s.paused) for s in subs]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    channel=good_channels,
    options=st.fixed_dictionaries(
        {},
        optional={
            "role": st.builds(RoleRef, ids, texts) | roles,
            "timezone": zones,
            "daily_time": clocks,
            "release": releases,
        },
    ),
)
@example(channel=ChannelRef(1, "general"), options={"daily_time": "1:5٥"})
@example(channel=ChannelRef(1, "general"), options={"daily_time": "9:5５"})
@example(channel=ChannelRef(1, "general"), options={"daily_time": "0:0०"})
async def test_a_setup_saves_settings_that_work_or_changes_nothing(
    admin: Admin, channel: ChannelRef, options: dict[str, Any]
) -> None:
    """The admin's own command, in a server, before the release: only the option values vary."""
    admin.now = SOON - timedelta(days=10)
    store = admin.announcer.store
    before = settings_of(await store.subscriptions(1))
    ctx = CommandContext(
        admin.announcer.catalogue,
        admin.announcer.settings,
        admin.now,
        guild_id=1,
        is_admin=True,
        services=AnnouncementService(admin.announcer),
    )
    reply = await dispatch("announce setup", {"channel": channel, **options}, ctx)

    assert INTERNAL_ERROR not in (reply.content or "")
    assert message_errors(reply.payload()) == {}
    after = await store.subscriptions(1)
    event("refused" if is_error(reply) else "saved")
    if is_error(reply):
        assert settings_of(after) == before  # refused: nothing changed
    else:
        assert reply.embeds[0].description.startswith("✅ Countdown posts for")
    for sub in after:
        assert sub.daily_time is None or re.fullmatch(r"[01][0-9]:[0-5][0-9]|2[0-3]:[0-5][0-9]", sub.daily_time)
        admin.announcer.plan(sub, admin.now)
    status = await dispatch("announce status", {}, ctx)  # ...and the server's other commands keep working
    assert INTERNAL_ERROR not in (status.content or "")
