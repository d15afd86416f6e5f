"""DMs, roles and where an interaction comes from, in the sandbox, through the real discord.py client: DM channels
and Discord's 50007 when a member's DMs are closed, a member's roles added and removed under Manage Roles and the
role hierarchy, and interactions in a bot DM or a private channel (user installs) with their `context`."""

from __future__ import annotations

import aiohttp
import discord
import pytest
from discord import app_commands

from bot.sandbox.interactions import InteractionError
from tests.e2e.conftest import Server


async def _control(server: Server, method: str, path: str, body: object = None) -> tuple[int, object]:
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, f"{server.sandbox.url}/_sandbox{path}", json=body) as response,
    ):
        return response.status, await response.json()


async def test_a_dm_reaches_a_member_until_they_close_their_dms(server: Server) -> None:
    ada = await server.bot.fetch_user(int(server.member("ada")))
    sent = await ada.send("Your reminder: 1 hour to go")
    status, messages = await _control(server, "GET", "/messages")
    [dm] = [m for m in messages if m["id"] == str(sent.id)]
    assert (dm["channel_type"], dm["recipient_id"], dm["content"]) == (1, str(ada.id), "Your reminder: 1 hour to go")
    assert {m["channel_type"] for m in messages if m["id"] != str(sent.id)} <= {0}

    status, body = await _control(server, "POST", f"/users/{ada.id}/dms", {"open": False})
    assert (status, body) == (200, {"user_id": str(ada.id), "open": False})
    with pytest.raises(discord.Forbidden) as raised:
        await ada.send("never arrives")
    assert (raised.value.status, raised.value.code) == (403, 50007)
    assert raised.value.text == "Cannot send messages to this user"
    await _control(server, "POST", f"/users/{ada.id}/dms", {"open": True})
    await ada.send("open again")
    status, _ = await _control(server, "POST", "/users/123/dms", {"open": False})
    assert status == 404


async def test_a_user_who_shares_no_server_with_the_bot_cannot_be_messaged(server: Server) -> None:
    stranger = server.sandbox.world.add_user("stranger")
    user = await server.bot.fetch_user(int(stranger["id"]))
    with pytest.raises(discord.Forbidden) as raised:
        await user.send("hello")
    assert raised.value.code == 50007


async def test_roles_are_added_and_removed_below_the_bots_highest_role(server: Server) -> None:
    sandbox, bot = server.sandbox, server.bot
    guild = bot.get_guild(int(server.guild_id))
    role_created = bot.loop.create_task(bot.wait_for("guild_role_create", timeout=5))
    status, created = await _control(server, "POST", f"/guilds/{guild.id}/roles", {"name": "premiere-pings"})
    role = await role_created
    assert status == 200
    assert (role.id, role.position) == (int(created["role_id"]), 1)  # new roles start just above @everyone
    ada = await guild.fetch_member(int(server.member("ada")))
    await ada.add_roles(role)
    assert [r.name for r in (await guild.fetch_member(ada.id)).roles] == ["@everyone", "premiere-pings"]
    await ada.remove_roles(role)
    assert [r.name for r in (await guild.fetch_member(ada.id)).roles] == ["@everyone"]

    admin = next(r for r in guild.roles if r.name == "Admin")  # above the bot's role
    with pytest.raises(discord.Forbidden) as raised:
        await ada.add_roles(admin)
    assert (raised.value.status, raised.value.code) == (403, 50013)
    await _control(server, "PATCH", f"/guilds/{guild.id}/roles/{role.id}", {"position": 5})  # moved above the bot
    with pytest.raises(discord.Forbidden):
        await ada.add_roles(role)
    await _control(server, "PATCH", f"/guilds/{guild.id}/roles/{role.id}", {"position": 1})
    await _control(server, "POST", f"/guilds/{guild.id}/permissions", {"deny": ["manage_roles"]})
    with pytest.raises(discord.Forbidden):
        await ada.add_roles(role)
    assert (await guild.fetch_member(ada.id)).roles == [guild.default_role]
    # The bot does not ask for GUILD_MEMBERS: no GUILD_MEMBER_UPDATE reached it for ada.
    [session] = sandbox.gateway.sessions.values()
    assert not any(p["t"] == "GUILD_MEMBER_UPDATE" for p in session.history)


