"""Every slash command end to end: INTERACTION_CREATE over the gateway, the real client answers the callback."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.console import answer
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
