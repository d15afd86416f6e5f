"""/calendar: a release as a file for any calendar app, and a link that adds it to Google Calendar."""

from __future__ import annotations

from bot.commands.registry import CommandContext, command
from bot.commands.replies import Embed, FileAttachment, LinkButton, Reply, timestamp
from bot.commands.show import RELEASE, find_release, status_line
from bot.domain.calendar import (
    CONTENT_TYPE,
    REMINDER_WORDS,
    build_ics,
    calendar_filename,
    google_calendar_link,
)

GOOGLE_LABEL = "Add to Google Calendar"


@command("calendar", "Add a release to your calendar: an .ics file and a Google Calendar link", RELEASE, ephemeral=True)
async def calendar_command(ctx: CommandContext, release: str | None = None) -> Reply:
    found = find_release(ctx, release)
    if found.release_at <= ctx.now:
        # A calendar entry in the past reminds nobody of anything: say where it can be watched instead.
        embed = Embed(
            found.title,
            f"{status_line(found, ctx.now)}\nThere is nothing left to put in a calendar.",
            moment=found.release_at,
        )
        return Reply(embeds=[embed], ephemeral=True)
    filename = calendar_filename(found)
    embed = Embed(
        f"{found.title} — in your calendar",
        f"Open **{filename}** to add it to your calendar app (Apple Calendar, Outlook, Thunderbird…); "
        f"it reminds you {REMINDER_WORDS} before. Opening it again updates the same event, never adds a "
        "second one.",
        moment=found.release_at,
    )
    embed.add("When", f"{timestamp(found.release_at, 'F')} ({timestamp(found.release_at, 'R')})")
    ics = FileAttachment(filename, build_ics(found, ctx.now), CONTENT_TYPE)
    return Reply(
        embeds=[embed], ephemeral=True, files=[ics], links=[LinkButton(GOOGLE_LABEL, google_calendar_link(found))]
    )
