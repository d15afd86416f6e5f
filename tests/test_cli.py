"""The `release-bot` command line: its sub-commands, options and output formats are a contract."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import PACKAGED_CONFIG_DIR
from tests.conftest import ROOT


def release_bot(*args: str, stdin: str = "", env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, text=True, cwd=ROOT, env=env, timeout=60
    )


def test_console_json_countdown_before_the_premiere() -> None:
    done = release_bot("console", "--json", "--at", "2023-10-26T07:00:00Z", stdin="/countdown\n")
    assert done.returncode == 0, done.stderr
    line = json.loads(done.stdout)
    assert line["command"] == "countdown" and line["ephemeral"] is False
    embed = line["payload"]["embeds"][0]
    assert embed["title"] == "All the Light We Cannot See"
    assert embed["description"].startswith("**7 days** to go")
    assert embed["fields"][0]["value"].startswith("<t:1698908400:F>")  # 2023-11-02T07:00:00Z
    assert set(line["payload"]) == {"content", "embeds", "tts", "allowed_mentions", "components"}
    # The "🔔 Remind me" button for the release, while it is still to come.
    assert line["payload"]["components"] == [
        {
            "type": 1,
            "components": [
                {
                    "type": 2,
                    "style": 2,
                    "disabled": False,
                    "label": "🔔 Remind me",
                    "custom_id": "remind:all-the-light-we-cannot-see",
                }
            ],
        }
    ]


def test_console_after_the_premiere_and_bad_lines_go_on(capsys, monkeypatch) -> None:
    lines = '/countdown\n/premiere timezone:Nowhere/Land\n/cast name:"Hugh Laurie"\n/cast name:"open\nnot a command\n'
    monkeypatch.setattr(sys, "stdin", __import__("io").StringIO(lines))
    assert main(["console", "--json", "--at", "2026-11-25T07:00:00Z"]) == 0
    replies = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(replies) == 5
    # The command each line was meant to run, even when it did not parse; None when there is none.
    assert [r["command"] for r in replies] == ["countdown", "premiere", "cast", "cast", None]
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


@pytest.mark.parametrize(
    ("locale", "seen"),
    [
        (
            "fr",
            [
                "┃ Encore **7 jours** — sort dans 7 jours",
                "┃ Première: jeudi 2 novembre 2023 à 07:00 UTC (dans 7 jours)",
                "[🔔 Me le rappeler] (remind:all-the-light-we-cannot-see)",
                "(toi seul peux voir ceci)",
                "⚠️ «\u00a0Mars/Olympus\u00a0» n'est pas un fuseau horaire que je connais.",
                "⚠️ `nom` fait 150 caractères\u00a0; 100 au plus sont acceptés.",
            ],
        ),
        (
            "de",
            [
                "┃ Noch **7 Tage** — startet in 7 Tagen",  # "in" takes the dative: Tagen
                "┃ Premiere: Donnerstag, 2. November 2023, 07:00 UTC (in 7 Tagen)",
                "[🔔 Erinnere mich] (remind:all-the-light-we-cannot-see)",
                "(nur du siehst das)",
                "⚠️ „Mars/Olympus“ ist keine Zeitzone, die ich kenne.",
                "⚠️ `name` ist 150 Zeichen lang; höchstens 100 passen.",
            ],
        ),
        (
            "en",
            [
                "┃ **7 days** to go — premieres in 7 days",
                "┃ Premiere: Thursday 2 November 2023, 07:00 UTC (in 7 days)",
                "[🔔 Remind me] (remind:all-the-light-we-cannot-see)",
                "(only you can see this)",
                "⚠️ “Mars/Olympus” is not a time zone I know.",
                "⚠️ `name` is 150 characters long; at most 100 fit.",
            ],
        ),
    ],
)
def test_console_answers_in_the_language_given(locale: str, seen: list[str], capsys, monkeypatch) -> None:
    lines = f"/countdown\n/premiere timezone:Mars/Olympus\n/cast name:{'x' * 150}\n"
    monkeypatch.setattr(sys, "stdin", __import__("io").StringIO(lines))
    assert main(["console", "--locale", locale, "--at", "2023-10-26T07:00:00Z"]) == 0
    out = capsys.readouterr().out
    for text in seen:
        assert text in out, (text, out)


def test_console_in_a_language_the_bot_does_not_speak_is_refused(capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["console", "--locale", "ja"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == (
        "release-bot console: error: argument --locale: 'ja' is not a language the bot speaks: en, fr, de"
    )
    assert "Traceback" not in err


def test_console_press_remind_me_then_wait_and_the_reminder_arrives_once(capsys, monkeypatch) -> None:
    typed = "/countdown\n!press remind:all-the-light-we-cannot-see\n!wait 30m\n!wait 1h\n!wait 1h\n!wait soon\n"
    monkeypatch.setattr(sys, "stdin", __import__("io").StringIO(typed))
    assert main(["console", "--at", "2023-11-02T05:00:00Z"]) == 0
    countdown, pressed, early, due, after, bad = capsys.readouterr().out.strip().split("\n\n")
    assert countdown.endswith("[🔔 Remind me] (remind:all-the-light-we-cannot-see)")  # the button, to press
    assert "I'll send you a direct message **1 hour before** **All the Light We Cannot See**: Thursday 2 November " in (
        pressed
    )
    assert early.splitlines() == [
        "⏩ 30 minutes later: it is now Thursday 2 November 2023, 05:30 UTC.",
        "📭 No reminder was due meanwhile.",
    ]
    assert due.splitlines() == [
        "⏩ 1 hour later: it is now Thursday 2 November 2023, 06:30 UTC.",
        "📬 A direct message from the bot arrived at Thursday 2 November 2023, 06:00 UTC:",
        "> 🔔 Reminder: **All the Light We Cannot See** premieres in 1 hour: Thursday 2 November 2023, 07:00 UTC "
        "(in 1 hour)",  # as the member read it when it arrived, not as of the end of the wait
        "> -# You asked for this reminder. `/remind cancel` stops it; `/privacy` shows what I keep.",
    ]
    assert "📭 No reminder was due meanwhile." in after  # once, not again
    assert "`!wait` takes a duration such as `15m`, `1h` or `2d`" in bad


WAIT_REFUSED = (
    "⚠️ `!wait` takes a duration such as `15m`, `1h` or `2d`, of at most ten years (`3650d`). Nothing changed."
)


def test_console_wait_refuses_durations_too_long_or_not_in_ascii_digits(capsys, monkeypatch) -> None:
    typed = "!wait 99999999999d\n!wait 999999999d\n!wait 2900000d\n!wait 3651d\n!wait ٣m\n!wait 3650d\n!wait 3650d\n"
    monkeypatch.setattr(sys, "stdin", __import__("io").StringIO(typed))
    assert main(["console", "--at", "9990-01-01T00:00:00Z"]) == 0
    replies = capsys.readouterr().out.strip().split("\n\n")
    assert replies[:5] == [f"(only you can see this)\n{WAIT_REFUSED}"] * 5
    assert replies[5].startswith("⏩ 9 years, 11 months later: it is now Thursday 30 December 9999, 00:00 UTC.")
    # Waits add up: one more would pass the last date there is, and is refused like a bad duration, not a crash.
    assert replies[6] == (
        "(only you can see this)\n⚠️ That would go past the year 9999, the last the console knows. Nothing changed."
    )


def test_console_reminders_go_through_the_ledger_like_the_bot(capsys, monkeypatch) -> None:
    """A DM that arrived is sent in /remind list, and one sent stays sent when /release edit moves the release."""
    typed = (
        '/release add name:X when:"2026-11-27 12:00"\n/remind me release:X\n!wait 2d\n/remind list\n'
        '/release edit release:X when:"2026-11-30 12:00"\n!wait 5d\n/remind list\n'
    )
    monkeypatch.setattr(sys, "stdin", __import__("io").StringIO(typed))
    assert main(["console", "--at", "2026-11-26T12:00:00Z"]) == 0
    added, reminded, waited, listed, edited, waited_again, listed_again = capsys.readouterr().out.strip().split("\n\n")
    assert "✅ Added **X**" in added and "1 hour before" in reminded and "Monday 30 November 2026" in edited
    assert waited.splitlines()[1:3] == [
        "📬 A direct message from the bot arrived at Friday 27 November 2026, 11:00 UTC:",
        "> 🔔 Reminder: **X** premieres in 1 hour: Friday 27 November 2026, 12:00 UTC (in 1 hour)",
    ]
    assert listed.splitlines()[-1].endswith("— ✅ sent")
    assert waited_again.splitlines()[1] == "📭 No reminder was due meanwhile."  # not a second time
    assert listed_again.splitlines()[-1].endswith("— ✅ sent")


@pytest.mark.parametrize("bad", ["yesterday", "2023-13-01T00:00:00Z", "2023-10-26T07:00:00"])
def test_malformed_at_is_refused(bad, capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["console", "--at", bad])
    assert exit_.value.code == 2
    assert "--at" in capsys.readouterr().err


def test_plan_json_with_dst(capsys) -> None:
    assert main(["plan", "--tz", "Europe/Paris", "--daily", "20:00", "--at", "2023-10-27T12:00:00Z", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    first = rows[0]
    assert {k: first[k] for k in ("at", "local", "kind", "label")} == {
        "at": "2023-10-27T18:00:00Z",
        "local": "2023-10-27T20:00:00+02:00",
        "kind": "daily",
        "label": "daily 20:00",
    }
    # The post's words are for its own instant: 5 days 13 hours before 2023-11-02T07:00:00Z.
    assert "5 days, 13 hours" in first["text"] and "All the Light We Cannot See" in first["text"]
    assert "<t:1698908400:F>" in first["text"]
    by_at = {r["at"]: r for r in rows}
    assert by_at["2023-10-28T18:00:00Z"]["local"] == "2023-10-28T20:00:00+02:00"
    assert by_at["2023-10-29T19:00:00Z"]["local"] == "2023-10-29T20:00:00+01:00"
    assert "3 days, 12 hours" in by_at["2023-10-29T19:00:00Z"]["text"]  # after the clocks went back
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
    with pytest.raises(SystemExit) as exit_:
        main(["plan", "--daily", "25:00"])
    assert exit_.value.code == 2
    assert "argument --daily: '25:00' is not a time of day" in capsys.readouterr().err


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
    catalogue += (
        '\n[[release]]\nid = "Bad Id"\ntitle = "' + "x" * 3000 + '"\nkind = "film"\n'
        'release_at = "soon"\ntimezone = "UTC"\n'
    )
    (tmp_path / "releases.toml").write_text(catalogue)
    (tmp_path / "settings.toml").write_text('[announcements]\ngrace = "an hour"\n')
    assert main(["check-config", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    releases = str(tmp_path / "releases.toml")
    for line in (
        f"{releases}: release[0].timezone: 'Mars/Olympus' is not an IANA time zone",
        f"{releases}: release[0].episodes: must be a positive whole number",
        f"{releases}: release[0].episdoes: is not a known key (a typo?)",
        f"{releases}: release[1].id: must be lower-case letters",
        f"{releases}: release[1].title: is 3000 characters long; the limit is 100",
        f"{releases}: release[1].release_at: 'soon' is not a date and time",
        f"{tmp_path / 'settings.toml'}: announcements.grace: 'an hour' is not a duration",
    ):
        assert line in err
    assert main(["console", "--config", str(tmp_path)]) == 1
    assert "has problems" in capsys.readouterr().err


def test_every_subcommand_has_help() -> None:
    options = {
        "console": ["--at", "--json", "--locale"],
        "plan": ["--release", "--tz", "--daily", "--at", "--json"],
        "check-config": ["path"],
        "run": ["--sandbox", "--shard-ids", "--shard-count", "--metrics-port"],
        "sync": ["--guild", "--sandbox"],
        "sandbox": ["--port", "--latency-ms"],
        "demo": ["--seconds", "--transcript"],
        "db upgrade": [],
        "ics": ["--release", "--out"],
    }
    for sub, expected in options.items():
        done = release_bot(*sub.split(), "--help")
        assert done.returncode == 0, (sub, done.stderr)
        assert done.stdout.startswith(f"usage: release-bot {sub}"), sub
        for option in ["--config", *expected]:
            assert option in done.stdout, (sub, option)


def test_version() -> None:
    from importlib.metadata import version

    done = release_bot("--version")
    assert done.returncode == 0 and done.stdout == f"release-bot {version('release-bot')}\n"


def test_interactive_console_in_a_terminal(tmp_path: Path) -> None:
    """With a terminal the console prompts (with history) and answers; Ctrl-D quits."""
    import os
    import pty
    import select
    import time

    controller, terminal = pty.openpty()
    # No terminal emulator answers cursor-position requests here: tell prompt_toolkit not to ask.
    env = {**os.environ, "HOME": str(tmp_path), "TERM": "xterm", "PROMPT_TOOLKIT_NO_CPR": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "console", "--at", "2023-10-26T07:00:00Z"],
        cwd=ROOT,
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env=env,
    )
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


def no_traceback_one_line(done: subprocess.CompletedProcess, message: str) -> None:
    """A failure as the operator should see it: non-zero, the reason on the last line, no traceback."""
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith(f"release-bot: {message}"), done.stderr


def env(**changes: str) -> dict[str, str]:
    import os

    base = {k: v for k, v in os.environ.items() if k not in ("DISCORD_TOKEN", "DATABASE_URL")}
    return {**base, **changes}


@pytest.mark.parametrize("command", ["run", "sync"])
def test_no_network_is_one_line(command) -> None:
    done = release_bot(command, "--sandbox", "http://127.0.0.1:1", env=env())
    no_traceback_one_line(done, "cannot reach the sandbox at http://127.0.0.1:1: Cannot connect to host 127.0.0.1:1")


def test_db_upgrade_with_postgresql_down(tmp_path: Path) -> None:
    done = release_bot("db", "upgrade", env=env(DATABASE_URL="postgresql://bot:hunter2@127.0.0.1:1/db"))
    no_traceback_one_line(done, "cannot connect to the database postgresql+asyncpg://bot:***@127.0.0.1:1/db: ")
    assert "hunter2" not in done.stderr


def test_db_upgrade_says_where_the_database_is(tmp_path: Path) -> None:
    done = release_bot("db", "upgrade", env=env(DATABASE_URL=f"sqlite:///{tmp_path / 'x' / 'bot.sqlite3'}"))
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(
        rf"Database is at revision \w+: sqlite\+aiosqlite:///{tmp_path / 'x' / 'bot.sqlite3'}\n", done.stdout
    ), done.stdout
    assert (tmp_path / "x" / "bot.sqlite3").is_file()


@pytest.mark.parametrize(
    ("url", "shown"),
    [("mysql://x", "mysql://x"), ("garbage", "garbage"), ("mysql://bot:hunter2@db/bot", "mysql://bot:***@db/bot")],
)
def test_unsupported_database_urls(url, shown, capsys, monkeypatch) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    problem = (
        f"environment: DATABASE_URL: '{shown}' is not a supported database URL: "
        "use postgresql://user:password@host/db or sqlite:///path/to/file.sqlite3"
    )
    assert main(["check-config"]) == 1
    err = capsys.readouterr().err
    assert problem in err.splitlines() and "hunter2" not in err
    assert main(["db", "upgrade"]) == 1
    assert problem in capsys.readouterr().err.splitlines()


def test_db_upgrade_with_a_bad_url_in_a_process() -> None:
    done = release_bot("db", "upgrade", env=env(DATABASE_URL="garbage"))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    first, problem = done.stderr.splitlines()
    assert first.startswith("release-bot: the configuration in ") and first.endswith(
        "has problems (run `release-bot check-config config`):"
    )  # the checkout's config/
    assert problem.startswith("environment: DATABASE_URL: 'garbage' is not a supported database URL")


def test_blank_token_is_no_token(monkeypatch, capsys) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "   ")
    assert main(["run"]) == 2
    assert "DISCORD_TOKEN is not set (or blank)" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["sync", "--sandbox", "notaurl"], "argument --sandbox: 'notaurl' is not a sandbox URL"),
        (["run", "--sandbox", "127.0.0.1:8080"], "argument --sandbox: '127.0.0.1:8080' is not a sandbox URL"),
        (["sandbox", "--port", "70000"], "argument --port: '70000' is not a port number from 0 to 65535"),
        (["sandbox", "--latency-ms", "-100"], "argument --latency-ms: '-100' is not a whole number of 0 or more"),
        (["run", "--metrics-port", "-1"], "argument --metrics-port: '-1' is not a port number"),
        (
            ["plan", "--at", "0001-01-01T00:00:00Z", "--daily", "10:00"],
            "argument --at: '0001-01-01T00:00:00Z' is outside the years 1970 to 9998",
        ),
        (["console", "--at", "9999-12-31T23:59:59-05:00"], "is outside the years 1970 to 9998"),
    ],
)
def test_bad_options_are_refused_by_the_parser(args, message, capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(args)
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


def test_empty_zone_is_refused(capsys) -> None:
    assert main(["plan", "--tz", ""]) == 1
    assert "'' is not an IANA time zone" in capsys.readouterr().err


def test_sandbox_on_a_port_in_use(capsys) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["sandbox", "--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"release-bot: cannot listen on port {port}: ") and "leave --port out" in err


def test_demo_with_an_unwritable_transcript_starts_nothing(capsys) -> None:
    assert main(["demo", "--transcript", "/nonexistent/x"]) == 1
    out, err = capsys.readouterr()
    assert err == "release-bot: cannot write the transcript /nonexistent/x: No such file or directory\n"
    assert out == ""  # not even the sandbox


@pytest.mark.parametrize(
    ("args", "stdin"),
    [
        (["plan", "--json", "--at", "1970-01-02T00:00:00Z", "--daily", "10:00"], ""),  # megabytes of JSON
        (["console", "--at", "2023-10-26T07:00:00Z"], "/countdown\n" * 5000),
    ],
)
def test_a_closed_pipe_ends_quietly(args, stdin) -> None:
    """`release-bot plan --json | head -c 100`: the reader leaves early; no traceback, no noise."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    if stdin:
        process.stdin.write(stdin.encode())
    process.stdin.close()
    assert len(process.stdout.read(100)) == 100
    process.stdout.close()
    assert process.wait(timeout=60) == 1
    assert process.stderr.read() == b""


