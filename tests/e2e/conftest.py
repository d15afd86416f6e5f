"""The real bot against the sandbox, in the test's event loop."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from bot.config import Config
from bot.discord.client import ReleaseBot
from bot.discord.runner import start_in_process
from bot.sandbox.server import Sandbox


@dataclass
class Server:
    """A sandbox server with a general channel, an admin and a member, and the bot in it."""

    sandbox: Sandbox
    bot: ReleaseBot
    ids: dict[str, Any]

    @property
    def guild_id(self) -> str:
        return self.ids["guild_id"]

    def channel(self, name: str = "general") -> str:
        return self.ids["channels"][name]

    def member(self, name: str) -> str:
        return self.ids["members"][name]

    async def slash(self, command: str, user: str = "ada", channel: str = "general", **kw: Any) -> dict[str, Any]:
        return await self.sandbox.interact(self.guild_id, self.channel(channel), self.member(user), command, **kw)


async def join_guild(sandbox: Sandbox, bot: ReleaseBot, name: str, **kw: Any) -> dict[str, Any]:
    """Create a server with the bot in it and wait until the bot has seen its GUILD_CREATE."""
    waiter = bot.loop.create_task(bot.wait_for("guild_join", timeout=5))
    ids = await sandbox.create_guild(name, **kw)
    guild = await waiter
    assert str(guild.id) == ids["guild_id"]
    return ids


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    server = Sandbox()
    await server.start()
    yield server
    await server.stop()
    assert server.violations == [], json.dumps(server.violations, indent=1)[:3000]


@pytest.fixture
async def running_bot(sandbox: Sandbox, config: Config) -> AsyncIterator[ReleaseBot]:
    bot = await start_in_process(config, sandbox.url)
    await bot.tree.sync()
    yield bot
    await bot.close()


@pytest.fixture
async def server(sandbox: Sandbox, running_bot: ReleaseBot) -> Server:
    ids = await join_guild(sandbox, running_bot, "Lamplight Readers", channels=["general", "announcements"],
                           members=[{"name": "ada", "admin": False}, {"name": "grace", "admin": True}])
    return Server(sandbox, running_bot, ids)
