"""/announce: server admins choose where and when countdown posts go."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.commands.ping_role import role_advice
from bot.commands.registry import CommandContext, Option, command, group
from bot.commands.replies import Embed, Reply, UserError, neutralise, timestamp
from bot.commands.services import Announcements
from bot.commands.show import RELEASE, TIMEZONE, find_release, find_zone
from bot.domain.announcements import MissingPermission, PostFailed, PostOutcome, PostRejected, Subscription
from bot.domain.countdown import countdown, span_words
from bot.domain.live import LiveMessage
from bot.domain.plan import PlannedPost, post_label, post_text, sample_post
from bot.domain.releases import Release
from bot.domain.zones import resolve_zone
from bot.i18n import N_, ntr, ptr, tr

log = logging.getLogger(__name__)
# [0-9], not \d: \d also takes "1:5٥" (an Arabic-Indic five), which the scheduler's clock parser cannot read.
_CLOCK = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")
_NO_DAILY = {"off", "none", "no"}
NEXT_POSTS = 5
LAST_POSTS = 5
FIELD_LIMIT = 1024  # Discord's limit for one embed field's value
EMBEDS_LIMIT = 6000  # ...and for all the embeds of one message together
STATE_ICONS = {"sent": "✅", "skipped": "⏭️", "failed": "❌", "claimed": "📤"}

group("announce", "Countdown posts in this server")
# Every /announce sub-command: Manage Server, inside a server, a private reply after a private "thinking…".
ADMIN_ONLY: dict[str, bool] = {"admin": True, "guild_only": True, "touches_storage": True, "ephemeral": True}


@dataclass(frozen=True)
class ChannelRef:
    """A channel option as the adapter saw it, with the permissions the bot lacks there."""

    id: int
    name: str
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class RoleRef:
    id: int
    name: str
    is_everyone: bool = False


def _announcer(ctx: CommandContext) -> tuple[Announcements, int]:
    """The announcement services and the server, for a member allowed to change them; else a friendly refusal."""
    if ctx.guild_id is None or ctx.services is None:
        raise UserError(tr(ctx.locale, "Announcements are set up inside a server, with `/announce setup`."))
    if not ctx.is_admin:
        raise UserError(tr(ctx.locale, "Only members with the **Manage Server** permission can change announcements."))
    return ctx.services, ctx.guild_id


# The permissions the adapter and the poster name (in English), as Discord's own menus call them in each language.
PERMISSION_NAMES = (N_("View Channel"), N_("Send Messages"), N_("Create Events"), N_("Manage Events"))


def _channel(channel_id: int) -> str:
    return f"<#{channel_id}>"


def _role(role_id: int) -> str:
    return f"<@&{role_id}>"


def _permissions(locale: str, missing: Sequence[object]) -> str:
    """ "**Voir les salons**, **Envoyer des messages**": the missing permissions in the admin's language."""
    return ", ".join(f"**{tr(locale, str(name))}**" for name in missing)


def _clock(ctx: CommandContext, text: str) -> str | None:
    """ "20:00" -> "20:00", "9:05" -> "09:05"; "off" -> None (no daily post)."""
    text = text.strip()
    if text.casefold() in _NO_DAILY:
        return None
    match = _CLOCK.fullmatch(text)
    if not match:
        raise UserError(
            tr(
                ctx.locale,
                "“{typed}” is not a time of day: use 24-hour HH:MM with the digits 0-9, "
                "such as 20:00 (or `off` for no daily post). Nothing was changed.",
                typed=neutralise(text),
            )
        )
    return f"{int(match[1]):02d}:{match[2]}"


def _short(text: str, limit: int = 100) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _post_line(release: Release, post: PlannedPost, locale: str) -> str:
    return f"{timestamp(post.at, 'f')} — {post_label(release, post, locale)}"


def _post_name(row: PostOutcome, release: Release | None, locale: str) -> str:
    kind = row.post_key.partition(":")[0]
    if kind == "milestone" and release is not None and row.due_at < release.release_at:
        return tr(locale, "{time} before", time=span_words(row.due_at, release.release_at, locale=locale))
    if kind == "premiere":
        return ptr(locale, "post", "premiere")
    if kind == "daily":
        return tr(locale, "daily post")
    return row.post_key


