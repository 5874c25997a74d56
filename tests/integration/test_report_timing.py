"""Polls timed to the devices' reports: the poll lands just after the charger's report, with no extra requests.

The simulator's devices report every 5 minutes on the boundary and their reports are readable at once (it has no
report lag), so the lag these tests learn is zero; a lag is tested in ``tests/unit/test_phase.py``.
"""

from __future__ import annotations

from datetime import datetime

from homeassistant.core import HomeAssistant
import pytest

from simulator.testing import Simulator

from .conftest import Clock, set_up_entry

REPORT_INTERVAL = 300
# Set up between two reports, so fixed intervals poll this long after each report.
SET_UP_AFTER_REPORT = 137
LEARNING = 3600
MEASURED = 3600
STEP = 2


def _polls(sim: Simulator, since: datetime) -> list[datetime]:
    return [r.time for r in sim.requests if r.path == "/v2/evses" and r.time >= since]


# The readers' requests: each reader is a coordinator on its own timer, so how many of its reads fall in the hour
# measured depends on its phase, not on how polls are timed.
READER_PATHS = ("/v2/charging_sub_sessions", "/v2/charging_sessions", "/v2/hem_systems")


def _requests(sim: Simulator, since: datetime) -> int:
    """Return polling's requests since ``since`` (what timing the polls may change)."""
    return sum(
        1
        for r in sim.requests
        if r.path.startswith("/v2/")
        and not r.path.startswith(READER_PATHS)
        and not r.path.endswith("/state_of_charge")
        and r.time >= since
    )


def _after_report(poll: datetime) -> float:
    return poll.timestamp() % REPORT_INTERVAL


async def _charge_for_an_hour(
    hass: HomeAssistant, sim: Simulator, clock: Clock, *, report_timed: bool
) -> tuple[list[datetime], int]:
    """Set up between two reports, boost the car; return the polls and requests of the hour after learning."""
    car = sim.state.vehicles[sim.vehicle_ids[0]]
    car.charge_level_watt_hours = (
        car.battery_size_watt_hours * 0.2
    )  # room for two hours of charging
    await clock.advance((SET_UP_AFTER_REPORT - _after_report(sim.clock.now())) % REPORT_INTERVAL)
    entry = await set_up_entry(hass, sim)
    entry.runtime_data.coordinator.scheduler.report_timed = report_timed
    session = next(s for s in sim.state.sessions.values() if s.end is None)
    sub = sim.state.current_sub_session(session)
    if sub is not None and sub.mode == "SMART":
        sim.engine.boost_start(session.id)
    await clock.run_for(LEARNING, step=STEP)
    start = sim.clock.now()
    await clock.run_for(MEASURED, step=STEP)
    polls, requests = _polls(sim, start), _requests(sim, start)
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.config_entries.async_remove(entry.entry_id)
    return polls, requests


@pytest.mark.usefixtures("credentials")
async def test_while_charging_polls_land_seconds_after_the_chargers_report(
    hass: HomeAssistant, sim: Simulator, clock: Clock
) -> None:
    fixed_polls, fixed_requests = await _charge_for_an_hour(hass, sim, clock, report_timed=False)
    assert all(_after_report(poll) >= 60 for poll in fixed_polls), "fixed intervals poll late"

    polls, requests = await _charge_for_an_hour(hass, sim, clock, report_timed=True)
    assert sim.state.evse_logs[sim.evse_ids[0]][-1].is_charging, "the car charged all along"
    assert polls, "the integration polled"
    assert all(_after_report(poll) <= 10 for poll in polls), (
        "timed polls come just after the report"
    )
    assert len(polls) <= len(fixed_polls)
    assert requests <= fixed_requests
