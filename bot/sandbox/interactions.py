"""Turning a command line typed "as a user" into the INTERACTION_CREATE Discord would send."""

from __future__ import annotations

import secrets
from typing import Any

from bot.sandbox import components
from bot.sandbox.command_line import CommandLineError, parse_command_line
from bot.sandbox.world import PERMISSIONS, Channel, Guild, World

# Application command option types
SUB_COMMAND, SUB_COMMAND_GROUP, STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER = range(1, 11)


# Interaction context types (docs: interactions/receiving-and-responding, "Interaction Context Types")
GUILD, BOT_DM, PRIVATE_CHANNEL = 0, 1, 2
GUILD_INSTALL, USER_INSTALL = "0", "1"
# What an app may do in a DM (there are no roles there): app_permissions of a DM interaction
DM_PERMISSIONS = sum(
    PERMISSIONS[p]
    for p in (
        "view_channel",
        "send_messages",
        "embed_links",
        "attach_files",
        "read_message_history",
        "mention_everyone",
    )
)


# Discord's locales (docs: reference#locales): what a client sends as `locale` and a server has as `preferred_locale`
LOCALES = (
    "id",
    "da",
    "de",
    "en-GB",
    "en-US",
    "es-ES",
    "es-419",
    "fr",
    "hr",
    "it",
    "lt",
    "hu",
    "nl",
    "no",
    "pl",
    "pt-BR",
    "ro",
    "fi",
    "sv-SE",
    "vi",
    "tr",
    "cs",
    "el",
    "bg",
    "ru",
    "uk",
    "hi",
    "th",
    "zh-CN",
    "ja",
    "zh-TW",
    "ko",
)


class InteractionError(ValueError):
    """What Discord's own client would refuse to send (unknown command or option, a value of the wrong kind)."""


def _find_command(world: World, guild_id: int | None, name: str, context: int) -> dict[str, Any]:
    for command in world.commands_for(guild_id):
        if command["name"] == name:
            if not usable(command, context):
                raise InteractionError(
                    f"/{name} is not available in interaction context {context} (its contexts "
                    f"{command.get('contexts')}, integration types "
                    f"{command.get('integration_types')}): Discord would not show it there"
                )
            return command
    where = "this server" if guild_id else "DMs (global commands only)"
    raise InteractionError(f"/{name} is not registered for {where}: run `release-bot sync` first")


def usable(command: dict[str, Any], context: int) -> bool:
    """Does Discord offer `command` in `context`? Its `contexts` (default: all, without DMs when dm_permission is
    false); a private channel also needs the app installed to the user (`integration_types` has 1)."""
    if command.get("guild_id"):
        return context == GUILD
    contexts = command.get("contexts")
    if contexts is None:
        contexts = [GUILD, PRIVATE_CHANNEL] + ([BOT_DM] if command.get("dm_permission", True) else [])
    installs = command.get("integration_types") or [0]
    if context == PRIVATE_CHANNEL and 1 not in installs:
        return False
    return context in contexts


