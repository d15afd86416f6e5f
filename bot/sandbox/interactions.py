"""Turning a command line typed "as a user" into the INTERACTION_CREATE Discord would send."""

from __future__ import annotations

import secrets
from typing import Any

from bot.sandbox.command_line import CommandLineError, parse_command_line
from bot.sandbox.world import Channel, Guild, World

# Application command option types
SUB_COMMAND, SUB_COMMAND_GROUP, STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER = range(1, 11)


class InteractionError(ValueError):
    """What Discord's own client would refuse to send (unknown command or option, a value of the wrong kind)."""


def _find_command(world: World, guild_id: int, name: str) -> dict[str, Any]:
    for command in world.commands_for(guild_id):
        if command["name"] == name:
            return command
    raise InteractionError(f"/{name} is not registered for this server: run `release-bot sync` first")


def _resolve(world: World, guild: Guild, option: dict[str, Any], raw: str, resolved: dict[str, Any]) -> Any:
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
    world: World, guild: Guild, channel: Channel, user_id: int, line: str, focused: str | None = None
) -> dict[str, Any]:
    """The INTERACTION_CREATE payload for `/name [sub] option:value...` typed by `user_id` in `channel`."""
    try:
        path, values = parse_command_line(line)
    except CommandLineError as exc:
        raise InteractionError(str(exc)) from None
    words = path.split()
    command = _find_command(world, guild.id, words[0])
    options_def = command.get("options") or []
    container: list[dict[str, Any]] = []
    data: dict[str, Any] = {"id": command["id"], "name": command["name"], "type": 1, "guild_id": str(guild.id)}
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
    member = guild.members[user_id]
    permissions = guild.permissions(user_id, channel)
    return {
        "id": str(world.snowflake()),
        "application_id": str(world.application_id),
        "type": 4 if focused else 2,
        "token": secrets.token_urlsafe(32),
        "version": 1,
        "guild_id": str(guild.id),
        "channel_id": str(channel.id),
        "channel": {**channel.to_dict(world), "permissions": str(permissions)},
        "guild": {"id": str(guild.id), "locale": "en-US", "features": []},
        "member": {**member.to_dict(world), "permissions": str(permissions)},
        "data": data,
        "app_permissions": str(guild.permissions(world.bot_id, channel)),
        "locale": "en-US",
        "guild_locale": "en-US",
        "entitlements": [],
        "context": 0,
        "authorizing_integration_owners": {"0": str(guild.id)},
        "attachment_size_limit": 10485760,
    }
