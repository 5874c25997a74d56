"""Every entity shows what the simulator's ev.energy API says, before and after hours of charging."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_energy.const import DOMAIN
from simulator.faults import FieldFault
from simulator.testing import Simulator

from .conftest import Clock
from .helpers import device_for, on_off, state

pytestmark = pytest.mark.usefixtures("entity_registry_enabled_by_default")


def _kilo(value: float | None) -> float | None:
    return None if value is None else value / 1000


def _as_polled(logs: list[Any], hass: HomeAssistant) -> Any:
    """Return the sample that was the latest when the integration last polled."""
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    polled_at = entry.runtime_data.coordinator.data.updated_at
    return [log for log in logs if log.sampled_at <= polled_at][-1]


def _number(hass: HomeAssistant, platform: str, unique_id: str) -> float:
    return float(state(hass, platform, unique_id).state)


def assert_charger_matches(hass: HomeAssistant, sim: Simulator) -> None:
    for evse_id in sim.evse_ids:
        log = _as_polled(sim.state.evse_logs[evse_id], hass)
        evse = sim.state.evses[evse_id]
        assert state(hass, "binary_sensor", f"{evse_id}_plugged_in").state == on_off(
            log.is_plugged_in
        )
        assert state(hass, "binary_sensor", f"{evse_id}_charging").state == on_off(log.is_charging)
        assert state(hass, "binary_sensor", f"{evse_id}_online").state == "on"
        assert _number(hass, "sensor", f"{evse_id}_charge_power") == pytest.approx(
            _kilo(log.charge_rate_watts)
        )
        assert state(hass, "sensor", f"{evse_id}_evse_mode").state == log.mode.lower()
        assert state(hass, "sensor", f"{evse_id}_lock_mode").state == evse.lock_mode.lower()
        assert (
            state(hass, "sensor", f"{evse_id}_control_pilot_state").state
            == log.control_pilot_status.lower()
        )
        assert _number(hass, "sensor", f"{evse_id}_signal_strength") == log.signal_strength_rssi_dbm
        assert _number(hass, "sensor", f"{evse_id}_max_current_rating") == pytest.approx(
            log.max_current_rating_milliamps / 1000
        )
        assert _number(hass, "sensor", f"{evse_id}_voltage") == pytest.approx(
            log.voltage_millivolts / 1000
        )
        assert _number(hass, "sensor", f"{evse_id}_meter_reading") == pytest.approx(
            _kilo(log.meter_reading_watt_hours)
        )
        assert (
            dt_util.parse_datetime(state(hass, "sensor", f"{evse_id}_last_sample").state)
            == log.sampled_at
        )


def assert_vehicle_matches(hass: HomeAssistant, sim: Simulator) -> None:
    for vehicle_id in sim.vehicle_ids:
        log = _as_polled(sim.state.vehicle_logs[vehicle_id], hass)
        vehicle = sim.state.vehicles[vehicle_id]
        assert (
            _number(hass, "sensor", f"{vehicle_id}_battery_level") == log.state_of_charge_percentage
        )
        assert state(hass, "binary_sensor", f"{vehicle_id}_charging").state == on_off(
            log.is_charging
        )
        assert state(hass, "binary_sensor", f"{vehicle_id}_plugged_in").state == on_off(
            log.is_plugged_in
        )
        assert state(hass, "sensor", f"{vehicle_id}_vehicle_state").state == log.state.lower()
        assert _number(hass, "sensor", f"{vehicle_id}_charge_rate") == pytest.approx(
            _kilo(log.charge_rate_watts)
        )
        full_at = state(hass, "sensor", f"{vehicle_id}_full_at").state
        if log.minutes_to_full_charge is None:
            assert full_at == "unknown"
        else:
            assert dt_util.parse_datetime(full_at) == log.sampled_at + timedelta(
                minutes=log.minutes_to_full_charge
            )
        energy_added = state(hass, "sensor", f"{vehicle_id}_energy_added").state
        if log.charge_energy_added_watt_hours is None:
            assert energy_added == "unknown"
        else:
            assert float(energy_added) == pytest.approx(log.charge_energy_added_watt_hours / 1000)
        assert _number(hass, "sensor", f"{vehicle_id}_battery_energy") == pytest.approx(
            _kilo(log.charge_level_watt_hours)
        )
        assert (
            _number(hass, "sensor", f"{vehicle_id}_target_level")
            == log.target_charge_level_percentage
        )
        assert _number(hass, "sensor", f"{vehicle_id}_odometer") == pytest.approx(
            log.odometer_meters / 1000, abs=1
        )
        assert (
            state(hass, "sensor", f"{vehicle_id}_connection_status").state
            == vehicle.integrated.lower()
        )
        assert _number(hass, "number", f"{vehicle_id}_target_charge_level") == (
            vehicle.maximum_charge_limit_percentage
        )


def assert_inverter_matches(hass: HomeAssistant, sim: Simulator) -> None:
    for inverter_id in sim.inverter_ids:
        log = _as_polled(sim.state.inverter_logs[inverter_id], hass)
        assert _number(hass, "sensor", f"{inverter_id}_solar_power") == pytest.approx(
            _kilo(log.solar_power_watts)
        )
        assert state(hass, "sensor", f"{inverter_id}_inverter_status").state == log.status.lower()


async def assert_account_matches(
    hass: HomeAssistant, sim: Simulator, entry: MockConfigEntry
) -> None:
    coordinator = entry.runtime_data.coordinator
    user = await entry.runtime_data.client.get_user(sim.primary_user_id)
    assert user.default_location is not None
    intensity = user.default_location.current_carbon_intensity_grams_per_kilowatt_hour
    assert _number(hass, "sensor", f"{sim.primary_user_id}_grid_carbon_intensity") == pytest.approx(
        intensity
    )
    assert (
        _number(hass, "sensor", f"{sim.primary_user_id}_requests_remaining")
        == coordinator.budget.remaining
    )
    last_update = state(hass, "sensor", f"{sim.primary_user_id}_last_update").state
    assert dt_util.parse_datetime(last_update) == coordinator.data.updated_at


async def test_entities_show_the_simulator_state_at_setup(
    hass: HomeAssistant, sim: Simulator, integration: MockConfigEntry
) -> None:
    assert_charger_matches(hass, sim)
    assert_vehicle_matches(hass, sim)
    assert_inverter_matches(hass, sim)
    await assert_account_matches(hass, sim, integration)


async def test_entities_follow_the_simulator_through_an_evening_of_charging(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    """From the car arriving home through the night: plugged in, smart charging, charge complete."""
    seen_states: set[str] = set()
    for _ in range(24):
        # Each step: the devices sample, the next poll picks it up.
        await clock.run_for(1800, step=300)
        assert_charger_matches(hass, sim)
        assert_vehicle_matches(hass, sim)
        assert_inverter_matches(hass, sim)
        seen_states.add(state(hass, "binary_sensor", f"{sim.evse_ids[0]}_charging").state)
    assert seen_states == {"on", "off"}, "the night should include charging and not charging"


async def test_devices_carry_maker_model_and_serial_from_the_catalogue(
    hass: HomeAssistant, sim: Simulator, integration: MockConfigEntry
) -> None:
    for evse_id in sim.evse_ids:
        evse = sim.state.evses[evse_id]
        model = sim.state.evse_models[evse.model_id]
        make = sim.state.evse_makes[model.make_id]
        device = device_for(hass, evse_id)
        assert device is not None
        assert device.manufacturer == (make.display_name or make.name)
        assert device.model == (model.display_name or model.name)
        assert device.serial_number == evse.cpid
    for vehicle_id in sim.vehicle_ids:
        vehicle = sim.state.vehicles[vehicle_id]
        trim = sim.state.vehicle_trims[vehicle.trim_id]
        model = sim.state.vehicle_models[trim.model_id]
        device = device_for(hass, vehicle_id)
        assert device is not None
        assert device.manufacturer == sim.state.vehicle_makes[model.make_id].name
        assert device.model == f"{model.name} {trim.name}"


async def test_a_charger_that_stops_reporting_goes_offline_and_comes_back_by_itself(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    evse_id = sim.evse_ids[0]
    sim.faults.device_unreachable(evse_id)
    await clock.run_for(20 * 60, step=60)
    assert state(hass, "binary_sensor", f"{evse_id}_online").state == "off"
    assert state(hass, "sensor", f"{evse_id}_charge_power").state != "unavailable"
    await clock.run_for(15 * 60, step=60)
    assert state(hass, "sensor", f"{evse_id}_charge_power").state == "unavailable"
    assert state(hass, "sensor", f"{evse_id}_last_sample").state != "unavailable"

    sim.faults.device_unreachable(evse_id, unreachable=False)
    await clock.run_for(10 * 60, step=60)
    assert state(hass, "binary_sensor", f"{evse_id}_online").state == "on"
    assert state(hass, "sensor", f"{evse_id}_charge_power").state != "unavailable"


def _serve(sim: Simulator, path: str, value: object) -> None:
    """Make the simulator's API send ``value`` at ``path`` (a field fault with any JSON value)."""
    sim.faults.state.fields.append(FieldFault(tuple(path.split(".")), value))


