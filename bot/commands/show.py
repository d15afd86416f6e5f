"""What members ask about a release: /countdown, /premiere, /about, /cast, /trivia, /help."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.commands.registry import REGISTRY, CommandContext, Option, command
from bot.commands.replies import Button, Component, Embed, Reply, UserError, neutralise, timestamp
from bot.domain.countdown import countdown
from bot.domain.releases import Release, UnknownRelease, find_cast
from bot.domain.zones import resolve_zone, search_zones


def _release_names(ctx: CommandContext, current: str) -> list[str]:
    return [r.menu_name for r in ctx.catalogue.search(current)]


def _zone_names(ctx: CommandContext, current: str) -> list[str]:
    return search_zones(current)


def _cast_names(ctx: CommandContext, current: str) -> list[str]:
    return [m.actor for m in find_cast(ctx.catalogue.featured.cast, current)]


REMIND_COMPONENT = "remind"  # the "🔔 Remind me" button's custom_id is "remind:{release id}" (bot.commands.remind)
# The bell is in the label, not an emoji field: the label is plain text every client (and the console) shows.
REMIND_LABEL = "🔔 Remind me"


def remind_button(release_id: str) -> Button:
    return Button(f"{REMIND_COMPONENT}:{release_id}", REMIND_LABEL)


def remind_rows(release: Release, now: datetime) -> list[list[Component]]:
    """The "🔔 Remind me" button under a reply about a release still to come (none once it is out)."""
    if release.release_at <= now:
        return []
    return [[remind_button(release.id)]]


RELEASE = Option("release", "Which release (default: the featured one)", autocomplete=_release_names)
TIMEZONE = Option("timezone", "An IANA time zone such as Europe/Paris", autocomplete=_zone_names)


def find_release(ctx: CommandContext, wanted: str | None) -> Release:
    try:
        return ctx.catalogue.get(wanted)
    except UnknownRelease as exc:
        hint = f" Did you mean {' or '.join(f'**{s}**' for s in exc.suggestions)}?" if exc.suggestions else ""
        raise UserError(
            f"I don't know a release called “{neutralise(wanted or '')}”.{hint} "
            "Start typing in the `release` option to pick one."
        ) from None


def find_zone(text: str) -> ZoneInfo:
    """The zone a member typed, or a friendly error with the closest names."""
    zone = resolve_zone(text)
    if zone is None:
        close = search_zones(text, limit=3)
        hint = f" Did you mean {', '.join(f'`{z}`' for z in close)}?" if close else ""
        raise UserError(
            f"“{neutralise(text)}” is not a time zone I know.{hint} "
            "Use an IANA name such as `Europe/Paris` or `America/New_York`."
        )
    return zone


def status_line(release: Release, now: datetime) -> str:
    state = countdown(release.release_at, now)
    if state.state == "upcoming":
        return f"**{state.words}** to go — {release.future_verb} {timestamp(release.release_at, 'R')}"
    sentence = state.sentence(release)
    return sentence[0].upper() + sentence[1:] + "."


def _when(release: Release) -> str:
    return f"{timestamp(release.release_at, 'F')} ({timestamp(release.release_at, 'R')})"


def _footer(release: Release) -> str:
    return " · ".join(x for x in (release.kind, release.network) if x)


@command("countdown", "How long until a release — or how long ago it came out", RELEASE, anywhere=True)
async def countdown_command(ctx: CommandContext, release: str | None = None) -> Reply:
    found = find_release(ctx, release)
    embed = Embed(found.title, status_line(found, ctx.now), footer=_footer(found), moment=found.release_at)
    embed.add(found.past_verb.capitalize() if found.release_at <= ctx.now else "Premiere", _when(found))
    return Reply(embeds=[embed], components=remind_rows(found, ctx.now))


@command("premiere", "The premiere date and time in any time zone", TIMEZONE, RELEASE, anywhere=True)
async def premiere_command(ctx: CommandContext, timezone: str | None = None, release: str | None = None) -> Reply:
    found = find_release(ctx, release)
    zone = find_zone(timezone) if timezone else ctx.guild_zone or found.timezone
    local = found.release_at.astimezone(zone)
    offset = local.strftime("%z")
    wall = f"{local:%A} {local.day} {local:%B %Y, %H:%M} {local.tzname()} (UTC{offset[:3]}:{offset[3:]})"
    embed = Embed(
        f"{found.title} — premiere", f"**{wall}** in `{zone.key}`", footer=_footer(found), moment=found.release_at
    )
    embed.add("In your own time zone", _when(found))
    embed.add("Status", status_line(found, ctx.now))
    return Reply(embeds=[embed], components=remind_rows(found, ctx.now))


@command("about", "What the release is: logline, network, episodes, director, writer, novel", RELEASE, anywhere=True)
async def about_command(ctx: CommandContext, release: str | None = None) -> Reply:
    found = find_release(ctx, release)
    description = found.logline and f"{found.logline}\n— official logline" + (
        f", {found.logline_source}" if found.logline_source else ""
    )
    embed = Embed(found.title, description, footer=_footer(found), moment=found.release_at)
    embed.add("Network", found.network, inline=True)
    embed.add("Episodes", str(found.episodes or ""), inline=True)
    embed.add("Format", found.kind, inline=True)
    embed.add("Premiere", _when(found))
    embed.add("Director", found.director + (f" — {found.director_note}" if found.director_note else ""))
    embed.add("Writer", found.writer, inline=True)
    embed.add("Based on", found.based_on)
    embed.add("Setting", found.setting)
    embed.add("Where to watch", found.where_to_watch, inline=True)
    embed.add("Status", status_line(found, ctx.now))
    return Reply(embeds=[embed])


@command(
    "cast", "Who plays whom", Option("name", "An actor or a role", autocomplete=_cast_names), RELEASE, anywhere=True
)
async def cast_command(ctx: CommandContext, name: str | None = None, release: str | None = None) -> Reply:
    found = find_release(ctx, release)
    if not found.cast:
        raise UserError(f"I have no cast list for **{found.title}** yet.")
    if not name:
        lines = [f"**{m.actor}** as {m.role}" for m in found.cast]
        return Reply(embeds=[Embed(f"{found.title} — cast", "\n".join(lines), footer=_footer(found))])
    matches = find_cast(found.cast, name)
    if not matches:
        raise UserError(
            f"Nobody in **{found.title}** matches “{neutralise(name)}”. "
            f"Try `/cast` for the whole cast, or start typing a name."
        )
    member = matches[0]
    embed = Embed(
        f"{member.actor} as {member.role}",
        member.note and member.note[0].upper() + member.note[1:] + ".",
        footer=found.title,
    )
    return Reply(embeds=[embed])


@command("trivia", "Facts about the release", RELEASE, anywhere=True)
async def trivia_command(ctx: CommandContext, release: str | None = None) -> Reply:
    found = find_release(ctx, release)
    if not found.trivia:
        raise UserError(f"I have no trivia about **{found.title}** yet.")
    lines = [f"**{i}.** {fact}" for i, fact in enumerate(found.trivia, 1)]
    return Reply(embeds=[Embed(f"{found.title} — trivia", "\n".join(lines), footer=_footer(found))])


@command("help", "What this bot can do", ephemeral=True, anywhere=True)
async def help_command(ctx: CommandContext) -> Reply:
    embed = Embed(
        "release-bot — commands",
        f"Counting down to **{ctx.catalogue.featured.title}** and other releases. Times show in your own time zone.",
    )
    for spec in REGISTRY:
        usage = " ".join(f"[{o.name}]" if not o.required else f"<{o.name}>" for o in spec.options)
        embed.add(f"/{spec.name} {usage}".strip(), spec.description)
    return Reply(embeds=[embed], ephemeral=True)
