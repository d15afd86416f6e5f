"""Members' own reminders by DM: /remind, the "🔔 Remind me" button and its menu, and /privacy.

Every sentence a member reads is in TEXT below, one place, so it can be translated later.
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
    LABELS,
    MAX_PER_MEMBER,
    OFFSETS,
    Reminder,
    ReminderOutcome,
    TooManyReminders,
    due_at,
)

CHOOSE_COMPONENT = "remind-at"  # the menu's custom_id: "remind-at:{release id}", the chosen `before` as its value
CANCEL_COMPONENT = "remind-cancel"  # the Cancel button: "remind-cancel:{release id}"
MENU_BEFORES = ("1d", "1h", "0m")  # what the button's menu offers (the slash command also has 15m)
STATE_WORDS = {"claimed": "📤 being sent", "sent": "✅ sent", "skipped": "⏭️ skipped", "failed": "❌ failed"}

TEXT = {
    "group": "Reminders by direct message before a release",
    "me": "DM me before a release",
    "before": "When: 1d, 1h or 15m before, or 0m at the premiere (default 1h)",
    "list": "Your reminders and what became of them",
    "cancel": "Stop a reminder (without a release: all of yours)",
    "cancel_release": "Which release (default: all your reminders)",
    "privacy_group": "What the bot keeps about you",
    "privacy_show": "Show what the bot stores about you",
    "privacy_forget": "Delete everything the bot stores about you",
    "button": "The Remind me button under posts and replies: a reminder 1 hour before (change it in its menu)",
    "menu": "The Remind me menu: when to be reminded",
    "cancel_button": "The Cancel button of the Remind me menu",
    "no_dm": "Reminders come by direct message, so they work only with the bot on Discord, not in this console.",
    "out": "**{title}** is already out, so there is nothing to remind you of.",
    "passed": "{when} **{title}** has already passed. Still possible: {left}.",
    "too_many": "You already have {limit} reminders, the most I keep. Cancel one with `/remind cancel` first.",
    "set": "🔔 I'll send you a direct message **{when}** **{title}**: {at} ({rel}).",
    "premiere_of": "at the premiere of",
    "replaced": " It replaces your earlier reminder for this release.",
    "unchanged": " You already had this reminder, so nothing changed.",
    "bad_before": "That is not a moment I can remind you at: choose 1d, 1h or 15m before, or 0m at the premiere.",
    "open_dms": "\n-# Keep your direct messages open to me, or I cannot deliver it.",
    "menu_hint": "\nPick another moment below, or cancel it.",
    "placeholder": "When should I remind you?",
    "cancel_label": "Cancel",
    "cancelled": "🔕 Your reminder for **{title}** is cancelled.",
    "cancelled_all": "🔕 Your {count} reminder(s) are cancelled.",
    "none_for": "You have no reminder for **{title}**.",
    "none": "You have no reminders. Press 🔔 **Remind me** under a countdown, or use `/remind me`.",
    "list_head": "🔔 **Your reminders** ({count} of at most {limit}):",
    "list_line": "• **{title}** — {when}: {at} ({rel}){state}",
    "unknown_release": "a release no longer in the catalogue",
    "privacy_head": "🔒 **What I keep about you** (your Discord user id, with):",
    "privacy_reminders": "• {count} reminder(s): which release, and how long before it.",
    "privacy_ledger": "• {count} record(s) of reminder DMs: when each was due, whether it went out, the message id.",
    "privacy_none": "• Nothing else: no messages, no names, no server data about you.",
    "privacy_nothing": "🔒 I keep nothing about you.",
    "privacy_retention": (
        "Reminders and their records are deleted a day after their release premieres. "
        "`/privacy forget` deletes all of it now."
    ),
    "forgotten": "🗑️ Done: I deleted {count} record(s) about you. Nothing about you is left.",
    "forgot_nothing": "🗑️ There was nothing about you to delete.",
}

group("remind", TEXT["group"])
group("privacy", TEXT["privacy_group"])
BEFORE = Option("before", TEXT["before"], choices=tuple(OFFSETS))


def _member(ctx: CommandContext) -> tuple[Reminders, int]:
    if ctx.reminders is None or ctx.user_id is None:
        raise UserError(TEXT["no_dm"])
    return ctx.reminders, ctx.user_id


def _still_possible(release: Release, now: datetime, befores: Sequence[str] = tuple(OFFSETS)) -> list[str]:
    return [b for b in befores if due_at(release, b) > now]


def _default_before(release: Release, now: datetime) -> str:
    """1 hour before, or the latest moment still ahead when that has passed."""
    left = _still_possible(release, now)
    return DEFAULT_BEFORE if DEFAULT_BEFORE in left else left[-1]


def _check_moment(release: Release, before: str, now: datetime) -> None:
    if release.release_at <= now:
        raise UserError(TEXT["out"].format(title=release.title))
    if due_at(release, before) <= now:
        left = ", ".join(f"`{b}` ({LABELS[b]})" for b in _still_possible(release, now))
        raise UserError(TEXT["passed"].format(when=LABELS[before].capitalize(), title=release.title, left=left))


def _menu(release: Release, now: datetime, chosen: str) -> list[list[Component]]:
    options = tuple((LABELS[b].capitalize(), b) for b in _still_possible(release, now, MENU_BEFORES))
    if chosen not in {v for _, v in options}:
        options += ((LABELS[chosen].capitalize(), chosen),)
    return [
        [Select(f"{CHOOSE_COMPONENT}:{release.id}", options, TEXT["placeholder"], default=chosen)],
        [Button(f"{CANCEL_COMPONENT}:{release.id}", TEXT["cancel_label"], style=DANGER)],
    ]


async def _set(ctx: CommandContext, release: Release, before: str, menu: bool) -> Reply:
    reminders, user_id = _member(ctx)
    _check_moment(release, before, ctx.now)
    earlier = next((r.before for r in await reminders.reminders_of(user_id) if r.release_id == release.id), None)
    try:
        reminder, replaced = await reminders.set_reminder(user_id, release.id, before, ctx.now)
    except TooManyReminders:
        raise UserError(TEXT["too_many"].format(limit=MAX_PER_MEMBER)) from None
    at = due_at(release, reminder.before)
    when = TEXT["premiere_of"] if before == "0m" else LABELS[before]  # "1 hour before X", "at the premiere of X"
    text = TEXT["set"].format(when=when, title=release.title, at=timestamp(at, "F"), rel=timestamp(at, "R"))
    if replaced:
        text += TEXT["unchanged"] if earlier == before else TEXT["replaced"]
    if menu:
        return Reply(
            content=text + TEXT["menu_hint"] + TEXT["open_dms"],
            ephemeral=True,
            components=_menu(release, ctx.now, before),
        )
    return Reply(content=text + TEXT["open_dms"], ephemeral=True)


async def _cancel(ctx: CommandContext, release: Release | None) -> Reply:
    reminders, user_id = _member(ctx)
    count = await reminders.cancel_reminders(user_id, release.id if release else None)
    if release is not None:
        key = "cancelled" if count else "none_for"
        return Reply(content=TEXT[key].format(title=release.title), ephemeral=True)
    return Reply(content=TEXT["cancelled_all"].format(count=count) if count else TEXT["none"], ephemeral=True)


@command("remind me", TEXT["me"], RELEASE, BEFORE, touches_storage=True, ephemeral=True, anywhere=True)
async def remind_me(ctx: CommandContext, release: str | None = None, before: str | None = None) -> Reply:
    found = find_release(ctx, release)
    if found.release_at <= ctx.now:
        raise UserError(TEXT["out"].format(title=found.title))
    return await _set(ctx, found, before or _default_before(found, ctx.now), menu=False)


def _title(ctx: CommandContext, release_id: str) -> Release | None:
    try:
        return ctx.catalogue.get(release_id)
    except UnknownRelease:  # a server's own release, asked about from a DM or another server
        return ctx.reminders.reminder_release(release_id) if ctx.reminders is not None else None


def _line(ctx: CommandContext, reminder: Reminder, outcome: ReminderOutcome | None) -> str:
    release = _title(ctx, reminder.release_id)
    if release is None:
        return f"• {TEXT['unknown_release']} ({LABELS[reminder.before]})"
    at = due_at(release, reminder.before)
    state = ""
    if outcome is not None:
        state = " — " + STATE_WORDS.get(outcome.state, outcome.state)
        if outcome.state in ("failed", "skipped") and outcome.detail:
            state += f": {outcome.detail}"
    return TEXT["list_line"].format(
        title=release.title, when=LABELS[reminder.before], at=timestamp(at, "f"), rel=timestamp(at, "R"), state=state
    )


@command("remind list", TEXT["list"], touches_storage=True, ephemeral=True, anywhere=True)
async def remind_list(ctx: CommandContext) -> Reply:
    reminders, user_id = _member(ctx)
    mine = await reminders.reminders_of(user_id)
    if not mine:
        return Reply(content=TEXT["none"], ephemeral=True)
    outcomes = {(o.release_id, o.before): o for o in await reminders.reminder_outcomes(user_id)}
    lines = [TEXT["list_head"].format(count=len(mine), limit=MAX_PER_MEMBER)]
    lines += [_line(ctx, r, outcomes.get((r.release_id, r.before))) for r in mine]
    return Reply(content="\n".join(lines)[:2000], ephemeral=True)


@command(
    "remind cancel",
    TEXT["cancel"],
    Option("release", TEXT["cancel_release"], autocomplete=RELEASE.autocomplete),
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


@component(REMIND_COMPONENT, TEXT["button"], touches_storage=True)
async def remind_button(ctx: CommandContext, release_id: str, values: list[str]) -> Reply:
    found = find_release(ctx, release_id)
    if found.release_at <= ctx.now:
        raise UserError(TEXT["out"].format(title=found.title))
    reminders, user_id = _member(ctx)
    current = next((r.before for r in await reminders.reminders_of(user_id) if r.release_id == found.id), None)
    return await _set(ctx, found, current or _default_before(found, ctx.now), menu=True)


@component(CHOOSE_COMPONENT, TEXT["menu"], touches_storage=True)
async def remind_choose(ctx: CommandContext, release_id: str, values: list[str]) -> Reply:
    found = find_release(ctx, release_id)
    before = values[0] if values else DEFAULT_BEFORE
    if before not in OFFSETS:
        raise UserError(TEXT["bad_before"])
    return await _set(ctx, found, before, menu=True)


@component(CANCEL_COMPONENT, TEXT["cancel_button"], touches_storage=True)
async def remind_cancel_button(ctx: CommandContext, release_id: str, values: list[str]) -> Reply:
    return await _cancel(ctx, find_release(ctx, release_id))


@command("privacy show", TEXT["privacy_show"], touches_storage=True, ephemeral=True, anywhere=True)
async def privacy_show(ctx: CommandContext) -> Reply:
    reminders, user_id = _member(ctx)
    mine = await reminders.reminders_of(user_id)
    records = await reminders.reminder_outcomes(user_id)
    if not mine and not records:
        return Reply(content=TEXT["privacy_nothing"], ephemeral=True)
    lines = [TEXT["privacy_head"]]
    if mine:
        lines.append(TEXT["privacy_reminders"].format(count=len(mine)))
        lines += ["  " + _line(ctx, r, None) for r in mine]
    if records:
        lines.append(TEXT["privacy_ledger"].format(count=len(records)))
    lines += [TEXT["privacy_none"], TEXT["privacy_retention"]]
    return Reply(content="\n".join(lines)[:2000], ephemeral=True)


@command("privacy forget", TEXT["privacy_forget"], touches_storage=True, ephemeral=True, anywhere=True)
async def privacy_forget(ctx: CommandContext) -> Reply:
    reminders, user_id = _member(ctx)
    count = await reminders.forget_member(user_id)
    return Reply(content=TEXT["forgotten"].format(count=count) if count else TEXT["forgot_nothing"], ephemeral=True)
