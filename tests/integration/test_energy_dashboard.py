"""The imported statistics in Home Assistant's Energy dashboard: its own validation finds nothing wrong with them.

The statistics come from the integration's import from the simulator (a finished charge, the home's solar
production and grid flows), never made by hand; the Energy preferences are saved and validated through the
websocket API, as the dashboard's configuration page does.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from homeassistant.components.energy import data as energy_data
from homeassistant.components.recorder import Recorder
from homeassistant.components.recorder.statistics import (
    list_statistic_ids,
    statistics_during_period,
)
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.ev_energy.charging_statistics import ENERGY, series_id
from custom_components.ev_energy.hourly import hour_of, statistic_id
from simulator.testing import Simulator
from simulator.world import ChargingSubSession

from .conftest import Clock

# How long the test lets Home Assistant run at most for a charge to finish (the home charges every night).
LONGEST_WAIT = timedelta(hours=36)
TOLERANCE = 1e-6
MISSING = "ev_energy:no_such_device_energy"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: Recorder, enable_custom_integrations: None
) -> None:
    """Start the recorder before Home Assistant (the conftest's fixture would set up hass first)."""


def _devices(sim: Simulator) -> tuple[str, str, str]:
    """Return the home's charger, car and home energy system."""
    user = sim.primary_user_id
    evse = next(e.id for e in sim.state.evses.values() if e.user_id == user)
    vehicle = next(v.id for v in sim.state.vehicles.values() if v.user_id == user)
    (hem,) = sim.state.hem_systems
    return evse, vehicle, hem


def _finished_charge(sim: Simulator, vehicle_id: str) -> ChargingSubSession | None:
    """Return the car's latest finished sub-session that delivered energy, if any."""
    finished = [
        sub
        for sub in sim.state.sub_sessions.values()
        if sub.vehicle_id == vehicle_id
        and sub.end is not None
        and any(usage.watt_hours for usage in sub.intervals.values())
    ]
    return max(finished, key=lambda sub: sub.start, default=None)


async def _energy_sum_after(hass: HomeAssistant, stat_id: str, charge: ChargingSubSession) -> float:
    """Return the recorder's running sum of a statistic at the end of the charge's last hour (0: none)."""
    await async_wait_recording_done(hass)
    last_hour = max(hour_of(usage.started_at) for usage in charge.intervals.values())
    rows = await hass.async_add_executor_job(
        statistics_during_period,
        hass,
        last_hour,
        last_hour + timedelta(hours=1),
        {stat_id},
        "hour",
        None,
        {"sum"},
    )
    found = rows.get(stat_id, [])
    return float(found[0]["sum"] or 0.0) if found else 0.0


async def _run_until_a_charge_is_imported(
    hass: HomeAssistant, sim: Simulator, clock: Clock, vehicle_id: str
) -> ChargingSubSession:
    """Let Home Assistant run until a charge has finished and the car's statistic holds its energy."""
    deadline = dt_util.utcnow() + LONGEST_WAIT
    while dt_util.utcnow() < deadline:
        await clock.run_for(900, step=300)
        charge = _finished_charge(sim, vehicle_id)
        if charge is None:
            continue
        charged = sum(usage.watt_hours for usage in charge.intervals.values()) / 1000
        if (
            await _energy_sum_after(hass, series_id(vehicle_id, ENERGY), charge)
            >= charged - TOLERANCE
        ):
            return charge
    pytest.fail(f"no charge finished and imported within {LONGEST_WAIT}")


def _grid_source(grid_import: str, grid_export: str) -> dict[str, Any]:
    """Return a grid source in this Home Assistant's layout: one import/export pair (newer) or flow lists (2025.4).

    No price: Home Assistant prices imported statistics only through a cost statistic, which ev.energy has not.
    """
    if "stat_energy_from" in energy_data.GridSourceType.__annotations__:
        return {
            "type": "grid",
            "stat_energy_from": grid_import,
            "stat_energy_to": grid_export,
            "cost_adjustment_day": 0,
        }
    no_price = {"entity_energy_price": None, "number_energy_price": None}
    return {
        "type": "grid",
        "flow_from": [{"stat_energy_from": grid_import, "stat_cost": None, **no_price}],
        "flow_to": [{"stat_energy_to": grid_export, "stat_compensation": None, **no_price}],
        "cost_adjustment_day": 0,
    }


async def _command(client: Any, command: str, **data: Any) -> Any:
    await client.send_json_auto_id({"type": command, **data})
    reply = await client.receive_json()
    assert reply["success"], reply
    return reply["result"]


async def test_energy_preferences_with_the_imported_statistics_validate_without_issues(
    hass: HomeAssistant,
    sim: Simulator,
    clock: Clock,
    integration: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    assert await async_setup_component(hass, "energy", {})
    evse_id, vehicle_id, hem_id = _devices(sim)
    await _run_until_a_charge_is_imported(hass, sim, clock, vehicle_id)
    car = series_id(vehicle_id, ENERGY)
    charger = series_id(evse_id, ENERGY)
    solar = statistic_id(hem_id, "solar_production")
    grid_import = statistic_id(hem_id, "grid_import")
    grid_export = statistic_id(hem_id, "grid_export")
    listed = {
        row["statistic_id"]: row
        for row in await hass.async_add_executor_job(list_statistic_ids, hass)
    }
    # Imported by the integration (not made here): an external statistic of ours, in kWh.
    for stat_id in (car, charger, solar, grid_import, grid_export):
        assert listed[stat_id]["source"] == "ev_energy", stat_id
        assert listed[stat_id]["statistics_unit_of_measurement"] == "kWh", stat_id

    client = await hass_ws_client(hass)
    devices = [
        {"stat_consumption": charger},
        # The car charges at the charger: its energy is part of the charger's, not added to it.
        {"stat_consumption": car, "included_in_stat": charger},
    ]
    sources = [
        {"type": "solar", "stat_energy_from": solar, "config_entry_solar_forecast": None},
        _grid_source(grid_import, grid_export),
    ]
    await _command(client, "energy/save_prefs", energy_sources=sources, device_consumption=devices)
    prefs = await _command(client, "energy/get_prefs")
    assert [device["stat_consumption"] for device in prefs["device_consumption"]] == [charger, car]

    validation = await _command(client, "energy/validate")
    assert validation["energy_sources"] == [[], []]
    assert validation["device_consumption"] == [[], []]
    # Newer Home Assistant validates more groups (water devices): nothing in any of them.
    assert all(issues == [] for group in validation.values() for issues in group), validation

    # The same validation flags a statistic nothing imported.
    await _command(
        client,
        "energy/save_prefs",
        device_consumption=[*devices, {"stat_consumption": MISSING}],
    )
    validation = await _command(client, "energy/validate")
    assert validation["device_consumption"][:2] == [[], []]
    (issue,) = validation["device_consumption"][2]
    assert issue["type"] == "statistics_not_defined"
    assert issue["affected_entities"] == [[MISSING, None]]
