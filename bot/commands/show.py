"""What members ask about a release: /countdown, /premiere, /about, /cast, /trivia, /help."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.commands.registry import REGISTRY, CommandContext, Option, command, localized_name
from bot.commands.replies import Button, Component, Embed, Reply, UserError, either, long_date, neutralise, timestamp
from bot.domain.countdown import countdown
from bot.domain.releases import Release, UnknownRelease, find_cast
from bot.domain.zones import resolve_zone, search_zones
from bot.i18n import CHOICE_CONTEXT, N_, ptr, tr

# Only the bot's own words are translated: a release's title, logline, cast, trivia and where to watch are the
# operator's (config/releases.toml) or a server admin's (/release add) and are shown as they wrote them.


def _release_names(ctx: CommandContext, current: str) -> list[str]:
    return [r.menu_name for r in ctx.catalogue.search(current)]


def _zone_names(ctx: CommandContext, current: str) -> list[str]:
    return search_zones(current)


def _cast_names(ctx: CommandContext, current: str) -> list[str]:
    return [m.actor for m in find_cast(ctx.catalogue.featured.cast, current)]


REMIND_COMPONENT = "remind"  # the "🔔 Remind me" button's custom_id is "remind:{release id}" (bot.commands.remind)
# The bell is in the label, not an emoji field: the label is plain text every client (and the console) shows.
REMIND_LABEL = N_("🔔 Remind me")


def remind_button(release_id: str, locale: str | None = None) -> Button:
    """Under a reply: the member's language; under a channel post: the server's."""
    return Button(f"{REMIND_COMPONENT}:{release_id}", tr(locale, REMIND_LABEL))


def remind_rows(release: Release, now: datetime, locale: str | None = None) -> list[list[Component]]:
    """The "🔔 Remind me" button under a reply about a release still to come (none once it is out)."""
    if release.release_at <= now:
        return []
    return [[remind_button(release.id, locale)]]


RELEASE = Option("release", "Which release (default: the featured one)", autocomplete=_release_names)
TIMEZONE = Option("timezone", "An IANA time zone such as Europe/Paris", autocomplete=_zone_names)


def find_release(ctx: CommandContext, wanted: str | None) -> Release:
    try:
        return ctx.catalogue.get(wanted)
    except UnknownRelease as exc:
        name, option = neutralise(wanted or ""), localized_name(ctx.locale, "release")
        if exc.suggestions:
            raise UserError(
                tr(
                    ctx.locale,
                    "I don't know a release called “{name}”. Did you mean {suggestions}? "
                    "Start typing in the `{option}` option to pick one.",
                    name=name,
                    suggestions=either([f"**{s}**" for s in exc.suggestions], ctx.locale),
                    option=option,
                )
            ) from None
        raise UserError(
            tr(
                ctx.locale,
                "I don't know a release called “{name}”. Start typing in the `{option}` option to pick one.",
                name=name,
                option=option,
            )
        ) from None


def find_zone(text: str, locale: str | None = None) -> ZoneInfo:
    """The zone a member typed, or a friendly error (in their language) with the closest names."""
    zone = resolve_zone(text)
    if zone is None:
        close = search_zones(text, limit=3) if text.strip() else []  # blank matches every zone: no guess
        if close:
            raise UserError(
                tr(
                    locale,
                    "“{text}” is not a time zone I know. Did you mean {zones}? "
                    "Use an IANA name such as `Europe/Paris` or `America/New_York`.",
                    text=neutralise(text),
                    zones=", ".join(f"`{z}`" for z in close),
                )
            )
        raise UserError(
            tr(
                locale,
                "“{text}” is not a time zone I know. Use an IANA name such as `Europe/Paris` or `America/New_York`.",
                text=neutralise(text),
            )
        )
    return zone


def status_line(release: Release, now: datetime, locale: str | None = None) -> str:
    state = countdown(release.release_at, now)
    if state.state == "upcoming":
        return tr(
            locale,
            "**{words}** to go — {verb} {when}",
            words=state.words_in(locale),
            verb=release.future_verb_in(locale),
            when=timestamp(release.release_at, "R"),
        )
    return _upper_first(state.sentence(release, locale)) + "."


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _when(release: Release) -> str:
    return f"{timestamp(release.release_at, 'F')} ({timestamp(release.release_at, 'R')})"


def _footer(release: Release, locale: str | None = None) -> str:
    # A kind chosen in /release add is one of the registry's choices, translated like the menu that offered it;
    # the operator's own kinds ("limited series") are shown as written.
    return " · ".join(x for x in (ptr(locale, CHOICE_CONTEXT, release.kind), release.network) if x)


@command("countdown", "How long until a release — or how long ago it came out", RELEASE, anywhere=True)
async def countdown_command(ctx: CommandContext, release: str | None = None) -> Reply:
    found = find_release(ctx, release)
    lang = ctx.locale
    embed = Embed(found.title, status_line(found, ctx.now, lang), footer=_footer(found, lang), moment=found.release_at)
    embed.add(found.past_heading(lang) if found.release_at <= ctx.now else tr(lang, "Premiere"), _when(found))
    return Reply(embeds=[embed], components=remind_rows(found, ctx.now, lang))


@command("premiere", "The premiere date and time in any time zone", TIMEZONE, RELEASE, anywhere=True)
async def premiere_command(ctx: CommandContext, timezone: str | None = None, release: str | None = None) -> Reply:
    found = find_release(ctx, release)
    lang = ctx.locale
    zone = find_zone(timezone, lang) if timezone else ctx.guild_zone or found.timezone
    local = found.release_at.astimezone(zone)
    offset = local.strftime("%z")
    wall = f"{long_date(local, lang)} {local.tzname()} (UTC{offset[:3]}:{offset[3:]})"
    embed = Embed(
        tr(lang, "{title} — premiere", title=found.title),
        tr(lang, "**{when}** in `{zone}`", when=wall, zone=zone.key),
        footer=_footer(found, lang),
        moment=found.release_at,
    )
    embed.add(tr(lang, "In your own time zone"), _when(found))
    embed.add(tr(lang, "Status"), status_line(found, ctx.now, lang))
    return Reply(embeds=[embed], components=remind_rows(found, ctx.now, lang))


@command("about", "What the release is: logline, network, episodes, director, writer, novel", RELEASE, anywhere=True)
async def about_command(ctx: CommandContext, release: str | None = None) -> Reply:
    found = find_release(ctx, release)
    lang = ctx.locale
    description = ""
    if found.logline:
        source = found.logline_source
        credit = tr(lang, "— official logline, {source}", source=source) if source else tr(lang, "— official logline")
        description = f"{found.logline}\n{credit}"
    embed = Embed(found.title, description, footer=_footer(found, lang), moment=found.release_at)
    embed.add(tr(lang, "Network"), found.network, inline=True)
    embed.add(tr(lang, "Episodes"), str(found.episodes or ""), inline=True)
    embed.add(tr(lang, "Format"), ptr(lang, CHOICE_CONTEXT, found.kind), inline=True)
    embed.add(tr(lang, "Premiere"), _when(found))
    embed.add(tr(lang, "Director"), found.director + (f" — {found.director_note}" if found.director_note else ""))
    embed.add(tr(lang, "Writer"), found.writer, inline=True)
    embed.add(tr(lang, "Based on"), found.based_on)
    embed.add(tr(lang, "Setting"), found.setting)
    embed.add(tr(lang, "Where to watch"), found.where_to_watch, inline=True)
    embed.add(tr(lang, "Status"), status_line(found, ctx.now, lang))
    return Reply(embeds=[embed])


@command(
    "cast", "Who plays whom", Option("name", "An actor or a role", autocomplete=_cast_names), RELEASE, anywhere=True
)
async def cast_command(ctx: CommandContext, name: str | None = None, release: str | None = None) -> Reply:
    found = find_release(ctx, release)
    lang = ctx.locale
    if not found.cast:
        raise UserError(tr(lang, "I have no cast list for **{title}** yet.", title=found.title))
    if not name:
        lines = [tr(lang, "**{actor}** as {role}", actor=m.actor, role=m.role) for m in found.cast]
        title = tr(lang, "{title} — cast", title=found.title)
        return Reply(embeds=[Embed(title, "\n".join(lines), footer=_footer(found, lang))])
    matches = find_cast(found.cast, name)
    if not matches:
        raise UserError(
            tr(
                lang,
                "Nobody in **{title}** matches “{name}”. Try `/{cast}` for the whole cast, or start typing a name.",
                title=found.title,
                name=neutralise(name),
                cast=localized_name(lang, "cast"),
            )
        )
    member = matches[0]
    embed = Embed(
        tr(lang, "{actor} as {role}", actor=member.actor, role=member.role),
        member.note and member.note[0].upper() + member.note[1:] + ".",
        footer=found.title,
    )
    return Reply(embeds=[embed])


@command("trivia", "Facts about the release", RELEASE, anywhere=True)
async def trivia_command(ctx: CommandContext, release: str | None = None) -> Reply:
    found = find_release(ctx, release)
    lang = ctx.locale
    if not found.trivia:
        raise UserError(tr(lang, "I have no trivia about **{title}** yet.", title=found.title))
    lines = [f"**{i}.** {fact}" for i, fact in enumerate(found.trivia, 1)]
    title = tr(lang, "{title} — trivia", title=found.title)
    return Reply(embeds=[Embed(title, "\n".join(lines), footer=_footer(found, lang))])


@command("help", "What this bot can do", ephemeral=True, anywhere=True)
async def help_command(ctx: CommandContext) -> Reply:
    lang = ctx.locale
    embed = Embed(
        tr(lang, "release-bot — commands"),
        tr(
            lang,
            "Counting down to **{title}** and other releases. Times show in your own time zone.",
            title=ctx.catalogue.featured.title,
        ),
    )
    # The names as Discord shows them to this member (translated where the catalogue has a valid name).
    for spec in REGISTRY:
        name = " ".join(localized_name(lang, word) for word in spec.name.split())
        options = [(localized_name(lang, o.name), o.required) for o in spec.options]
        usage = " ".join(f"<{option}>" if required else f"[{option}]" for option, required in options)
        embed.add(f"/{name} {usage}".strip(), tr(lang, spec.description))
    return Reply(embeds=[embed], ephemeral=True)
