"""A routine day of the home scenario goes by on the simulated clock, and Home Assistant keeps true time.

The simulator's world starts on a manual clock at 8:00, the car just gone on its morning commute, and Home
Assistant's clock moves with it a minute at a time (the ``clock`` fixture) for a whole day: the commute, the car
brought home and plugged in at its charger in the evening, solar noon, the night's smart charge, the next
morning's commute. After every minute: no timestamp Home Assistant shows lies in the future (forecasts, which
lie ahead by nature, no more than a day), and the newest report Home Assistant has is never older than a poll
interval and a report interval. At the end: the car was out at the start, the sun shone at noon, the car was
plugged in all night and charged (in the simulator and in Home Assistant), and left in the morning.

This is what the demo test (tests/e2e/test_demo.py) once watched in real time for 7 minutes; here it takes
simulated time only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_energy.const import DOMAIN
from custom_components.ev_energy.scheduler import IDLE_INTERVAL
from simulator.clock import ManualClock
from simulator.engine import READY_BY_MINUTE
from simulator.testing import Simulator, run_simulator

from .conftest import Clock
from .helpers import state

# A Thursday, 8:00 in London (UTC in November): the car left for work at 7:30-7:50.
MORNING = datetime(2026, 11, 19, 8, 0, tzinfo=UTC)
STEP = timedelta(minutes=1)
# The simulator's devices report every 5 minutes (its default).
REPORT_INTERVAL = timedelta(minutes=5)
# A poll reads a report up to a report interval old; the next poll comes one poll interval later; the clock
# moves a step at a time, so a poll due within a step lands at its end.
NEWEST_REPORT_AGE = IDLE_INTERVAL + REPORT_INTERVAL + STEP
# Forecasts ("full at", the next smart-charging slot) lie ahead by nature: within the day, never further.
# The tariff's next change and cheapest window, and the greenest window, lie ahead by nature, within the day-ahead
# prices and the 12-hour carbon forecast read.
FORECASTS = (
    "_full_at",
    "_next_slot_start",
    "_next_slot_end",
    "_next_price_change",
    "_cheapest_window_start",
    "_greenest_window_start",
)
FORECAST_HORIZON = timedelta(days=1)
NOT_LIVE = {STATE_UNAVAILABLE, STATE_UNKNOWN}


@dataclass(frozen=True)
class Moment:
    """The world after one step, in the simulator and as Home Assistant shows it."""

    now: datetime
    at_home: bool
    plugged_in: bool
    meter_watt_hours: float
    solar_watts: float
    ha_plugged_in: str
    ha_charging: str
    ha_meter: str


@pytest.fixture
async def simulator(local_sockets: None) -> AsyncIterator[Simulator]:
    """The home scenario on a manual clock at 8:00 (the shared fixture starts in the evening)."""
    async with run_simulator("home", clock=ManualClock(MORNING)) as sim:
        yield sim


def timestamps_in_the_future(hass: HomeAssistant, now: datetime) -> list[str]:
    """Return the integration's timestamp states later than now (forecasts: later than a day ahead)."""
    problems = []
    for entry in er.async_entries_for_config_entry(
        er.async_get(hass), hass.config_entries.async_entries(DOMAIN)[0].entry_id
    ):
        current = hass.states.get(entry.entity_id)
        if current is None or current.state in NOT_LIVE:
            continue
        if current.attributes.get("device_class") != "timestamp":
            continue
        limit = now + (FORECAST_HORIZON if entry.unique_id.endswith(FORECASTS) else timedelta(0))
        if datetime.fromisoformat(current.state) > limit:
            problems.append(f"{entry.entity_id} = {current.state} at {now.isoformat()}")
    return problems


def look(hass: HomeAssistant, sim: Simulator) -> Moment:
    """Check Home Assistant's timestamps and the age of its newest report; return the world as it is."""
    now = dt_util.utcnow()
    assert now == sim.clock.now(), "the clocks drifted apart"
    assert not timestamps_in_the_future(hass, now), timestamps_in_the_future(hass, now)
    evse_id, vehicle_id = sim.evse_ids[0], sim.vehicle_ids[0]
    reported = state(hass, "sensor", f"{evse_id}_last_sample").state
    assert reported not in NOT_LIVE, f"no report at {now}"
    age = now - datetime.fromisoformat(reported)
    assert age <= NEWEST_REPORT_AGE, (
        f"at {now} the newest report is {age} old: polls do not keep up"
    )
    car = sim.state.vehicles[vehicle_id]
    inverter_logs = sim.state.inverter_logs[sim.inverter_ids[0]]
    return Moment(
        now,
        car.at_home,
        car.plugged_in,
        sim.state.evse_meter_watt_hours(evse_id),
        inverter_logs[-1].solar_power_watts if inverter_logs else 0.0,
        state(hass, "binary_sensor", f"{evse_id}_plugged_in").state,
        state(hass, "binary_sensor", f"{evse_id}_charging").state,
        state(hass, "sensor", f"{evse_id}_meter_reading").state,
    )


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_a_routine_day_goes_by_with_no_timestamp_in_the_future(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    """8:00 to 8:00 on the simulated clock: the simulator lives the day, Home Assistant keeps true time."""
    day = [look(hass, sim)]
    while day[-1].now < MORNING + timedelta(days=1):
        await clock.advance(STEP.total_seconds())
        day.append(look(hass, sim))

    assert not day[0].at_home, "the car was not out on its commute at the start"
    assert not day[0].plugged_in
    evening = [m for m in day if m.now.date() == MORNING.date() and m.now.hour >= 17]
    assert any(m.at_home and m.plugged_in for m in evening), "the car did not come home and plug in"
    noon = next(m for m in day if m.now.hour == 12)
    assert noon.solar_watts > 0, "no sun at noon"

    midnight = MORNING.replace(hour=0) + timedelta(days=1)
    ready_by = midnight + timedelta(minutes=READY_BY_MINUTE)
    night = [m for m in day if midnight <= m.now < ready_by]
    assert all(m.plugged_in for m in night), "the car was not plugged in all night"
    assert night[-1].meter_watt_hours > night[0].meter_watt_hours, "no smart charge at night"
    # Home Assistant saw the same night: plugged in throughout, charging at times, the meter going up.
    assert all(m.ha_plugged_in == "on" for m in night), "Home Assistant lost the plug-in"
    assert any(m.ha_charging == "on" for m in night), "Home Assistant saw no charging at night"
    assert float(night[-1].ha_meter) > float(night[0].ha_meter), (
        "Home Assistant's meter stood still"
    )

    morning = [m for m in day if m.now >= ready_by]
    assert any(not m.at_home and not m.plugged_in for m in morning), "no commute in the morning"
    assert day[-1].ha_plugged_in == "off", "Home Assistant did not see the car leave"
