"""Helpers for talking to a running simulator over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
import json
from typing import Any

import aiohttp
from multidict import CIMultiDict
import pytest

from simulator.testing import Simulator

DEFAULT_TOKEN = "<the client's token>"  # a marker: "use the default token"


@dataclass
class Reply:
    """A response read in full."""

    status: int
    # Header names are case-insensitive; newer aiohttp writes ours title-cased.
    headers: CIMultiDict[str]
    raw_headers: list[tuple[str, str]]
    body: bytes
    content_type: str

    def json(self) -> Any:
        """Decode the body."""
        return json.loads(self.body)


class Api:
    """A tiny HTTP client bound to one simulator and (optionally) one access token."""

    def __init__(self, sim: Simulator, session: aiohttp.ClientSession, token: str | None) -> None:
        """Bind to ``sim`` with ``token`` as the default bearer token."""
        self.sim = sim
        self.session = session
        self.token = token

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
        token: str | None = DEFAULT_TOKEN,
        data: Any = None,
        auth: aiohttp.BasicAuth | None = None,
        allow_redirects: bool = True,
    ) -> Reply:
        """Send a request to ``sim.origin + path`` (``token=None`` sends none)."""
        all_headers = dict(headers or {})
        bearer = self.token if token is DEFAULT_TOKEN else token
        if bearer is not None:
            all_headers["Authorization"] = f"Bearer {bearer}"
        url = path if path.startswith("http") else self.sim.origin + path
        async with self.session.request(
            method,
            url,
            params=params,
            json=json_body,
            data=data,
            headers=all_headers,
            auth=auth,
            allow_redirects=allow_redirects,
        ) as response:
            body = await response.read()
            return Reply(
                response.status,
                CIMultiDict(response.headers),
                [(k.decode(), v.decode()) for k, v in response.raw_headers],
                body,
                response.content_type,
            )

    async def get(self, path: str, **kwargs: Any) -> Reply:
        """GET ``path``."""
        return await self.request("GET", path, **kwargs)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """Yield an aiohttp client session."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def api(simulator: Simulator, http: aiohttp.ClientSession) -> Api:
    """Return a client of the home simulator with an all-scopes user token."""
    return Api(simulator, http, simulator.issue_token().access_token)
