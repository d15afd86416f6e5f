"""The baseline for the interaction benchmark: a bare discord.py client answering /countdown with a fixed string.

python -m bench.bare_client SANDBOX_URL
"""

from __future__ import annotations

import asyncio
import json
import sys

import discord
from discord import app_commands

from bot.discord.client import point_at_sandbox


async def main(url: str) -> None:
    point_at_sandbox(url)
    client = discord.Client(
        intents=discord.Intents(guilds=True), chunk_guilds_at_startup=False, guild_ready_timeout=0.05, max_messages=None
    )
    tree = app_commands.CommandTree(client)

    @tree.command(name="countdown", description="A fixed answer")
    async def countdown(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("7 days")

    async with client:
        await client.login("bench-token")
        runner = asyncio.create_task(client.connect())
        await client.wait_until_ready()
        print(json.dumps({"event": "ready"}), flush=True)
        await runner


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
