"""Every slash command through the shared handlers: what the member sees, inside Discord's limits."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.commands.registry import REGISTRY, CommandContext, autocomplete, dispatch
from bot.sandbox.limits import choices_errors, command_errors, message_errors
from tests.conftest import PREMIERE

BEFORE = datetime(2023, 10, 26, 7, 0, tzinfo=UTC)
TODAY = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


async def run(config, command: str, now: datetime = TODAY, **options) -> dict:
    reply = await dispatch(command, options, CommandContext(config.catalogue, config.settings, now))
    payload = reply.payload()
    assert message_errors(payload) == {}, payload
    assert payload["allowed_mentions"] == {"parse": []}
    return payload


def text_of(payload: dict) -> str:
    parts = [payload.get("content") or ""]
    for embed in payload["embeds"]:
        parts += [embed["title"], embed.get("description", "")]
        parts += [f"{f['name']}: {f['value']}" for f in embed.get("fields", [])]
    return "\n".join(parts)


async def test_countdown_before_and_after(config) -> None:
    before = await run(config, "countdown", BEFORE)
    assert "**7 days** to go" in text_of(before)
    assert "<t:1698908400:F>" in text_of(before) and "<t:1698908400:R>" in text_of(before)
    after = await run(config, "countdown", TODAY)
    assert "Premiered 3 years, 23 days ago — all 4 episodes are streaming on Netflix." in text_of(after)
    assert "flags" not in after  # public reply


async def test_premiere_in_zones(config) -> None:
    paris = text_of(await run(config, "premiere", timezone="Europe/Paris"))
    assert "Thursday 2 November 2023, 08:00 CET (UTC+01:00)" in paris
    default = text_of(await run(config, "premiere"))
    assert "Thursday 2 November 2023, 00:00 PDT (UTC-07:00)** in `America/Los_Angeles`" in default
    kolkata = text_of(await run(config, "premiere", timezone="asia/kolkata"))
    assert "12:30 IST (UTC+05:30)" in kolkata
    chatham = text_of(await run(config, "premiere", timezone="Pacific/Chatham"))
    assert "Thursday 2 November 2023, 20:45" in chatham


async def test_about_has_every_fact(config) -> None:
    text = text_of(await run(config, "about"))
    for fact in ("Relentlessly pursued by a cruel Gestapo officer", "official logline, Netflix", "Netflix",
                 "Episodes: 4", "Shawn Levy", "Steven Knight", "Anthony Doerr", "St. Malo", "Where to watch"):
        assert fact in text
    assert "Stephen" not in text


async def test_cast(config) -> None:
    everyone = text_of(await run(config, "cast"))
    assert "**Louis Hofmann** as Werner Pfennig" in everyone and "Hoffman" not in everyone
    assert "**Marion Bailey** as Madame Manec" in everyone
    hugh = await run(config, "cast", name="Hugh Laurie")
    assert hugh["embeds"][0]["title"] == "Hugh Laurie as Etienne LeBlanc"
    by_role = await run(config, "cast", name="werner")
    assert by_role["embeds"][0]["title"] == "Louis Hofmann as Werner Pfennig"


async def test_trivia_and_help(config) -> None:
    trivia = text_of(await run(config, "trivia"))
    for fact in ("Sea of Flames", "St. Malo", "Clair de Lune", "Darkness lasts not even for one second"):
        assert fact in trivia
    help_ = await run(config, "help")
    assert help_["flags"] == 64
    usages = [f["name"] for f in help_["embeds"][0]["fields"]]
    assert len(usages) == len(REGISTRY.commands) == 12
    assert all(usage.startswith(f"/{c.name}") for usage, c in zip(usages, REGISTRY, strict=True))
    assert "/announce setup <channel> [role] [timezone] [daily_time] [release]" in usages


@pytest.mark.parametrize(
    ("command", "options", "expected"),
    [
        ("premiere", {"timezone": "Mars/Olympus"}, "is not a time zone I know"),
        ("premiere", {"timezone": "Europe/Pari"}, "Did you mean `Europe/Paris`"),
        ("countdown", {"release": "Dune 3"}, "I don't know a release called “Dune 3”"),
        ("cast", {"name": "Tom Hanks"}, "Nobody in **All the Light We Cannot See** matches"),
        ("cast", {"name": "x" * 3000}, "3,000 characters long; at most 100 fit"),
        ("countdown", {"colour": "red"}, "has no option `colour`"),
        ("nope", {}, "There is no `/nope` command"),
    ],
)
async def test_bad_input_gets_a_friendly_private_error(config, command, options, expected) -> None:
    payload = await run(config, command, **options)
    assert payload["flags"] == 64
    assert payload["embeds"] == []
    assert payload["content"].startswith("⚠️ ") and expected in payload["content"]


async def test_mentions_in_input_cannot_ping(config) -> None:
    for options in ({"name": "@everyone"}, {"name": "<@&123> @here"}):
        payload = await run(config, "cast", **options)
        assert "@everyone" not in payload["content"] and "@here" not in payload["content"]
        assert "<@&" not in payload["content"]


def test_autocomplete_lists_fit_discord(config) -> None:
    ctx = CommandContext(config.catalogue, config.settings, TODAY)
    zones = autocomplete("premiere", "timezone", ctx, "")
    assert len(zones) == 25
    assert autocomplete("premiere", "timezone", ctx, "paris") == ["Europe/Paris"]
    assert autocomplete("premiere", "timezone", ctx, "new y") == ["America/New_York"]
    assert autocomplete("cast", "name", ctx, "lau") == ["Hugh Laurie", "Aria Mia Loberti", "Nell Sutton"]
    assert autocomplete("countdown", "release", ctx, "light") == ["All the Light We Cannot See"]
    for option in (("premiere", "timezone"), ("cast", "name"), ("countdown", "release")):
        choices = [{"name": v, "value": v} for v in autocomplete(*option, ctx, "a")]
        assert choices_errors(choices) == {}


def test_command_definitions_fit_discord() -> None:
    for spec in REGISTRY:
        definition = {"name": spec.name.split()[-1], "description": spec.description,
                      "options": [{"name": o.name, "description": o.description} for o in spec.options]}
        assert command_errors(definition) == {}, spec.name


async def test_every_command_fits_at_every_moment(config) -> None:
    for now in (BEFORE, PREMIERE, TODAY):
        for spec in REGISTRY:
            if not spec.guild_only:  # the /announce commands are exercised end to end, in a server
                await run(config, spec.name, now)
