"""The sandbox server: Discord's REST API v10 and gateway on loopback, plus a control API to act as users.

Every request the bot sends is validated against Discord's OpenAPI spec and the documented limits the spec lacks;
a violation is answered as Discord would (400, code 50035) and recorded in `violations`, so a test fails on it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.sandbox import limits
from bot.sandbox.gateway import Gateway
from bot.sandbox.interactions import InteractionError, build_interaction
from bot.sandbox.openapi import Problem, load_spec
from bot.sandbox.ratelimit import RateLimiter
from bot.sandbox.world import PERMISSIONS, Overwrite, World

log = logging.getLogger(__name__)
API = "/api/v10"
INTERACTION_DEADLINE = 3.0  # seconds Discord gives a bot to answer an interaction
NONCE_TTL = 300.0  # Discord remembers an enforced nonce for "a few minutes"
Json = dict[str, Any]


class ApiError(Exception):
    def __init__(self, status: int, code: int, message: str, errors: Json | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.errors = status, code, message, errors

    def body(self) -> Json:
        body: Json = {"message": self.message, "code": self.code}
        if self.errors:
            body["errors"] = self.errors
        return body


@dataclass
class Fault:
    route: str  # "POST /channels/{channel_id}/messages", or "*" for any REST route
    status: int = 500
    count: int = 1
    retry_after: float = 1.0
    latency_ms: int = 0


@dataclass
class Pending:
    payload: Json
    created: float
    answered: asyncio.Future[Json]
    followed_up: asyncio.Future[Json]
    response_type: int | None = None
    message: Json | None = None


@dataclass
class Call:
    """One REST request as a route handler sees it."""

    method: str
    template: str
    params: dict[str, str]
    query: dict[str, str]
    body: Any


Route = Callable[[Call], Awaitable[tuple[int, Any]]]


def error_tree(problems: list[Problem]) -> Json:
    """Discord's nested `errors` object: {"embeds": {"0": {"title": {"_errors": [...]}}}}."""
    tree: Json = {}
    for path, code, message in problems:
        node = tree
        for key in path:
            node = node.setdefault(key, {})
        node.setdefault("_errors", []).append({"code": code, "message": message})
    return tree


def _bitfield(value: Any) -> str | None:
    """Requests may send permission bitfields as numbers; Discord always answers with strings."""
    return None if value is None else str(value)


def merge_trees(a: Json, b: Json) -> Json:
    for key, value in b.items():
        if isinstance(value, dict) and isinstance(a.get(key), dict):
            merge_trees(a[key], value)
        elif isinstance(value, list) and isinstance(a.get(key), list):  # one error per code, as Discord lists them
            codes = {e["code"] for e in a[key]}
            a[key] = a[key] + [e for e in value if e["code"] not in codes]
        else:
            a[key] = value
    return a


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
    # Exactly "application/json": discord.py does not parse "application/json; charset=utf-8" as JSON.
    all_headers = {"Content-Type": "application/json", "Via": "1.1 google", **(headers or {})}
    if status == 204:
        return web.Response(status=204, headers={"Via": "1.1 google", **(headers or {})})
    return web.Response(status=status, body=json.dumps(body).encode(), headers=all_headers)


