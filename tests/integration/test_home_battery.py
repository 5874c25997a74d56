"""The home battery: a device with its state of charge, power, status and limits, read inside the budget.

The home here has a battery and starts at midday, when the battery charges from the sun. Values are compared with
what the simulator served at the battery's latest read: the battery is read every 10 minutes, not at each poll.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_energy.const import DOMAIN
from custom_components.ev_energy.kinds import HOME_BATTERY
from custom_components.ev_energy.ledger import FUTURE_TOLERANCE
from simulator.oauth import ALL_SCOPES
from simulator.testing import Simulator, run_simulator
from simulator.timeutil import iso
from simulator.world import HomeBatteryStatusLog

from .conftest import Clock, set_up_entry
from .helpers import device_for, state

LIST = "/v2/home_batteries"
SAMPLED_AT = "home_batteries.*.latest_status_log.sampled_at"
STATE_OF_CHARGE = "home_batteries.*.latest_status_log.state_of_charge_percentage"


@pytest.fixture
async def simulator(local_sockets: None) -> AsyncIterator[Simulator]:
    """The home scenario with a home battery, at midday (the `sim` and `integration` fixtures use it).

    Its devices report every minute, as in the demo: polls follow them every minute or so.
    """
    async with run_simulator(
        "home", home_battery=True, routine_start_minute=12 * 60, sample_interval_seconds=60
    ) as sim:
        yield sim


def _battery_id(sim: Simulator) -> str:
    (battery_id,) = sim.state.home_batteries
    return battery_id


def _served(sim: Simulator) -> HomeBatteryStatusLog:
    """Return the battery's sample the integration read last (its latest at the latest list read)."""
    read_at = max(entry.time for entry in sim.requests if entry.path == LIST)
    logs = sim.state.home_battery_logs[_battery_id(sim)]
    return [log for log in logs if log.sampled_at <= read_at][-1]


def _shown(hass: HomeAssistant, sim: Simulator, key: str) -> str:
    return state(hass, "sensor", f"{_battery_id(sim)}_{key}").state


def _list_reads(sim: Simulator, since: datetime | None = None) -> list[Any]:
    return [
        entry
        for entry in sim.requests
        if entry.path == LIST and (since is None or entry.time >= since)
    ]


async def _next_read(clock: Clock, sim: Simulator) -> None:
    """Let time pass until the battery's list is read again (at the first poll 10 minutes after the last read)."""
    before = len(_list_reads(sim))
    for _ in range(15):
        await clock.advance(60)
        if len(_list_reads(sim)) > before:
            return
    raise AssertionError("the battery was not read within 15 minutes")


