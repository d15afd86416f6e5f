"""Discord Scheduled Events for releases, end to end: the real discord.py client and the sandbox's guild events."""

from __future__ import annotations

from datetime import UTC, datetime

import aiohttp

from bot.config import Config
from bot.sandbox.server import Sandbox
from bot.scheduling.events import event_spec
from tests.e2e.conftest import Launch, Server, join_guild, wait_until

FILM_AT = datetime(2027, 3, 15, 20, 0, tzinfo=UTC)


async def events_of(server: Server) -> list[dict]:
    """The server's events, as the sandbox's control API lists them."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{server.sandbox.url}/_sandbox/guilds/{server.guild_id}/events") as response,
    ):
        assert response.status == 200
        return await response.json()


async def set_bot_permissions(server: Server, **change: list[str]) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{server.sandbox.url}/_sandbox/guilds/{server.guild_id}/permissions", json=change) as response,
    ):
        assert response.status == 200


def parsed(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp).astimezone(UTC)


async def test_an_event_is_created_once_moved_and_deleted(server: Server) -> None:
    added = await server.slash(
        '/release add name:Film when:"2027-03-15 20:00" timezone:UTC url:https://example.com/film event:True',
        user="grace",
    )
    assert "📅 Created the server event" in added["data"]["content"], added["data"]["content"]
    (event,) = await events_of(server)
    assert (event["name"], event["entity_type"], event["entity_metadata"]) == (
        "Film",
        3,
        {"location": "https://example.com/film"},
    )
    assert parsed(event["scheduled_start_time"]) == FILM_AT
    assert parsed(event["scheduled_end_time"]) == FILM_AT.replace(hour=22)
    assert "Counting down to Film" in event["description"]
    # Asked again: the same event.
    again = await server.slash("/announce setup channel:#announcements release:Film event:True", user="grace")
    assert "📅 The event is up to date" in again["data"]["embeds"][0]["description"]
    assert [e["id"] for e in await events_of(server)] == [event["id"]]
    await server.slash('/release edit release:Film when:"2027-04-01 18:00"', user="grace")
    (moved,) = await events_of(server)
    assert moved["id"] == event["id"] and parsed(moved["scheduled_start_time"]) == datetime(2027, 4, 1, 18, tzinfo=UTC)
    await server.slash("/release remove release:Film", user="grace")
    assert await events_of(server) == []


async def test_announce_off_deletes_the_event(server: Server) -> None:
    await server.slash('/release add name:Film when:"2027-03-15 20:00" event:True', user="grace")
    await server.slash("/announce setup channel:#announcements release:Film", user="grace")
    assert len(await events_of(server)) == 1
    off = await server.slash("/announce off release:Film", user="grace")
    assert "The server event is deleted." in off["data"]["content"]
    assert await events_of(server) == []


async def test_without_create_events_the_reply_names_it_and_nothing_changes(server: Server) -> None:
    await server.slash('/release add name:Film when:"2027-03-15 20:00"', user="grace")
    await set_bot_permissions(server, deny=["create_events"])
    for command in (
        '/release add name:Other when:"2027-03-15 20:00" event:True',
        "/announce setup channel:#announcements release:Film event:True",
    ):
        refused = await server.slash(command, user="grace")
        assert refused["data"]["flags"] == 64
        content = refused["data"]["content"]
        assert "missing the **Create Events** permission" in content and "Nothing was changed" in content, content
    store = server.bot.announcer.store
    assert [r.name for r in await store.server_releases()] == ["Film"]
    assert await store.subscriptions() == [] and await store.event_rows() == []
    assert await events_of(server) == []


async def test_a_restart_between_creating_an_event_and_recording_its_id_leaves_exactly_one_event(
    sandbox: Sandbox, launch: Launch, bot_config: Config
) -> None:
    bot = await launch(bot_config)
    ids = await join_guild(
        sandbox, bot, "Film Club", channels=["general", "announcements"], members=[{"name": "grace", "admin": True}]
    )
    server = Server(sandbox, bot, ids)
    await server.slash('/release add name:Film when:"2027-03-15 20:00"', user="grace")
    (release,) = await bot.announcer.releases_of(int(server.guild_id), fresh=True)
    # What a process did before it was killed: its intent written, the event created, the id never recorded.
    assert bot.events is not None
    store, poster = bot.events.store, bot.events.poster
    await store.intend_event(int(server.guild_id), release.id, datetime.now(UTC))
    await poster.create_event(int(server.guild_id), event_spec(release))
    await bot.close()

    restarted = await launch(bot_config)
    rows = await wait_until(
        lambda: restarted.announcer.store.event_rows(), lambda rows: rows and rows[0][2] is not None, timeout=20
    )
    (event,) = await events_of(server)
    assert rows == [(int(server.guild_id), release.id, int(event["id"]))]
    server = Server(sandbox, restarted, ids)
    again = await server.slash("/announce setup channel:#announcements release:Film event:True", user="grace")
    assert "📅 The event is up to date" in again["data"]["embeds"][0]["description"]
    assert [e["id"] for e in await events_of(server)] == [event["id"]]
