"""How gateway payloads travel on one connection, as Discord's docs describe "Encoding and Compression".

- `encoding=json` only (ETF is not implemented: such a connection is closed with 4002, decode error).
- Transport compression `compress=zlib-stream`: one zlib context for the whole connection, every payload a binary
  frame flushed with Z_SYNC_FLUSH (so it ends in 00 00 ff ff); `zstd-stream` likewise with one zstd context, each
  payload flushed to a block boundary, when a zstd implementation is importable (clients ask for zstd-stream
  only when they have one: discord.py and hikari then do so by default).
- Payload compression (identify `compress: true`, only without transport compression): dispatches are sent as
  zlib-compressed binary frames, each its own zlib stream, other payloads as text.
- What the client sends is JSON in a text *or* a binary frame, at most 4096 bytes; anything else is a decode error.
"""

from __future__ import annotations

import importlib
import json
import zlib
from collections.abc import Mapping
from typing import Any, Protocol

from aiohttp import WSMessage, WSMsgType, web

API_VERSION = 10
MAX_CLIENT_PAYLOAD = 4096  # bytes; Discord closes with 4002 beyond this
ZLIB_SUFFIX = b"\x00\x00\xff\xff"


class GatewayClose(Exception):
    """Discord closes the connection with this code and reason (opcodes-and-status-codes, gateway close codes)."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"{code} {reason}")
        self.code, self.reason = code, reason


class _StreamCompressor(Protocol):
    def __call__(self, raw: bytes) -> bytes: ...


def _zlib_stream() -> _StreamCompressor:
    context = zlib.compressobj()
    return lambda raw: context.compress(raw) + context.flush(zlib.Z_SYNC_FLUSH)


def zstd_module() -> Any:
    """A zstd implementation: Python 3.14's `compression.zstd`, its backport, or `zstandard` (which discord.py uses);
    None when none is installed."""
    for name in ("compression.zstd", "backports.zstd", "zstandard"):
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    return None


def _zstd_stream() -> _StreamCompressor:
    zstd = zstd_module()
    if zstd.__name__ == "zstandard":
        stream = zstd.ZstdCompressor().compressobj()
        return lambda raw: stream.compress(raw) + stream.flush(zstd.COMPRESSOBJ_FLUSH_BLOCK)
    context = zstd.ZstdCompressor()
    return lambda raw: context.compress(raw, mode=zstd.ZstdCompressor.FLUSH_BLOCK)


def transport_options(query: Mapping[str, str]) -> str | None:
    """Check the gateway URL's query (`v`, `encoding`, `compress`); the transport compression asked for."""
    version = query.get("v", str(API_VERSION))
    if version != str(API_VERSION):
        raise GatewayClose(4012, "Invalid API version")
    encoding = query.get("encoding", "json")
    if encoding != "json":
        raise GatewayClose(4002, f"Error while decoding payload (encoding {encoding!r}: the sandbox speaks json only)")
    compress = query.get("compress")
    if compress == "zstd-stream" and zstd_module() is None:
        raise GatewayClose(
            4000, "zstd-stream needs compression.zstd, backports.zstd or zstandard installed in the sandbox"
        )
    return compress if compress in ("zlib-stream", "zstd-stream") else None


class Transport:
    """One gateway connection's framing: what `send` puts on the wire, what `receive` accepts."""

    def __init__(self, ws: web.WebSocketResponse, compress: str | None) -> None:
        self.ws = ws
        self.compress = compress
        self.payload_compression = False  # identify's `compress`, ignored under transport compression
        self._stream: _StreamCompressor | None = (
            {"zlib-stream": _zlib_stream, "zstd-stream": _zstd_stream}[compress]() if compress else None
        )

    def enable_payload_compression(self) -> None:
        if self._stream is None:
            self.payload_compression = True

    async def send(self, payload: dict[str, Any]) -> None:
        raw = json.dumps(payload, separators=(",", ":"))
        if self._stream is not None:
            frame: bytes | str = self._stream(raw.encode())
        elif self.payload_compression and payload.get("op") == 0:
            frame = zlib.compress(raw.encode())
        else:
            frame = raw
        if isinstance(frame, bytes):
            await self.ws.send_bytes(frame)
        else:
            await self.ws.send_str(frame)

    @staticmethod
    def decode(message: WSMessage) -> dict[str, Any]:
        """A client payload from a text or binary frame; GatewayClose(4002) if it is not a JSON object."""
        data = message.data if message.type == WSMsgType.BINARY else str(message.data).encode()
        if len(data) > MAX_CLIENT_PAYLOAD:
            raise GatewayClose(4002, f"Error while decoding payload (over {MAX_CLIENT_PAYLOAD} bytes)")
        try:
            payload = json.loads(data)
        except ValueError:
            raise GatewayClose(4002, "Error while decoding payload") from None
        if not isinstance(payload, dict):
            raise GatewayClose(4002, "Error while decoding payload")
        return payload
