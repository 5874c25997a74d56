"""Fixtures shared by all test folders: a running ev.energy simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
import contextlib
from contextlib import AbstractAsyncContextManager
import logging
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from simulator.testing import Simulator, run_simulator

# pytest-homeassistant-custom-component turns SQLAlchemy's statement log on; the recorder's thread then writes
# every statement of the statistics tests to the terminal, burying the test output.
logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)

# ev.energy's official OpenAPI spec, kept in the repository (where and when it was taken: docs/api/SOURCE.md).
OPENAPI_SPEC = (
    Path(__file__).resolve().parent.parent / "docs" / "api" / "ev-energy-api-v2-openapi.yaml"
)

# Set by .ci/run: a skipped test fails the run (every test must run from a plain clone).
FAIL_ON_SKIP = "EV_ENERGY_FAIL_ON_SKIP"
_skipped: list[str] = []

type SimulatorFactory = Callable[..., AbstractAsyncContextManager[Simulator]]


@pytest.fixture
def local_sockets(request: pytest.FixtureRequest) -> None:
    """Let the simulator bind 127.0.0.1: pytest-socket (from HA's test plugin) blocks sockets."""
    with contextlib.suppress(pytest.FixtureLookupError):  # absent without pytest-socket
        request.getfixturevalue("socket_enabled")


@pytest.fixture
async def simulator(
    local_sockets: None, request: pytest.FixtureRequest
) -> AsyncIterator[Simulator]:
    """Yield a running home-scenario simulator on a manual clock.

    A ``simulator`` marker's keywords are its options, e.g. ``@pytest.mark.simulator(home_energy=False)``.
    """
    marker = request.node.get_closest_marker("simulator")
    async with run_simulator("home", **(marker.kwargs if marker else {})) as sim:
        yield sim


@pytest.fixture
def simulator_factory(local_sockets: None) -> SimulatorFactory:
    """Return ``run_simulator`` to start other scenarios: ``async with factory("fleet") as sim``."""

    def factory(scenario: str = "home", **options: Any) -> AbstractAsyncContextManager[Simulator]:
        return run_simulator(scenario, **options)

    return factory


@pytest.fixture(scope="session")
def openapi_spec() -> dict[str, Any]:
    """The official OpenAPI document; a missing file fails the tests that need it, never skips them."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with OPENAPI_SPEC.open(encoding="utf-8") as file:
        spec: dict[str, Any] = yaml.load(file, Loader=loader)  # noqa: S506 - a safe loader
    return spec


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Remember every skipped test with its reason."""
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        _skipped.append(f"{report.nodeid}: {reason}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Under EV_ENERGY_FAIL_ON_SKIP=1 (CI) a run with a skipped test fails."""
    if os.environ.get(FAIL_ON_SKIP) == "1" and _skipped and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say which tests skipped and why, and that CI fails on them."""
    if os.environ.get(FAIL_ON_SKIP) == "1" and _skipped:
        terminalreporter.section(f"{FAIL_ON_SKIP}=1: skipped tests fail the run", red=True)
        for line in _skipped:
            terminalreporter.line(line)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Keep each real-process test file on one pytest-xdist worker, in order; spread all other tests singly.

    The tests of a file under tests/e2e share one Home Assistant process and build on each other's state; every
    other test stands alone, so `--dist loadgroup` (scripts/test) balances the long ones over the workers.
    """
    for item in items:
        if item.get_closest_marker("e2e") is not None:
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::", 1)[0]))
