"""Languages end to end, through the real discord.py client and the sandbox: the commands Discord stores carry their
French and German names and descriptions, and every member command (and a press of the Remind me button) answers in
the language of the member's Discord."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.commands.registry import REGISTRY, CommandContext, Option, command
from bot.commands.replies import INTERNAL_ERROR, Reply
from bot.config import Config
from bot.i18n import tr
from bot.sandbox.server import Sandbox
from tests.conftest import upcoming_release
from tests.e2e.conftest import Launch, Server, join_guild

TITLE = "The Lighthouse Keeper"
RELEASE_ID = "the-lighthouse-keeper"


def _command(sandbox: Sandbox, name: str) -> dict[str, Any]:
    return next(c for c in sandbox.world.global_commands if c["name"] == name)


def _sub(command: dict[str, Any], name: str) -> dict[str, Any]:
    return next(o for o in command.get("options", []) if o["name"] == name)


async def test_synced_commands_carry_french_and_german_names_and_descriptions(
    sandbox: Sandbox, running_bot: Any
) -> None:
    countdown = _command(sandbox, "countdown")
    # German keeps "countdown": a translation equal to the English name is left out, Discord shows the English.
    assert countdown["name_localizations"] == {"fr": "compte-à-rebours"}
    assert countdown["description_localizations"] == {
        "fr": "Combien de temps avant une sortie — ou depuis quand elle est sortie",
        "de": "Wie lange noch bis zu einem Titel – oder wie lange er schon da ist",
    }
    release_option = _sub(countdown, "release")
    assert release_option["name_localizations"] == {"fr": "sortie", "de": "titel"}
    assert release_option["description_localizations"]["fr"] == "Quelle sortie (par défaut\u00a0: celle à la une)"

    remind = _command(sandbox, "remind")  # a group, its sub-commands, an option with fixed choices
    assert remind["name_localizations"] == {"fr": "rappel", "de": "erinnerung"}
    me = _sub(remind, "me")
    assert me["name_localizations"] == {"fr": "moi", "de": "mich"}
    before = _sub(me, "before")
    assert before["name_localizations"] == {"fr": "avant", "de": "vorher"}
    one_day = next(c for c in before["choices"] if c["value"] == "1d")
    assert one_day == {
        "name": "1d",
        "value": "1d",
        "name_localizations": {"fr": "1 jour avant", "de": "1 Tag vorher"},
    }
    # No other locale is sent: members whose Discord is in Japanese see the English names.
    assert all(set(c.get("name_localizations") or {}) <= {"fr", "de"} for c in sandbox.world.global_commands)


@pytest.fixture
async def soon(sandbox: Sandbox, launch: Launch, config: Config, tmp_path: Path) -> tuple[Server, datetime]:
    # 2 days, 3 hours and 30 minutes away: "2 days, 3 hours" for the next half hour, however slow the machine.
    release_at = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2, hours=3, minutes=30)
    bot = await launch(upcoming_release(config, release_at, database_url=f"sqlite+aiosqlite:///{tmp_path}/bot.db"))
    ids = await join_guild(sandbox, bot, "Polyglots", channels=["general"], members=[{"name": "ada"}])
    return Server(sandbox, bot, ids), release_at


# What a member sees, per language, for the same release and instant (written out, not computed by the bot's code).
EXPECTED = {
    "en-US": {
        "status": "**2 days, 3 hours** to go — premieres <t:{unix}:R>",
        "button": "🔔 Remind me",
        "premiere": f"{TITLE} — premiere",
        "network": "Network",
        "no_cast": f"I have no cast list for **{TITLE}** yet.",
        "no_trivia": f"I have no trivia about **{TITLE}** yet.",
        "help": "release-bot — commands",
        "help_line": "/remind me [release] [before]",
        "set": f"🔔 I'll send you a direct message **1 day before** **{TITLE}**: <t:",
        "list": "🔔 **Your reminders** (1 of at most 25):",
        "menu": "When should I remind you?",
        "cancel": "Cancel",
        "cancelled": f"🔕 Your reminder for **{TITLE}** is cancelled.",
        "privacy": "🔒 **What I keep about you** (your Discord user id, with):",
        "forgot": "🗑️ There was nothing about you to delete.",
        "unknown": "I don't know a release called “nope”.",
    },
    "fr": {
        "status": "Encore **2 jours, 3 heures** — sort <t:{unix}:R>",
        "button": "🔔 Me le rappeler",
        "premiere": f"{TITLE} — première",
        "network": "Diffuseur",
        "no_cast": f"Je n'ai pas encore la distribution de **{TITLE}**.",
        "no_trivia": f"Je n'ai pas encore d'anecdotes sur **{TITLE}**.",
        "help": "release-bot — commandes",
        "help_line": "/rappel moi [sortie] [avant]",
        "set": f"🔔 Je t'enverrai un message privé pour **{TITLE}**, **1 jour avant**\u00a0: <t:",
        "list": "🔔 **Tes rappels** (1 sur 25 au plus)\u00a0:",
        "menu": "Quand dois-je te le rappeler\u00a0?",
        "cancel": "Annuler",
        "cancelled": f"🔕 Ton rappel pour **{TITLE}** est annulé.",
        "privacy": "🔒 **Ce que je garde sur toi** (ton identifiant Discord, avec)\u00a0:",
        "forgot": "🗑️ Il n'y avait rien à supprimer sur toi.",
        "unknown": "Je ne connais pas de sortie appelée «\u00a0nope\u00a0».",
    },
    "de": {
        "status": "Noch **2 Tage, 3 Stunden** — startet <t:{unix}:R>",
        "button": "🔔 Erinnere mich",
        "premiere": f"{TITLE} — Premiere",
        "network": "Sender",
        "no_cast": f"Ich habe noch keine Besetzungsliste für **{TITLE}**.",
        "no_trivia": f"Ich habe noch kein Wissenswertes über **{TITLE}**.",
        "help": "release-bot — Befehle",
        "help_line": "/erinnerung mich [titel] [vorher]",
        "set": f"🔔 Ich schicke dir eine Direktnachricht zu **{TITLE}**, **1 Tag vorher**: <t:",
        "list": "🔔 **Deine Erinnerungen** (1 von höchstens 25):",
        "menu": "Wann soll ich dich erinnern?",
        "cancel": "Abbrechen",
        "cancelled": f"🔕 Deine Erinnerung für **{TITLE}** ist gelöscht.",
        "privacy": "🔒 **Was ich über dich speichere** (deine Discord-Nutzer-ID, dazu):",
        "forgot": "🗑️ Es gab nichts über dich zu löschen.",
        "unknown": "Ich kenne keinen Titel namens „nope“.",
    },
}


def _text(response: dict[str, Any]) -> str:
    """Everything a member reads in a reply: content, embeds, buttons and menus."""
    data = response["data"]
    parts = [data.get("content") or ""]
    for embed in data.get("embeds") or []:
        parts += [embed.get("title", ""), embed.get("description", ""), (embed.get("footer") or {}).get("text", "")]
        parts += [f"{f['name']}\n{f['value']}" for f in embed.get("fields", [])]
    for row in data.get("components") or []:
        for part in row["components"]:
            parts += [part.get("label", ""), part.get("placeholder", "")]
            parts += [o["label"] for o in part.get("options", [])]
    return "\n".join(p for p in parts if p)


@pytest.mark.parametrize("locale", ["en-US", "fr", "de"])
async def test_every_member_reply_is_in_the_members_language(
    soon: tuple[Server, datetime], sandbox: Sandbox, locale: str
) -> None:
    server, release_at = soon
    want = {key: text.replace("{unix}", str(int(release_at.timestamp()))) for key, text in EXPECTED[locale].items()}
    ada = server.member("ada")
    seen: list[str] = []

    async def run(command: str) -> dict[str, Any]:
        response = await server.slash(command, locale=locale)
        seen.append(_text(response))
        return response

    countdown = await run("/countdown")
    assert countdown["data"]["embeds"][0]["description"] == want["status"]
    assert countdown["data"]["components"][0]["components"][0]["label"] == want["button"]
    premiere = (await run("/premiere timezone:Europe/Paris"))["data"]["embeds"][0]
    assert premiere["title"] == want["premiere"]
    about = (await run("/about"))["data"]["embeds"][0]
    assert [f["value"] for f in about["fields"] if f["name"] == want["network"]] == ["Netflix"]
    assert (await run("/cast"))["data"]["content"] == "⚠️ " + want["no_cast"]
    assert (await run("/trivia"))["data"]["content"] == "⚠️ " + want["no_trivia"]
    help_embed = (await run("/help"))["data"]["embeds"][0]
    assert help_embed["title"] == want["help"]
    assert want["help_line"] in [f["name"] for f in help_embed["fields"]]
    assert (await run("/countdown release:nope"))["data"]["content"].startswith("⚠️ " + want["unknown"])

    assert (await run("/remind me before:1d"))["data"]["content"].startswith(want["set"])
    assert (await run("/remind list"))["data"]["content"].startswith(want["list"])
    # The button under the countdown reply, pressed: its menu and Cancel button in the member's language too.
    [message] = [m for m in sandbox.messages(server.channel()) if m.get("components") and m["embeds"]][-1:]
    menu = await sandbox.press(ada, message["id"], f"remind:{RELEASE_ID}", locale=locale)
    seen.append(_text(menu))
    [select], [cancel] = (row["components"] for row in menu["data"]["components"])
    assert (select["placeholder"], cancel["label"]) == (want["menu"], want["cancel"])
    assert (await run("/remind cancel"))["data"]["content"].startswith("🔕")
    await run("/remind me before:1d")
    assert (await run(f"/remind cancel release:{RELEASE_ID}"))["data"]["content"] == want["cancelled"]
    await run("/remind me before:1d")
    assert (await run("/privacy show"))["data"]["content"].startswith(want["privacy"])
    await run("/privacy forget")
    assert (await run("/privacy forget"))["data"]["content"] == want["forgot"]

    internal = {tr(lang, INTERNAL_ERROR) for lang in ("en", "fr", "de")}
    assert all(text.strip() for text in seen), seen
    assert not [text for text in seen if any(error in text for error in internal)]


@pytest.fixture
def whoami() -> Iterator[str]:
    """A throw-away command that says which languages its context was given, and suggests the member's."""

    @command(
        "whoami",
        "Which languages",
        Option("words", "Anything", autocomplete=lambda ctx, current: [f"{ctx.locale}:{current}"]),
        anywhere=True,
    )
    async def handler(ctx: CommandContext, words: str | None = None) -> Reply:
        return Reply(content=f"member {ctx.locale}, server {ctx.guild_locale}")

    try:
        yield "whoami"
    finally:
        del REGISTRY.commands["whoami"]


async def test_the_adapter_gives_handlers_the_members_and_the_servers_language(
    whoami: str, sandbox: Sandbox, launch: Launch, bot_config: Config
) -> None:
    bot = await launch(bot_config)
    ids = await join_guild(sandbox, bot, "Babel", channels=["general"], members=[{"name": "ada"}])
    guild, general, ada = ids["guild_id"], ids["channels"]["general"], ids["members"]["ada"]
    reply = await sandbox.interact(guild, general, ada, "/whoami", locale="fr", guild_locale="de")
    assert reply["data"]["content"] == "member fr, server de"
    reply = await sandbox.interact(guild, general, ada, "/whoami", locale="pt-BR", guild_locale="en-GB")
    assert reply["data"]["content"] == "member en, server en"  # languages the bot does not speak: English
    reply = await sandbox.interact(None, None, ada, "/whoami", locale="de", context=1)  # a DM: no server
    assert reply["data"]["content"] == "member de, server None"
    suggestions = await sandbox.interact(guild, general, ada, "/whoami words:x", focused="words", locale="fr")
    assert [c["value"] for c in suggestions["data"]["choices"]] == ["fr:x"]
