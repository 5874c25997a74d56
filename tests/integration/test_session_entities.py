"""Session sensors, next-slot sensors and "slot active" through a simulated evening, against the simulator."""

from __future__ import annotations

from datetime import datetime, timedelta

from homeassistant.components.calendar import DOMAIN as CALENDAR_DOMAIN, SERVICE_GET_EVENTS
from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.const import ATTR_ENTITY_ID, SERVICE_TURN_ON, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from simulator.testing import Simulator
from simulator.world import ChargingSession

from .conftest import Clock
from .helpers import admin, entity_id, state, until_shown


def _session_truth(sim: Simulator, session: ChargingSession) -> dict[str, object]:
    subs = [sim.state.sub_sessions[sub_id] for sub_id in session.sub_session_ids]
    energy = sum(sub.energy_delivered_watt_hours for sub in subs)
    solar = sum(sub.solar_energy_delivered_watt_hours for sub in subs)
    return {
        "session_energy": pytest.approx(energy / 1000),
        "session_grid_energy": pytest.approx((energy - solar) / 1000),
        "session_solar_energy": pytest.approx(solar / 1000),
        "session_cost": pytest.approx(sum(round(sub.cost_pence) for sub in subs) / 100),
        "session_co2": sum(round(sub.co2_grams) for sub in subs),
        "session_duration": sum(sub.charging_seconds // 60 for sub in subs),
        "session_mode": subs[-1].mode.lower(),
    }


def _shown(hass: HomeAssistant, device_id: str) -> dict[str, object]:
    shown: dict[str, object] = {}
    for key in ("session_energy", "session_grid_energy", "session_solar_energy", "session_cost"):
        shown[key] = float(state(hass, "sensor", f"{device_id}_{key}").state)
    for key in ("session_co2", "session_duration"):
        shown[key] = round(float(state(hass, "sensor", f"{device_id}_{key}").state))
    shown["session_mode"] = state(hass, "sensor", f"{device_id}_session_mode").state
    return shown


async def _read_now(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    await entry.runtime_data.sessions.async_refresh()
    await hass.async_block_till_done()


async def test_session_sensors_follow_an_evening_of_plug_in_smart_charge_boost_unplug(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    vehicle = sim.state.vehicles[sim.vehicle_ids[0]]
    evse_id = sim.evse_ids[0]
    sim.engine.unplug(vehicle)
    await clock.run_for(600, step=60)

    session = sim.engine.plug_in(vehicle)
    await clock.run_for(1200, step=60)
    await _read_now(hass, integration)
    for device_id in (vehicle.id, evse_id):
        assert _shown(hass, device_id) == _session_truth(sim, session)
    assert state(hass, "sensor", f"{vehicle.id}_session_mode").state == "smart"
    cost = state(hass, "sensor", f"{evse_id}_session_cost")
    assert cost.attributes["unit_of_measurement"] == "GBP"

    await hass.services.async_call(
        SWITCH_DOMAIN,
        SERVICE_TURN_ON,
        {ATTR_ENTITY_ID: entity_id(hass, "switch", f"{evse_id}_charge_now")},
        blocking=True,
    )
    await clock.run_for(1800, step=60)
    await _read_now(hass, integration)
    truth = _session_truth(sim, session)
    assert truth["session_mode"] == "boost"
    assert truth["session_energy"] != pytest.approx(0)
    assert _shown(hass, vehicle.id) == truth

    sim.engine.unplug(vehicle)
    await clock.run_for(600, step=60)
    # The session ended; the sensors keep showing it as the last one.
    assert integration.runtime_data.sessions.data.open_sub_session(vehicle_id=vehicle.id) is None
    assert _shown(hass, vehicle.id) == _session_truth(sim, session)
    assert state(hass, "switch", f"{evse_id}_charge_now").state == STATE_UNAVAILABLE


def _on_slots(sim: Simulator) -> list[datetime]:
    session = sim.engine.session_of_vehicle(sim.vehicle_ids[0])
    schedule = sim.state.sub_sessions[session.sub_session_ids[-1]].schedule
    return sorted(slot.started_at for slot in schedule if slot.current_milliamps > 0)


async def test_next_slot_sensors_and_slot_active_follow_the_simulators_schedule(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    vehicle_id = sim.vehicle_ids[0]
    first = _on_slots(sim)[0]
    assert first > sim.clock.now()
    start = state(hass, "sensor", f"{vehicle_id}_next_slot_start")
    assert datetime.fromisoformat(start.state) == first
    end = datetime.fromisoformat(state(hass, "sensor", f"{vehicle_id}_next_slot_end").state)
    assert end > first
    assert (end - first) % timedelta(minutes=30) == timedelta(0)
    assert state(hass, "binary_sensor", f"{vehicle_id}_slot_active").state == "off"

    # Up to one minute into the first slot: the binary sensor turns on at the slot's start.
    await clock.run_for((first - sim.clock.now()).total_seconds() + 60, step=600)
    assert sim.engine.session_of_vehicle(vehicle_id) is not None
    assert state(hass, "binary_sensor", f"{vehicle_id}_slot_active").state == "on"
    assert state(hass, "binary_sensor", f"{sim.evse_ids[0]}_slot_active").state == "on"


async def _planned_events(hass: HomeAssistant, vehicle_id: str) -> list[dict[str, str]]:
    """Return the planned charging slots the car's calendar shows for the next day."""
    target = entity_id(hass, "calendar", f"{vehicle_id}_charging_calendar")
    response = await hass.services.async_call(
        CALENDAR_DOMAIN,
        SERVICE_GET_EVENTS,
        {ATTR_ENTITY_ID: target, "duration": {"hours": 24}},
        blocking=True,
        return_response=True,
    )
    events: list[dict[str, str]] = response[target]["events"]  # type: ignore[index, assignment]
    return [event for event in events if event["summary"] == "Planned charging"]


async def test_an_unplugged_car_claims_no_slot_or_boost_while_its_sessions_cannot_be_read(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    vehicle_id, evse_id = sim.vehicle_ids[0], sim.evse_ids[0]
    first = _on_slots(sim)[0]
    await clock.run_for((first - sim.clock.now()).total_seconds() + 60, step=600)
    for device_id in (vehicle_id, evse_id):
        assert state(hass, "binary_sensor", f"{device_id}_slot_active").state == "on"
    # Charge now is available (a boost can start) and the calendar shows the planned slots.
    assert state(hass, "switch", f"{evse_id}_charge_now").state == "off"
    assert await _planned_events(hass, vehicle_id)

    faults = {"count": 100, "path_prefix": "charging_sub_sessions"}
    await admin(hass, sim, "faults/server_errors", faults)
    mark = len(sim.requests)
    await admin(hass, sim, f"vehicles/{vehicle_id}", {"plugged_in": False})
    await until_shown(hass, clock, f"{evse_id}_plugged_in", "off", step=30)
    assert state(hass, "binary_sensor", f"{vehicle_id}_plugged_in").state == "off"
    reads = [r.status for r in sim.requests[mark:] if r.path == "/v2/charging_sub_sessions"]
    assert reads, "the unplug asked for a read"
    assert all(status >= 500 for status in reads), "the reader still holds the open session"

    for device_id in (vehicle_id, evse_id):
        assert state(hass, "binary_sensor", f"{device_id}_slot_active").state == "off"
    assert state(hass, "sensor", f"{vehicle_id}_next_slot_start").state == STATE_UNKNOWN
    assert state(hass, "switch", f"{evse_id}_charge_now").state == STATE_UNAVAILABLE
    assert await _planned_events(hass, vehicle_id) == []
