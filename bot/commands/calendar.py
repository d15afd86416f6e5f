"""/calendar: a release as a file for any calendar app, and a link that adds it to Google Calendar."""

from __future__ import annotations

from bot.commands.registry import CommandContext, command
from bot.commands.replies import Embed, FileAttachment, LinkButton, Reply, timestamp
from bot.commands.show import RELEASE, find_release, status_line
from bot.domain.calendar import (
    CONTENT_TYPE,
    build_ics,
    calendar_filename,
    google_calendar_link,
    reminder_words,
)
from bot.i18n import N_, tr

GOOGLE_LABEL = N_("Add to Google Calendar")


@command(
    "calendar",
    "Add a release to your calendar: an .ics file and a Google Calendar link",
    RELEASE,
    ephemeral=True,
    anywhere=True,
)
async def calendar_command(ctx: CommandContext, release: str | None = None) -> Reply:
    locale = ctx.locale  # the reply, the file's descriptions and the link's details: the member's language
    found = find_release(ctx, release)
    if found.release_at <= ctx.now:
        # A calendar entry in the past reminds nobody of anything: say where it can be watched instead.
        embed = Embed(
            found.title,
            status_line(found, ctx.now, locale) + "\n" + tr(locale, "There is nothing left to put in a calendar."),
            moment=found.release_at,
        )
        return Reply(embeds=[embed], ephemeral=True)
    filename = calendar_filename(found)
    embed = Embed(
        tr(locale, "{title} — in your calendar", title=found.title),
        tr(
            locale,
            "Open **{filename}** to add it to your calendar app (Apple Calendar, Outlook, Thunderbird…); "
            "it reminds you {time} before. Opening it again updates the same event, never adds a second one.",
            filename=filename,
            time=reminder_words(locale),
        ),
        moment=found.release_at,
    )
    embed.add(tr(locale, "When"), f"{timestamp(found.release_at, 'F')} ({timestamp(found.release_at, 'R')})")
    ics = FileAttachment(filename, build_ics(found, ctx.now, locale), CONTENT_TYPE)
    link = LinkButton(tr(locale, GOOGLE_LABEL), google_calendar_link(found, locale=locale))
    return Reply(embeds=[embed], ephemeral=True, files=[ics], links=[link])
