"""The sessions reader: what it holds matches the simulator, inside its budget, and it survives a restart."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_energy.api import SubSessionMode
from custom_components.ev_energy.const import API_ORIGIN_ENV
from custom_components.ev_energy.sessions import SessionsReader
from custom_components.ev_energy.storage import store_key
from simulator.oauth import ALL_SCOPES
from simulator.testing import Simulator
from simulator.world import ChargingSubSession

from .conftest import Clock, entry_for, set_up_entry
from .helpers import IDLE_POLL, entity_id


def _reader(entry: MockConfigEntry) -> SessionsReader:
    return entry.runtime_data.sessions


def _sim_subs(sim: Simulator) -> dict[str, ChargingSubSession]:
    return {
        sub_id: sub
        for sub_id, sub in sim.state.sub_sessions.items()
        if sub.user_id == sim.primary_user_id
    }


def _sub_session_reads(sim: Simulator) -> list[dict[str, list[str]]]:
    return [r.query for r in sim.requests if r.path == "/v2/charging_sub_sessions"]


async def test_the_reader_holds_the_simulators_sub_sessions(
    hass: HomeAssistant, sim: Simulator, integration: MockConfigEntry
) -> None:
    held = _reader(integration).data.sub_sessions
    truth = _sim_subs(sim)
    assert held.keys() == truth.keys()
    for sub_id, sub in truth.items():
        record = held[sub_id]
        assert record.start == sub.start
        assert record.end == sub.end
        assert record.mode is SubSessionMode(sub.mode)
        assert record.energy_wh == sub.energy_delivered_watt_hours
        assert record.solar_energy_wh == sub.solar_energy_delivered_watt_hours
        assert record.cost_minor == round(sub.cost_pence)
        assert record.co2_grams == round(sub.co2_grams)
        assert record.evse_id == sub.evse_id
        assert record.vehicle_id == sub.vehicle_id
        assert record.session_id == sub.session_id


async def test_a_cycle_costs_two_requests_and_never_reads_a_held_finished_sub_session_again(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    reader = _reader(integration)
    assert reader.interval == timedelta(minutes=5)  # the car is plugged in
    held_finished = {sub.id: sub.start for sub in reader.data.sub_sessions.values() if sub.end}
    sim.requests.reset()

    await clock.advance(IDLE_POLL)

    reads = _sub_session_reads(sim)
    assert [read["is_finished"] for read in reads] == [["false"], ["true"]]
    assert reads[0]["expand"] == ["schedules", "energy_usage"]
    assert reads[1]["expand"] == ["energy_usage"]
    since = reads[1]["start__gt"][0]
    # Every finished sub-session the reader held started at or before `since`: none comes back.
    assert all(
        start.isoformat().replace("+00:00", "Z") <= since for start in held_finished.values()
    )
    # Nothing new appeared, so the sessions list (which says what belongs together) was not read.
    assert not [r for r in sim.requests if r.path == "/v2/charging_sessions"]


async def test_an_unplugged_car_slows_the_reader_and_a_plug_in_reads_at_once(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    reader = _reader(integration)
    vehicle = sim.state.vehicles[sim.vehicle_ids[0]]
    sim.engine.unplug(vehicle)
    await clock.run_for(600, step=60)
    assert reader.data.open_sub_session(vehicle_id=vehicle.id) is None
    assert reader.interval == timedelta(minutes=15)

    session = sim.engine.plug_in(vehicle)
    sim.requests.reset()
    # The next poll sees the plug-in; the reader reads at once instead of within 15 minutes.
    await clock.run_for(IDLE_POLL, step=30)
    running = reader.data.open_sub_session(vehicle_id=vehicle.id)
    assert running is not None
    assert running.session_id == session.id
    assert running.id == session.sub_session_ids[-1]
    assert reader.interval == timedelta(minutes=5)


async def test_the_reader_reads_on_its_own_interval_with_polling_stopped(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    """A coordinator of its own: no poll drives its reads (with the listener chain, none came)."""
    reader = _reader(integration)
    interval = reader.update_interval
    assert interval == timedelta(minutes=5)  # the car is plugged in
    await integration.runtime_data.coordinator.async_shutdown()  # polling's timer never fires again
    sim.requests.reset()

    await clock.advance(interval.total_seconds() - 30)
    assert not _sub_session_reads(sim)
    await clock.advance(60)
    assert [read["is_finished"] for read in _sub_session_reads(sim)] == [["false"], ["true"]]
    assert not sim.requests.for_endpoint("GET /v2/evses")
    await clock.advance(interval.total_seconds())
    assert len(_sub_session_reads(sim)) == 4


async def test_an_unplug_asks_for_a_read_at_the_poll_that_sees_it(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    reader = _reader(integration)
    vehicle = sim.state.vehicles[sim.vehicle_ids[0]]
    assert reader.data.open_sub_session(vehicle_id=vehicle.id) is not None
    sim.engine.unplug(vehicle)
    plugged_in = entity_id(hass, "binary_sensor", f"{vehicle.id}_plugged_in")
    for _ in range(IDLE_POLL // 10 + 1):
        mark = len(sim.requests)
        await clock.advance(10)
        if hass.states.get(plugged_in).state == "off":
            break
    since_mark = [r.path for r in sim.requests[mark:]]
    # The poll that saw the unplug, then the sessions read it asked for, in the same ten seconds.
    assert "/v2/vehicles" in since_mark
    assert since_mark.index("/v2/charging_sub_sessions") > since_mark.index("/v2/vehicles")
    assert reader.data.open_sub_session(vehicle_id=vehicle.id) is None
    assert reader.update_interval == timedelta(minutes=15)


async def test_what_the_reader_holds_survives_a_restart(
    hass: HomeAssistant, sim: Simulator, integration: MockConfigEntry
) -> None:
    before = dict(_reader(integration).data.sub_sessions)
    sim.requests.reset()
    assert await hass.config_entries.async_reload(integration.entry_id)
    await hass.async_block_till_done()

    assert _reader(integration).data.sub_sessions == before
    # The first read after the restart asks only for what is newer than what was held.
    since = _sub_session_reads(sim)[1]["start__gt"][0]
    newest = max(sub.start for sub in before.values()) - timedelta(seconds=1)
    assert since == newest.isoformat().replace("+00:00", "Z")


async def test_a_failing_read_keeps_the_sessions_for_half_an_hour_then_shows_unavailable(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    reader = _reader(integration)
    energy = entity_id(hass, "sensor", f"{sim.vehicle_ids[0]}_session_energy")
    held = dict(reader.data.sub_sessions)
    sim.faults.server_errors(None, status=500, path_prefix="/v2/charging_sub_sessions")
    await clock.run_for(1200, step=60)
    assert reader.last_update_success
    assert reader.data.sub_sessions == held
    assert hass.states.get(energy).state != STATE_UNAVAILABLE

    await clock.run_for(1200, step=60)
    assert not reader.last_update_success
    assert hass.states.get(energy).state == STATE_UNAVAILABLE

    sim.faults.clear()
    await clock.run_for(600, step=60)
    assert reader.last_update_success
    assert hass.states.get(energy).state != STATE_UNAVAILABLE


async def test_a_429_on_the_sessions_stops_every_request_until_the_retry_time(
    hass: HomeAssistant, sim: Simulator, integration: MockConfigEntry
) -> None:
    reader = _reader(integration)
    sim.faults.rate_limit_now(retry_after=600, path_prefix="/v2/charging_sub_sessions")
    await reader.async_refresh()
    assert reader.last_update_success  # inside the grace period
    budget = integration.runtime_data.coordinator.budget
    assert budget.seconds_blocked(dt_util.utcnow()) == pytest.approx(600)
    sim.requests.reset()
    await reader.async_refresh()
    assert not _sub_session_reads(sim)


async def test_a_sign_in_that_may_not_read_sessions_leaves_the_rest_working(
    hass: HomeAssistant, sim: Simulator, credentials: None
) -> None:
    entry = await set_up_entry(hass, sim, scopes=ALL_SCOPES - {"charging_session:read"})
    reader = _reader(entry)
    assert entry.state is ConfigEntryState.LOADED
    assert not reader.last_update_success
    assert reader.interval == timedelta(hours=1)
    charge_now = entity_id(hass, "switch", f"{sim.evse_ids[0]}_charge_now")
    assert hass.states.get(charge_now).state == STATE_UNAVAILABLE
    assert (
        hass.states.get(entity_id(hass, "sensor", f"{sim.vehicle_ids[0]}_battery_level")).state
        != STATE_UNAVAILABLE
    )
    await hass.config_entries.async_unload(entry.entry_id)


async def test_a_sub_session_ev_energy_deleted_is_dropped(
    hass: HomeAssistant, sim: Simulator, integration: MockConfigEntry
) -> None:
    reader = _reader(integration)
    running = reader.data.open_sub_session(vehicle_id=sim.vehicle_ids[0])
    assert running is not None
    del sim.state.sub_sessions[running.id]
    await reader.async_refresh()
    assert running.id not in reader.data.sub_sessions


async def test_the_store_is_read_back_old_sessions_pruned_and_unreadable_records_skipped(
    hass: HomeAssistant, sim: Simulator, hass_storage: dict[str, Any], credentials: None
) -> None:
    entry = entry_for(sim)
    old_start = sim.clock.now() - timedelta(days=90)
    hass_storage[store_key(entry.entry_id, "sessions")] = {
        "version": 1,
        "minor_version": 1,
        "key": store_key(entry.entry_id, "sessions"),
        "data": {
            "sub_sessions": [
                {
                    "id": "csub_old",
                    "start": old_start.isoformat(),
                    "end": (old_start + timedelta(hours=2)).isoformat(),
                    "mode": "SMART",
                    "energy_wh": "lots",
                    "vehicle_id": 7,
                },
                {"id": "csub_no_start"},
                "not a record",
            ]
        },
    }
    # ev.energy cannot be read for sessions at first: what the store holds is shown meanwhile.
    sim.faults.server_errors(1, status=500, path_prefix="/v2/charging_sub_sessions")
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    reader = _reader(entry)
    old = reader.data.sub_sessions["csub_old"]
    assert (old.energy_wh, old.vehicle_id, old.mode) == (None, None, SubSessionMode.SMART)
    assert "csub_no_start" not in reader.data.sub_sessions

    await reader.async_refresh()
    assert "csub_old" not in reader.data.sub_sessions  # ended more than 60 days ago
    assert reader.data.sub_sessions.keys() == _sim_subs(sim).keys()
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert store_key(entry.entry_id, "sessions") not in hass_storage


@pytest.fixture
async def two_cars(
    simulator_factory: Any, freezer: FrozenDateTimeFactory, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Simulator]:
    """Two chargers and two cars, both plugged in, with Home Assistant pointed at them."""
    async with simulator_factory("fleet", fleet_size=2) as sim:
        freezer.move_to(sim.clock.now())
        monkeypatch.setenv(API_ORIGIN_ENV, sim.origin)
        yield sim


@pytest.mark.usefixtures("credentials")
async def test_a_sub_session_that_ended_is_read_once_for_its_final_figures(
    hass: HomeAssistant, two_cars: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    sim = two_cars
    entry = await set_up_entry(hass, sim)
    clock = Clock(hass, sim, freezer)
    reader = _reader(entry)
    first = min(
        (sub for sub in reader.data.sub_sessions.values() if sub.end is None),
        key=lambda sub: sub.start,
    )
    await clock.run_for(1800, step=60)
    sim.engine.unplug(sim.state.vehicles[first.vehicle_id or ""])
    sim.requests.reset()
    await clock.run_for(900, step=60)

    # It started before the other car's: the finished list after the newest start does not hold it.
    final = sim.state.sub_sessions[first.id]
    record = reader.data.sub_sessions[first.id]
    assert (record.end, record.energy_wh, record.cost_minor) == (
        final.end,
        final.energy_delivered_watt_hours,
        round(final.cost_pence),
    )
    reads = [r for r in sim.requests if r.path == f"/v2/charging_sub_sessions/{first.id}"]
    assert len(reads) == 1
    sim.requests.reset()
    await clock.run_for(1800, step=60)
    assert not [r for r in sim.requests if first.id in r.path]
    await hass.config_entries.async_unload(entry.entry_id)
