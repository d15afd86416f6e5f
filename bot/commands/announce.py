"""/announce: server admins choose where and when countdown posts go."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from bot.commands.registry import CommandContext, Option, command, group
from bot.commands.replies import Embed, Reply, UserError, neutralise, timestamp
from bot.commands.show import RELEASE, TIMEZONE, find_release, find_zone
from bot.domain.countdown import countdown
from bot.domain.plan import PlannedPost, post_text
from bot.scheduling.announcer import Announcer, PostRejected
from bot.storage.models import Subscription

_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
NEXT_POSTS = 5

group("announce", "Countdown posts in this server")


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


def _announcer(ctx: CommandContext) -> Announcer:
    if ctx.guild_id is None or ctx.services is None:
        raise UserError("Announcements are set up inside a server, with `/announce setup`.")
    if not ctx.is_admin:
        raise UserError("Only members with the **Manage Server** permission can change announcements.")
    return ctx.services  # type: ignore[no-any-return]


def _post_line(post: PlannedPost) -> str:
    return f"{timestamp(post.at, 'f')} — {post.label}"


def _describe(announcer: Announcer, sub: Subscription, ctx: CommandContext) -> Embed:
    release = announcer.release_of(sub)
    title = release.title if release else f"{sub.release_id} (no longer in the catalogue)"
    embed = Embed(f"Announcements — {title}", footer=f"Time zone: {sub.timezone}")
    embed.add("Channel", f"<#{sub.channel_id}>", inline=True)
    embed.add("Daily post", f"{sub.daily_time} ({sub.timezone})" if sub.daily_time else "off", inline=True)
    embed.add("Role ping", f"<@&{sub.role_id}>" if sub.role_id else "none", inline=True)
    if sub.paused:
        fix = ("Fix it (give me **View Channel** and **Send Messages** in the channel, or pick another one with "
               "`/announce setup`), then run `/announce resume`.")
        embed.add("Status", f"⏸️ Paused: {sub.pause_reason or 'by an admin'}.\n{fix}")
    else:
        embed.add("Status", "▶️ Active")
    if release is not None:
        posts = announcer.plan(sub, ctx.now)
        if posts:
            lines = [_post_line(p) for p in posts[:NEXT_POSTS]]
            if len(posts) > NEXT_POSTS:
                lines.append(f"…and {len(posts) - NEXT_POSTS} more")
            embed.add(f"Next posts ({len(posts)})", "\n".join(lines))
        else:
            state = countdown(release.release_at, ctx.now)
            embed.add("Next posts", f"None: {title} {state.sentence(release)}.")
    return embed


@command(
    "announce setup", "Post countdown announcements in a channel (Manage Server)",
    Option("channel", "Where the posts go", required=True, kind="channel"),
    Option("role", "A role to ping with each post (optional)", kind="role"),
    TIMEZONE,
    Option("daily_time", "Also post every day at this local time, HH:MM (optional)", max_length=5),
    RELEASE,
    admin=True, guild_only=True,
)
async def announce_setup(ctx: CommandContext, channel: ChannelRef, role: RoleRef | None = None,
                         timezone: str | None = None, daily_time: str | None = None,
                         release: str | None = None) -> Reply:
    announcer = _announcer(ctx)
    found = find_release(ctx, release)
    if found.release_at <= ctx.now:
        state = countdown(found.release_at, ctx.now)
        raise UserError(f"**{found.title}** {state.sentence(found)}: there is nothing left to count down to. "
                        "Pick an upcoming release with the `release` option.")
    zone = find_zone(timezone) if timezone else ctx.guild_zone or found.timezone
    clock = None
    if daily_time:
        match = _CLOCK.match(daily_time.strip())
        if not match:
            raise UserError(f"“{neutralise(daily_time)}” is not a time of day: use 24-hour HH:MM, such as 20:00.")
        clock = f"{int(match[1]):02d}:{match[2]}"
    if channel.missing:
        raise UserError(f"I can't post in <#{channel.id}>: I'm missing **{'**, **'.join(channel.missing)}** there. "
                        "Give me those permissions in the channel, or pick another one. Nothing was changed.")
    if role is not None and role.is_everyone:
        raise UserError("I won't ping @\u200beveryone. Pick a role, or leave `role` empty.")
    assert ctx.guild_id is not None
    sub = await announcer.store.save_subscription(ctx.guild_id, found.id, channel.id, role.id if role else None,
                                                  zone.key, clock, ctx.now)
    await announcer.reschedule_guild(ctx.guild_id)
    embed = _describe(announcer, sub, ctx)
    embed.description = f"✅ Countdown posts for **{found.title}** will go to <#{channel.id}>."
    return Reply(embeds=[embed], ephemeral=True)


@command("announce status", "This server's announcement settings and next posts (Manage Server)", admin=True,
         guild_only=True)
async def announce_status(ctx: CommandContext) -> Reply:
    announcer = _announcer(ctx)
    subs = await announcer.store.subscriptions(ctx.guild_id)
    if not subs:
        return Reply(content="No announcements are set up in this server yet. Start with `/announce setup`.",
                     ephemeral=True)
    return Reply(embeds=[_describe(announcer, sub, ctx) for sub in subs[:10]], ephemeral=True)


@command("announce test", "Send a sample announcement now (Manage Server)", RELEASE, admin=True, guild_only=True)
async def announce_test(ctx: CommandContext, release: str | None = None) -> Reply:
    announcer = _announcer(ctx)
    sub = await _one(announcer, ctx, release)
    found = announcer.release_of(sub)
    if found is None:
        raise UserError("That release is no longer in the catalogue.")
    upcoming = announcer.plan(sub, ctx.now)
    sample = upcoming[0] if upcoming else PlannedPost(found.release_at, "premiere", "premiere", "premiere")
    text = "🔔 **Test post** — this is how announcements will look:\n" + post_text(found, sample)
    content = f"<@&{sub.role_id}> {text}" if sub.role_id else text
    try:
        await announcer.poster.post(sub.channel_id, content, "t" + secrets.token_hex(12), sub.role_id)
    except PostRejected as exc:
        raise UserError(f"I couldn't post in <#{sub.channel_id}>: {exc}. Give me **View Channel** and "
                        "**Send Messages** there, or pick another channel with `/announce setup`.") from None
    return Reply(content=f"✅ Sent a test post to <#{sub.channel_id}>.", ephemeral=True)


async def _one(announcer: Announcer, ctx: CommandContext, release: str | None) -> Subscription:
    subs = await announcer.store.subscriptions(ctx.guild_id)
    if release:
        wanted = find_release(ctx, release).id
        subs = [s for s in subs if s.release_id == wanted]
    if not subs:
        raise UserError("No announcements are set up here" + (" for that release" if release else "") +
                        ". Start with `/announce setup`.")
    return subs[0]


async def _set_paused(ctx: CommandContext, release: str | None, paused: bool) -> tuple[Announcer, int]:
    announcer = _announcer(ctx)
    assert ctx.guild_id is not None
    release_id = find_release(ctx, release).id if release else None
    changed = await announcer.store.set_paused(ctx.guild_id, paused, None, ctx.now, release_id=release_id)
    if not changed:
        raise UserError("No announcements are set up here. Start with `/announce setup`.")
    await announcer.reschedule_guild(ctx.guild_id)
    return announcer, changed


@command("announce pause", "Stop posting until resumed; settings are kept (Manage Server)", RELEASE, admin=True,
         guild_only=True)
async def announce_pause(ctx: CommandContext, release: str | None = None) -> Reply:
    await _set_paused(ctx, release, True)
    return Reply(content="⏸️ Announcements paused. Posts due while paused are not sent later. "
                         "`/announce resume` starts them again.", ephemeral=True)


@command("announce resume", "Start posting again (Manage Server)", RELEASE, admin=True, guild_only=True)
async def announce_resume(ctx: CommandContext, release: str | None = None) -> Reply:
    announcer, _ = await _set_paused(ctx, release, False)
    subs = await announcer.store.subscriptions(ctx.guild_id, active_only=True)
    return Reply(content="▶️ Announcements resumed.", embeds=[_describe(announcer, s, ctx) for s in subs[:10]],
                 ephemeral=True)


@command("announce off", "Turn announcements off and forget their settings (Manage Server)", RELEASE, admin=True,
         guild_only=True)
async def announce_off(ctx: CommandContext, release: str | None = None) -> Reply:
    announcer = _announcer(ctx)
    assert ctx.guild_id is not None
    release_id = find_release(ctx, release).id if release else None
    removed = await announcer.store.delete_subscriptions(ctx.guild_id, release_id)
    if not removed:
        raise UserError("No announcements are set up here, so there is nothing to turn off.")
    await announcer.reschedule_guild(ctx.guild_id)
    return Reply(content="🔕 Announcements are off, and their settings are forgotten.", ephemeral=True)
