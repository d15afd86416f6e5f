"""The "Get pinged" button end to end, through the real discord.py client and the sandbox: posts that ping a role
carry it, a member's press gives or takes that role (Discord's role hierarchy and Manage Roles apply), a press
naming any other role changes nothing, and the admin is told at setup what the button would lack."""

from __future__ import annotations

import asyncio

from bot.commands.replies import Button
from bot.config import Config
from bot.discord.components import view_for
from bot.sandbox.server import Sandbox
from tests.e2e.conftest import Launch, Server, wait_until
from tests.e2e.test_announcements import SECOND, soon_server

RELEASE_ID = "the-lighthouse-keeper"


async def ping_server(sandbox: Sandbox, launch: Launch, config: Config, database_url: str) -> tuple[Server, str]:
    """A server whose posts (one 6 s before a release 12 s away, then the premiere) ping its new role Watchers."""
    server, _ = await soon_server(sandbox, launch, config, database_url, seconds=12, milestones=(6 * SECOND,))
    role = await sandbox.add_role(int(server.guild_id), "Watchers")  # a new role goes below the bot's
    await wait_until(lambda: asyncio.sleep(0, server.bot.get_guild(int(server.guild_id)).get_role(int(role))), bool)
    return server, role


async def first_post(sandbox: Sandbox, server: Server) -> dict:
    async def read() -> list[dict]:
        return sandbox.messages(server.channel("announcements"))

    return (await wait_until(read, bool, timeout=45))[0]


def roles_of(sandbox: Sandbox, server: Server, user: str) -> list[int]:
    return list(sandbox.world.guilds[int(server.guild_id)].members[int(server.member(user))].roles)


def custom_ids(message: dict) -> list[str]:
    return [c.get("custom_id", "") for row in message.get("components") or [] for c in row["components"]]


async def test_a_member_takes_and_drops_the_role_from_a_post(
    sandbox: Sandbox, launch: Launch, config: Config, database_url: str
) -> None:
    server, role = await ping_server(sandbox, launch, config, database_url)
    setup = await server.slash("/announce setup channel:#announcements role:@Watchers", user="grace")
    assert "⚠️" not in setup["data"]["embeds"][0]["description"]  # the bot can hand the role out: no advice

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
    text = above["data"]["embeds"][0]["description"]
    assert text.startswith("✅ Countdown posts")  # set up all the same: pings work without the role's hierarchy
    assert (
        f"⚠️ Pings work, but I can't hand out <@&{role}> to members who press **Get pinged** until you drag my role "
        f"**release-bot** above <@&{role}> (Server Settings → Roles). Until then the posts go out without that button."
    ) in text
    assert "Manage Roles" not in text

    await sandbox.actions.update_role(server.guild_id, role, position=1)
    await sandbox.actions.set_guild_permissions(server.guild_id, None, allow=[], deny=["manage_roles"])
    await wait_until(lambda: asyncio.sleep(0, guild.me.guild_permissions.manage_roles), lambda ok: not ok)
    lacking = await server.slash("/announce setup channel:#announcements role:@Watchers", user="grace")
    text = lacking["data"]["embeds"][0]["description"]
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
