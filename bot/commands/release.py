"""/release: a server adds, changes and removes the releases it counts down to (Manage Server).

A server's releases are seen in that server only (the adapter builds each request's catalogue from the operator's
releases and that server's own); the operator's releases are seen everywhere and cannot be changed here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import ParamSpec, TypeVar
from zoneinfo import ZoneInfo

from bot.commands.announce import event_first
from bot.commands.registry import CommandContext, Option, command, group
from bot.commands.replies import Embed, Reply, UserError, neutralise, timestamp
from bot.commands.services import Announcements
from bot.commands.show import TIMEZONE, find_zone
from bot.domain.server_releases import (
    KINDS,
    MAX_DESCRIPTION,
    MAX_NAME,
    MAX_RELEASES,
    MAX_URL,
    BadReleaseInput,
    ServerRelease,
    TooManyReleases,
    clean_description,
    clean_name,
    clean_url,
    parse_when,
    release_id,
)
from bot.i18n import CHOICE_CONTEXT, ptr, tr

log = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")
UTC_ZONE = ZoneInfo("UTC")

group("release", "This server's own releases to count down to")


def _own_names(ctx: CommandContext, current: str) -> list[str]:
    """Autocomplete: this server's own releases only (the only ones /release can change)."""
    return [r.menu_name for r in ctx.catalogue.search(current) if r.guild_id is not None and r.guild_id == ctx.guild_id]


NAME = Option("name", "The release's name, as members will see it", max_length=MAX_NAME)
WHEN = Option("when", "Date and time, such as 2027-03-15 20:00 or 15 March 2027 8pm", max_length=60)
KIND = Option("kind", "What it is (default: release)", choices=KINDS)
URL = Option("url", "Where to watch or buy it: an https:// link (optional)", max_length=MAX_URL)
DESCRIPTION = Option("description", "A few words about it (optional)", max_length=MAX_DESCRIPTION)
EVENT = Option("event", "Also create a Discord event members can follow (needs Create Events)", kind="boolean")
OWN_RELEASE = Option("release", "Which of this server's releases", required=True, autocomplete=_own_names)


def _admin(ctx: CommandContext) -> tuple[Announcements, int]:
    if ctx.guild_id is None or ctx.services is None:
        raise UserError(tr(ctx.locale, "Releases are added inside a server, with `/release add`."))
    if not ctx.is_admin:
        raise UserError(
            tr(ctx.locale, "Only members with the **Manage Server** permission can change this server's releases.")
        )
    return ctx.services, ctx.guild_id


