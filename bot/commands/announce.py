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
from bot.domain.plan import PlannedPost, post_text, sample_post
from bot.domain.releases import Release
from bot.domain.zones import resolve_zone

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
        raise UserError("Announcements are set up inside a server, with `/announce setup`.")
    if not ctx.is_admin:
        raise UserError("Only members with the **Manage Server** permission can change announcements.")
    return ctx.services, ctx.guild_id


def _clock(text: str) -> str | None:
    """ "20:00" -> "20:00", "9:05" -> "09:05"; "off" -> None (no daily post)."""
    text = text.strip()
    if text.casefold() in _NO_DAILY:
        return None
    match = _CLOCK.fullmatch(text)
    if not match:
        raise UserError(
            f"“{neutralise(text)}” is not a time of day: use 24-hour HH:MM with the digits 0-9, "
            "such as 20:00 (or `off` for no daily post). Nothing was changed."
        )
    return f"{int(match[1]):02d}:{match[2]}"


def _short(text: str, limit: int = 100) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _post_line(post: PlannedPost) -> str:
    return f"{timestamp(post.at, 'f')} — {post.label}"


def _post_name(row: PostOutcome, release: Release | None) -> str:
    kind = row.post_key.partition(":")[0]
    if kind == "milestone" and release is not None and row.due_at < release.release_at:
        return f"{span_words(row.due_at, release.release_at)} before"
    return {"premiere": "premiere", "daily": "daily post"}.get(kind, row.post_key)


def _outcome_line(row: PostOutcome, release: Release | None) -> str:
    """One ledger row as the admin reads it: when, which post, and what became of it (with the reason)."""
    if row.state == "sent":
        link = f"https://discord.com/channels/{row.guild_id}/{row.channel_id}/{row.message_id}"
        outcome = f"[sent late]({link}) (the bot was offline)" if row.late else f"[sent]({link})"
        icon = "🕓" if row.late else "✅"
    elif row.state == "claimed":
        outcome, icon = "being sent", STATE_ICONS["claimed"]
    else:
        outcome = f"{row.state}: {_short(row.detail or 'no reason recorded')}"
        icon = STATE_ICONS.get(row.state, "•")
    return f"{icon} {timestamp(row.due_at, 'f')} — {_post_name(row, release)} — {outcome}"


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


def _status(sub: Subscription, release: Release | None, posts: list[PlannedPost] | None, now: datetime) -> str:
    if release is None:
        return (
            "⚠️ Its release is no longer in the catalogue, so nothing will be posted. "
            f"`/announce off release:{sub.release_id}` removes it."
        )
    if posts is None:
        return "⚠️ Its saved settings can't be read, so nothing will be posted. Run `/announce setup` again."
    if not posts and release.release_at <= now:
        why = f"\n⏸️ Posting had been paused: {sub.pause_reason}." if sub.paused and sub.pause_reason else ""
        return "✅ Finished — the release is out" + why
    if sub.paused and sub.pause_reason is None:
        return "⏸️ Paused by an admin — `/announce resume` to restart."
    if sub.paused:
        return (
            f"⏸️ Paused: {sub.pause_reason}.\nFix it (give me **View Channel** and **Send Messages** in the "
            "channel, or pick another one with `/announce setup`), then run `/announce resume`."
        )
    return "▶️ Active"


