"""End-to-end tests: a real simulator and a real Home Assistant, driven over HTTP (and a real browser).

Nothing here needs pytest-homeassistant-custom-component: one CI leg runs this folder on a Home Assistant that
plugin does not support yet (pytest-socket gives ``socket_enabled``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator, Iterator
from typing import Any

import aiohttp
import pytest
import pytest_socket

from . import processes
from .browser_setup import (
    BrowserUnavailableError,
    ensure_chromium,
    ensure_playwright,
    simulator_and_home_assistant,
)
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


@pytest.fixture(scope="module")
def browser() -> tuple[str, str]:
    """Node and Chromium, installed when missing; skip only where Chromium cannot be had."""
    try:
        node = ensure_playwright()
        chromium = ensure_chromium()
    except BrowserUnavailableError as err:
        pytest.skip(str(err))
    return node, chromium


@pytest.fixture(scope="module")
def services(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[processes.Service, processes.Service]]:
    """The simulator with its consent page (real time) and a fresh Home Assistant, for one browser module.

    The module's OUT_DIR gets the logs; its simulator_args() (if it has one) returns the simulator's extra
    options, asked for when the simulator starts.
    """
    module = request.module
    extra = getattr(module, "simulator_args", tuple)
    with simulator_and_home_assistant(
        tmp_path_factory.mktemp(module.__name__.rpartition(".")[2]),
        logs_into=module.OUT_DIR,
        simulator_args=extra(),
    ) as started:
        yield started


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