async def test_interactions_in_a_dm_and_a_private_channel_carry_their_context(server: Server) -> None:
    seen: list[discord.Interaction] = []

    @app_commands.command(name="sandbox-anywhere", description="Usable anywhere")
    @app_commands.allowed_installs(guilds=True, users=True)
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    async def anywhere(interaction: discord.Interaction) -> None:
        seen.append(interaction)
        await interaction.response.send_message(f"context {interaction.context}", ephemeral=True)

    @app_commands.command(name="sandbox-server-only", description="Servers only")
    @app_commands.allowed_contexts(guilds=True, dms=False, private_channels=False)
    async def server_only(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("in a server")

    server.bot.tree.add_command(anywhere)
    server.bot.tree.add_command(server_only)
    await server.bot.tree.sync()
    ada = server.member("ada")

    in_dm = await server.sandbox.interact(None, None, ada, "/sandbox-anywhere", context=1, locale="fr")
    in_private = await server.sandbox.interact(None, None, ada, "/sandbox-anywhere", context=2)
    in_guild = await server.slash("/sandbox-anywhere")
    assert all(r["type"] == 4 for r in (in_dm, in_private, in_guild))
    dm, private, guild = seen
    assert (dm.guild_id, dm.user.id, dm.locale) == (None, int(ada), discord.Locale.french)
    assert dm.context.dm_channel and private.context.private_channel and guild.context.guild
    assert isinstance(dm.user, discord.User) and isinstance(guild.user, discord.Member)
    assert private.is_user_integration() and not guild.is_user_integration()
    assert dm.channel.type == discord.ChannelType.private

    with pytest.raises(InteractionError, match="context 1"):
        await server.sandbox.interact(None, None, ada, "/sandbox-server-only", context=1)
    status, refused = await _control(
        server, "POST", "/interactions", {"user_id": ada, "command": "/sandbox-server-only", "context": 2}
    )
    assert status == 400 and "Discord would not show it" in refused["error"]
    assert (await server.slash("/sandbox-server-only"))["type"] == 4
    with pytest.raises(InteractionError, match="not one of Discord's locales"):
        await server.sandbox.interact(None, None, ada, "/sandbox-anywhere", context=1, locale="fr-FR")  # it is "fr"


async def test_a_servers_language_is_its_interactions_guild_locale(server: Server) -> None:
    seen: list[discord.Interaction] = []

    @app_commands.command(name="sandbox-language", description="Which language")
    async def language(interaction: discord.Interaction) -> None:
        seen.append(interaction)
        await interaction.response.send_message("ok", ephemeral=True)

    server.bot.tree.add_command(language)
    await server.bot.tree.sync()
    updated = server.bot.loop.create_task(server.bot.wait_for("guild_update", timeout=5))
    status, _ = await _control(server, "PATCH", f"/guilds/{server.guild_id}", {"preferred_locale": "de"})
    assert status == 200
    _, after = await updated
    assert after.preferred_locale == discord.Locale.german
    await server.slash("/sandbox-language")
    await server.sandbox.interact(
        server.guild_id, server.channel(), server.member("ada"), "/sandbox-language", locale="fr", guild_locale="it"
    )
    assert [(i.locale, i.guild_locale) for i in seen] == [
        (discord.Locale.american_english, discord.Locale.german),
        (discord.Locale.french, discord.Locale.italian),
    ]
    status, refused = await _control(server, "PATCH", f"/guilds/{server.guild_id}", {"preferred_locale": "xx"})
    assert status == 400 and "not one of Discord's locales" in refused["error"]
