"""Vehicle location logs: what they say, and how they are served."""

from __future__ import annotations

from datetime import timedelta
import re
from typing import Any

from simulator.persistence import restore, snapshot
from simulator.timeutil import iso, parse_iso
from tests.conftest import SimulatorFactory

from .conftest import Api

NEXT = re.compile(r'<([^>]*)>; rel="next"')


async def _all_pages(api: Api, path: str, params: dict[str, str]) -> tuple[list[Any], int]:
    """Follow the Link header's next pages; return every item and the number of pages."""
    reply = await api.get(path, params=params)
    assert reply.status == 200, reply.body
    items, pages = list(reply.json()), 1
    while (match := NEXT.search(reply.headers["Link"])) and match.group(1) != "about:blank":
        reply = await api.get(match.group(1))
        assert reply.status == 200, reply.body
        items += reply.json()
        pages += 1
    return items, pages


# ------------------------------------------------------------------ vehicle location logs


async def test_each_car_report_has_a_location_log_saying_whether_it_was_home(api: Api) -> None:
    sim = api.sim
    vehicle_id = sim.vehicle_ids[0]
    sim.clock.advance(timedelta(hours=24))  # a commute: the car leaves and comes back
    api = Api(sim, api.session, sim.issue_token().access_token)  # the old token expired
    states = {log.sampled_at: log.state for log in sim.state.vehicle_logs[vehicle_id]}
    logs, _pages = await _all_pages(
        api, f"/v2/vehicles/{vehicle_id}/location_logs", {"page_size": "100"}
    )
    assert [parse_iso(log["sampled_at"]) for log in logs] == sorted(states, reverse=True)
    assert {log["at_home"] for log in logs} == {True, False}
    for log in logs:
        assert log["at_home"] is (states[parse_iso(log["sampled_at"])] != "DRIVING")
        assert log["vehicle"] == f"{sim.api_base}/vehicles/{vehicle_id}"
        assert parse_iso(log["logged_at"]) > parse_iso(log["sampled_at"])


async def test_location_logs_page_newest_first_and_filter_by_sampled_at(api: Api) -> None:
    vehicle_id = api.sim.vehicle_ids[0]
    truth = api.sim.state.vehicle_location_logs[vehicle_id]
    path = f"/v2/vehicles/{vehicle_id}/location_logs"
    logs, pages = await _all_pages(api, path, {"page_size": "50"})
    assert [log["sampled_at"] for log in logs] == [iso(t.sampled_at) for t in reversed(truth)]
    assert pages == -(-len(truth) // 50) > 1
    since, until = truth[-10].sampled_at, truth[-3].sampled_at
    window = await api.get(
        path, params={"sampled_at__gte": iso(since), "sampled_at__lte": iso(until)}
    )
    assert [log["sampled_at"] for log in window.json()] == [
        iso(t.sampled_at) for t in reversed(truth[-10:-2])
    ]
    assert (await api.get(path, params={"sampled_at__gte": "yesterday"})).status == 400


async def test_location_log_detail_expands_the_vehicle(api: Api) -> None:
    vehicle_id = api.sim.vehicle_ids[0]
    newest = api.sim.state.vehicle_location_logs[vehicle_id][-1]
    path = f"/v2/vehicles/{vehicle_id}/location_logs/{iso(newest.sampled_at)}"
    reply = await api.get(path, params={"expand": "vehicle.trim"})
    assert reply.status == 200
    body = reply.json()
    assert body["url"] == api.sim.api_base + path.removeprefix("/v2")
    assert body["at_home"] is newest.at_home
    assert body["vehicle"]["id"] == vehicle_id
    assert body["vehicle"]["trim"]["id"] == api.sim.state.vehicles[vehicle_id].trim_id
    missing = await api.get(f"/v2/vehicles/{vehicle_id}/location_logs/2026-11-20T17:21:00Z")
    assert missing.status == 404
    assert missing.json()["detail"] == "No location log matches the given query."
    assert (await api.get(f"{path}", params={"expand": "trim"})).status == 400


async def test_location_logs_need_vehicle_read_and_the_owner(api: Api) -> None:
    sim = api.sim
    path = f"/v2/vehicles/{sim.vehicle_ids[0]}/location_logs"
    assert (
        await api.get(path, token=sim.issue_token(scopes=["evse:read"]).access_token)
    ).status == 403
    assert (
        await api.get(path, token=sim.issue_token(scopes=["vehicle:read"]).access_token)
    ).status == 200
    other = sim.add_user()
    theirs = sim.faults.add_vehicle(user_id=other.id)
    assert (await api.get(f"/v2/vehicles/{theirs.id}/location_logs")).status == 404
    assert (
        await api.get("/v2/vehicles/vhcl00000000000000000000000000/location_logs")
    ).status == 404


async def test_a_car_without_telemetry_has_no_location_logs(
    simulator_factory: SimulatorFactory, http: Any
) -> None:
    async with simulator_factory("unintegrated") as sim:
        api = Api(sim, http, sim.issue_token().access_token)
        reply = await api.get(f"/v2/vehicles/{sim.vehicle_ids[0]}/location_logs")
        assert reply.status == 200
        assert reply.json() == []


async def test_location_logs_persist_like_the_other_logs(
    simulator_factory: SimulatorFactory,
) -> None:
    async with simulator_factory("home") as sim:
        sim.clock.advance(timedelta(days=2))  # more reports than a state file keeps
        vehicle_id = sim.vehicle_ids[0]
        saved = snapshot(sim)
        kept = sim.state.vehicle_location_logs[vehicle_id][-500:]
        assert len(sim.state.vehicle_location_logs[vehicle_id]) > len(kept)
    async with simulator_factory("home") as again:
        restore(again, saved)
        assert again.state.vehicle_location_logs[vehicle_id] == kept
