"""Guild scheduled events in the sandbox, through the real discord.py client: create, modify, fetch, list, delete,
Discord's checks (an external event's location and end, no past start), the Create Events / Manage Events
permissions, the limit of 100 events per server, and the control API's list of a server's events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import aiohttp
import discord
import pytest

from tests.e2e.conftest import Server
from tests.e2e.test_sandbox_fidelity import rest


async def _create(
    guild: discord.Guild, name: str = "The Lighthouse Keeper premiere", start: datetime | None = None
) -> discord.ScheduledEvent:
    start = start or datetime.now(UTC) + timedelta(days=3)
    return await guild.create_scheduled_event(
        name=name,
        start_time=start,
        end_time=start + timedelta(hours=2),
        entity_type=discord.EntityType.external,
        location="Netflix",
        privacy_level=discord.PrivacyLevel.guild_only,
        description="Counting down",
    )


async def _control_events(server: Server) -> list[dict]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{server.sandbox.url}/_sandbox/guilds/{server.guild_id}/events") as response,
    ):
        assert response.status == 200
        return await response.json()


async def test_an_external_event_created_moved_and_deleted_through_discord_py(server: Server) -> None:
    guild = server.bot.get_guild(int(server.guild_id))
    start = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    event = await _create(guild, start=start)
    assert (event.name, event.location, event.start_time, event.end_time) == (
        "The Lighthouse Keeper premiere",
        "Netflix",
        start,
        start + timedelta(hours=2),
    )
    assert event.status == discord.EventStatus.scheduled and event.creator_id == server.bot.user.id
    [listed] = await _control_events(server)
    assert (listed["id"], listed["entity_metadata"], listed["entity_type"]) == (
        str(event.id),
        {"location": "Netflix"},
        3,
    )

    moved = await event.edit(
        name="Premiere (moved)", start_time=start + timedelta(days=1), end_time=start + timedelta(days=1, hours=2)
    )
    assert (moved.name, moved.start_time, moved.location) == ("Premiere (moved)", start + timedelta(days=1), "Netflix")
    [fetched] = await guild.fetch_scheduled_events()
    assert (fetched.id, fetched.name) == (event.id, "Premiere (moved)")
    assert (await guild.fetch_scheduled_event(event.id)).start_time == start + timedelta(days=1)

    await moved.delete()
    assert await _control_events(server) == []
    with pytest.raises(discord.NotFound) as raised:
        await guild.fetch_scheduled_event(event.id)
    assert raised.value.code == 10070
    # The bot does not ask for GUILD_SCHEDULED_EVENTS: none of the three events reached it.
    [session] = server.sandbox.gateway.sessions.values()
    assert not any(p["t"].startswith("GUILD_SCHEDULED_EVENT") for p in session.history)


async def test_what_discord_refuses_in_an_event(server: Server) -> None:
    sandbox, path = server.sandbox, f"/guilds/{server.guild_id}/scheduled-events"
    start = datetime.now(UTC) + timedelta(days=1)
    event = {
        "name": "Premiere",
        "privacy_level": 2,
        "entity_type": 3,
        "entity_metadata": {"location": "Netflix"},
        "scheduled_start_time": start.isoformat(),
        "scheduled_end_time": (start + timedelta(hours=1)).isoformat(),
    }
    no_end = {k: v for k, v in event.items() if k != "scheduled_end_time"}
    status, _, body = await rest(sandbox, "POST", path, no_end)
    assert (status, body["code"]) == (400, 50035) and "scheduled_end_time" in body["errors"]
    past = {**event, "scheduled_start_time": (start - timedelta(days=2)).isoformat()}
    status, _, body = await rest(sandbox, "POST", path, past)
    assert body["errors"]["scheduled_start_time"]["_errors"][0]["code"] == "GUILD_SCHEDULED_EVENT_SCHEDULE_PAST"
    backwards = {**event, "scheduled_end_time": (start - timedelta(hours=1)).isoformat()}
    status, _, body = await rest(sandbox, "POST", path, backwards)
    assert (status, list(body["errors"])) == (400, ["scheduled_end_time"])
    assert sandbox.violations == []  # all three are valid by the spec: Discord's own checks refused them
    status, _, body = await rest(sandbox, "POST", path, {**event, "entity_metadata": {}})  # the spec requires it
    assert (status, body["code"]) == (400, 50035) and "entity_metadata" in body["errors"]
    status, _, body = await rest(sandbox, "POST", path, {**event, "name": "x" * 101})
    assert (status, body["code"]) == (400, 50035) and "name" in body["errors"]
    assert [v["what"] for v in sandbox.violations] == ["invalid body for POST /guilds/{guild_id}/scheduled-events"] * 2
    sandbox.violations.clear()  # seen and asserted
    assert await _control_events(server) == []


async def test_without_create_events_the_bot_gets_403_50013(server: Server) -> None:
    guild = server.bot.get_guild(int(server.guild_id))
    kept = await _create(guild, name="Before the change")
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{server.sandbox.url}/_sandbox/guilds/{server.guild_id}/permissions", json={"deny": ["create_events"]}
        ) as response,
    ):
        assert response.status == 200
    assert not server.sandbox.world.guilds[int(server.guild_id)].permissions(server.bot.user.id) & (1 << 44)
    with pytest.raises(discord.Forbidden) as raised:
        await _create(guild)
    assert (raised.value.status, raised.value.code) == (403, 50013)
    with pytest.raises(discord.Forbidden):
        await kept.edit(name="Renamed")
    assert [e["name"] for e in await _control_events(server)] == ["Before the change"]


async def test_someone_elses_event_needs_manage_events(server: Server) -> None:
    guild = server.bot.get_guild(int(server.guild_id))
    event = await _create(guild, name="Made by a moderator")
    world_guild = server.sandbox.world.guilds[int(server.guild_id)]
    world_guild.scheduled_events[event.id]["creator_id"] = str(world_guild.owner_id)
    with pytest.raises(discord.Forbidden):
        await event.delete()
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{server.sandbox.url}/_sandbox/guilds/{server.guild_id}/permissions", json={"allow": ["manage_events"]}
        ) as response,
    ):
        assert response.status == 200
    await event.delete()
    assert await _control_events(server) == []


async def test_a_server_holds_at_most_100_events(server: Server) -> None:
    guild = server.bot.get_guild(int(server.guild_id))
    first = await _create(guild, name="Event 1")
    world_guild = server.sandbox.world.guilds[int(server.guild_id)]
    template = world_guild.scheduled_events[first.id]
    for n in range(2, 100):  # 98 more, as if created earlier
        event_id = server.sandbox.world.snowflake()
        world_guild.scheduled_events[event_id] = {**template, "id": str(event_id), "name": f"Event {n}"}
    hundredth = await _create(guild, name="Event 100")
    with pytest.raises(discord.HTTPException) as raised:
        await _create(guild, name="Event 101")
    assert (raised.value.status, raised.value.code) == (400, 30038)
    await hundredth.edit(status=discord.EventStatus.active)  # still uncompleted: still counts
    with pytest.raises(discord.HTTPException):
        await _create(guild, name="Event 101")
    await hundredth.edit(status=discord.EventStatus.completed)  # completed: room for one more
    assert (await _create(guild, name="Event 101")).name == "Event 101"
    assert len(await _control_events(server)) == 101
