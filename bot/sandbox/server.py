"""The sandbox server: Discord's REST API v10 and gateway on loopback, plus a control API to act as users.

Every request the bot sends is validated against Discord's OpenAPI spec and the documented limits the spec lacks;
a violation is answered as Discord would (400, code 50035) and recorded in `violations`, so a test fails on it.
This module wires the parts together and runs every REST request through one pipeline: route lookup,
authorisation, validation, injected faults, rate limits, then the route's handler (`rest`,
`interaction_responses`), whose answer is checked against the spec too.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.sandbox.actions import WorldActions
from bot.sandbox.app_commands import CommandRoutes
from bot.sandbox.attachments import Upload, read_multipart
from bot.sandbox.control import ControlApi
from bot.sandbox.event_schemas import event_errors
from bot.sandbox.events import WorldEvents
from bot.sandbox.gateway import HEARTBEAT_INTERVAL_MS, Gateway
from bot.sandbox.intents import PRIVILEGED
from bot.sandbox.interaction_responses import INTERACTION_DEADLINE, InteractionResponses
from bot.sandbox.interactions import BOT_DM, GUILD, PRIVATE_CHANNEL, InteractionError, build_interaction, build_press
from bot.sandbox.openapi import load_spec
from bot.sandbox.ratelimit import GLOBAL_LIMIT, RateLimiter
from bot.sandbox.rest import RestRoutes
from bot.sandbox.route_types import ApiError, Call, Json, Routes
from bot.sandbox.scheduled_events import ScheduledEventRoutes
from bot.sandbox.validation import check_request
from bot.sandbox.world import World

log = logging.getLogger(__name__)
API = "/api/v10"


@dataclass
class Fault:
    route: str  # "POST /channels/{channel_id}/messages", or "*" for any REST route
    status: int = 500
    count: int = 1
    retry_after: float = 1.0
    latency_ms: int = 0


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
    # Exactly "application/json": discord.py does not parse "application/json; charset=utf-8" as JSON.
    all_headers = {"Content-Type": "application/json", "Via": "1.1 google", **(headers or {})}
    if status == 204:
        return web.Response(status=204, headers={"Via": "1.1 google", **(headers or {})})
    return web.Response(status=status, body=json.dumps(body).encode(), headers=all_headers)


class Sandbox:
    def __init__(
        self,
        *,
        latency_ms: int = 0,
        rate_limits: bool = True,
        interaction_deadline: float = INTERACTION_DEADLINE,
        global_limit: int = GLOBAL_LIMIT,
        heartbeat_interval_ms: int = HEARTBEAT_INTERVAL_MS,
    ) -> None:
        self.world = World()
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.spec = load_spec()
        self.limiter = RateLimiter(rate_limits, global_limit)
        self.latency_ms = latency_ms
        self.faults: list[Fault] = []
        self.log: list[Json] = []
        self.violations: list[Json] = []  # direction "received" (the client's mistakes) or "sent" (the sandbox's)
        self.not_implemented: list[Json] = []  # Discord routes a client called that the sandbox does not serve
        self.url = ""
        self.gateway: Gateway | None = None
        self._runner: web.AppRunner | None = None
        self.privileged_intents = 0  # enabled for the app: see `enable_privileged_intents`
        self.events = WorldEvents(self.world, self)
        self.responses = InteractionResponses(self.world, self.events, interaction_deadline)
        self.pending = self.responses.pending
        self.actions = WorldActions(self.world, self.events)
        self.rest = RestRoutes(
            self.world, self._gateway_url, self.remove_guild, self.events, lambda: self.privileged_intents
        )
        self.routes: Routes = {
            **self.rest.routes(),
            **CommandRoutes(self.world).routes(),
            **self.responses.routes(),
            **ScheduledEventRoutes(self.world, self.events).routes(),
        }
        self._patterns = {
            key: re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(key[1])) + "$")
            for key in self.routes
        }

    # ---- life cycle ---------------------------------------------------------------------------------------

    async def start(self, port: int = 0, host: str = "127.0.0.1") -> str:
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_route("*", API + "/{tail:.*}", self._rest)
        app.router.add_get("/", self._ws)
        ControlApi(self).add_to(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://{host}:{bound}"
        self.world.attachments.base_url = self.url
        self.gateway = Gateway(
            self.world, f"ws://{host}:{bound}/", self._check_event, heartbeat_interval_ms=self.heartbeat_interval_ms
        )
        self.gateway.privileged_intents = self.privileged_intents
        return self.url

    async def stop(self) -> None:
        if self.gateway:
            await self.gateway.close()
        if self._runner:
            await self._runner.cleanup()

    async def _ws(self, request: web.Request) -> web.StreamResponse:
        assert self.gateway is not None
        return await self.gateway.handle(request)

    def _gateway_url(self) -> str:
        assert self.gateway is not None
        return self.gateway.url

    # ---- the REST pipeline --------------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.Response:
        method, path = request.method, "/" + request.match_info["tail"]
        body: Any = None
        uploads: list[Upload] = []
        if request.content_type == "multipart/form-data":
            try:
                body, uploads = await read_multipart(request)
            except ApiError as exc:
                return _json(exc.status, exc.body())
        elif request.can_read_body:
            try:
                body = await request.json()
            except ValueError:
                body = None
        entry: Json = {"at": time.time(), "method": method, "path": path, "body": body, "problems": []}
        if uploads:
            entry["files"] = [{"filename": u.filename, "size": len(u.data)} for u in uploads]
        self.log.append(entry)
        status, payload, headers = await self._handle(method, path, dict(request.query), body, request, entry, uploads)
        entry["status"] = status
        entry["response"] = payload
        return _json(status, payload, headers)

    async def _handle(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        body: Any,
        request: web.Request,
        entry: Json,
        uploads: list[Upload],
    ) -> tuple[int, Any, dict[str, str]]:
        op = self.spec.find(method, path)
        route_key = next((k for k in self.routes if k[0] == method and self._patterns[k].match(path)), None)
        if op is None:
            self._violation(entry, f"{method} {path}: not a route of Discord's API v10")
            return 404, {"message": "404: Not Found", "code": 0}, {}
        if route_key is None:  # Discord has it, the sandbox does not: answered as Discord answers an unknown route
            entry["problems"].append("not implemented by the sandbox")
            self.not_implemented.append({"method": method, "route": f"{method} {op.template}", "path": path})
            log.warning("sandbox: %s %s is not implemented", method, op.template)
            return 404, {"message": "404: Not Found", "code": 0}, {}
        template = route_key[1]
        entry["route"] = f"{method} {template}"
        params = self._patterns[route_key].match(path).groupdict()  # type: ignore[union-attr]
        exempt = template.startswith(("/interactions/", "/webhooks/"))  # authorised by the interaction token
        if not exempt and not request.headers.get("Authorization", "").startswith("Bot "):
            return 401, {"message": "401: Unauthorized", "code": 0}, {}
        invalid = check_request(self.spec, op, template, query, body)
        if invalid is not None:
            self._violation(
                entry,
                f"invalid {invalid.where()} for {method} {template}",
                problems=invalid.query + invalid.body,
                limits=invalid.limits,
            )
            return 400, {"message": "Invalid Form Body", "code": 50035, "errors": invalid.errors()}, {}
        fault = self._take_fault(f"{method} {template}")
        delay = self.latency_ms + (fault.latency_ms if fault else 0)
        if delay:
            await asyncio.sleep(delay / 1000)
        if fault and fault.status:
            entry["fault"] = fault.status
            if fault.status == 429:
                body429 = {"message": "You are being rate limited.", "retry_after": fault.retry_after, "global": False}
                return (
                    429,
                    body429,
                    {
                        "Retry-After": str(max(1, round(fault.retry_after))),
                        "X-RateLimit-Scope": "user",
                        "X-RateLimit-Limit": "5",
                        "X-RateLimit-Remaining": "0",
                        "X-RateLimit-Reset-After": str(fault.retry_after),
                        "X-RateLimit-Reset": f"{time.time() + fault.retry_after:.3f}",
                        "X-RateLimit-Bucket": RateLimiter.bucket_hash(method, template),
                    },
                )
            return fault.status, {"message": f"{fault.status}: sandbox fault", "code": 0}, {}
        headers: dict[str, str] = {}
        if not template.startswith("/interactions/"):  # interaction responses are not rate limited
            major = params.get("channel_id") or params.get("guild_id") or params.get("webhook_id") or ""
            headers, limited = self.limiter.check(method, template, major, exempt)
            if limited is not None:
                return 429, limited, headers
        try:
            status, payload = await self.routes[route_key](Call(method, template, params, query, body, uploads))
        except ApiError as exc:
            return exc.status, exc.body(), headers
        if status < 300 and payload is not None:
            wrong = self.spec.response_errors(op, status, payload)
            if wrong:  # the sandbox itself strayed from Discord: just as much a test failure
                self._violation(
                    entry,
                    f"sandbox response for {method} {template} does not match the spec",
                    direction="sent",
                    problems=wrong,
                )
        return status, payload, headers

    def _violation(self, entry: Json, what: str, direction: str = "received", **details: Any) -> None:
        entry["problems"].append(what)
        self.violations.append(
            {
                "what": what,
                "direction": direction,
                "method": entry["method"],
                "path": entry["path"],
                "body": entry["body"],
                **details,
            }
        )
        log.warning("sandbox: %s", what)

    def _check_event(self, event: str, data: Any) -> None:
        """Every gateway dispatch, before it is sent: Discord's schemas and always-present fields."""
        wrong = event_errors(self.spec, event, data)
        if wrong:
            what = f"sandbox gateway event {event} does not match Discord's docs"
            self.violations.append({"what": what, "direction": "sent", "event": event, "problems": wrong, "body": data})
            log.warning("sandbox: %s: %s", what, wrong[:3])

    def _take_fault(self, route: str) -> Fault | None:
        for fault in self.faults:
            if fault.count > 0 and fault.route in (route, "*"):
                fault.count -= 1
                return fault
        return None

    # ---- the in-process API (the control API in `control` is a thin JSON layer over it) ---------------------

    async def create_guild(
        self, name: str, channels: list[str] | None = None, members: list[Json] | None = None
    ) -> Json:
        return await self.actions.create_guild(name, channels, members)

    async def add_role(
        self,
        guild_id: int,
        name: str,
        permissions: list[str] | None = None,
        mentionable: bool = False,
        managed: bool = False,
    ) -> str:
        return await self.actions.add_role(guild_id, name, permissions, mentionable, managed)

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
    ) -> Json:
        """Send a slash command (or an autocomplete request) as a user; the bot's response, as Discord got it.

        Context 0 is a server (guild_id, channel_id); 1 the user's DM with the bot; 2 a DM between users, where only
        an app installed to the user's account acts (both without a guild)."""
        if context not in (GUILD, BOT_DM, PRIVATE_CHANNEL):
            raise InteractionError(f"unknown interaction context {context} (0 server, 1 bot DM, 2 private channel)")
        guild = channel = None
        if context == GUILD:
            guild = self.world.guilds.get(int(guild_id or 0))
            channel = self.world.channels.get(int(channel_id or 0))
            if guild is None or channel is None or int(user_id) not in guild.members:
                raise InteractionError("unknown guild, channel or member")
        elif int(user_id) not in self.world.users:
            raise InteractionError(f"unknown user {user_id}")
        elif context == BOT_DM:
            channel = self.world.dm_channel(int(user_id))
        else:
            channel = self.world.private_channel(int(user_id))
        payload = build_interaction(
            self.world, guild, channel, int(user_id), command, focused, context, locale, guild_locale
        )
        return await self._send_interaction(payload, guild.id if guild else None, command, wait)

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
    ) -> Json:
        """A user presses a button (or chooses `values` in a select) of a message: the bot's response."""
        message = next((m for m in self.world.messages if m["id"] == str(message_id)), None)
        if message is None:
            raise InteractionError(f"unknown message {message_id}")
        payload = build_press(self.world, message, int(user_id), custom_id, values, locale, guild_locale)
        guild_id = int(payload["guild_id"]) if "guild_id" in payload else None
        return await self._send_interaction(payload, guild_id, f"pressing {custom_id!r}", wait)

    async def _send_interaction(self, payload: Json, guild_id: int | None, what: str, wait: float | None) -> Json:
        pending = self.responses.open(payload)
        assert self.gateway is not None
        await self.gateway.wait_for_session(guild_id or 0)
        if guild_id is None:
            await self.gateway.dispatch_direct("INTERACTION_CREATE", payload)
        else:
            await self.gateway.dispatch_guild(guild_id, "INTERACTION_CREATE", payload)
        return await self.responses.answer(pending, what, wait)

    def messages(self, channel_id: int | str | None = None) -> list[Json]:
        """Every message (or a channel's), in order, each with its channel's type (`channel_type`: 0 a server's
        text channel, 1 a DM) and, in a DM, the recipient's id (`recipient_id`)."""
        return [self._where(m) for m in self.world.messages if channel_id is None or m["channel_id"] == str(channel_id)]

    def _where(self, message: Json) -> Json:
        channel_id = int(message["channel_id"])
        channel = self.world.channels.get(channel_id) or self.world.private_channels.get(channel_id)
        kind = channel.type if channel else (0 if "guild_id" in message else 1)
        extra: Json = {"channel_type": kind}
        if channel is not None and channel.type == 1:
            extra["recipient_id"] = str(channel.recipient_id)
        return {**message, **extra}

    def listen(self) -> asyncio.Queue[Json]:
        """A queue that receives every channel message created from now on: await posts instead of sleeping."""
        queue: asyncio.Queue[Json] = asyncio.Queue()
        self.rest.listeners.append(queue)
        return queue

    def add_fault(
        self, route: str, status: int = 500, count: int = 1, retry_after: float = 1.0, latency_ms: int = 0
    ) -> None:
        self.faults.append(Fault(route, status, count, retry_after, latency_ms))

    async def drop_gateway(self) -> int:
        assert self.gateway is not None
        return await self.gateway.drop()

    async def invalidate_session(self) -> int:
        assert self.gateway is not None
        return await self.gateway.invalidate()

    async def delete_channel(self, channel_id: int) -> None:
        await self.actions.delete_channel(channel_id)

    async def set_channel_permissions(self, channel_id: int, target_id: int, allow: list[str], deny: list[str]) -> None:
        await self.actions.set_channel_permissions(channel_id, target_id, allow, deny)

    async def set_member(self, guild_id: int, user_id: int, admin: bool) -> None:
        await self.actions.set_member(guild_id, user_id, admin)

    async def remove_guild(self, guild_id: int) -> None:
        await self.actions.remove_guild(guild_id)

    def enable_privileged_intents(self, names: list[str]) -> None:
        """The Developer Portal's toggles: which privileged intents the app may identify with."""
        unknown = sorted(set(names) - set(PRIVILEGED))
        if unknown:
            raise ValueError(f"not privileged intents: {', '.join(unknown)} (known: {', '.join(PRIVILEGED)})")
        self.privileged_intents = sum(PRIVILEGED[n] for n in set(names))
        if self.gateway is not None:
            self.gateway.privileged_intents = self.privileged_intents

    def application(self) -> Json:
        return {
            "id": str(self.world.application_id),
            "token": self.world.token,
            "privileged_intents": [n for n, bit in PRIVILEGED.items() if self.privileged_intents & bit],
        }

    # ---- the gateway, for `events` (the gateway exists once the server has started) ------------------------

    async def dispatch_guild(self, guild_id: int, event: str, data: Any) -> None:
        if self.gateway is not None:
            await self.gateway.dispatch_guild(guild_id, event, data)

    async def dispatch_direct(self, event: str, data: Any) -> None:
        if self.gateway is not None:
            await self.gateway.dispatch_direct(event, data)
