"""The gateway: HELLO, IDENTIFY/READY, GUILD_CREATE, heartbeats, RESUME/RESUMED, INVALID_SESSION, dispatches."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from bot.sandbox.world import World

log = logging.getLogger(__name__)
HEARTBEAT_INTERVAL_MS = 41250
RESUMABLE_CLOSE = 4000  # "unknown error": discord.py reconnects and resumes
HISTORY = 5000  # dispatches kept per session for RESUME


@dataclass
class Session:
    id: str
    shard: tuple[int, int]
    seq: int = 0
    ws: web.WebSocketResponse | None = None
    history: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=HISTORY))
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)  # keeps replay and live dispatches in order

    def owns(self, guild_id: int) -> bool:
        shard_id, count = self.shard
        return (guild_id >> 22) % count == shard_id


class Gateway:
    def __init__(self, world: World, url: str) -> None:
        self.world = world
        self.url = url
        self.sessions: dict[str, Session] = {}
        self.identified = asyncio.Condition()
        self.resumes = 0
        self.identifies = 0

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
        session.seq += 1
        payload = {"op": 0, "t": event, "s": session.seq, "d": data}
        session.history.append(payload)
        if session.ws is not None and not session.ws.closed:
            try:
                await session.ws.send_str(json.dumps(payload))
            except ConnectionError:  # the bot will RESUME and get it from the history
                session.ws = None

    async def dispatch_guild(self, guild_id: int, event: str, data: Any) -> None:
        for session in self.sessions_for(guild_id):
            await self.dispatch(session, event, data)

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}, "s": None,
                                      "t": None}))
        session: Session | None = None
        async for message in ws:
            if message.type != WSMsgType.TEXT:
                continue
            payload = json.loads(message.data)
            op, data = payload.get("op"), payload.get("d")
            if op == 1:
                await ws.send_str(json.dumps({"op": 11, "d": None, "s": None, "t": None}))
            elif op == 2:
                if not data.get("token"):
                    await ws.close(code=4004, message=b"Authentication failed.")
                    break
                session = await self._identify(ws, data)
            elif op == 6:
                session = await self._resume(ws, data)
        if session is not None and session.ws is ws:
            session.ws = None
        return ws

    async def _identify(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> Session:
        shard = tuple(data.get("shard") or (0, 1))
        session = Session(secrets.token_hex(16), (int(shard[0]), int(shard[1])), ws=ws)
        # A new IDENTIFY for the same shard replaces the old session, as on Discord.
        for old in [s for s in self.sessions.values() if s.shard == session.shard]:
            del self.sessions[old.id]
        self.sessions[session.id] = session
        self.identifies += 1
        guilds = [g for g in self.world.guilds.values() if session.owns(g.id)]
        await self.dispatch(session, "READY", {
            "v": 10, "user": {**self.world.bot_user, "verified": True, "mfa_enabled": False},
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": session.id, "session_type": "normal", "resume_gateway_url": self.url,
            "shard": list(session.shard), "application": {"id": str(self.world.application_id), "flags": 0},
            "private_channels": [], "relationships": [], "presences": [], "guild_join_requests": [],
            "geo_ordered_rtc_regions": [], "auth": {}, "user_settings": {},
        })
        for guild in guilds:
            await self.dispatch(session, "GUILD_CREATE", guild.to_dict(self.world))
        async with self.identified:
            self.identified.notify_all()
        return session

    async def _resume(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> Session | None:
        session = self.sessions.get(data.get("session_id", ""))
        if session is None:
            await ws.send_str(json.dumps({"op": 9, "d": False, "s": None, "t": None}))
            return None
        async with session.lock:
            session.ws = ws
            self.resumes += 1
            missed = [p for p in session.history if p["s"] > int(data.get("seq") or 0)]
            for payload in missed:
                await ws.send_str(json.dumps(payload))
            await self._send(session, "RESUMED", {})
        async with self.identified:
            self.identified.notify_all()
        return session

    async def drop(self) -> int:
        """Fault: cut every connection as a network blip would; the sessions stay resumable."""
        dropped = 0
        for session in self.sessions.values():
            if session.ws is not None and not session.ws.closed:
                await session.ws.close(code=RESUMABLE_CLOSE, message=b"sandbox: connection dropped")
                session.ws = None
                dropped += 1
        return dropped

    async def invalidate(self) -> int:
        """Fault: INVALID_SESSION (not resumable): the bot must IDENTIFY again."""
        count = 0
        for session in list(self.sessions.values()):
            if session.ws is not None and not session.ws.closed:
                await session.ws.send_str(json.dumps({"op": 9, "d": False, "s": None, "t": None}))
                count += 1
            del self.sessions[session.id]
        return count

    async def close(self) -> None:
        for session in self.sessions.values():
            if session.ws is not None and not session.ws.closed:
                await session.ws.close(code=1001, message=b"sandbox shutting down")