def test_check_config_given_a_file_checks_its_folder(tmp_path: Path, capsys) -> None:
    assert main(["check-config", str(PACKAGED_CONFIG_DIR / "releases.toml")]) == 0
    assert capsys.readouterr().out.startswith(f"{PACKAGED_CONFIG_DIR}: OK — 1 release(s)")
    other = tmp_path / "notes.txt"
    other.write_text("hello")
    assert main(["check-config", str(other)]) == 1
    assert capsys.readouterr().err == (
        f"release-bot: {other} is a file: give the directory that holds releases.toml and settings.toml\n"
    )
    assert main(["check-config", str(tmp_path / "nowhere")]) == 1
    assert f"{tmp_path / 'nowhere'}: no such directory" in capsys.readouterr().err


def test_file_level_problems_name_the_file_alone(tmp_path: Path, capsys, monkeypatch) -> None:
    assert main(["check-config", str(tmp_path)]) == 1
    assert capsys.readouterr().err.splitlines()[0] == f"{tmp_path / 'releases.toml'}: file not found"
    (tmp_path / "releases.toml").write_bytes("# caf\xe9\n".encode("latin-1") + b'featured = "x"\n')
    assert main(["check-config", str(tmp_path)]) == 1
    assert capsys.readouterr().err.splitlines()[0] == (
        f"{tmp_path / 'releases.toml'}: is not UTF-8 text (byte 0xe9 at offset 5): save it as UTF-8"
    )
    monkeypatch.setattr(sys, "stdin", __import__("io").StringIO("/countdown\n"))
    assert main(["console", "--config", str(tmp_path)]) == 1
    assert f"{tmp_path / 'releases.toml'}: is not UTF-8 text" in capsys.readouterr().err