def _outcome_line(row: PostOutcome, release: Release | None, locale: str) -> str:
    """One ledger row as the admin reads it: when, which post, and what became of it (with the reason, as the
    bot recorded it: in English, like the logs)."""
    if row.state == "sent":
        link = f"https://discord.com/channels/{row.guild_id}/{row.channel_id}/{row.message_id}"
        if row.late:
            outcome = tr(locale, "[sent late]({link}) (the bot was offline)", link=link)
        else:
            outcome = tr(locale, "[sent]({link})", link=link)
        icon = "🕓" if row.late else "✅"
    elif row.state == "claimed":
        outcome, icon = tr(locale, "being sent"), STATE_ICONS["claimed"]
    else:
        reason = _short(row.detail or tr(locale, "no reason recorded"))
        if row.state == "skipped":
            outcome = tr(locale, "skipped: {reason}", reason=reason)
        elif row.state == "failed":
            outcome = tr(locale, "failed: {reason}", reason=reason)
        else:
            outcome = f"{row.state}: {reason}"
        icon = STATE_ICONS.get(row.state, "•")
    return f"{icon} {timestamp(row.due_at, 'f')} — {_post_name(row, release, locale)} — {outcome}"


def _fit(lines: list[str], limit: int = FIELD_LIMIT) -> str:
    """Lines joined, dropping the oldest (first) ones until they fit in an embed field."""
    while len("\n".join(lines)) > limit and len(lines) > 1:
        lines = lines[1:]
    return _short("\n".join(lines), limit)


def _plan(announcer: Announcements, sub: Subscription, now: datetime) -> list[PlannedPost] | None:
    """The subscription's next posts; None if its stored settings do not read (saved by an older version)."""
    try:
        return announcer.plan(sub, now)
    except (ValueError, KeyError):  # a clock time.fromisoformat rejects, a zone ZoneInfo does not know
        return None


def _status(
    sub: Subscription, release: Release | None, posts: list[PlannedPost] | None, now: datetime, locale: str
) -> str:
    """The subscription's state; a pause's reason is the bot's record, in English (like the logs)."""
    if release is None:
        return tr(
            locale,
            "⚠️ Its release is no longer in the catalogue, so nothing will be posted. "
            "`/announce off release:{release}` removes it.",
            release=sub.release_id,
        )
    if posts is None:
        return tr(locale, "⚠️ Its saved settings can't be read, so nothing will be posted. Run `/announce setup` again.")
    if not posts and release.release_at <= now:
        finished = tr(locale, "✅ Finished — the release is out")
        if sub.paused and sub.pause_reason:
            finished += "\n" + tr(locale, "⏸️ Posting had been paused: {reason}.", reason=sub.pause_reason)
        return finished
    if sub.paused and sub.pause_reason is None:
        return tr(locale, "⏸️ Paused by an admin — `/announce resume` to restart.")
    if sub.paused:
        return tr(
            locale,
            "⏸️ Paused: {reason}.\nFix it (give me **View Channel** and **Send Messages** in the "
            "channel, or pick another one with `/announce setup`), then run `/announce resume`.",
            reason=sub.pause_reason,
        )
    return tr(locale, "▶️ Active")


