"""The sandbox's gateway as Discord documents it, driven by a raw WebSocket client (no library to forgive anything):
transport and payload compression, binary frames, encoding and version, intents, privileged-intent refusal, the
events the world's changes dispatch, and what the sandbox sends validated like what it receives."""

from __future__ import annotations

import asyncio
import json
import zlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from bot.sandbox import intents as bits
from bot.sandbox.gateway_transport import zstd_module
from bot.sandbox.server import Sandbox

SUFFIX = b"\x00\x00\xff\xff"
UNPRIVILEGED = bits.VALID & ~sum(bits.PRIVILEGED.values())


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    """A sandbox that fails the test on any violation it did not assert and clear (as the e2e fixture does)."""
    server = Sandbox()
    await server.start()
    yield server
    await server.stop()
    assert server.violations == []


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


class Connection:
    """One gateway connection, decoding what arrives as a client must for the options it chose."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, transport: str | None) -> None:
        self.ws = ws
        self.transport = transport
        self.inflator = zlib.decompressobj()
        self.frames: list[bytes | str] = []

    async def receive(self) -> dict[str, Any]:
        message = await asyncio.wait_for(self.ws.receive(), 5)
        if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
            raise ConnectionClosed(self.ws.close_code)
        self.frames.append(message.data)
        if message.type == aiohttp.WSMsgType.TEXT:
            assert self.transport is None, "transport compression sends binary frames only"
            return json.loads(message.data)
        if self.transport == "zlib-stream":
            assert message.data.endswith(SUFFIX)
            return json.loads(self.inflator.decompress(message.data))
        return json.loads(zlib.decompress(message.data))  # payload compression: one zlib stream per payload

    async def dispatch(self, event: str) -> dict[str, Any]:
        """The next dispatch of `event`, skipping others."""
        while True:
            payload = await self.receive()
            if payload["op"] == 0 and payload["t"] == event:
                return payload["d"]

    async def dispatches(self, until: str) -> list[str]:
        """Event names received up to and including `until`."""
        names = []
        while not names or names[-1] != until:
            payload = await self.receive()
            if payload["op"] == 0:
                names.append(payload["t"])
        return names

    async def identify(self, intents: int = UNPRIVILEGED, *, binary: bool = False, **extra: Any) -> dict[str, Any]:
        hello = await self.receive()
        assert hello["op"] == 10 and hello["d"]["heartbeat_interval"] > 0
        identify = {
            "op": 2,
            "d": {
                "token": "sandbox-token",
                "intents": intents,
                "properties": {"os": "linux", "browser": "test", "device": "test"},
                **extra,
            },
        }
        if binary:
            await self.ws.send_bytes(json.dumps(identify).encode())
        else:
            await self.ws.send_str(json.dumps(identify))
        return await self.dispatch("READY")


class ConnectionClosed(Exception):
    def __init__(self, code: int | None) -> None:
        super().__init__(code)
        self.code = code


async def connect(
    http: aiohttp.ClientSession, sandbox: Sandbox, query: str = "v=10&encoding=json", transport: str | None = None
) -> Connection:
    ws = await http.ws_connect(f"{sandbox.gateway.url}?{query}")
    return Connection(ws, transport)


async def closed_with(connection: Connection) -> int | None:
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await connection.receive()
    return closed.value.code


async def test_zlib_stream_is_one_stream_of_binary_frames_each_flushed(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    await sandbox.create_guild("Compressed", channels=["general"])
    gateway = await connect(http, sandbox, "v=10&encoding=json&compress=zlib-stream", transport="zlib-stream")
    ready = await gateway.identify(compress=True)  # payload compression is ignored under transport compression
    assert ready["v"] == 10
    assert (await gateway.dispatch("GUILD_CREATE"))["name"] == "Compressed"
    assert all(isinstance(f, bytes) and f.endswith(SUFFIX) for f in gateway.frames)
    # One zlib context for the connection: a later frame cannot be inflated on its own.
    with pytest.raises(zlib.error):
        zlib.decompressobj().decompress(gateway.frames[-1])
    await gateway.ws.send_str(json.dumps({"op": 1, "d": None}))
    assert (await gateway.receive())["op"] == 11


async def test_zstd_stream_when_azstd_module_is_installed(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    zstd = zstd_module()  # compression.zstd (3.14), backports.zstd (hikari[zstd]) or zstandard (discord.py's)
    if zstd is None:
        pytest.skip("no zstd module installed: clients then do not ask for zstd-stream")
    # One decompression context for the connection; each message a complete block.
    inflator = zstd.ZstdDecompressor().decompressobj() if zstd.__name__ == "zstandard" else zstd.ZstdDecompressor()
    ws = await http.ws_connect(f"{sandbox.gateway.url}?v=10&encoding=json&compress=zstd-stream")
    hello = await ws.receive()
    assert hello.type == aiohttp.WSMsgType.BINARY and json.loads(inflator.decompress(hello.data))["op"] == 10
    await ws.send_str(json.dumps({"op": 1, "d": None}))
    assert json.loads(inflator.decompress((await ws.receive()).data))["op"] == 11
    await ws.close()


async def test_identify_compress_sends_dispatches_as_zlib_payloads(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    gateway = await connect(http, sandbox)
    await gateway.identify(compress=True)
    hello, ready = gateway.frames[0], gateway.frames[-1]
    assert isinstance(hello, str)  # before IDENTIFY: plain JSON text
    assert isinstance(ready, bytes) and json.loads(zlib.decompress(ready))["t"] == "READY"


async def test_without_compression_payloads_are_text(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    gateway = await connect(http, sandbox)
    await gateway.identify()
    assert all(isinstance(f, str) for f in gateway.frames)


async def test_json_is_accepted_in_binary_frames(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    gateway = await connect(http, sandbox)
    ready = await gateway.identify(binary=True)
    assert ready["session_id"]
    await gateway.ws.send_bytes(json.dumps({"op": 1, "d": 1}).encode())
    assert (await gateway.receive())["op"] == 11


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("v=10&encoding=etf", 4002),  # ETF is not implemented: a decode error
        ("v=10&encoding=xml", 4002),
        ("v=9&encoding=json", 4012),  # invalid API version
    ],
)
async def test_only_v10_json_is_spoken(sandbox: Sandbox, http: aiohttp.ClientSession, query: str, code: int) -> None:
    gateway = await connect(http, sandbox, query)
    assert await closed_with(gateway) == code


async def test_malformed_and_oversized_payloads_are_decode_errors(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    gateway = await connect(http, sandbox)
    await gateway.receive()
    await gateway.ws.send_str("{not json")
    assert await closed_with(gateway) == 4002
    gateway = await connect(http, sandbox)
    await gateway.receive()
    await gateway.ws.send_str(json.dumps({"op": 1, "d": "x" * 5000}))
    assert await closed_with(gateway) == 4002


async def test_opcodes_out_of_order_are_refused(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    gateway = await connect(http, sandbox)
    await gateway.receive()
    await gateway.ws.send_str(json.dumps({"op": 3, "d": {"status": "online"}}))  # presence before IDENTIFY
    assert await closed_with(gateway) == 4003
    gateway = await connect(http, sandbox)
    await gateway.identify()
    await gateway.ws.send_str(json.dumps({"op": 2, "d": {"token": "t", "intents": 1, "properties": {}}}))
    assert await closed_with(gateway) == 4005
    gateway = await connect(http, sandbox)
    await gateway.receive()
    await gateway.ws.send_str(json.dumps({"op": 42, "d": None}))
    assert await closed_with(gateway) == 4001


@pytest.mark.parametrize("intent", sorted(bits.PRIVILEGED))
async def test_privileged_intents_are_refused_unless_enabled(
    sandbox: Sandbox, http: aiohttp.ClientSession, intent: str
) -> None:
    gateway = await connect(http, sandbox)
    with pytest.raises(ConnectionClosed) as closed:
        await gateway.identify(bits.GUILDS | bits.PRIVILEGED[intent])
    assert closed.value.code == 4014
    assert sandbox.gateway.closes[-1] == (4014, "Disallowed intent(s).")
    sandbox.enable_privileged_intents([intent])
    gateway = await connect(http, sandbox)
    assert (await gateway.identify(bits.GUILDS | bits.PRIVILEGED[intent]))["session_id"]


async def test_unknown_or_missing_intents_are_invalid(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    gateway = await connect(http, sandbox)
    with pytest.raises(ConnectionClosed) as closed:
        await gateway.identify(1 << 30)
    assert closed.value.code == 4013
    gateway = await connect(http, sandbox)
    await gateway.receive()
    await gateway.ws.send_str(json.dumps({"op": 2, "d": {"token": "t", "properties": {}}}))
    assert await closed_with(gateway) == 4013


async def test_events_a_session_did_not_ask_for_are_not_sent(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    ids = await sandbox.create_guild("Quiet", channels=["general"], members=[{"name": "ada"}])
    guilds_only = await connect(http, sandbox)
    await guilds_only.identify(bits.GUILDS, shard=[0, 1])
    everything = await connect(http, sandbox)
    await everything.identify(UNPRIVILEGED, shard=[0, 2])  # the first guild is on shard 0 of any count

    guild, channel, ada = ids["guild_id"], ids["channels"]["general"], ids["members"]["ada"]
    await sandbox.actions.post_message(channel, ada, "hello")  # GUILD_MESSAGES
    await sandbox.actions.add_member(guild, "grace")  # GUILD_MEMBERS (privileged)
    await sandbox.actions.add_role(guild, "fans")  # GUILDS
    assert await everything.dispatches(until="GUILD_ROLE_CREATE") == [
        "GUILD_CREATE",
        "MESSAGE_CREATE",
        "GUILD_ROLE_CREATE",
    ]
    assert await guilds_only.dispatches(until="GUILD_ROLE_CREATE") == ["GUILD_CREATE", "GUILD_ROLE_CREATE"]
    assert sandbox.violations == []


async def test_message_content_needs_its_intent(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    ids = await sandbox.create_guild("Readers", channels=["general"], members=[{"name": "ada"}])
    channel, ada = ids["channels"]["general"], ids["members"]["ada"]
    gateway = await connect(http, sandbox)
    await gateway.identify(bits.GUILDS | bits.GUILD_MESSAGES)
    await sandbox.actions.post_message(channel, ada, "a secret")
    seen = await gateway.dispatch("MESSAGE_CREATE")
    assert (seen["content"], seen["embeds"], seen["author"]["username"]) == ("", [], "ada")
    assert seen["member"]["roles"] == [] and "user" not in seen["member"]  # the partial member of the author
    await sandbox.actions.post_message(channel, ada, f"hey <@{ids['bot']}>")  # the docs' exception: a mention
    assert (await gateway.dispatch("MESSAGE_CREATE"))["content"] == f"hey <@{ids['bot']}>"

    sandbox.enable_privileged_intents(["MESSAGE_CONTENT"])
    gateway = await connect(http, sandbox)
    await gateway.identify(bits.GUILDS | bits.GUILD_MESSAGES | bits.MESSAGE_CONTENT)
    await sandbox.actions.post_message(channel, ada, "a secret")
    assert (await gateway.dispatch("MESSAGE_CREATE"))["content"] == "a secret"
    assert sandbox.violations == []


async def test_guild_create_lists_members_only_with_presences(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    ids = await sandbox.create_guild("Crowd", members=[{"name": "ada"}, {"name": "grace"}])
    gateway = await connect(http, sandbox)
    await gateway.identify(bits.GUILDS)
    guild = await gateway.dispatch("GUILD_CREATE")
    assert [m["user"]["id"] for m in guild["members"]] == [ids["bot"]]
    assert guild["member_count"] == 4  # the owner, the bot, ada and grace

    sandbox.enable_privileged_intents(["GUILD_PRESENCES"])
    gateway = await connect(http, sandbox)
    await gateway.identify(bits.GUILDS | bits.GUILD_PRESENCES)
    assert len((await gateway.dispatch("GUILD_CREATE"))["members"]) == 4


async def test_the_world_dispatches_what_discord_documents(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    ids = await sandbox.create_guild("Busy", channels=["general"], members=[{"name": "ada"}])
    guild, channel, ada = ids["guild_id"], ids["channels"]["general"], ids["members"]["ada"]
    sandbox.enable_privileged_intents(["GUILD_MEMBERS", "MESSAGE_CONTENT"])
    gateway = await connect(http, sandbox)
    await gateway.identify(UNPRIVILEGED | bits.GUILD_MEMBERS | bits.MESSAGE_CONTENT)
    await gateway.dispatch("GUILD_CREATE")
    acts = sandbox.actions

    message = await acts.post_message(channel, ada, "first")
    created = await gateway.dispatch("MESSAGE_CREATE")
    assert (created["id"], created["guild_id"], created["content"]) == (message["id"], guild, "first")
    await acts.edit_message(message["id"], "second")
    updated = await gateway.dispatch("MESSAGE_UPDATE")
    assert updated["content"] == "second" and updated["edited_timestamp"] is not None
    await acts.delete_message(message["id"])
    assert await gateway.dispatch("MESSAGE_DELETE") == {"id": message["id"], "channel_id": channel, "guild_id": guild}

    await acts.update_guild(guild, "Busier")
    assert (await gateway.dispatch("GUILD_UPDATE"))["name"] == "Busier"
    role = await acts.add_role(guild, "fans")
    created_role = (await gateway.dispatch("GUILD_ROLE_CREATE"))["role"]
    assert (created_role["name"], created_role["position"]) == ("fans", 1)  # just above @everyone, as on Discord
    pushed_up = [(await gateway.dispatch("GUILD_ROLE_UPDATE"))["role"] for _ in range(2)]
    assert sorted((r["name"], r["position"]) for r in pushed_up) == [("Admin", 3), ("release-bot", 2)]
    await acts.update_role(guild, role, "superfans")
    assert (await gateway.dispatch("GUILD_ROLE_UPDATE"))["role"]["name"] == "superfans"
    await acts.delete_role(guild, role)
    assert await gateway.dispatch("GUILD_ROLE_DELETE") == {"guild_id": guild, "role_id": role}

    grace = await acts.add_member(guild, "grace")
    added = await gateway.dispatch("GUILD_MEMBER_ADD")
    assert (added["guild_id"], added["user"]["id"], added["roles"]) == (guild, grace, [])
    await acts.set_member(guild, grace, admin=True)
    assert (await gateway.dispatch("GUILD_MEMBER_UPDATE"))["roles"] == [ids["roles"]["Admin"]]
    await acts.remove_member(guild, grace)
    removed = await gateway.dispatch("GUILD_MEMBER_REMOVE")
    assert (removed["guild_id"], removed["user"]["username"]) == (guild, "grace")

    news = await acts.create_channel(guild, "news")
    assert (await gateway.dispatch("CHANNEL_CREATE"))["name"] == "news"
    await acts.set_channel_permissions(news, int(guild), [], ["send_messages"])
    overwrites = (await gateway.dispatch("CHANNEL_UPDATE"))["permission_overwrites"]
    assert overwrites == [{"id": guild, "type": 0, "allow": "0", "deny": str(1 << 11)}]
    await acts.delete_channel(news)
    assert (await gateway.dispatch("CHANNEL_DELETE"))["id"] == news

    await acts.remove_guild(guild)
    assert await gateway.dispatch("GUILD_DELETE") == {"id": guild}
    assert sandbox.violations == []  # every payload above matched the spec's schemas and the docs


async def test_a_payload_that_strays_from_the_docs_is_a_violation(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    ids = await sandbox.create_guild("Strict")
    gateway = await connect(http, sandbox)
    await gateway.identify(bits.GUILDS)
    role = sandbox.world.guilds[int(ids["guild_id"])].roles[int(ids["guild_id"])].to_dict()
    del role["managed"]
    await sandbox.gateway.dispatch_guild(int(ids["guild_id"]), "GUILD_ROLE_UPDATE", {"role": role})
    [violation] = sandbox.violations
    assert violation["direction"] == "sent" and violation["event"] == "GUILD_ROLE_UPDATE"
    problems = {(".".join(path), message) for path, _, message in violation["problems"]}
    assert ("guild_id", "GUILD_ROLE_UPDATE: 'guild_id' is always present (docs)") in problems
    assert ("role", "GUILD_ROLE_UPDATE: 'managed' is a required property") in problems
    sandbox.violations.clear()  # seen and asserted


async def test_resume_replays_missed_events_on_a_new_compressed_stream(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    ids = await sandbox.create_guild("Flaky")
    query = "v=10&encoding=json&compress=zlib-stream"
    gateway = await connect(http, sandbox, query, transport="zlib-stream")
    ready = await gateway.identify(bits.GUILDS)
    last = (await gateway.receive())["s"]  # GUILD_CREATE
    assert await sandbox.drop_gateway() == 1
    await sandbox.actions.add_role(ids["guild_id"], "missed")
    resumed = await connect(http, sandbox, query, transport="zlib-stream")  # a fresh zlib context
    assert (await resumed.receive())["op"] == 10
    await resumed.ws.send_str(
        json.dumps({"op": 6, "d": {"token": "t", "session_id": ready["session_id"], "seq": last}})
    )
    replayed = await resumed.receive()
    assert (replayed["t"], replayed["s"], replayed["d"]["role"]["name"]) == ("GUILD_ROLE_CREATE", last + 1, "missed")
    assert [(await resumed.receive())["t"] for _ in range(2)] == ["GUILD_ROLE_UPDATE"] * 2  # the roles pushed up
    assert (await resumed.receive())["t"] == "RESUMED"


async def test_scheduled_events_are_dispatched_with_their_intent(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    ids = await sandbox.create_guild("Eventful")
    gateway = await connect(http, sandbox)
    await gateway.identify(bits.GUILDS | bits.GUILD_SCHEDULED_EVENTS)
    assert (await gateway.dispatch("GUILD_CREATE"))["guild_scheduled_events"] == []
    start = datetime.now(UTC) + timedelta(days=1)
    body = {
        "name": "Premiere",
        "privacy_level": 2,
        "entity_type": 3,
        "entity_metadata": {"location": "Cinema"},
        "scheduled_start_time": start.isoformat(),
        "scheduled_end_time": (start + timedelta(hours=2)).isoformat(),
    }
    base = f"{sandbox.url}/api/v10/guilds/{ids['guild_id']}/scheduled-events"
    headers = {"Authorization": "Bot sandbox-token"}
    async with http.post(base, json=body, headers=headers) as response:
        created = await response.json()
    assert (await gateway.dispatch("GUILD_SCHEDULED_EVENT_CREATE")) == created
    async with http.patch(f"{base}/{created['id']}", json={"name": "Premiere!"}, headers=headers) as response:
        assert response.status == 200
    assert (await gateway.dispatch("GUILD_SCHEDULED_EVENT_UPDATE"))["name"] == "Premiere!"
    again = await connect(http, sandbox)  # a new session's GUILD_CREATE lists the server's events
    await again.identify(bits.GUILDS)
    assert [e["name"] for e in (await again.dispatch("GUILD_CREATE"))["guild_scheduled_events"]] == ["Premiere!"]
    async with http.delete(f"{base}/{created['id']}", headers=headers) as response:
        assert response.status == 204
    assert sandbox.violations == []