def shipped_catalogue_with(tmp_path: Path, old: str, new: str) -> Path:
    catalogue = (PACKAGED_CONFIG_DIR / "releases.toml").read_text()
    assert old in catalogue
    (tmp_path / "releases.toml").write_text(catalogue.replace(old, new))
    return tmp_path


@pytest.mark.parametrize(
    ("release_at", "problem"),
    [
        (
            '"2023-11-02T00:00:00Z"',
            "'2023-11-02T00:00:00Z' has the UTC offset +0000 but America/Los_Angeles is at -0700",
        ),
        ("2023-11-02T00:00:00+02:00", "'2023-11-02 00:00:00+02:00' has the UTC offset +0200 but America/Los_Angeles"),
    ],
)
def test_release_at_with_a_contradicting_offset_is_a_problem(release_at, problem, tmp_path, capsys) -> None:
    """release_at is local wall-clock time in `timezone`; a Z would move a Los Angeles premiere by 7 hours."""
    directory = shipped_catalogue_with(tmp_path, 'release_at = "2023-11-02T00:00:00"', f"release_at = {release_at}")
    assert main(["check-config", str(directory)]) == 1
    assert f"{directory / 'releases.toml'}: release[0].release_at: {problem}" in capsys.readouterr().err


def test_release_at_with_the_zones_own_offset_is_the_same_instant(tmp_path: Path) -> None:
    from bot.config import load_config

    directory = shipped_catalogue_with(
        tmp_path, 'release_at = "2023-11-02T00:00:00"', 'release_at = "2023-11-02T00:00:00-07:00"'
    )
    release = load_config(directory, environ={}).catalogue.featured
    assert release.release_at.isoformat() == "2023-11-02T07:00:00+00:00"


