"""The in-process interface for tests: ``async with run_simulator() as sim: ...``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from .app import SimulatorServer
from .clock import DEFAULT_START, Clock, ManualClock, ScaledClock
from .core import Simulator
from .faults import Faults
from .oauth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, OAuthClient, TokenPair
from .requestlog import Counters, RequestLog, RequestRecord
from .webhooks import WebhookSender, sign

__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "DEFAULT_START",
    "Clock",
    "Counters",
    "Faults",
    "ManualClock",
    "OAuthClient",
    "RequestLog",
    "RequestRecord",
    "ScaledClock",
    "Simulator",
    "TokenPair",
    "WebhookSender",
    "run_simulator",
    "sign",
]


@asynccontextmanager
async def run_simulator(
    scenario: str = "home",
    *,
    seed: int = 1,
    rate_limit: int = 1000,
    clock: Clock | None = None,
    **options: Any,
) -> AsyncIterator[Simulator]:
    """Serve a simulator on 127.0.0.1 (free port) in this event loop; stop it on exit.

    ``options`` are the keyword arguments of ``Simulator`` (e.g. ``fleet_size=3``,
    ``access_token_lifetime=5``, ``demo_approve=True``, ``home_battery=True``).
    With the default ``ManualClock`` nothing runs in the background.
    """
    sim = Simulator(scenario, seed=seed, rate_limit=rate_limit, clock=clock, **options)
    server = SimulatorServer(sim)
    await server.start("127.0.0.1", 0)
    try:
        yield sim
    finally:
        await server.stop()
