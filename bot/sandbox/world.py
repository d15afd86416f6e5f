"""The sandbox's in-memory Discord: users, guilds, roles, channels, members, permissions, messages, commands."""

from __future__ import annotations

import base64
import itertools
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.sandbox import objects
from bot.sandbox.attachments import AttachmentStore, Upload

DISCORD_EPOCH_MS = 1420070400000

# Permission bits (https://discord.com/developers/docs/topics/permissions)
PERMISSIONS = {
    "create_instant_invite": 1 << 0,
    "administrator": 1 << 3,
    "manage_channels": 1 << 4,
    "manage_guild": 1 << 5,
    "add_reactions": 1 << 6,
    "view_channel": 1 << 10,
    "send_messages": 1 << 11,
    "manage_messages": 1 << 13,
    "embed_links": 1 << 14,
    "attach_files": 1 << 15,
    "read_message_history": 1 << 16,
    "mention_everyone": 1 << 17,
    "manage_roles": 1 << 28,
    "use_application_commands": 1 << 31,
    "manage_events": 1 << 33,
    "create_events": 1 << 44,
}
ALL_PERMISSIONS = (1 << 53) - 1
EVERYONE_DEFAULT = sum(
    PERMISSIONS[p]
    for p in (
        "create_instant_invite",
        "add_reactions",
        "view_channel",
        "send_messages",
        "embed_links",
        "attach_files",
        "read_message_history",
        "use_application_commands",
    )
)
# What the bot's invite grants it: enough for every feature (the control API can take any of it away).
BOT_ROLE = sum(
    PERMISSIONS[p]
    for p in (
        "view_channel",
        "send_messages",
        "embed_links",
        "attach_files",
        "read_message_history",
        "manage_roles",
        "create_events",
    )
)
ADMIN_ROLE = PERMISSIONS["administrator"] | PERMISSIONS["manage_guild"]


def iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat()


@dataclass
class Overwrite:
    id: int
    type: int  # 0 role, 1 member
    allow: int = 0
    deny: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"id": str(self.id), "type": self.type, "allow": str(self.allow), "deny": str(self.deny)}


@dataclass
class Channel:
    id: int
    name: str
    guild_id: int | None
    type: int = 0  # 0 text, 1 DM
    position: int = 0
    overwrites: dict[int, Overwrite] = field(default_factory=dict)
    recipient_id: int | None = None

    def to_dict(self, world: World) -> dict[str, Any]:
        if self.type == 1:
            return {
                "id": str(self.id),
                "type": 1,
                "last_message_id": None,
                "flags": 0,
                "recipients": [world.users[self.recipient_id]] if self.recipient_id else [],
            }
        return {
            "id": str(self.id),
            "type": self.type,
            "guild_id": str(self.guild_id),
            "name": self.name,
            "position": self.position,
            "permission_overwrites": [o.to_dict() for o in self.overwrites.values()],
            "nsfw": False,
            "parent_id": None,
            "topic": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "flags": 0,
        }


@dataclass
class Role:
    id: int
    name: str
    permissions: int
    position: int = 0
    mentionable: bool = False  # "Allow anyone to @mention this role"; off for a new role, as on Discord
    managed: bool = False  # a bot's or an integration's own role

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "name": self.name,
            "color": 0,
            "colors": dict(objects.ROLE_COLORS),
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": self.position,
            "permissions": str(self.permissions),
            "managed": self.managed,
            "mentionable": self.mentionable,
            "flags": 0,
        }


@dataclass
class Member:
    user_id: int
    roles: list[int]
    joined_at: float

    def to_dict(self, world: World) -> dict[str, Any]:
        return {
            "user": world.users[self.user_id],
            "roles": [str(r) for r in self.roles],
            "nick": None,
            "avatar": None,
            "banner": None,
            "joined_at": iso(self.joined_at),
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
            "communication_disabled_until": None,
        }