def _describe(
    announcer: Announcements,
    sub: Subscription,
    ctx: CommandContext,
    history: Sequence[PostOutcome] = (),
    live: Sequence[LiveMessage] = (),
) -> Embed:
    """A subscription's settings, its state, its next posts and what became of its last ones, in the member's
    language (release titles are the catalogue's, as written)."""
    locale = ctx.locale
    release = announcer.release_of(sub)
    title = release.title if release else tr(locale, "{release} (no longer in the catalogue)", release=sub.release_id)
    embed = Embed(
        tr(locale, "Announcements — {title}", title=title),
        footer=tr(locale, "Time zone: {zone}", zone=sub.timezone),
    )
    embed.add(tr(locale, "Channel"), f"<#{sub.channel_id}>", inline=True)
    daily = f"{sub.daily_time} ({sub.timezone})" if sub.daily_time else tr(locale, "off")
    embed.add(tr(locale, "Daily post"), daily, inline=True)
    embed.add(tr(locale, "Role ping"), f"<@&{sub.role_id}>" if sub.role_id else tr(locale, "none"), inline=True)
    posts = _plan(announcer, sub, ctx.now) if release else []
    embed.add(tr(locale, "Status"), _status(sub, release, posts, ctx.now, locale))
    # Pings and the posts' Get pinged button need what the setup itself does not: said here, at setup and status.
    access = ctx.roles.role_access(sub.guild_id, sub.role_id, sub.channel_id) if sub.role_id and ctx.roles else None
    if sub.role_id and access is not None:
        on = tr(locale, "✅ On the posts") if access.can_hand_out else ""
        advice = role_advice(access, sub.role_id, locale)
        embed.add(tr(locale, "Get pinged button"), "\n".join(filter(None, [on, advice])))
    if release is not None and posts:
        lines = [_post_line(release, p, locale) for p in posts[:NEXT_POSTS]]
        if len(posts) > NEXT_POSTS:
            more = len(posts) - NEXT_POSTS
            lines.append(ntr(locale, "…and {n} more", "…and {n} more", more))
        if sub.paused:
            name = tr(locale, "Next posts ({count}) once resumed", count=len(posts))
        else:
            name = tr(locale, "Next posts ({count})", count=len(posts))
        embed.add(name, "\n".join(lines))
    elif release is not None and posts is not None:
        sentence = countdown(release.release_at, ctx.now).sentence(release, locale)
        embed.add(tr(locale, "Next posts"), tr(locale, "None: {title} {sentence}.", title=title, sentence=sentence))
    for row in (r for r in live if r.release_id == sub.release_id):
        link = f"https://discord.com/channels/{row.guild_id}/{row.channel_id}/{row.message_id}"
        line = tr(
            locale, "[in {channel}]({link}), edited at each milestone", channel=_channel(row.channel_id), link=link
        )
        if row.replaced_at is not None:
            line += "\n" + tr(
                locale,
                "⚠️ It was deleted, so a new one was posted {when}.",
                when=timestamp(row.replaced_at, "R"),
            )
        embed.add(tr(locale, "Live message"), line)
    mine = [d for d in history if d.release_id == sub.release_id][-LAST_POSTS:]
    if mine:
        embed.add(tr(locale, "Last posts"), _fit([_outcome_line(d, release, locale) for d in mine]))
    return embed


def _size(embed: Embed) -> int:
    """What Discord counts towards the 6,000 characters of a message's embeds."""
    return (
        len(embed.title)
        + len(embed.description)
        + len(embed.footer)
        + sum(len(name) + len(value) for name, value, _ in embed.fields)
    )


def _embeds_reply(ctx: CommandContext, embeds: list[Embed], content: str | None = None) -> Reply:
    """As many embeds as one message holds (10, 6,000 characters in all), saying how many did not fit."""
    shown: list[Embed] = []
    for embed in embeds[:10]:
        if sum(map(_size, shown)) + _size(embed) > EMBEDS_LIMIT:
            break
        shown.append(embed)
    if len(shown) < len(embeds):
        more = ntr(
            ctx.locale,
            "…and {n} more set up here than one message can show.",
            "…and {n} more set up here than one message can show.",
            len(embeds) - len(shown),
        )
        content = f"{content}\n{more}" if content else more
    return Reply(content=content, embeds=shown, ephemeral=True)


async def _chosen(ctx: CommandContext, release: str | None) -> list[Subscription]:
    """The server's subscriptions, or the one for `release`; a friendly error when there is none."""
    announcer, guild_id = _announcer(ctx)
    subs = list(await announcer.subscriptions(guild_id))
    if release:
        # By its id, a release since removed from the catalogue can still be named (to turn it off).
        gone = [s for s in subs if s.release_id == release.strip()]
        subs = gone or [s for s in subs if s.release_id == find_release(ctx, release).id]
    if not subs and release:
        raise UserError(
            tr(ctx.locale, "No announcements are set up here for that release. Start with `/announce setup`.")
        )
    if not subs:
        raise UserError(tr(ctx.locale, "No announcements are set up here. Start with `/announce setup`."))
    return subs


