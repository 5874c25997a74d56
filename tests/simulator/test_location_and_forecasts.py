"""Vehicle location logs and solar forecasts: what they say, and how they are served."""

from __future__ import annotations

from datetime import datetime, timedelta
import itertools
import re
from typing import Any

from simulator.persistence import restore, snapshot
from simulator.testing import Simulator
from simulator.timeutil import iso, parse_iso
from tests.conftest import SimulatorFactory

from .conftest import Api

NEXT = re.compile(r'<([^>]*)>; rel="next"')
HALF_HOUR = timedelta(minutes=30)


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


def _forecast_id(sim: Simulator) -> str:
    return next(iter(sim.state.solar_forecasts))


def _midnight(when: datetime) -> datetime:
    return when.replace(hour=0, minute=0, second=0, microsecond=0)


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


# ---------------------------------------------------------------------- solar forecasts


async def test_a_home_with_solar_has_one_forecast_at_home(api: Api) -> None:
    sim = api.sim
    user = sim.state.users[sim.primary_user_id]
    listed = (await api.get("/v2/solar_forecasts")).json()
    forecast_id = _forecast_id(sim)
    assert listed == [
        {
            "id": forecast_id,
            "url": f"{sim.api_base}/solar_forecasts/{forecast_id}",
            "location": {"latitude": user.latitude, "longitude": user.longitude},
        }
    ]
    assert re.fullmatch(r"solf[A-Z\d]{26}", forecast_id)
    assert (await api.get(f"/v2/solar_forecasts/{forecast_id}")).json() == listed[0]
    sim.builder.add_solar(sim.primary_user_id)  # a second array: still one place to forecast
    assert (await api.get("/v2/solar_forecasts")).json() == listed


async def test_homes_without_solar_have_no_forecast(
    simulator_factory: SimulatorFactory, http: Any
) -> None:
    async with simulator_factory("fleet", fleet_size=1) as sim:
        api = Api(sim, http, sim.issue_token().access_token)
        assert (await api.get("/v2/solar_forecasts")).json() == []


async def test_forecasts_need_their_scope_and_the_owner(api: Api) -> None:
    sim = api.sim
    forecast_id = _forecast_id(sim)
    solar_only = sim.issue_token(scopes=["solar:read", "inverter:read"]).access_token
    for path in (
        "/v2/solar_forecasts",
        f"/v2/solar_forecasts/{forecast_id}",
        f"/v2/solar_forecasts/{forecast_id}/forecast_logs",
    ):
        reply = await api.get(path, token=solar_only)
        assert reply.status == 403, path
        assert "solar_forecast:read" in reply.json()["detail"]
    other = sim.add_user()
    sim.builder.add_solar(other.id)
    theirs = next(f.id for f in sim.state.solar_forecasts.values() if f.user_id == other.id)
    assert (await api.get(f"/v2/solar_forecasts/{theirs}")).status == 404
    assert (await api.get(f"/v2/solar_forecasts/{theirs}/forecast_logs")).status == 404
    assert [f["id"] for f in (await api.get("/v2/solar_forecasts")).json()] == [forecast_id]
    mine = sim.issue_token(user_id=other.id).access_token
    assert (await api.get(f"/v2/solar_forecasts/{theirs}", token=mine)).status == 200


async def test_forecast_logs_are_half_hours_from_today_newest_first(api: Api) -> None:
    sim = api.sim
    forecast_id = _forecast_id(sim)
    path = f"/v2/solar_forecasts/{forecast_id}/forecast_logs"
    logs, pages = await _all_pages(api, path, {"page_size": "100"})
    starts = [parse_iso(log["started_at"]) for log in logs]
    today = _midnight(sim.clock.now())
    assert starts == [today + HALF_HOUR * n for n in reversed(range(3 * 48))]
    assert pages == 2
    assert {log["interval_seconds"] for log in logs} == {1800}
    assert {log["solar_forecast"] for log in logs} == {
        f"{sim.api_base}/solar_forecasts/{forecast_id}"
    }
    by_start = {parse_iso(log["started_at"]): log["forecast_watts_per_kilowatt"] for log in logs}
    assert by_start[today.replace(hour=2)] == 0  # night
    assert by_start[today.replace(hour=12)] > 100  # noon


