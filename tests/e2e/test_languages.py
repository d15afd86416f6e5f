"""Languages end to end, through the real discord.py client and the sandbox: channel posts, live messages and server
events in each server's language (its `preferred_locale`); admin replies in the member's own (`interaction.locale`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

from bot.config import Config
from bot.discord.client import ReleaseBot
from bot.sandbox.server import Sandbox
from tests.conftest import upcoming_release
from tests.e2e.conftest import Launch, Server, join_guild, next_posts, subscribe, wait_until

SECOND = timedelta(seconds=1)


async def speaking(sandbox: Sandbox, bot: ReleaseBot, name: str, language: str | None) -> Server:
    """A server (an admin "grace", a member "ada") whose language is `language` (None: Discord's default,
    en-US), set the way Discord does it: GUILD_UPDATE, awaited until the bot has seen it."""
    ids = await join_guild(
        sandbox, bot, name, channels=["general"], members=[{"name": "ada"}, {"name": "grace", "admin": True}]
    )
    if language is not None:
        seen = bot.loop.create_task(
            bot.wait_for("guild_update", check=lambda _, after: str(after.id) == ids["guild_id"], timeout=10)
        )
        await sandbox.actions.update_guild(ids["guild_id"], preferred_locale=language)
        guild = (await seen)[1]
        assert str(guild.preferred_locale) == language
    return Server(sandbox, bot, ids)


def fields(response: dict[str, Any], embed: int = 0) -> dict[str, str]:
    return {f["name"]: f["value"] for f in response["data"]["embeds"][embed]["fields"]}


async def test_each_server_gets_its_posts_in_its_own_language_at_the_same_instants(
    sandbox: Sandbox, launch: Launch, config: Config, database_url: str
) -> None:
    release_at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=12)
    soon = upcoming_release(config, release_at, milestones=(2 * SECOND, SECOND), database_url=database_url)
    bot = await launch(soon)
    servers = {
        "en": await speaking(sandbox, bot, "Lamplight Readers", None),
        "fr": await speaking(sandbox, bot, "Les Veilleurs", "fr"),
        "de": await speaking(sandbox, bot, "Die Leuchtturmleser", "de"),
    }
    queue = sandbox.listen()
    for language, server in servers.items():
        # The admin speaks the server's language here; the reply follows the admin's, the posts the server's.
        locale = {"en": "en-US"}.get(language, language)
        setup = await server.slash("/announce setup channel:#general", user="grace", locale=locale)
        assert (
            setup["data"]["embeds"][0]["description"]
            == {
                "en": f"✅ Countdown posts for **The Lighthouse Keeper** will go to <#{server.channel()}>.",
                "fr": f"✅ Les messages du compte à rebours pour **The Lighthouse Keeper** seront publiés dans "
                f"<#{server.channel()}>.",
                "de": f"✅ Die Countdown-Beiträge für **The Lighthouse Keeper** erscheinen in <#{server.channel()}>.",
            }[language]
        )

    posts = await next_posts(queue, 9)
    stamp = f"<t:{int(release_at.timestamp())}:F> (<t:{int(release_at.timestamp())}:R>)"
    by_channel = {
        language: [p["content"] for p in posts if p["channel_id"] == s.channel()] for language, s in servers.items()
    }
    assert by_channel == {
        "en": [
            f"📣 **The Lighthouse Keeper** premieres on Netflix in 2 seconds: {stamp}",
            f"📣 **The Lighthouse Keeper** premieres on Netflix in 1 second: {stamp}",
            "🎬 **The Lighthouse Keeper** is out now — it is streaming on Netflix!",
        ],
        "fr": [
            f"📣 **The Lighthouse Keeper** sort sur Netflix dans 2 secondes : {stamp}",
            f"📣 **The Lighthouse Keeper** sort sur Netflix dans 1 seconde : {stamp}",
            "🎬 **The Lighthouse Keeper** est disponible — à voir en streaming sur Netflix !",
        ],
        "de": [
            f"📣 **The Lighthouse Keeper** startet in 2 Sekunden auf Netflix: {stamp}",
            f"📣 **The Lighthouse Keeper** startet in 1 Sekunde auf Netflix: {stamp}",
            "🎬 **The Lighthouse Keeper** ist jetzt da — im Stream auf Netflix!",
        ],
    }
    # The same posts at the same instants: only the words differ.
    store = bot.announcer.store
    ledgers = []
    for server in servers.values():
        rows = await wait_until(
            lambda server=server: store.deliveries(int(server.guild_id)),
            lambda rows: len(rows) == 3 and all(d.state == "sent" for d in rows),
        )
        ledgers.append([(d.post_key, d.due_at) for d in rows])
    assert ledgers[0] == ledgers[1] == ledgers[2]
    # The button under a post speaks the server's language too.
    labels = {
        language: [c["label"] for row in m["components"] for c in row["components"]]
        for language, s in servers.items()
        for m in sandbox.messages(s.channel())
        if m["content"].startswith("📣") and "2 " in m["content"]
    }
    assert labels == {"en": ["🔔 Remind me"], "fr": ["🔔 Me le rappeler"], "de": ["🔔 Erinnere mich"]}


async def test_a_post_follows_the_server_when_it_changes_its_language(
    sandbox: Sandbox, launch: Launch, config: Config, database_url: str
) -> None:
    """GUILD_UPDATE reaches the bot's guild cache; the next post reads the language from there."""
    release_at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=10)
    soon = upcoming_release(config, release_at, milestones=(2 * SECOND,), database_url=database_url)
    bot = await launch(soon)
    server = await speaking(sandbox, bot, "Lamplight Readers", None)
    await server.slash("/announce setup channel:#general", user="grace")
    await speaking_now(sandbox, bot, server, "de")
    queue = sandbox.listen()
    first, premiere = await next_posts(queue, 2)
    assert first["content"].startswith("📣 **The Lighthouse Keeper** startet in 2 Sekunden auf Netflix: ")
    assert premiere["content"] == "🎬 **The Lighthouse Keeper** ist jetzt da — im Stream auf Netflix!"


