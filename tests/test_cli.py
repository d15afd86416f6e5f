"""The `release-bot` command line: its sub-commands, options and output formats are a contract."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import PACKAGED_CONFIG_DIR
from tests.conftest import ROOT


def release_bot(*args: str, stdin: str = "", env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=60)


def test_console_json_countdown_before_the_premiere() -> None:
    done = release_bot("console", "--json", "--at", "2023-10-26T07:00:00Z", stdin="/countdown\n")
    assert done.returncode == 0, done.stderr
    line = json.loads(done.stdout)
    assert line["command"] == "countdown" and line["ephemeral"] is False
    text = json.dumps(line["payload"], ensure_ascii=False)
    assert "7 days" in text and "<t:1698908400" in text
    assert set(line["payload"]) == {"content", "embeds", "tts", "allowed_mentions"}


def test_console_after_the_premiere_and_bad_lines_go_on(capsys, monkeypatch) -> None:
    lines = '/countdown\n/premiere timezone:Nowhere/Land\n/cast name:"Hugh Laurie"\n/cast name:"open\nnot a command\n'
    monkeypatch.setattr(sys, "stdin", __import__("io").StringIO(lines))
    assert main(["console", "--json", "--at", "2026-11-25T07:00:00Z"]) == 0
    replies = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(replies) == 5
    assert "Premiered 3 years, 23 days ago" in replies[0]["payload"]["embeds"][0]["description"]
    assert [r["ephemeral"] for r in replies] == [False, True, False, True, True]
    assert "Nowhere/Land" in replies[1]["payload"]["content"]
    assert replies[2]["payload"]["embeds"][0]["title"] == "Hugh Laurie as Etienne LeBlanc"
    assert "quote is not closed" in replies[3]["payload"]["content"]
    assert "Commands start with `/`" in replies[4]["payload"]["content"]


def test_console_text_mode_renders_timestamps(capsys, monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdin", __import__("io").StringIO("/premiere timezone:Asia/Tokyo\n"))
    assert main(["console", "--at", "2023-11-01T07:00:00Z"]) == 0
    out = capsys.readouterr().out
    assert "Thursday 2 November 2023, 16:00 JST (UTC+09:00)" in out
    assert "Thursday 2 November 2023, 07:00 UTC (in 1 day)" in out


@pytest.mark.parametrize("bad", ["yesterday", "2023-13-01T00:00:00Z", "2023-10-26T07:00:00"])
def test_malformed_at_is_refused(bad, capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["console", "--at", bad])
    assert exit_.value.code == 2
    assert "--at" in capsys.readouterr().err


def test_plan_json_with_dst(capsys) -> None:
    assert main(["plan", "--tz", "Europe/Paris", "--daily", "20:00", "--at", "2023-10-27T12:00:00Z", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0] == {
        "at": "2023-10-27T18:00:00Z", "local": "2023-10-27T20:00:00+02:00", "kind": "daily", "label": "daily 20:00",
        "text": rows[0]["text"]}
    by_at = {r["at"]: r for r in rows}
    assert by_at["2023-10-28T18:00:00Z"]["local"] == "2023-10-28T20:00:00+02:00"
    assert by_at["2023-10-29T19:00:00Z"]["local"] == "2023-10-29T20:00:00+01:00"
    assert by_at["2023-11-01T07:00:00Z"]["kind"] == "milestone"
    assert rows[-1]["kind"] == "premiere" and rows[-1]["at"] == "2023-11-02T07:00:00Z"
    assert [r["at"] for r in rows] == sorted(r["at"] for r in rows)


def test_plan_after_the_premiere_is_empty(capsys) -> None:
    assert main(["plan", "--at", "2026-11-25T07:00:00Z", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["plan", "--at", "2026-11-25T07:00:00Z"]) == 0
    out = capsys.readouterr().out
    assert "premiered 3 years, 23 days ago" in out and "nothing left to announce" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["plan", "--tz", "Mars/Olympus"], "'Mars/Olympus' is not an IANA time zone"),
        (["plan", "--release", "dune-3"], "unknown release 'dune-3'"),
    ],
)
def test_plan_bad_input(args, message, capsys) -> None:
    assert main(args) == 1
    assert message in capsys.readouterr().err


def test_plan_bad_daily_time(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["plan", "--daily", "25:00"])
    assert "'25:00' is not a time of day" in capsys.readouterr().err


def test_run_without_a_token_explains(monkeypatch, capsys) -> None:
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert "export DISCORD_TOKEN" in err and "release-bot demo" in err


def test_check_config_ok_and_every_problem_listed(tmp_path: Path, capsys) -> None:
    assert main(["check-config", str(PACKAGED_CONFIG_DIR)]) == 0
    assert "OK — 1 release(s)" in capsys.readouterr().out
    shutil.copytree(PACKAGED_CONFIG_DIR, tmp_path, dirs_exist_ok=True)
    catalogue = (tmp_path / "releases.toml").read_text()
    catalogue = catalogue.replace('timezone = "America/Los_Angeles"', 'timezone = "Mars/Olympus"')
    catalogue = catalogue.replace("episodes = 4", "episodes = -1\nepisdoes = 4")
    catalogue += '\n[[release]]\nid = "Bad Id"\ntitle = "' + "x" * 3000 + '"\nkind = "film"\n' \
                 'release_at = "soon"\ntimezone = "UTC"\n'
    (tmp_path / "releases.toml").write_text(catalogue)
    (tmp_path / "settings.toml").write_text('[announcements]\ngrace = "an hour"\n')
    assert main(["check-config", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    releases = str(tmp_path / "releases.toml")
    for line in (f"{releases}: release[0].timezone: 'Mars/Olympus' is not an IANA time zone",
                 f"{releases}: release[0].episodes: must be a positive whole number",
                 f"{releases}: release[0].episdoes: is not a known key (a typo?)",
                 f"{releases}: release[1].id: must be lower-case letters",
                 f"{releases}: release[1].title: is 3000 characters long; the limit is 100",
                 f"{releases}: release[1].release_at: 'soon' is not a date and time",
                 f"{tmp_path / 'settings.toml'}: announcements.grace: 'an hour' is not a duration"):
        assert line in err
    assert main(["console", "--config", str(tmp_path)]) == 1
    assert "has problems" in capsys.readouterr().err


def test_every_subcommand_has_help() -> None:
    for sub in ("console", "plan", "check-config", "run", "sync", "sandbox", "demo"):
        done = release_bot(sub, "--help")
        assert done.returncode == 0 and "--config" in done.stdout, sub


def test_interactive_console_in_a_terminal(tmp_path: Path) -> None:
    """With a terminal the console prompts (with history) and answers; Ctrl-D quits."""
    import os
    import pty
    import select
    import time

    controller, terminal = pty.openpty()
    # No terminal emulator answers cursor-position requests here: tell prompt_toolkit not to ask.
    env = {**os.environ, "HOME": str(tmp_path), "TERM": "xterm", "PROMPT_TOOLKIT_NO_CPR": "1"}
    process = subprocess.Popen([sys.executable, "-m", "bot", "console", "--at", "2023-10-26T07:00:00Z"], cwd=ROOT,
                               stdin=terminal, stdout=terminal, stderr=terminal, env=env)
    os.close(terminal)
    seen = b""

    def read_until(marker: bytes, timeout: float = 30, start: int = 0) -> None:
        nonlocal seen
        deadline = time.monotonic() + timeout
        while marker not in seen[start:]:
            assert time.monotonic() < deadline, seen.decode(errors="replace")[-2000:]
            ready, _, _ = select.select([controller], [], [], 0.5)
            if ready:
                seen += os.read(controller, 65536)

    try:
        read_until(b"type /help")
        os.write(controller, b"/premiere timezone:Asia/Kolkata\r")
        read_until(b"12:30 IST (UTC+05:30)")
        read_until(b"limited series")
        read_until(b"\x1b[?2004h", start=seen.rindex(b"limited series"))  # the next prompt is up
        os.write(controller, b"\x04")
        assert process.wait(timeout=30) == 0
    finally:
        process.kill()
        os.close(controller)
    assert (tmp_path / ".release_bot_history").read_text().strip().endswith("/premiere timezone:Asia/Kolkata")