def _describe(
    announcer: Announcements,
    sub: Subscription,
    ctx: CommandContext,
    history: Sequence[PostOutcome] = (),
    live: Sequence[LiveMessage] = (),
) -> Embed:
    """A subscription's settings, its state, its next posts and what became of its last ones."""
    release = announcer.release_of(sub)
    title = release.title if release else f"{sub.release_id} (no longer in the catalogue)"
    embed = Embed(f"Announcements — {title}", footer=f"Time zone: {sub.timezone}")
    embed.add("Channel", f"<#{sub.channel_id}>", inline=True)
    embed.add("Daily post", f"{sub.daily_time} ({sub.timezone})" if sub.daily_time else "off", inline=True)
    embed.add("Role ping", f"<@&{sub.role_id}>" if sub.role_id else "none", inline=True)
    posts = _plan(announcer, sub, ctx.now) if release else []
    embed.add("Status", _status(sub, release, posts, ctx.now))
    # Pings and the posts' Get pinged button need what the setup itself does not: said here, at setup and status.
    access = ctx.roles.role_access(sub.guild_id, sub.role_id, sub.channel_id) if sub.role_id and ctx.roles else None
    if sub.role_id and access is not None:
        on = "✅ On the posts" if access.can_hand_out else ""
        embed.add("Get pinged button", "\n".join(filter(None, [on, role_advice(access, sub.role_id)])))
    if release is not None and posts:
        lines = [_post_line(p) for p in posts[:NEXT_POSTS]]
        if len(posts) > NEXT_POSTS:
            lines.append(f"…and {len(posts) - NEXT_POSTS} more")
        embed.add(f"Next posts ({len(posts)})" + (" once resumed" if sub.paused else ""), "\n".join(lines))
    elif release is not None and posts is not None:
        embed.add("Next posts", f"None: {title} {countdown(release.release_at, ctx.now).sentence(release)}.")
    for row in (r for r in live if r.release_id == sub.release_id):
        link = f"https://discord.com/channels/{row.guild_id}/{row.channel_id}/{row.message_id}"
        line = f"[in <#{row.channel_id}>]({link}), edited at each milestone"
        if row.replaced_at is not None:
            line += f"\n⚠️ It was deleted, so a new one was posted {timestamp(row.replaced_at, 'R')}."
        embed.add("Live message", line)
    mine = [d for d in history if d.release_id == sub.release_id][-LAST_POSTS:]
    if mine:
        embed.add("Last posts", _fit([_outcome_line(d, release) for d in mine]))
    return embed


def _size(embed: Embed) -> int:
    """What Discord counts towards the 6,000 characters of a message's embeds."""
    return (
        len(embed.title)
        + len(embed.description)
        + len(embed.footer)
        + sum(len(name) + len(value) for name, value, _ in embed.fields)
    )


def _embeds_reply(embeds: list[Embed], content: str | None = None) -> Reply:
    """As many embeds as one message holds (10, 6,000 characters in all), saying how many did not fit."""
    shown: list[Embed] = []
    for embed in embeds[:10]:
        if sum(map(_size, shown)) + _size(embed) > EMBEDS_LIMIT:
            break
        shown.append(embed)
    if len(shown) < len(embeds):
        more = f"…and {len(embeds) - len(shown)} more set up here than one message can show."
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
    if not subs:
        raise UserError(
            "No announcements are set up here"
            + (" for that release" if release else "")
            + ". Start with `/announce setup`."
        )
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
        raise UserError("Pick the channel from the list Discord shows for the `channel` option.")
    if role is not None and not isinstance(role, RoleRef):
        raise UserError("Pick the role from the list Discord shows for the `role` option.")
    found = find_release(ctx, release)
    if found.release_at <= ctx.now:
        state = countdown(found.release_at, ctx.now)
        raise UserError(
            f"**{found.title}** {state.sentence(found)}: there is nothing left to count down to. "
            "Pick an upcoming release with the `release` option, or add your own with "
            "`/release add name:… when:…`."
        )
    # Every check comes before the one write, so a refused setup changes nothing.
    zone = find_zone(timezone) if timezone else None
    clock = _clock(daily_time) if daily_time else None
    if channel.missing:
        raise UserError(
            f"I can't post in <#{channel.id}>: I'm missing **{'**, **'.join(channel.missing)}** there. "
            "Give me those permissions in the channel, or pick another one. Nothing was changed."
        )
    if role is not None and role.is_everyone:
        raise UserError("I won't ping @\u200beveryone. Pick a role, or leave `role` empty.")

    # Setting up again changes what is given and keeps the rest (a role added must not drop the daily post).
    before = next(iter(await announcer.subscriptions(guild_id, release_id=found.id)), None)
    kept: list[str] = []
    if zone is None:
        zone = (resolve_zone(before.timezone) if before else None) or ctx.guild_zone or found.timezone
    if daily_time is None and before is not None and before.daily_time and _CLOCK.fullmatch(before.daily_time):
        clock = before.daily_time
        kept.append(f"the daily post at {clock}")
    role_id = role.id if role else before.role_id if before else None
    if role is None and role_id:
        kept.append(f"the role ping <@&{role_id}>")

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
    embed.description = f"✅ Countdown posts for **{found.title}** will go to <#{channel.id}>."
    if kept:
        embed.description += f"\nKept from before: {' and '.join(kept)}." + (
            " `daily_time:off` stops the daily post." if clock else ""
        )
    if event_note:
        embed.description += "\n" + event_note
    return Reply(embeds=[embed], ephemeral=True)


