"""`release-bot console`: slash commands typed in a terminal, answered by the same code Discord runs."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from bot.app import console_services
from bot.commands.announce import ChannelRef
from bot.commands.registry import REGISTRY, CommandContext, dispatch, dispatch_component
from bot.commands.replies import Reply, error_reply, long_date, timestamp
from bot.config import Config
from bot.domain.countdown import countdown, span_words
from bot.domain.durations import parse_duration
from bot.domain.reminders import due_at, reminder_text
from bot.i18n import tr

# The syntax of Discord's input box; the sandbox (which plays Discord) owns it, the console types into it.
from bot.sandbox.command_line import CommandLineError, parse_command_line
from bot.scheduling.announcer import Announcer
from bot.scheduling.service import AnnouncementService

CONSOLE_GUILD = 1  # the console plays one server, whose admin is at the keyboard
# ...with one text channel, #general, that a `channel` option can name (posts to it go nowhere: no Discord here)
CONSOLE_CHANNEL = ChannelRef(10, "general")
_CHANNEL_MENTION = f"<#{CONSOLE_CHANNEL.id}>"
_STAMP = re.compile(r"<t:(-?\d+):([tTdDfFR])>")


def render_timestamps(text: str, now: datetime, locale: str | None = None) -> str:
    """Discord's <t:...> markup as a terminal reader would want it: UTC wall time, or relative words, in the
    reader's language (as Discord's client shows them)."""

    def one(match: re.Match[str]) -> str:
        moment = datetime.fromtimestamp(int(match[1]), UTC)
        if match[2] != "R":
            return tr(locale, "{date} UTC", date=long_date(moment, locale))
        state = countdown(moment, now)
        if state.state == "upcoming":
            return tr(locale, "in {words}", words=state.words_in(locale, relative=True))
        if state.state == "past":
            return tr(locale, "{words} ago", words=state.words_in(locale, relative=True))
        return tr(locale, "now")

    return _STAMP.sub(one, text)


def render_text(payload: dict[str, Any], now: datetime, locale: str | None = None) -> str:
    lines: list[str] = []
    if payload.get("flags", 0) & 64:
        lines.append(tr(locale, "(only you can see this)"))
    if payload.get("content"):
        lines.append(payload["content"])
    for embed in payload.get("embeds", []):
        lines.append(f"┃ {embed['title']}")
        if embed.get("description"):
            lines.extend(f"┃ {line}" for line in embed["description"].splitlines())
        for field in embed.get("fields", []):
            first, *rest = field["value"].splitlines() or [""]
            lines.append(f"┃ {field['name']}: {first}")
            lines.extend(f"┃   {line}" for line in rest)
        if embed.get("footer"):
            lines.append(f"┃ — {embed['footer']['text']}")
    for row in payload.get("components", []):  # what `!press CUSTOM_ID [value]` would press
        parts = []
        for part in row["components"]:
            if "url" in part:
                parts.append(f"🔗 {part['label']}: {part['url']}")
            elif part["type"] == 2:
                emoji = part.get("emoji", {}).get("name")
                parts.append(f"[{emoji + ' ' if emoji else ''}{part['label']}] ({part['custom_id']})")
            else:
                values = "|".join(o["value"] for o in part["options"])
                parts.append(f"[{part.get('placeholder', '…')}: {values}] ({part['custom_id']} VALUE)")
        lines.append("  ".join(parts))
    return render_timestamps("\n".join(lines), now, locale).replace(_CHANNEL_MENTION, f"#{CONSOLE_CHANNEL.name}")


def command_name(line: str) -> str | None:
    """The name a line that does not parse was meant to run (`/cast name:"open` -> "cast"), or None."""
    text = line.strip()
    if not text.startswith("/"):
        return None
    words = []
    for word in text[1:].split():
        if any(c in word for c in ":\"'"):
            break
        words.append(word.lower())
    return " ".join(words) or None


PRESS = "!press"  # `!press remind:all-the-light-we-cannot-see` presses a button; `!press remind-at:ID 1d` picks
WAIT = "!wait"  # `!wait 1h` moves the pretend time on, and shows the reminders that arrive meanwhile
CONSOLE_MEMBER = 2  # ...and who is also the member pressing buttons and setting reminders


async def wait(
    line: str, config: Config, now: datetime, services: tuple[Announcer, AnnouncementService] | None
) -> tuple[timedelta, Reply]:
    """`!wait 1h`: how far the pretend time moves on, and the reminder DMs the member gets meanwhile (the console
    is not connected to Discord, so they are shown here, worded exactly as the bot's DM)."""
    text = line.strip()[len(WAIT) :].strip()
    try:
        step = parse_duration(text)
        later = now + step
    except ValueError:
        return timedelta(0), error_reply(
            "`!wait` takes a duration such as `15m`, `1h` or `2d`, of at most ten years (`3650d`). Nothing changed."
        )
    except OverflowError:  # several long waits add up: datetime ends with the year 9999
        return timedelta(0), error_reply(
            "That would go past the year 9999, the last the console knows. Nothing changed."
        )
    lines = [f"⏩ {span_words(now, later) if step else 'No time'} later: it is now {timestamp(later, 'F')}."]
    if services is not None:
        announcer, port = services
        releases = {r.id: r for r in (await announcer.catalogue_for(CONSOLE_GUILD, later)).releases}
        arrived = []
        for reminder in await port.reminders_of(CONSOLE_MEMBER):
            release = releases.get(reminder.release_id)
            if release is not None and now < due_at(release, reminder.before) <= later:
                arrived.append((due_at(release, reminder.before), release, reminder))
        delivered = 0
        for at, release, reminder in sorted(arrived, key=lambda a: a[0]):
            # In the language the member set the reminder in, as the bot would send it.
            text = reminder_text(release, reminder.before, locale=reminder.locale)
            # The bot's ledger decides, as for a real DM: a reminder sent once (even before /release edit moved
            # it) is not sent again, and /remind list shows it as sent.
            if await announcer.store.claim_reminder(reminder, at, at, state="sent", content=text) is None:
                continue
            delivered += 1
            # Its relative words as the member read them when it arrived, not as of the end of the wait.
            dm = "\n".join("> " + part for part in render_timestamps(text, at, reminder.locale).splitlines())
            lines.append(f"📬 A direct message from the bot arrived at {timestamp(at, 'F')}:\n{dm}")
        if not delivered:
            lines.append("📭 No reminder was due meanwhile.")
    return step, Reply(content="\n".join(lines))


async def answer(
    line: str,
    config: Config,
    now: datetime,
    services: tuple[Announcer, AnnouncementService] | None = None,
    locale: str = "en",
) -> tuple[str | None, Reply]:
    """One typed line answered; with `services`, as the admin of one server (its releases, its announcements,
    their reminders in a throw-away database); `locale`: the member's language, as Discord would send it."""
    ctx = await _context(config, now, services, locale)
    if line.strip().startswith(PRESS):
        custom_id, *values = line.strip()[len(PRESS) :].split() or [""]
        return custom_id.partition(":")[0] or None, await dispatch_component(custom_id, values, ctx)
    try:
        name, options = parse_command_line(line)
    except CommandLineError as exc:
        return command_name(line), error_reply(str(exc))
    resolved = _resolve_options(name, options)
    if isinstance(resolved, Reply):
        return name, resolved
    return name, await dispatch(name, resolved, ctx)


def _resolve_options(name: str, options: dict[str, str]) -> dict[str, Any] | Reply:
    """Channels typed by name become the channel, as Discord resolves its menu's choice; else a console error."""
    resolved: dict[str, Any] = dict(options)
    spec = REGISTRY.commands.get(name)
    for option in spec.options if spec is not None else ():
        typed = options.get(option.name)
        if option.kind == "channel" and typed is not None:
            channel = _console_channel(typed)
            if channel is None:
                return error_reply(
                    f"This console's pretend server has one channel, #{CONSOLE_CHANNEL.name}: "
                    f"type `{option.name}:#{CONSOLE_CHANNEL.name}`."
                )
            resolved[option.name] = channel
        if option.kind == "role" and typed:
            return error_reply(f"This console's pretend server has no roles: leave `{option.name}` out.")
    return resolved


def _console_channel(typed: str) -> ChannelRef | None:
    """The channel a typed `channel:` option names (`#general`, `general` or its mention), as Discord resolves it."""
    text = typed.strip()
    if text in (_CHANNEL_MENTION, CONSOLE_CHANNEL.name, f"#{CONSOLE_CHANNEL.name}"):
        return CONSOLE_CHANNEL
    return None


async def _context(
    config: Config, now: datetime, services: tuple[Announcer, AnnouncementService] | None, locale: str = "en"
) -> CommandContext:
    if services is None:
        return CommandContext(config.catalogue, config.settings, now, locale=locale)
    announcer, port = services
    zone = await announcer.guild_zone(CONSOLE_GUILD)
    return CommandContext(
        await announcer.catalogue_for(CONSOLE_GUILD, now),
        config.settings,
        now,
        guild_zone=ZoneInfo(zone) if zone else None,
        guild_id=CONSOLE_GUILD,
        is_admin=True,
        services=port,
        user_id=CONSOLE_MEMBER,
        reminders=port,
        locale=locale,
        guild_locale=locale,  # the pretend server speaks the member's language
    )


async def _lines(stdin: TextIO) -> AsyncIterator[str]:
    if not stdin.isatty():
        if hasattr(stdin, "reconfigure"):  # a stray non-UTF-8 byte becomes U+FFFD, not a crash
            stdin.reconfigure(errors="replace")
        for line in stdin:  # nothing else runs in the console's loop, so a blocking read is fine
            yield line
        return
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory

    history = Path.home() / ".release_bot_history"
    session: PromptSession[str] = PromptSession(history=FileHistory(str(history)))
    print("release-bot console — type /help, `!wait 1h` to let pretend time pass (reminders arrive), Ctrl-D to quit.")
    while True:
        try:
            yield await session.prompt_async("> ")  # prompt() would start a second event loop
        except EOFError:
            return
        except KeyboardInterrupt:
            continue


async def run_console(
    config: Config, at: datetime | None, as_json: bool, stdin: TextIO | None = None, locale: str = "en"
) -> int:
    async with console_services(config) as services:
        return await _answer_lines(config, at, as_json, stdin, services, locale)


async def _answer_lines(
    config: Config,
    at: datetime | None,
    as_json: bool,
    stdin: TextIO | None,
    services: tuple[Announcer, AnnouncementService],
    locale: str = "en",
) -> int:
    waited = timedelta(0)  # how far `!wait` moved the pretend time on
    async for line in _lines(stdin or sys.stdin):
        if not line.strip():
            continue
        now = (at or datetime.now(UTC)) + waited
        if line.strip().startswith(WAIT):
            step, reply = await wait(line, config, now, services)
            waited += step
            now += step  # its words are read at the new time
            name: str | None = WAIT
        else:
            name, reply = await answer(line, config, now, services, locale)
        payload = reply.payload()
        # Files travel beside the payload (multipart on Discord): the console names them and says how big they are.
        files = [{"filename": f.filename, "size": len(f.data)} for f in reply.files]
        if as_json:
            record: dict[str, Any] = {"command": name, "ephemeral": reply.ephemeral, "payload": payload}
            print(json.dumps({**record, "files": files} if files else record, ensure_ascii=False), flush=True)
        else:
            attached = "".join(f"\n📎 {f['filename']} ({f['size']:,} bytes)" for f in files)
            print(render_text(payload, now, locale) + attached + "\n", flush=True)
    return 0
