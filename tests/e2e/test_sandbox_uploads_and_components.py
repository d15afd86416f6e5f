"""Attachments and components in the sandbox, through the real discord.py client: files uploaded as
multipart/form-data (a channel message, an interaction response, a follow-up), their bytes served back; buttons,
link buttons and selects validated, pressed through the control API (MESSAGE_COMPONENT interactions, answered with a
message, a deferred update or an updated message), and each interaction's locale."""

from __future__ import annotations

import asyncio
import io

import aiohttp
import discord
import pytest
from discord import app_commands

from bot.sandbox.interactions import InteractionError
from tests.e2e.conftest import Server
from tests.e2e.test_sandbox_fidelity import rest

CALENDAR = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//sandbox test//EN\r\nEND:VCALENDAR\r\n"


async def _control(server: Server, method: str, path: str, body: object = None) -> tuple[int, object]:
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, f"{server.sandbox.url}/_sandbox{path}", json=body) as response,
    ):
        if response.content_type == "application/json":
            return response.status, await response.json()
        return response.status, await response.read()


async def test_a_file_sent_to_a_channel_is_an_attachment_whose_bytes_can_be_read_back(server: Server) -> None:
    channel = server.bot.get_channel(int(server.channel()))
    sent = await channel.send("your calendar", file=discord.File(io.BytesIO(CALENDAR), "release.ics"))
    [attachment] = sent.attachments
    assert (attachment.filename, attachment.size, attachment.content_type) == (
        "release.ics",
        len(CALENDAR),
        "text/calendar; charset=utf-8",
    )
    assert await attachment.read() == CALENDAR  # its url serves the bytes, as Discord's CDN does
    status, data = await _control(server, "GET", f"/attachments/{attachment.id}")
    assert (status, data) == (200, CALENDAR)
    [recorded] = server.sandbox.messages(server.channel())
    assert recorded["attachments"][0]["id"] == str(attachment.id)
    assert [m.attachments[0].filename async for m in channel.history(limit=1)] == ["release.ics"]

    edited = await sent.edit(attachments=[])  # an edit that keeps no attachment removes it
    assert edited.attachments == []


async def test_an_empty_message_and_an_invalid_payload_json_are_refused(server: Server) -> None:
    status, _, body = await rest(server.sandbox, "POST", f"/channels/{server.channel()}/messages", {})
    assert (status, body["code"]) == (400, 50006)
    form = aiohttp.FormData()
    form.add_field("payload_json", '{"content": 5}', content_type="application/json")
    form.add_field("files[0]", b"x", filename="x.txt", content_type="application/octet-stream")
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{server.sandbox.url}/api/v10/channels/{server.channel()}/messages",
            data=form,
            headers={"Authorization": "Bot t"},
        ) as response,
    ):
        assert response.status == 400 and (await response.json())["errors"]["content"]
    assert [v["what"] for v in server.sandbox.violations] == ["invalid body for POST /channels/{channel_id}/messages"]
    server.sandbox.violations.clear()  # seen and asserted


