"""The "Get pinged" button end to end, through the real discord.py client and the sandbox: posts that ping a role
carry it, a member's press gives or takes that role (Discord's role hierarchy and Manage Roles apply), a press
naming any other role changes nothing, and the admin is told at setup what the button would lack."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.commands.replies import Button
from bot.config import Config
from bot.discord.components import view_for
from bot.sandbox.server import Sandbox
from tests.e2e.conftest import Launch, Server, wait_until
from tests.e2e.test_announcements import SECOND, soon_server

RELEASE_ID = "the-lighthouse-keeper"


async def ping_server(
    sandbox: Sandbox, launch: Launch, config: Config, database_url: str, name: str = "Watchers", **role: Any
) -> tuple[Server, str]:
    """A server whose posts (one 6 s before a release 12 s away, then the premiere) may ping its new role `name`
    (by default one made for pings: no permissions, anyone may @mention it); `role`: the sandbox's add_role options."""
    server, _ = await soon_server(sandbox, launch, config, database_url, seconds=12, milestones=(6 * SECOND,))
    # A new role goes below the bot's.
    role_id = await sandbox.add_role(int(server.guild_id), name, **{"mentionable": True, **role})
    await wait_until(lambda: asyncio.sleep(0, server.bot.get_guild(int(server.guild_id)).get_role(int(role_id))), bool)
    return server, role_id


async def first_post(sandbox: Sandbox, server: Server) -> dict:
    async def read() -> list[dict]:
        return sandbox.messages(server.channel("announcements"))

    return (await wait_until(read, bool, timeout=45))[0]


def roles_of(sandbox: Sandbox, server: Server, user: str) -> list[int]:
    return list(sandbox.world.guilds[int(server.guild_id)].members[int(server.member(user))].roles)


def custom_ids(message: dict) -> list[str]:
    return [c.get("custom_id", "") for row in message.get("components") or [] for c in row["components"]]


async def forged_press(sandbox: Sandbox, server: Server, role: str) -> dict:
    """ada presses a Get pinged button naming `role`, on a message of the bot's (as a forged custom_id would)."""
    channel = server.bot.get_partial_messageable(int(server.channel("general")))
    forged = await channel.send("x", view=view_for([[Button(f"ping:{role}", "📣 Get pinged")]]))
    return await sandbox.press(server.member("ada"), forged.id, f"ping:{role}")


def button_field(reply: dict) -> str:
    """What `/announce setup` or `/announce status` says about the role's pings and the Get pinged button."""
    return next(f["value"] for f in reply["data"]["embeds"][0]["fields"] if f["name"] == "Get pinged button")


async def test_a_member_takes_and_drops_the_role_from_a_post(
    sandbox: Sandbox, launch: Launch, config: Config, database_url: str
) -> None:
    server, role = await ping_server(sandbox, launch, config, database_url)
    setup = await server.slash("/announce setup channel:#announcements role:@Watchers", user="grace")
    assert button_field(setup) == "✅ On the posts"  # the bot can hand the role out: no advice

    post = await first_post(sandbox, server)
    assert post["content"].startswith(f"<@&{role}> 📣")
    assert custom_ids(post) == [f"remind:{RELEASE_ID}", f"ping:{role}"]  # beside the Remind me button
    [_, ping] = post["components"][0]["components"]
    assert ping["label"] == "📣 Get pinged"

    given = await server.sandbox.press(server.member("ada"), post["id"], f"ping:{role}")
    assert given["data"]["flags"] & 64  # only ada sees it
    assert given["data"]["content"].startswith(
        f"🔔 You'll be pinged with this server's countdown posts: you now have <@&{role}>."
    )
    assert int(role) in roles_of(sandbox, server, "ada")

    taken = await server.sandbox.press(server.member("ada"), post["id"], f"ping:{role}")
    assert taken["data"]["content"].startswith(f"🔕 You won't be pinged any more: <@&{role}> is no longer yours.")
    assert int(role) not in roles_of(sandbox, server, "ada")
    # A member whose Discord is in French is answered in French.
    again = await server.sandbox.press(server.member("ada"), post["id"], f"ping:{role}", locale="fr")
    assert again["data"]["content"].startswith(
        f"🔔 Tu seras mentionné(e) dans les comptes à rebours de ce serveur\u00a0: tu as maintenant <@&{role}>."
    )
    assert int(role) in roles_of(sandbox, server, "ada")


