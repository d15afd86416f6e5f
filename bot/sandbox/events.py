"""What happens in the world, dispatched on the gateway as Discord does (events/gateway-events): which event, which
payload. Who receives it (shards, intents, message content) is the gateway's business."""

from __future__ import annotations

from typing import Any, Protocol

from bot.sandbox.world import Channel, Guild, Member, Role, World

Json = dict[str, Any]


class Dispatcher(Protocol):
    async def dispatch_guild(self, guild_id: int, event: str, data: Any) -> None: ...
    async def dispatch_direct(self, event: str, data: Any) -> None: ...


class WorldEvents:
    def __init__(self, world: World, gateway: Dispatcher) -> None:
        self.world = world
        self.gateway = gateway

    async def _send(self, guild_id: int | None, event: str, data: Json) -> None:
        if int(data.get("channel_id") or 0) in self.world.private_channels:
            return  # a DM between users: the bot is not in it, so it hears nothing of it
        if guild_id is None:
            await self.gateway.dispatch_direct(event, data)
        else:
            await self.gateway.dispatch_guild(guild_id, event, data)

    # ---- messages -------------------------------------------------------------------------------------------

    def _guild_id(self, message: Json) -> int | None:
        return int(message["guild_id"]) if "guild_id" in message else None

    def _with_member(self, message: Json) -> Json:
        """MESSAGE_CREATE/UPDATE in a guild carry the author's partial member (docs: extra fields)."""
        guild = self.world.guilds.get(self._guild_id(message) or 0)
        member = guild.members.get(int(message["author"]["id"])) if guild else None
        if member is None or message.get("webhook_id"):
            return message
        partial = member.to_dict(self.world)
        del partial["user"]
        return {**message, "member": partial}

    async def message_created(self, message: Json) -> None:
        if message["flags"] & (1 << 6):
            return  # ephemeral: only the interaction's user sees it, no event
        await self._send(self._guild_id(message), "MESSAGE_CREATE", self._with_member(message))

    async def message_updated(self, message: Json) -> None:
        if message["flags"] & (1 << 6):
            return
        await self._send(self._guild_id(message), "MESSAGE_UPDATE", self._with_member(message))

    async def message_deleted(self, message: Json) -> None:
        data = {"id": message["id"], "channel_id": message["channel_id"]}
        if "guild_id" in message:
            data["guild_id"] = message["guild_id"]
        await self._send(self._guild_id(message), "MESSAGE_DELETE", data)

    # ---- guilds, roles, members, channels ---------------------------------------------------------------------

    async def guild_joined(self, guild: Guild) -> None:
        joined = guild.create_event(self.world)
        del joined["unavailable"]  # a join, not an outage ending: clients then report a new guild
        await self._send(guild.id, "GUILD_CREATE", joined)

    async def guild_updated(self, guild: Guild) -> None:
        await self._send(guild.id, "GUILD_UPDATE", guild.to_dict(self.world))

    async def guild_left(self, guild_id: int) -> None:
        """The bot was removed (kicked out of) a server: GUILD_DELETE without `unavailable`."""
        await self._send(guild_id, "GUILD_DELETE", {"id": str(guild_id)})

    async def role(self, guild: Guild, role: Role, event: str) -> None:
        if event == "GUILD_ROLE_DELETE":
            await self._send(guild.id, event, {"guild_id": str(guild.id), "role_id": str(role.id)})
        else:
            await self._send(guild.id, event, {"guild_id": str(guild.id), "role": role.to_dict()})

    async def member(self, guild: Guild, member: Member, event: str) -> None:
        if event == "GUILD_MEMBER_REMOVE":
            data = {"guild_id": str(guild.id), "user": self.world.users[member.user_id]}
        else:
            data = {"guild_id": str(guild.id), **member.to_dict(self.world)}
        await self._send(guild.id, event, data)

    async def channel(self, channel: Channel, event: str) -> None:
        await self._send(channel.guild_id, event, channel.to_dict(self.world))

    async def scheduled_event(self, guild: Guild, event: Json, name: str) -> None:
        """GUILD_SCHEDULED_EVENT_CREATE / UPDATE / DELETE: the event object (intent GUILD_SCHEDULED_EVENTS)."""
        await self._send(guild.id, name, event)
