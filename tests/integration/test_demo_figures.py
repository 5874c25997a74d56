"""The demo agrees with itself: what Home Assistant shows equals the simulator's truth, to the watt-hour.

The demo (scripts/develop) compresses the day's routine 60 times on the real clock. Here the same world (devices
reporting every minute, a routine day in 24 minutes, starting at 17:00 routine time) runs on the simulated clock
with the recorder, for three routine evenings and nights: the car comes home, plugs in and charges. At the end the
charger's meter, its lifetime energy and its hourly energy statistic in Home Assistant are the simulator's own
figures, and no hour of the Energy dashboard has a negative untracked consumption.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from homeassistant.components.recorder import Recorder
from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.ev_energy.charging_statistics import ENERGY, series_id
from custom_components.ev_energy.hourly import statistic_id
from simulator.clock import ManualClock
from simulator.testing import Simulator, run_simulator

from .conftest import Clock
from .helpers import state

START = datetime(2026, 11, 19, 9, 0, tzinfo=UTC)
# scripts/develop's world: a day's routine in 24 minutes, reports every minute, half an hour of history.
DEMO = {
    "routine_speed": 60,
    "sample_interval_seconds": 60.0,
    "history_hours": 0.5,
    "routine_start_minute": 17 * 60,
}
# Three routine days, ending at 08:00 routine time with the car gone to work (so no session is open).
RUN = timedelta(minutes=3 * 24 - 9)
WH = 1.0


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: Recorder, enable_custom_integrations: None
) -> None:
    """Start the recorder before Home Assistant (the conftest's fixture would set up hass first)."""


@pytest.fixture
async def simulator(local_sockets: None) -> AsyncIterator[Simulator]:
    """The demo's world on a manual clock."""
    async with run_simulator("home", clock=ManualClock(START), **DEMO) as sim:
        yield sim


def _wh(hass: HomeAssistant, device_id: str, key: str) -> float:
    """Return an energy sensor of a charger or car in Wh (the sensors show kWh)."""
    return float(state(hass, "sensor", f"{device_id}_{key}").state) * 1000


def _charged_wh(
    sim: Simulator, *, evse_id: str | None = None, vehicle_id: str | None = None
) -> int:
    """Return the energy every charging session of a charger or car delivered, in the simulator."""
    return sum(
        usage.watt_hours
        for sub in sim.state.sub_sessions.values()
        if evse_id in (None, sub.evse_id) and vehicle_id in (None, sub.vehicle_id)
        for usage in sub.intervals.values()
    )


async def _hourly_kwh(hass: HomeAssistant, stat_ids: set[str]) -> dict[str, dict[float, float]]:
    """Return each statistic's energy per hour (the change of its sum), keyed by the hour's start."""
    await async_wait_recording_done(hass)
    rows = await hass.async_add_executor_job(
        statistics_during_period,
        hass,
        START - timedelta(days=2),
        None,
        stat_ids,
        "hour",
        None,
        {"change"},
    )
    return {
        stat: {float(row["start"]): float(row.get("change") or 0.0) for row in found}
        for stat, found in rows.items()
    }


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_home_assistant_shows_the_demo_worlds_figures(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    """Meter, lifetime energy and the hourly statistics equal the simulator's; no negative untracked hour."""
    evse_id, vehicle_id = sim.evse_ids[0], sim.vehicle_ids[0]
    counted_at_start = _wh(hass, evse_id, "meter_reading")
    meter_at_start = sim.state.evse_logs[evse_id][-1].meter_reading_watt_hours
    assert meter_at_start is not None

    await clock.run_for(RUN.total_seconds(), step=60)
    await clock.run_for(300, step=60)  # the sessions and home energy readers catch up (car at work)

    vehicle = sim.state.vehicles[vehicle_id]
    assert not vehicle.plugged_in, "the run should end with the car at work"
    newest = sim.state.evse_logs[evse_id][-1]
    assert newest.meter_reading_watt_hours is not None
    charged_wh = newest.meter_reading_watt_hours - meter_at_start
    assert charged_wh > 0, "the car did not charge in three nights"
    # The Energy meter counts every reading once: it rose exactly as the charger's meter did.
    assert _wh(hass, evse_id, "meter_reading") - counted_at_start == pytest.approx(
        charged_wh, abs=WH
    )
    assert _wh(hass, vehicle_id, "lifetime_energy") == pytest.approx(
        _charged_wh(sim, vehicle_id=vehicle_id), abs=WH
    )
    level = state(hass, "sensor", f"{vehicle_id}_battery_level").state
    assert float(level) == sim.state.vehicle_logs[vehicle_id][-1].state_of_charge_percentage

    hem_id = next(iter(sim.state.hem_systems))
    charger_stat = series_id(evse_id, ENERGY)
    grid_in, grid_out, solar = (
        statistic_id(hem_id, key) for key in ("grid_import", "grid_export", "solar_production")
    )
    hourly = await _hourly_kwh(hass, {charger_stat, grid_in, grid_out, solar})
    assert sum(hourly[charger_stat].values()) * 1000 == pytest.approx(
        _charged_wh(sim, evse_id=evse_id), abs=WH
    )
    compared = [hour for hour in hourly[charger_stat] if hour in hourly.get(grid_in, {})]
    assert compared, "no hour has both the charger's and the home's figures"
    for hour in compared:
        charged_kwh = hourly[charger_stat][hour]
        home_kwh = hourly[grid_in][hour] + hourly.get(solar, {}).get(hour, 0.0)
        home_kwh -= hourly.get(grid_out, {}).get(hour, 0.0)
        assert home_kwh - charged_kwh >= -WH / 1000, (
            f"negative untracked consumption in the hour from {datetime.fromtimestamp(hour, UTC)}"
        )
