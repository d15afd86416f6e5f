"""`release-bot demo`: the sandbox and the real bot, a demo server, every slash command, live countdown posts."""

from __future__ import annotations

import asyncio
import json
import tempfile
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from bot.app import start_in_process
from bot.config import Config
from bot.console import render_text, render_timestamps
from bot.domain.releases import Catalogue
from bot.sandbox.server import Sandbox

MEMBER_COMMANDS = [
    "/help",
    "/countdown",
    "/premiere timezone:Europe/Paris",
    "/premiere timezone:Asia/Tokyo",
    "/about",
    "/cast",
    '/cast name:"Hugh Laurie"',
    "/trivia",
    "/premiere timezone:Mars/Olympus",
]


def demo_config(config: Config, seconds: int, database_url: str) -> Config:
    """The operator's catalogue plus a replay of the featured premiere `seconds` from now, milestones scaled."""
    featured = config.catalogue.featured
    at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=seconds)
    demo = replace(featured, id="demo-replay", title=f"{featured.title} (demo replay)", release_at=at)
    milestones = tuple(sorted({timedelta(seconds=max(1, round(seconds * f))) for f in (0.75, 0.5, 0.25)}, reverse=True))
    settings = replace(config.settings, milestones=milestones, database_url=database_url)
    return replace(
        config, catalogue=Catalogue((*config.catalogue.releases, demo), config.catalogue.featured_id), settings=settings
    )


def _live_footer(sandbox: Sandbox, channel_id: str) -> str:
    """What the live countdown message in the channel says at the bottom (it changes at each milestone)."""
    for message in reversed(sandbox.messages(channel_id)):
        for embed in message.get("embeds") or []:
            footer: str = (embed.get("footer") or {}).get("text", "")
            if footer.startswith(("Live countdown", "Out now")):
                return footer
    return ""


async def _show_live_edit(show: Show, sandbox: Sandbox, channel_id: str, before: str) -> str:
    """The live message is edited at the same moment as the post: show its new footer once it has changed."""
    # Up to 10 s: the edit waits for its pacing slot like any post, and on a busy machine that can take a few
    # seconds (2 s was too short under load: the demo then skipped the edit it exists to show).
    for _ in range(200):
        now = _live_footer(sandbox, channel_id)
        if now != before:
            show.say(f"  {'':10} #general: the live countdown message was edited: “{now}”")
            return now
        await asyncio.sleep(0.05)
    return before


def _is_dm(sandbox: Sandbox, message: dict[str, Any]) -> bool:
    return any(m["id"] == message["id"] and m.get("channel_type") == 1 for m in sandbox.messages())


def _custom_ids(message: dict[str, Any]) -> list[tuple[str, str]]:
    return [(c["custom_id"], c["label"]) for row in message.get("components") or [] for c in row["components"]]


class Show:
    """Prints what a newcomer should see, and optionally every request and message as JSON lines."""

    def __init__(self, transcript: TextIO | None) -> None:
        self.transcript = transcript

    def say(self, text: str = "") -> None:
        print(text, flush=True)

    def record(self, kind: str, data: Any) -> None:
        if self.transcript is not None:
            self.transcript.write(json.dumps({"kind": kind, **data}, ensure_ascii=False, default=str) + "\n")

    def reply(self, who: str, command: str, response: dict[str, Any], locale: str | None = None) -> None:
        self.say(f"\n{who} › {command}")
        data = response.get("data") or {}
        if response.get("type") == 8:
            self.say("  suggestions: " + ", ".join(c["name"] for c in data.get("choices", [])))
            return
        text = render_text(data, datetime.now(UTC), locale)  # timestamps as the member's Discord shows them
        self.say("\n".join("  " + line for line in text.splitlines()))


