"""Gateway intents (https://discord.com/developers/docs/events/gateway#gateway-intents): which events a session
asked for, which intents are privileged, and what an event looks like without the intents that fill it in."""

from __future__ import annotations

from typing import Any

GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_PRESENCES = 1 << 8
GUILD_MESSAGES = 1 << 9
DIRECT_MESSAGES = 1 << 12
MESSAGE_CONTENT = 1 << 15
GUILD_SCHEDULED_EVENTS = 1 << 16
PRIVILEGED = {"GUILD_MEMBERS": GUILD_MEMBERS, "GUILD_PRESENCES": GUILD_PRESENCES, "MESSAGE_CONTENT": MESSAGE_CONTENT}
# Every intent bit Discord documents (0-16, 20, 21, 24, 25); any other bit is "invalid intent(s)", close code 4013.
VALID = sum(1 << bit for bit in (*range(17), 20, 21, 24, 25))

_GUILD_EVENTS = (
    "GUILD_CREATE",
    "GUILD_UPDATE",
    "GUILD_DELETE",
    "GUILD_ROLE_CREATE",
    "GUILD_ROLE_UPDATE",
    "GUILD_ROLE_DELETE",
    "CHANNEL_CREATE",
    "CHANNEL_UPDATE",
    "CHANNEL_DELETE",
    "CHANNEL_PINS_UPDATE",
    "THREAD_CREATE",
    "THREAD_UPDATE",
    "THREAD_DELETE",
    "THREAD_LIST_SYNC",
    "THREAD_MEMBER_UPDATE",
)
_MESSAGE_EVENTS = ("MESSAGE_CREATE", "MESSAGE_UPDATE", "MESSAGE_DELETE", "MESSAGE_DELETE_BULK")
# event -> (the intent it needs in a guild, the intent it needs in a DM)
EVENT_INTENTS: dict[str, tuple[int, int]] = {
    **{event: (GUILDS, GUILDS) for event in _GUILD_EVENTS},
    **{
        event: (GUILD_MEMBERS, GUILD_MEMBERS)
        for event in ("GUILD_MEMBER_ADD", "GUILD_MEMBER_UPDATE", "GUILD_MEMBER_REMOVE")
    },
    **{event: (GUILD_MESSAGES, DIRECT_MESSAGES) for event in _MESSAGE_EVENTS},
    "PRESENCE_UPDATE": (GUILD_PRESENCES, GUILD_PRESENCES),
    **{
        event: (GUILD_SCHEDULED_EVENTS, GUILD_SCHEDULED_EVENTS)
        for event in (
            "GUILD_SCHEDULED_EVENT_CREATE",
            "GUILD_SCHEDULED_EVENT_UPDATE",
            "GUILD_SCHEDULED_EVENT_DELETE",
            "GUILD_SCHEDULED_EVENT_USER_ADD",
            "GUILD_SCHEDULED_EVENT_USER_REMOVE",
        )
    },
}
# The message fields that carry user content: empty without MESSAGE_CONTENT (docs: "Message Content Intent").
CONTENT_FIELDS = {"content": "", "embeds": [], "attachments": [], "components": []}


def refused(intents: int, enabled: int) -> tuple[int, str] | None:
    """The close code and reason for an IDENTIFY's intents, or None if they are acceptable."""
    if intents & ~VALID:
        return 4013, "Invalid intent(s)."
    if intents & ~enabled & sum(PRIVILEGED.values()):
        return 4014, "Disallowed intent(s)."
    return None


def wanted(event: str, data: Any, intents: int, bot_id: str) -> bool:
    """Is `event` sent to a session identified with `intents`? Events tied to no intent always are."""
    needs = EVENT_INTENTS.get(event)
    if needs is None:
        return True
    if event == "GUILD_MEMBER_UPDATE" and data.get("user", {}).get("id") == bot_id:
        return True  # docs (Caveats): sent for the current user regardless of GUILD_MEMBERS
    in_guild = not isinstance(data, dict) or "guild_id" in data or event.startswith(("GUILD_", "CHANNEL_"))
    return bool(intents & needs[0 if in_guild else 1])


def shaped(event: str, data: Any, intents: int, bot_id: str) -> Any:
    """The event as a session with `intents` receives it."""
    if event in ("MESSAGE_CREATE", "MESSAGE_UPDATE") and not intents & MESSAGE_CONTENT:
        if _content_visible(data, bot_id):
            return data
        return {**data, **{k: v for k, v in CONTENT_FIELDS.items() if k in data}}
    if event == "GUILD_CREATE" and not intents & GUILD_PRESENCES and "members" in data:
        # docs (Guild Create): without GUILD_PRESENCES, members and presences hold only the bot (and voice users)
        return {**data, "members": [m for m in data["members"] if m["user"]["id"] == bot_id], "presences": []}
    return data


def _content_visible(message: dict[str, Any], bot_id: str) -> bool:
    """The docs' exceptions: the bot's own messages, DMs, and messages that mention the bot."""
    return (
        message.get("author", {}).get("id") == bot_id
        or "guild_id" not in message
        or any(user.get("id") == bot_id for user in message.get("mentions", []))
    )
