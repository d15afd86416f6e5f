"""What operators can graph: posts by outcome, delivery delay, interaction latency, rate-limit waits, queue depth.

The counters always exist (updating one is a few nanoseconds); they are only served over HTTP when the operator
asks for it with `release-bot run --metrics-port N`.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, start_http_server

POSTS = Counter("release_bot_posts", "Announcement posts by outcome", ["outcome"])  # sent|late|skipped|failed
DELIVERY_DELAY = Histogram(
    "release_bot_delivery_delay_seconds",
    "From a post's due instant to Discord's answer",
    buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600),
)
INTERACTION_LATENCY = Histogram(
    "release_bot_interaction_seconds",
    "From an interaction's arrival to its reply",
    ["command"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5),
)
RATE_LIMIT_WAIT = Histogram(
    "release_bot_rate_limit_wait_seconds",
    "Time posts waited for a pacing slot",
    buckets=(0, 0.01, 0.1, 0.5, 1, 5, 10, 30, 60, 300),
)
QUEUE_DEPTH = Gauge("release_bot_post_queue_depth", "Posts due and waiting for a pacing slot")


def serve(port: int, host: str = "127.0.0.1") -> None:
    """Expose /metrics on `host:port` (loopback by default: put a scrape proxy in front to publish it)."""
    start_http_server(port, addr=host)
