"""Calendar files: the .ics parsed back with icalendar, the Google Calendar link, /calendar, the console and
`release-bot ics`."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import discord
import pytest
from discord.webhook.async_ import interaction_message_response_params
from icalendar import Calendar

from bot.cli import main
from bot.commands.registry import REGISTRY, CommandContext, autocomplete, dispatch
from bot.config import Config
from bot.discord.respond import NO_PINGS, reply_extras
from bot.domain.calendar import build_ics, calendar_filename, google_calendar_link
from bot.domain.releases import Catalogue, Release
from tests.conftest import PREMIERE, ROOT

BEFORE = datetime(2023, 10, 26, 7, 0, tzinfo=UTC)  # a week before the shipped premiere
AFTER = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)


def at(base: Release, local: str, zone: str, **changes: object) -> Release:
    """`base` moved to the wall-clock time `local` ("2027-01-01T00:00") in `zone`, as the catalogue states releases."""
    tz = ZoneInfo(zone)
    moment = datetime.fromisoformat(local).replace(tzinfo=tz)
    return replace(base, release_at=moment.astimezone(UTC), timezone=tz, **changes)


def event_of(data: bytes):  # type: ignore[no-untyped-def]
    calendar = Calendar.from_ical(data)
    [event] = calendar.walk("VEVENT")
    return calendar, event


def test_the_file_parses_back_to_the_premiere_instant(config: Config) -> None:
    release = config.catalogue.featured
    now = datetime(2023, 10, 20, 9, 30, 15, tzinfo=UTC)
    data = build_ics(release, now)
    calendar, event = event_of(data)
    assert str(calendar["VERSION"]) == "2.0" and calendar["PRODID"]
    assert str(event["UID"]) == "all-the-light-we-cannot-see@release-bot"
    assert event.decoded("DTSTART") == PREMIERE and event.decoded("DTSTART").utcoffset() == timedelta(0)
    assert event.decoded("DTEND") == PREMIERE + timedelta(hours=1)
    assert event.decoded("DTSTAMP") == now
    assert b"\r\nDTSTART:20231102T070000Z\r\n" in data  # in UTC as written, no TZID to resolve
    assert str(event["SUMMARY"]) == "All the Light We Cannot See"
    description = str(event["DESCRIPTION"])
    assert "Where to watch: Netflix" in description and "Marie-Laure" in description
    assert "**" not in description and "<t:" not in description  # plain text: calendars show no markdown
    assert str(event["LOCATION"]) == "Netflix"
    [alarm] = event.walk("VALARM")
    assert str(alarm["ACTION"]) == "DISPLAY"
    assert alarm.decoded("TRIGGER") == -timedelta(hours=1)
    assert b"TRIGGER:-PT1H" in data
    assert all(line.endswith(b"\r") for line in data.split(b"\n")[:-1])  # RFC 5545: CRLF line ends


def test_the_uid_is_stable_and_dtstamp_is_when_the_file_was_made(config: Config) -> None:
    release = config.catalogue.featured
    first = event_of(build_ics(release, BEFORE))[1]
    later = event_of(build_ics(release, BEFORE + timedelta(days=2)))[1]
    assert first["UID"] == later["UID"]  # importing it again updates the event rather than adding a second
    assert later.decoded("DTSTAMP") - first.decoded("DTSTAMP") == timedelta(days=2)


# Wall-clock times far from UTC and on both sides of a DST change, with the UTC instants worked out by hand.
FAR_ZONES = [
    ("Pacific/Kiritimati", "2027-01-01T00:00", datetime(2026, 12, 31, 10, 0, tzinfo=UTC)),  # UTC+14
    ("Pacific/Pago_Pago", "2027-01-01T00:00", datetime(2027, 1, 1, 11, 0, tzinfo=UTC)),  # UTC-11
    ("Europe/Paris", "2027-03-27T20:00", datetime(2027, 3, 27, 19, 0, tzinfo=UTC)),  # CET, UTC+1
    ("Europe/Paris", "2027-03-28T20:00", datetime(2027, 3, 28, 18, 0, tzinfo=UTC)),  # CEST, UTC+2
    ("America/New_York", "2027-11-07T09:00", datetime(2027, 11, 7, 14, 0, tzinfo=UTC)),  # EST after fall back
]


@pytest.mark.parametrize(("zone", "local", "instant"), FAR_ZONES)
def test_far_zones_and_dst_keep_the_instant(config: Config, zone: str, local: str, instant: datetime) -> None:
    release = at(config.catalogue.featured, local, zone, id="far-away")
    _, event = event_of(build_ics(release, BEFORE))
    assert event.decoded("DTSTART") == instant
    assert event.decoded("DTEND") == instant + timedelta(hours=1)
    assert event.decoded("DTSTART").astimezone(ZoneInfo(zone)).isoformat().startswith(local)
    [alarm] = event.walk("VALARM")
    assert event.decoded("DTSTART") + alarm.decoded("TRIGGER") == instant - timedelta(hours=1)
    query = parse_qs(urlsplit(google_calendar_link(release)).query)
    assert query["dates"] == [f"{instant:%Y%m%dT%H%M%SZ}/{instant + timedelta(hours=1):%Y%m%dT%H%M%SZ}"]


def test_google_link_is_prefilled_and_fits_a_discord_button(config: Config) -> None:
    link = google_calendar_link(config.catalogue.featured)
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "calendar.google.com", "/calendar/render")
    query = parse_qs(parts.query)
    assert query["action"] == ["TEMPLATE"]
    assert query["text"] == ["All the Light We Cannot See"]
    assert query["dates"] == ["20231102T070000Z/20231102T080000Z"]
    assert query["location"] == ["Netflix"]
    # The logline is 700 characters: cut, visibly, so the url stays inside Discord's 512 for a link button.
    assert query["details"][0].startswith("All the Light We Cannot See (limited series · Netflix)\n")
    assert query["details"][0].endswith("…")
    assert len(link) <= 512


def test_google_link_with_a_long_non_latin_title_still_fits(config: Config) -> None:
    release = replace(config.catalogue.featured, title="光" * 100)
    link = google_calendar_link(release)
    assert len(link) <= 512
    query = parse_qs(urlsplit(link).query)
    assert query["dates"] == ["20231102T070000Z/20231102T080000Z"]
    assert query["text"][0].startswith("光") and query["text"][0].endswith("…")


def test_a_url_goes_in_the_file_when_the_release_has_one(config: Config) -> None:
    release = replace(config.catalogue.featured, url="https://example.org/premiere")  # /release add url:…
    _, event = event_of(build_ics(release, BEFORE))
    assert str(event["URL"]) == "https://example.org/premiere"
    assert "https://example.org/premiere" in str(event["DESCRIPTION"])
    assert "URL" not in event_of(build_ics(config.catalogue.featured, BEFORE))[1]


def test_filename_is_the_release_id_made_safe(config: Config) -> None:
    assert calendar_filename(config.catalogue.featured) == "all-the-light-we-cannot-see.ics"
    assert calendar_filename(replace(config.catalogue.featured, id="../etc/pass wd")) == "etc-pass-wd.ics"
    assert calendar_filename(replace(config.catalogue.featured, id="../")) == "release.ics"


# ---- /calendar, through the shared dispatch -----------------------------------------------------------------


def context(config: Config, now: datetime) -> CommandContext:
    return CommandContext(config.catalogue, config.settings, now)


async def test_calendar_command_attaches_the_file_and_the_google_button(config: Config) -> None:
    reply = await dispatch("calendar", {}, context(config, BEFORE))
    assert reply.ephemeral
    [ics] = reply.files
    assert ics.filename == "all-the-light-we-cannot-see.ics"
    assert ics.content_type.startswith("text/calendar")
    _, event = event_of(ics.data)
    assert event.decoded("DTSTART") == PREMIERE and event.decoded("DTSTAMP") == BEFORE
    payload = reply.payload()
    assert payload["attachments"] == [{"id": 0, "filename": "all-the-light-we-cannot-see.ics"}]
    [row] = payload["components"]
    assert row["type"] == 1
    [button] = row["components"]
    assert (button["type"], button["style"], button["label"]) == (2, 5, "Add to Google Calendar")
    assert button["url"] == google_calendar_link(config.catalogue.featured)
    assert payload["flags"] == 64
    [embed] = payload["embeds"]
    assert "all-the-light-we-cannot-see.ics" in embed["description"]
    assert embed["fields"][0]["value"].startswith("<t:1698908400:F>")


async def test_calendar_names_a_release_and_the_file_follows_it(config: Config) -> None:
    far = at(
        config.catalogue.featured, "2027-01-01T00:00", "Pacific/Kiritimati", id="new-year", title="New Year Special"
    )
    config = replace(config, catalogue=Catalogue((*config.catalogue.releases, far), config.catalogue.featured_id))
    reply = await dispatch("calendar", {"release": "New Year Special"}, context(config, AFTER))
    [ics] = reply.files
    assert ics.filename == "new-year.ics"
    _, event = event_of(ics.data)
    assert str(event["UID"]) == "new-year@release-bot"
    assert event.decoded("DTSTART") == datetime(2026, 12, 31, 10, 0, tzinfo=UTC)


async def test_calendar_for_a_release_already_out_says_so_and_sends_no_file(config: Config) -> None:
    reply = await dispatch("calendar", {}, context(config, AFTER))
    assert reply.ephemeral and reply.files == [] and reply.links == []
    payload = reply.payload()
    assert "attachments" not in payload and "components" not in payload
    description = payload["embeds"][0]["description"]
    assert description.startswith("Premiered 3 years")
    assert "streaming on Netflix" in description and "nothing left to put in a calendar" in description


async def test_calendar_unknown_release_is_a_private_friendly_error(config: Config) -> None:
    reply = await dispatch("calendar", {"release": "Lighthuose"}, context(config, BEFORE))
    assert reply.ephemeral and reply.files == []
    assert reply.content is not None and reply.content.startswith("⚠️ I don't know a release called “Lighthuose”")


def test_calendar_is_declared_for_everyone_everywhere_with_release_autocomplete(config: Config) -> None:
    spec = REGISTRY["calendar"]
    assert (spec.admin, spec.guild_only, spec.ephemeral) == (False, False, True)
    assert [o.name for o in spec.options] == ["release"]
    assert autocomplete("calendar", "release", context(config, BEFORE), "light") == ["All the Light We Cannot See"]


async def test_discord_py_sends_exactly_the_payload_beside_the_file() -> None:
    """What send_reply hands discord.py serialises to `Reply.payload()` as payload_json, with the bytes as files[0]
    (the same function discord.py's send_message uses; the sandbox e2e test checks the wire once it takes files)."""
    from bot.commands.replies import FileAttachment, LinkButton, Reply

    reply = Reply(
        content="hi",
        ephemeral=True,
        files=[FileAttachment("a.ics", b"BEGIN:VCALENDAR\r\n")],
        links=[LinkButton("Open", "https://example.org/")],
    )
    params = interaction_message_response_params(
        type=4,
        content=reply.content,
        embeds=[],
        flags=discord.MessageFlags(ephemeral=True),
        allowed_mentions=NO_PINGS,
        **reply_extras(reply),
    )
    first, part = params.multipart
    assert first["name"] == "payload_json"
    assert json.loads(first["value"]) == {"type": 4, "data": reply.payload()}
    assert (part["name"], part["filename"], part["value"].read()) == ("files[0]", "a.ics", b"BEGIN:VCALENDAR\r\n")
    plain = Reply(content="hi")
    assert reply_extras(plain) == {}  # a reply without files stays plain JSON, no multipart


# ---- the console and `release-bot ics` --------------------------------------------------------------------------


def test_console_names_the_attachment_and_the_link(capsys, monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("/calendar\n"))
    assert main(["console", "--at", "2023-10-26T07:00:00Z"]) == 0
    out = capsys.readouterr().out
    size = len(build_ics(_featured(), BEFORE))
    assert f"📎 all-the-light-we-cannot-see.ics ({size:,} bytes)" in out
    assert "🔗 Add to Google Calendar: https://calendar.google.com/calendar/render?action=TEMPLATE" in out
    assert "Thursday 2 November 2023, 07:00 UTC" in out


def test_console_json_lists_the_files_beside_the_payload(capsys, monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("/calendar\n/countdown\n"))
    assert main(["console", "--json", "--at", "2023-10-26T07:00:00Z"]) == 0
    calendar, countdown = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert calendar["files"] == [
        {"filename": "all-the-light-we-cannot-see.ics", "size": len(build_ics(_featured(), BEFORE))}
    ]
    assert calendar["payload"]["attachments"] == [{"id": 0, "filename": "all-the-light-we-cannot-see.ics"}]
    assert "files" not in countdown  # replies without attachments keep their shape


def _featured() -> Release:
    from bot.config import PACKAGED_CONFIG_DIR, load_config

    return load_config(PACKAGED_CONFIG_DIR, environ={}).catalogue.featured


def test_ics_to_a_file(tmp_path: Path, capsys) -> None:
    out = tmp_path / "premiere.ics"
    assert main(["ics", "--out", str(out)]) == 0
    _, event = event_of(out.read_bytes())
    assert str(event["UID"]) == "all-the-light-we-cannot-see@release-bot"
    assert event.decoded("DTSTART") == PREMIERE
    err = capsys.readouterr().err
    assert f"Wrote {out}" in err and "2023-11-02T07:00:00Z" in err
    assert "the event is in the past" in err  # the shipped premiere is long out: still a file, and a note


def test_ics_to_stdout_is_the_same_file_as_calendar_sends(capsys) -> None:
    assert main(["ics", "--out", "-"]) == 0
    stdout = capsys.readouterr().out
    _, event = event_of(stdout.encode())
    assert event.decoded("DTSTART") == PREMIERE
    assert stdout.startswith("BEGIN:VCALENDAR") and "BEGIN:VALARM" in stdout


def test_ics_without_out_writes_the_bytes_to_stdout() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "ics", "--release", "all-the-light-we-cannot-see"],
        capture_output=True,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.startswith(b"BEGIN:VCALENDAR\r\n") and done.stdout.endswith(b"END:VCALENDAR\r\n")
    assert event_of(done.stdout)[1].decoded("DTSTART") == PREMIERE


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--release", "nope"], "release-bot: unknown release 'nope'; the catalogue has: all-the-light-we-cannot-see"),
        (["--out", "/nonexistent-dir/x.ics"], "release-bot: cannot write /nonexistent-dir/x.ics: No such file"),
    ],
)
def test_ics_refusals_are_one_line_and_exit_1(args: list[str], message: str, capsys) -> None:
    assert main(["ics", *args]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(message) and captured.err.count("\n") == 1


def test_ics_into_a_directory_is_refused(tmp_path: Path, capsys) -> None:
    assert main(["ics", "--out", str(tmp_path)]) == 1
    assert capsys.readouterr().err == f"release-bot: cannot write {tmp_path}: Is a directory\n"
