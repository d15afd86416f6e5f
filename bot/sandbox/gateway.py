"""The gateway: HELLO, IDENTIFY/READY, GUILD_CREATE, heartbeats, RESUME/RESUMED, INVALID_SESSION, dispatches.

A session receives only the events its intents ask for (`intents`), framed as its connection asked
(`gateway_transport`); every payload is first handed to `check_sent`, which validates it against Discord's schemas.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from bot.sandbox import intents as intent_rules
from bot.sandbox.gateway_transport import GatewayClose, Transport, transport_options
from bot.sandbox.world import World

log = logging.getLogger(__name__)
HEARTBEAT_INTERVAL_MS = 41250
# Discord's HEARTBEAT_ACK comes a network round trip after the heartbeat. On loopback it would come at once, before
# discord.py's keep-alive thread has noted when it sent the heartbeat (it does so only once the send has completed),
# so the client would measure its latency from the previous beat ("Can't keep up, … 41.3s behind"). A short delay,
# like a real round trip, lets that thread note the send first.
HEARTBEAT_ACK_DELAY = 0.1
RESUMABLE_CLOSE = 4000  # "unknown error": clients reconnect and resume
HISTORY = 5000  # dispatches kept per session for RESUME
IGNORED_OPS = (3, 4, 8)  # presence update, voice state update, request guild members: accepted, no answer
CheckSent = Callable[[str, Any], None]  # (event name, data): records a violation if Discord would not send this


@dataclass
class Session:
    id: str
    shard: tuple[int, int]
    intents: int
    seq: int = 0
    transport: Transport | None = None
    history: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=HISTORY))
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)  # keeps replay and live dispatches in order

    def owns(self, guild_id: int) -> bool:
        shard_id, count = self.shard
        return (guild_id >> 22) % count == shard_id

    @property
    def connected(self) -> bool:
        return self.transport is not None and not self.transport.ws.closed


class Gateway:
    def __init__(
        self,
        world: World,
        url: str,
        check_sent: CheckSent | None = None,
        heartbeat_interval_ms: int = HEARTBEAT_INTERVAL_MS,
        heartbeat_ack_delay: float = HEARTBEAT_ACK_DELAY,
    ) -> None:
        self.world = world
        self.url = url
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.heartbeat_ack_delay = heartbeat_ack_delay
        self.heartbeat_acks = 0  # HEARTBEAT_ACKs sent, over every connection
        self._acks: set[asyncio.Task[None]] = set()
        self.check_sent = check_sent or (lambda event, data: None)
        self.sessions: dict[str, Session] = {}
        self.identified = asyncio.Condition()
        self.resumes = 0
        self.identifies = 0
        self.privileged_intents = 0  # the privileged intents enabled for the app ("Developer Portal" toggles)
        self.closes: list[tuple[int, str]] = []  # every close code the gateway sent, with its reason

    def sessions_for(self, guild_id: int) -> list[Session]:
        return [s for s in self.sessions.values() if s.owns(guild_id)]

    async def wait_for_session(self, guild_id: int, timeout: float = 10.0) -> Session:
        async with self.identified:
            await asyncio.wait_for(self.identified.wait_for(lambda: self.sessions_for(guild_id)), timeout)
        return self.sessions_for(guild_id)[-1]

    async def dispatch(self, session: Session, event: str, data: Any) -> None:
        async with session.lock:
            await self._send(session, event, data)

    async def _send(self, session: Session, event: str, data: Any) -> None:
        bot_id = str(self.world.bot_id)
        if not intent_rules.wanted(event, data, session.intents, bot_id):
            return
        data = intent_rules.shaped(event, data, session.intents, bot_id)
        self.check_sent(event, data)
        session.seq += 1
        payload = {"op": 0, "t": event, "s": session.seq, "d": data}
        session.history.append(payload)
        if session.connected:
            assert session.transport is not None
            try:
                await session.transport.send(payload)
            except ConnectionError:  # the client will RESUME and get it from the history
                session.transport = None

    async def dispatch_guild(self, guild_id: int, event: str, data: Any) -> None:
        for session in self.sessions_for(guild_id):
            await self.dispatch(session, event, data)

    async def dispatch_direct(self, event: str, data: Any) -> None:
        """Events with no guild go to shard 0 only (docs: Sharding)."""
        for session in [s for s in self.sessions.values() if s.shard[0] == 0]:
            await self.dispatch(session, event, data)

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        try:
            transport = Transport(ws, transport_options(request.query))
        except GatewayClose as refused:
            await self._close(ws, refused)
            return ws
        await transport.send({"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms}, "s": None, "t": None})
        session: Session | None = None
        try:
            async for message in ws:
                if message.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                    continue
                session = await self._receive(transport, session, Transport.decode(message))
        except GatewayClose as closing:
            await self._close(ws, closing)
        if session is not None and session.transport is transport:
            session.transport = None
        return ws

    async def _receive(self, transport: Transport, session: Session | None, payload: dict[str, Any]) -> Session | None:
        op, data = payload.get("op"), payload.get("d")
        if op == 1:  # acknowledged after a round trip's delay, without holding up what the client sends next
            ack = asyncio.create_task(self._heartbeat_ack(transport))
            self._acks.add(ack)
            ack.add_done_callback(self._acks.discard)
        elif op == 2:
            if session is not None:
                raise GatewayClose(4005, "Already authenticated.")
            return await self._identify(transport, data if isinstance(data, dict) else {})
        elif op == 6:
            return await self._resume(transport, data if isinstance(data, dict) else {})
        elif op in IGNORED_OPS:
            if session is None:
                raise GatewayClose(4003, "Not authenticated.")
        else:
            raise GatewayClose(4001, "Unknown opcode.")
        return session

    async def _close(self, ws: web.WebSocketResponse, closing: GatewayClose) -> None:
        self.closes.append((closing.code, closing.reason))
        log.info("sandbox gateway: closing with %s %s", closing.code, closing.reason)
        await ws.close(code=closing.code, message=closing.reason.encode()[:120])

    async def _identify(self, transport: Transport, data: dict[str, Any]) -> Session:
        if not data.get("token"):
            raise GatewayClose(4004, "Authentication failed.")
        intents = data.get("intents")
        if not isinstance(intents, int) or isinstance(intents, bool):
            raise GatewayClose(4013, "Invalid intent(s).")  # required since v8
        if refused := intent_rules.refused(intents, self.privileged_intents):
            raise GatewayClose(*refused)
        shard = data.get("shard") or (0, 1)
        if len(shard) != 2 or not 0 <= int(shard[0]) < int(shard[1]):
            raise GatewayClose(4010, "Invalid shard.")
        if data.get("compress"):
            transport.enable_payload_compression()
        session = Session(secrets.token_hex(16), (int(shard[0]), int(shard[1])), intents, transport=transport)
        # A new IDENTIFY for the same shard replaces the old session, as on Discord.
        for old in [s for s in self.sessions.values() if s.shard == session.shard]:
            del self.sessions[old.id]
        self.sessions[session.id] = session
        self.identifies += 1
        guilds = [g for g in self.world.guilds.values() if session.owns(g.id)]
        await self.dispatch(
            session,
            "READY",
            {
                "v": 10,
                "user": {**self.world.bot_user, "verified": True, "mfa_enabled": False},
                "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
                "session_id": session.id,
                "session_type": "normal",
                "resume_gateway_url": self.url,
                "shard": list(session.shard),
                "application": {"id": str(self.world.application_id), "flags": 0},
                "private_channels": [],
                "relationships": [],
                "presences": [],
                "guild_join_requests": [],
                "geo_ordered_rtc_regions": [],
                "auth": {},
                "user_settings": {},
            },
        )
        for guild in guilds:
            await self.dispatch(session, "GUILD_CREATE", guild.create_event(self.world))
        async with self.identified:
            self.identified.notify_all()
        return session

    async def _resume(self, transport: Transport, data: dict[str, Any]) -> Session | None:
        session = self.sessions.get(data.get("session_id", ""))
        if session is None:
            await transport.send({"op": 9, "d": False, "s": None, "t": None})
            return None
        async with session.lock:
            session.transport = transport
            self.resumes += 1
            missed = [p for p in session.history if p["s"] > int(data.get("seq") or 0)]
            for payload in missed:
                await transport.send(payload)
            await self._send(session, "RESUMED", {})
        async with self.identified:
            self.identified.notify_all()
        return session

    async def drop(self) -> int:
        """Fault: cut every connection as a network blip would; the sessions stay resumable."""
        dropped = 0
        for session in self.sessions.values():
            if session.connected:
                assert session.transport is not None
                await session.transport.ws.close(code=RESUMABLE_CLOSE, message=b"sandbox: connection dropped")
                session.transport = None
                dropped += 1
        return dropped

    async def invalidate(self) -> int:
        """Fault: INVALID_SESSION (not resumable): the client must IDENTIFY again."""
        count = 0
        for session in list(self.sessions.values()):
            if session.connected:
                assert session.transport is not None
                await session.transport.send({"op": 9, "d": False, "s": None, "t": None})
                count += 1
            del self.sessions[session.id]
        return count

    async def _heartbeat_ack(self, transport: Transport) -> None:
        await asyncio.sleep(self.heartbeat_ack_delay)
        if transport.ws.closed:
            return
        try:
            await transport.send({"op": 11, "d": None, "s": None, "t": None})
        except ConnectionError:  # the client went away meanwhile
            return
        self.heartbeat_acks += 1

    async def close(self) -> None:
        for ack in list(self._acks):
            ack.cancel()
        for session in self.sessions.values():
            if session.connected:
                assert session.transport is not None
                await session.transport.ws.close(code=1001, message=b"sandbox shutting down")
