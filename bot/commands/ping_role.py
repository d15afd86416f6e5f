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


def ping_button(role_id: int, locale: str | None = None) -> Button:
    """Under a channel post: in the server's language."""
    return Button(f"{PING_COMPONENT}:{role_id}", tr(locale, PING_LABEL))


def role_advice(access: RoleAccess | None, role_id: int, locale: str | None = None) -> str:
    """For `/announce setup role:`: what the admin must change for the Get pinged button to work ("" if nothing),
    in the admin's language. Pings work either way, so this is advice, not a refusal."""
    if access is None or (access.manage_roles and access.below_bot):
        return ""
    fields = {"role": f"<@&{role_id}>", "bot_role": access.bot_role}
    if not access.manage_roles and not access.below_bot:
        return tr(
            locale,
            "⚠️ Pings work, but I can't hand out {role} to members who press **Get pinged** until you give my role "
            "**{bot_role}** the **Manage Roles** permission and drag my role **{bot_role}** above {role} (Server "
            "Settings → Roles). Until then the posts go out without that button.",
            **fields,
        )
    if not access.manage_roles:
        return tr(
            locale,
            "⚠️ Pings work, but I can't hand out {role} to members who press **Get pinged** until you give my role "
            "**{bot_role}** the **Manage Roles** permission (Server Settings → Roles). Until then the posts go out "
            "without that button.",
            **fields,
        )
    return tr(
        locale,
        "⚠️ Pings work, but I can't hand out {role} to members who press **Get pinged** until you drag my role "
        "**{bot_role}** above {role} (Server Settings → Roles). Until then the posts go out without that button.",
        **fields,
    )


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