def test_missing_release_at_says_it_is_missing(tmp_path: Path, capsys) -> None:
    directory = shipped_catalogue_with(tmp_path, 'release_at = "2023-11-02T00:00:00"\n', "")
    assert main(["check-config", str(directory)]) == 1
    err = capsys.readouterr().err
    assert (
        f"{directory / 'releases.toml'}: release[0].release_at: is required: the local date and time of the "
        "release in its timezone, e.g. '2023-11-02T00:00:00'"
    ) in err
    assert "None" not in err


def test_logs_are_plain_and_never_show_the_token(monkeypatch, capsys) -> None:
    import logging

    from bot.cli import configure_logging

    monkeypatch.setenv("DISCORD_TOKEN", "  MTAx.secret-token  ")
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging()
        logging.getLogger("bot.test").warning("connecting with %s", "MTAx.secret-token")
        logging.getLogger("apscheduler.executors.default").info("Running job x")
        logging.getLogger("alembic.runtime.migration").info("Context impl SQLiteImpl.")
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
        for name in ("apscheduler", "alembic", "discord"):
            logging.getLogger(name).setLevel(logging.NOTSET)
    err = capsys.readouterr().err
    assert err.endswith(" WARNING bot.test: connecting with [DISCORD_TOKEN]\n"), err
    assert "secret" not in err and "Running job" not in err and "Context impl" not in err and "\x1b[" not in err


