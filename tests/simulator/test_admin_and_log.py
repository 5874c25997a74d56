"""The admin endpoint, the request log and counters, clocks and the in-process runner."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import aiohttp
from aiohttp import web
import pytest

from simulator.clock import DEFAULT_START, ManualClock, ScaledClock
from simulator.core import origin_for
from simulator.routes.admin import _loopback_only
from simulator.testing import Simulator
from tests.conftest import SimulatorFactory

from .conftest import Api


async def test_state_summary(api: Api) -> None:
    state = (await api.get("/_admin/state", token=None)).json()
    assert state["evse_ids"] == api.sim.evse_ids
    assert state["primary_user_id"] == api.sim.primary_user_id
    assert state["origin"] == api.sim.origin
    assert len(state["open_sessions"]) == 1


async def test_fault_through_admin(api: Api) -> None:
    ok = await api.request(
        "POST", "/_admin/faults/server_errors", json_body={"count": 1, "status": 503}
    )
    assert ok.json()["ok"] is True
    assert (await api.get("/v2/evses")).status == 503
    added = await api.request("POST", "/_admin/faults/add_evse", json_body={})
    assert added.json()["result"]["id"].startswith("evse")
    cleared = await api.request("POST", "/_admin/faults/clear")
    assert cleared.status == 200


@pytest.mark.parametrize(
    ("name", "body", "status"),
    [
        ("explode", {}, 404),
        ("server_errors", {"colour": "red"}, 400),
        ("remove_evse", {"evse_id": "evse0"}, 400),
    ],
)
async def test_bad_admin_fault_calls(
    api: Api, name: str, body: dict[str, Any], status: int
) -> None:
    reply = await api.request("POST", f"/_admin/faults/{name}", json_body=body)
    assert reply.status == status


async def test_admin_body_must_be_a_json_object(api: Api) -> None:
    for body in (b"[1]", b"{nope"):
        reply = await api.request(
            "POST",
            "/_admin/clock/advance",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        assert reply.status == 400


async def test_clock_and_tokens_through_admin(api: Api) -> None:
    moved = await api.request("POST", "/_admin/clock/advance", json_body={"seconds": 600})
    assert moved.json()["now"] == "2026-11-20T17:40:00.000000Z"
    assert api.sim.state.evse_logs[api.sim.evse_ids[0]][-1].sampled_at.minute == 40
    bad = await api.request("POST", "/_admin/clock/advance", json_body={"seconds": "soon"})
    assert bad.status == 400
    token = (await api.request("POST", "/_admin/tokens", json_body={"scopes": "evse:read"})).json()
    assert (await api.get("/v2/evses", token=token["access_token"])).status == 200
    assert (await api.get("/v2/vehicles", token=token["access_token"])).status == 403


async def test_webhooks_and_rate_limit_through_admin(api: Api) -> None:
    missing = await api.request("POST", "/_admin/webhooks", json_body={})
    assert missing.status == 400
    secret = (
        await api.request("POST", "/_admin/webhooks", json_body={"url": "http://127.0.0.1:9/"})
    ).json()
    assert secret["secret"].startswith("whsec_")
    delivered = await api.request("POST", "/_admin/webhooks/deliver")
    assert delivered.json() == {"delivered": 0}
    limited = await api.request("POST", "/_admin/rate_limit", json_body={"limit": 1, "reset": True})
    assert limited.json() == {"limit": 1}
    assert (await api.get("/v2/evses")).status == 200
    assert (await api.get("/v2/evses")).status == 429


async def test_request_log_and_counters(api: Api) -> None:
    evse_id = api.sim.evse_ids[0]
    await api.get(f"/v2/evses/{evse_id}", params={"expand": "model"})
    await api.get("/v2/evses/evse0")
    await api.get("/v2/evses", token=None)
    log = api.sim.requests
    assert [r.endpoint for r in log] == [
        "GET /v2/evses/{evse_id}",
        "GET /v2/evses/{evse_id}",
        "GET /v2/evses",
    ]
    first = log[0]
    assert first.path == f"/v2/evses/{evse_id}"
    assert first.query == {"expand": ["model"]}
    assert (first.client_id, first.user_id, first.status) == (
        "ha-test-client",
        api.sim.primary_user_id,
        200,
    )
    assert first.time == DEFAULT_START
    assert log[2].client_id is None
    counters = api.sim.counters
    assert counters.by_endpoint["GET /v2/evses/{evse_id}"] == 2
    assert counters.by_status[404] == 1
    assert counters.by_client["ha-test-client"] == 2
    assert len(log.for_endpoint("GET /v2/evses")) == 1
    over_http = (await api.get("/_admin/counters", token=None)).json()
    assert over_http["total"] == 3
    entries = (await api.get("/_admin/requests", params={"limit": "2"}, token=None)).json()
    assert [e["status"] for e in entries] == [404, 401]
    assert (await api.get("/_admin/requests", params={"limit": "0"}, token=None)).json() == []
    await api.request("DELETE", "/_admin/requests")
    assert len(api.sim.requests) == 0
    assert api.sim.counters.total == 0
    await api.get("/v2/evses")
    api.sim.requests.clear()
    assert api.sim.counters.total == 0


def test_admin_refuses_other_hosts() -> None:
    for remote in ("192.168.1.20", None):
        with pytest.raises(web.HTTPForbidden):
            _loopback_only(SimpleNamespace(remote=remote))  # type: ignore[arg-type]
    _loopback_only(SimpleNamespace(remote="::1"))  # type: ignore[arg-type]


def test_manual_clock_rules() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ManualClock(datetime(2026, 1, 1))  # noqa: DTZ001 - the point of the test
    clock = ManualClock(DEFAULT_START)
    seen: list[datetime] = []
    clock.subscribe(seen.append)
    clock.advance(timedelta(minutes=1))
    clock.advance(1.5)
    clock.unsubscribe(seen.append)
    clock.unsubscribe(seen.append)
    clock.advance(1)
    assert seen == [DEFAULT_START + timedelta(minutes=1), DEFAULT_START + timedelta(seconds=61.5)]
    with pytest.raises(ValueError, match="forward"):
        clock.advance(-1)


def test_scaled_clock_runs_k_times_faster() -> None:
    ticks = iter([100.0, 102.0, 102.0, 102.0])
    clock = ScaledClock(DEFAULT_START, speed=60, monotonic=lambda: next(ticks))
    assert clock.now() == DEFAULT_START + timedelta(minutes=2)
    clock.advance(60)
    assert clock.now() == DEFAULT_START + timedelta(minutes=3)
    with pytest.raises(ValueError, match="forward"):
        clock.advance(-5)
    with pytest.raises(ValueError, match="positive"):
        ScaledClock(speed=0)
    assert abs(ScaledClock().now() - datetime.now(UTC)) < timedelta(seconds=5)


async def test_sped_up_clock_moves_the_world_in_the_background(
    simulator_factory: SimulatorFactory, http: aiohttp.ClientSession
) -> None:
    clock = ScaledClock(DEFAULT_START, speed=3600)
    async with simulator_factory("home", clock=clock, tick_seconds=0.02) as sim:
        before = len(sim.state.evse_logs[sim.evse_ids[0]])
        await asyncio.sleep(0.3)  # about 18 simulated minutes
        assert len(sim.state.evse_logs[sim.evse_ids[0]]) > before
        api = Api(sim, http, sim.issue_token().access_token)
        latest = (
            await api.get(f"/v2/evses/{sim.evse_ids[0]}", params={"expand": "latest_status_log"})
        ).json()
        assert latest["latest_status_log"]["sampled_at"] > "2026-11-20T17:30"


async def test_runner_cleans_up_and_origin_is_loopback(simulator_factory: SimulatorFactory) -> None:
    async with simulator_factory("empty") as sim:
        assert sim.origin.startswith("http://127.0.0.1:")
        assert sim.api_base == sim.origin + "/v2"
        origin = sim.origin
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientConnectionError):
            await session.get(origin + "/v2/")


async def test_renderer_falls_back_to_the_request_origin(
    simulator: Simulator, http: aiohttp.ClientSession
) -> None:
    origin = simulator.origin
    simulator.origin = ""
    api = Api(simulator, http, simulator.issue_token().access_token)
    reply = await api.get(origin + "/v2/evses")
    assert reply.json()[0]["url"].startswith(origin)
    portal = (await api.get(origin + "/v2/webhook_portal")).json()
    assert portal["url"].startswith(origin)


@pytest.mark.parametrize(
    ("host", "origin"),
    [
        ("127.0.0.1", "http://127.0.0.1:8099"),
        ("0.0.0.0", "http://127.0.0.1:8099"),  # noqa: S104 - the case under test
        ("::1", "http://[::1]:8099"),
    ],
)
def test_origin_for_bound_addresses(host: str, origin: str) -> None:
    assert origin_for(host, 8099) == origin
