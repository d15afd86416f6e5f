"""The sandbox behaves as Discord does: spec validation, limits, nonce dedupe, rate limits, gateway recovery."""

from __future__ import annotations

import aiohttp
import discord
import pytest

from bot.discord.client import ReleaseBot
from bot.sandbox.server import Sandbox
from tests.e2e.conftest import Server


async def rest(
    sandbox: Sandbox, method: str, path: str, body: object = None, auth: bool = True
) -> tuple[int, dict, object]:
    headers = {"Authorization": "Bot sandbox-token"} if auth else {}
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, f"{sandbox.url}/api/v10{path}", json=body, headers=headers) as response,
    ):
        return response.status, dict(response.headers), await response.json()


async def test_spec_validation_rejects_a_malformed_body_as_discord_does(server: Server) -> None:
    sandbox = server.sandbox
    status, headers, body = await rest(
        sandbox, "POST", f"/channels/{server.channel()}/messages", {"content": 5, "embeds": [{"title": "x" * 300}]}
    )
    assert status == 400
    assert headers["Content-Type"] == "application/json"
    assert body["code"] == 50035 and body["message"] == "Invalid Form Body"
    assert "content" in body["errors"]
    assert body["errors"]["embeds"]["0"]["title"]["_errors"][0]["code"] == "BASE_TYPE_MAX_LENGTH"
    assert [v["what"] for v in sandbox.violations] == ["invalid body for POST /channels/{channel_id}/messages"]
    sandbox.violations.clear()  # seen and asserted: the fixture checks that nothing else went wrong


async def test_content_and_embed_limits_the_spec_lacks(server: Server) -> None:
    sandbox = server.sandbox
    status, _, body = await rest(sandbox, "POST", f"/channels/{server.channel()}/messages", {"content": "x" * 2001})
    assert status == 400 and "content" in body["errors"]
    embeds = [{"title": "t", "description": "d" * 4000}, {"title": "t", "description": "d" * 2500}]
    status, _, body = await rest(sandbox, "POST", f"/channels/{server.channel()}/messages", {"embeds": embeds})
    assert status == 400
    assert body["errors"]["embeds"]["_errors"][0]["code"] == "MAX_EMBED_SIZE_EXCEEDED"
    assert len(sandbox.violations) == 2
    sandbox.violations.clear()


async def test_command_sync_is_rejected_like_discord_would(running_bot: ReleaseBot, sandbox: Sandbox) -> None:
    app_id = running_bot.application_id
    bad = [
        {"name": "Count Down", "description": "ok", "type": 1},
        {"name": "countdown", "description": "x" * 101, "type": 1},
    ]
    with pytest.raises(discord.HTTPException) as raised:
        await running_bot.http.bulk_upsert_global_commands(app_id, bad)
    assert raised.value.status == 400 and raised.value.code == 50035
    assert "In 0.name: Command name is invalid" in raised.value.text
    assert "In 1.description:" in raised.value.text and "Must be between 1 and 100 in length." in raised.value.text
    assert len(sandbox.violations) == 1
    sandbox.violations.clear()


async def test_nonce_dedupe_returns_the_first_message(server: Server) -> None:
    channel = server.bot.get_partial_messageable(int(server.channel()))
    first = await channel.send("hello", nonce="same-nonce-1")
    second = await channel.send("hello again", nonce="same-nonce-1")
    assert second.id == first.id and second.content == "hello"
    assert [m["content"] for m in server.sandbox.messages(server.channel())] == ["hello"]


async def test_rate_limit_headers_and_429_follow_discord(server: Server) -> None:
    path = f"/channels/{server.channel()}/messages"
    seen = [await rest(server.sandbox, "POST", path, {"content": f"m{i}"}) for i in range(6)]
    statuses = [s for s, _, _ in seen]
    assert statuses == [200, 200, 200, 200, 200, 429]  # 5 messages per 5 s per channel
    _, headers, _ = seen[0]
    assert headers["X-RateLimit-Limit"] == "5" and headers["X-RateLimit-Remaining"] == "4"
    assert float(headers["X-RateLimit-Reset-After"]) == pytest.approx(5.0, abs=0.2)
    assert len(headers["X-RateLimit-Bucket"]) == 16
    _, limited, body = seen[5]
    assert limited["X-RateLimit-Scope"] == "user" and limited["Via"]
    assert int(limited["Retry-After"]) >= 1
    assert body["global"] is False and 0 < body["retry_after"] <= 5.0


