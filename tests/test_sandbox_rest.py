"""The sandbox's REST routes answer as Discord does: the start-up and lookup routes, messages built the way Discord
builds them (not echoes of the request), Discord's 404 for a route it does not serve, and its own answers checked
against the spec like the requests it receives."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.sandbox.server import Sandbox


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    """A sandbox that fails the test on any violation it did not assert and clear (as the e2e fixture does)."""
    server = Sandbox()
    await server.start()
    yield server
    await server.stop()
    assert server.violations == []


@pytest.fixture
async def ids(sandbox: Sandbox) -> dict[str, Any]:
    return await sandbox.create_guild("Lookups", channels=["general"], members=[{"name": "ada", "admin": True}])


async def call(sandbox: Sandbox, method: str, path: str, body: object = None) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.request(
            method, f"{sandbox.url}/api/v10{path}", json=body, headers={"Authorization": "Bot t"}
        ) as response,
    ):
        return response.status, (await response.json() if response.status != 204 else None)


async def test_start_up_routes(sandbox: Sandbox, ids: dict[str, Any]) -> None:
    status, me = await call(sandbox, "GET", "/users/@me")
    assert status == 200 and me["id"] == ids["bot"] and me["bot"] is True
    for path in ("/applications/@me", "/oauth2/applications/@me"):
        status, application = await call(sandbox, "GET", path)
        assert status == 200 and application["id"] == str(sandbox.world.application_id)
        assert application["bot"]["id"] == ids["bot"]
    status, gateway = await call(sandbox, "GET", "/gateway/bot")
    assert status == 200 and gateway["url"].startswith("ws://") and gateway["shards"] == 1
    status, guilds = await call(sandbox, "GET", "/users/@me/guilds")
    assert status == 200 and [g["id"] for g in guilds] == [ids["guild_id"]]
    assert sandbox.violations == []


async def test_guild_lookups(sandbox: Sandbox, ids: dict[str, Any]) -> None:
    guild_id = ids["guild_id"]
    status, guild = await call(sandbox, "GET", f"/guilds/{guild_id}?with_counts=true")
    assert status == 200 and guild["name"] == "Lookups" and guild["approximate_member_count"] == 3
    assert "members" not in guild  # a REST guild, not a GUILD_CREATE
    status, channels = await call(sandbox, "GET", f"/guilds/{guild_id}/channels")
    assert [c["name"] for c in channels] == ["general"]
    status, roles = await call(sandbox, "GET", f"/guilds/{guild_id}/roles")
    assert {r["name"] for r in roles} == {"@everyone", "Admin", "release-bot"}
    status, member = await call(sandbox, "GET", f"/guilds/{guild_id}/members/{ids['members']['ada']}")
    assert status == 200 and member["user"]["username"] == "ada" and member["roles"] == [ids["roles"]["Admin"]]
    assert (await call(sandbox, "GET", f"/guilds/{guild_id}/members/1"))[1]["code"] == 10007
    assert await call(sandbox, "GET", "/guilds/1") == (404, {"message": "Unknown Guild", "code": 10004})
    # Listing members needs the privileged GUILD_MEMBERS intent enabled for the app (docs: HTTP restrictions).
    assert (await call(sandbox, "GET", f"/guilds/{guild_id}/members?limit=10"))[0] == 403
    sandbox.enable_privileged_intents(["GUILD_MEMBERS"])
    status, members = await call(sandbox, "GET", f"/guilds/{guild_id}/members?limit=10")
    assert status == 200 and len(members) == 3
    assert sandbox.violations == []


async def test_a_message_is_built_as_discord_builds_it(sandbox: Sandbox, ids: dict[str, Any]) -> None:
    channel, ada = ids["channels"]["general"], ids["members"]["ada"]
    body = {
        "content": f"<@{ada}> look",
        "embeds": [{"title": "News", "color": 5}],
        "nonce": "n1",
        "allowed_mentions": {"parse": []},
    }
    status, message = await call(sandbox, "POST", f"/channels/{channel}/messages", body)
    assert status == 200
    assert message["embeds"] == [{"title": "News", "color": 5, "type": "rich"}]
    assert (message["mentions"], message["mention_roles"], message["mention_everyone"]) == ([], [], False)
    assert (message["nonce"], message["pinned"], message["tts"], message["type"]) == ("n1", False, False, 0)
    assert message["edited_timestamp"] is None and message["guild_id"] == ids["guild_id"]
    status, pinging = await call(sandbox, "POST", f"/channels/{channel}/messages", {"content": f"hi <@{ada}>"})
    assert [u["id"] for u in pinging["mentions"]] == [ada]  # no allowed_mentions: every mention counts

    path = f"/channels/{channel}/messages/{message['id']}"
    status, fetched = await call(sandbox, "GET", path)
    assert status == 200 and "nonce" not in fetched and fetched["content"] == f"<@{ada}> look"
    status, edited = await call(sandbox, "PATCH", path, {"content": "edited"})
    assert (edited["content"], edited["embeds"][0]["title"]) == ("edited", "News")
    assert edited["edited_timestamp"] is not None
    assert (await call(sandbox, "DELETE", path))[0] == 204
    assert await call(sandbox, "GET", path) == (404, {"message": "Unknown Message", "code": 10008})
    assert sandbox.violations == []


async def test_messages_of_others_cannot_be_edited(sandbox: Sandbox, ids: dict[str, Any]) -> None:
    channel = ids["channels"]["general"]
    theirs = await sandbox.actions.post_message(channel, ids["members"]["ada"], "mine")
    status, body = await call(sandbox, "PATCH", f"/channels/{channel}/messages/{theirs['id']}", {"content": "x"})
    assert (status, body["code"]) == (403, 50005)
    status, body = await call(sandbox, "DELETE", f"/channels/{channel}/messages/{theirs['id']}")
    assert (status, body["code"]) == (403, 50013)  # the bot has no Manage Messages


async def test_a_route_the_sandbox_does_not_serve_is_discords_404_and_listed(
    sandbox: Sandbox, ids: dict[str, Any]
) -> None:
    status, body = await call(sandbox, "GET", f"/guilds/{ids['guild_id']}/emojis")
    assert (status, body) == (404, {"message": "404: Not Found", "code": 0})
    assert sandbox.not_implemented == [
        {"method": "GET", "route": "GET /guilds/{guild_id}/emojis", "path": f"/guilds/{ids['guild_id']}/emojis"}
    ]
    assert sandbox.violations == []  # Discord has the route: the gap is the sandbox's, not the client's mistake
    async with aiohttp.ClientSession() as session, session.get(f"{sandbox.url}/_sandbox/log") as response:
        assert (await response.json())["not_implemented"] == sandbox.not_implemented

    status, body = await call(sandbox, "GET", "/no/such/route")
    assert (status, body) == (404, {"message": "404: Not Found", "code": 0})
    [violation] = sandbox.violations
    assert violation["direction"] == "received" and "not a route of Discord's API v10" in violation["what"]
    sandbox.violations.clear()  # seen and asserted


async def test_a_response_that_strays_from_the_spec_is_a_violation(sandbox: Sandbox, ids: dict[str, Any]) -> None:
    everyone = sandbox.world.guilds[int(ids["guild_id"])].roles[int(ids["guild_id"])]
    everyone.name = None  # type: ignore[assignment]  # a sandbox bug, simulated: a role with no name
    status, _ = await call(sandbox, "GET", f"/guilds/{ids['guild_id']}/roles")
    assert status == 200
    [violation] = sandbox.violations
    assert violation["direction"] == "sent"
    assert violation["what"] == "sandbox response for GET /guilds/{guild_id}/roles does not match the spec"
    sandbox.violations.clear()  # seen and asserted


async def test_the_control_api_sets_privileged_intents(sandbox: Sandbox) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{sandbox.url}/_sandbox/application", json={"privileged_intents": ["MESSAGE_CONTENT"]}
        ) as response:
            assert (await response.json())["privileged_intents"] == ["MESSAGE_CONTENT"]
        async with session.post(
            f"{sandbox.url}/_sandbox/application", json={"privileged_intents": ["GUILDS"]}
        ) as response:
            assert response.status == 400 and "not privileged intents: GUILDS" in (await response.json())["error"]
    assert sandbox.gateway.privileged_intents == 1 << 15


async def test_commands_one_at_a_time(sandbox: Sandbox, ids: dict[str, Any]) -> None:
    base = f"/applications/{sandbox.world.application_id}/guilds/{ids['guild_id']}/commands"
    status, created = await call(sandbox, "POST", base, {"name": "ping", "description": "Pong", "type": 1})
    assert status == 201 and created["guild_id"] == ids["guild_id"] and created["version"]
    status, again = await call(sandbox, "POST", base, {"name": "ping", "description": "Pong!", "type": 1})
    assert (status, again["id"], again["description"]) == (200, created["id"], "Pong!")  # same name: overwritten
    status, edited = await call(sandbox, "PATCH", f"{base}/{created['id']}", {"description": "Pong!!"})
    assert (status, edited["name"], edited["description"]) == (200, "ping", "Pong!!")
    assert (await call(sandbox, "GET", f"{base}/{created['id']}"))[1]["description"] == "Pong!!"
    assert [c["name"] for c in (await call(sandbox, "GET", base))[1]] == ["ping"]
    assert (await call(sandbox, "DELETE", f"{base}/{created['id']}"))[0] == 204
    assert await call(sandbox, "GET", f"{base}/{created['id']}") == (
        404,
        {"message": "Unknown application command", "code": 10063},
    )
    assert sandbox.violations == []


async def test_a_private_channel_between_users_sends_the_bot_nothing(sandbox: Sandbox, ids: dict[str, Any]) -> None:
    sent: list[str] = []

    async def record(event: str, data: Any) -> None:
        sent.append(event)

    sandbox.dispatch_direct = record  # type: ignore[method-assign]
    ada = int(ids["members"]["ada"])
    private = sandbox.world.private_channel(ada)
    message = sandbox.world.message(private.id, {"content": "between two users"})
    await sandbox.events.message_created(message)
    dm = sandbox.world.dm_channel(ada)
    await sandbox.events.message_created(sandbox.world.message(dm.id, {"content": "to the bot's DM"}))
    assert sent == ["MESSAGE_CREATE"]  # only the bot's own DM
    status, body = await call(sandbox, "POST", f"/channels/{private.id}/messages", {"content": "x"})
    assert (status, body["code"]) == (404, 10003)  # the bot cannot post where it is not