@command(
    "announce setup",
    "Post countdown announcements in a channel (Manage Server)",
    Option("channel", "Where the posts go", required=True, kind="channel"),
    Option("role", "A role to ping with each post (optional)", kind="role"),
    TIMEZONE,
    Option("daily_time", "Also post every day at this local time, HH:MM, or off (optional)", max_length=5),
    RELEASE,
    Option("event", "Also create a Discord event members can follow (needs Create Events)", kind="boolean"),
    **ADMIN_ONLY,
)
async def announce_setup(
    ctx: CommandContext,
    channel: ChannelRef,
    role: RoleRef | None = None,
    timezone: str | None = None,
    daily_time: str | None = None,
    release: str | None = None,
    event: bool = False,
) -> Reply:
    announcer, guild_id = _announcer(ctx)
    if not isinstance(channel, ChannelRef):
        raise UserError(tr(ctx.locale, "Pick the channel from the list Discord shows for the `channel` option."))
    if role is not None and not isinstance(role, RoleRef):
        raise UserError(tr(ctx.locale, "Pick the role from the list Discord shows for the `role` option."))
    found = find_release(ctx, release)
    if found.release_at <= ctx.now:
        state = countdown(found.release_at, ctx.now)
        raise UserError(
            tr(
                ctx.locale,
                "**{title}** {sentence}: there is nothing left to count down to. "
                "Pick an upcoming release with the `release` option, or add your own with "
                "`/release add name:… when:…`.",
                title=found.title,
                sentence=state.sentence(found, ctx.locale),
            )
        )
    # Every check comes before the one write, so a refused setup changes nothing.
    zone = find_zone(timezone, ctx.locale) if timezone else None
    clock = _clock(ctx, daily_time) if daily_time else None
    if channel.missing:
        raise UserError(
            tr(
                ctx.locale,
                "I can't post in {channel}: I'm missing {permissions} there. "
                "Give me those permissions in the channel, or pick another one. Nothing was changed.",
                channel=_channel(channel.id),
                permissions=_permissions(ctx.locale, channel.missing),
            )
        )
    if role is not None and role.is_everyone:
        raise UserError(
            tr(ctx.locale, "I won't ping {everyone}. Pick a role, or leave `role` empty.", everyone="@\u200beveryone")
        )

    # Setting up again changes what is given and keeps the rest (a role added must not drop the daily post).
    before = next(iter(await announcer.subscriptions(guild_id, release_id=found.id)), None)
    kept: list[str] = []
    if zone is None:
        zone = (resolve_zone(before.timezone) if before else None) or ctx.guild_zone or found.timezone
    if daily_time is None and before is not None and before.daily_time and _CLOCK.fullmatch(before.daily_time):
        clock = before.daily_time
        kept.append(tr(ctx.locale, "the daily post at {time}", time=clock))
    role_id = role.id if role else before.role_id if before else None
    if role is None and role_id:
        kept.append(tr(ctx.locale, "the role ping {role}", role=_role(role_id)))

    event_note = await event_first(ctx, announcer, guild_id, found) if event else ""
    sub = await announcer.subscribe(guild_id, found.id, channel.id, role_id, zone.key, clock, ctx.now)
    log.info(
        "server %s: announcements for %s %s: channel %s, role %s, time zone %s, daily post %s",
        guild_id,
        found.id,
        "changed" if before else "set up",
        channel.id,
        role_id or "none",
        zone.key,
        clock or "off",
    )
    embed = _describe(announcer, sub, ctx)
    embed.description = tr(
        ctx.locale,
        "✅ Countdown posts for **{title}** will go to {channel}.",
        title=found.title,
        channel=_channel(channel.id),
    )
    if len(kept) == 2:
        embed.description += "\n" + tr(ctx.locale, "Kept from before: {one} and {other}.", one=kept[0], other=kept[1])
    elif kept:
        embed.description += "\n" + tr(ctx.locale, "Kept from before: {one}.", one=kept[0])
    if kept and clock:
        embed.description += " " + tr(ctx.locale, "`daily_time:off` stops the daily post.")
    if event_note:
        embed.description += "\n" + event_note
    return Reply(embeds=[embed], ephemeral=True)