def _ignored_values(caplog: pytest.LogCaptureFixture, key: str) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "custom_components.ev_energy"
        and "ignoring a value" in record.getMessage()
        and key in record.getMessage()
    ]


async def _run_until_the_next_sample(clock: Clock) -> None:
    # Cars sample every few minutes while parked; half an hour always brings new samples.
    await clock.run_for(1800, step=300)


async def test_a_charge_time_too_large_for_a_date_makes_only_the_full_at_time_unknown(
    hass: HomeAssistant,
    sim: Simulator,
    clock: Clock,
    integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    vehicle_id = sim.vehicle_ids[0]
    _serve(sim, "vehicles.*.latest_status_log.minutes_to_full_charge", 2**63 - 1)
    await _run_until_the_next_sample(clock)
    assert state(hass, "sensor", f"{vehicle_id}_full_at").state == "unknown"
    # The poll stands: every other entity keeps following the simulator.
    assert_vehicle_matches(hass, sim)
    assert_charger_matches(hass, sim)
    await _run_until_the_next_sample(clock)
    assert_vehicle_matches(hass, sim)
    assert len(_ignored_values(caplog, "full_at")) == 1, "logged once, not on every poll"


@pytest.mark.parametrize(
    "case",
    [
        ("vehicles.*.latest_status_log.state_of_charge_percentage", 150, "sensor", "battery_level"),
        ("vehicles.*.latest_status_log.state_of_charge_percentage", -1, "sensor", "battery_level"),
        ("vehicles.*.latest_status_log.charge_rate_watts", -5, "sensor", "charge_rate"),
        ("evses.*.latest_status_log.charge_rate_watts", -5, "sensor", "charge_power"),
        ("vehicles.*.maximum_charge_limit_percentage", 150, "number", "target_charge_level"),
    ],
    ids=[
        "battery-150",
        "battery-negative",
        "car-power-negative",
        "charger-power-negative",
        "limit",
    ],
)
# The disabled-by-default last report is enabled before the integration is set up.
@pytest.mark.usefixtures("entity_registry_enabled_by_default", "integration")
async def test_a_value_that_cannot_be_true_makes_only_that_entity_unavailable(
    hass: HomeAssistant,
    sim: Simulator,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
    case: tuple[str, int, str, str],
) -> None:
    path, value, platform, key = case
    device_id = sim.vehicle_ids[0] if path.startswith("vehicles") else sim.evse_ids[0]
    _serve(sim, path, value)
    await _run_until_the_next_sample(clock)
    assert state(hass, platform, f"{device_id}_{key}").state in ("unavailable", "unknown")
    last_sample = state(hass, "sensor", f"{device_id}_last_sample").state
    await _run_until_the_next_sample(clock)
    assert state(hass, "sensor", f"{device_id}_last_sample").state != last_sample, "others update"
    assert state(hass, "binary_sensor", f"{device_id}_plugged_in").state in ("on", "off")
    assert len(_ignored_values(caplog, key)) == 1, "logged once, not on every poll"

    sim.faults.clear()
    await _run_until_the_next_sample(clock)
    assert state(hass, platform, f"{device_id}_{key}").state not in ("unavailable", "unknown")
