"""Discord objects built the way Discord builds them: every documented field, with Discord's defaults, normalised
from what a request sent (never an echo of the request body). Pure functions of plain values; `world` keeps state."""

from __future__ import annotations

import re
from typing import Any

from bot.sandbox import components

Json = dict[str, Any]

# A guild's settings the sandbox never changes, at the values a new community-less server has on Discord.
GUILD_DEFAULTS: Json = {
    "icon": None,
    "splash": None,
    "discovery_splash": None,
    "banner": None,
    "description": None,
    "home_header": None,
    "application_id": None,
    "region": "deprecated",
    "afk_channel_id": None,
    "afk_timeout": 300,
    "widget_enabled": False,
    "widget_channel_id": None,
    "verification_level": 0,
    "default_message_notifications": 0,
    "explicit_content_filter": 0,
    "mfa_level": 0,
    "features": [],
    "emojis": [],
    "stickers": [],
    "system_channel_id": None,
    "system_channel_flags": 0,
    "rules_channel_id": None,
    "safety_alerts_channel_id": None,
    "public_updates_channel_id": None,
    "vanity_url_code": None,
    "premium_tier": 0,
    "premium_subscription_count": 0,
    "premium_progress_bar_enabled": False,
    "preferred_locale": "en-US",
    "max_presences": None,
    "max_members": 500000,
    "max_video_channel_users": 25,
    "max_stage_video_channel_users": 50,
    "nsfw": False,
    "nsfw_level": 0,
    "incidents_data": None,
}
ROLE_COLORS: Json = {"primary_color": 0, "secondary_color": None, "tertiary_color": None}
_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")


def embed(sent: Json) -> Json:
    """An embed as Discord returns it: `type` "rich" unless given, the colour as `color`, no null fields."""
    out = {k: v for k, v in sent.items() if v is not None}
    out.setdefault("type", "rich")
    if "fields" in out:
        out["fields"] = [{"inline": False, **f} for f in out["fields"]]
    return out


def mentions(
    content: str, allowed: Json | None, users: dict[int, Json], roles: set[int]
) -> tuple[list[Json], list[str], bool]:
    """(mentions, mention_roles, mention_everyone) of a message: the mentions in its content that `allowed_mentions`
    lets through (no `allowed_mentions`: all of them)."""
    parse = None if allowed is None else set(allowed.get("parse") or [])
    allowed_users = {str(u) for u in (allowed or {}).get("users") or []}
    allowed_roles = {str(r) for r in (allowed or {}).get("roles") or []}
    user_ids = dict.fromkeys(int(i) for i in _USER_MENTION.findall(content) if int(i) in users)
    role_ids = dict.fromkeys(int(i) for i in _ROLE_MENTION.findall(content) if int(i) in roles)
    if parse is not None:
        user_ids = {i: None for i in user_ids if "users" in parse or str(i) in allowed_users}
        role_ids = {i: None for i in role_ids if "roles" in parse or str(i) in allowed_roles}
    everyone = ("@everyone" in content or "@here" in content) and (parse is None or "everyone" in parse)
    return [users[i] for i in user_ids], [str(i) for i in role_ids], everyone


def message(
    *,
    message_id: int,
    channel_id: int,
    guild_id: int | None,
    author: Json,
    body: Json,
    timestamp: str,
    users: dict[int, Json],
    roles: set[int],
) -> Json:
    """A message object for a create request's body (REST, webhook or interaction response data)."""
    content = body.get("content") or ""
    mentioned, mentioned_roles, everyone = mentions(content, body.get("allowed_mentions"), users, roles)
    created: Json = {
        "id": str(message_id),
        "channel_id": str(channel_id),
        "author": author,
        "content": content,
        "timestamp": timestamp,
        "edited_timestamp": None,
        "tts": bool(body.get("tts")),
        "mention_everyone": everyone,
        "mentions": mentioned,
        "mention_roles": mentioned_roles,
        "attachments": [],
        "embeds": [embed(e) for e in body.get("embeds") or []],
        "pinned": False,
        "type": 0,
        "flags": int(body.get("flags") or 0),
        "components": components.stored(body.get("components")),
    }
    if body.get("nonce") is not None:
        created["nonce"] = body["nonce"]
    if guild_id is not None:
        created["guild_id"] = str(guild_id)
    return created


def edited(current: Json, body: Json, timestamp: str, users: dict[int, Json], roles: set[int]) -> Json:
    """A message after an edit request: only the fields sent change, and `edited_timestamp` is set."""
    changes: Json = {"edited_timestamp": timestamp}
    if "content" in body:
        changes["content"] = body["content"] or ""
    if "embeds" in body:
        changes["embeds"] = [embed(e) for e in body["embeds"] or []]
    if "components" in body:
        changes["components"] = components.stored(body["components"])
    if "flags" in body and body["flags"] is not None:
        changes["flags"] = int(body["flags"])
    if "content" in body or "allowed_mentions" in body:
        content = str(changes.get("content", current["content"]) or "")
        mentioned, mentioned_roles, everyone = mentions(content, body.get("allowed_mentions"), users, roles)
        changes.update(mentions=mentioned, mention_roles=mentioned_roles, mention_everyone=everyone)
    return {**current, **changes}