class Sandbox:
    def __init__(self, *, latency_ms: int = 0, rate_limits: bool = True,
                 interaction_deadline: float = INTERACTION_DEADLINE) -> None:
        self.world = World()
        self.spec = load_spec()
        self.limiter = RateLimiter(rate_limits)
        self.latency_ms = latency_ms
        self.interaction_deadline = interaction_deadline
        self.faults: list[Fault] = []
        self.log: list[Json] = []
        self.violations: list[Json] = []
        self.pending: dict[str, Pending] = {}
        self.url = ""
        self.gateway: Gateway | None = None
        self._runner: web.AppRunner | None = None
        self._message_listeners: list[asyncio.Queue[Json]] = []
        self.routes: dict[tuple[str, str], Route] = {
            ("GET", "/users/@me"): self._me,
            ("GET", "/oauth2/applications/@me"): self._application,
            ("GET", "/gateway"): self._gateway_url,
            ("GET", "/gateway/bot"): self._gateway_url,
            ("GET", "/applications/{application_id}/commands"): self._get_commands,
            ("PUT", "/applications/{application_id}/commands"): self._put_commands,
            ("GET", "/applications/{application_id}/guilds/{guild_id}/commands"): self._get_commands,
            ("PUT", "/applications/{application_id}/guilds/{guild_id}/commands"): self._put_commands,
            ("POST", "/interactions/{interaction_id}/{interaction_token}/callback"): self._callback,
            ("POST", "/webhooks/{webhook_id}/{webhook_token}"): self._followup,
            ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/@original"): self._edit_original,
            ("GET", "/channels/{channel_id}"): self._get_channel,
            ("GET", "/channels/{channel_id}/messages"): self._list_messages,
            ("POST", "/channels/{channel_id}/messages"): self._create_message,
            ("POST", "/users/@me/channels"): self._open_dm,
            ("DELETE", "/users/@me/guilds/{guild_id}"): self._leave_guild,
        }
        self._patterns = {key: re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(key[1])) + "$")
                          for key in self.routes}

    # ---- life cycle ---------------------------------------------------------------------------------------

    async def start(self, port: int = 0, host: str = "127.0.0.1") -> str:
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_route("*", API + "/{tail:.*}", self._rest)
        app.router.add_get("/", self._ws)
        app.router.add_post("/_sandbox/guilds", self._c_create_guild)
        app.router.add_delete("/_sandbox/guilds/{guild_id}", self._c_remove_guild)
        app.router.add_post("/_sandbox/interactions", self._c_interact)
        app.router.add_get("/_sandbox/messages", self._c_messages)
        app.router.add_post("/_sandbox/faults", self._c_faults)
        app.router.add_get("/_sandbox/log", self._c_log)
        app.router.add_delete("/_sandbox/channels/{channel_id}", self._c_delete_channel)
        app.router.add_post("/_sandbox/channels/{channel_id}/permissions", self._c_channel_permissions)
        app.router.add_post("/_sandbox/guilds/{guild_id}/members/{user_id}", self._c_member)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://{host}:{bound}"
        self.gateway = Gateway(self.world, f"ws://{host}:{bound}/")
        return self.url

    async def stop(self) -> None:
        if self.gateway:
            await self.gateway.close()
        if self._runner:
            await self._runner.cleanup()

    async def _ws(self, request: web.Request) -> web.StreamResponse:
        assert self.gateway is not None
        return await self.gateway.handle(request)

    # ---- the REST pipeline --------------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.Response:
        method, path = request.method, "/" + request.match_info["tail"]
        body: Any = None
        if request.can_read_body:
            try:
                body = await request.json()
            except ValueError:
                body = None
        entry: Json = {"at": time.time(), "method": method, "path": path, "body": body, "problems": []}
        self.log.append(entry)
        status, payload, headers = await self._handle(method, path, dict(request.query), body, request, entry)
        entry["status"] = status
        entry["response"] = payload
        return _json(status, payload, headers)

    async def _handle(self, method: str, path: str, query: dict[str, str], body: Any, request: web.Request,
                      entry: Json) -> tuple[int, Any, dict[str, str]]:
        op = self.spec.find(method, path)
        route_key = next((k for k in self.routes if k[0] == method and self._patterns[k].match(path)), None)
        if op is None or route_key is None:
            why = "not a route of Discord's API v10" if op is None else "not implemented by the sandbox"
            self._violation(entry, f"{method} {path}: {why}")
            return 404, {"message": "404: Not Found", "code": 0}, {}
        template = route_key[1]
        entry["route"] = f"{method} {template}"
        params = self._patterns[route_key].match(path).groupdict()  # type: ignore[union-attr]
        exempt = template.startswith(("/interactions/", "/webhooks/"))  # authorised by the interaction token
        if not exempt and not request.headers.get("Authorization", "").startswith("Bot "):
            return 401, {"message": "401: Unauthorized", "code": 0}, {}
        problems = self.spec.request_errors(op, body) if body is not None else []
        extra = self._limit_errors(template, body)
        if problems or extra:
            self._violation(entry, f"invalid body for {method} {template}", problems=problems, limits=extra)
            errors = merge_trees(error_tree(problems), extra)
            return 400, {"message": "Invalid Form Body", "code": 50035, "errors": errors}, {}
        fault = self._take_fault(f"{method} {template}")
        delay = self.latency_ms + (fault.latency_ms if fault else 0)
        if delay:
            await asyncio.sleep(delay / 1000)
        if fault and fault.status:
            entry["fault"] = fault.status
            if fault.status == 429:
                body429 = {"message": "You are being rate limited.", "retry_after": fault.retry_after,
                           "global": False}
                return 429, body429, {"Retry-After": str(max(1, round(fault.retry_after))),
                                      "X-RateLimit-Scope": "user", "X-RateLimit-Limit": "5",
                                      "X-RateLimit-Remaining": "0", "X-RateLimit-Reset-After": str(fault.retry_after),
                                      "X-RateLimit-Reset": f"{time.time() + fault.retry_after:.3f}",
                                      "X-RateLimit-Bucket": RateLimiter.bucket_hash(method, template)}
            return fault.status, {"message": f"{fault.status}: sandbox fault", "code": 0}, {}
        headers: dict[str, str] = {}
        if not template.startswith("/interactions/"):  # interaction responses are not rate limited
            major = params.get("channel_id") or params.get("guild_id") or params.get("webhook_id") or ""
            headers, limited = self.limiter.check(method, template, major, exempt)
            if limited is not None:
                return 429, limited, headers
        try:
            status, payload = await self.routes[route_key](Call(method, template, params, query, body))
        except ApiError as exc:
            return exc.status, exc.body(), headers
        if status < 300 and payload is not None:
            wrong = self.spec.response_errors(op, status, payload)
            if wrong:  # the sandbox itself strayed from Discord: just as much a test failure
                self._violation(entry, f"sandbox response for {method} {template} does not match the spec",
                                problems=wrong)
        return status, payload, headers

    def _violation(self, entry: Json, what: str, **details: Any) -> None:
        entry["problems"].append(what)
        self.violations.append({"what": what, "method": entry["method"], "path": entry["path"],
                                "body": entry["body"], **details})
        log.warning("sandbox: %s", what)

    def _limit_errors(self, template: str, body: Any) -> Json:
        if not isinstance(body, (dict, list)):
            return {}
        if template.endswith("/commands") and isinstance(body, list):
            return {str(i): e for i, c in enumerate(body) if (e := limits.command_errors(c))}
        if template.endswith("/callback") and isinstance(body, dict):
            data = body.get("data") or {}
            found = limits.choices_errors(data["choices"]) if "choices" in data else limits.message_errors(data)
            return {"data": found} if found else {}
        if template.endswith(("/messages", "/messages/@original")) or template.startswith("/webhooks/"):
            return limits.message_errors(body) if isinstance(body, dict) else {}
        return {}

    def _take_fault(self, route: str) -> Fault | None:
        for fault in self.faults:
            if fault.count > 0 and fault.route in (route, "*"):
                fault.count -= 1
                return fault
        return None

    # ---- REST routes --------------------------------------------------------------------------------------

    async def _me(self, call: Call) -> tuple[int, Any]:
        return 200, {**self.world.bot_user, "verified": True, "mfa_enabled": False, "locale": "en-US",
                     "premium_type": 0, "email": None, "banner": None, "accent_color": None}

    async def _application(self, call: Call) -> tuple[int, Any]:
        owner = self.world.users[min(u for u in self.world.users if u != self.world.bot_id)] \
            if len(self.world.users) > 1 else self.world.bot_user
        return 200, {"id": str(self.world.application_id), "name": "release-bot", "icon": None,
                     "description": "Counts a community down to a release date.", "type": None,
                     "bot_public": True, "bot_require_code_grant": False, "verify_key": "0" * 64, "flags": 0,
                     "summary": "", "owner": owner, "team": None, "bot": self.world.bot_user,
                     "redirect_uris": [], "interactions_endpoint_url": None, "tags": [],
                     "approximate_guild_count": len(self.world.guilds), "flags_new": "0",
                     "role_connections_verification_url": None, "approximate_user_install_count": 0,
                     "approximate_user_authorization_count": 0, "explicit_content_filter": 0,
                     "eligible_oauth2_scopes": ["bot", "applications.commands"]}

    async def _gateway_url(self, call: Call) -> tuple[int, Any]:
        assert self.gateway is not None
        body: Json = {"url": self.gateway.url.rstrip("/")}
        if call.template == "/gateway/bot":
            body.update(shards=1, session_start_limit={"total": 1000, "remaining": 999, "reset_after": 14400000,
                                                       "max_concurrency": 1})
        return 200, body

    def _command_list(self, call: Call) -> list[Json]:
        if "guild_id" in call.params:
            return self.world.guild_commands.setdefault(int(call.params["guild_id"]), [])
        return self.world.global_commands

    async def _get_commands(self, call: Call) -> tuple[int, Any]:
        return 200, self._command_list(call)

    async def _put_commands(self, call: Call) -> tuple[int, Any]:
        existing = {c["name"]: c for c in self._command_list(call)}
        guild_id = call.params.get("guild_id")
        stored = []
        for command in call.body:
            old = existing.get(command["name"])
            stored.append({
                **{k: v for k, v in command.items() if v is not None},
                "id": old["id"] if old else str(self.world.snowflake()),
                "application_id": str(self.world.application_id), "version": str(self.world.snowflake()),
                "type": command.get("type", 1),
                "default_member_permissions": _bitfield(command.get("default_member_permissions")),
                "dm_permission": command.get("dm_permission", True), "nsfw": bool(command.get("nsfw")),
                **({"guild_id": guild_id} if guild_id else {}),
            })
        if guild_id:
            self.world.guild_commands[int(guild_id)] = stored
        else:
            self.world.global_commands[:] = stored
        return 200, stored

    def _pending(self, call: Call) -> Pending:
        if "interaction_id" in call.params:
            pending = self.pending.get(call.params["interaction_id"])
            if pending is None or pending.payload["token"] != call.params["interaction_token"]:
                raise ApiError(404, 10062, "Unknown interaction")
            return pending
        for pending in self.pending.values():
            if pending.payload["token"] == call.params["webhook_token"]:
                return pending
        raise ApiError(404, 10015, "Unknown Webhook")

    async def _callback(self, call: Call) -> tuple[int, Any]:
        pending = self._pending(call)
        if pending.response_type is not None:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        if time.time() - pending.created > self.interaction_deadline:
            raise ApiError(404, 10062, "Unknown interaction")
        kind = call.body["type"]
        pending.response_type = kind
        data = call.body.get("data") or {}
        if kind == 4:
            pending.message = self._interaction_message(pending, data)
        if not pending.answered.done():
            pending.answered.set_result(call.body)
        if call.query.get("with_response", "").lower() not in ("true", "1"):
            return 204, None
        interaction = {"id": pending.payload["id"], "type": pending.payload["type"],
                       "response_message_loading": kind == 5,
                       "response_message_ephemeral": bool((data.get("flags") or 0) & 64)}
        if pending.message is None:  # autocomplete results and deferrals create no message (yet)
            return 200, {"interaction": interaction}
        interaction["response_message_id"] = pending.message["id"]
        return 200, {"interaction": interaction, "resource": {"type": kind, "message": pending.message}}

    def _interaction_message(self, pending: Pending, data: Json) -> Json:
        user = pending.payload["member"]["user"]
        metadata = {"id": pending.payload["id"], "type": 2, "user": user,
                    "authorizing_integration_owners": pending.payload["authorizing_integration_owners"],
                    "name": pending.payload["data"]["name"]}
        return self.world.message(int(pending.payload["channel_id"]), data, extra={
            "type": 20, "webhook_id": str(self.world.application_id), "application_id": str(self.world.application_id),
            "interaction_metadata": metadata})

    async def _followup(self, call: Call) -> tuple[int, Any]:
        pending = self._pending(call)
        message = self._interaction_message(pending, call.body)
        if not pending.followed_up.done():
            pending.followed_up.set_result({"type": 4, "data": call.body})
        return 200, message

    async def _edit_original(self, call: Call) -> tuple[int, Any]:
        pending = self._pending(call)
        if pending.message is None:
            pending.message = self._interaction_message(pending, call.body)
        else:
            pending.message.update({k: v for k, v in call.body.items() if k in ("content", "embeds", "flags")})
        if not pending.followed_up.done():
            pending.followed_up.set_result({"type": 4, "data": call.body})
        return 200, pending.message

    def _channel(self, call: Call) -> Any:
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

    async def _create_message(self, call: Call) -> tuple[int, Any]:
        channel = self._channel(call)
        guild = self.world.guild_of(channel)
        if guild is not None and not guild.permissions(self.world.bot_id, channel) & PERMISSIONS["send_messages"]:
            raise ApiError(403, 50013, "Missing Permissions")
        nonce = call.body.get("nonce")
        key = (self.world.bot_id, channel.id, str(nonce))
        if nonce is not None and call.body.get("enforce_nonce"):
            seen = self.world.nonces.get(key)
            if seen and time.time() - seen[0] < NONCE_TTL:
                return 200, seen[1]  # Discord returns the message the nonce already created
        message = self.world.message(channel.id, call.body)
        if nonce is not None:
            self.world.nonces[key] = (time.time(), message)
        for queue in self._message_listeners:
            queue.put_nowait(message)
        return 200, message

    async def _list_messages(self, call: Call) -> tuple[int, Any]:
        """Newest first, as Discord answers; `after` gives the `limit` messages right after that id. Read back,
        a message carries no nonce (Discord's does not either)."""
        channel = self._channel(call)
        guild = self.world.guild_of(channel)
        if guild is not None and not guild.permissions(self.world.bot_id, channel) & PERMISSIONS[
                "read_message_history"]:
            return 200, []  # Discord answers an empty list without Read Message History
        limit = min(100, max(1, int(call.query.get("limit", 50))))
        found = [m for m in self.world.messages if m["channel_id"] == str(channel.id)]
        if "before" in call.query:
            found = [m for m in found if int(m["id"]) < int(call.query["before"])]
        if "after" in call.query:
            found = [m for m in found if int(m["id"]) > int(call.query["after"])][:limit]
        else:
            found = found[-limit:]
        hidden = ("nonce", "allowed_mentions")
        return 200, [{k: v for k, v in m.items() if k not in hidden} for m in reversed(found)]

    async def _open_dm(self, call: Call) -> tuple[int, Any]:
        return 200, self.world.dm_channel(int(call.body["recipient_id"])).to_dict(self.world)

    async def _leave_guild(self, call: Call) -> tuple[int, Any]:
        await self.remove_guild(int(call.params["guild_id"]))
        return 204, None

    # ---- the in-process API (the control API below is a thin JSON layer over it) ----------------------------

    async def create_guild(self, name: str, channels: list[str] | None = None,
                           members: list[Json] | None = None) -> Json:
        guild = self.world.create_guild(name, channels or ["general"], members or [])
        assert self.gateway is not None
        joined = guild.to_dict(self.world)
        del joined["unavailable"]  # a join, not an outage ending: discord.py then dispatches on_guild_join
        await self.gateway.dispatch_guild(guild.id, "GUILD_CREATE", joined)
        users = {self.world.users[uid]["username"]: str(uid) for uid in guild.members}
        return {"guild_id": str(guild.id), "channels": {c.name: str(c.id) for c in guild.channels.values()},
                "members": users, "bot": str(self.world.bot_id), "owner": str(guild.owner_id),
                "roles": {r.name: str(r.id) for r in guild.roles.values()}}

    async def add_role(self, guild_id: int, name: str) -> str:
        guild = self.world.guilds[guild_id]
        role = self.world.add_role(guild, name)
        assert self.gateway is not None
        await self.gateway.dispatch_guild(guild_id, "GUILD_ROLE_CREATE", {"guild_id": str(guild_id),
                                                                           "role": role.to_dict()})
        return str(role.id)

    async def interact(self, guild_id: int | str, channel_id: int | str, user_id: int | str, command: str,
                       focused: str | None = None, wait: float | None = None) -> Json:
        """Send a slash command (or an autocomplete request) as a user; the bot's response, as Discord got it."""
        guild = self.world.guilds.get(int(guild_id))
        channel = self.world.channels.get(int(channel_id))
        if guild is None or channel is None or int(user_id) not in guild.members:
            raise InteractionError("unknown guild, channel or member")
        payload = build_interaction(self.world, guild, channel, int(user_id), command, focused)
        loop = asyncio.get_running_loop()
        pending = Pending(payload, time.time(), loop.create_future(), loop.create_future())
        self.pending[payload["id"]] = pending
        assert self.gateway is not None
        await self.gateway.wait_for_session(guild.id)
        await self.gateway.dispatch_guild(guild.id, "INTERACTION_CREATE", payload)
        try:
            answer = await asyncio.wait_for(asyncio.shield(pending.answered), wait or self.interaction_deadline)
        except TimeoutError:
            raise TimeoutError(f"the bot did not respond to {command!r} within "
                               f"{self.interaction_deadline:g} s (Discord shows 'The application did not "
                               "respond')") from None
        if answer["type"] == 5:  # deferred: the real answer comes as a follow-up or an edit of the original
            answer = {**await asyncio.wait_for(asyncio.shield(pending.followed_up), 60.0), "deferred": True}
        return answer

    def messages(self, channel_id: int | str | None = None) -> list[Json]:
        return [m for m in self.world.messages if channel_id is None or m["channel_id"] == str(channel_id)]

    def listen(self) -> asyncio.Queue[Json]:
        """A queue that receives every channel message created from now on: await posts instead of sleeping."""
        queue: asyncio.Queue[Json] = asyncio.Queue()
        self._message_listeners.append(queue)
        return queue

    def add_fault(self, route: str, status: int = 500, count: int = 1, retry_after: float = 1.0,
                  latency_ms: int = 0) -> None:
        self.faults.append(Fault(route, status, count, retry_after, latency_ms))

    async def drop_gateway(self) -> int:
        assert self.gateway is not None
        return await self.gateway.drop()

    async def invalidate_session(self) -> int:
        assert self.gateway is not None
        return await self.gateway.invalidate()

    async def delete_channel(self, channel_id: int) -> None:
        channel = self.world.channels.pop(channel_id)
        guild = self.world.guild_of(channel)
        if guild is not None:
            guild.channels.pop(channel_id, None)
            assert self.gateway is not None
            await self.gateway.dispatch_guild(guild.id, "CHANNEL_DELETE", channel.to_dict(self.world))

    async def set_channel_permissions(self, channel_id: int, target_id: int, allow: list[str],
                                      deny: list[str]) -> None:
        channel = self.world.channels[channel_id]
        guild = self.world.guild_of(channel)
        assert guild is not None and self.gateway is not None
        kind = 0 if target_id in guild.roles else 1
        channel.overwrites[target_id] = Overwrite(target_id, kind, sum(PERMISSIONS[p] for p in allow),
                                                  sum(PERMISSIONS[p] for p in deny))
        await self.gateway.dispatch_guild(guild.id, "CHANNEL_UPDATE", channel.to_dict(self.world))

    async def set_member(self, guild_id: int, user_id: int, admin: bool) -> None:
        guild = self.world.guilds[guild_id]
        admin_role = next(r.id for r in guild.roles.values() if r.name == "Admin")
        member = guild.members[user_id]
        member.roles = [r for r in member.roles if r != admin_role] + ([admin_role] if admin else [])
        assert self.gateway is not None
        await self.gateway.dispatch_guild(guild_id, "GUILD_MEMBER_UPDATE", {"guild_id": str(guild_id),
                                                                             **member.to_dict(self.world)})

    async def remove_guild(self, guild_id: int) -> None:
        """The bot is removed from (kicked out of) a server: GUILD_DELETE without `unavailable`."""
        guild = self.world.guilds.pop(guild_id)
        assert self.gateway is not None
        await self.gateway.dispatch_guild(guild_id, "GUILD_DELETE", {"id": str(guild_id)})
        for channel_id in guild.channels:
            self.world.channels.pop(channel_id, None)

    # ---- the control API (JSON over HTTP, for scripts and `release-bot sandbox`) ----------------------------

    async def _c_create_guild(self, request: web.Request) -> web.Response:
        body = await request.json()
        return web.json_response(await self.create_guild(body.get("name", "Sandbox server"), body.get("channels"),
                                                         body.get("members")))

    async def _c_remove_guild(self, request: web.Request) -> web.Response:
        await self.remove_guild(int(request.match_info["guild_id"]))
        return web.json_response({"ok": True})

    async def _c_interact(self, request: web.Request) -> web.Response:
        body = await request.json()
        try:
            response = await self.interact(body["guild_id"], body["channel_id"], body["user_id"], body["command"],
                                           body.get("focused"))
        except InteractionError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        except TimeoutError as exc:
            return web.json_response({"error": str(exc)}, status=504)
        return web.json_response({"response": response})

    async def _c_messages(self, request: web.Request) -> web.Response:
        return web.json_response(self.messages(request.query.get("channel_id")))

    async def _c_faults(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body.get("gateway") == "drop":
            return web.json_response({"dropped": await self.drop_gateway()})
        if body.get("gateway") == "invalid_session":
            return web.json_response({"invalidated": await self.invalidate_session()})
        self.add_fault(body["route"], int(body.get("status", 500)), int(body.get("count", 1)),
                       float(body.get("retry_after", 1.0)), int(body.get("latency_ms", 0)))
        return web.json_response({"ok": True})

    async def _c_log(self, request: web.Request) -> web.Response:
        return web.json_response({"requests": self.log, "violations": self.violations})

    async def _c_delete_channel(self, request: web.Request) -> web.Response:
        await self.delete_channel(int(request.match_info["channel_id"]))
        return web.json_response({"ok": True})

    async def _c_channel_permissions(self, request: web.Request) -> web.Response:
        body = await request.json()
        target = int(body.get("target") or self.world.bot_id)
        await self.set_channel_permissions(int(request.match_info["channel_id"]), target, body.get("allow", []),
                                           body.get("deny", []))
        return web.json_response({"ok": True})

    async def _c_member(self, request: web.Request) -> web.Response:
        body = await request.json()
        await self.set_member(int(request.match_info["guild_id"]), int(request.match_info["user_id"]),
                              bool(body.get("admin")))
        return web.json_response({"ok": True})