def _resolve(world: World, guild: Guild | None, option: dict[str, Any], raw: str, resolved: dict[str, Any]) -> Any:
    kind = option["type"]
    if kind == STRING:
        low, high = option.get("min_length", 0), option.get("max_length", 6000)
        if not low <= len(raw) <= high:
            raise InteractionError(
                f"{option['name']} must be {low} to {high} characters long (Discord's client enforces this)"
            )
        return raw
    if kind == INTEGER:
        try:
            return int(raw)
        except ValueError:
            raise InteractionError(f"{option['name']} must be a whole number") from None
    if kind == NUMBER:
        return float(raw)
    if kind == BOOLEAN:
        return raw.lower() in ("true", "yes", "1")
    if guild is None:  # what is left (channels, roles, users) is looked up in the server
        raise InteractionError(f"{option['name']}: the sandbox resolves channels, roles and users only in a server")
    if kind == CHANNEL:
        wanted = raw.removeprefix("#")
        for channel in guild.channels.values():
            if channel.name == wanted or str(channel.id) == wanted:
                resolved.setdefault("channels", {})[str(channel.id)] = {
                    "id": str(channel.id),
                    "name": channel.name,
                    "type": channel.type,
                    "guild_id": str(guild.id),
                    "permissions": str(guild.permissions(world.bot_id, channel)),
                    "flags": 0,
                    "parent_id": None,
                    "nsfw": False,
                    "position": channel.position,
                    "rate_limit_per_user": 0,
                    "permission_overwrites": [o.to_dict() for o in channel.overwrites.values()],
                    "topic": None,
                    "last_message_id": None,
                }
                return str(channel.id)
        raise InteractionError(f"no channel #{wanted} in this server")
    wanted = raw.removeprefix("@")
    if kind in (ROLE, MENTIONABLE):
        for role in guild.roles.values():
            if role.name in (wanted, "@" + wanted) or str(role.id) == wanted:
                resolved.setdefault("roles", {})[str(role.id)] = role.to_dict()
                return str(role.id)
    if kind in (USER, MENTIONABLE):
        for user_id, member in guild.members.items():
            user = world.users[user_id]
            if user["username"] == wanted or str(user_id) == wanted:
                resolved.setdefault("users", {})[str(user_id)] = user
                data = member.to_dict(world)
                data.pop("user")
                resolved.setdefault("members", {})[str(user_id)] = data
                return str(user_id)
    raise InteractionError(f"nobody and no role called @{wanted} in this server")


def build_interaction(
    world: World,
    guild: Guild | None,
    channel: Channel,
    user_id: int,
    line: str,
    focused: str | None = None,
    context: int = GUILD,
    locale: str = "en-US",
    guild_locale: str | None = None,
) -> dict[str, Any]:
    """The INTERACTION_CREATE payload for `/name [sub] option:value...` typed by `user_id` in `channel`."""
    try:
        path, values = parse_command_line(line)
    except CommandLineError as exc:
        raise InteractionError(str(exc)) from None
    words = path.split()
    command = _find_command(world, guild.id if guild else None, words[0], context)
    options_def = command.get("options") or []
    container: list[dict[str, Any]] = []
    data: dict[str, Any] = {"id": command["id"], "name": command["name"], "type": 1}
    if guild is not None and command.get("guild_id"):
        data["guild_id"] = str(guild.id)
    top = container
    for word in words[1:]:  # sub-command (group) names
        sub = next(
            (o for o in options_def if o["name"] == word and o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)), None
        )
        if sub is None:
            raise InteractionError(f"/{command['name']} has no sub-command {word}")
        nested: list[dict[str, Any]] = []
        container.append({"name": word, "type": sub["type"], "options": nested})
        container, options_def = nested, sub.get("options") or []
    if any(o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP) for o in options_def):
        raise InteractionError(f"/{path} needs a sub-command: " + ", ".join(o["name"] for o in options_def))
    resolved: dict[str, Any] = {}
    for name, raw in values.items():
        option = next((o for o in options_def if o["name"] == name), None)
        if option is None:
            raise InteractionError(f"/{path} has no option {name}")
        if name == focused:  # autocomplete: the partial text goes as typed
            container.append({"name": name, "type": option["type"], "value": raw, "focused": True})
            continue
        container.append({"name": name, "type": option["type"], "value": _resolve(world, guild, option, raw, resolved)})
    for option in options_def:
        if option.get("required") and option["name"] not in values:
            raise InteractionError(f"/{path} needs the option {option['name']}")
    if focused is not None and focused not in values:
        option = next((o for o in options_def if o["name"] == focused), None)
        if option is None:
            raise InteractionError(f"/{path} has no option {focused}")
        container.append({"name": focused, "type": option["type"], "value": "", "focused": True})
    if top:
        data["options"] = top
    if resolved:
        data["resolved"] = resolved
    return envelope(world, guild, channel, user_id, 4 if focused else 2, data, context, locale, guild_locale)


