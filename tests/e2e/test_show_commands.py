"""Every slash command end to end: INTERACTION_CREATE over the gateway, the real client answers the callback."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime

import pytest

from bot.console import answer
from bot.discord import respond
from tests.e2e.conftest import Server


async def test_countdown_reply_is_what_the_console_prints(server: Server, config) -> None:
    response = await server.slash("/countdown")
    assert response["type"] == 4
    data = response["data"]
    _, reply = await answer("/countdown", config, datetime.now(UTC))
    assert data == reply.payload()  # the console shows exactly the payload Discord receives
    assert "<t:1698908400:F>" in json.dumps(data)
    assert "Premiered" in data["embeds"][0]["description"]
    assert data["allowed_mentions"] == {"parse": []}


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("/premiere timezone:Europe/Paris", "Thursday 2 November 2023, 08:00 CET"),
        ("/about", "Steven Knight"),
        ('/cast name:"Hugh Laurie"', "Hugh Laurie as Etienne LeBlanc"),
        ("/trivia", "Clair de Lune"),
        ("/help", "/countdown"),
    ],
)
async def test_every_show_command(server: Server, command: str, expected: str) -> None:
    response = await server.slash(command)
    assert response["type"] == 4
    assert expected in json.dumps(response["data"], ensure_ascii=False)


async def test_bad_input_is_a_private_friendly_error(server: Server) -> None:
    response = await server.slash("/premiere timezone:Mars/Olympus")
    assert response["data"]["flags"] == 64
    assert response["data"]["content"].startswith("⚠️ “Mars/Olympus” is not a time zone I know")
    response = await server.slash("/cast name:@everyone")
    assert response["data"]["flags"] == 64 and "@everyone" not in response["data"]["content"]


async def test_autocomplete(server: Server) -> None:
    response = await server.slash("/premiere timezone:paris", focused="timezone")
    assert response == {"type": 8, "data": {"choices": [{"name": "Europe/Paris", "value": "Europe/Paris"}]}}
    response = await server.slash("/cast name:", focused="name")
    assert len(response["data"]["choices"]) == 7


async def test_replies_are_stored_as_the_user_sees_them(server: Server) -> None:
    await server.slash("/countdown")
    [message] = server.sandbox.messages(server.channel())
    assert message["author"]["id"] == str(server.bot.user.id)
    assert message["embeds"][0]["title"] == "All the Light We Cannot See"


async def logged(caplog: pytest.LogCaptureFixture, text: str, timeout: float = 10.0) -> None:
    """Wait for a log line (the bot runs in this process and loop); fail loudly at the deadline."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not any(text in r.getMessage() for r in caplog.records):
        assert asyncio.get_running_loop().time() < deadline, f"no log line with {text!r}: {caplog.text}"
        await asyncio.sleep(0.02)


@pytest.mark.parametrize(("command", "user"), [("/countdown", "ada"), ("/announce setup channel:#general", "grace")])
async def test_an_expired_interaction_is_one_log_line_not_a_traceback(
    server: Server, caplog, command: str, user: str
) -> None:
    server.sandbox.responses.deadline = 0.0  # every answer reaches Discord after its deadline: 404, code 10062
    with caplog.at_level(logging.INFO):
        asking = asyncio.ensure_future(server.slash(command, user=user, wait=60))
        await logged(caplog, "the interaction expired")
        asking.cancel()
    [line] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert line.name == "bot.discord.respond"
    assert line.getMessage() == (
        f"/{command[1:].split(' channel')[0]} in server {server.guild_id}: the interaction "
        "expired before I answered (Discord allows 3 s)"
    )
    assert all(r.exc_info is None for r in caplog.records)
    # The deferral was refused, so the setup did not run: nothing changed that the admin was never told about.
    assert await server.bot.announcer.store.subscriptions() == []


async def test_admin_commands_defer_privately_before_touching_storage(server: Server) -> None:
    response = await server.slash("/announce status", user="grace")
    assert response["deferred"] is True
    assert "No announcements are set up" in response["data"]["content"] and response["data"]["flags"] == 64
    [callback] = [e for e in server.sandbox.log if e["path"].endswith("/callback")]
    assert callback["body"] == {"type": 5, "data": {"flags": 64}}  # "thinking…", seen by the admin alone


async def test_a_slow_answer_is_deferred_in_time(server: Server, monkeypatch) -> None:
    monkeypatch.setattr(respond, "DEFER_AFTER", 0.0)  # as if the database took longer than Discord waits
    zone_of = server.bot.announcer.guild_zone  # answered from memory now: make the answer take a moment

    async def slow_zone(guild_id: int) -> str | None:
        await asyncio.sleep(0.05)  # far past DEFER_AFTER (0 s): the deferral goes first
        return await zone_of(guild_id)

    monkeypatch.setattr(server.bot.announcer, "guild_zone", slow_zone)
    response = await server.slash("/countdown")
    assert response["deferred"] is True
    assert response["data"]["embeds"][0]["title"] == "All the Light We Cannot See"
    assert "Premiered" in response["data"]["embeds"][0]["description"]
    [callback] = [e for e in server.sandbox.log if e["path"].endswith("/callback")]
    assert callback["body"] == {"type": 5}  # public, as /countdown's answer is