def test_a_logged_exception_stays_on_its_line_unless_verbose(capsys) -> None:
    """discord.py logs each failed gateway reconnect with its traceback: in `run`'s logs it is one line."""
    import logging

    from bot.cli import configure_logging

    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        for verbose in (False, True):
            configure_logging(verbose=verbose)
            try:
                try:
                    raise OSError("Connect call failed ('127.0.0.1', 9)")
                except OSError as first:
                    raise ConnectionError("Cannot connect to host gateway.discord.gg:443\nssl:default") from first
            except ConnectionError:
                logging.getLogger("discord.client").exception("Attempting a reconnect in %.2fs", 5.0)
            lines = capsys.readouterr().err.splitlines()
            if not verbose:
                assert len(lines) == 1, lines
                assert lines[0].endswith(
                    " ERROR   discord.client: Attempting a reconnect in 5.00s "
                    "(ConnectionError: Cannot connect to host gateway.discord.gg:443 ssl:default)"
                ), lines
            else:  # --verbose: the whole traceback, both exceptions
                assert lines[1] == "Traceback (most recent call last):"
                assert "OSError: Connect call failed ('127.0.0.1', 9)" in lines and lines[-1] == "ssl:default"
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
        for name in ("apscheduler", "alembic", "discord"):
            logging.getLogger(name).setLevel(logging.NOTSET)


