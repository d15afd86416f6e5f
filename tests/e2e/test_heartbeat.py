"""The sandbox acknowledges heartbeats as Discord does, a round trip later: discord.py measures a small latency and
so never warns that it "can't keep up" (it did at every beat when the ack came before it had noted the send)."""

from __future__ import annotations

import asyncio

import pytest

from bot.discord.client import ReleaseBot
from bot.sandbox.server import Sandbox
from tests.e2e.conftest import wait_until

INTERVAL_MS = 2000  # Discord's is 41.25 s: short, so the keep-alive thread beats a few times within the test


@pytest.mark.parametrize("sandbox", [{"heartbeat_interval_ms": INTERVAL_MS}], indirect=True)
async def test_the_latency_is_a_round_trip_not_the_time_since_the_last_beat(
    sandbox: Sandbox, running_bot: ReleaseBot
) -> None:
    assert sandbox.gateway is not None
    gateway = sandbox.gateway
    # The first ack answers the heartbeat sent on HELLO; the next ones, the keep-alive thread's beats.
    # By the 4th, the client has long read the 3rd: its latency is that of a beat of the thread's.
    await wait_until(lambda: asyncio.sleep(0, gateway.heartbeat_acks), lambda acks: acks >= 4, timeout=30)
    # Measured from the previous beat, it would be about the interval: discord.py warns "Can't keep up, … behind"
    # above 10 s, so at every beat with Discord's interval.
    assert running_bot.latency < INTERVAL_MS / 1000 / 2
