"""Fixtures shared by all test folders: a running ev.energy simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
import contextlib
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest

from simulator.testing import Simulator, run_simulator

type SimulatorFactory = Callable[..., AbstractAsyncContextManager[Simulator]]


@pytest.fixture
def local_sockets(request: pytest.FixtureRequest) -> None:
    """Let the simulator bind 127.0.0.1: pytest-socket (from HA's test plugin) blocks sockets."""
    with contextlib.suppress(pytest.FixtureLookupError):  # absent without pytest-socket
        request.getfixturevalue("socket_enabled")


@pytest.fixture
async def simulator(local_sockets: None) -> AsyncIterator[Simulator]:
    """Yield a running home-scenario simulator on a manual clock."""
    async with run_simulator("home") as sim:
        yield sim


@pytest.fixture
def simulator_factory(local_sockets: None) -> SimulatorFactory:
    """Return ``run_simulator`` to start other scenarios: ``async with factory("fleet") as sim``."""

    def factory(scenario: str = "home", **options: Any) -> AbstractAsyncContextManager[Simulator]:
        return run_simulator(scenario, **options)

    return factory
