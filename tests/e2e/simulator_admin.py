"""The simulator's truth, read the way a test oracle should: from its admin endpoint and its own v2 API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp


class SimulatorAdmin:
    """The simulator at `origin`, seen through /_admin/ and /v2 with a token minted by /_admin/tokens."""

    def __init__(self, origin: str, session: aiohttp.ClientSession) -> None:
        """Talk to the simulator at origin (http://127.0.0.1:PORT)."""
        self.origin = origin
        self.session = session
        self._token: str | None = None

    async def _json(self, method: str, path: str, body: Any = None) -> Any:
        headers = {"Authorization": f"Bearer {self._token}"} if path.startswith("/v2") else {}
        async with self.session.request(
            method, f"{self.origin}{path}", json=body, headers=headers
        ) as response:
            text = await response.text()
            assert response.status < 400, f"{method} {path} -> {response.status}: {text[:300]}"
            return await response.json(content_type=None)

    async def state(self) -> dict[str, Any]:
        """Return /_admin/state: scenario, simulated now, ids of users and devices."""
        result: dict[str, Any] = await self._json("GET", "/_admin/state")
        return result

    async def advance(self, seconds: float) -> str:
        """Move simulated time forward; return the new simulated now."""
        result = await self._json("POST", "/_admin/clock/advance", {"seconds": seconds})
        return str(result["now"])

    async def advance_to_wall_clock(self, lag: timedelta = timedelta(0)) -> None:
        """Bring a manual clock (which starts at the scenario's fixed start) up to ``lag`` before the real now.

        The integration judges samples by Home Assistant's real clock, so the world must be current: a sample
        dated in the future is not fresh. A lag leaves room to let simulated time pass later without getting
        ahead of the real clock.
        """
        now = datetime.fromisoformat((await self.state())["now"])
        behind = (datetime.now(UTC) - lag - now).total_seconds()
        if behind > 0:
            await self.advance(behind)

    async def _ensure_token(self) -> None:
        if self._token is None:
            user_id = (await self.state())["primary_user_id"]
            pair = await self._json("POST", "/_admin/tokens", {"user_id": user_id})
            self._token = pair["access_token"]

    async def v2(self, path: str, **params: str) -> Any:
        """GET a v2 API path as the primary user (for example /v2/vehicles/ID)."""
        await self._ensure_token()
        query = "&".join(f"{key}={value}" for key, value in params.items())
        return await self._json("GET", f"{path}?{query}" if query else path)

    async def device(self, kind: str, device_id: str) -> dict[str, Any]:
        """Return one charger (evses), vehicle (vehicles) or inverter (inverters) with its latest sample."""
        result: dict[str, Any] = await self.v2(
            f"/v2/{kind}/{device_id}", expand="latest_status_log"
        )
        return result