async def test_unauthorised_and_unknown(server: Server) -> None:
    status, _, _ = await rest(server.sandbox, "GET", "/users/@me", auth=False)
    assert status == 401
    status, _, body = await rest(server.sandbox, "POST", "/channels/123/messages", {"content": "x"})
    assert (status, body["code"]) == (404, 10003)


async def test_missing_permission_is_403_50013(server: Server) -> None:
    await server.sandbox.set_channel_permissions(
        int(server.channel()), server.sandbox.world.bot_id, [], ["send_messages"]
    )
    status, _, body = await rest(server.sandbox, "POST", f"/channels/{server.channel()}/messages", {"content": "x"})
    assert (status, body["code"], body["message"]) == (403, 50013, "Missing Permissions")


async def test_dropped_gateway_resumes_and_invalid_session_reidentifies(server: Server) -> None:
    sandbox = server.sandbox
    assert await sandbox.drop_gateway() == 1
    assert (await server.slash("/countdown"))["type"] == 4  # delivered after the RESUME
    assert sandbox.gateway.resumes == 1
    identifies = sandbox.gateway.identifies
    waiter = server.bot.loop.create_task(server.bot.wait_for("ready", timeout=10))
    assert await sandbox.invalidate_session() == 1
    await waiter
    assert sandbox.gateway.identifies == identifies + 1
    assert (await server.slash("/about"))["type"] == 4


async def test_an_unanswered_interaction_times_out_like_discord(server: Server) -> None:
    await server.bot.close()  # nobody answers
    with pytest.raises(TimeoutError, match="did not respond"):
        await server.slash("/countdown")


async def test_global_rate_limit_is_50_per_second(server: Server) -> None:
    statuses = []
    for _ in range(55):
        status, headers, body = await rest(server.sandbox, "GET", "/users/@me")
        statuses.append(status)
        if status == 429:
            break
    assert statuses.count(200) >= 50 - 5  # the bot itself may have used a few of this second's requests
    assert statuses[-1] == 429
    assert body["global"] is True and headers["X-RateLimit-Global"] == "true"
    assert headers["X-RateLimit-Scope"] == "global"


async def test_direct_messages(server: Server) -> None:
    user_id = int(server.member("ada"))
    channel = await server.bot.http.start_private_message(user_id)
    assert channel["type"] == 1 and channel["recipients"][0]["id"] == str(user_id)
    dm = server.bot.get_partial_messageable(int(channel["id"]))
    message = await dm.send("hello in private")
    assert [m["content"] for m in server.sandbox.messages(channel["id"])] == [message.content]


async def test_a_space_after_the_colon_as_discords_input_box_allows(server: Server) -> None:
    response = await server.slash("/premiere timezone: Europe/Paris")
    assert "Thursday 2 November 2023, 08:00 CET" in str(response["data"])


async def test_channel_history_through_discord_py(server: Server) -> None:
    sandbox, channel_id = server.sandbox, int(server.channel())
    ada = sandbox.world.users[int(server.member("ada"))]
    chat = [sandbox.world.message(channel_id, {"content": f"chat {i}"}, author=ada)["id"] for i in range(120)]
    reply = await server.slash("/countdown")  # a public reply: a message in the channel
    refused = await server.slash("/premiere timezone:Mars/Olympus")  # only ada sees it: in no channel's history
    assert reply["data"].get("flags", 0) & 64 == 0 and refused["data"]["flags"] & 64
    channel = server.bot.get_channel(channel_id)
    sent = await channel.send("hello", nonce="history-1")
    assert sent.nonce == "history-1"  # echoed when created...

    latest = [m async for m in channel.history(limit=3)]
    assert [m.id for m in latest[::2]] == [sent.id, int(chat[-1])]
    assert latest[0].nonce is None  # ...but not part of a fetched message
    assert latest[1].type == discord.MessageType.chat_input_command
    assert latest[1].embeds[0].to_dict() == reply["data"]["embeds"][0]
    assert (latest[2].content, latest[2].author.id) == ("chat 119", int(ada["id"]))

    everything = [m async for m in channel.history(limit=None)]  # pages of 100, newest first
    assert [m.id for m in everything] == [sent.id, latest[1].id, *(int(i) for i in reversed(chat))]
    assert [m.content for m in await _history(channel, limit=3, oldest_first=True)] == ["chat 0", "chat 1", "chat 2"]
    after = await _history(channel, limit=3, after=discord.Object(int(chat[9])))
    assert [m.content for m in after] == ["chat 10", "chat 11", "chat 12"]
    around = await _history(channel, limit=5, around=discord.Object(int(chat[50])))
    assert [m.content for m in around] == ["chat 52", "chat 51", "chat 50", "chat 49", "chat 48"]


