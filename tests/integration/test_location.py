"""The car's location tracker: home or not home as the simulated car commutes, on the car's own device."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er, issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_energy.const import API_ORIGIN_ENV, DOMAIN
from simulator.testing import Simulator

from .conftest import Clock, set_up_entry
from .helpers import admin, device_for, entity_id, state, tracebacks

# A read every 15 minutes at home scale; the car reports every 5 minutes.
READ_AND_REPORT = 900 + 300 + 60


@pytest.fixture
async def morning(
    simulator_factory: Any, freezer: FrozenDateTimeFactory, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Simulator]:
    """The home scenario at 07:15 in its routine: the car leaves for work within the hour."""
    async with simulator_factory("home", routine_start_minute=7 * 60 + 15) as sim:
        freezer.move_to(sim.clock.now())
        monkeypatch.setenv(API_ORIGIN_ENV, sim.origin)
        yield sim


def tracker(hass: HomeAssistant, vehicle_id: str) -> str:
    """Return the state of a car's location tracker."""
    return state(hass, "device_tracker", f"{vehicle_id}_location").state


def newest_at_home(sim: Simulator, vehicle_id: str) -> bool | None:
    """Return what the car's newest location log says (the simulator's truth)."""
    return sim.state.vehicle_location_logs[vehicle_id][-1].at_home


@pytest.mark.usefixtures("credentials")
async def test_the_tracker_follows_the_commute(
    hass: HomeAssistant, morning: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    sim, clock = morning, Clock(hass, morning, freezer)
    entry = await set_up_entry(hass, sim)
    vehicle_id = sim.vehicle_ids[0]
    registered = er.async_get(hass).async_get(
        entity_id(hass, "device_tracker", f"{vehicle_id}_location")
    )
    device = device_for(hass, vehicle_id)
    assert registered is not None
    assert device is not None
    assert registered.device_id == device.id, "on the car's own device"
    assert hass.states.get(registered.entity_id).name == f"{device.name} Location"
    assert newest_at_home(sim, vehicle_id) is True
    assert tracker(hass, vehicle_id) == "home"

    departure = sim.state.vehicles[vehicle_id].trip_start
    assert departure is not None
    start = len(sim.requests)
    await clock.run_for((departure - sim.clock.now()).total_seconds() + READ_AND_REPORT, step=60)
    assert newest_at_home(sim, vehicle_id) is False
    assert tracker(hass, vehicle_id) == "not_home"

    await admin(hass, sim, f"vehicles/{vehicle_id}", {"stay_home": True})
    await clock.run_for(READ_AND_REPORT, step=60)
    assert newest_at_home(sim, vehicle_id) is True
    assert tracker(hass, vehicle_id) == "home"

    # The newest log only: one item a read, one read a car every 15 minutes.
    reads = [r for r in sim.requests[start:] if r.path.endswith("/location_logs")]
    assert reads
    assert all(r.query.get("page_size") == ["1"] for r in reads)
    elapsed = sim.requests[-1].time - sim.requests[start].time
    assert len(reads) <= elapsed / timedelta(minutes=15) + 1
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def test_unknown_without_a_home_location_unavailable_when_unreadable_or_stale(
    hass: HomeAssistant,
    sim: Simulator,
    clock: Clock,
    integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    vehicle_id = sim.vehicle_ids[0]
    assert tracker(hass, vehicle_id) == "home"

    sim.faults.null_field("vehicles.*.location_logs.*.at_home")
    await clock.run_for(READ_AND_REPORT, step=60)
    assert tracker(hass, vehicle_id) == "unknown"

    sim.faults.clear()
    sim.faults.bad_value("vehicles.*.location_logs.*.at_home", "sometimes")
    await clock.run_for(READ_AND_REPORT, step=60)
    assert tracker(hass, vehicle_id) == "unavailable"

    sim.faults.clear()
    sim.faults.server_errors(
        100, status=502, path_prefix=f"/v2/vehicles/{vehicle_id}/location_logs"
    )
    await clock.run_for(READ_AND_REPORT, step=60)
    assert tracker(hass, vehicle_id) == "unavailable"

    sim.faults.clear()
    await clock.run_for(READ_AND_REPORT, step=60)
    assert tracker(hass, vehicle_id) == "home"

    # A newest log from a day ago says nothing of where the car is now.
    day_ago = (sim.clock.now() - timedelta(hours=24)).isoformat()
    sim.faults.bad_value("vehicles.*.location_logs.*.sampled_at", day_ago)
    await clock.run_for(READ_AND_REPORT, step=60)
    assert tracker(hass, vehicle_id) == "unavailable"
    assert state(hass, "sensor", f"{vehicle_id}_battery_level").state != "unavailable"
    assert not tracebacks(caplog)


async def test_a_new_car_gets_a_tracker_within_the_hour(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    car = sim.faults.add_vehicle(evse_id=None)
    await clock.run_for(3600 + 600, step=300)
    assert tracker(hass, car.id) == ("home" if newest_at_home(sim, car.id) else "not_home")


async def test_a_refused_read_raises_the_permission_repair_once_and_recovers(
    hass: HomeAssistant,
    sim: Simulator,
    clock: Clock,
    integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    vehicle_id = sim.vehicle_ids[0]
    path = f"/v2/vehicles/{vehicle_id}/location_logs"
    issue_id = f"{integration.entry_id}_missing_scope_vehicle_location"
    sim.faults.server_errors(100_000, status=403, path_prefix=path)
    start = len(sim.requests)
    # Refused at the next read (15 minutes), then asked again an hour later, twice.
    await clock.run_for(2 * 3600 + 1500, step=300)

    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.is_fixable
    assert issue.translation_placeholders == {"scope": "vehicle:read"}
    assert tracker(hass, vehicle_id) == "unavailable"
    reads = [r for r in sim.requests[start:] if r.path == path]
    assert [r.status for r in reads] == [403, 403, 403], "asked again hourly, not every 15 minutes"
    assert len([r for r in caplog.records if "vehicle:read" in r.getMessage()]) == 1

    sim.faults.clear()
    await clock.run_for(3600, step=300)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    assert tracker(hass, vehicle_id) == "home"


async def test_a_fleet_of_twenty_reads_each_car_inside_the_readers_cap(
    hass: HomeAssistant, simulator_factory: Any, freezer: FrozenDateTimeFactory, credentials: None
) -> None:
    async with simulator_factory("fleet", fleet_size=20) as sim:
        freezer.move_to(sim.clock.now())
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv(API_ORIGIN_ENV, sim.origin)
            entry = await set_up_entry(hass, sim)
            start = len(sim.requests)
            await Clock(hass, sim, freezer).run_for(3600, step=300)
            reads = [r for r in sim.requests[start:] if r.path.endswith("/location_logs")]
            # 60 an hour at most: every car every 21 minutes (2 or 3 reads each in the hour), one list.
            assert 40 <= len(reads) <= 60
            assert {tracker(hass, car) for car in sim.vehicle_ids} <= {"home", "not_home"}
            await hass.config_entries.async_unload(entry.entry_id)
            await hass.async_block_till_done()
