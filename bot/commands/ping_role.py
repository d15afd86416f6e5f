"""The "Get pinged" button under countdown posts: a member gives themselves (or drops) the role the posts ping."""

from __future__ import annotations

import logging

from bot.commands.registry import CommandContext, component
from bot.commands.replies import Button, Reply, UserError
from bot.commands.services import RoleAccess
from bot.domain.announcements import MissingPermission, PostFailed
from bot.i18n import N_, tr

log = logging.getLogger(__name__)
PING_COMPONENT = "ping"  # the button's custom_id is "ping:{role id}"
PING_LABEL = N_("📣 Get pinged")
# Permissions that make a role more than a ping list: whoever presses the button would get them, so a role with any
# of these is never handed out (discord.py's flag names, with the names Discord's settings show). Administrator
# is all of them; the others moderate members, change the server or its roles, or reach everyone at once.
ELEVATED_PERMISSIONS = {
    "administrator": "Administrator",
    "manage_guild": "Manage Server",
    "manage_roles": "Manage Roles",
    "manage_channels": "Manage Channels",
    "manage_messages": "Manage Messages",
    "manage_webhooks": "Manage Webhooks",
    "manage_expressions": "Manage Expressions",
    "manage_events": "Manage Events",
    "manage_threads": "Manage Threads",
    "manage_nicknames": "Manage Nicknames",
    "kick_members": "Kick Members",
    "ban_members": "Ban Members",
    "moderate_members": "Timeout Members",
    "mute_members": "Mute Members",
    "deafen_members": "Deafen Members",
    "move_members": "Move Members",
    "mention_everyone": "Mention @everyone, @here and All Roles",
    "view_audit_log": "View Audit Log",
    "view_guild_insights": "View Server Insights",
}


def ping_button(role_id: int, locale: str | None = None) -> Button:
    """Under a channel post: in the server's language."""
    return Button(f"{PING_COMPONENT}:{role_id}", tr(locale, PING_LABEL))


def _unsafe(access: RoleAccess, role_id: int, locale: str | None = None) -> str:
    """Why the button must not hand out this role ("" if it may). Permission names as Discord's English settings
    show them."""
    role = f"<@&{role_id}>"
    if access.managed:
        return tr(locale, "{role} belongs to a bot or an integration, and Discord lets nobody hand it out", role=role)
    if access.elevated:
        carries = "**, **".join(access.elevated)
        return tr(
            locale,
            "{role} carries **{permissions}**, and anyone who pressed it would get that too",
            role=role,
            permissions=carries,
        )
    return ""


def role_advice(access: RoleAccess | None, role_id: int, locale: str | None = None) -> str:
    """For `/announce setup role:` and `/announce status`: what the admin must change for the role to be pinged
    and for the Get pinged button to work ("" if nothing), in the admin's language. The setup stands either way:
    this is advice."""
    if access is None:
        return ""
    fields = {"role": f"<@&{role_id}>", "bot_role": access.bot_role}
    lines = []
    if not access.pings:
        lines.append(
            tr(
                locale,
                "⚠️ {role} won't actually be pinged: it isn't mentionable, and I don't have **Mention "
                "@everyone, @here and All Roles** in that channel. Make the role mentionable (Server Settings → "
                "Roles → the role → *Allow anyone to @mention this role*), or give me that permission.",
                **fields,
            )
        )
    unsafe = _unsafe(access, role_id, locale)
    if unsafe:
        if access.pings:
            text = tr(
                locale,
                "⚠️ Pings work, but the posts go out without the **Get pinged** button: {why}. "
                "Pick a role made just for pings, with no permissions, to have the button.",
                why=unsafe,
            )
        else:
            text = tr(
                locale,
                "⚠️ Also, the posts go out without the **Get pinged** button: {why}. "
                "Pick a role made just for pings, with no permissions, to have the button.",
                why=unsafe,
            )
        return "\n".join([*lines, text])
    if access.manage_roles and access.below_bot:
        return "\n".join(lines)
    if not access.manage_roles and not access.below_bot:
        steps = tr(
            locale,
            "give my role **{bot_role}** the **Manage Roles** permission and drag my role **{bot_role}** above {role}",
            **fields,
        )
    elif not access.manage_roles:
        steps = tr(locale, "give my role **{bot_role}** the **Manage Roles** permission", **fields)
    else:
        steps = tr(locale, "drag my role **{bot_role}** above {role}", **fields)
    if access.pings:
        text = tr(
            locale,
            "⚠️ Pings work, but I can't hand out {role} to members who press **Get pinged** until you {steps} "
            "(Server Settings → Roles). Until then the posts go out without that button.",
            steps=steps,
            **fields,
        )
    else:
        text = tr(
            locale,
            "⚠️ Also, I can't hand out {role} to members who press **Get pinged** until you {steps} "
            "(Server Settings → Roles). Until then the posts go out without that button.",
            steps=steps,
            **fields,
        )
    return "\n".join([*lines, text])