def envelope(
    world: World,
    guild: Guild | None,
    channel: Channel,
    user_id: int,
    kind: int,
    data: dict[str, Any],
    context: int,
    locale: str,
    guild_locale: str | None,
) -> dict[str, Any]:
    """An INTERACTION_CREATE payload: in a server with the member and the server's fields; in a DM or a private
    channel (a user-installed app) with the user instead, and no guild."""
    guild_locale = guild_locale or (guild.preferred_locale if guild else "en-US")  # default: the server's
    for name, value in (("locale", locale), ("guild_locale", guild_locale)):
        if value not in LOCALES:
            raise InteractionError(f"{name} {value!r} is not one of Discord's locales: {', '.join(LOCALES)}")
    payload: dict[str, Any] = {
        "id": str(world.snowflake()),
        "application_id": str(world.application_id),
        "type": kind,
        "token": secrets.token_urlsafe(32),
        "version": 1,
        "channel_id": str(channel.id),
        "data": data,
        "locale": locale,
        "entitlements": [],
        "context": context,
        "attachment_size_limit": 10485760,
    }
    if guild is not None:
        permissions = guild.permissions(user_id, channel)
        payload.update(
            guild_id=str(guild.id),
            guild_locale=guild_locale,
            channel={**channel.to_dict(world), "permissions": str(permissions)},
            guild={"id": str(guild.id), "locale": guild_locale, "features": []},
            member={**guild.members[user_id].to_dict(world), "permissions": str(permissions)},
            app_permissions=str(guild.permissions(world.bot_id, channel)),
            authorizing_integration_owners={GUILD_INSTALL: str(guild.id)},
        )
    else:
        payload.update(
            channel=channel.to_dict(world),
            user=world.users[user_id],
            app_permissions=str(DM_PERMISSIONS),
            authorizing_integration_owners={USER_INSTALL: str(user_id)}
            if context == PRIVATE_CHANNEL
            else {GUILD_INSTALL: "0"},
        )
    return payload


def build_press(
    world: World,
    message: dict[str, Any],
    user_id: int,
    custom_id: str,
    values: list[str] | None,
    locale: str = "en-US",
    guild_locale: str | None = None,
) -> dict[str, Any]:
    """The MESSAGE_COMPONENT interaction (type 3) for `user_id` pressing the component `custom_id` of `message`
    (choosing `values` in a select), as Discord's client sends it."""
    if message["author"]["id"] != str(world.bot_id) and message.get("application_id") != str(world.application_id):
        raise InteractionError(
            f"message {message['id']} is not the bot's: Discord sends its components' "
            "interactions to the app that sent it"
        )
    component = components.find(message.get("components") or [], custom_id)
    if component is None:
        raise InteractionError(f"message {message['id']} has no component with custom_id {custom_id!r}")
    if component.get("disabled"):
        raise InteractionError(f"the component {custom_id!r} is disabled: Discord's client cannot press it")
    data: dict[str, Any] = {"custom_id": custom_id, "component_type": component["type"], "id": component["id"]}
    if component["type"] in components.SELECTS:
        chosen = list(values or [])
        offered = {o["value"] for o in component.get("options") or []}
        if component["type"] == components.STRING_SELECT and not set(chosen) <= offered:
            raise InteractionError(f"{sorted(set(chosen) - offered)} are not options of {custom_id!r}")
        if not component["min_values"] <= len(chosen) <= component["max_values"]:
            raise InteractionError(f"{custom_id!r} takes {component['min_values']} to {component['max_values']} values")
        data["values"] = chosen
    elif values:
        raise InteractionError(f"{custom_id!r} is a button: it has no values")
    channel = world.channels.get(int(message["channel_id"])) or world.private_channels.get(int(message["channel_id"]))
    if channel is None:
        raise InteractionError(f"the channel of message {message['id']} no longer exists")
    guild = world.guild_of(channel)
    if guild is not None and user_id not in guild.members:
        raise InteractionError(f"user {user_id} is not a member of the message's server")
    context = GUILD if guild is not None else BOT_DM
    fetched = {k: v for k, v in message.items() if k not in ("allowed_mentions", "nonce")}
    payload = envelope(world, guild, channel, user_id, 3, data, context, locale, guild_locale)
    payload["message"] = fetched
    return payload