async def test_a_post_caught_up_at_start_up_is_in_the_servers_language(
    sandbox: Sandbox, launch: Launch, config: Config, database_url: str
) -> None:
    """The catch-up starts beside the gateway's connection, before the servers (and their languages) have
    arrived: the French server's late post waits for them rather than going out in English."""
    now = datetime.now(UTC).replace(microsecond=0)
    soon = upcoming_release(config, now + timedelta(minutes=30), database_url=database_url)
    ids = await sandbox.create_guild("Les Veilleurs", ["general"], [{"name": "admin", "admin": True}])
    await sandbox.actions.update_guild(ids["guild_id"], preferred_locale="fr")
    await subscribe(database_url, [ids], now - timedelta(days=3))  # the bot was offline at the 1-hour milestone
    queue = sandbox.listen()
    # The gateway is slow to connect: the catch-up is ready to post long before the server's GUILD_CREATE.
    sandbox.add_fault("GET /gateway/bot", status=0, latency_ms=3000)
    await launch(soon)
    [late] = await next_posts(queue, 1)
    unix = int((now + timedelta(minutes=30)).timestamp())
    assert late["content"] == (
        f"📣 **The Lighthouse Keeper** sort sur Netflix dans 1 heure : <t:{unix}:F> (<t:{unix}:R>)\n"
        "-# publié en retard : le bot était hors ligne"
    )


async def speaking_now(sandbox: Sandbox, bot: ReleaseBot, server: Server, language: str) -> None:
    seen = bot.loop.create_task(
        bot.wait_for("guild_update", check=lambda _, after: str(after.id) == server.guild_id, timeout=10)
    )
    await sandbox.actions.update_guild(server.guild_id, preferred_locale=language)
    await seen


