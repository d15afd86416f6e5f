"""A second, independent client: hikari, unmodified, with its default options, logs in to the sandbox, receives its
guilds, answers a slash command, posts a message and survives a resume. The sandbox is built to Discord's docs, not
to what discord.py happens to tolerate; the `sandbox` fixture fails the test on any violation in either direction."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import hikari
import pytest

from bot.sandbox.server import Sandbox


@pytest.fixture
async def hikari_bot(sandbox: Sandbox) -> AsyncIterator[tuple[hikari.GatewayBot, dict]]:
    """A server with ada in it, then hikari started on the sandbox: the gateway URL comes from GET /gateway/bot."""
    ids = await sandbox.create_guild("Hikari Readers", channels=["general", "news"], members=[{"name": "ada"}])
    bot = hikari.GatewayBot(sandbox.world.token, rest_url=f"{sandbox.url}/api/v10")
    bot.subscribe(hikari.InteractionCreateEvent, _answer)
    # The only non-default: no update check against PyPI, so nothing in the suite leaves this machine.
    await asyncio.wait_for(bot.start(check_for_updates=False), 30)
    yield bot, ids
    await bot.close()


async def _answer(event: hikari.InteractionCreateEvent) -> None:
    interaction = event.interaction
    if isinstance(interaction, hikari.CommandInteraction) and interaction.command_name == "ping":
        await interaction.create_initial_response(
            hikari.ResponseType.MESSAGE_CREATE, f"pong, {interaction.user.username}, in #{interaction.channel.name}"
        )


async def test_hikari_logs_in_and_receives_its_guilds(sandbox: Sandbox, hikari_bot) -> None:
    bot, ids = hikari_bot
    me = bot.get_me()
    assert me is not None and str(me.id) == ids["bot"] and me.is_bot
    guild = bot.cache.get_guild(int(ids["guild_id"]))
    assert guild is not None and guild.name == "Hikari Readers"
    assert sorted(c.name for c in bot.cache.get_guild_channels_view_for_guild(guild.id).values()) == ["general", "news"]
    # hikari's default transport compression: zstd-stream when a zstd module is installed, else zlib-stream.
    assert [s.transport.compress for s in sandbox.gateway.sessions.values()] in (["zlib-stream"], ["zstd-stream"])

    joined: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    async def on_join(event: hikari.GuildJoinEvent) -> None:
        if not joined.done():
            joined.set_result(event.guild.name)

    bot.subscribe(hikari.GuildJoinEvent, on_join)
    await sandbox.create_guild("Second Server")
    assert await asyncio.wait_for(joined, 5) == "Second Server"


async def test_hikari_answers_a_slash_command_and_posts(sandbox: Sandbox, hikari_bot) -> None:
    bot, ids = hikari_bot
    application = await bot.rest.fetch_application()
    assert str(application.id) == str(sandbox.world.application_id)
    [command] = await bot.rest.set_application_commands(
        application.id, [bot.rest.slash_command_builder("ping", "Answers pong")], guild=int(ids["guild_id"])
    )
    assert command.name == "ping"

    answer = await sandbox.interact(ids["guild_id"], ids["channels"]["general"], ids["members"]["ada"], "/ping")
    assert answer["type"] == 4 and answer["data"]["content"] == "pong, ada, in #general"

    posted = await bot.rest.create_message(int(ids["channels"]["general"]), "Hello from hikari")
    assert posted.content == "Hello from hikari" and str(posted.author.id) == ids["bot"]
    assert [(m["type"], m["content"]) for m in sandbox.messages(ids["channels"]["general"])] == [
        (20, "pong, ada, in #general"),
        (0, "Hello from hikari"),
    ]
    fetched = await bot.rest.fetch_message(int(ids["channels"]["general"]), posted.id)
    assert fetched.content == "Hello from hikari" and fetched.edited_timestamp is None
    assert sandbox.not_implemented == []


async def test_hikari_survives_a_resume(sandbox: Sandbox, hikari_bot) -> None:
    bot, ids = hikari_bot
    application = await bot.rest.fetch_application()
    await bot.rest.set_application_commands(
        application.id, [bot.rest.slash_command_builder("ping", "Pong")], guild=int(ids["guild_id"])
    )
    identifies = sandbox.gateway.identifies
    assert await sandbox.drop_gateway() == 1
    answer = await sandbox.interact(ids["guild_id"], ids["channels"]["news"], ids["members"]["ada"], "/ping")
    assert answer["data"]["content"] == "pong, ada, in #news"  # delivered on the resumed session
    assert (sandbox.gateway.resumes, sandbox.gateway.identifies) == (1, identifies)


async def test_hikari_sees_members_messages_without_their_content(sandbox: Sandbox, hikari_bot) -> None:
    # hikari's default intents are every unprivileged one: messages arrive, their content only with MESSAGE_CONTENT.
    bot, ids = hikari_bot
    seen: asyncio.Queue[hikari.GuildMessageCreateEvent] = asyncio.Queue()

    async def on_message(event: hikari.GuildMessageCreateEvent) -> None:
        seen.put_nowait(event)

    bot.subscribe(hikari.GuildMessageCreateEvent, on_message)
    await sandbox.actions.post_message(ids["channels"]["general"], ids["members"]["ada"], "is anyone here?")
    event = await asyncio.wait_for(seen.get(), 5)
    assert (event.author.username, event.content, str(event.channel_id)) == ("ada", None, ids["channels"]["general"])
    assert event.member is not None and event.member.username == "ada"