async def test_the_battery_shows_what_the_simulator_serves(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    device = device_for(hass, _battery_id(sim))
    assert device is not None
    assert (device.manufacturer, device.model, device.name) == (
        "Tesla",
        "Powerwall 2",
        "Home battery",
    )
    for _ in range(3):
        served = _served(sim)
        assert served.charge_rate_watts is not None
        assert _shown(hass, sim, "state_of_charge") == str(served.state_of_charge_percentage)
        assert float(_shown(hass, sim, "home_battery_power")) * 1000 == pytest.approx(
            -served.charge_rate_watts, abs=1
        )
        assert _shown(hass, sim, "home_battery_status") == served.status.lower()
        assert _shown(hass, sim, "operation_mode") == served.operation_mode.lower()
        assert float(_shown(hass, sim, "capacity")) * 1000 == served.capacity_watt_hours
        assert _shown(hass, sim, "discharge_limit") == str(served.discharge_limit_percentage)
        await _next_read(clock, sim)

    power = state(hass, "sensor", f"{_battery_id(sim)}_home_battery_power")
    assert power.attributes["device_class"] == "power"
    assert power.attributes["state_class"] == "measurement"
    soc = state(hass, "sensor", f"{_battery_id(sim)}_state_of_charge")
    assert (soc.attributes["device_class"], soc.attributes["unit_of_measurement"]) == (
        "battery",
        "%",
    )
    capacity = state(hass, "sensor", f"{_battery_id(sim)}_capacity")
    assert capacity.attributes["device_class"] == "energy_storage"


async def test_power_is_negative_while_charging_and_positive_while_discharging(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    """Signed as the Energy settings take a battery's power: + discharging, - charging (ev.energy: + charging)."""
    assert _served(sim).status == "CHARGING", "the sun charges the battery at midday"
    assert float(_shown(hass, sim, "home_battery_power")) < 0
    assert _shown(hass, sim, "home_battery_status") == "charging"

    sim.faults.bad_value("home_batteries.*.latest_status_log.charge_rate_watts", -2400)
    sim.faults.bad_value("home_batteries.*.latest_status_log.status", "DISCHARGING")
    await _next_read(clock, sim)
    assert float(_shown(hass, sim, "home_battery_power")) == pytest.approx(2.4)
    assert _shown(hass, sim, "home_battery_status") == "discharging"


async def test_unknown_values_show_unknown_and_nulls_unavailable(
    hass: HomeAssistant,
    sim: Simulator,
    clock: Clock,
    integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sim.faults.unknown_enum("home_batteries.*.latest_status_log.status", "LEVITATING")
    sim.faults.unknown_enum("home_batteries.*.latest_status_log.operation_mode", "TURBO")
    sim.faults.null_field("home_batteries.*.latest_status_log.state_of_charge_percentage")
    sim.faults.null_field("home_batteries.*.latest_status_log.charge_rate_watts")
    sim.faults.null_field("home_batteries.*.latest_status_log.capacity_watt_hours")
    await _next_read(clock, sim)

    assert _shown(hass, sim, "home_battery_status") == STATE_UNKNOWN
    assert _shown(hass, sim, "operation_mode") == STATE_UNKNOWN
    for key in ("state_of_charge", "home_battery_power", "capacity"):
        assert _shown(hass, sim, key) == STATE_UNAVAILABLE, key
    assert _shown(hass, sim, "discharge_limit") == str(_served(sim).discharge_limit_percentage)
    assert "Traceback" not in caplog.text

    sim.faults.clear()
    await _next_read(clock, sim)
    assert _shown(hass, sim, "home_battery_status") == _served(sim).status.lower()
    assert _shown(hass, sim, "state_of_charge") == str(_served(sim).state_of_charge_percentage)


async def test_an_impossible_value_makes_only_its_sensor_unavailable(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    sim.faults.bad_value("home_batteries.*.latest_status_log.state_of_charge_percentage", 140)
    await _next_read(clock, sim)
    assert _shown(hass, sim, "state_of_charge") == STATE_UNAVAILABLE
    assert _shown(hass, sim, "home_battery_power") != STATE_UNAVAILABLE


async def test_a_stale_sample_shows_unavailable_not_as_current(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    """The battery stops reporting: every read serves the sample shown, which goes stale while reads succeed.

    (An older sample than the one shown is not taken at all: see the ledger's tests below.)
    """
    sim.faults.bad_value(SAMPLED_AT, iso(_served(sim).sampled_at))
    await clock.run_for(HOME_BATTERY.stale_after.total_seconds() + 60, step=60)
    assert _list_reads(sim)[-1].status == 200
    for key in (
        "state_of_charge",
        "home_battery_power",
        "home_battery_status",
        "operation_mode",
        "capacity",
        "discharge_limit",
    ):
        assert _shown(hass, sim, key) == STATE_UNAVAILABLE, key


# A state of charge the simulated battery is far from at midday: showing it means the faked sample was taken.
FAKE_STATE_OF_CHARGE = 3


def _serve_sample(sim: Simulator, sampled_at: datetime) -> None:
    """Serve, from the next read, a battery sample of this time with the fake state of charge."""
    sim.faults.bad_value(SAMPLED_AT, iso(sampled_at))
    sim.faults.bad_value(STATE_OF_CHARGE, FAKE_STATE_OF_CHARGE)


async def test_an_older_sample_served_after_a_newer_one_is_not_shown(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    """An API replica lagging, or a cached answer: the battery keeps showing the newer sample it took."""
    shown = _shown(hass, sim, "state_of_charge")
    assert shown == str(_served(sim).state_of_charge_percentage)
    assert shown != str(FAKE_STATE_OF_CHARGE)
    # Older than the sample shown, yet recent enough to pass for current.
    _serve_sample(sim, _served(sim).sampled_at - timedelta(minutes=2))
    await _next_read(clock, sim)
    assert _shown(hass, sim, "state_of_charge") == shown

    sim.faults.clear()
    await _next_read(clock, sim)
    assert _shown(hass, sim, "state_of_charge") == str(_served(sim).state_of_charge_percentage)


async def test_a_sample_dated_in_the_future_is_shown_from_its_time(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    shown = _shown(hass, sim, "state_of_charge")
    future = sim.clock.now() + timedelta(minutes=10)
    _serve_sample(sim, future)
    await _next_read(clock, sim)
    reads = len(_list_reads(sim))
    while sim.clock.now() + timedelta(minutes=1) < future - FUTURE_TOLERANCE:
        assert _shown(hass, sim, "state_of_charge") == shown
        await clock.advance(60)
    await clock.run_for(180, step=60)
    assert sim.clock.now() >= future - FUTURE_TOLERANCE
    assert _shown(hass, sim, "state_of_charge") == str(FAKE_STATE_OF_CHARGE)
    # Taken at a poll between reads, from the read that held it out: no request of its own.
    assert len(_list_reads(sim)) <= reads + 2


async def test_the_newest_sample_taken_is_kept_across_a_restart(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    """The ledger's mark is stored: an older sample is still refused after a reload, so it never shows."""
    _serve_sample(sim, _served(sim).sampled_at - timedelta(minutes=2))
    assert await hass.config_entries.async_reload(integration.entry_id)
    await hass.async_block_till_done()
    # The newer sample itself is not kept (as the polled devices are not): nothing shows until a newer one.
    assert _shown(hass, sim, "state_of_charge") == STATE_UNAVAILABLE

    sim.faults.clear()
    await _next_read(clock, sim)
    assert _shown(hass, sim, "state_of_charge") == str(_served(sim).state_of_charge_percentage)


async def test_a_sample_goes_stale_between_reads_without_a_poll(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    """Every read fails from now: the entities go unavailable once the last sample is too old."""
    sim.faults.server_errors(100_000, status=500, path_prefix=LIST)
    await clock.run_for(HOME_BATTERY.stale_after.total_seconds() + 60, step=60)
    assert _shown(hass, sim, "state_of_charge") == STATE_UNAVAILABLE


async def test_a_battery_left_out_of_one_list_is_kept(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    battery_id = _battery_id(sim)
    battery = sim.state.home_batteries.pop(battery_id)
    # Its own GET fails too: nothing proves it gone.
    sim.faults.server_errors(1, status=500, path_prefix=f"{LIST}/{battery_id}")
    await _next_read(clock, sim)
    assert device_for(hass, battery_id) is not None
    assert state(hass, "sensor", f"{battery_id}_state_of_charge").state == STATE_UNAVAILABLE

    # A battery still registered is looked for at every read interval, not hourly as for a home without one.
    sim.state.home_batteries[battery_id] = battery
    await _next_read(clock, sim)
    assert device_for(hass, battery_id) is not None
    assert _shown(hass, sim, "state_of_charge") == str(_served(sim).state_of_charge_percentage)


async def test_a_restart_reads_the_battery_at_once(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    """The 10 minutes between reads are not kept across a restart: the battery shows at once, never blank."""
    await clock.advance(120)  # inside the read interval
    before = len(_list_reads(sim))
    assert await hass.config_entries.async_reload(integration.entry_id)
    await hass.async_block_till_done()
    assert len(_list_reads(sim)) == before + 1
    assert _shown(hass, sim, "state_of_charge") == str(_served(sim).state_of_charge_percentage)


async def test_a_battery_costs_six_requests_an_hour(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    """Polls follow the reports (every minute here, as the budget allows); the battery is read every 10 minutes."""
    await clock.run_for(1800, step=60)
    start = sim.clock.now()
    await clock.run_for(3600, step=60)
    reads = _list_reads(sim, start)
    # One every 10 minutes: six, or seven when a read falls on each end of the hour.
    assert 5 <= len(reads) <= 7
    polls = [entry for entry in sim.requests if entry.path == "/v2/evses" and entry.time >= start]
    assert len(polls) >= 4 * len(reads), "the battery is not read at every poll"


@pytest.mark.usefixtures("credentials")
async def test_a_home_without_a_battery_reads_the_list_hourly(
    hass: HomeAssistant, simulator_factory: Any, credentials_factory: Any
) -> None:
    async with simulator_factory("home") as sim:
        clock = await credentials_factory(sim)
        entry = await set_up_entry(hass, sim)
        assert len(_list_reads(sim)) == 1, "set-up looks for a battery"
        await clock.run_for(3600 - 60, step=60)
        assert len(_list_reads(sim)) == 1
        await clock.run_for(120, step=60)
        assert len(_list_reads(sim)) == 2, "an hour later, it looks again"
        await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.usefixtures("credentials")
async def test_without_the_battery_scope_one_repair_and_the_rest_works(
    hass: HomeAssistant, sim: Simulator, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    """An entry signed in before batteries were read keeps working and asks once for the new scope."""
    entry = await set_up_entry(hass, sim, scopes=ALL_SCOPES - {HOME_BATTERY.read_scope})
    await clock.run_for(7200, step=60)

    issues = [
        issue_id
        for (domain, issue_id) in ir.async_get(hass).issues
        if domain == DOMAIN and issue_id.startswith(entry.entry_id)
    ]
    assert issues == [f"{entry.entry_id}_missing_scope_home_batteries"]
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issues[0])
    assert issue is not None
    assert issue.is_fixable
    assert issue.translation_placeholders == {"scope": "home_battery:read"}
    refused = [read for read in _list_reads(sim) if read.status == 403]
    assert 1 <= len(refused) <= 3, "asked again hourly, not at every poll"
    assert caplog.text.count("does not let this account read home_batteries") == 1
    assert device_for(hass, _battery_id(sim)) is None
    assert state(hass, "sensor", f"{sim.evse_ids[0]}_charge_power").state != STATE_UNAVAILABLE
    await hass.config_entries.async_unload(entry.entry_id)
