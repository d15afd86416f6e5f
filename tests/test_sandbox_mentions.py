"""The sandbox pings a role as Discord does: a message mentioning a role that is not mentionable still goes out, but
pings it (lists it in `mention_roles`) only if its author has Mention @everyone, @here and All Roles there."""

from __future__ import annotations

from typing import Any

import aiohttp

from bot.sandbox.server import Sandbox
from tests.test_sandbox_rest import call, ids, sandbox  # noqa: F401 (fixtures)


async def test_a_role_is_pinged_only_if_mentionable_or_the_author_may_mention_all_roles(
    sandbox: Sandbox,  # noqa: F811
    ids: dict[str, Any],  # noqa: F811
) -> None:
    guild, channel = ids["guild_id"], ids["channels"]["general"]
    quiet = await sandbox.actions.add_role(guild, "Quiet")
    loud = await sandbox.actions.add_role(guild, "Loud", mentionable=True)

    async def pinged(role: str) -> list[str]:
        body = {"content": f"<@&{role}> hello", "allowed_mentions": {"parse": [], "roles": [role]}}
        status, message = await call(sandbox, "POST", f"/channels/{channel}/messages", body)
        assert status == 200 and message["content"] == f"<@&{role}> hello"  # sent either way
        return message["mention_roles"]

    assert await pinged(quiet) == []
    assert await pinged(loud) == [loud]
    await sandbox.actions.set_guild_permissions(guild, None, allow=["mention_everyone"], deny=[])
    assert await pinged(quiet) == [quiet]
    await sandbox.actions.set_guild_permissions(guild, None, allow=[], deny=["mention_everyone"])
    async with (  # through the control API, as `release-bot run --sandbox` users would
        aiohttp.ClientSession() as session,
        session.patch(f"{sandbox.url}/_sandbox/guilds/{guild}/roles/{quiet}", json={"mentionable": True}) as answer,
    ):
        assert answer.status < 300, await answer.text()
    assert await pinged(quiet) == [quiet]
    _, roles = await call(sandbox, "GET", f"/guilds/{guild}/roles")
    assert {r["name"]: r["mentionable"] for r in roles}["Quiet"] is True
