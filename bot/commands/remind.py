"""Members' own reminders by DM: /remind, the "🔔 Remind me" button and its menu, and /privacy.

Every sentence a member reads is in the member's language (`ctx.locale`); release titles are shown as written.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.commands.registry import CommandContext, Option, command, component, group
from bot.commands.replies import DANGER, Button, Component, Reply, Select, UserError, timestamp
from bot.commands.services import Reminders
from bot.commands.show import RELEASE, REMIND_COMPONENT, find_release
from bot.domain.releases import Release, UnknownRelease
from bot.domain.reminders import (
    DEFAULT_BEFORE,
    MAX_PER_MEMBER,
    OFFSETS,
    Reminder,
    ReminderOutcome,
    TooManyReminders,
    due_at,
    label,
)
from bot.i18n import N_, ntr, tr

CHOOSE_COMPONENT = "remind-at"  # the menu's custom_id: "remind-at:{release id}", the chosen `before` as its value
CANCEL_COMPONENT = "remind-cancel"  # the Cancel button: "remind-cancel:{release id}"
MENU_BEFORES = ("1d", "1h", "0m")  # what the button's menu offers (the slash command also has 15m)
STATE_WORDS = {
    "claimed": N_("📤 being sent"),
    "sent": N_("✅ sent"),
    "skipped": N_("⏭️ skipped"),
    "failed": N_("❌ failed"),
}

NO_DM = N_("Reminders come by direct message, so they work only with the bot on Discord, not in this console.")
BEFORE_HELP = "When: 1d, 1h or 15m before, or 0m at the premiere (default 1h)"

group("remind", "Reminders by direct message before a release")
group("privacy", "What the bot keeps about you")
BEFORE = Option("before", BEFORE_HELP, choices=tuple(OFFSETS))


def _member(ctx: CommandContext) -> tuple[Reminders, int]:
    if ctx.reminders is None or ctx.user_id is None:
        raise UserError(tr(ctx.locale, NO_DM))
    return ctx.reminders, ctx.user_id


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]  # not str.capitalize(): German nouns keep their capitals


def _out(ctx: CommandContext, release: Release) -> UserError:
    return UserError(
        tr(ctx.locale, "**{title}** is already out, so there is nothing to remind you of.", title=release.title)
    )


def _still_possible(release: Release, now: datetime, befores: Sequence[str] = tuple(OFFSETS)) -> list[str]:
    return [b for b in befores if due_at(release, b) > now]


def _default_before(release: Release, now: datetime) -> str:
    """1 hour before, or the latest moment still ahead when that has passed."""
    left = _still_possible(release, now)
    return DEFAULT_BEFORE if DEFAULT_BEFORE in left else left[-1]


def _check_moment(ctx: CommandContext, release: Release, before: str) -> None:
    if release.release_at <= ctx.now:
        raise _out(ctx, release)
    if due_at(release, before) <= ctx.now:
        left = ", ".join(f"`{b}` ({label(b, ctx.locale)})" for b in _still_possible(release, ctx.now))
        raise UserError(
            tr(
                ctx.locale,
                "{when} **{title}** has already passed. Still possible: {left}.",
                when=_capital(label(before, ctx.locale)),
                title=release.title,
                left=left,
            )
        )


def _menu(ctx: CommandContext, release: Release, chosen: str) -> list[list[Component]]:
    lang = ctx.locale
    options = tuple((_capital(label(b, lang)), b) for b in _still_possible(release, ctx.now, MENU_BEFORES))
    if chosen not in {v for _, v in options}:
        options += ((_capital(label(chosen, lang)), chosen),)
    return [
        [Select(f"{CHOOSE_COMPONENT}:{release.id}", options, tr(lang, "When should I remind you?"), default=chosen)],
        [Button(f"{CANCEL_COMPONENT}:{release.id}", tr(lang, "Cancel"), style=DANGER)],
    ]


async def _set(ctx: CommandContext, release: Release, before: str, menu: bool) -> Reply:
    lang = ctx.locale
    reminders, user_id = _member(ctx)
    _check_moment(ctx, release, before)
    earlier = next((r.before for r in await reminders.reminders_of(user_id) if r.release_id == release.id), None)
    try:
        reminder, replaced = await reminders.set_reminder(user_id, release.id, before, ctx.now, locale=lang)
    except TooManyReminders:
        raise UserError(
            tr(
                lang,
                "You already have {limit} reminders, the most I keep. Cancel one with `/remind cancel` first.",
                limit=MAX_PER_MEMBER,
            )
        ) from None
    at = due_at(release, reminder.before)
    fields = {"title": release.title, "at": timestamp(at, "F"), "rel": timestamp(at, "R")}
    if before == "0m":  # "at the premiere of X" reads better than the menu's "at the premiere" + X
        text = tr(lang, "🔔 I'll send you a direct message **at the premiere of** **{title}**: {at} ({rel}).", **fields)
    else:
        text = tr(
            lang,
            "🔔 I'll send you a direct message **{when}** **{title}**: {at} ({rel}).",
            when=label(before, lang),
            **fields,
        )
    if replaced and earlier == before:
        text += " " + tr(lang, "You already had this reminder, so nothing changed.")
    elif replaced:
        text += " " + tr(lang, "It replaces your earlier reminder for this release.")
    if menu:
        text += "\n" + tr(lang, "Pick another moment below, or cancel it.")
    text += "\n" + tr(lang, "-# Keep your direct messages open to me, or I cannot deliver it.")
    return Reply(content=text, ephemeral=True, components=_menu(ctx, release, before) if menu else [])


async def _cancel(ctx: CommandContext, release: Release | None) -> Reply:
    lang = ctx.locale
    reminders, user_id = _member(ctx)
    count = await reminders.cancel_reminders(user_id, release.id if release else None)
    if release is not None:
        if count:
            text = tr(lang, "🔕 Your reminder for **{title}** is cancelled.", title=release.title)
        else:
            text = tr(lang, "You have no reminder for **{title}**.", title=release.title)
        return Reply(content=text, ephemeral=True)
    if count:
        text = ntr(lang, "🔕 Your {n} reminder is cancelled.", "🔕 Your {n} reminders are cancelled.", count)
        return Reply(content=text, ephemeral=True)
    return Reply(content=_none(ctx), ephemeral=True)


def _none(ctx: CommandContext) -> str:
    return tr(ctx.locale, "You have no reminders. Press 🔔 **Remind me** under a countdown, or use `/remind me`.")


@command("remind me", "DM me before a release", RELEASE, BEFORE, touches_storage=True, ephemeral=True, anywhere=True)
async def remind_me(ctx: CommandContext, release: str | None = None, before: str | None = None) -> Reply:
    found = find_release(ctx, release)
    if found.release_at <= ctx.now:
        raise _out(ctx, found)
    return await _set(ctx, found, before or _default_before(found, ctx.now), menu=False)


def _title(ctx: CommandContext, release_id: str) -> Release | None:
    try:
        return ctx.catalogue.get(release_id)
    except UnknownRelease:  # a server's own release, asked about from a DM or another server
        return ctx.reminders.reminder_release(release_id) if ctx.reminders is not None else None


def _line(ctx: CommandContext, reminder: Reminder, outcome: ReminderOutcome | None) -> str:
    lang = ctx.locale
    release = _title(ctx, reminder.release_id)
    when = label(reminder.before, lang)
    if release is None:
        return tr(lang, "• a release no longer in the catalogue ({when})", when=when)
    at = due_at(release, reminder.before)
    state = ""
    if outcome is not None:
        words = STATE_WORDS.get(outcome.state)
        state = " — " + (tr(lang, words) if words else outcome.state)
        if outcome.state in ("failed", "skipped") and outcome.detail:
            state += f": {outcome.detail}"  # the reason as recorded for the operator (English)
    return tr(
        lang,
        "• **{title}** — {when}: {at} ({rel}){state}",
        title=release.title,
        when=when,
        at=timestamp(at, "f"),
        rel=timestamp(at, "R"),
        state=state,
    )


@command("remind list", "Your reminders and what became of them", touches_storage=True, ephemeral=True, anywhere=True)
async def remind_list(ctx: CommandContext) -> Reply:
    reminders, user_id = _member(ctx)
    mine = await reminders.reminders_of(user_id)
    if not mine:
        return Reply(content=_none(ctx), ephemeral=True)
    outcomes = {(o.release_id, o.before): o for o in await reminders.reminder_outcomes(user_id)}
    lines = [
        tr(ctx.locale, "🔔 **Your reminders** ({count} of at most {limit}):", count=len(mine), limit=MAX_PER_MEMBER)
    ]
    lines += [_line(ctx, r, outcomes.get((r.release_id, r.before))) for r in mine]
    return Reply(content="\n".join(lines)[:2000], ephemeral=True)


@command(
    "remind cancel",
    "Stop a reminder (without a release: all of yours)",
    Option("release", "Which release (default: all your reminders)", autocomplete=RELEASE.autocomplete),
    touches_storage=True,
    ephemeral=True,
    anywhere=True,
)
async def remind_cancel(ctx: CommandContext, release: str | None = None) -> Reply:
    if not release:
        return await _cancel(ctx, None)
    try:
        found = find_release(ctx, release)
    except UserError:  # a server's own release, named from a DM or elsewhere: one the member has a reminder for
        reminded = await _reminded_release(ctx, release)
        if reminded is None:
            raise
        found = reminded
    return await _cancel(ctx, found)


async def _reminded_release(ctx: CommandContext, wanted: str) -> Release | None:
    reminders, user_id = _member(ctx)
    key = wanted.strip().casefold()
    for reminder in await reminders.reminders_of(user_id):
        release = reminders.reminder_release(reminder.release_id)
        if release is not None and key in (release.id.casefold(), release.menu_name.casefold()):
            return release
    return None


# The components' descriptions are for the code's readers (discord.py item docs), not shown to members.
@component(
    REMIND_COMPONENT,
    "The Remind me button under posts and replies: a reminder 1 hour before (change it in its menu)",
    touches_storage=True,
)
async def remind_button(ctx: CommandContext, release_id: str, values: list[str]) -> Reply:
    found = find_release(ctx, release_id)
    if found.release_at <= ctx.now:
        raise _out(ctx, found)
    reminders, user_id = _member(ctx)
    current = next((r.before for r in await reminders.reminders_of(user_id) if r.release_id == found.id), None)
    return await _set(ctx, found, current or _default_before(found, ctx.now), menu=True)


@component(CHOOSE_COMPONENT, "The Remind me menu: when to be reminded", touches_storage=True)
async def remind_choose(ctx: CommandContext, release_id: str, values: list[str]) -> Reply:
    found = find_release(ctx, release_id)
    before = values[0] if values else DEFAULT_BEFORE
    if before not in OFFSETS:
        raise UserError(
            tr(
                ctx.locale,
                "That is not a moment I can remind you at: choose 1d, 1h or 15m before, or 0m at the premiere.",
            )
        )
    return await _set(ctx, found, before, menu=True)


@component(CANCEL_COMPONENT, "The Cancel button of the Remind me menu", touches_storage=True)
async def remind_cancel_button(ctx: CommandContext, release_id: str, values: list[str]) -> Reply:
    return await _cancel(ctx, find_release(ctx, release_id))


@command("privacy show", "Show what the bot stores about you", touches_storage=True, ephemeral=True, anywhere=True)
async def privacy_show(ctx: CommandContext) -> Reply:
    lang = ctx.locale
    reminders, user_id = _member(ctx)
    mine = await reminders.reminders_of(user_id)
    records = await reminders.reminder_outcomes(user_id)
    if not mine and not records:
        return Reply(content=tr(lang, "🔒 I keep nothing about you."), ephemeral=True)
    lines = [tr(lang, "🔒 **What I keep about you** (your Discord user id, with):")]
    if mine:
        lines.append(
            ntr(
                lang,
                "• {n} reminder: which release, how long before it, and the language of your Discord then.",
                "• {n} reminders: which release, how long before it, and the language of your Discord then.",
                len(mine),
            )
        )
        lines += ["  " + _line(ctx, r, None) for r in mine]
    if records:
        lines.append(
            ntr(
                lang,
                "• {n} record of reminder DMs: when each was due, whether it went out, the message id.",
                "• {n} records of reminder DMs: when each was due, whether it went out, the message id.",
                len(records),
            )
        )
    lines.append(tr(lang, "• Nothing else: no messages, no names, no server data about you."))
    lines.append(
        tr(
            lang,
            "Reminders and their records are deleted a day after their release premieres. "
            "`/privacy forget` deletes all of it now.",
        )
    )
    return Reply(content="\n".join(lines)[:2000], ephemeral=True)


@command(
    "privacy forget", "Delete everything the bot stores about you", touches_storage=True, ephemeral=True, anywhere=True
)
async def privacy_forget(ctx: CommandContext) -> Reply:
    lang = ctx.locale
    reminders, user_id = _member(ctx)
    count = await reminders.forget_member(user_id)
    if not count:
        return Reply(content=tr(lang, "🗑️ There was nothing about you to delete."), ephemeral=True)
    text = ntr(
        lang,
        "🗑️ Done: I deleted {n} record about you. Nothing about you is left.",
        "🗑️ Done: I deleted {n} records about you. Nothing about you is left.",
        count,
    )
    return Reply(content=text, ephemeral=True)