@dataclass
class Guild:
    id: int
    name: str
    owner_id: int
    roles: dict[int, Role] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    created: float = field(default_factory=time.time)
    scheduled_events: dict[int, dict[str, Any]] = field(default_factory=dict)  # by id, as Discord returns them
    preferred_locale: str = "en-US"  # the server's language ("Server Primary Language")

    def top_role_position(self, user_id: int) -> int:
        """The position of a member's highest role (the role hierarchy); the owner is above every role."""
        if user_id == self.owner_id:
            return 1 << 30
        member = self.members.get(user_id)
        return max((self.roles[r].position for r in member.roles), default=0) if member else -1

    def permissions(self, user_id: int, channel: Channel | None = None) -> int:
        """Discord's algorithm: base from roles, administrator is everything, then channel overwrites."""
        if user_id == self.owner_id:
            return ALL_PERMISSIONS
        member = self.members.get(user_id)
        if member is None:
            return 0
        base = self.roles[self.id].permissions
        for role_id in member.roles:
            base |= self.roles[role_id].permissions
        if base & PERMISSIONS["administrator"]:
            return ALL_PERMISSIONS
        if channel is None:
            return base
        everyone = channel.overwrites.get(self.id)
        if everyone:
            base = (base & ~everyone.deny) | everyone.allow
        allow = deny = 0
        for role_id in member.roles:
            if (o := channel.overwrites.get(role_id)) and o.type == 0:
                allow |= o.allow
                deny |= o.deny
        base = (base & ~deny) | allow
        if (o := channel.overwrites.get(user_id)) and o.type == 1:
            base = (base & ~o.deny) | o.allow
        return base

    def to_dict(self, world: World) -> dict[str, Any]:
        """The guild object (REST: GET /guilds/{guild_id})."""
        return {
            **objects.GUILD_DEFAULTS,
            "id": str(self.id),
            "name": self.name,
            "owner_id": str(self.owner_id),
            "roles": [r.to_dict() for r in self.roles.values()],
            "preferred_locale": self.preferred_locale,
        }

    def create_event(self, world: World) -> dict[str, Any]:
        """The GUILD_CREATE payload: the guild object and the extra fields only this event has."""
        bot_member = self.members.get(world.bot_id)
        return {
            **self.to_dict(world),
            "joined_at": iso(bot_member.joined_at if bot_member else self.created),
            "large": False,
            "unavailable": False,
            "member_count": len(self.members),
            "voice_states": [],
            "presences": [],
            "threads": [],
            "stage_instances": [],
            "guild_scheduled_events": list(self.scheduled_events.values()),
            "soundboard_sounds": [],
            "members": [m.to_dict(world) for m in self.members.values()],
            "channels": [c.to_dict(world) for c in self.channels.values()],
        }


