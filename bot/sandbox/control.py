"""The control API under `/_sandbox/`: JSON over HTTP for scripts and `release-bot sandbox`, to act as users and
server admins, to set the app up (privileged intents) and to inject failures. A thin layer over the sandbox's
in-process API (the `Controlled` methods and `actions`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from aiohttp import web

from bot.sandbox.actions import ActionError, InvalidValue, WorldActions
from bot.sandbox.interactions import InteractionError
from bot.sandbox.route_types import Json
from bot.sandbox.world import World


class Controlled(Protocol):
    """What the control API drives: `server.Sandbox`."""

    world: World
    actions: WorldActions
    log: list[Json]
    violations: list[Json]
    not_implemented: list[Json]

    def enable_privileged_intents(self, names: list[str]) -> None: ...
    def application(self) -> Json: ...

    async def create_guild(
        self, name: str, channels: list[str] | None = None, members: list[Json] | None = None
    ) -> Json: ...
    async def remove_guild(self, guild_id: int) -> None: ...
    async def interact(
        self,
        guild_id: int | str | None,
        channel_id: int | str | None,
        user_id: int | str,
        command: str,
        focused: str | None = None,
        wait: float | None = None,
        *,
        context: int = 0,
        locale: str = "en-US",
        guild_locale: str | None = None,
    ) -> Json: ...
    async def press(
        self,
        user_id: int | str,
        message_id: int | str,
        custom_id: str,
        values: list[str] | None = None,
        wait: float | None = None,
        *,
        locale: str = "en-US",
        guild_locale: str | None = None,
    ) -> Json: ...
    def messages(self, channel_id: int | str | None = None) -> list[Json]: ...
    def add_fault(
        self, route: str, status: int = 500, count: int = 1, retry_after: float = 1.0, latency_ms: int = 0
    ) -> None: ...
    async def drop_gateway(self) -> int: ...
    async def invalidate_session(self) -> int: ...
    async def delete_channel(self, channel_id: int) -> None: ...
    async def set_channel_permissions(
        self, channel_id: int, target_id: int, allow: list[str], deny: list[str]
    ) -> None: ...
    async def set_member(self, guild_id: int, user_id: int, admin: bool) -> None: ...


class ControlApi:
    def __init__(self, sandbox: Controlled) -> None:
        self.sandbox = sandbox

    def add_to(self, app: web.Application) -> None:
        app.router.add_post("/_sandbox/guilds", self._create_guild)
        app.router.add_delete("/_sandbox/guilds/{guild_id}", self._remove_guild)
        app.router.add_post("/_sandbox/interactions", self._interact)
        app.router.add_get("/_sandbox/messages", self._messages)
        app.router.add_post("/_sandbox/faults", self._faults)
        app.router.add_get("/_sandbox/log", self._log)
        app.router.add_delete("/_sandbox/channels/{channel_id}", self._delete_channel)
        app.router.add_post("/_sandbox/channels/{channel_id}/permissions", self._channel_permissions)
        app.router.add_post("/_sandbox/guilds/{guild_id}/members/{user_id}", self._member)
        app.router.add_get("/_sandbox/application", self._application)
        app.router.add_post("/_sandbox/application", self._set_application)
        app.router.add_get("/_sandbox/guilds/{guild_id}/events", self._scheduled_events)
        app.router.add_get("/_sandbox/attachments/{attachment_id}", self._attachment)
        app.router.add_get("/_sandbox/attachments/{attachment_id}/{filename}", self._attachment)
        # Users and admins acting in the world; each sends the gateway events Discord sends for it.
        acts = self.sandbox.actions
        routes: list[tuple[str, str, Callable[[Json, dict[str, str]], Awaitable[object]]]] = [
            (
                "PATCH",
                "/_sandbox/guilds/{guild_id}",
                lambda b, m: acts.update_guild(m["guild_id"], b.get("name"), b.get("preferred_locale")),
            ),
            (
                "POST",
                "/_sandbox/guilds/{guild_id}/members",
                lambda b, m: _id("user_id", acts.add_member(m["guild_id"], b["name"])),
            ),
            (
                "DELETE",
                "/_sandbox/guilds/{guild_id}/members/{user_id}",
                lambda b, m: acts.remove_member(m["guild_id"], m["user_id"]),
            ),
            (
                "POST",
                "/_sandbox/guilds/{guild_id}/roles",
                lambda b, m: _id(
                    "role_id",
                    acts.add_role(
                        m["guild_id"],
                        b["name"],
                        b.get("permissions"),
                        bool(b.get("mentionable")),
                        bool(b.get("managed")),
                    ),
                ),
            ),
            (
                "PATCH",
                "/_sandbox/guilds/{guild_id}/roles/{role_id}",
                lambda b, m: acts.update_role(
                    m["guild_id"],
                    m["role_id"],
                    b.get("name"),
                    b.get("position"),
                    b.get("permissions"),
                    b.get("mentionable"),
                ),
            ),
            (
                "POST",
                "/_sandbox/guilds/{guild_id}/permissions",
                lambda b, m: acts.set_guild_permissions(
                    m["guild_id"], b.get("role_id"), b.get("allow", []), b.get("deny", [])
                ),
            ),
            ("POST", "/_sandbox/users/{user_id}/dms", lambda b, m: acts.set_dms(m["user_id"], bool(b["open"]))),
            (
                "DELETE",
                "/_sandbox/guilds/{guild_id}/roles/{role_id}",
                lambda b, m: acts.delete_role(m["guild_id"], m["role_id"]),
            ),
            (
                "POST",
                "/_sandbox/guilds/{guild_id}/channels",
                lambda b, m: _id("channel_id", acts.create_channel(m["guild_id"], b["name"])),
            ),
            (
                "POST",
                "/_sandbox/channels/{channel_id}/messages",
                lambda b, m: acts.post_message(m["channel_id"], b["user_id"], b["content"]),
            ),
            ("PATCH", "/_sandbox/messages/{message_id}", lambda b, m: acts.edit_message(m["message_id"], b["content"])),
            ("DELETE", "/_sandbox/messages/{message_id}", lambda b, m: acts.delete_message(m["message_id"])),
        ]
        for method, path, act in routes:
            app.router.add_route(method, path, _acting(act))

    async def _create_guild(self, request: web.Request) -> web.Response:
        body = await request.json()
        return web.json_response(
            await self.sandbox.create_guild(
                body.get("name", "Sandbox server"), body.get("channels"), body.get("members")
            )
        )

    async def _remove_guild(self, request: web.Request) -> web.Response:
        await self.sandbox.remove_guild(int(request.match_info["guild_id"]))
        return _ok()

    async def _interact(self, request: web.Request) -> web.Response:
        body = await request.json()
        languages = {"locale": body.get("locale", "en-US"), "guild_locale": body.get("guild_locale")}
        try:
            if "custom_id" in body:  # a member presses a button or chooses in a select of a message
                response = await self.sandbox.press(
                    body["user_id"], body["message_id"], body["custom_id"], body.get("values"), **languages
                )
            else:
                response = await self.sandbox.interact(
                    body.get("guild_id"),
                    body.get("channel_id"),
                    body["user_id"],
                    body["command"],
                    body.get("focused"),
                    context=int(body.get("context", 0)),
                    **languages,
                )
        except KeyError as exc:
            return web.json_response({"error": f"missing {exc}"}, status=400)
        except InteractionError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        except TimeoutError as exc:
            return web.json_response({"error": str(exc)}, status=504)
        return web.json_response({"response": response})

    async def _messages(self, request: web.Request) -> web.Response:
        return web.json_response(self.sandbox.messages(request.query.get("channel_id")))

    async def _scheduled_events(self, request: web.Request) -> web.Response:
        guild = self.sandbox.world.guilds.get(int(request.match_info["guild_id"]))
        if guild is None:
            return web.json_response({"error": f"no guild {request.match_info['guild_id']}"}, status=404)
        return web.json_response(list(guild.scheduled_events.values()))

    async def _attachment(self, request: web.Request) -> web.Response:
        """An attachment's bytes, as uploaded (also the `url` of the attachment object, so clients can fetch it)."""
        found = self.sandbox.world.attachments.files.get(request.match_info["attachment_id"])
        if found is None:
            return web.json_response({"error": "no such attachment"}, status=404)
        filename, content_type, data = found
        return web.Response(
            body=data,
            headers={"Content-Type": content_type, "Content-Disposition": f'attachment; filename="{filename}"'},
        )

    async def _faults(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body.get("gateway") == "drop":
            return web.json_response({"dropped": await self.sandbox.drop_gateway()})
        if body.get("gateway") == "invalid_session":
            return web.json_response({"invalidated": await self.sandbox.invalidate_session()})
        self.sandbox.add_fault(
            body["route"],
            int(body.get("status", 500)),
            int(body.get("count", 1)),
            float(body.get("retry_after", 1.0)),
            int(body.get("latency_ms", 0)),
        )
        return _ok()

    async def _log(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "requests": self.sandbox.log,
                "violations": self.sandbox.violations,
                "not_implemented": self.sandbox.not_implemented,
            }
        )

    async def _application(self, request: web.Request) -> web.Response:
        return web.json_response(self.sandbox.application())

    async def _set_application(self, request: web.Request) -> web.Response:
        body = await request.json()
        try:
            self.sandbox.enable_privileged_intents(list(body.get("privileged_intents", [])))
        except ValueError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response(self.sandbox.application())

    async def _delete_channel(self, request: web.Request) -> web.Response:
        await self.sandbox.delete_channel(int(request.match_info["channel_id"]))
        return _ok()

    async def _channel_permissions(self, request: web.Request) -> web.Response:
        body = await request.json()
        target = int(body.get("target") or self.sandbox.world.bot_id)
        await self.sandbox.set_channel_permissions(
            int(request.match_info["channel_id"]), target, body.get("allow", []), body.get("deny", [])
        )
        return _ok()

    async def _member(self, request: web.Request) -> web.Response:
        body = await request.json()
        await self.sandbox.set_member(
            int(request.match_info["guild_id"]), int(request.match_info["user_id"]), bool(body.get("admin"))
        )
        return _ok()


def _ok() -> web.Response:
    return web.json_response({"ok": True})


async def _id(name: str, created: Awaitable[str]) -> Json:
    return {name: await created}


def _acting(
    act: Callable[[Json, dict[str, str]], Awaitable[object]],
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        body = await request.json() if request.can_read_body else {}
        try:
            result = await act(body, dict(request.match_info))
        except ActionError as exc:  # nothing of that name (404), or a value Discord would refuse (400)
            return web.json_response({"error": str(exc)}, status=400 if isinstance(exc, InvalidValue) else 404)
        except KeyError as exc:
            return web.json_response({"error": f"missing {exc}"}, status=400)
        return web.json_response(result) if isinstance(result, dict) else _ok()

    return handle
