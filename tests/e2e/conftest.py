"""End-to-end tests: a real simulator and a real Home Assistant, driven over HTTP (and a real browser)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator
from typing import Any

import aiohttp
import pytest
import pytest_socket

from .processes import RUNNING


@pytest.fixture(autouse=True, scope="module")
def real_sockets_for_processes() -> None:
    """Let module-scoped fixtures find free ports and poll the processes they start.

    The Home Assistant test plugin disables socket.socket before every test (connections stay limited
    to 127.0.0.1); module-scoped fixtures are set up after that, before any function fixture.
    """
    pytest_socket.enable_socket()


@pytest.fixture(autouse=True)
def real_sockets(socket_enabled: None) -> None:
    """Let the tests talk to the processes over 127.0.0.1."""


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """An HTTP client session for one test."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as client_session:
        yield client_session


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any]:
    """Attach the log tails of the running processes to a failed test's report."""
    outcome = yield
    report = outcome.get_result()
    if report.failed and item.get_closest_marker("e2e") is not None:
        for service in RUNNING:
            report.sections.append(
                (f"{service.name} log ({service.log_path})", service.tail(80) or "(empty)")
            )