async def event_first(ctx: CommandContext, announcer: Announcements, guild_id: int, release: Release) -> str:
    """Create (or bring up to date) the server's Discord event for the release, *before* anything else changes:
    without the permission the command is refused with nothing changed. A line for the reply."""

    def refusal(permission: object) -> UserError:
        return UserError(
            tr(
                ctx.locale,
                "I can't create the event: I'm missing the {permission} permission in this server. "
                "Give it to me, or leave `event` out. Nothing was changed.",
                permission=_permissions(ctx.locale, [permission]),
            )
        )

    missing = announcer.missing_event_permission(guild_id)
    if missing:
        raise refusal(missing)
    try:
        # The event is the server's: its words are in the server's language (the announcer knows it).
        created = await announcer.ensure_event(guild_id, release, ctx.now)
    except MissingPermission as exc:  # Discord said so (our copy of the permissions was out of date)
        raise refusal(exc) from None
    except PostFailed as exc:
        return tr(ctx.locale, "⚠️ No event this time ({why}); try `event:True` again later.", why=_short(str(exc)))
    if created:
        return tr(ctx.locale, "📅 Created the server event: members can click *Interested*.")
    return tr(ctx.locale, "📅 The event is up to date.")


@command(
    "announce status",
    "This server's announcement settings, next and last posts (Manage Server)",
    **ADMIN_ONLY,
)
async def announce_status(ctx: CommandContext) -> Reply:
    announcer, guild_id = _announcer(ctx)
    subs = await announcer.subscriptions(guild_id)
    if not subs:
        return Reply(
            content=tr(ctx.locale, "No announcements are set up in this server yet. Start with `/announce setup`."),
            ephemeral=True,
        )
    history = await announcer.outcomes(guild_id)
    live = await announcer.live_messages(guild_id)
    return _embeds_reply(ctx, [_describe(announcer, sub, ctx, history, live) for sub in subs])


@command(
    "announce test",
    "Send a sample announcement now (Manage Server)",
    RELEASE,
    **ADMIN_ONLY,
)
async def announce_test(ctx: CommandContext, release: str | None = None) -> Reply:
    announcer, _ = _announcer(ctx)
    sub = (await _chosen(ctx, release))[0]
    found = announcer.release_of(sub)
    if found is None:
        raise UserError(tr(ctx.locale, "That release is no longer in the catalogue."))
    # The words of a post sent now, not of the next planned one; and no role mention: a test pings nobody.
    # It is a post in the channel: in the server's language, like the real ones.
    channel_locale = ctx.guild_locale
    text = tr(channel_locale, "🔔 **Test post** — a post sent now would say:") + "\n"
    text += post_text(found, sample_post(found, ctx.now), locale=channel_locale)
    try:
        await announcer.send_test(sub.channel_id, text)
    except PostRejected as exc:
        raise UserError(
            tr(
                ctx.locale,
                "I couldn't post in {channel}: {why}. Give me **View Channel** and "
                "**Send Messages** there, or pick another channel with `/announce setup`.",
                channel=_channel(sub.channel_id),
                why=exc,
            )
        ) from None
    except PostFailed as exc:
        raise UserError(
            tr(
                ctx.locale,
                "Discord did not take the test post just now ({why}). Please try again in a moment.",
                why=_short(str(exc)),
            )
        ) from None
    sent = tr(ctx.locale, "✅ Sent a test post to {channel}. It pings nobody.", channel=_channel(sub.channel_id))
    if sub.role_id:
        sent += " " + tr(ctx.locale, "Real posts ping {role}.", role=_role(sub.role_id))
    return Reply(content=sent, ephemeral=True)