class World:
    def __init__(self) -> None:
        self._sequence = itertools.count(1)
        self.users: dict[int, dict[str, Any]] = {}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.messages: list[dict[str, Any]] = []
        self.nonces: dict[tuple[int, int, str], tuple[float, dict[str, Any]]] = {}
        self.global_commands: list[dict[str, Any]] = []
        self.guild_commands: dict[int, list[dict[str, Any]]] = {}
        self.attachments = AttachmentStore()
        self.dms_closed: set[int] = set()  # users whose DMs are closed to the bot (Discord answers 50007)
        self.private_channels: dict[int, Channel] = {}  # DMs between users, where only a user-installed app acts
        self.application_id = self.snowflake()
        self.bot_user = self.add_user("release-bot", bot=True, user_id=self.application_id)
        # A token shaped like Discord's (base64 of the bot's id, a timestamp, an HMAC): some clients read the bot's
        # id from it. The sandbox accepts any non-empty token, so tests need not know it.
        user_id = base64.b64encode(str(self.bot_id).encode()).decode().rstrip("=")
        self.token = f"{user_id}.{secrets.token_urlsafe(4)}.{secrets.token_urlsafe(27)}"

    def snowflake(self) -> int:
        """Real-looking ids: the time is in the top bits, as discord.py reads `created_at` from them."""
        return ((int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22) | (next(self._sequence) & 0x3FFFFF)

    @property
    def bot_id(self) -> int:
        return int(self.bot_user["id"])

    def add_user(self, name: str, bot: bool = False, user_id: int | None = None) -> dict[str, Any]:
        user_id = user_id or self.snowflake()
        user = {
            "id": str(user_id),
            "username": name,
            "global_name": None if bot else name,
            "discriminator": "0",
            "avatar": None,
            "bot": bot,
            "system": False,
            "public_flags": 0,
            "flags": 0,
            "primary_guild": None,
        }
        self.users[user_id] = user
        return user

    def create_guild(self, name: str, channels: list[str], members: list[dict[str, Any]]) -> Guild:
        now = time.time()
        # Guild n lands on shard n % count for any shard count dividing 16: (id >> 22) % 16 == n % 16.
        guild_id = self.snowflake()
        stamp = guild_id >> 22
        stamp += (len(self.guilds) - stamp) % 16
        guild_id = (stamp << 22) | (guild_id & 0x3FFFFF)
        owner = self.add_user(f"{name} owner")
        guild = Guild(guild_id, name, int(owner["id"]))
        guild.roles[guild_id] = Role(guild_id, "@everyone", EVERYONE_DEFAULT)
        admin_role = Role(self.snowflake(), "Admin", ADMIN_ROLE, position=2)
        bot_role = Role(self.snowflake(), "release-bot", BOT_ROLE, position=1)
        guild.roles[admin_role.id] = admin_role
        guild.roles[bot_role.id] = bot_role
        guild.members[guild.owner_id] = Member(guild.owner_id, [], now)
        guild.members[self.bot_id] = Member(self.bot_id, [bot_role.id], now)
        for spec in members:
            member = self.add_member(guild, spec["name"])
            member.roles = [admin_role.id] if spec.get("admin") else []
        for channel_name in channels or ["general"]:
            self.add_channel(guild, channel_name)
        self.guilds[guild_id] = guild
        return guild

    def add_member(self, guild: Guild, name: str) -> Member:
        user = self.add_user(name)
        member = Member(int(user["id"]), [], time.time())
        guild.members[member.user_id] = member
        return member

    def add_channel(self, guild: Guild, name: str) -> Channel:
        channel = Channel(self.snowflake(), name, guild.id, position=len(guild.channels))
        guild.channels[channel.id] = channel
        self.channels[channel.id] = channel
        return channel

    def add_role(self, guild: Guild, name: str, permissions: int = 0) -> Role:
        """A new role goes where Discord puts it: just above @everyone, every other role one higher."""
        for other in guild.roles.values():
            if other.id != guild.id:
                other.position += 1
        role = Role(self.snowflake(), name, permissions, position=1)
        guild.roles[role.id] = role
        return role

    def dm_channel(self, user_id: int) -> Channel:
        for channel in self.channels.values():
            if channel.type == 1 and channel.recipient_id == user_id:
                return channel
        channel = Channel(self.snowflake(), "", None, type=1, recipient_id=user_id)
        self.channels[channel.id] = channel
        return channel

    def private_channel(self, user_id: int) -> Channel:
        """A DM between `user_id` and another user: the bot is not in it (only a user-installed app acts there)."""
        for channel in self.private_channels.values():
            if channel.recipient_id == user_id:
                return channel
        channel = Channel(self.snowflake(), "", None, type=1, recipient_id=user_id)
        self.private_channels[channel.id] = channel
        return channel

    def guild_of(self, channel: Channel) -> Guild | None:
        return self.guilds.get(channel.guild_id) if channel.guild_id else None

    def message(
        self,
        channel_id: int,
        body: dict[str, Any],
        *,
        author: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
        uploads: list[Upload] | None = None,
    ) -> dict[str, Any]:
        """Create a message in a channel from a create request's body; the message object, as Discord returns it."""
        channel = self.channels.get(channel_id) or self.private_channels.get(channel_id)
        guild = self.guild_of(channel) if channel else None
        message = objects.message(
            message_id=self.snowflake(),
            channel_id=channel_id,
            guild_id=guild.id if guild else None,
            author=author or self.bot_user,
            body=body,
            timestamp=iso(time.time()),
            users=self._mentionable(guild),
            roles=self._pingable_roles(guild, channel, int((author or self.bot_user)["id"])),
        )
        message.update(extra or {})
        if uploads:
            message["attachments"] = self.attachments.attach(self.snowflake, body, uploads)
        self.messages.append({**message, "allowed_mentions": body.get("allowed_mentions")})
        return message

    def find_message(self, channel_id: int, message_id: int) -> dict[str, Any] | None:
        """The record of a message (with what the sandbox remembers beyond the message object)."""
        return next(
            (m for m in self.messages if m["id"] == str(message_id) and m["channel_id"] == str(channel_id)), None
        )

    def edit_message(
        self, message_id: str, body: dict[str, Any], uploads: list[Upload] | None = None
    ) -> dict[str, Any]:
        """Apply an edit request to a message: fetching it afterwards shows what it says now. The edited record."""
        record = next(m for m in self.messages if m["id"] == message_id)
        attachments = self.attachments.edited(self.snowflake, record["attachments"], body, uploads or [])
        if attachments is not None:
            record["attachments"] = attachments
        channel = self.channels.get(int(record["channel_id"]))
        guild = self.guild_of(channel) if channel else None
        pingable = self._pingable_roles(guild, channel, int(record["author"]["id"]))
        record.update(objects.edited(record, body, iso(time.time()), self._mentionable(guild), pingable))
        return record

    def delete_message(self, message_id: str) -> None:
        self.messages = [m for m in self.messages if m["id"] != message_id]

    def _pingable_roles(self, guild: Guild | None, channel: Channel | None, author_id: int) -> set[int]:
        """The roles a message by `author_id` in `channel` really pings: those anyone may @mention, or all of them
        with Mention @everyone, @here and All Roles there. Discord still sends the message; a role mention it does
        not ping stays out of `mention_roles` (the "Allow anyone to @mention this role" setting)."""
        if guild is None:
            return set()
        if guild.permissions(author_id, channel) & PERMISSIONS["mention_everyone"]:
            return set(guild.roles)
        return {role.id for role in guild.roles.values() if role.mentionable}

    def _mentionable(self, guild: Guild | None) -> dict[int, dict[str, Any]]:
        return {uid: self.users[uid] for uid in guild.members} if guild else dict(self.users)

    def commands_for(self, guild_id: int | None) -> list[dict[str, Any]]:
        return self.guild_commands.get(guild_id, []) + self.global_commands if guild_id else self.global_commands