async def test_a_press_naming_a_role_the_posts_do_not_ping_changes_nothing(
    sandbox: Sandbox, launch: Launch, config: Config, database_url: str
) -> None:
    server, _ = await ping_server(sandbox, launch, config, database_url)
    await server.slash("/announce setup channel:#announcements role:@Watchers", user="grace")
    # A role the bot could hand out (below its own), but not one this server's posts ping: a forged custom_id.
    other = await sandbox.add_role(int(server.guild_id), "Moderators")
    channel = server.bot.get_partial_messageable(int(server.channel("general")))
    forged = await channel.send("x", view=view_for([[Button(f"ping:{other}", "📣 Get pinged")]]))

    answer = await sandbox.press(server.member("ada"), forged.id, f"ping:{other}")
    assert answer["data"]["flags"] & 64
    assert answer["data"]["content"] == (
        "⚠️ This button no longer hands out a role: this server's posts ping another role, or none."
    )
    assert roles_of(sandbox, server, "ada") == []


async def test_setup_tells_the_admin_what_the_button_lacks_and_posts_go_without_it(
    sandbox: Sandbox, launch: Launch, config: Config, database_url: str
) -> None:
    server, role = await ping_server(sandbox, launch, config, database_url)
    guild = server.bot.get_guild(int(server.guild_id))
    assert guild is not None
    await sandbox.actions.update_role(server.guild_id, role, position=5)  # above the bot's role
    await wait_until(lambda: asyncio.sleep(0, guild.get_role(int(role)).position), lambda p: p == 5)
    above = await server.slash("/announce setup channel:#announcements role:@Watchers", user="grace")
    assert above["data"]["embeds"][0]["description"].startswith("✅ Countdown posts")  # set up all the same
    text = button_field(above)
    assert (
        f"⚠️ Pings work, but I can't hand out <@&{role}> to members who press **Get pinged** until you drag my role "
        f"**release-bot** above <@&{role}> (Server Settings → Roles). Until then the posts go out without that button."
    ) in text
    assert "Manage Roles" not in text

    await sandbox.actions.update_role(server.guild_id, role, position=1)
    await sandbox.actions.set_guild_permissions(server.guild_id, None, allow=[], deny=["manage_roles"])
    await wait_until(lambda: asyncio.sleep(0, guild.me.guild_permissions.manage_roles), lambda ok: not ok)
    lacking = await server.slash("/announce setup channel:#announcements role:@Watchers", user="grace")
    text = button_field(lacking)
    assert "until you give my role **release-bot** the **Manage Roles** permission (Server Settings" in text
    assert "drag my role" not in text

    post = await first_post(sandbox, server)
    assert post["content"].startswith(f"<@&{role}> 📣")  # the ping itself goes out
    assert custom_ids(post) == [f"remind:{RELEASE_ID}"]  # no button that could only say "I can't"


async def test_manage_roles_taken_away_after_the_post_gets_a_friendly_answer(
    sandbox: Sandbox, launch: Launch, config: Config, database_url: str
) -> None:
    server, role = await ping_server(sandbox, launch, config, database_url)
    await server.slash("/announce setup channel:#announcements role:@Watchers", user="grace")
    post = await first_post(sandbox, server)
    assert f"ping:{role}" in custom_ids(post)
    await sandbox.actions.set_guild_permissions(server.guild_id, None, allow=[], deny=["manage_roles"])

    answer = await sandbox.press(server.member("ada"), post["id"], f"ping:{role}")  # Discord answers 50013
    assert answer["data"]["flags"] & 64
    assert answer["data"]["content"] == (
        f"⚠️ I can't change your roles right now: I need **Manage Roles** and a role above <@&{role}>. "
        "Please ask a server admin to fix that. Nothing was changed."
    )
    assert roles_of(sandbox, server, "ada") == []