def _checked(ctx: CommandContext, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """A domain check (given the member's `locale`), its refusal as a friendly reply in their language."""
    try:
        return fn(*args, **kwargs)
    except BadReleaseInput as exc:
        raise UserError(tr(ctx.locale, "{refusal} Nothing was changed.", refusal=exc)) from None


async def _own(ctx: CommandContext, services: Announcements, guild_id: int, wanted: str) -> ServerRelease:
    """One of this server's releases, by name or id; a friendly refusal for anything else."""
    key = wanted.strip().casefold()
    mine = list(await services.server_releases(guild_id))
    for release in mine:
        if key in (release.id.casefold(), release.name.casefold()):
            return release
    if any(key in (r.id.casefold(), r.title.casefold()) for r in ctx.catalogue.releases if r.guild_id is None):
        raise UserError(
            tr(
                ctx.locale,
                "“{typed}” is one of the bot's own releases: only releases added with `/release add` "
                "can be changed here.",
                typed=neutralise(wanted),
            )
        )
    names = ", ".join(f"**{neutralise(r.name, 40)}**" for r in mine[:10]) or tr(ctx.locale, "none yet")
    raise UserError(
        tr(
            ctx.locale,
            "This server has no release called “{typed}” (its releases: {names}).",
            typed=neutralise(wanted),
            names=names,
        )
    )


def _zone_name(ctx: CommandContext, timezone: str | None, default: str | None = None) -> ZoneInfo:
    if timezone:
        return find_zone(timezone, ctx.locale)
    if default:
        try:
            return ZoneInfo(default)
        except (ValueError, KeyError):
            pass
    return ctx.guild_zone or UTC_ZONE


def _kind(locale: str, kind: str) -> str:
    """A kind of release as its menu shows it in the member's language (the choices are translated there)."""
    return ptr(locale, CHOICE_CONTEXT, kind) if kind in KINDS else kind


def _shown(ctx: CommandContext, release: ServerRelease) -> Embed:
    """What the admin sees after a change: the instant as understood, in everyone's own time zone. The name and
    description are the admin's words, shown as written."""
    locale = ctx.locale
    shown = release.release()
    footer = tr(locale, "{kind} · id {id}", kind=_kind(locale, release.kind), id=release.id)
    embed = Embed(shown.title, shown.logline, footer=footer, moment=release.release_at)
    embed.add(tr(locale, "When"), f"{timestamp(release.release_at, 'F')} ({timestamp(release.release_at, 'R')})")
    local = release.release_at.astimezone(ZoneInfo(release.timezone)).strftime("%Y-%m-%d %H:%M")
    embed.add(
        tr(locale, "Time zone"),
        tr(locale, "{time} in `{zone}`", time=local, zone=release.timezone),
        inline=True,
    )
    if release.url:
        embed.add(tr(locale, "Link"), release.url, inline=True)
    return embed


@command(
    "release add",
    "Add a release this server counts down to (Manage Server)",
    replace(NAME, required=True),
    replace(WHEN, required=True),
    TIMEZONE,
    KIND,
    URL,
    DESCRIPTION,
    EVENT,
    admin=True,
    guild_only=True,
    touches_storage=True,
    ephemeral=True,
)
async def release_add(
    ctx: CommandContext,
    name: str,
    when: str,
    timezone: str | None = None,
    kind: str | None = None,
    url: str | None = None,
    description: str | None = None,
    event: bool = False,
) -> Reply:
    services, guild_id = _admin(ctx)
    # Every check before the one write: a refused /release add changes nothing.
    clean = _checked(ctx, clean_name, name, ctx.locale)
    zone = _zone_name(ctx, timezone)
    instant = _checked(ctx, parse_when, when, zone, ctx.now, ctx.locale)
    link = _checked(ctx, clean_url, url, ctx.locale) if url else ""
    about = _checked(ctx, clean_description, description, ctx.locale) if description else ""
    if kind is not None and kind not in KINDS:
        raise UserError(_kinds(ctx))
    if any(clean.casefold() in (r.menu_name.casefold(), r.title.casefold()) for r in ctx.catalogue.releases):
        raise UserError(_taken(ctx, clean))
    mine = list(await services.server_releases(guild_id))
    if len(mine) >= MAX_RELEASES:
        raise UserError(_too_many(ctx))
    new = ServerRelease(
        guild_id,
        release_id(guild_id, clean, {r.id for r in mine}),
        clean,
        instant,
        zone.key,
        kind or "release",
        link,
        about,
    )
    event_note = await event_first(ctx, services, guild_id, new.release()) if event else ""
    try:
        await services.add_release(new, ctx.now)
    except TooManyReleases:
        await services.remove_events(guild_id, new.id)
        raise UserError(_too_many(ctx)) from None
    log.info("server %s: release %s added for %s", guild_id, new.id, instant.isoformat())
    lines = [tr(ctx.locale, "✅ Added **{title}**: {when}.", title=new.release().title, when=timestamp(instant, "F"))]
    if event_note:
        lines.append(event_note)
    quoted = f'"{new.name}"' if " " in new.name else new.name
    named = f" release:{neutralise(quoted)}" if len(new.name) < 60 and not set('`"') & set(new.name) else ""
    setup = f"`/announce setup channel:…{named}`"  # a command as typed: never translated
    lines.append(tr(ctx.locale, "{setup} posts its countdown; `/release edit` changes it.", setup=setup))
    return Reply(content="\n".join(lines), embeds=[_shown(ctx, new)], ephemeral=True)


def _too_many(ctx: CommandContext) -> str:
    return tr(
        ctx.locale,
        "This server has {most} releases, the most it can have. Remove one with `/release remove` first. "
        "Nothing was changed.",
        most=MAX_RELEASES,
    )


def _kinds(ctx: CommandContext) -> str:
    return tr(ctx.locale, "`kind` is one of: {kinds}.", kinds=", ".join(_kind(ctx.locale, k) for k in KINDS))


def _taken(ctx: CommandContext, name: str) -> str:
    return tr(ctx.locale, "A release called **{name}** exists already. Pick another name.", name=neutralise(name))


@command(
    "release edit",
    "Change one of this server's releases; its announcements follow (Manage Server)",
    OWN_RELEASE,
    NAME,
    WHEN,
    TIMEZONE,
    KIND,
    URL,
    DESCRIPTION,
    admin=True,
    guild_only=True,
    touches_storage=True,
    ephemeral=True,
)
async def release_edit(
    ctx: CommandContext,
    release: str,
    name: str | None = None,
    when: str | None = None,
    timezone: str | None = None,
    kind: str | None = None,
    url: str | None = None,
    description: str | None = None,
) -> Reply:
    services, guild_id = _admin(ctx)
    current = await _own(ctx, services, guild_id, release)
    changed = current
    if name is not None:
        clean = _checked(ctx, clean_name, name, ctx.locale)
        others = [r for r in ctx.catalogue.releases if r.id != current.id]
        if any(clean.casefold() in (r.menu_name.casefold(), r.title.casefold()) for r in others):
            raise UserError(_taken(ctx, clean))
        changed = replace(changed, name=clean)
    zone = _zone_name(ctx, timezone, current.timezone)
    if when is not None:
        instant = _checked(ctx, parse_when, when, zone, ctx.now, ctx.locale)
        changed = replace(changed, release_at=instant, timezone=zone.key)
    elif timezone is not None:  # the same wall-clock time, read in the zone it was meant in
        wall = current.release_at.astimezone(ZoneInfo(current.timezone)).replace(tzinfo=None)
        instant = _checked(ctx, parse_when, wall.isoformat(sep=" "), zone, ctx.now, ctx.locale)
        changed = replace(changed, release_at=instant, timezone=zone.key)
    if kind is not None:
        if kind not in KINDS:
            raise UserError(_kinds(ctx))
        changed = replace(changed, kind=kind)
    if url is not None:
        no_link = url.strip().casefold() == "none"
        changed = replace(changed, url="" if no_link else _checked(ctx, clean_url, url, ctx.locale))
    if description is not None:
        changed = replace(changed, description=_checked(ctx, clean_description, description, ctx.locale))
    if changed == current:
        return Reply(
            content=tr(ctx.locale, "Nothing to change: give the options to change."),
            embeds=[_shown(ctx, current)],
            ephemeral=True,
        )
    await services.edit_release(changed, ctx.now)
    log.info("server %s: release %s edited", guild_id, current.id)
    content = tr(ctx.locale, "✅ Changed **{title}**.", title=changed.release().title)
    if changed.release_at != current.release_at:
        content += " " + tr(ctx.locale, "Its announcements follow the new date; posts already sent are not sent again.")
    return Reply(content=content, embeds=[_shown(ctx, changed)], ephemeral=True)


@command(
    "release remove",
    "Remove one of this server's releases, with its announcements and event (Manage Server)",
    OWN_RELEASE,
    admin=True,
    guild_only=True,
    touches_storage=True,
    ephemeral=True,
)
async def release_remove(ctx: CommandContext, release: str) -> Reply:
    services, guild_id = _admin(ctx)
    current = await _own(ctx, services, guild_id, release)
    await services.remove_release(guild_id, current.id)
    log.info("server %s: release %s removed", guild_id, current.id)
    return Reply(
        content=tr(
            ctx.locale,
            "🗑️ Removed **{title}**, with its announcements and its event.",
            title=current.release().title,
        ),
        ephemeral=True,
    )


@command(
    "release list",
    "This server's own releases (Manage Server)",
    admin=True,
    guild_only=True,
    touches_storage=True,
    ephemeral=True,
)
async def release_list(ctx: CommandContext) -> Reply:
    services, guild_id = _admin(ctx)
    mine = list(await services.server_releases(guild_id))
    if not mine:
        return Reply(
            content=tr(
                ctx.locale, "This server has no releases of its own yet. Add one with `/release add name:… when:…`."
            ),
            ephemeral=True,
        )
    lines = [
        f"**{r.release().title}** — {timestamp(r.release_at, 'F')} ({timestamp(r.release_at, 'R')}) · "
        + _kind(ctx.locale, r.kind)
        for r in mine
    ]
    title = tr(ctx.locale, "This server's releases ({count} of {most})", count=len(mine), most=MAX_RELEASES)
    embed = Embed(title, "\n".join(lines)[:4000])
    return Reply(embeds=[embed], ephemeral=True)