@command(
    "announce live",
    "Post one live countdown message, edited at each milestone (Manage Server)",
    Option("channel", "Where it goes (default: the announcements' channel)", kind="channel"),
    RELEASE,
    **ADMIN_ONLY,
)
async def announce_live(ctx: CommandContext, channel: ChannelRef | None = None, release: str | None = None) -> Reply:
    announcer, guild_id = _announcer(ctx)
    if channel is not None and not isinstance(channel, ChannelRef):
        raise UserError(tr(ctx.locale, "Pick the channel from the list Discord shows for the `channel` option."))
    sub = (await _chosen(ctx, release))[0]  # it moves on with the announcements' timers: they must exist
    found = announcer.release_of(sub)
    if found is None:
        raise UserError(tr(ctx.locale, "That release is no longer in the catalogue."))
    if found.release_at <= ctx.now:
        raise UserError(
            tr(ctx.locale, "**{title}** is out already: there is nothing left to count down to.", title=found.title)
        )
    if channel is not None and channel.missing:
        raise UserError(
            tr(
                ctx.locale,
                "I can't post in {channel}: I'm missing {permissions} there. Nothing was changed.",
                channel=_channel(channel.id),
                permissions=_permissions(ctx.locale, channel.missing),
            )
        )
    channel_id = channel.id if channel is not None else sub.channel_id
    try:
        await announcer.start_live(guild_id, found, channel_id, ctx.now)
    except PostRejected as exc:
        raise UserError(
            tr(
                ctx.locale,
                "I couldn't post in {channel}: {why}. Nothing was changed.",
                channel=_channel(channel_id),
                why=exc,
            )
        ) from None
    except PostFailed as exc:
        raise UserError(
            tr(ctx.locale, "Discord did not take the message just now ({why}). Please try again.", why=_short(str(exc)))
        ) from None
    log.info("server %s: live message for %s in channel %s", guild_id, found.id, channel_id)
    return Reply(
        content=tr(
            ctx.locale,
            "✅ Posted the live countdown for **{title}** in {channel}. It counts down by itself "
            "and is updated at each milestone and at the premiere.",
            title=found.title,
            channel=_channel(channel_id),
        ),
        ephemeral=True,
    )


@command(
    "announce pause",
    "Stop posting until resumed; settings are kept (Manage Server)",
    RELEASE,
    **ADMIN_ONLY,
)
async def announce_pause(ctx: CommandContext, release: str | None = None) -> Reply:
    announcer, guild_id = _announcer(ctx)
    active = [s for s in await _chosen(ctx, release) if not s.paused]
    if not active:
        return Reply(
            content=tr(ctx.locale, "⏸️ Announcements are already paused. `/announce resume` starts them again."),
            ephemeral=True,
        )
    await announcer.set_paused(guild_id, [s.release_id for s in active], True, ctx.now)
    log.info("server %s: announcements paused by an admin: %s", guild_id, ", ".join(s.release_id for s in active))
    return Reply(
        content=tr(
            ctx.locale,
            "⏸️ Announcements paused. Posts due while paused are not sent later. `/announce resume` starts them again.",
        ),
        ephemeral=True,
    )


@command(
    "announce resume",
    "Start posting again (Manage Server)",
    RELEASE,
    **ADMIN_ONLY,
)
async def announce_resume(ctx: CommandContext, release: str | None = None) -> Reply:
    announcer, guild_id = _announcer(ctx)
    chosen = await _chosen(ctx, release)
    paused = [s for s in chosen if s.paused]
    if paused:
        await announcer.set_paused(guild_id, [s.release_id for s in paused], False, ctx.now)
        log.info("server %s: announcements resumed by an admin: %s", guild_id, ", ".join(s.release_id for s in paused))
    wanted = {s.release_id for s in chosen}
    subs = [s for s in await announcer.subscriptions(guild_id) if s.release_id in wanted]
    history = await announcer.outcomes(guild_id)
    if paused:
        content = tr(ctx.locale, "▶️ Announcements resumed.")
    else:
        content = tr(ctx.locale, "▶️ Announcements are already active: there was nothing to resume.")
    return _embeds_reply(ctx, [_describe(announcer, s, ctx, history) for s in subs], content)


@command(
    "announce off",
    "Turn announcements off and forget their settings (Manage Server)",
    RELEASE,
    **ADMIN_ONLY,
)
async def announce_off(ctx: CommandContext, release: str | None = None) -> Reply:
    announcer, guild_id = _announcer(ctx)
    chosen = await _chosen(ctx, release)
    release_id = chosen[0].release_id if release else None
    await announcer.unsubscribe(guild_id, release_id)
    try:
        events = await announcer.remove_events(guild_id, release_id)
    except (MissingPermission, PostFailed) as exc:
        log.warning("server %s: could not delete the event of %s: %s", guild_id, release_id or "every release", exc)
        events = 0
    log.info("server %s: announcements turned off and forgotten: %s", guild_id, release_id or "every release")
    content = tr(ctx.locale, "🔕 Announcements are off, and their settings are forgotten.")
    if events:
        content += " " + ntr(ctx.locale, "The server event is deleted.", "{n} server events are deleted.", events)
    return Reply(content=content, ephemeral=True)
