"""Application commands, as the bot registers them: bulk overwrite (what sync does) and one command at a time, global
or in one guild. What a stored command looks like is Discord's ApplicationCommandResponse (checked by the spec)."""

from __future__ import annotations

from typing import Any

from bot.sandbox.route_types import ApiError, Call, Json, Routes
from bot.sandbox.world import World

GLOBAL = "/applications/{application_id}/commands"
GUILD = "/applications/{application_id}/guilds/{guild_id}/commands"


def _bitfield(value: Any) -> str | None:
    """Requests may send permission bitfields as numbers; Discord always answers with strings."""
    return None if value is None else str(value)


class CommandRoutes:
    def __init__(self, world: World) -> None:
        self.world = world

    def routes(self) -> Routes:
        routes: Routes = {}
        for base in (GLOBAL, GUILD):
            routes |= {
                ("GET", base): self._list,
                ("PUT", base): self._overwrite,
                ("POST", base): self._create,
                ("GET", base + "/{command_id}"): self._get,
                ("PATCH", base + "/{command_id}"): self._edit,
                ("DELETE", base + "/{command_id}"): self._delete,
            }
        return routes

    def _commands(self, call: Call) -> list[Json]:
        if call.params["application_id"] != str(self.world.application_id):
            raise ApiError(403, 50001, "Missing Access")
        if "guild_id" in call.params:
            if int(call.params["guild_id"]) not in self.world.guilds:
                raise ApiError(404, 10004, "Unknown Guild")
            return self.world.guild_commands.setdefault(int(call.params["guild_id"]), [])
        return self.world.global_commands

    def _stored(self, call: Call, command: Json, old: Json | None) -> Json:
        """A command as Discord stores and returns it: its id kept across overwrites, a new version each time."""
        guild_id = call.params.get("guild_id")
        return {
            **{k: v for k, v in command.items() if v is not None},
            "id": old["id"] if old else str(self.world.snowflake()),
            "application_id": str(self.world.application_id),
            "version": str(self.world.snowflake()),
            "type": command.get("type", 1),
            "default_member_permissions": _bitfield(command.get("default_member_permissions")),
            "dm_permission": command.get("dm_permission", True),
            "nsfw": bool(command.get("nsfw")),
            **({"guild_id": guild_id} if guild_id else {}),
        }

    def _find(self, call: Call) -> tuple[list[Json], int]:
        commands = self._commands(call)
        for index, command in enumerate(commands):
            if command["id"] == call.params["command_id"]:
                return commands, index
        raise ApiError(404, 10063, "Unknown application command")

    async def _list(self, call: Call) -> tuple[int, Any]:
        return 200, self._commands(call)

    async def _overwrite(self, call: Call) -> tuple[int, Any]:
        commands = self._commands(call)
        existing = {(c["name"], c.get("type", 1)): c for c in commands}
        commands[:] = [self._stored(call, c, existing.get((c["name"], c.get("type", 1)))) for c in call.body]
        return 200, commands

    async def _create(self, call: Call) -> tuple[int, Any]:
        """Discord's docs: creating a command with a name that exists (for its type) overwrites it; 201 if new."""
        commands = self._commands(call)
        key = (call.body["name"], call.body.get("type", 1))
        index = next((i for i, c in enumerate(commands) if (c["name"], c.get("type", 1)) == key), None)
        if index is None:
            commands.append(self._stored(call, call.body, None))
            return 201, commands[-1]
        commands[index] = self._stored(call, call.body, commands[index])
        return 200, commands[index]

    async def _get(self, call: Call) -> tuple[int, Any]:
        commands, index = self._find(call)
        return 200, commands[index]

    async def _edit(self, call: Call) -> tuple[int, Any]:
        commands, index = self._find(call)
        commands[index] = self._stored(call, {**commands[index], **call.body}, commands[index])
        return 200, commands[index]

    async def _delete(self, call: Call) -> tuple[int, Any]:
        commands, index = self._find(call)
        del commands[index]
        return 204, None
