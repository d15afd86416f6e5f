"""Is a gateway payload the sandbox sends what Discord documents? Its objects are checked against the OpenAPI spec's
object schemas (`components.schemas`: the same objects REST returns), plus the fields Discord's gateway docs mark as
always present that the spec has no schema for (READY, the GUILD_CREATE extras, INTERACTION_CREATE, deletions)."""

from __future__ import annotations

from typing import Any

from bot.sandbox.openapi import Problem, Spec

GUILD_CHANNEL, PRIVATE_CHANNEL = "GuildChannelResponse", "PrivateChannelResponse"
# event -> [(where in `d` the object is, "*" = every item of a list; the spec's schema for it)]
OBJECTS: dict[str, list[tuple[tuple[str, ...], str]]] = {
    "READY": [(("user",), "UserResponse")],
    "GUILD_CREATE": [
        ((), "GuildResponse"),
        (("channels", "*"), GUILD_CHANNEL),
        (("members", "*"), "GuildMemberResponse"),
        (("guild_scheduled_events", "*"), "ScheduledEventResponse"),
    ],
    "GUILD_UPDATE": [((), "GuildResponse")],
    "GUILD_ROLE_CREATE": [(("role",), "GuildRoleResponse")],
    "GUILD_ROLE_UPDATE": [(("role",), "GuildRoleResponse")],
    "GUILD_MEMBER_ADD": [((), "GuildMemberResponse")],
    "GUILD_MEMBER_UPDATE": [((), "GuildMemberResponse")],
    "GUILD_MEMBER_REMOVE": [(("user",), "UserResponse")],
    "CHANNEL_CREATE": [((), GUILD_CHANNEL)],
    "CHANNEL_UPDATE": [((), GUILD_CHANNEL)],
    "CHANNEL_DELETE": [((), GUILD_CHANNEL)],
    "MESSAGE_CREATE": [((), "MessageResponse")],
    "MESSAGE_UPDATE": [((), "MessageResponse")],
    **{
        f"GUILD_SCHEDULED_EVENT_{change}": [((), "ScheduledEventResponse")] for change in ("CREATE", "UPDATE", "DELETE")
    },
    "INTERACTION_CREATE": [
        (("member",), "GuildMemberResponse"),
        (("channel",), GUILD_CHANNEL),
        (("user",), "UserResponse"),
        (("message",), "MessageResponse"),
        (("data", "resolved", "roles", "*"), "GuildRoleResponse"),
        (("data", "resolved", "users", "*"), "UserResponse"),
    ],
}
# event -> fields Discord's gateway docs (events/gateway-events) show without "?": always present.
ALWAYS_PRESENT: dict[str, tuple[str, ...]] = {
    "READY": ("v", "user", "guilds", "session_id", "resume_gateway_url", "application"),
    "GUILD_CREATE": (
        "joined_at",
        "large",
        "member_count",
        "voice_states",
        "members",
        "channels",
        "threads",
        "presences",
        "stage_instances",
        "guild_scheduled_events",
        "soundboard_sounds",
    ),
    "GUILD_DELETE": ("id",),
    "GUILD_ROLE_CREATE": ("guild_id", "role"),
    "GUILD_ROLE_UPDATE": ("guild_id", "role"),
    "GUILD_ROLE_DELETE": ("guild_id", "role_id"),
    "GUILD_MEMBER_ADD": ("guild_id",),
    "GUILD_MEMBER_UPDATE": ("guild_id", "roles", "user", "joined_at"),
    "GUILD_MEMBER_REMOVE": ("guild_id", "user"),
    "MESSAGE_DELETE": ("id", "channel_id"),
    "INTERACTION_CREATE": (
        "id",
        "application_id",
        "type",
        "token",
        "version",
        "app_permissions",
        "entitlements",
        "authorizing_integration_owners",
        "attachment_size_limit",
    ),
}
# Inside READY: `application` is a partial application with id and flags.
NESTED_ALWAYS_PRESENT: dict[str, dict[str, tuple[str, ...]]] = {"READY": {"application": ("id", "flags")}}


def event_errors(spec: Spec, event: str, data: Any) -> list[Problem]:
    """What is wrong with the `d` of a dispatch, as (path, code, message) problems; [] if it is as documented."""
    if not isinstance(data, dict):
        return [((), "BASE_TYPE_BAD_TYPE", f"{event}: `d` must be an object")]
    if event == "GUILD_CREATE" and data.get("unavailable"):
        return []  # an outage: {"id", "unavailable": true} only
    problems: list[Problem] = []
    for field in ALWAYS_PRESENT.get(event, ()):
        if field not in data:
            problems.append(((field,), "BASE_TYPE_REQUIRED", f"{event}: {field!r} is always present (docs)"))
    for parent, fields in NESTED_ALWAYS_PRESENT.get(event, {}).items():
        problems += [
            ((parent, field), "BASE_TYPE_REQUIRED", f"{event}: {parent}.{field} is always present (docs)")
            for field in fields
            if field not in (data.get(parent) or {})
        ]
    for where, schema in OBJECTS.get(event, []):
        for path, value in _found(data, where):
            if schema == GUILD_CHANNEL and value.get("type") in (1, 3):
                schema = PRIVATE_CHANNEL
            problems += [
                ((*path, *inner), code, f"{event}: {message}")
                for inner, code, message in spec.schema_errors(schema, value)
            ]
    return problems


def _found(data: Any, where: tuple[str, ...], path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    """The objects at `where` in `data` (with their paths); nothing if the optional part is absent."""
    if not where:
        return [(path, data)] if isinstance(data, dict) else []
    key, rest = where[0], where[1:]
    if key == "*":
        items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else []
        return [found for k, item in items for found in _found(item, rest, (*path, str(k)))]
    if not isinstance(data, dict) or key not in data:
        return []
    return _found(data[key], rest, (*path, key))