async def test_forecast_logs_filter_by_start_and_expand_the_forecast(api: Api) -> None:
    forecast_id = _forecast_id(api.sim)
    today = _midnight(api.sim.clock.now())
    path = f"/v2/solar_forecasts/{forecast_id}/forecast_logs"
    params = {
        "started_at__gte": iso(today.replace(hour=10)),
        "started_at__lte": iso(today.replace(hour=12)),
        "expand": "solar_forecast",
    }
    window = (await api.get(path, params=params)).json()
    assert [log["started_at"] for log in window] == [
        iso(today.replace(hour=h, minute=m))
        for h, m in ((12, 0), (11, 30), (11, 0), (10, 30), (10, 0))
    ]
    assert {log["solar_forecast"]["id"] for log in window} == {forecast_id}
    noon = await api.get(f"{path}/{iso(today.replace(hour=12))}")
    assert noon.status == 200
    assert noon.json() == {**window[0], "solar_forecast": window[0]["solar_forecast"]["url"]}
    assert (await api.get(f"{path}/{iso(today.replace(hour=12, minute=10))}")).status == 404
    assert (await api.get(f"{path}/{iso(today - HALF_HOUR)}")).status == 404
    assert (await api.get(f"{path}/not-a-time")).status == 404
    assert (await api.get(path, params={"expand": "user"})).status == 400


async def test_a_started_period_keeps_its_forecast_while_later_ones_are_renewed(
    api: Api,
) -> None:
    sim = api.sim
    path = f"/v2/solar_forecasts/{_forecast_id(sim)}/forecast_logs"
    today = _midnight(sim.clock.now())  # the clock is at 17:30
    before = {log["started_at"]: log for log in (await _all_pages(api, path, {}))[0]}
    morning, tomorrow_noon = (
        iso(today.replace(hour=9)),
        iso(today.replace(hour=12) + timedelta(days=1)),
    )
    assert before[morning]["sampled_at"] == iso(today.replace(hour=6))
    assert before[tomorrow_noon]["sampled_at"] == iso(today.replace(hour=12))
    sim.clock.advance(timedelta(hours=1))  # past 18:00: a new forecast
    after = {log["started_at"]: log for log in (await _all_pages(api, path, {}))[0]}
    assert after[morning] == before[morning]
    assert after[tomorrow_noon]["sampled_at"] == iso(today.replace(hour=18))
    # The new forecast's seeded error differs: some daylight periods ahead change value.
    watts = "forecast_watts_per_kilowatt"
    renewed = [s for s in after if s > iso(sim.clock.now()) and after[s][watts] != before[s][watts]]
    assert renewed


async def test_the_forecast_is_close_to_what_the_sun_then_does(api: Api) -> None:
    sim = api.sim
    capacity_kw = sum(a.capacity_watts for a in sim.state.solar_arrays.values()) / 1000
    tomorrow = _midnight(sim.clock.now()) + timedelta(days=1)
    params = {
        "started_at__gte": iso(tomorrow),
        "started_at__lte": iso(tomorrow + timedelta(hours=23)),
    }
    path = f"/v2/solar_forecasts/{_forecast_id(sim)}/forecast_logs"
    forecast = {
        parse_iso(log["started_at"]): log["forecast_watts_per_kilowatt"] * capacity_kw
        for log in (await _all_pages(api, path, params))[0]
    }
    sim.clock.advance(timedelta(days=2))
    inverter_logs = next(iter(sim.state.inverter_logs.values()))
    for start, predicted in forecast.items():
        samples = [
            log.solar_power_watts
            for log in inverter_logs
            if start <= log.sampled_at < start + HALF_HOUR
        ]
        actual = sum(samples) / len(samples)
        assert abs(predicted - actual) <= 0.15 * actual + 50, (start, predicted, actual)
    predicted_wh = sum(forecast.values()) / 2
    actual_wh = sum(
        log.solar_power_watts / 12
        for log in inverter_logs
        if tomorrow <= log.sampled_at < tomorrow + timedelta(days=1)
    )
    assert actual_wh > 5000
    assert abs(predicted_wh - actual_wh) <= 0.1 * actual_wh


async def test_a_compressed_routine_compresses_the_forecast_periods(
    simulator_factory: SimulatorFactory, http: Any
) -> None:
    async with simulator_factory("home", routine_speed=60) as sim:
        api = Api(sim, http, sim.issue_token().access_token)
        path = f"/v2/solar_forecasts/{_forecast_id(sim)}/forecast_logs"
        logs, _pages = await _all_pages(api, path, {"page_size": "100"})
        starts = [parse_iso(log["started_at"]) for log in logs]
        assert len(starts) == 3 * 48
        assert {a - b for a, b in itertools.pairwise(starts)} == {timedelta(seconds=30)}
        assert {log["interval_seconds"] for log in logs} == {30}
        routine_noon = sim.engine.routine.to_clock(
            _midnight(sim.engine.routine.to_routine(sim.clock.now())).replace(hour=12)
        )
        assert iso(routine_noon) in {
            log["started_at"] for log in logs if log["forecast_watts_per_kilowatt"] > 100
        }
