"""Freshness at the devices' own cadence: idle polls follow the reports, and an unplug is read at once.

The simulator's devices report every minute here, as in the demo (scripts/develop); the simulator's reports are
readable at once, so a poll timed to them lands a few seconds after each.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from simulator.testing import Simulator, run_simulator

from .conftest import Clock
from .helpers import admin, first_report, state, until_shown

REPORT_INTERVAL = 60
STEP = 2
# The target: a plug-in shows within 15 s of the report that carries it, for under 30 % of the limit.
WITHIN = timedelta(seconds=15)
MAX_PER_HOUR = 300


@pytest.fixture
async def simulator(local_sockets: None) -> AsyncIterator[Simulator]:
    """The home scenario with devices reporting every minute (the `sim` and `integration` fixtures use it)."""
    async with run_simulator("home", sample_interval_seconds=REPORT_INTERVAL) as sim:
        yield sim


def _polls(sim: Simulator, since: datetime) -> list[datetime]:
    return [r.time for r in sim.requests if r.path == "/v2/evses" and r.time >= since]


def _plugged_in(hass: HomeAssistant, sim: Simulator) -> str:
    return state(hass, "binary_sensor", f"{sim.evse_ids[0]}_plugged_in").state


async def _to_report_phase(clock: Clock, sim: Simulator, seconds: float) -> None:
    """Let time pass until ``seconds`` after a report."""
    await clock.advance((seconds - sim.clock.now().timestamp() % REPORT_INTERVAL) % REPORT_INTERVAL)


@pytest.mark.usefixtures("credentials")
async def test_idle_polls_follow_reports_every_minute_and_a_plug_in_shows_seconds_after_its_report(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    await admin(hass, sim, f"vehicles/{sim.vehicle_ids[0]}", {"plugged_in": False})
    await clock.run_for(1200, step=STEP)  # the cadence and the report timing are learned
    assert _plugged_in(hass, sim) == "off"

    start = sim.clock.now()
    await clock.run_for(900, step=STEP)
    polls = _polls(sim, start)
    assert len(polls) >= 900 // REPORT_INTERVAL - 1, "idle polls follow the reports, not 5 minutes"
    assert all(poll.timestamp() % REPORT_INTERVAL <= 10 for poll in polls), "just after each report"
    sent = sum(1 for r in sim.requests if r.path.startswith("/v2/") and r.time >= start)
    assert sent * 3600 / 900 < MAX_PER_HOUR

    await _to_report_phase(clock, sim, 25)
    plugged_at = sim.clock.now()
    await admin(hass, sim, f"vehicles/{sim.vehicle_ids[0]}", {"plugged_in": True})
    shown_at = await until_shown(hass, clock, f"{sim.evse_ids[0]}_plugged_in", "on")
    report = first_report(sim, sim.evse_ids[0], plugged_at, plugged_in=True)
    assert timedelta(0) <= shown_at - report <= WITHIN


@pytest.mark.usefixtures("credentials")
async def test_a_new_entry_follows_the_reports_from_its_first_poll(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    """Set-up reads the devices' recent reports: no 5-minute wait before polls follow them (a fresh demo)."""
    set_up_at = sim.clock.now()
    await _to_report_phase(clock, sim, 25)
    unplugged_at = sim.clock.now()
    await admin(hass, sim, f"vehicles/{sim.vehicle_ids[0]}", {"plugged_in": False})
    shown_at = await until_shown(hass, clock, f"{sim.evse_ids[0]}_plugged_in", "off")
    report = first_report(sim, sim.evse_ids[0], unplugged_at, plugged_in=False)
    # Before a report's delay is learned the timing is rougher than WITHIN, but within the report interval.
    assert timedelta(0) <= shown_at - report < timedelta(seconds=REPORT_INTERVAL)
    await clock.run_for(set_up_at.timestamp() + 300 - sim.clock.now().timestamp(), step=STEP)
    assert len(_polls(sim, set_up_at)) >= 300 // REPORT_INTERVAL, (
        "polls every report from the start"
    )


@pytest.mark.usefixtures("credentials")
async def test_an_unplug_reads_the_sessions_at_once_and_ends_the_slot_and_the_boost(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    evse_id = sim.evse_ids[0]
    assert _plugged_in(hass, sim) == "on"
    assert state(hass, "switch", f"{evse_id}_charge_now").state != STATE_UNAVAILABLE
    # The second poll learns the cadence (from the report history); sessions are read every 5 minutes meanwhile.
    await clock.run_for(400, step=STEP)
    await _to_report_phase(clock, sim, 25)
    unplugged_at = sim.clock.now()
    await admin(hass, sim, f"vehicles/{sim.vehicle_ids[0]}", {"plugged_in": False})

    shown_at = await until_shown(hass, clock, f"{sim.evse_ids[0]}_plugged_in", "off")
    assert shown_at - unplugged_at < timedelta(seconds=REPORT_INTERVAL)
    reads = [r.time for r in sim.requests if r.path == "/v2/charging_sub_sessions"]
    assert max(reads) >= _polls(sim, unplugged_at)[0], "the poll that saw the unplug read sessions"
    assert state(hass, "switch", f"{evse_id}_charge_now").state == STATE_UNAVAILABLE
    for device_id in (evse_id, sim.vehicle_ids[0]):
        assert state(hass, "binary_sensor", f"{device_id}_slot_active").state == "off"
