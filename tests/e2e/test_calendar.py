"""/calendar end to end: INTERACTION_CREATE over the gateway, the real discord.py client answers the callback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import aiohttp
from icalendar import Calendar

from bot.config import Config
from bot.console import answer
from bot.sandbox.server import Sandbox
from tests.conftest import upcoming_release
from tests.e2e.conftest import Launch, Server, join_guild


async def test_calendar_is_offered_to_everyone_everywhere(server: Server) -> None:
    [synced] = [c for c in server.sandbox.world.global_commands if c["name"] == "calendar"]
    assert synced.get("default_member_permissions") is None  # not an admin command
    assert synced.get("contexts") in (None, [0, 1, 2])  # servers, the bot's DMs and private channels
    assert [(o["name"], o.get("autocomplete")) for o in synced["options"]] == [("release", True)]


async def test_calendar_after_the_premiere_is_a_private_note_without_a_file(server: Server, config: Config) -> None:
    response = await server.slash("/calendar")
    assert response["type"] == 4
    data = response["data"]
    assert data["flags"] == 64
    assert "attachments" not in data and "components" not in data
    assert "nothing left to put in a calendar" in data["embeds"][0]["description"]
    _, reply = await answer("/calendar", config, datetime.now(UTC))
    assert data == reply.payload()  # the console shows what Discord receives


async def test_calendar_unknown_release_and_autocomplete(server: Server) -> None:
    response = await server.slash("/calendar release:Lighthuose")
    assert response["data"]["flags"] == 64
    assert response["data"]["content"].startswith("⚠️ I don't know a release called “Lighthuose”")
    suggestions = await server.slash("/calendar release:light", focused="release")
    assert suggestions["data"]["choices"] == [
        {"name": "All the Light We Cannot See", "value": "All the Light We Cannot See"}
    ]


async def test_calendar_sends_the_ics_file_and_the_google_button(
    sandbox: Sandbox, launch: Launch, bot_config: Config
) -> None:
    """Written against Discord's documented behaviour: the callback is multipart/form-data with `payload_json`
    and the file as `files[0]`; the message it creates lists the attachment (id, filename, size, url, content_type),
    and its url serves the bytes."""
    release_at = (datetime.now(UTC) + timedelta(days=7)).replace(microsecond=0)
    config = upcoming_release(bot_config, release_at)
    bot = await launch(config)
    ids = await join_guild(sandbox, bot, "Calendar Club", channels=["general"], members=[{"name": "ada"}])
    general = ids["channels"]["general"]
    response = await sandbox.interact(ids["guild_id"], general, ids["members"]["ada"], "/calendar")

    assert response["type"] == 4
    data = response["data"]
    _, reply = await answer("/calendar", config, datetime.now(UTC))
    assert data == reply.payload()  # payload_json is exactly the reply's payload; the bytes travel beside it
    assert data["flags"] == 64
    assert data["attachments"] == [{"id": 0, "filename": "the-lighthouse-keeper.ics"}]
    [button] = data["components"][0]["components"]
    assert (button["style"], button["label"]) == (5, "Add to Google Calendar")
    assert f"dates={release_at:%Y%m%dT%H%M%SZ}/" in button["url"]

    [message] = sandbox.messages(general)
    [attachment] = message["attachments"]
    assert attachment["filename"] == "the-lighthouse-keeper.ics"
    async with aiohttp.ClientSession() as session, session.get(attachment["url"]) as fetched:
        body = await fetched.read()
    assert attachment["size"] == len(body)
    [event] = Calendar.from_ical(body).walk("VEVENT")
    assert str(event["UID"]) == "the-lighthouse-keeper@release-bot"
    assert event.decoded("DTSTART") == release_at
    [alarm] = event.walk("VALARM")
    assert alarm.decoded("TRIGGER") == -timedelta(hours=1)