async def event_first(ctx: CommandContext, announcer: Announcements, guild_id: int, release: Release) -> str:
    """Create (or bring up to date) the server's Discord event for the release, *before* anything else changes:
    without the permission the command is refused with nothing changed. A line for the reply."""
    refusal = "I can't create the event: I'm missing the **{}** permission in this server. Give it to me, or leave "
    refusal += "`event` out. Nothing was changed."
    missing = announcer.missing_event_permission(guild_id)
    if missing:
        raise UserError(refusal.format(missing))
    try:
        created = await announcer.ensure_event(guild_id, release, ctx.now)
    except MissingPermission as exc:  # Discord said so (our copy of the permissions was out of date)
        raise UserError(refusal.format(exc)) from None
    except PostFailed as exc:
        return f"⚠️ No event this time ({_short(str(exc))}); try `event:True` again later."
    return "📅 Created the server event: members can click *Interested*." if created else "📅 The event is up to date."


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
            content="No announcements are set up in this server yet. Start with `/announce setup`.", ephemeral=True
        )
    history = await announcer.outcomes(guild_id)
    live = await announcer.live_messages(guild_id)
    return _embeds_reply([_describe(announcer, sub, ctx, history, live) for sub in subs])


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
        raise UserError("That release is no longer in the catalogue.")
    # The words of a post sent now, not of the next planned one; and no role mention: a test pings nobody.
    text = "🔔 **Test post** — a post sent now would say:\n" + post_text(found, sample_post(found, ctx.now))
    try:
        await announcer.send_test(sub.channel_id, text)
    except PostRejected as exc:
        raise UserError(
            f"I couldn't post in <#{sub.channel_id}>: {exc}. Give me **View Channel** and "
            "**Send Messages** there, or pick another channel with `/announce setup`."
        ) from None
    except PostFailed as exc:
        raise UserError(
            f"Discord did not take the test post just now ({_short(str(exc))}). Please try again in a moment."
        ) from None
    pings = f" Real posts ping <@&{sub.role_id}>." if sub.role_id else ""
    return Reply(content=f"✅ Sent a test post to <#{sub.channel_id}>. It pings nobody.{pings}", ephemeral=True)


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
        raise UserError("Pick the channel from the list Discord shows for the `channel` option.")
    sub = (await _chosen(ctx, release))[0]  # it moves on with the announcements' timers: they must exist
    found = announcer.release_of(sub)
    if found is None:
        raise UserError("That release is no longer in the catalogue.")
    if found.release_at <= ctx.now:
        raise UserError(f"**{found.title}** is out already: there is nothing left to count down to.")
    if channel is not None and channel.missing:
        raise UserError(
            f"I can't post in <#{channel.id}>: I'm missing **{'**, **'.join(channel.missing)}** there. "
            "Nothing was changed."
        )
    channel_id = channel.id if channel is not None else sub.channel_id
    try:
        await announcer.start_live(guild_id, found, channel_id, ctx.now)
    except PostRejected as exc:
        raise UserError(f"I couldn't post in <#{channel_id}>: {exc}. Nothing was changed.") from None
    except PostFailed as exc:
        raise UserError(f"Discord did not take the message just now ({_short(str(exc))}). Please try again.") from None
    log.info("server %s: live message for %s in channel %s", guild_id, found.id, channel_id)
    return Reply(
        content=f"✅ Posted the live countdown for **{found.title}** in <#{channel_id}>. It counts down by itself "
        "and is updated at each milestone and at the premiere.",
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
            content="⏸️ Announcements are already paused. `/announce resume` starts them again.", ephemeral=True
        )
    await announcer.set_paused(guild_id, [s.release_id for s in active], True, ctx.now)
    log.info("server %s: announcements paused by an admin: %s", guild_id, ", ".join(s.release_id for s in active))
    return Reply(
        content="⏸️ Announcements paused. Posts due while paused are not sent later. "
        "`/announce resume` starts them again.",
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
    content = (
        "▶️ Announcements resumed." if paused else "▶️ Announcements are already active: there was nothing to resume."
    )
    return _embeds_reply([_describe(announcer, s, ctx, history) for s in subs], content)


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
    gone = " The server event is deleted." if events == 1 else f" {events} server events are deleted." if events else ""
    return Reply(content="🔕 Announcements are off, and their settings are forgotten." + gone, ephemeral=True)
