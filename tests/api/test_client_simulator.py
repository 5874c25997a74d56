"""The client against the ev.energy simulator over real HTTP on 127.0.0.1.

Every endpoint is read or written and compared with the simulator's truth
(``sim.state``); errors come from ``sim.faults`` and the simulator's own checks.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, timedelta
import inspect
import logging
import math
from pathlib import Path
import re

import aiohttp
import pytest

from custom_components.ev_energy.api import (
    ChargingSession,
    DroppedItem,
    EnergyStatsResolution,
    EvEnergyAuthError,
    EvEnergyBadRequestError,
    EvEnergyClient,
    EvEnergyConflictError,
    EvEnergyDeviceUnreachableError,
    EvEnergyForbiddenError,
    EvEnergyIncompleteListError,
    EvEnergyInvalidResponseError,
    EvEnergyNotFoundError,
    EvEnergyRateLimitError,
    EvEnergyServerError,
    EvEnergyTimeoutError,
    Evse,
    EvseMake,
    EvseModel,
    EvseStatusLog,
    IntegrationStatus,
    InverterStatusLog,
    ItemList,
    SolarForecast,
    StateOfChargeSource,
    StaticTokenAuth,
    SubSessionMode,
    VehicleMake,
    VehicleModel,
    VehicleState,
    VehicleStatusLog,
    VehicleTrim,
    resource_id,
)
from simulator.testing import Simulator
from tests.conftest import SimulatorFactory

LOCATION_LOGS = "GET /v2/vehicles/{vehicle_id}/location_logs"
FORECAST_LOGS = "GET /v2/solar_forecasts/{solar_forecast_id}/forecast_logs"


@pytest.fixture
async def sim(
    socket_enabled: None, simulator_factory: SimulatorFactory
) -> AsyncIterator[Simulator]:
    """The home scenario with a home battery, so every resource exists."""
    async with simulator_factory("home", home_battery=True) as running:
        yield running


@pytest.fixture
async def session(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as http:
        yield http


def client_for(
    sim: Simulator,
    session: aiohttp.ClientSession,
    *,
    scopes: list[str] | None = None,
    request_timeout: float = 30,
) -> EvEnergyClient:
    """A client with a fresh token of ``scopes`` (default: all) for the primary user."""
    token = sim.issue_token(scopes=scopes)
    return EvEnergyClient(
        session,
        StaticTokenAuth(token.access_token),
        base_url=sim.api_base,
        request_timeout=request_timeout,
    )


@pytest.fixture
def client(sim: Simulator, session: aiohttp.ClientSession) -> EvEnergyClient:
    return client_for(sim, session)


# ---------------------------------------------------------------- reading


async def test_root_and_user(sim: Simulator, client: EvEnergyClient) -> None:
    root = await client.get_root()
    assert root["vehicles"] == f"{sim.api_base}/vehicles"
    users = await client.list_users()
    assert [user.id for user in users] == [sim.primary_user_id]
    user = await client.get_user(sim.primary_user_id)
    truth = sim.state.users[sim.primary_user_id]
    assert user.email == truth.email
    assert user.default_location is not None
    assert isinstance(user.default_location.current_carbon_intensity_grams_per_kilowatt_hour, int)
    assert resource_id(user.default_location.tariff) == truth.tariff_id
    assert {resource_id(url) for url in user.vehicles or []} == set(sim.vehicle_ids)


async def test_update_user_tariff(sim: Simulator, client: EvEnergyClient) -> None:
    tariff_id = next(iter(sim.state.tariffs))
    user = await client.update_user_tariff(
        sim.primary_user_id, f"{sim.api_base}/tariffs/{tariff_id}"
    )
    assert user.default_location is not None
    assert resource_id(user.default_location.tariff) == tariff_id


async def test_evses_with_expansions(sim: Simulator, client: EvEnergyClient) -> None:
    evses = await client.list_evses(expand=["model.make", "latest_status_log"])
    assert [evse.id for evse in evses] == sim.evse_ids
    evse = evses[0]
    truth = sim.state.evses[evse.id]
    assert evse.cpid == truth.cpid
    assert isinstance(evse.model, EvseModel)
    assert isinstance(evse.model.make, EvseMake)
    assert evse.model.id == truth.model_id
    assert isinstance(evse.latest_status_log, EvseStatusLog)
    assert evse.latest_status_log.sampled_at is not None
    assert evse.latest_status_log.sampled_at.tzinfo is not None
    plain = await client.get_evse(evse.id)
    assert isinstance(plain.model, str)
    assert resource_id(plain.model) == truth.model_id
    connectivity = await client.get_evse_connectivity(evse.id)
    assert connectivity.ip_address == truth.ip_address


async def test_evse_catalogue_and_sites(sim: Simulator, client: EvEnergyClient) -> None:
    makes = await client.list_evse_makes()
    assert {make.id for make in makes} == set(sim.state.evse_makes)
    assert (await client.get_evse_make(makes[0].id)).name == sim.state.evse_makes[makes[0].id].name
    models = await client.list_evse_models(expand=["make"])
    assert {model.id for model in models} == set(sim.state.evse_models)
    assert all(isinstance(model.make, EvseMake) for model in models)
    only_first_make = await client.list_evse_models(make_id=makes[0].id)
    assert {resource_id(model.make) for model in only_first_make} == {makes[0].id}
    model = await client.get_evse_model(models[0].id, expand=["make"])
    assert isinstance(model.make, EvseMake)
    sites = await client.list_evse_sites()
    assert {resource_id(url) for site in sites for url in site.evses or []} == set(sim.evse_ids)
    assert (await client.get_evse_site(sites[0].id)).id == sites[0].id


async def test_vehicles_with_expansions(sim: Simulator, client: EvEnergyClient) -> None:
    vehicles = await client.list_vehicles(expand=["trim.model.make", "latest_status_log"])
    assert [vehicle.id for vehicle in vehicles] == sim.vehicle_ids
    vehicle = vehicles[0]
    truth = sim.state.vehicles[vehicle.id]
    assert vehicle.integrated is IntegrationStatus.ACTIVE
    assert vehicle.battery_size_watt_hours == truth.battery_size_watt_hours
    assert vehicle.maximum_charge_limit_percentage == truth.maximum_charge_limit_percentage
    assert isinstance(vehicle.trim, VehicleTrim)
    assert isinstance(vehicle.trim.model, VehicleModel)
    assert isinstance(vehicle.trim.model.make, VehicleMake)
    assert isinstance(vehicle.latest_status_log, VehicleStatusLog)
    assert vehicle.latest_status_log.state in set(VehicleState) - {VehicleState.UNKNOWN}
    assert (await client.get_vehicle(vehicle.id)).id == vehicle.id


async def test_vehicle_catalogue(sim: Simulator, client: EvEnergyClient) -> None:
    trims = await client.list_vehicle_trims(expand=["model"])
    assert {trim.id for trim in trims} == set(sim.state.vehicle_trims)
    trim = await client.get_vehicle_trim(trims[0].id, expand=["model.make"])
    assert isinstance(trim.model, VehicleModel)
    assert isinstance(trim.model.make, VehicleMake)
    models = await client.list_vehicle_models()
    assert {model.id for model in models} == set(sim.state.vehicle_models)
    model = await client.get_vehicle_model(models[0].id)
    assert (
        model.default_battery_size_watt_hours
        == sim.state.vehicle_models[model.id].default_battery_size_watt_hours
    )
    makes = await client.list_vehicle_makes()
    assert {make.id for make in makes} == set(sim.state.vehicle_makes)
    assert (await client.get_vehicle_make(makes[0].id)).name == sim.state.vehicle_makes[
        makes[0].id
    ].name
    kia_models = await client.list_vehicle_models(make_id=makes[0].id)
    assert {resource_id(m.make) for m in kia_models} == {makes[0].id}
    assert all(
        resource_id(t.model) == models[0].id
        for t in await client.list_vehicle_trims(model_id=models[0].id)
    )


async def test_solar_battery_and_home_energy(sim: Simulator, client: EvEnergyClient) -> None:
    inverters = await client.list_inverters(expand=["latest_status_log"])
    assert [inverter.id for inverter in inverters] == sim.inverter_ids
    assert isinstance(inverters[0].latest_status_log, InverterStatusLog)
    assert (await client.get_inverter(sim.inverter_ids[0])).id == sim.inverter_ids[0]
    arrays = await client.list_solar_arrays()
    assert [resource_id(array.inverter) for array in arrays] == sim.inverter_ids
    batteries = await client.list_home_batteries()
    assert {battery.id for battery in batteries} == set(sim.state.home_batteries)
    battery = await client.get_home_battery(batteries[0].id)
    logs = await client.list_home_battery_status_logs(battery.id)
    assert len(logs) == len(sim.state.home_battery_logs[battery.id])
    hems = await client.list_hem_systems()
    assert {hem.id for hem in hems} == set(sim.state.hem_systems)
    live = await client.get_hem_live_power(hems[0].id)
    assert live.sampled_at is not None
    end = sim.clock.now().replace(minute=0, second=0, microsecond=0)
    stats = await client.get_hem_energy_stats(
        hems[0].id, end - timedelta(hours=6), end, EnergyStatsResolution.HALF_HOUR
    )
    assert stats.resolution is EnergyStatsResolution.HALF_HOUR
    assert len(stats.buckets or []) == 12
    meters = await client.list_boundary_meters(expand=["latest_status_log"])
    assert {meter.id for meter in meters} == set(sim.state.boundary_meters)


async def test_solar_forecast_and_its_periods(sim: Simulator, client: EvEnergyClient) -> None:
    forecasts = await client.list_solar_forecasts()
    truth = next(iter(sim.state.solar_forecasts.values()))
    assert [forecast.id for forecast in forecasts] == [truth.id]
    forecast = await client.get_solar_forecast(truth.id)
    assert forecast.location is not None
    assert (forecast.location.latitude, forecast.location.longitude) == (
        truth.latitude,
        truth.longitude,
    )
    periods = await client.list_solar_forecast_logs(truth.id)
    expected = sim.engine.solar_forecast(truth, sim.clock.now())
    assert [(p.started_at, p.forecast_watts_per_kilowatt) for p in periods] == [
        (log.started_at, log.forecast_watts_per_kilowatt) for log in reversed(expected)
    ]
    assert len(sim.requests.for_endpoint(FORECAST_LOGS)) == 2  # 144 half-hours, 100 a page
    assert {resource_id(p.solar_forecast) for p in periods} == {truth.id}
    assert {p.interval_seconds for p in periods} == {1800}
    noon = sim.clock.now().replace(hour=12, minute=0, second=0, microsecond=0)
    window = await client.list_solar_forecast_logs(
        truth.id, started_at_gte=noon - timedelta(hours=1), started_at_lte=noon
    )
    assert [p.started_at for p in window] == [noon - timedelta(minutes=m) for m in (0, 30, 60)]
    with pytest.raises(EvEnergyIncompleteListError) as caught:
        await client.list_solar_forecast_logs(truth.id, max_pages=1)
    assert len(caught.value.items) == 100


async def test_a_forecast_period_without_a_value_parses(
    sim: Simulator, client: EvEnergyClient
) -> None:
    forecast_id = next(iter(sim.state.solar_forecasts))
    sim.faults.null_field("solar_forecasts.*.forecast_logs.0.forecast_watts_per_kilowatt")
    sim.faults.null_field("solar_forecasts.*.location")
    tomorrow_noon = sim.clock.now().replace(hour=12, minute=0) + timedelta(days=1)
    periods = await client.list_solar_forecast_logs(forecast_id, started_at_gte=tomorrow_noon)
    assert periods[0].forecast_watts_per_kilowatt is None
    assert periods[0].started_at is not None
    assert all(p.forecast_watts_per_kilowatt is not None for p in periods[1:])
    assert len(periods) == 24 + 48  # one page: the fault hit its first period only
    forecast = await client.get_solar_forecast(forecast_id)
    assert isinstance(forecast, SolarForecast)
    assert forecast.location is None


async def test_tariff_and_carbon(sim: Simulator, client: EvEnergyClient) -> None:
    tariff_id = sim.state.users[sim.primary_user_id].tariff_id
    tariff = await client.get_tariff(tariff_id)
    assert tariff.id == tariff_id
    assert tariff.currency is not None
    start = sim.clock.now().replace(minute=0, second=0, microsecond=0)
    prices = await client.list_tariff_prices(
        tariff_id, started_at_gte=start, started_at_lte=start + timedelta(hours=5)
    )
    assert prices
    assert all(
        p.started_at is not None and start <= p.started_at <= start + timedelta(hours=5)
        for p in prices
    )
    feeds = await client.list_carbon_feeds()
    assert {feed.id for feed in feeds} == set(sim.state.carbon_feeds)
    intensities = await client.list_carbon_intensities(
        feeds[0].id, started_at_gte=start - timedelta(hours=6), started_at_lte=start
    )
    assert intensities
    started = [i.started_at for i in intensities]
    assert started == sorted(started, reverse=True)  # newest first, as the API orders them


async def test_webhook_portal_and_notifications(sim: Simulator, client: EvEnergyClient) -> None:
    portal = await client.get_webhook_portal()
    assert portal.startswith(f"{sim.origin}/_portal/")
    notifications = await client.list_notifications()
    assert {n.id for n in notifications} == {
        n.id for n in sim.state.notifications.values() if n.user_id == sim.primary_user_id
    }
    read_at = sim.clock.now()
    marked = await client.mark_notification_read(notifications[0].id, read_at)
    assert marked.read_at == read_at
    assert sim.state.notifications[notifications[0].id].read_at == read_at


# ---------------------------------------------------------------- status logs and pagination


async def test_status_logs_span_pages_newest_first_and_grow_with_time(
    sim: Simulator, client: EvEnergyClient
) -> None:
    vehicle_id = sim.vehicle_ids[0]
    logs = await client.list_vehicle_status_logs(vehicle_id)
    truth = sim.state.vehicle_logs[vehicle_id]
    assert len(logs) == len(truth) > 100  # the warm-up history is several pages
    sampled = [log.sampled_at for log in logs]
    assert sampled == sorted(sampled, reverse=True)
    pages = sim.requests.for_endpoint("GET /v2/vehicles/{vehicle_id}/status_logs")
    assert len(pages) == math.ceil(len(truth) / 100)
    assert all(page.query.get("page_size") == ["100"] for page in pages)

    newest = logs[0].sampled_at
    assert newest is not None
    sim.clock.advance(timedelta(hours=2))
    recent = await client.list_vehicle_status_logs(
        vehicle_id, sampled_at_gte=newest + timedelta(seconds=1)
    )
    assert recent
    assert all(log.sampled_at is not None and log.sampled_at > newest for log in recent)
    window = await client.list_evse_status_logs(
        sim.evse_ids[0], sampled_at_gte=newest - timedelta(hours=1), sampled_at_lte=newest
    )
    assert window
    assert all(
        log.sampled_at is not None and newest - timedelta(hours=1) <= log.sampled_at <= newest
        for log in window
    )


async def test_location_logs_say_when_the_car_was_home(
    sim: Simulator, client: EvEnergyClient
) -> None:
    vehicle_id = sim.vehicle_ids[0]
    truth = sim.state.vehicle_location_logs[vehicle_id]
    logs = await client.list_vehicle_location_logs(vehicle_id)
    assert [(log.sampled_at, log.at_home) for log in logs] == [
        (t.sampled_at, t.at_home) for t in reversed(truth)
    ]
    assert len(sim.requests.for_endpoint(LOCATION_LOGS)) == math.ceil(len(truth) / 100) > 1
    assert {resource_id(log.vehicle) for log in logs} == {vehicle_id}
    since, until = truth[-7].sampled_at, truth[-2].sampled_at
    window = await client.list_vehicle_location_logs(
        vehicle_id, sampled_at_gte=since, sampled_at_lte=until
    )
    assert [log.sampled_at for log in window] == [t.sampled_at for t in reversed(truth[-7:-1])]


async def test_a_location_log_that_cannot_be_parsed_is_dropped(
    sim: Simulator, client: EvEnergyClient
) -> None:
    vehicle_id = sim.vehicle_ids[0]
    sim.faults.null_field("vehicles.*.location_logs.0.at_home")
    sim.faults.bad_value("vehicles.*.location_logs.1.at_home", "home")
    truth = list(reversed(sim.state.vehicle_location_logs[vehicle_id]))[:5]
    logs = await client.list_vehicle_location_logs(vehicle_id, sampled_at_gte=truth[-1].sampled_at)
    assert logs[0].sampled_at == truth[0].sampled_at
    assert logs[0].at_home is None
    # The second is gone, and said so; the rest are as they were.
    assert [log.sampled_at for log in logs[1:]] == [t.sampled_at for t in truth[2:]]
    assert [d.reason for d in logs.dropped] == [
        "Cannot parse VehicleLocationLog: VehicleLocationLog.at_home: expected a boolean, got str"
    ]


async def test_the_newest_location_log_is_read_alone_in_one_request(
    sim: Simulator, client: EvEnergyClient
) -> None:
    vehicle_id = sim.vehicle_ids[0]
    newest = sim.state.vehicle_location_logs[vehicle_id][-1]
    log = await client.get_latest_vehicle_location_log(vehicle_id)
    assert log is not None
    assert (log.sampled_at, log.at_home) == (newest.sampled_at, newest.at_home)
    (request,) = sim.requests.for_endpoint(LOCATION_LOGS)
    assert request.query["page_size"] == ["1"]

    sim.faults.bad_value("vehicles.*.location_logs.0.at_home", "home")
    with pytest.raises(EvEnergyInvalidResponseError):
        await client.get_latest_vehicle_location_log(vehicle_id)
    sim.faults.clear()
    sim.state.vehicle_location_logs[vehicle_id].clear()
    assert await client.get_latest_vehicle_location_log(vehicle_id) is None


async def test_max_pages_reached_fails_with_what_was_read(
    sim: Simulator, client: EvEnergyClient
) -> None:
    with pytest.raises(EvEnergyIncompleteListError) as caught:
        await client.list_evse_status_logs(sim.evse_ids[0], max_pages=1)
    assert caught.value.reason == "page_cap"
    newest_first = list(reversed(sim.state.evse_logs[sim.evse_ids[0]]))
    assert [log.sampled_at for log in caught.value.items] == [
        log.sampled_at for log in newest_first[:100]
    ]
    assert client.request_count == 1


async def test_fleet_pages_through_vehicles_and_evses(
    socket_enabled: None, simulator_factory: SimulatorFactory, session: aiohttp.ClientSession
) -> None:
    async with simulator_factory("fleet", fleet_size=130, history_hours=1) as fleet:
        client = client_for(fleet, session)
        vehicles = await client.list_vehicles()
        evses = await client.list_evses(expand=["latest_status_log"])
        assert [v.id for v in vehicles] == fleet.vehicle_ids
        assert [e.id for e in evses] == fleet.evse_ids
        assert len(fleet.requests.for_endpoint("GET /v2/vehicles")) == 2
        second_page = fleet.requests.for_endpoint("GET /v2/evses")[1]
        assert second_page.query.get("expand") == ["latest_status_log"]  # kept by the next link


async def test_a_fleet_beyond_the_page_cap_fails_instead_of_shrinking(
    socket_enabled: None, simulator_factory: SimulatorFactory, session: aiohttp.ClientSession
) -> None:
    async with simulator_factory("fleet", fleet_size=130, history_hours=1) as fleet:
        client = client_for(fleet, session)
        with pytest.raises(EvEnergyIncompleteListError) as caught:
            await client.list_vehicles(max_pages=1)
        assert caught.value.reason == "page_cap"
        assert [v.id for v in caught.value.items] == fleet.vehicle_ids[:100]


@pytest.mark.parametrize(("loop", "reason", "pages"), [(False, "page_cap", 5), (True, "loop", 2)])
async def test_endless_pagination_fails_the_list(
    sim: Simulator, client: EvEnergyClient, loop: bool, reason: str, pages: int
) -> None:
    sim.faults.endless_pagination("vehicles", loop=loop)
    with pytest.raises(EvEnergyIncompleteListError) as caught:
        await client.list_vehicles(max_pages=5)
    assert caught.value.reason == reason
    assert client.request_count == pages
    # Each page the server served is in the items, in order, the repeats included.
    assert [v.id for v in caught.value.items] == sim.vehicle_ids * pages


async def test_a_next_link_to_another_server_fails_the_list(
    sim: Simulator, client: EvEnergyClient
) -> None:
    sim.faults.foreign_next_link("evses")
    with pytest.raises(EvEnergyIncompleteListError) as caught:
        await client.list_evses(expand=["latest_status_log"])
    assert caught.value.reason == "foreign_origin"
    assert [e.id for e in caught.value.items] == sim.evse_ids
    assert isinstance(caught.value.items[0].latest_status_log, EvseStatusLog)
    assert client.request_count == 1  # the token never went to the other server


@pytest.mark.parametrize("header", [False, True])
async def test_a_malformed_next_link_fails_the_list(
    sim: Simulator, client: EvEnergyClient, header: bool
) -> None:
    sim.faults.malformed_next_link("vehicles", header=header)
    with pytest.raises(EvEnergyIncompleteListError) as caught:
        await client.list_vehicle_status_logs(sim.vehicle_ids[0])
    assert caught.value.reason == "malformed_link"
    assert len(caught.value.items) == 100
    assert client.request_count == 1


async def test_a_broken_next_link_on_wrapped_pages_fails_too(
    sim: Simulator, client: EvEnergyClient
) -> None:
    feed_id = next(iter(sim.state.carbon_feeds))
    sim.faults.foreign_next_link("carbon_feeds")
    with pytest.raises(EvEnergyIncompleteListError) as caught:
        await client.list_carbon_intensities(feed_id)
    assert caught.value.reason == "foreign_origin"
    assert caught.value.items


async def test_a_car_that_cannot_be_parsed_is_dropped_and_reported(
    sim: Simulator, client: EvEnergyClient
) -> None:
    sim.faults.add_vehicle()
    bad_id, good_id = sim.vehicle_ids
    sim.faults.bad_value("vehicles.0.maximum_charge_limit_percentage")
    vehicles = await client.list_vehicles(expand=["latest_status_log"])
    assert isinstance(vehicles, ItemList)
    assert [v.id for v in vehicles] == [good_id]
    assert vehicles.dropped == (
        DroppedItem(
            bad_id,
            "Cannot parse Vehicle: Vehicle.maximum_charge_limit_percentage:"
            " expected an integer, got str",
        ),
    )
    assert vehicles.dropped_fields == ()


async def test_a_bad_expanded_status_log_costs_only_the_status_log(
    sim: Simulator, client: EvEnergyClient, caplog: pytest.LogCaptureFixture
) -> None:
    sim.faults.add_vehicle()
    sim.clock.advance(timedelta(hours=1))  # the new car reports a status log
    bad_id, good_id = sim.vehicle_ids
    sim.faults.bad_value("vehicles.0.latest_status_log.state_of_charge_percentage")
    with caplog.at_level(logging.DEBUG, "custom_components.ev_energy.api"):
        vehicles = await client.list_vehicles(expand=["latest_status_log"])
    assert [v.id for v in vehicles] == [bad_id, good_id]
    assert vehicles[0].latest_status_log is None
    assert isinstance(vehicles[1].latest_status_log, VehicleStatusLog)
    assert vehicles.dropped == ()
    assert vehicles.dropped_fields == (
        DroppedItem(
            bad_id,
            "VehicleStatusLog.state_of_charge_percentage: expected an integer, got str",
            "latest_status_log",
        ),
    )
    assert "abc" not in caplog.text  # values never reach the log
    assert f"Dropped Vehicle.latest_status_log of {bad_id}" in caplog.text


# ---------------------------------------------------------------- writing


async def test_update_vehicle_sends_only_the_given_fields(
    sim: Simulator, client: EvEnergyClient
) -> None:
    vehicle_id = sim.vehicle_ids[0]
    truth = sim.state.vehicles[vehicle_id]
    assert truth.smart_charging_enabled
    updated = await client.update_vehicle(vehicle_id, maximum_charge_limit_percentage=90)
    assert updated.maximum_charge_limit_percentage == truth.maximum_charge_limit_percentage == 90
    assert updated.smart_charging_enabled is True
    updated = await client.update_vehicle(vehicle_id, smart_charging_enabled=False)
    assert updated.smart_charging_enabled is truth.smart_charging_enabled is False
    assert updated.maximum_charge_limit_percentage == 90


async def test_invalid_charge_limit_is_a_bad_request(
    sim: Simulator, client: EvEnergyClient
) -> None:
    with pytest.raises(EvEnergyBadRequestError) as caught:
        await client.update_vehicle(sim.vehicle_ids[0], maximum_charge_limit_percentage=10)
    assert caught.value.status == 400
    assert "maximum_charge_limit_percentage" in caught.value.field_errors


async def test_state_of_charge(sim: Simulator, client: EvEnergyClient) -> None:
    vehicle_id = sim.vehicle_ids[0]
    manual = await client.set_state_of_charge(vehicle_id, 55)
    assert manual.state_of_charge_percentage == 55
    assert manual.source is StateOfChargeSource.MANUAL
    assert (await client.get_state_of_charge(vehicle_id)).state_of_charge_percentage == 55
    cleared = await client.set_state_of_charge(vehicle_id, None)
    assert cleared.source is not StateOfChargeSource.MANUAL


async def test_reconnect_vehicle(sim: Simulator, client: EvEnergyClient) -> None:
    link = await client.reconnect_vehicle(sim.vehicle_ids[0])
    assert link.url is not None
    assert link.url.startswith(sim.origin)


async def test_sessions_sub_sessions_usage_and_schedules(
    sim: Simulator, client: EvEnergyClient
) -> None:
    sessions = await client.list_charging_sessions(expand=["sub_sessions"])
    assert {s.id for s in sessions} == set(sim.state.sessions)
    open_sessions = [s for s in sessions if s.end is None]
    assert len(open_sessions) == 1
    session = await client.get_charging_session(open_sessions[0].id)
    assert isinstance(session, ChargingSession)
    subs = await client.list_charging_sub_sessions(vehicle_id=sim.vehicle_ids[0])
    assert {s.id for s in subs} == {
        s.id for s in sim.state.sub_sessions.values() if s.vehicle_id == sim.vehicle_ids[0]
    }
    finished = await client.list_charging_sub_sessions(is_finished=True, mode=SubSessionMode.SMART)
    assert all(s.end is not None and s.mode is SubSessionMode.SMART for s in finished)
    since = sim.clock.now() - timedelta(hours=1)
    assert all(
        s.start is not None and s.start > since
        for s in await client.list_charging_sub_sessions(start_gt=since)
    )
    assert all(
        s.evse is not None
        for s in await client.list_charging_sub_sessions(
            evse_id=sim.evse_ids[0], end_lt=sim.clock.now()
        )
    )
    sub = await client.get_charging_sub_session(subs[0].id)
    usage = await client.get_energy_usage(sub.id)
    assert usage.currency == sub.currency
    schedules = await client.get_schedules(sub.id)
    assert all(s.started_at is not None and s.started_at.tzinfo is UTC for s in schedules)


async def test_boost_start_end_and_conflicts(sim: Simulator, client: EvEnergyClient) -> None:
    session_id = next(s.id for s in sim.state.sessions.values() if s.end is None)
    with pytest.raises(EvEnergyConflictError) as caught:
        await client.boost_end(session_id)  # not boosting yet
    assert caught.value.status == 409
    boosted = await client.boost_start(session_id)
    sub = sim.state.current_sub_session(sim.state.sessions[session_id])
    assert sub is not None
    assert sub.mode == "BOOST"
    assert resource_id((boosted.sub_sessions or [])[-1]) == sub.id
    await client.boost_end(session_id)
    sim.faults.device_unreachable(sim.evse_ids[0])
    with pytest.raises(EvEnergyDeviceUnreachableError) as unreachable:
        await client.boost_start(session_id)
    assert unreachable.value.status == 503


# ---------------------------------------------------------------- errors and limits


async def test_server_errors(sim: Simulator, client: EvEnergyClient) -> None:
    sim.faults.server_errors(status=500)
    with pytest.raises(EvEnergyServerError) as caught:
        await client.list_evses()
    assert caught.value.status == 500
    sim.faults.html_error(status=502)
    with pytest.raises(EvEnergyServerError):
        await client.list_evses()
    assert len(await client.list_evses()) == 1  # the faults were one-offs


async def test_malformed_json(sim: Simulator, client: EvEnergyClient) -> None:
    sim.faults.malformed_json(path_prefix="vehicles")
    with pytest.raises(EvEnergyInvalidResponseError):
        await client.list_vehicles()


@pytest.mark.parametrize("header", ["Retry-After", "RetryAfter", "retry-after"])
async def test_rate_limit_fault(sim: Simulator, client: EvEnergyClient, header: str) -> None:
    sim.faults.rate_limit_now(retry_after=42, header=header)
    with pytest.raises(EvEnergyRateLimitError) as caught:
        await client.list_vehicles()
    assert caught.value.retry_after == 42
    assert caught.value.problem_type is not None
    assert caught.value.problem_type.endswith("/rate-limit-exceeded/")


async def test_rate_limit_state_follows_the_budget(
    socket_enabled: None, simulator_factory: SimulatorFactory, session: aiohttp.ClientSession
) -> None:
    async with simulator_factory("home", rate_limit=3) as limited:
        client = client_for(limited, session)
        await client.get_root()
        first = client.rate_limit
        assert first is not None
        assert (first.limit, first.remaining) == (3, 2)
        await client.get_root()
        await client.get_root()
        with pytest.raises(EvEnergyRateLimitError) as caught:
            await client.get_root()
        assert caught.value.retry_after is not None
        assert caught.value.retry_after > 0
        assert client.rate_limit is not None
        assert client.rate_limit.remaining == 0  # read from the 429 response too
        assert client.request_count == 4 == len(limited.requests)


async def test_revoked_token_is_an_auth_error(sim: Simulator, client: EvEnergyClient) -> None:
    await client.get_root()
    sim.faults.revoke_tokens()
    with pytest.raises(EvEnergyAuthError) as caught:
        await client.list_vehicles()
    assert caught.value.status == 401


async def test_missing_scope_is_forbidden(sim: Simulator, session: aiohttp.ClientSession) -> None:
    client = client_for(sim, session, scopes=["user:read"])
    assert (await client.get_user(sim.primary_user_id)).id == sim.primary_user_id
    with pytest.raises(EvEnergyForbiddenError) as caught:
        await client.list_vehicles()
    assert caught.value.status == 403


async def test_missing_and_foreign_resources_are_not_found(
    sim: Simulator, client: EvEnergyClient
) -> None:
    with pytest.raises(EvEnergyNotFoundError):
        await client.get_vehicle("vhcl00000000000000000000000000")
    neighbour = sim.add_user()
    with pytest.raises(EvEnergyNotFoundError):
        await client.get_user(neighbour.id)
    evse_id = sim.evse_ids[0]
    sim.faults.remove_evse(evse_id)
    with pytest.raises(EvEnergyNotFoundError):
        await client.get_evse(evse_id)
    added = sim.faults.add_evse()
    assert [evse.id for evse in await client.list_evses()] == [added.id]


async def test_slow_answers_time_out(sim: Simulator, session: aiohttp.ClientSession) -> None:
    client = client_for(sim, session, request_timeout=0.2)
    sim.faults.delay(0.6)
    with pytest.raises(EvEnergyTimeoutError):
        await client.list_evses()
    # Let the delayed handler finish: the simulator's shutdown leaves it pending
    # otherwise, which the test harness reports as a lingering task.
    await asyncio.sleep(0.6)


async def test_null_fields_and_unknown_enums_parse(sim: Simulator, client: EvEnergyClient) -> None:
    sim.faults.null_field("vehicles.*.latest_status_log.state_of_charge_percentage")
    sim.faults.unknown_enum("vehicles.*.latest_status_log.state", "TELEPORTING")
    sim.faults.unknown_enum("evses.*.lock_mode", "CHILD_LOCK")
    vehicle = (await client.list_vehicles(expand=["latest_status_log"]))[0]
    assert isinstance(vehicle.latest_status_log, VehicleStatusLog)
    assert vehicle.latest_status_log.state_of_charge_percentage is None
    assert vehicle.latest_status_log.state is VehicleState.UNKNOWN
    assert vehicle.latest_status_log.state_raw == "TELEPORTING"
    evse = await client.get_evse(sim.evse_ids[0])
    assert isinstance(evse, Evse)
    assert evse.lock_mode_raw == "CHILD_LOCK"


def test_every_client_endpoint_is_exercised_here() -> None:
    """Guard: a new client method must get a test against the simulator in this module."""
    source = Path(__file__).read_text(encoding="utf-8")
    called = set(re.findall(r"client\.(\w+)\(", source))
    public = {
        name
        for name, member in inspect.getmembers(EvEnergyClient, inspect.iscoroutinefunction)
        if not name.startswith("_")
    }
    assert public - called == set()
