"""Discord's rate limits: a global 50 requests/s per bot and per-route buckets, with Discord's headers."""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

GLOBAL_LIMIT = 50  # per second, interaction callbacks and webhooks with a token exempt
# (method, route template) -> (requests, per seconds); the major parameter splits a bucket (one per channel).
ROUTE_LIMITS = {
    ("POST", "/channels/{channel_id}/messages"): (5, 5.0),
    # Discord documents no bucket sizes (clients must read the headers); edits are limited per channel like posts.
    ("PATCH", "/channels/{channel_id}/messages/{message_id}"): (5, 5.0),
}
DEFAULT_LIMIT = (50, 1.0)


@dataclass
class Window:
    limit: int
    per: float
    used: int = 0
    reset_at: float = 0.0

    def take(self, now: float) -> float:
        """Use one request; 0 if allowed, else the seconds to wait."""
        if now >= self.reset_at:
            self.used, self.reset_at = 0, now + self.per
        if self.used >= self.limit:
            return self.reset_at - now
        self.used += 1
        return 0.0


class RateLimiter:
    def __init__(self, enabled: bool = True, global_limit: int = GLOBAL_LIMIT) -> None:
        """`global_limit`: requests per second; a test may raise it to run a large fan-out in seconds (the routes
        without a documented bucket scale with it, as their default equals Discord's global limit)."""
        self.enabled = enabled
        self.windows: dict[str, Window] = {}
        self.global_window = Window(global_limit, 1.0)
        self.default_limit = (global_limit, DEFAULT_LIMIT[1])

    @staticmethod
    def bucket_hash(method: str, template: str) -> str:
        return hashlib.sha1(f"{method} {template}".encode()).hexdigest()[:16]

    def check(
        self, method: str, template: str, major: str, exempt: bool
    ) -> tuple[dict[str, str], dict[str, object] | None]:
        """Headers for the response, and a 429 body when the request is over a limit."""
        now = time.time()
        limit, per = ROUTE_LIMITS.get((method, template), self.default_limit)
        bucket = self.bucket_hash(method, template)
        window = self.windows.setdefault(f"{bucket}:{major}", Window(limit, per))
        if not self.enabled:
            return {}, None
        if not exempt and (wait := self.global_window.take(now)):
            return self._limited(wait, bucket, window, "global"), {
                "message": "You are being rate limited.",
                "retry_after": round(wait, 3),
                "global": True,
            }
        wait = window.take(now)
        headers = {
            "X-RateLimit-Limit": str(window.limit),
            "X-RateLimit-Remaining": str(max(window.limit - window.used, 0)),
            "X-RateLimit-Reset": f"{window.reset_at:.3f}",
            "X-RateLimit-Reset-After": f"{max(window.reset_at - now, 0):.3f}",
            "X-RateLimit-Bucket": bucket,
        }
        if wait:
            return self._limited(wait, bucket, window, "user"), {
                "message": "You are being rate limited.",
                "retry_after": round(wait, 3),
                "global": False,
            }
        return headers, None

    @staticmethod
    def _limited(wait: float, bucket: str, window: Window, scope: str) -> dict[str, str]:
        headers = {
            "X-RateLimit-Limit": str(window.limit),
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": f"{time.time() + wait:.3f}",
            "X-RateLimit-Reset-After": f"{wait:.3f}",
            "X-RateLimit-Bucket": bucket,
            "X-RateLimit-Scope": scope,
            "Retry-After": str(math.ceil(wait)),
        }
        if scope == "global":
            headers["X-RateLimit-Global"] = "true"
        return headers