async def test_a_role_with_elevated_permissions_is_never_handed_out(
    sandbox: Sandbox, launch: Launch, config: Config, database_url: str
) -> None:
    # The tester's case: the Admin role below the bot's, picked for the pings.
    server, role = await ping_server(sandbox, launch, config, database_url, "Admins", permissions=["administrator"])
    setup = await server.slash("/announce setup channel:#announcements role:@Admins", user="grace")
    assert setup["data"]["embeds"][0]["description"].startswith("✅ Countdown posts")  # the pings still work
    advice = (
        f"⚠️ Pings work, but the posts go out without the **Get pinged** button: <@&{role}> carries "
        "**Administrator**, and anyone who pressed it would get that too. Pick a role made just for pings, with "
        "no permissions, to have the button."
    )
    assert button_field(setup) == advice
    assert button_field(await server.slash("/announce status", user="grace")) == advice

    post = await first_post(sandbox, server)
    assert post["content"].startswith(f"<@&{role}> 📣") and post["mention_roles"] == [role]
    assert custom_ids(post) == [f"remind:{RELEASE_ID}"]

    answer = await forged_press(sandbox, server, role)
    assert answer["data"]["flags"] & 64
    assert answer["data"]["content"] == (
        f"⚠️ This button can't give you <@&{role}>: <@&{role}> carries **Administrator**, and anyone who pressed "
        "it would get that too. Please ask a server admin to pick a role made just for pings. Nothing was changed."
    )
    assert roles_of(sandbox, server, "ada") == []


async def test_permissions_given_to_the_role_after_the_post_are_checked_at_the_press(
    sandbox: Sandbox, launch: Launch, config: Config, database_url: str
) -> None:
    server, role = await ping_server(sandbox, launch, config, database_url)
    await server.slash("/announce setup channel:#announcements role:@Watchers", user="grace")
    post = await first_post(sandbox, server)
    assert f"ping:{role}" in custom_ids(post)
    guild = server.bot.get_guild(int(server.guild_id))
    assert guild is not None
    await sandbox.actions.update_role(server.guild_id, role, permissions=["manage_guild", "manage_messages"])
    await wait_until(lambda: asyncio.sleep(0, guild.get_role(int(role)).permissions.manage_guild), bool)

    answer = await sandbox.press(server.member("ada"), post["id"], f"ping:{role}")
    assert answer["data"]["flags"] & 64
    assert answer["data"]["content"].startswith(
        f"⚠️ This button can't give you <@&{role}>: <@&{role}> carries **Manage Server**, **Manage Messages**, and"
    )
    assert roles_of(sandbox, server, "ada") == []


async def test_a_managed_role_and_everyone_are_never_handed_out(
    sandbox: Sandbox, launch: Launch, config: Config, database_url: str
) -> None:
    server, role = await ping_server(sandbox, launch, config, database_url, "Integration", managed=True)
    setup = await server.slash("/announce setup channel:#announcements role:@Integration", user="grace")
    assert button_field(setup) == (
        f"⚠️ Pings work, but the posts go out without the **Get pinged** button: <@&{role}> belongs to a bot or "
        "an integration, and Discord lets nobody hand it out. Pick a role made just for pings, with no "
        "permissions, to have the button."
    )
    answer = await forged_press(sandbox, server, role)
    assert answer["data"]["content"].startswith(f"⚠️ This button can't give you <@&{role}>: <@&{role}> belongs to")
    everyone = await forged_press(sandbox, server, server.guild_id)  # @everyone's id is the server's
    assert everyone["data"]["content"] == (
        "⚠️ This button no longer hands out a role: this server's posts ping another role, or none."
    )
    assert roles_of(sandbox, server, "ada") == []


async def test_setup_says_when_the_role_would_not_really_be_pinged(
    sandbox: Sandbox, launch: Launch, config: Config, database_url: str
) -> None:
    server, role = await ping_server(sandbox, launch, config, database_url, mentionable=False)
    setup = await server.slash("/announce setup channel:#announcements role:@Watchers", user="grace")
    assert button_field(setup) == (
        f"✅ On the posts\n⚠️ <@&{role}> won't actually be pinged: it isn't mentionable, and I don't have "
        "**Mention @everyone, @here and All Roles** in that channel. Make the role mentionable (Server Settings → "
        "Roles → the role → *Allow anyone to @mention this role*), or give me that permission."
    )
    post = await first_post(sandbox, server)
    assert post["content"].startswith(f"<@&{role}> 📣")  # Discord sends it, but pings nobody
    assert post["mention_roles"] == []

    guild = server.bot.get_guild(int(server.guild_id))
    assert guild is not None
    await sandbox.actions.update_role(server.guild_id, role, mentionable=True)
    await wait_until(lambda: asyncio.sleep(0, guild.get_role(int(role)).mentionable), bool)
    status = await server.slash("/announce status", user="grace")
    assert button_field(status) == "✅ On the posts"

    async def read() -> list[dict]:
        return sandbox.messages(server.channel("announcements"))

    [_, premiere] = await wait_until(read, lambda posts: len(posts) == 2, timeout=45)
    assert premiere["content"].startswith(f"<@&{role}> 🎬") and premiere["mention_roles"] == [role]