async def _history(channel: discord.TextChannel, **kw: object) -> list[discord.Message]:
    return [m async for m in channel.history(**kw)]  # type: ignore[arg-type]


async def test_channel_history_needs_view_channel_and_read_message_history(server: Server) -> None:
    sandbox, channel_id = server.sandbox, int(server.channel())
    channel = server.bot.get_channel(channel_id)
    await channel.send("before the lock")
    await sandbox.set_channel_permissions(channel_id, sandbox.world.bot_id, [], ["read_message_history"])
    assert await _history(channel, limit=10) == []  # as on Discord: no error, no messages
    await sandbox.set_channel_permissions(channel_id, sandbox.world.bot_id, [], ["view_channel"])
    with pytest.raises(discord.Forbidden) as raised:
        await _history(channel, limit=10)
    assert (raised.value.status, raised.value.code) == (403, 50001)
    status, _, body = await rest(sandbox, "GET", "/channels/123/messages")
    assert (status, body["code"], body["message"]) == (404, 10003, "Unknown Channel")


async def test_channel_history_query_is_validated_and_rate_limited_per_channel(server: Server) -> None:
    sandbox = server.sandbox
    ada = sandbox.world.users[int(server.member("ada"))]
    for i in range(60):
        sandbox.world.message(int(server.channel()), {"content": f"chat {i}"}, author=ada)
    path = f"/channels/{server.channel()}/messages"
    status, first, body = await rest(sandbox, "GET", path)
    assert status == 200 and [m["content"] for m in body] == [f"chat {i}" for i in range(59, 9, -1)]  # 50
    assert all("nonce" not in m for m in body)
    _, second, _ = await rest(sandbox, "GET", path + "?limit=1")
    _, other, _ = await rest(sandbox, "GET", f"/channels/{server.channel('announcements')}/messages?limit=1")
    assert int(second["X-RateLimit-Remaining"]) == int(first["X-RateLimit-Remaining"]) - 1
    assert other["X-RateLimit-Remaining"] == first["X-RateLimit-Remaining"]  # a bucket per channel
    status, _, body = await rest(sandbox, "GET", path + "?limit=0")
    assert (status, body["code"]) == (400, 50035)
    assert body["errors"]["limit"]["_errors"][0]["code"] == "NUMBER_TYPE_MIN"
    assert [v["what"] for v in sandbox.violations] == ["invalid query for GET /channels/{channel_id}/messages"]
    sandbox.violations.clear()  # seen and asserted: the fixture checks that nothing else went wrong


async def test_an_edited_response_is_fetched_as_edited(server: Server) -> None:
    await server.slash("/about")
    [pending] = server.sandbox.pending.values()
    path = f"/webhooks/{server.sandbox.world.application_id}/{pending.payload['token']}/messages/@original"
    status, _, _ = await rest(server.sandbox, "PATCH", path, {"content": "edited"}, auth=False)
    assert status == 200
    [fetched] = await _history(server.bot.get_channel(int(server.channel())), limit=1)
    assert fetched.id == int(pending.message["id"]) and fetched.content == "edited"


async def test_lookups_and_message_edits_through_discord_py(server: Server) -> None:
    bot, guild_id, channel_id = server.bot, int(server.guild_id), int(server.channel())
    guild = await bot.fetch_guild(guild_id, with_counts=True)
    assert (guild.name, guild.approximate_member_count) == ("Lamplight Readers", 4)
    assert {c.name for c in await guild.fetch_channels()} == {"general", "announcements"}
    assert {r.name for r in await guild.fetch_roles()} == {"@everyone", "Admin", "release-bot"}
    grace = await guild.fetch_member(int(server.member("grace")))
    assert grace.name == "grace" and [r.name for r in grace.roles if r.name != "@everyone"] == ["Admin"]
    assert (await bot.application_info()).id == bot.application_id

    channel = bot.get_channel(channel_id)
    sent = await channel.send("draft")
    assert (await channel.fetch_message(sent.id)).content == "draft"
    edited = await sent.edit(content="final")
    assert edited.content == "final" and edited.edited_at is not None
    await edited.delete()
    with pytest.raises(discord.NotFound) as raised:
        await channel.fetch_message(sent.id)
    assert raised.value.code == 10008
    assert server.sandbox.not_implemented == []