async def test_announce_status_in_the_members_language(
    sandbox: Sandbox, launch: Launch, config: Config, database_url: str
) -> None:
    release_at = datetime.now(UTC).replace(microsecond=0) + timedelta(days=20)
    bot = await launch(upcoming_release(config, release_at, database_url=database_url))
    # A French server; its admins read the bot in their own languages.
    server = await speaking(sandbox, bot, "Les Veilleurs", "fr")
    empty = await server.slash("/announce status", user="grace", locale="de")
    assert empty["data"]["content"] == (
        "In diesem Server sind noch keine Ankündigungen eingerichtet. Beginne mit `/announce setup`."
    )
    await server.slash("/announce setup channel:#general timezone:Europe/Berlin", user="grace")

    status = await server.slash("/announce status", user="grace", locale="fr")
    embed = status["data"]["embeds"][0]
    assert embed["title"] == "Annonces — The Lighthouse Keeper"
    assert embed["footer"]["text"] == "Fuseau horaire : Europe/Berlin"
    shown = fields(status)
    assert shown["Salon"] == f"<#{server.channel()}>"
    assert shown["Message quotidien"] == "désactivé"
    assert shown["Rôle mentionné"] == "aucun"
    assert shown["État"] == "▶️ Actif"
    # 30, 14, 7, 3 and 1 days, 12 hours and 1 hour before, and the premiere: the first five shown.
    # 14, 7, 3 and 1 days, 12 hours and 1 hour before, and the premiere: the first five shown.
    lines = [line.split(" — ", 1)[-1] for line in shown["Prochains messages (7)"].splitlines()]
    assert lines == [
        "14 jours avant",
        "7 jours avant",
        "3 jours avant",
        "1 jour avant",
        "12 heures avant",
        "…et 2 autres",
    ]

    status = await server.slash("/announce status", user="grace", locale="de")
    shown = fields(status)
    assert status["data"]["embeds"][0]["title"] == "Ankündigungen — The Lighthouse Keeper"
    assert (shown["Kanal"], shown["Täglicher Beitrag"], shown["Rollen-Ping"], shown["Status"]) == (
        f"<#{server.channel()}>",
        "aus",
        "keiner",
        "▶️ Aktiv",
    )
    lines = [line.split(" — ", 1)[-1] for line in shown["Nächste Beiträge (7)"].splitlines()]
    assert lines == [
        "14 Tage vorher",
        "7 Tage vorher",
        "3 Tage vorher",
        "1 Tag vorher",
        "12 Stunden vorher",
        "…und 2 weitere",
    ]

    # The sample post goes to the channel: in the server's language (French), whoever asked.
    queue = sandbox.listen()
    test = await server.slash("/announce test", user="grace", locale="de")
    assert test["data"]["content"] == f"✅ Testbeitrag in <#{server.channel()}> gesendet. Er pingt niemanden."
    [sample] = await next_posts(queue, 1)
    stamp = f"<t:{int(release_at.timestamp())}:F> (<t:{int(release_at.timestamp())}:R>)"
    # Sent within the release's last second of day 20, or after it (a loaded machine): either count is right.
    assert sample["content"] in {
        f"🔔 **Message de test** — un message envoyé maintenant dirait :\n📣 **The Lighthouse Keeper** sort sur "
        f"Netflix dans {left} : {stamp}"
        for left in ("20 jours", "19 jours, 23 heures")
    }


async def test_release_add_refusals_in_the_members_language(
    sandbox: Sandbox, launch: Launch, config: Config, database_url: str
) -> None:
    bot = await launch(upcoming_release(config, datetime.now(UTC) + timedelta(days=40), database_url=database_url))
    server = await speaking(sandbox, bot, "Lamplight Readers", None)
    swapped = await server.slash("/release add name:Film when:03/04/2027", user="grace", locale="fr")
    assert swapped["data"]["flags"] == 64
    assert swapped["data"]["content"] == (
        "⚠️ `03/04/2027` peut se lire jour/mois ou mois/jour. Tape la date au format AAAA-MM-JJ (année, mois, jour), "
        "par exemple `2027-03-15 20:00`. Rien n'a été modifié."
    )
    past = await server.slash('/release add name:Film when:"2020-01-01 20:00" timezone:UTC', user="grace", locale="de")
    assert past["data"]["content"] == (
        "⚠️ Das liegt in der Vergangenheit (<t:1577908800:F>). Gib ein Datum und eine Uhrzeit in der Zukunft an. "
        "Es wurde nichts geändert."
    )
    member = await server.slash('/release add name:Film when:"2027-03-15 20:00"', user="ada", locale="de")
    assert member["data"]["content"] == (
        "⚠️ Nur Mitglieder mit der Berechtigung **Server verwalten** können die Veröffentlichungen "
        "dieses Servers ändern."
    )
    assert await bot.announcer.store.server_releases(int(server.guild_id)) == []


async def test_live_message_and_server_event_in_the_servers_language(
    sandbox: Sandbox, launch: Launch, config: Config, database_url: str
) -> None:
    bot = await launch(upcoming_release(config, datetime.now(UTC) + timedelta(days=40), database_url=database_url))
    server = await speaking(sandbox, bot, "Die Leuchtturmleser", "de")
    added = await server.slash(
        '/release add name:Film when:"2027-03-15 20:00" timezone:UTC event:True', user="grace", locale="fr"
    )
    assert added["data"]["content"].startswith("✅ **Film** ajouté : <t:1805140800:F>.\n📅 Événement du serveur créé")
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{sandbox.url}/_sandbox/guilds/{server.guild_id}/events") as response,
    ):
        [event] = await response.json()
    assert event["description"].startswith("Countdown für Film: startet am Montag, 15. März 2027, 20:00 UTC.")

    await server.slash("/announce setup channel:#general release:Film", user="grace", locale="fr")
    live = await server.slash("/announce live release:Film", user="grace", locale="fr")
    assert live["data"]["content"].startswith("✅ Compte à rebours en direct pour **Film** publié dans ")
    [card] = [m for m in sandbox.messages(server.channel()) if m["embeds"] and not m.get("flags", 0) & 64]
    assert card["embeds"][0]["description"] == "⏳ **Film** startet <t:1805140800:R>\n<t:1805140800:F>"
    assert card["embeds"][0]["footer"]["text"] == "Live-Countdown: bei jedem Meilenstein aktualisiert"