async def run_demo(config: Config, seconds: int, transcript: TextIO | None) -> int:
    show = Show(transcript)
    sandbox = Sandbox()
    url = await sandbox.start()
    show.say(f"Local Discord sandbox at {url} — nothing leaves this machine.")
    with tempfile.TemporaryDirectory(prefix="release-bot-demo-") as tmp:
        demo = demo_config(config, seconds, f"sqlite+aiosqlite:///{Path(tmp) / 'demo.sqlite3'}")
        bot = await start_in_process(demo, url)
        try:
            synced = await bot.tree.sync()
            show.say(f"The real bot logged in as {bot.user} and registered: " + ", ".join(f"/{c.name}" for c in synced))
            ids = await sandbox.create_guild(
                "Demo server",
                ["general", "announcements"],
                [{"name": "alex"}, {"name": "sam", "admin": True}, {"name": "camille"}],
            )
            await bot.wait_for("guild_join", timeout=5)
            guild, general = ids["guild_id"], ids["channels"]["general"]
            alex, sam, camille = ids["members"]["alex"], ids["members"]["sam"], ids["members"]["camille"]
            show.say(
                "Created 'Demo server' with #general and #announcements; alex is a member, sam an admin, "
                "camille a member whose Discord is in French."
            )

            show.say("\n── Slash commands, typed by alex in #general ──")
            for command in MEMBER_COMMANDS:
                show.reply("alex", command, await sandbox.interact(guild, general, alex, command))
            typed = "/premiere timezone:new_y"
            show.reply(
                "alex",
                typed + "  (autocomplete)",
                await sandbox.interact(guild, general, alex, typed, focused="timezone"),
            )
            show.say("\n── Every reply speaks the member's language: camille's Discord is in French ──")
            for command in ("/countdown", "/premiere timezone:Europe/Paris"):
                response = await sandbox.interact(guild, general, camille, command, locale="fr")
                show.reply("camille", command, response, locale="fr")

            show.say("\n── The server's own release, added by sam (with a Discord event members can follow) ──")
            party = (datetime.now(UTC) + timedelta(days=3)).replace(hour=20, minute=0, second=0, microsecond=0)
            for command in (
                f'/release add name:"Movie night" when:"{party:%Y-%m-%d %H:%M}" timezone:UTC event:True',
                "/release list",
            ):
                show.reply("sam", command, await sandbox.interact(guild, general, sam, command))
            for event in sandbox.world.guilds[int(guild)].scheduled_events.values():
                where = (event.get("entity_metadata") or {}).get("location", "")
                show.say(
                    f"\n  Discord now lists the server event “{event['name']}” at {where}; members click Interested."
                )

            show.say("\n── Announcements and a live countdown message, set up by sam ──")
            release = demo.catalogue.get("demo-replay")
            role_seen = asyncio.ensure_future(bot.wait_for("guild_role_create", timeout=5))
            await sandbox.add_role(int(guild), "Watchers", mentionable=True)  # pinged by posts; members take it
            await role_seen
            show.say("  (sam made a role, @Watchers, for the posts to ping)")
            for command in (
                f"/announce setup channel:#announcements role:@Watchers release:{release.id} timezone:Europe/Paris",
                f"/announce live channel:#general release:{release.id}",
                "/announce status",
            ):
                show.reply("sam", command, await sandbox.interact(guild, general, sam, command))
            live = _live_footer(sandbox, general)
            show.say(f"\n── Waiting for the posts in #announcements (the release is {seconds} s away) ──")
            posts = sandbox.listen()
            deadline = release.release_at + timedelta(seconds=15)
            pressed = out = reminded = False
            while not (out and reminded):
                left = (deadline - datetime.now(UTC)).total_seconds()
                message = await asyncio.wait_for(posts.get(), max(left, 0.1))
                stamp = datetime.now(UTC).strftime("%H:%M:%S")
                if message.get("flags", 0) & 64:  # a private answer to a press, shown with the press
                    continue
                if _is_dm(sandbox, message):
                    show.say(f"  [{stamp}] 📬 a direct message to alex:")
                    text = render_timestamps(message["content"], datetime.now(UTC))
                    show.say("\n".join(f"  {'':10} > {line}" for line in text.splitlines()))
                    reminded = True
                    continue
                if message["channel_id"] != ids["channels"]["announcements"]:
                    continue
                show.say(f"  [{stamp}] #announcements: {render_timestamps(message['content'], datetime.now(UTC))}")
                buttons = "  ".join(
                    f"[{c['label']}]" for row in message.get("components") or [] for c in row["components"]
                )
                if buttons:
                    show.say(f"  {'':10} under it: {buttons}")
                live = await _show_live_edit(show, sandbox, general, live)
                out = out or "out now" in message["content"]
                if not pressed and buttons:  # alex asks for a DM, and to be pinged, from the first post
                    pressed = True
                    for custom_id, label in _custom_ids(message):
                        answer = await sandbox.press(alex, message["id"], custom_id)
                        show.reply("alex", f"presses [{label}] under the post", answer)
                    show.say("")
            show.say("\nThat's the whole tour. Run it for real: export DISCORD_TOKEN=... && release-bot run")
        except TimeoutError:
            show.say("The demo timed out waiting for a post: please report this as a bug.")
            return 1
        finally:
            for entry in sandbox.log:
                show.record("request", entry)
            for message in sandbox.messages():
                show.record("message", message)
            await bot.close()
            await sandbox.stop()
    return 0
