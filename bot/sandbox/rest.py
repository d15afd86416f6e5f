"""Discord's REST routes for the bot: who it is, the gateway, guilds, roles, members, channels,
messages, DMs, leaving a server. Changes are dispatched on the gateway as Discord does (`events`). Application
commands are in `app_commands`, interaction responses in `interaction_responses`.

Interaction responses are in `interaction_responses`; validation, rate limits and faults happen before a handler
here runs (`server`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bot.sandbox.events import WorldEvents
from bot.sandbox.intents import GUILD_MEMBERS
from bot.sandbox.route_types import ApiError, Call, Json, Routes
from bot.sandbox.world import PERMISSIONS, Channel, Guild, World

NONCE_TTL = 300.0  # Discord remembers an enforced nonce for "a few minutes"
EPHEMERAL = 1 << 6  # message flag: only the interaction's user sees it, so it is in no channel's history
DEFAULT_HISTORY = 50  # messages per GET /channels/{channel_id}/messages when no `limit` is given
# What the sandbox remembers of a message but Discord does not return when it is fetched: `nonce` is echoed only
# in the response to its creation (and in MESSAGE_CREATE), `allowed_mentions` is a request field.
NOT_FETCHED = ("nonce", "allowed_mentions")


class RestRoutes:
    def __init__(
        self,
        world: World,
        gateway_url: Callable[[], str],
        leave_guild: Callable[[int], Awaitable[None]],
        events: WorldEvents,
        privileged_intents: Callable[[], int],
    ) -> None:
        self.world = world
        self.events = events
        self._privileged = privileged_intents
        self._gateway_url = gateway_url
        self._leave = leave_guild
        self.listeners: list[asyncio.Queue[Json]] = []  # each gets every channel message the bot creates

    def routes(self) -> Routes:
        return {
            ("GET", "/users/@me"): self._me,
            ("GET", "/users/@me/guilds"): self._my_guilds,
            ("GET", "/users/{user_id}"): self._user,
            ("GET", "/applications/@me"): self._application,
            ("GET", "/oauth2/applications/@me"): self._application,
            ("GET", "/gateway"): self._gateway,
            ("GET", "/gateway/bot"): self._gateway,
            ("GET", "/guilds/{guild_id}"): self._get_guild,
            ("GET", "/guilds/{guild_id}/channels"): self._guild_channels,
            ("GET", "/guilds/{guild_id}/roles"): self._guild_roles,
            ("GET", "/guilds/{guild_id}/members"): self._guild_members,
            ("GET", "/guilds/{guild_id}/members/{user_id}"): self._guild_member,
            ("GET", "/channels/{channel_id}"): self._get_channel,
            ("GET", "/channels/{channel_id}/messages"): self._list_messages,
            ("POST", "/channels/{channel_id}/messages"): self._create_message,
            ("GET", "/channels/{channel_id}/messages/{message_id}"): self._get_message,
            ("PATCH", "/channels/{channel_id}/messages/{message_id}"): self._edit_message,
            ("DELETE", "/channels/{channel_id}/messages/{message_id}"): self._delete_message,
            ("PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}"): self._member_role,
            ("DELETE", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}"): self._member_role,
            ("POST", "/users/@me/channels"): self._open_dm,
            ("DELETE", "/users/@me/guilds/{guild_id}"): self._leave_guild,
        }

    # ---- who the bot is, and where the gateway is -----------------------------------------------------------

    async def _me(self, call: Call) -> tuple[int, Any]:
        return 200, {
            **self.world.bot_user,
            "verified": True,
            "mfa_enabled": False,
            "locale": "en-US",
            "premium_type": 0,
            "email": None,
            "banner": None,
            "accent_color": None,
        }

    async def _user(self, call: Call) -> tuple[int, Any]:
        user = self.world.users.get(int(call.params["user_id"])) if call.params["user_id"].isdigit() else None
        if user is None:
            raise ApiError(404, 10013, "Unknown User")
        return 200, user

    async def _application(self, call: Call) -> tuple[int, Any]:
        owner = (
            self.world.users[min(u for u in self.world.users if u != self.world.bot_id)]
            if len(self.world.users) > 1
            else self.world.bot_user
        )
        return 200, {
            "id": str(self.world.application_id),
            "name": "release-bot",
            "icon": None,
            "description": "Counts a community down to a release date.",
            "type": None,
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "flags": 0,
            "summary": "",
            "owner": owner,
            "team": None,
            "bot": self.world.bot_user,
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "tags": [],
            "approximate_guild_count": len(self.world.guilds),
            "flags_new": "0",
            "role_connections_verification_url": None,
            "approximate_user_install_count": 0,
            "approximate_user_authorization_count": 0,
            "explicit_content_filter": 0,
            "eligible_oauth2_scopes": ["bot", "applications.commands"],
        }

    async def _gateway(self, call: Call) -> tuple[int, Any]:
        body: Json = {"url": self._gateway_url().rstrip("/")}
        if call.template == "/gateway/bot":
            body.update(
                shards=1,
                session_start_limit={"total": 1000, "remaining": 999, "reset_after": 14400000, "max_concurrency": 1},
            )
        return 200, body

    async def _my_guilds(self, call: Call) -> tuple[int, Any]:
        """The bot's guilds (Discord's MyGuildResponse), by id, paged with before/after/limit."""
        guilds = sorted((g for g in self.world.guilds.values() if self.world.bot_id in g.members), key=lambda g: g.id)
        if "after" in call.query:
            guilds = [g for g in guilds if g.id > int(call.query["after"])]
        if "before" in call.query:
            guilds = [g for g in guilds if g.id < int(call.query["before"])]
        counts = call.query.get("with_counts", "").lower() in ("true", "1")
        return 200, [
            {
                "id": str(g.id),
                "name": g.name,
                "icon": None,
                "banner": None,
                "owner": g.owner_id == self.world.bot_id,
                "permissions": str(g.permissions(self.world.bot_id)),
                "features": [],
                **({"approximate_member_count": len(g.members), "approximate_presence_count": 0} if counts else {}),
            }
            for g in guilds[: int(call.query.get("limit", 200))]
        ]

    # ---- guilds, their channels, roles and members ----------------------------------------------------------

    def _guild(self, call: Call) -> Guild:
        """The guild of the route, if the bot is in it: else 404/10004 (unknown) or 403/50001, as Discord answers."""
        guild = self.world.guilds.get(int(call.params["guild_id"]))
        if guild is None:
            raise ApiError(404, 10004, "Unknown Guild")
        if self.world.bot_id not in guild.members:
            raise ApiError(403, 50001, "Missing Access")
        return guild

    async def _get_guild(self, call: Call) -> tuple[int, Any]:
        guild = self._guild(call)
        body = guild.to_dict(self.world)
        if call.query.get("with_counts", "").lower() in ("true", "1"):
            body.update(approximate_member_count=len(guild.members), approximate_presence_count=0)
        return 200, body

    async def _guild_channels(self, call: Call) -> tuple[int, Any]:
        return 200, [c.to_dict(self.world) for c in self._guild(call).channels.values()]

    async def _guild_roles(self, call: Call) -> tuple[int, Any]:
        return 200, [r.to_dict() for r in self._guild(call).roles.values()]

    async def _guild_members(self, call: Call) -> tuple[int, Any]:
        guild = self._guild(call)
        if not self._privileged() & GUILD_MEMBERS:  # docs: "HTTP Restrictions" of privileged intents
            raise ApiError(403, 50001, "Missing Access")
        after = int(call.query.get("after", 0))
        members = sorted((m for m in guild.members.values() if m.user_id > after), key=lambda m: m.user_id)
        return 200, [m.to_dict(self.world) for m in members[: int(call.query.get("limit", 1))]]

    async def _guild_member(self, call: Call) -> tuple[int, Any]:
        member = self._guild(call).members.get(int(call.params["user_id"]))
        if member is None:
            raise ApiError(404, 10007, "Unknown Member")
        return 200, member.to_dict(self.world)

    # ---- channels and messages ------------------------------------------------------------------------------

    def _channel(self, call: Call) -> Channel:
        """The channel of the route, if the bot may see it: else 404/10003 or 403/50001, as Discord answers."""
        channel = self.world.channels.get(int(call.params["channel_id"]))
        if channel is None:
            raise ApiError(404, 10003, "Unknown Channel")
        guild = self.world.guild_of(channel)
        if guild is not None:
            if self.world.bot_id not in guild.members:
                raise ApiError(403, 50001, "Missing Access")
            if not guild.permissions(self.world.bot_id, channel) & PERMISSIONS["view_channel"]:
                raise ApiError(403, 50001, "Missing Access")
        return channel

    async def _get_channel(self, call: Call) -> tuple[int, Any]:
        return 200, self._channel(call).to_dict(self.world)

    async def _list_messages(self, call: Call) -> tuple[int, Any]:
        """Up to `limit` messages before, after or around a message id (else the latest), newest first."""
        channel = self._channel(call)
        guild = self.world.guild_of(channel)
        if (
            guild is not None
            and not guild.permissions(self.world.bot_id, channel) & PERMISSIONS["read_message_history"]
        ):
            return 200, []  # Discord's docs: without Read Message History, no messages are returned (no error)
        limit = int(call.query.get("limit", DEFAULT_HISTORY))
        history = sorted(
            (m for m in self.world.messages if m["channel_id"] == str(channel.id) and not m["flags"] & EPHEMERAL),
            key=lambda m: int(m["id"]),
        )  # oldest first
        ids = [int(m["id"]) for m in history]
        # Discord's docs: before, after and around are mutually exclusive.
        if "around" in call.query:
            pivot = int(call.query["around"])
            older = [m for m, i in zip(history, ids, strict=True) if i < pivot][::-1][: limit // 2][::-1]
            newer = [m for m, i in zip(history, ids, strict=True) if i >= pivot][: limit - len(older)]
            chosen = older + newer
        elif "before" in call.query:
            chosen = [m for m, i in zip(history, ids, strict=True) if i < int(call.query["before"])][-limit:]
        elif "after" in call.query:
            chosen = [m for m, i in zip(history, ids, strict=True) if i > int(call.query["after"])][:limit]
        else:
            chosen = history[-limit:]
        return 200, [_fetched(m) for m in reversed(chosen)]

    async def _create_message(self, call: Call) -> tuple[int, Any]:
        channel = self._channel(call)
        guild = self.world.guild_of(channel)
        if guild is not None and not guild.permissions(self.world.bot_id, channel) & PERMISSIONS["send_messages"]:
            raise ApiError(403, 50013, "Missing Permissions")
        if channel.type == 1:
            self._check_dm(channel)
        if (
            not any(call.body.get(k) for k in ("content", "embeds", "sticker_ids", "components", "poll"))
            and not call.uploads
        ):
            raise ApiError(400, 50006, "Cannot send an empty message")
        nonce = call.body.get("nonce")
        key = (self.world.bot_id, channel.id, str(nonce))
        if nonce is not None and call.body.get("enforce_nonce"):
            seen = self.world.nonces.get(key)
            if seen and time.time() - seen[0] < NONCE_TTL:
                return 200, seen[1]  # Discord returns the message the nonce already created
        message = self.world.message(channel.id, call.body, uploads=call.uploads)
        if nonce is not None:
            self.world.nonces[key] = (time.time(), message)
        for queue in self.listeners:
            queue.put_nowait(message)
        await self.events.message_created(message)
        return 200, message

    def _message(self, call: Call) -> Json:
        channel = self._channel(call)
        record = self.world.find_message(channel.id, int(call.params["message_id"]))
        if record is None or record["flags"] & EPHEMERAL:
            raise ApiError(404, 10008, "Unknown Message")
        return record

    async def _get_message(self, call: Call) -> tuple[int, Any]:
        channel = self._channel(call)
        guild = self.world.guild_of(channel)
        if (
            guild is not None
            and not guild.permissions(self.world.bot_id, channel) & PERMISSIONS["read_message_history"]
        ):
            raise ApiError(403, 50001, "Missing Access")
        return 200, _fetched(self._message(call))

    async def _edit_message(self, call: Call) -> tuple[int, Any]:
        record = self._message(call)
        if record["author"]["id"] != str(self.world.bot_id):
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        edited = self.world.edit_message(record["id"], call.body, call.uploads)
        await self.events.message_updated(_fetched(edited))
        return 200, _fetched(edited)

    async def _delete_message(self, call: Call) -> tuple[int, Any]:
        record = self._message(call)
        channel = self._channel(call)
        guild = self.world.guild_of(channel)
        own = record["author"]["id"] == str(self.world.bot_id)
        if (
            not own
            and guild is not None
            and not guild.permissions(self.world.bot_id, channel) & PERMISSIONS["manage_messages"]
        ):
            raise ApiError(403, 50013, "Missing Permissions")
        self.world.delete_message(record["id"])
        await self.events.message_deleted(record)
        return 204, None

    def _check_dm(self, channel: Channel) -> None:
        """Discord's 50007: the recipient closed their DMs, or shares no server with the bot."""
        recipient = channel.recipient_id or 0
        shared = any(recipient in g.members and self.world.bot_id in g.members for g in self.world.guilds.values())
        if recipient in self.world.dms_closed or not shared:
            raise ApiError(403, 50007, "Cannot send messages to this user")

    async def _open_dm(self, call: Call) -> tuple[int, Any]:
        recipient = int(call.body["recipient_id"])
        if recipient not in self.world.users:
            raise ApiError(
                400,
                50035,
                "Invalid Form Body",
                {
                    "recipient_id": {
                        "_errors": [{"code": "NUMBER_TYPE_COERCE", "message": f'Value "{recipient}" is not snowflake.'}]
                    }
                },
            )
        return 200, self.world.dm_channel(recipient).to_dict(self.world)

    async def _member_role(self, call: Call) -> tuple[int, Any]:
        """Add (PUT) or remove (DELETE) a member's role: Manage Roles, and the role below the bot's highest role."""
        guild = self._guild(call)
        member = guild.members.get(int(call.params["user_id"]))
        if member is None:
            raise ApiError(404, 10007, "Unknown Member")
        role = guild.roles.get(int(call.params["role_id"]))
        if role is None or role.id == guild.id:
            raise ApiError(404, 10011, "Unknown Role")
        if not guild.permissions(self.world.bot_id) & PERMISSIONS[
            "manage_roles"
        ] or role.position >= guild.top_role_position(self.world.bot_id):
            raise ApiError(403, 50013, "Missing Permissions")
        has = role.id in member.roles
        if call.method == "PUT" and not has:
            member.roles.append(role.id)
        elif call.method == "DELETE" and has:
            member.roles.remove(role.id)
        else:
            return 204, None  # nothing changes: no event
        await self.events.member(guild, member, "GUILD_MEMBER_UPDATE")
        return 204, None

    async def _leave_guild(self, call: Call) -> tuple[int, Any]:
        self._guild(call)
        await self._leave(int(call.params["guild_id"]))
        return 204, None


def _fetched(record: Json) -> Json:
    """A message as a fetch returns it: without what only its creation echoes."""
    return {k: v for k, v in record.items() if k not in NOT_FETCHED}
