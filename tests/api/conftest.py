"""Fixtures of the API client tests: an HTTP edge we control (the spec is in ``tests/conftest.py``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
import pytest

from custom_components.ev_energy.api import EvEnergyClient, StaticTokenAuth

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class FakeApi:
    """A tiny aiohttp server on 127.0.0.1 whose answers each test scripts.

    Used only for what the simulator cannot produce (odd bodies, headers and
    statuses); requests are dispatched by (method, path) to registered handlers.
    """

    origin: str = ""
    handlers: dict[tuple[str, str], Handler] = field(default_factory=dict)
    requests: list[web.Request] = field(default_factory=list)
    fallback: Handler | None = None

    @property
    def base_url(self) -> str:
        """The API root to give the client."""
        return f"{self.origin}/v2"

    def route(self, method: str, path: str, handler: Handler) -> None:
        """Answer ``method path`` (path below /v2) with ``handler``."""
        self.handlers[(method, f"/v2{path}")] = handler

    def json(self, method: str, path: str, body: Any, status: int = 200, **headers: str) -> None:
        """Answer ``method path`` with a fixed JSON body."""

        async def handler(_request: web.Request) -> web.StreamResponse:
            return web.json_response(body, status=status, headers=headers)

        self.route(method, path, handler)

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        """Route a request to its handler, or 404."""
        self.requests.append(request)
        await request.read()  # cached, so tests can inspect the body after the response
        handler = self.handlers.get((request.method, request.path), self.fallback)
        if handler is None:
            return web.json_response({"title": "Not found"}, status=404)
        return await handler(request)


@pytest.fixture
async def fake_api(socket_enabled: None) -> AsyncIterator[FakeApi]:
    """Start a FakeApi on 127.0.0.1 for one test (connections stay limited to 127.0.0.1)."""
    api = FakeApi()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", api.dispatch)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    sockets = site._server.sockets  # type: ignore[union-attr]
    api.origin = f"http://127.0.0.1:{sockets[0].getsockname()[1]}"
    yield api
    await runner.cleanup()


@pytest.fixture
async def http_session() -> AsyncIterator[aiohttp.ClientSession]:
    """An aiohttp session closed after the test."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def fake_client(fake_api: FakeApi, http_session: aiohttp.ClientSession) -> EvEnergyClient:
    """A client pointed at the FakeApi, with a short timeout."""
    return EvEnergyClient(
        http_session, StaticTokenAuth("test-token"), base_url=fake_api.base_url, request_timeout=2
    )
