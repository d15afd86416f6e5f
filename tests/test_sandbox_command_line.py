"""The sandbox reads a slash command as Discord's input box does: `/premiere timezone: Europe/Paris`."""

from __future__ import annotations

import pytest

from bot.sandbox.command_line import CommandLineError, parse_command_line


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/countdown", ("countdown", {})),
        ("/premiere timezone:Europe/Paris", ("premiere", {"timezone": "Europe/Paris"})),
        ("/premiere timezone: Europe/Paris", ("premiere", {"timezone": "Europe/Paris"})),
        ('/cast name:"Hugh Laurie"', ("cast", {"name": "Hugh Laurie"})),
        ('/cast name: "Hugh Laurie"', ("cast", {"name": "Hugh Laurie"})),
        (
            "/Announce Setup channel: #general daily_time: 20:00 role:@fans",
            ("announce setup", {"channel": "#general", "daily_time": "20:00", "role": "@fans"}),
        ),
        ("/cast name:", ("cast", {"name": ""})),  # autocomplete on an empty option
        ('/cast name:"" role:@fans', ("cast", {"name": "", "role": "@fans"})),  # quoted empty: not the next word
    ],
)
def test_command_lines(line: str, expected: tuple[str, dict[str, str]]) -> None:
    assert parse_command_line(line) == expected


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ("countdown", "Commands start with `/`"),
        ('/cast name:"Hugh', "A quote is not closed"),
        ("/cast name:Hugh Laurie", "“Laurie” has no `name:` in front of it"),
        ("/cast name:a name:b", "The option `name` is given twice."),
        ("/ name:a", "Which command?"),
    ],
)
def test_what_discords_box_would_not_send(line: str, error: str) -> None:
    with pytest.raises(CommandLineError, match="^" + error.replace("?", r"\?")):
        parse_command_line(line)
