"""The charger's energy meter against the simulator's truth: stray samples, resets and restarts count nothing twice."""

from __future__ import annotations

import math
from typing import Any

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_energy.const import DOMAIN
from simulator.testing import Simulator

from .conftest import Clock
from .helpers import entity_id, state


def charge_now(sim: Simulator) -> None:
    """Make the home car charge at full power now (smart charging off)."""
    vehicle = sim.state.vehicles[sim.vehicle_ids[0]]
    vehicle.smart_charging_enabled = False
    sim.engine.vehicle_settings_changed(vehicle)


def stop_charging(sim: Simulator) -> None:
    """Back to smart charging, which waits for the night's cheap hours."""
    vehicle = sim.state.vehicles[sim.vehicle_ids[0]]
    vehicle.smart_charging_enabled = True
    sim.engine.vehicle_settings_changed(vehicle)


def real_meter_at(sim: Simulator, evse_id: str, at: object) -> int:
    """Return what the charger's meter really read in its sample at ``at``."""
    return next(
        log.meter_reading_watt_hours for log in sim.state.evse_logs[evse_id] if log.sampled_at == at
    )


def shown_wh(hass: HomeAssistant, evse_id: str) -> float:
    meter = state(hass, "sensor", f"{evse_id}_meter_reading")
    return float(meter.state) * {"Wh": 1, "kWh": 1000}[meter.attributes["unit_of_measurement"]]


async def _until_a_new_sample_is_taken(entry: MockConfigEntry, clock: Clock, evse_id: str) -> None:
    ledger = entry.runtime_data.ledger
    before = ledger.high_water_mark(evse_id)
    for _ in range(20):
        await clock.advance(30)
        if ledger.high_water_mark(evse_id) != before:
            return
    pytest.fail("no new sample reached the ledger")


async def _next_sample_boundary(sim: Simulator, clock: Clock) -> None:
    now = sim.clock.now().timestamp()
    await clock.advance(math.ceil(now / 300 + 1e-9) * 300 - now)


@pytest.mark.parametrize(
    "case",
    [
        (10, "refresh"),
        (10, "failed poll in the grace period"),
        (10, "command burst"),
        (2_000_000_000, "refresh"),
    ],
)
async def test_one_stray_sample_seen_twice_keeps_the_total_exact(
    hass: HomeAssistant,
    sim: Simulator,
    clock: Clock,
    integration: MockConfigEntry,
    case: tuple[int, str],
) -> None:
    stray_wh, seen_again = case
    evse_id = sim.evse_ids[0]
    ledger = integration.runtime_data.ledger
    coordinator = integration.runtime_data.coordinator
    at_setup = ledger.energy_total_wh(evse_id)
    charge_now(sim)
    await clock.run_for(900, step=60)

    sim.faults.unknown_enum("evses.*.latest_status_log.meter_reading_watt_hours", stray_wh)
    await _until_a_new_sample_is_taken(integration, clock, evse_id)
    stray = coordinator.data.evses[evse_id].latest_status_log
    assert stray.meter_reading_watt_hours == stray_wh
    if seen_again == "refresh":
        await coordinator.async_refresh()
    elif seen_again == "failed poll in the grace period":
        sim.faults.server_errors(5, status=502, path_prefix="/v2/")
        await clock.advance(60)
        assert coordinator.last_update_success, "the failed poll kept the data"
    else:
        await hass.services.async_call(
            "number",
            "set_value",
            {
                "entity_id": entity_id(hass, "number", f"{sim.vehicle_ids[0]}_target_charge_level"),
                "value": 90,
            },
            blocking=True,
        )
        await clock.advance(10)
        await clock.advance(20)
    sim.faults.clear()
    await clock.run_for(1200, step=60)

    expected = real_meter_at(sim, evse_id, ledger.high_water_mark(evse_id))
    assert expected > at_setup + 1000, "the charger delivered energy during the test"
    assert ledger.energy_total_wh(evse_id) == expected
    assert shown_wh(hass, evse_id) == pytest.approx(expected, abs=10)


async def test_a_confirmed_meter_reset_adds_only_what_was_delivered(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    evse_id = sim.evse_ids[0]
    ledger = integration.runtime_data.ledger
    charge_now(sim)
    await clock.run_for(600, step=60)
    await _next_sample_boundary(sim, clock)
    before_reset = sim.state.evse_logs[evse_id][-1]
    evse = sim.state.evses[evse_id]
    evse.meter_offset_watt_hours = -evse.delivered_watt_hours  # the meter restarts from zero now
    await clock.run_for(1200, step=60)

    since_reset = real_meter_at(sim, evse_id, ledger.high_water_mark(evse_id))
    assert 0 < since_reset < before_reset.meter_reading_watt_hours
    assert ledger.energy_total_wh(evse_id) == before_reset.meter_reading_watt_hours + since_reset


async def test_the_total_is_exact_across_a_restart(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    evse_id = sim.evse_ids[0]
    ledger = integration.runtime_data.ledger
    charge_now(sim)
    await clock.run_for(600, step=60)
    assert await hass.config_entries.async_unload(integration.entry_id)
    await clock.run_for(1200, step=60)  # Home Assistant is down while the car charges
    assert await hass.config_entries.async_setup(integration.entry_id)
    await hass.async_block_till_done()
    await clock.run_for(600, step=60)

    ledger = integration.runtime_data.ledger
    expected = real_meter_at(sim, evse_id, ledger.high_water_mark(evse_id))
    assert ledger.energy_total_wh(evse_id) == expected
    assert shown_wh(hass, evse_id) == pytest.approx(expected, abs=10)


async def test_the_ledger_is_removed_with_the_entry(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    integration: MockConfigEntry,
) -> None:
    key = f"{DOMAIN}.{integration.entry_id}.ledger"
    assert await hass.config_entries.async_unload(integration.entry_id)
    assert key in hass_storage, "written on unload, for the next set-up"
    await hass.config_entries.async_remove(integration.entry_id)
    await hass.async_block_till_done()
    assert key not in hass_storage