def test_console_reads_a_stray_non_utf8_byte_without_crashing() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "console", "--json", "--at", "2023-10-26T07:00:00Z"],
        input=b"/premiere timezone:Caf\xe9\n/countdown\n",
        capture_output=True,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    first, second = (json.loads(line) for line in done.stdout.decode().splitlines())
    assert first["ephemeral"] is True and "Caf\ufffd" in first["payload"]["content"]
    assert second["command"] == "countdown" and second["ephemeral"] is False


def test_a_database_migrated_by_a_newer_version_is_one_line(tmp_path) -> None:
    import sqlite3

    database = tmp_path / "newer.sqlite3"
    with sqlite3.connect(database) as connection:  # as a newer release-bot would leave it
        connection.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
        connection.execute("INSERT INTO alembic_version VALUES ('9999_from_the_future')")
    done = release_bot("db", "upgrade", env=env(DATABASE_URL=f"sqlite:///{database}"))
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    [line] = [line for line in done.stderr.splitlines() if line.startswith("release-bot:")]
    assert "has a schema this release-bot does not know" in line and "9999_from_the_future" in line


def test_console_remind_me_wording(capsys, monkeypatch) -> None:
    """ "at the premiere of X"; pressing 🔔 again changes nothing and says so; a made-up moment is an error."""
    menu = "!press remind-at:all-the-light-we-cannot-see"
    typed = f"!press remind:all-the-light-we-cannot-see\n!press remind:all-the-light-we-cannot-see\n{menu} 2h\n"
    typed += f"{menu} 0m\n{menu} 1d\n"
    monkeypatch.setattr(sys, "stdin", __import__("io").StringIO(typed))
    assert main(["console", "--json", "--at", "2023-10-26T07:00:00Z"]) == 0
    first, again, bad, premiere, day = [
        json.loads(line)["payload"]["content"] for line in capsys.readouterr().out.splitlines()
    ]
    assert "earlier" not in first and "nothing changed" not in first
    assert "**1 hour before** **All the Light We Cannot See**" in again
    assert "You already had this reminder, so nothing changed." in again and "replaces" not in again
    assert bad == "⚠️ That is not a moment I can remind you at: choose 1d, 1h or 15m before, or 0m at the premiere."
    assert "direct message **at the premiere of** **All the Light We Cannot See**" in premiere
    assert "It replaces your earlier reminder for this release." in premiere
    assert "**1 day before**" in day and "It replaces your earlier reminder" in day


def test_console_announce_setup_in_its_pretend_servers_channel(capsys, monkeypatch) -> None:
    """/announce status says to start with /announce setup: in the console that works, in its one channel."""
    typed = (
        "/announce status\n/announce setup channel:#random\n/announce setup channel:#general role:@fans\n"
        "/announce setup channel:#general\n/announce status\n"
    )
    monkeypatch.setattr(sys, "stdin", __import__("io").StringIO(typed))
    assert main(["console", "--at", "2023-10-26T07:00:00Z"]) == 0
    status, unknown, role, setup, after = capsys.readouterr().out.strip().split("\n\n")
    assert "Start with `/announce setup`." in status
    assert unknown == (
        "(only you can see this)\n⚠️ This console's pretend server has one channel, #general: type `channel:#general`."
    )
    assert role == "(only you can see this)\n⚠️ This console's pretend server has no roles: leave `role` out."
    assert "✅ Countdown posts for **All the Light We Cannot See** will go to #general." in setup
    assert "┃ Channel: #general" in after and "Thursday 2 November 2023, 06:00 UTC — 1 hour before" in after