class Choices(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)
        self.add_item(discord.ui.Button(label="Docs", url="https://example.org/docs"))

    @discord.ui.button(label="Update", custom_id="test:update")
    async def update(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.edit_message(content=f"updated for {interaction.locale.value}", view=None)

    @discord.ui.button(label="Quietly", custom_id="test:defer")
    async def quietly(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.defer()

    @discord.ui.select(
        custom_id="test:when",
        options=[discord.SelectOption(label="1 day", value="1d"), discord.SelectOption(label="1 hour", value="1h")],
    )
    async def when(self, interaction: discord.Interaction, select: discord.ui.Select) -> None:
        await interaction.response.send_message(f"chose {select.values[0]}", ephemeral=True, view=Cancel())


class Cancel(discord.ui.View):
    @discord.ui.button(label="Cancel", custom_id="test:cancel", style=discord.ButtonStyle.danger)
    async def cancel(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.edit_message(content="cancelled", view=None)


async def _add_command(server: Server, command: app_commands.Command) -> None:
    server.bot.tree.add_command(command)
    await server.bot.tree.sync()


async def test_a_response_with_a_file_and_components_is_pressed_through_the_control_api(server: Server) -> None:
    seen: list[discord.Interaction] = []
    followed_up = asyncio.Event()

    @app_commands.command(name="sandbox-upload", description="A file and components")
    async def upload(interaction: discord.Interaction) -> None:
        seen.append(interaction)
        await interaction.response.send_message(
            "here", file=discord.File(io.BytesIO(CALENDAR), "a.ics"), view=Choices()
        )
        await interaction.followup.send("and again", file=discord.File(io.BytesIO(b"two"), "b.txt"))
        followed_up.set()

    await _add_command(server, upload)
    response = await server.slash("/sandbox-upload")
    assert response["type"] == 4
    await asyncio.wait_for(followed_up.wait(), 10)
    original, followup = server.sandbox.messages(server.channel())
    assert [a["filename"] for a in original["attachments"]] == ["a.ics"]
    assert [a["filename"] for a in followup["attachments"]] == ["b.txt"]
    rows = original["components"]
    assert [c["type"] for c in rows[0]["components"]] == [2, 2, 2] and rows[1]["components"][0]["type"] == 3
    assert all(isinstance(c["id"], int) for row in rows for c in [row, *row["components"]])

    ada = server.member("ada")
    chose = await server.sandbox.press(ada, original["id"], "test:when", ["1h"], locale="fr")
    assert chose["type"] == 4 and chose["data"]["content"] == "chose 1h" and chose["data"]["flags"] & 64
    [ephemeral] = [m for m in server.sandbox.messages() if m["content"] == "chose 1h"]
    cancelled = await server.sandbox.press(ada, ephemeral["id"], "test:cancel")  # on a message only ada sees
    assert (cancelled["type"], cancelled["data"]["content"]) == (7, "cancelled")
    assert [m["content"] for m in server.sandbox.messages() if m["id"] == ephemeral["id"]] == ["cancelled"]
    assert (await server.sandbox.press(ada, original["id"], "test:defer"))["type"] == 6
    status, answered = await _control(
        server,
        "POST",
        "/interactions",
        {"user_id": ada, "message_id": original["id"], "custom_id": "test:update", "locale": "de"},
    )
    assert status == 200 and answered["response"]["type"] == 7
    [now] = [m for m in server.sandbox.messages(server.channel()) if m["id"] == original["id"]]
    assert (now["content"], now["components"]) == ("updated for de", [])
    assert seen[0].locale == discord.Locale.american_english and seen[0].guild_locale == discord.Locale.american_english

    with pytest.raises(InteractionError, match="no component"):
        await server.sandbox.press(ada, original["id"], "test:update")  # the update removed the buttons
    status, refused = await _control(
        server, "POST", "/interactions", {"user_id": ada, "message_id": followup["id"], "custom_id": "nothing"}
    )
    assert status == 400 and "no component" in refused["error"]
    someone = await server.sandbox.actions.post_message(server.channel(), ada, "a member's message")
    with pytest.raises(InteractionError, match="not the bot's"):
        await server.sandbox.press(ada, someone["id"], "test:update")


async def test_components_are_validated_as_discord_does(server: Server) -> None:
    path = f"/channels/{server.channel()}/messages"
    link_with_id = {
        "type": 1,
        "components": [{"type": 2, "style": 5, "label": "x", "url": "https://a.example", "custom_id": "no"}],
    }
    duplicated = {
        "type": 1,
        "components": [
            {"type": 2, "style": 1, "label": "a", "custom_id": "same"},
            {"type": 2, "style": 1, "label": "b", "custom_id": "same"},
        ],
    }
    six = {"type": 1, "components": [{"type": 2, "style": 1, "label": str(i), "custom_id": str(i)} for i in range(6)]}
    for rows in ([link_with_id], [duplicated], [six]):
        status, _, body = await rest(server.sandbox, "POST", path, {"content": "x", "components": rows})
        assert (status, body["code"]) == (400, 50035) and "components" in body["errors"], body
    assert len(server.sandbox.violations) == 3
    server.sandbox.violations.clear()  # seen and asserted
