"""/release end to end: the real discord.py client, the sandbox as Discord, two servers that never see each other's
releases, bad input refused privately, and a server's own release announced like any other."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.config import Config
from bot.sandbox.interactions import InteractionError
from bot.sandbox.server import Sandbox
from tests.conftest import upcoming_release
from tests.e2e.conftest import Launch, Server, join_guild, next_posts, wait_until


def content(response: dict) -> str:
    data = response["data"]
    parts = [data.get("content") or ""]
    for embed in data.get("embeds", []):
        parts += [embed.get("title", ""), embed.get("description", "")]
        parts += [f"{f['name']}: {f['value']}" for f in embed.get("fields", [])]
    return "\n".join(parts)


async def other_server(sandbox: Sandbox, server: Server) -> Server:
    ids = await join_guild(
        sandbox,
        server.bot,
        "Other Readers",
        channels=["general", "announcements"],
        members=[{"name": "ada", "admin": False}, {"name": "grace", "admin": True}],
    )
    return Server(sandbox, server.bot, ids)


async def test_release_add_list_edit_remove_through_discord(server: Server) -> None:
    added = await server.slash(
        '/release add name:"Dune: Part Three" when:"2027-12-18 20:00" timezone:Europe/Paris kind:film', user="grace"
    )
    assert added["data"]["flags"] == 64
    assert "✅ Added **Dune: Part Three**: <t:1829156400:F>." in added["data"]["content"]
    listed = await server.slash("/release list", user="grace")
    assert "Dune: Part Three" in content(listed) and "<t:1829156400:F>" in content(listed)
    # Members see it: it is the server's default release now, public replies.
    countdown = await server.slash("/countdown")
    assert "flags" not in countdown["data"] or not countdown["data"]["flags"] & 64
    assert "Dune: Part Three" in content(countdown)
    suggested = await server.slash("/about release:dune", focused="release")
    assert [c["name"] for c in suggested["data"]["choices"]] == ["Dune: Part Three"]
    edited = await server.slash('/release edit release:"Dune: Part Three" when:"2027-12-19 20:00"', user="grace")
    assert "<t:1829242800:F>" in content(edited)
    removed = await server.slash('/release remove release:"Dune: Part Three"', user="grace")
    assert removed["data"]["content"].startswith("🗑️ Removed **Dune: Part Three**")
    assert await server.bot.announcer.store.server_releases() == []


async def test_a_server_never_sees_picks_or_changes_another_servers_releases(sandbox: Sandbox, server: Server) -> None:
    other = await other_server(sandbox, server)
    await server.slash('/release add name:"Secret Premiere" when:"2027-03-15 20:00"', user="grace")
    (secret,) = await server.bot.announcer.store.server_releases()
    for typed in ("Secret", secret.id[:8]):
        for command in ("/countdown", "/about", "/announce setup channel:#general", "/release edit", "/release remove"):
            suggested = await other.slash(f"{command} release:{typed}", user="grace", focused="release")
            assert "Secret Premiere" not in [c["name"] for c in suggested["data"]["choices"]]
    for wanted in ('"Secret Premiere"', secret.id):
        refused = await other.slash(f"/countdown release:{wanted}")
        assert "I don't know a release called" in refused["data"]["content"]
        refused = await other.slash(f"/announce setup channel:#announcements release:{wanted}", user="grace")
        assert "I don't know a release called" in refused["data"]["content"]
        refused = await other.slash(f'/release edit release:{wanted} name:"Mine now"', user="grace")
        assert "This server has no release called" in refused["data"]["content"]
        refused = await other.slash(f"/release remove release:{wanted}", user="grace")
        assert "This server has no release called" in refused["data"]["content"]
    assert "Secret" not in content(await other.slash("/countdown"))
    assert await server.bot.announcer.store.server_releases() == [secret]
    assert await server.bot.announcer.store.subscriptions() == []
    assert "Secret Premiere" in content(await server.slash("/countdown"))


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ('/release add name:Film when:"03/04/2027"', "Type the date as YYYY-MM-DD"),
        ('/release add name:Film when:"2024-01-01 20:00"', "That is in the past"),
        ('/release add name:Film when:"2027-03-15 20:00" timezone:Mars/Olympus', "is not a time zone I know"),
        ('/release add name:Film when:"2027-03-15 20:00" url:javascript:alert(1)', "must be a web address"),
        ('/release add name:Film when:"2027-03-15 ٢٠:٠٠"', "digits 0-9"),
        ('/release edit release:Nothing when:"2027-03-15 20:00"', "This server has no release called"),
        ("/release remove release:all-the-light-we-cannot-see", "one of the bot's own releases"),
        ("/announce setup channel:#general", "`/release add name:… when:…`"),  # the stock install
    ],
)
async def test_bad_input_is_a_private_refusal_that_changes_nothing(server: Server, command: str, expected: str) -> None:
    response = await server.slash(command, user="grace")
    assert response["data"]["flags"] == 64
    assert response["data"]["content"].startswith("⚠️") and expected in response["data"]["content"]
    assert await server.bot.announcer.store.server_releases() == []
    assert await server.bot.announcer.store.subscriptions() == []


async def test_names_cannot_ping_or_break_out(server: Server) -> None:
    added = await server.slash('/release add name:"@everyone **now** <@&1>" when:"2027-03-15"', user="grace")
    shown = content(added) + content(await server.slash("/countdown"))
    assert "@everyone" not in shown and "<@&1>" not in shown and "\\*\\*now\\*\\*" in shown
    assert added["data"]["allowed_mentions"] == {"parse": []}


async def test_what_discord_itself_refuses_and_what_members_may_not_do(sandbox: Sandbox, server: Server) -> None:
    release = next(c for c in sandbox.world.global_commands if c["name"] == "release")
    assert release["default_member_permissions"] == "32"  # hidden from members without Manage Server
    add = next(o for o in release["options"] if o["name"] == "add")
    assert [o["name"] for o in add["options"]] == ["name", "when", "timezone", "kind", "url", "description", "event"]
    with pytest.raises(InteractionError, match="1 to 100 characters"):  # Discord's input box stops 5,000 characters
        await server.slash(f"/release add name:{'x' * 5000} when:2027-03-15", user="grace")
    member = await server.slash('/release add name:Film when:"2027-03-15"', user="ada")
    assert member["data"]["flags"] == 64 and "Manage Server" in member["data"]["content"]
    assert await server.bot.announcer.store.server_releases() == []


async def test_a_26th_release_is_refused(server: Server) -> None:
    for n in range(25):
        reply = await server.slash(f'/release add name:"Film {n}" when:"2027-03-{n + 1:02d}"', user="grace")
        assert reply["data"]["content"].startswith("✅"), reply["data"]["content"]
    refused = await server.slash('/release add name:"Film 26" when:"2027-04-01"', user="grace")
    assert refused["data"]["flags"] == 64 and "This server has 25 releases" in refused["data"]["content"]
    assert len(await server.bot.announcer.store.server_releases()) == 25
    suggested = await server.slash("/release edit release:film", user="grace", focused="release")
    assert len(suggested["data"]["choices"]) == 25


async def test_a_servers_own_release_is_announced(
    sandbox: Sandbox, launch: Launch, config: Config, database_url: str
) -> None:
    # Milestones 2 s before; the server's release is 4 s away.
    settings = upcoming_release(config, datetime(2030, 1, 1, tzinfo=UTC), database_url=database_url).settings
    bot = await launch(replace(config, settings=replace(settings, milestones=(timedelta(seconds=2),))))
    ids = await join_guild(
        sandbox, bot, "Film Club", channels=["general", "announcements"], members=[{"name": "grace", "admin": True}]
    )
    server = Server(sandbox, bot, ids)
    at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=5)
    added = await server.slash(
        f'/release add name:"Club Night" when:"{at:%Y-%m-%d %H:%M:%S}" timezone:UTC', user="grace"
    )
    assert f"<t:{int(at.timestamp())}:F>" in added["data"]["content"]
    queue = sandbox.listen()
    setup = await server.slash('/announce setup channel:#announcements release:"Club Night"', user="grace")
    assert "✅ Countdown posts for **Club Night**" in content(setup)
    posts = await next_posts(queue, 2)
    assert "**Club Night** premieres in 2 seconds" in posts[0]["content"]
    assert "**Club Night** is out now" in posts[1]["content"]
    assert {p["channel_id"] for p in posts} == {server.channel("announcements")}


async def test_the_live_message_is_edited_at_milestones_and_posted_again_once_deleted(
    sandbox: Sandbox, launch: Launch, config: Config, database_url: str
) -> None:
    settings = upcoming_release(config, datetime(2030, 1, 1, tzinfo=UTC), database_url=database_url).settings
    bot = await launch(replace(config, settings=replace(settings, milestones=(timedelta(seconds=4),))))
    ids = await join_guild(
        sandbox,
        bot,
        "Film Club",
        channels=["general", "announcements", "countdown"],
        members=[{"name": "grace", "admin": True}],
    )
    server = Server(sandbox, bot, ids)
    at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=9)
    await server.slash(f'/release add name:"Club Night" when:"{at:%Y-%m-%d %H:%M:%S}" timezone:UTC', user="grace")
    await server.slash('/announce setup channel:#announcements release:"Club Night"', user="grace")
    reply = await server.slash('/announce live channel:#countdown release:"Club Night"', user="grace")
    assert reply["data"]["flags"] == 64 and "✅ Posted the live countdown" in reply["data"]["content"]
    (live,) = sandbox.messages(server.channel("countdown"))
    assert f"<t:{int(at.timestamp())}:R>" in live["embeds"][0]["description"]

    async def footer() -> str:
        found = sandbox.messages(server.channel("countdown"))
        return found[-1]["embeds"][0].get("footer", {}).get("text", "") if found else ""

    # At the milestone the same message is edited (no new message).
    await wait_until(footer, lambda text: "4 seconds to go" in text, timeout=20)
    assert [m["id"] for m in sandbox.messages(server.channel("countdown"))] == [live["id"]]
    # A moderator deletes it: at the premiere a new one is posted, and /announce status says so.
    sandbox.world.delete_message(live["id"])
    await wait_until(
        lambda: _latest(sandbox, server.channel("countdown")), lambda m: m is not None and "out now" in str(m), 20
    )
    (again,) = sandbox.messages(server.channel("countdown"))
    assert again["id"] != live["id"] and "**Club Night** is out now" in again["embeds"][0]["description"]
    status = content(await server.slash("/announce status", user="grace"))
    assert "It was deleted, so a new one was posted" in status and again["id"] in status


async def _latest(sandbox: Sandbox, channel: str) -> dict | None:
    found = sandbox.messages(channel)
    return found[-1] if found else None


async def test_announce_live_refusals_change_nothing(sandbox: Sandbox, server: Server) -> None:
    await server.slash('/release add name:"Club Night" when:"2027-03-15 20:00"', user="grace")
    before = await server.slash('/announce live release:"Club Night"', user="grace")
    assert before["data"]["flags"] == 64 and "No announcements are set up here" in before["data"]["content"]
    await server.slash('/announce setup channel:#announcements release:"Club Night"', user="grace")
    await sandbox.set_channel_permissions(int(server.channel("general")), sandbox.world.bot_id, [], ["send_messages"])
    locked = await server.slash('/announce live channel:#general release:"Club Night"', user="grace")
    assert "I can't post in" in locked["data"]["content"] and "**Send Messages**" in locked["data"]["content"]
    member = await server.slash('/announce live release:"Club Night"', user="ada")
    assert "Manage Server" in member["data"]["content"]
    assert await server.bot.announcer.store.live_messages() == []
    footers = [e.get("footer", {}).get("text", "") for m in sandbox.messages() for e in m.get("embeds") or []]
    assert not [f for f in footers if f.startswith("Live countdown")]
