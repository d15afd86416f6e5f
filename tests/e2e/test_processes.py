"""The commands an operator runs as processes: demo, sandbox + run --sandbox, db upgrade."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import aiohttp

from bot.commands.registry import REGISTRY
from tests.conftest import ROOT


def env_without_token(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    return {**env, **extra}


async def release_bot(
    *args: str, env: dict[str, str] | None = None, stderr_file: Path | None = None
) -> asyncio.subprocess.Process:
    """`release-bot ARGS`; a long-running one writes its stderr to `stderr_file` (shown if the test fails)."""
    if stderr_file is None:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            *args,
            cwd=ROOT,
            env=env or env_without_token(),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
    with stderr_file.open("wb") as stderr:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            *args,
            cwd=ROOT,
            env=env or env_without_token(),
            stdout=asyncio.subprocess.PIPE,
            stderr=stderr,
        )


async def test_demo_runs_every_command_and_shows_the_posts(tmp_path: Path) -> None:
    transcript = tmp_path / "demo.jsonl"
    process = await release_bot("demo", "--seconds", "8", "--transcript", str(transcript))
    out, err = await asyncio.wait_for(process.communicate(), 90)
    text = out.decode()
    assert process.returncode == 0, err.decode()[-2000:]
    for seen in (
        "alex › /countdown",
        "Premiered 3 years",
        "Hugh Laurie as Etienne LeBlanc",
        "Clair de Lune",
        "“Mars/Olympus” is not a time zone I know",
        "suggestions: America/New_York",
        "✅ Countdown posts for **All the Light We Cannot See (demo replay)**",
        "premieres on Netflix in 2 seconds",
        "is out now — all 4 episodes are streaming on Netflix!",
        'sam › /release add name:"Movie night"',
        "📅 Created the server event: members can click *Interested*.",
        "Discord now lists the server event “Movie night”",
        "✅ Posted the live countdown for **All the Light We Cannot See (demo replay)**",
        "#general: the live countdown message was edited: “Live countdown: 6 seconds to go at the last update”",
        "#general: the live countdown message was edited: “Out now”",
        "camille › /countdown",  # a member whose Discord is in French gets French
        "Première il y a 3 ans",
        "camille › /premiere timezone:Europe/Paris",
        "All the Light We Cannot See — première",
        "under it: [🔔 Remind me]  [📣 Get pinged]",
        "alex › presses [🔔 Remind me] under the post",
        "🔔 I'll send you a direct message **at the premiere of** **All the Light We Cannot See (demo replay)**",
        "alex › presses [📣 Get pinged] under the post",
        "🔔 You'll be pinged with this server's countdown posts: you now have <@&",
        "📬 a direct message to alex:\n"
        + " " * 13
        + "> 🔔 **All the Light We Cannot See (demo replay)** is out now — all 4 episodes are streaming on Netflix!",
    ):
        assert seen in text, seen
    assert text.count("📬 a direct message to alex") == 1  # the reminder, exactly once
    lines = [json.loads(line) for line in transcript.read_text().splitlines()]
    kinds = {line["kind"] for line in lines}
    assert kinds == {"request", "message"}
    assert all(not line["problems"] for line in lines if line["kind"] == "request")


async def test_standalone_sandbox_and_run_against_it(tmp_path: Path) -> None:
    sandbox = await release_bot("sandbox", stderr_file=tmp_path / "bot-sandbox.stderr")
    bot = None
    try:
        first = (await asyncio.wait_for(sandbox.stdout.readline(), 30)).decode().strip()
        assert first.startswith("SANDBOX_URL=http://127.0.0.1:")
        url = first.split("=", 1)[1]
        async with aiohttp.ClientSession() as http:
            async with http.post(
                f"{url}/_sandbox/guilds",
                json={"name": "Script server", "channels": ["general"], "members": [{"name": "kim"}]},
            ) as r:
                ids = await r.json()
            sync = await release_bot("sync", "--sandbox", url)
            out, err = await asyncio.wait_for(sync.communicate(), 60)
            assert sync.returncode == 0, err.decode()
            top_level = {spec.name.split()[0] for spec in REGISTRY}  # /announce counts once for its sub-commands
            assert f"Registered {len(top_level)} commands" in out.decode()
            bot = await release_bot(
                "run",
                "--sandbox",
                url,
                env=env_without_token(DATABASE_URL=f"sqlite:///{tmp_path / 'bot.sqlite3'}"),
                stderr_file=tmp_path / "bot-run.stderr",
            )
            body = {
                "guild_id": ids["guild_id"],
                "channel_id": ids["channels"]["general"],
                "user_id": ids["members"]["kim"],
                "command": '/cast name:"Hugh Laurie"',
            }
            for _ in range(100):  # until the bot has logged in (a 504 means nobody answered yet)
                async with http.post(f"{url}/_sandbox/interactions", json=body) as r:
                    if r.status == 200:
                        answer = await r.json()
                        break
                    assert r.status == 504, await r.text()
            assert answer["response"]["data"]["embeds"][0]["title"] == "Hugh Laurie as Etienne LeBlanc"
            async with http.get(f"{url}/_sandbox/messages", params={"channel_id": ids["channels"]["general"]}) as r:
                messages = await r.json()
            assert messages[-1]["embeds"][0]["title"] == "Hugh Laurie as Etienne LeBlanc"
            async with http.get(f"{url}/_sandbox/log") as r:
                assert (await r.json())["violations"] == []
    finally:
        for process in (bot, sandbox):
            if process is not None and process.returncode is None:
                process.send_signal(signal.SIGTERM)
                await asyncio.wait_for(process.wait(), 30)


async def test_db_upgrade(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    for _ in range(2):  # idempotent
        process = await release_bot("db", "upgrade", env=env_without_token(DATABASE_URL=url))
        out, err = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode == 0, err.decode()
        assert out.decode().startswith("Database is at revision 0005: sqlite+aiosqlite:///")
