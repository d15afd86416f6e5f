"""Adding a command is one declaration plus its handler: Discord's menu, /help, autocomplete and the console follow."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from bot.commands.registry import REGISTRY, CommandContext, Option, command
from bot.commands.replies import Reply
from bot.config import Config
from bot.console import answer
from bot.sandbox.server import Sandbox
from tests.e2e.conftest import Launch, join_guild

GREETINGS = ("hello", "hola", "goodbye")


@pytest.fixture
def echo_command() -> Iterator[str]:
    """A throw-away command, declared exactly as a real one would be, and taken out again after the test."""

    @command(
        "echo",
        "Say it back",
        Option(
            "words",
            "What to say",
            required=True,
            autocomplete=lambda ctx, current: [g for g in GREETINGS if g.startswith(current)],
        ),
    )
    async def echo(ctx: CommandContext, words: str) -> Reply:
        return Reply(content=f"You said: {words}")

    try:
        yield "echo"
    finally:
        del REGISTRY.commands["echo"]


async def test_one_declaration_reaches_discord_help_autocomplete_and_console(
    echo_command: str, sandbox: Sandbox, launch: Launch, bot_config: Config
) -> None:
    bot = await launch(bot_config)  # syncs its commands with the sandbox
    [synced] = [c for c in sandbox.world.global_commands if c["name"] == "echo"]
    assert synced["description"] == "Say it back"
    assert [(o["name"], o["description"], o["required"], o.get("autocomplete")) for o in synced["options"]] == [
        ("words", "What to say", True, True)
    ]

    ids = await join_guild(sandbox, bot, "Echo Chamber", channels=["general"], members=[{"name": "ada"}])
    guild, general, ada = ids["guild_id"], ids["channels"]["general"], ids["members"]["ada"]
    reply = await sandbox.interact(guild, general, ada, "/echo words:hi")
    assert reply["data"]["content"] == "You said: hi"
    suggestions = await sandbox.interact(guild, general, ada, "/echo words:ho", focused="words")
    assert [c["value"] for c in suggestions["data"]["choices"]] == ["hola"]
    help_reply = await sandbox.interact(guild, general, ada, "/help")
    assert "/echo <words>" in json.dumps(help_reply["data"], ensure_ascii=False)

    name, console_reply = await answer("/echo words:hi", bot_config, datetime.now(UTC))
    assert (name, console_reply.payload()) == ("echo", reply["data"])
