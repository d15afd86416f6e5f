"""What users and server admins do in the sandbox's world (create a server, post, join, leave, change roles and
channels), each followed by the gateway events Discord sends for it. The control API and tests drive these."""

from __future__ import annotations

from typing import Any

from bot.sandbox.events import WorldEvents
from bot.sandbox.interactions import LOCALES
from bot.sandbox.world import PERMISSIONS, Channel, Guild, Member, Overwrite, World

Json = dict[str, Any]


class ActionError(ValueError):
    """An action on something that does not exist (unknown guild, channel, member or role)."""


class InvalidValue(ActionError):
    """An action with a value Discord would not accept (an unknown permission name or locale)."""


def _bits(names: list[str]) -> int:
    unknown = sorted(set(names) - set(PERMISSIONS))
    if unknown:
        raise InvalidValue(f"unknown permissions {unknown} (known: {', '.join(PERMISSIONS)})")
    return sum(PERMISSIONS[n] for n in set(names))


class WorldActions:
    def __init__(self, world: World, events: WorldEvents) -> None:
        self.world = world
        self.events = events

    def guild(self, guild_id: int | str) -> Guild:
        guild = self.world.guilds.get(int(guild_id))
        if guild is None:
            raise ActionError(f"no guild {guild_id}")
        return guild

    def channel(self, channel_id: int | str) -> Channel:
        channel = self.world.channels.get(int(channel_id))
        if channel is None:
            raise ActionError(f"no channel {channel_id}")
        return channel

    def member(self, guild: Guild, user_id: int | str) -> Member:
        member = guild.members.get(int(user_id))
        if member is None:
            raise ActionError(f"no member {user_id} in guild {guild.id}")
        return member

    # ---- servers --------------------------------------------------------------------------------------------

    async def create_guild(
        self, name: str, channels: list[str] | None = None, members: list[Json] | None = None
    ) -> Json:
        guild = self.world.create_guild(name, channels or ["general"], members or [])
        await self.events.guild_joined(guild)
        users = {self.world.users[uid]["username"]: str(uid) for uid in guild.members}
        return {
            "guild_id": str(guild.id),
            "channels": {c.name: str(c.id) for c in guild.channels.values()},
            "members": users,
            "bot": str(self.world.bot_id),
            "owner": str(guild.owner_id),
            "roles": {r.name: str(r.id) for r in guild.roles.values()},
        }

    async def update_guild(
        self, guild_id: int | str, name: str | None = None, preferred_locale: str | None = None
    ) -> None:
        """Rename a server or change its language (`preferred_locale`, one of Discord's locale codes)."""
        guild = self.guild(guild_id)
        if preferred_locale is not None and preferred_locale not in LOCALES:
            raise InvalidValue(f"{preferred_locale!r} is not one of Discord's locales: {', '.join(LOCALES)}")
        guild.name = name if name is not None else guild.name
        guild.preferred_locale = preferred_locale or guild.preferred_locale
        await self.events.guild_updated(guild)

    async def remove_guild(self, guild_id: int | str) -> None:
        """The bot is removed from (kicked out of) a server."""
        guild = self.world.guilds.pop(int(guild_id))
        await self.events.guild_left(guild.id)
        for channel_id in guild.channels:
            self.world.channels.pop(channel_id, None)

    # ---- roles and members ----------------------------------------------------------------------------------

    async def add_role(
        self,
        guild_id: int | str,
        name: str,
        permissions: list[str] | None = None,
        mentionable: bool = False,
        managed: bool = False,
    ) -> str:
        """A new role, just above @everyone: the roles it pushed up are updated too (GUILD_ROLE_UPDATE each)."""
        guild = self.guild(guild_id)
        role = self.world.add_role(guild, name, _bits(permissions or []))
        role.mentionable, role.managed = mentionable, managed
        await self.events.role(guild, role, "GUILD_ROLE_CREATE")
        for other in guild.roles.values():
            if other.id not in (role.id, guild.id):
                await self.events.role(guild, other, "GUILD_ROLE_UPDATE")
        return str(role.id)

    async def update_role(
        self,
        guild_id: int | str,
        role_id: int | str,
        name: str | None = None,
        position: int | None = None,
        permissions: list[str] | None = None,
        mentionable: bool | None = None,
    ) -> None:
        """Rename a role, move it (the role hierarchy: e.g. above the bot's role), set its permissions, or whether
        anyone may @mention it."""
        guild = self.guild(guild_id)
        role = guild.roles.get(int(role_id))
        if role is None:
            raise ActionError(f"no role {role_id}")
        role.name = name if name is not None else role.name
        role.position = int(position) if position is not None else role.position
        role.permissions = _bits(permissions) if permissions is not None else role.permissions
        role.mentionable = mentionable if mentionable is not None else role.mentionable
        await self.events.role(guild, role, "GUILD_ROLE_UPDATE")

    async def set_guild_permissions(
        self, guild_id: int | str, role_id: int | str | None, allow: list[str], deny: list[str]
    ) -> None:
        """Server-wide permissions of a role (default: the bot's own role), e.g. deny the bot Create Events."""
        guild = self.guild(guild_id)
        if role_id is None:
            bot = self.member(guild, self.world.bot_id)
            role_id = next(r for r in bot.roles if guild.roles[r].name == "release-bot")
        role = guild.roles.get(int(role_id))
        if role is None:
            raise ActionError(f"no role {role_id}")
        role.permissions = (role.permissions & ~_bits(deny)) | _bits(allow)
        await self.events.role(guild, role, "GUILD_ROLE_UPDATE")

    async def set_dms(self, user_id: int | str, open_: bool) -> Json:
        """A member opens or closes their DMs to the bot (closed: Discord answers the bot 50007)."""
        if int(user_id) not in self.world.users:
            raise ActionError(f"no user {user_id}")
        if open_:
            self.world.dms_closed.discard(int(user_id))
        else:
            self.world.dms_closed.add(int(user_id))
        return {"user_id": str(user_id), "open": open_}

    async def delete_role(self, guild_id: int | str, role_id: int | str) -> None:
        guild = self.guild(guild_id)
        role = guild.roles.pop(int(role_id), None)
        if role is None or role.id == guild.id:
            raise ActionError(f"no deletable role {role_id}")
        for member in guild.members.values():
            member.roles = [r for r in member.roles if r != role.id]
        await self.events.role(guild, role, "GUILD_ROLE_DELETE")

    async def add_member(self, guild_id: int | str, name: str) -> str:
        guild = self.guild(guild_id)
        member = self.world.add_member(guild, name)
        await self.events.member(guild, member, "GUILD_MEMBER_ADD")
        return str(member.user_id)

    async def set_member(self, guild_id: int | str, user_id: int | str, admin: bool) -> None:
        guild = self.guild(guild_id)
        admin_role = next(r.id for r in guild.roles.values() if r.name == "Admin")
        member = self.member(guild, user_id)
        member.roles = [r for r in member.roles if r != admin_role] + ([admin_role] if admin else [])
        await self.events.member(guild, member, "GUILD_MEMBER_UPDATE")

    async def remove_member(self, guild_id: int | str, user_id: int | str) -> None:
        guild = self.guild(guild_id)
        member = self.member(guild, user_id)
        del guild.members[member.user_id]
        await self.events.member(guild, member, "GUILD_MEMBER_REMOVE")

    # ---- channels and messages ------------------------------------------------------------------------------

    async def create_channel(self, guild_id: int | str, name: str) -> str:
        guild = self.guild(guild_id)
        channel = self.world.add_channel(guild, name)
        await self.events.channel(channel, "CHANNEL_CREATE")
        return str(channel.id)

    async def delete_channel(self, channel_id: int | str) -> None:
        channel = self.world.channels.pop(int(channel_id))
        guild = self.world.guild_of(channel)
        if guild is not None:
            guild.channels.pop(channel.id, None)
            await self.events.channel(channel, "CHANNEL_DELETE")

    async def set_channel_permissions(
        self, channel_id: int | str, target_id: int, allow: list[str], deny: list[str]
    ) -> None:
        channel = self.channel(channel_id)
        guild = self.world.guild_of(channel)
        if guild is None:
            raise ActionError("a DM channel has no permission overwrites")
        kind = 0 if target_id in guild.roles else 1
        channel.overwrites[target_id] = Overwrite(
            target_id, kind, sum(PERMISSIONS[p] for p in allow), sum(PERMISSIONS[p] for p in deny)
        )
        await self.events.channel(channel, "CHANNEL_UPDATE")

    async def post_message(self, channel_id: int | str, user_id: int | str, content: str) -> Json:
        """A member writes in a channel: MESSAGE_CREATE (its content visible only with MESSAGE_CONTENT)."""
        channel = self.channel(channel_id)
        guild = self.world.guild_of(channel)
        if guild is not None:
            self.member(guild, user_id)
        author = self.world.users.get(int(user_id))
        if author is None:
            raise ActionError(f"no user {user_id}")
        message = self.world.message(channel.id, {"content": content}, author=author)
        await self.events.message_created(message)
        return message

    async def edit_message(self, message_id: str, content: str) -> Json:
        if not any(m["id"] == message_id for m in self.world.messages):
            raise ActionError(f"no message {message_id}")
        record = self.world.edit_message(message_id, {"content": content})
        message = {k: v for k, v in record.items() if k not in ("allowed_mentions", "nonce")}
        await self.events.message_updated(message)
        return message

    async def delete_message(self, message_id: str) -> None:
        record = next((m for m in self.world.messages if m["id"] == message_id), None)
        if record is None:
            raise ActionError(f"no message {message_id}")
        self.world.delete_message(message_id)
        await self.events.message_deleted(record)
