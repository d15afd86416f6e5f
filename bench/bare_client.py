"""The baseline for the interaction benchmark: a bare discord.py client answering /countdown with the same reply.

    python -m bench.bare_client SANDBOX_URL REPLY_JSON

REPLY_JSON is the `data` the real bot answered /countdown with (captured by the benchmark just before): this client
builds the same embed and the same buttons (the bot's 🔔 Remind me) with discord.py's constructors for every
interaction, as a hand-written bot would, and sends them with the same flags, so both sides put the same bytes
through the sandbox's validation.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import discord
from discord import app_commands

from bot.discord.client import point_at_sandbox


def build(embed: dict[str, Any]) -> discord.Embed:
    stamp = embed.get("timestamp")
    built = discord.Embed(
        title=embed.get("title"),
        description=embed.get("description"),
        colour=embed.get("color"),
        timestamp=datetime.fromisoformat(stamp) if stamp else None,
    )
    for field in embed.get("fields", []):
        built.add_field(name=field["name"], value=field["value"], inline=field.get("inline", True))
    if "footer" in embed:
        built.set_footer(text=embed["footer"]["text"])
    return built


def buttons(rows: list[dict[str, Any]]) -> discord.ui.View | None:
    """The reply's rows of buttons as a discord.py view (the buttons only: /countdown sends nothing else)."""
    if not rows:
        return None
    view = discord.ui.View(timeout=None)
    for number, row in enumerate(rows):
        for item in row["components"]:
            view.add_item(
                discord.ui.Button(
                    style=discord.ButtonStyle(item["style"]),
                    label=item.get("label"),
                    custom_id=item.get("custom_id"),
                    url=item.get("url"),
                    disabled=item.get("disabled", False),
                    row=number,
                )
            )
    return view


async def main(url: str, reply_file: str) -> None:
    reply = json.loads(Path(reply_file).read_text())
    point_at_sandbox(url)
    client = discord.Client(
        intents=discord.Intents(guilds=True),
        chunk_guilds_at_startup=False,
        guild_ready_timeout=0.05,
        max_messages=None,
        member_cache_flags=discord.MemberCacheFlags.none(),
    )
    tree = app_commands.CommandTree(client)
    mentions = discord.AllowedMentions.none()

    @tree.command(name="countdown", description="The same reply, built by hand")
    async def countdown(interaction: discord.Interaction) -> None:
        view = buttons(reply.get("components", []))
        await interaction.response.send_message(
            content=reply.get("content"),
            embeds=[build(e) for e in reply.get("embeds", [])],
            ephemeral=bool(reply.get("flags", 0) & 64),
            allowed_mentions=mentions,
            **({"view": view} if view is not None else {}),
        )

    async with client:
        await client.login("bench-token")
        runner = asyncio.create_task(client.connect())
        await client.wait_until_ready()
        print(json.dumps({"event": "ready"}), flush=True)
        await runner


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