@component(PING_COMPONENT, "The Get pinged button under posts: take or drop the role they ping", touches_storage=True)
async def ping_toggle(ctx: CommandContext, arg: str, values: list[str]) -> Reply:
    lang = ctx.locale
    if ctx.guild_id is None or ctx.services is None or ctx.user_id is None:
        raise UserError(tr(lang, "The Get pinged button works in the server whose posts carry it."))
    if ctx.roles is None:
        raise UserError(tr(lang, "Roles are changed only on Discord, not in this console."))
    # Defence in depth: the custom_id comes from the member's client, so hand out only a role this very server
    # pings with its posts, never whatever role id a forged press names.
    subs = await ctx.services.subscriptions(ctx.guild_id)
    if not arg.isdigit() or not any(s.role_id == int(arg) for s in subs):
        raise UserError(
            tr(lang, "This button no longer hands out a role: this server's posts ping another role, or none.")
        )
    role_id = int(arg)
    role = f"<@&{role_id}>"
    # Checked again at every press: the role's permissions may have changed since the post went out.
    access = ctx.roles.role_access(ctx.guild_id, role_id)
    if access is None:
        raise UserError(tr(lang, "I can't see this server's roles just now. Please try again in a moment."))
    if not access.safe_to_hand_out:
        log.warning("server %s: refused to hand out role %s: managed or elevated", ctx.guild_id, role_id)
        if access.managed:
            raise UserError(
                tr(
                    lang,
                    "This button can't give you {role}: {role} belongs to a bot or an integration, and Discord lets "
                    "nobody hand it out. Please ask a server admin to pick a role made just for pings. Nothing was "
                    "changed.",
                    role=role,
                )
            )
        raise UserError(
            tr(
                lang,
                "This button can't give you {role}: {role} carries {permissions}, and anyone who pressed it would get "
                "that too. Please ask a server admin to pick a role made just for pings. Nothing was changed.",
                role=role,
                permissions=", ".join(f"**{name}**" for name in access.elevated),  # Discord's names for them
            )
        )
    give = role_id not in ctx.member_roles
    try:
        await ctx.roles.set_member_role(ctx.guild_id, ctx.user_id, role_id, give)
    except MissingPermission:  # Manage Roles taken away, or the role moved above the bot's, since the post
        log.warning("server %s: could not change role %s of a member: missing permissions", ctx.guild_id, role_id)
        raise UserError(
            tr(
                lang,
                "I can't change your roles right now: I need **Manage Roles** and a role above {role}. "
                "Please ask a server admin to fix that. Nothing was changed.",
                role=role,
            )
        ) from None
    except PostFailed:
        raise UserError(tr(lang, "Discord did not take the change just now. Please try again in a moment.")) from None
    if give:
        text = tr(
            lang,
            "🔔 You'll be pinged with this server's countdown posts: you now have {role}. "
            "Press **Get pinged** again to change your mind.",
            role=role,
        )
    else:
        text = tr(
            lang,
            "🔕 You won't be pinged any more: {role} is no longer yours. "
            "Press **Get pinged** again to change your mind.",
            role=role,
        )
    return Reply(content=text, ephemeral=True)