async def test_a_member_joining_and_leaving_reaches_only_a_client_that_asked(server: Server) -> None:
    # The bot does not ask for GUILD_MEMBERS: it is told of a new role (GUILDS) but not of a new member.
    sandbox, bot = server.sandbox, server.bot
    [session] = sandbox.gateway.sessions.values()
    assert session.intents == bot.intents.value and bot.intents.guilds and not bot.intents.members
    role_created = bot.loop.create_task(bot.wait_for("guild_role_create", timeout=5))
    await sandbox.actions.add_member(server.guild_id, "hopper")
    await sandbox.actions.add_role(server.guild_id, "fans")
    assert (await role_created).name == "fans"
    assert not any(p["t"] == "GUILD_MEMBER_ADD" for p in session.history)


async def test_an_interactions_messages_through_its_webhook(server: Server) -> None:
    await server.slash("/about")
    [pending] = server.sandbox.pending.values()
    hook = f"/webhooks/{server.sandbox.world.application_id}/{pending.payload['token']}"
    status, _, original = await rest(server.sandbox, "GET", hook + "/messages/@original", auth=False)
    assert status == 200 and original["id"] == pending.message["id"] and original["type"] == 20
    status, _, followup = await rest(server.sandbox, "POST", hook, {"content": "and one more thing"}, auth=False)
    assert status == 200 and followup["interaction_metadata"]["id"] == pending.payload["id"]
    status, _, edited = await rest(
        server.sandbox, "PATCH", f"{hook}/messages/{followup['id']}", {"content": "two"}, auth=False
    )
    assert (status, edited["content"]) == (200, "two") and edited["edited_timestamp"] is not None
    for message_id in (followup["id"], "@original"):
        async with (
            aiohttp.ClientSession() as session,
            session.delete(f"{server.sandbox.url}/api/v10{hook}/messages/{message_id}") as response,
        ):
            assert response.status == 204
    assert server.sandbox.messages(server.channel()) == []
    status, _, body = await rest(server.sandbox, "GET", hook + "/messages/@original", auth=False)
    assert (status, body["code"]) == (404, 10008)


async def test_message_edits_are_rate_limited_per_channel_and_only_the_author_edits(server: Server) -> None:
    sandbox = server.sandbox
    channel = server.bot.get_channel(int(server.channel()))
    sent = await channel.send("T-3 days")
    path = f"/channels/{server.channel()}/messages/{sent.id}"
    seen = [await rest(sandbox, "PATCH", path, {"content": f"T-{i} hours"}) for i in range(6)]
    assert [s for s, _, _ in seen] == [200] * 5 + [429]
    assert seen[0][1]["X-RateLimit-Limit"] == "5" and seen[5][2]["global"] is False
    other = await server.bot.get_channel(int(server.channel("announcements"))).send("elsewhere")
    status, _, _ = await rest(
        sandbox,
        "PATCH",
        f"/channels/{server.channel('announcements')}/messages/{other.id}",
        {"content": "a bucket per channel"},
    )
    assert status == 200
    ada = await sandbox.actions.post_message(server.channel(), server.member("ada"), "mine")
    sandbox.limiter.enabled = False  # this channel's bucket is used up: see the author check on its own
    status, _, body = await rest(
        sandbox, "PATCH", f"/channels/{server.channel()}/messages/{ada['id']}", {"content": "not yours"}
    )
    assert (status, body["code"], body["message"]) == (403, 50005, "Cannot edit a message authored by another user")
    status, _, body = await rest(sandbox, "PATCH", path, {"content": "x" * 2001})  # the limits apply to edits
    assert (status, list(body["errors"])) == (400, ["content"])
    assert [v["what"] for v in sandbox.violations] == [
        "invalid body for PATCH /channels/{channel_id}/messages/{message_id}"
    ]
    sandbox.violations.clear()  # seen and asserted
    assert [m["content"] for m in sandbox.messages(server.channel())] == ["T-4 hours", "mine"]
