"""Charging statistics in the recorder, exact to the hour, against the simulator's energy usage intervals."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from copy import deepcopy
from datetime import datetime, timedelta
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.components.recorder.models import StatisticData
from homeassistant.components.recorder.statistics import (
    async_add_external_statistics,
    get_metadata,
    statistics_during_period,
)
from homeassistant.components.recorder.util import get_instance
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.ev_energy import sessions as sessions_module
from custom_components.ev_energy.charging_statistics import ENERGY, KINDS, series_id
from custom_components.ev_energy.const import API_ORIGIN_ENV, DOMAIN
from custom_components.ev_energy.hourly import SeriesInfo, hour_of
from custom_components.ev_energy.sessions import BACKFILL_HISTORY, REVISION_INTERVAL, SessionsReader
from simulator.testing import Simulator
from simulator.world import ChargingSubSession
from tests.conftest import SimulatorFactory

from .conftest import Clock, entry_for, set_up_entry
from .helpers import state

TOLERANCE = 1e-9
DAY = 24 * 3600
# The home without its HEM system: charging statistics come from the sessions alone, and the home energy reader's
# 30-day backfill and hourly imports (tested in test_home_energy.py) would make every multi-day run slower.
# The tests of every statistic's sums keep the home's energy (``EVERY_STATISTIC``).
pytestmark = pytest.mark.simulator(home_energy=False)
EVERY_STATISTIC = pytest.mark.simulator(home_energy=True)
# Days run in half-hour steps: the statistics are hourly, and each step still meets every read that is due.
HOURLY_STEP = 1800


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: Recorder, enable_custom_integrations: None
) -> None:
    """Start the recorder before Home Assistant (the conftest's fixture would set up hass first)."""


def _reader(entry: MockConfigEntry) -> SessionsReader:
    return entry.runtime_data.sessions


def _subs(sim: Simulator, since: datetime | None = None) -> list[ChargingSubSession]:
    return [
        sub
        for sub in sim.state.sub_sessions.values()
        if sub.user_id == sim.primary_user_id and (since is None or sub.start > since)
    ]


def truth(subs: Iterable[ChargingSubSession], device_id: str) -> dict[str, dict[datetime, float]]:
    """Return the simulator's figures per statistic kind and hour: the sum of the device's intervals."""
    hours: dict[str, dict[datetime, float]] = {kind: {} for kind in KINDS}
    for sub in subs:
        if device_id not in (sub.evse_id, sub.vehicle_id):
            continue
        for usage in sub.intervals.values():
            # Half-hour slots never cross an hour.
            hour = hour_of(usage.started_at)
            energy = usage.watt_hours / 1000
            grid = energy * usage.percentage_import / 100
            figures = {
                "energy": energy,
                "grid_energy": grid,
                "solar_energy": energy - grid,
                "cost": usage.reported_cost_pence / 100,
            }
            for kind, value in figures.items():
                hours[kind][hour] = hours[kind].get(hour, 0.0) + value
    return hours


async def imported(
    hass: HomeAssistant, device_id: str, start: datetime
) -> dict[str, list[dict[str, Any]]]:
    """Return the recorder's hourly rows of a device's four statistics."""
    await async_wait_recording_done(hass)
    ids = {series_id(device_id, kind) for kind in KINDS}
    rows = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        start,
        None,
        ids,
        "hour",
        None,
        {"change", "sum"},
    )
    return {kind: list(rows.get(series_id(device_id, kind), [])) for kind in KINDS}


def assert_hours_match(
    rows: dict[str, list[dict[str, Any]]], expected: dict[str, dict[datetime, float]]
) -> None:
    """Every imported hour equals the truth, every hour of the truth is imported, sums add up."""
    for kind in KINDS:
        got = {dt_util.utc_from_timestamp(row["start"]): row["change"] for row in rows[kind]}
        # An hour without energy needs no row (float noise of a grid share is no energy either).
        want = {hour: value for hour, value in expected[kind].items() if abs(value) > TOLERANCE}
        # Solar only where a charge met the sun (the three-day test makes one).
        assert want or kind == "solar_energy", f"no {kind} in the simulator's truth"
        if not want:
            assert all(abs(value) <= TOLERANCE for value in got.values())
            continue
        for hour in got.keys() | want.keys():
            assert abs(got.get(hour, 0.0) - want.get(hour, 0.0)) <= TOLERANCE, (kind, hour)
        assert abs(rows[kind][-1]["sum"] - sum(want.values())) <= TOLERANCE * len(want), kind


async def three_days_with_an_outage(
    hass: HomeAssistant, sim: Simulator, clock: Clock, step: float = 900
) -> MockConfigEntry:
    """Run the home for 1.5 days, Home Assistant off 6 hours while the car charges, 1.5 days more; return it.

    The benchmark counts the recorder rows this run writes (at its default quarter-hour steps).
    """
    entry = await set_up_entry(hass, sim)
    await clock.run_for(1.5 * DAY, step=step)
    # Home Assistant is off for six hours; ev.energy goes on.
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    sim.clock.advance(5 * 3600)
    # Meanwhile the car charges at once around noon, partly from the sun.
    car = sim.vehicle()
    sim.plug_in(car)
    sim.set_battery_level(car, 30)
    sim.set_charging(car, charging=True)
    sim.clock.advance(3600)
    clock.freezer.tick(timedelta(hours=6))
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await clock.run_for(1.5 * DAY, step=step)
    await _reader(entry).async_read_after_write()  # the open sub-session as the world has it now
    return entry


async def assert_devices_match(hass: HomeAssistant, sim: Simulator, first_hour: datetime) -> None:
    """The charger's and the car's statistics equal the simulator's intervals, hour by hour."""
    for device_id in _devices(sim):
        assert_hours_match(
            await imported(hass, device_id, first_hour), truth(_subs(sim), device_id)
        )


@pytest.mark.usefixtures("credentials")
async def test_three_days_with_an_outage_match_the_simulator_hour_by_hour(
    hass: HomeAssistant, sim: Simulator, clock: Clock
) -> None:
    first_hour = hour_of(dt_util.utcnow()) - BACKFILL_HISTORY
    entry = await three_days_with_an_outage(hass, sim, clock, step=HOURLY_STEP)
    reader = _reader(entry)

    evse_id, vehicle_id = _devices(sim)
    for device_id in (evse_id, vehicle_id):
        expected = truth(_subs(sim), device_id)
        assert any(expected["solar_energy"].values())
        assert_hours_match(await imported(hass, device_id, first_hour), expected)
    # The three days held sessions every day (not only the warm-up's).
    assert {
        hour_of(sub.start).date()
        for sub in _subs(sim)
        if any(usage.watt_hours for usage in sub.intervals.values())
    } >= {(dt_util.utcnow() - timedelta(days=day)).date() for day in (1, 2)}

    # A second import of the same intervals changes nothing.
    before = await imported(hass, vehicle_id, first_hour)
    reader.charging.last_revision_read = None
    await reader.async_read_after_write()
    assert await reader.charging.async_import(dt_util.utcnow()) == 0
    assert await imported(hass, vehicle_id, first_hour) == before


@pytest.mark.usefixtures("credentials")
async def test_a_revised_interval_corrects_its_hour_and_the_sums_after_it(
    hass: HomeAssistant, sim: Simulator, clock: Clock
) -> None:
    first_hour, _entry = await _set_up(hass, sim)
    await clock.run_for(DAY, step=HOURLY_STEP)
    evse_id, vehicle_id = _devices(sim)
    finished = [sub for sub in _subs(sim) if sub.end is not None and sub.intervals]
    revised_sub = max(finished, key=lambda sub: sub.end or sub.start)
    usage = min(revised_sub.intervals.values(), key=lambda usage: usage.started_at)
    before = await imported(hass, vehicle_id, first_hour)

    # ev.energy revises the interval after the sub-session ended.
    usage.watt_hours += 1234
    await clock.run_for(REVISION_INTERVAL.total_seconds(), step=HOURLY_STEP)

    after = await imported(hass, vehicle_id, first_hour)
    assert_hours_match(after, truth(_subs(sim), vehicle_id))
    assert_hours_match(await imported(hass, evse_id, first_hour), truth(_subs(sim), evse_id))
    revised_hour = hour_of(usage.started_at).timestamp()
    old = {row["start"]: row["sum"] for row in before["energy"]}
    for row in after["energy"]:
        if row["start"] >= revised_hour and row["start"] in old:
            assert row["sum"] > old[row["start"]] + 1.2, "every sum from the revised hour on grew"
        elif row["start"] in old:
            assert row["sum"] == old[row["start"]]


@pytest.fixture
async def month_sim(
    simulator_factory: SimulatorFactory,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Simulator]:
    """The home with five weeks of charging behind it."""
    async with simulator_factory("home", history_hours=34 * 24, home_energy=False) as sim:
        freezer.move_to(sim.clock.now())
        monkeypatch.setenv(API_ORIGIN_ENV, sim.origin)
        yield sim


@pytest.mark.usefixtures("credentials")
async def test_a_new_entry_backfills_thirty_days_inside_the_budget(
    hass: HomeAssistant, month_sim: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    sim = month_sim
    clock = Clock(hass, sim, freezer)
    set_up_at = dt_util.utcnow()
    entry = await set_up_entry(hass, sim)
    await clock.run_for(4 * 3600, step=900)
    reader = _reader(entry)
    assert reader.charging.backfill_before is None, "30 days covered"
    reads = [r for r in sim.requests if r.path == "/v2/charging_sub_sessions"]
    backfill_reads = [r for r in reads if "start__lt" in r.query]
    assert backfill_reads, "older sub-sessions came from the backfill's pages"
    assert all(r.query["expand"] == ["energy_usage"] for r in backfill_reads)
    # Two reads a cycle, at most one more for the statistics.
    assert len(reads) <= 3 * (4 * 3600 / 300 + 1)
    await reader.async_read_after_write()

    evse_id, vehicle_id = _devices(sim)
    first_hour = hour_of(set_up_at - BACKFILL_HISTORY)
    subs = _subs(sim, since=set_up_at - BACKFILL_HISTORY)
    assert min(sub.start for sub in subs) < set_up_at - timedelta(days=25)
    for device_id in (evse_id, vehicle_id):
        assert_hours_match(
            await imported(hass, device_id, first_hour - timedelta(days=5)),
            truth(subs, device_id),
        )
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


@pytest.mark.usefixtures("credentials")
async def test_the_cars_lifetime_energy_is_its_statistic_total_and_survives_a_restart(
    hass: HomeAssistant, sim: Simulator, clock: Clock
) -> None:
    first_hour, entry = await _set_up(hass, sim)
    await clock.run_for(6 * 3600, step=900)
    _, vehicle_id = _devices(sim)
    rows = await imported(hass, vehicle_id, first_hour)
    total = rows["energy"][-1]["sum"]
    lifetime = state(hass, "sensor", f"{vehicle_id}_lifetime_energy")
    assert float(lifetime.state) == round(total, 3)
    assert lifetime.attributes["unit_of_measurement"] == "kWh"
    assert lifetime.attributes["state_class"] == "total_increasing"
    assert lifetime.attributes["device_class"] == "energy"

    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    fresh = entry_for(sim)
    assert fresh.unique_id == entry.unique_id
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert float(state(hass, "sensor", f"{vehicle_id}_lifetime_energy").state) == round(total, 3)
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


@pytest.mark.usefixtures("credentials")
async def test_a_revision_downwards_lowers_the_hour_but_never_the_lifetime_sensor(
    hass: HomeAssistant, sim: Simulator, clock: Clock
) -> None:
    first_hour, entry = await _set_up(hass, sim)
    await clock.run_for(DAY, step=HOURLY_STEP)
    _, vehicle_id = _devices(sim)
    shown = float(state(hass, "sensor", f"{vehicle_id}_lifetime_energy").state)
    finished = [sub for sub in _subs(sim) if sub.end is not None and sub.intervals]
    revised_sub = max(finished, key=lambda sub: sub.end or sub.start)
    usage = max(revised_sub.intervals.values(), key=lambda usage: usage.watt_hours)
    assert usage.watt_hours > 500
    usage.watt_hours -= 500
    await clock.run_for(REVISION_INTERVAL.total_seconds(), step=HOURLY_STEP)

    # The statistic follows ev.energy: its hour and the sums after it are 0.5 kWh lower ...
    assert_hours_match(await imported(hass, vehicle_id, first_hour), truth(_subs(sim), vehicle_id))
    total = _reader(entry).charging.total(vehicle_id)
    assert total is not None
    assert total < shown
    # ... while the total-increasing sensor holds what it showed (a dip would read as a meter reset), also after
    # a restart, until the energy charged since passes it.
    assert float(state(hass, "sensor", f"{vehicle_id}_lifetime_energy").state) == shown
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert float(state(hass, "sensor", f"{vehicle_id}_lifetime_energy").state) == shown
    await clock.run_for(2 * DAY, step=HOURLY_STEP)
    total = _reader(entry).charging.total(vehicle_id)
    assert total is not None
    assert total > shown
    assert float(state(hass, "sensor", f"{vehicle_id}_lifetime_energy").state) == round(total, 3)
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def _set_up(hass: HomeAssistant, sim: Simulator) -> tuple[datetime, MockConfigEntry]:
    """Set the entry up; return it and the first hour its statistics may hold."""
    first_hour = hour_of(dt_util.utcnow()) - BACKFILL_HISTORY
    return first_hour, await set_up_entry(hass, sim)


def _devices(sim: Simulator) -> tuple[str, str]:
    """Return the home's charger and car."""
    user = sim.primary_user_id
    evse = next(e.id for e in sim.state.evses.values() if e.user_id == user)
    vehicle = next(v.id for v in sim.state.vehicles.values() if v.user_id == user)
    return evse, vehicle


@pytest.mark.usefixtures("credentials")
async def test_a_failed_statistics_read_is_tried_again_and_a_429_is_respected(
    hass: HomeAssistant, sim: Simulator
) -> None:
    _first_hour, entry = await _set_up(hass, sim)
    reader = _reader(entry)
    charging = reader.charging
    now = dt_util.utcnow()
    charging.last_revision_read = None
    sim.faults.server_errors(None, status=500, path_prefix="/v2/charging_sub_sessions")
    await reader._read_statistics_extra(now)
    sim.faults.clear()
    assert charging.last_revision_read is None, "due again at the next cycle"
    assert reader.last_update_success, "the sessions read itself is not failed by it"

    sim.faults.rate_limit_now(retry_after=600, path_prefix="/v2/charging_sub_sessions")
    await reader._read_statistics_extra(now)
    assert entry.runtime_data.coordinator.budget.seconds_blocked(now) == pytest.approx(600)
    sim.faults.clear()
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


@pytest.mark.usefixtures("credentials")
async def test_the_backfill_walks_back_page_by_page_and_names_unknown_devices_by_id(
    hass: HomeAssistant, month_sim: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    sim = month_sim
    with patch.object(sessions_module, "PAGE_SIZE", 10):
        entry = await set_up_entry(hass, sim)
        await Clock(hass, sim, freezer).run_for(4 * 3600, step=900)
    backfill = [
        r.query["start__lt"][0]
        for r in sim.requests
        if r.path == "/v2/charging_sub_sessions" and "start__lt" in r.query
    ]
    assert len(backfill) >= 2, "a full page asks for the next, older one"
    assert backfill == sorted(backfill, reverse=True), "each page older than the one before"
    assert entry.runtime_data.sessions.charging.backfill_before is None
    assert entry.runtime_data.sessions._device_name("evse_gone") == "evse_gone"
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


@pytest.mark.usefixtures("credentials")
async def test_a_busy_account_reads_its_newest_pages_and_the_backfill_brings_the_rest(
    hass: HomeAssistant, simulator_factory: SimulatorFactory, freezer: FrozenDateTimeFactory
) -> None:
    async with simulator_factory("fleet", fleet_size=20, history_hours=8 * 24) as sim:
        freezer.move_to(sim.clock.now())
        with patch.dict("os.environ", {API_ORIGIN_ENV: sim.origin}):
            first_hour, entry = await _set_up(hass, sim)
            reader = _reader(entry)
            # More sessions than the one page read to group sub-sessions: the newest are used, no failure.
            assert reader.last_update_success
            await Clock(hass, sim, freezer).run_for(3600, step=900)
            assert reader.charging.backfill_before is None
            await reader.async_read_after_write()
            subs = _subs(sim)
            assert len({sub.session_id for sub in subs}) > 100
            vehicle_id = subs[0].vehicle_id
            assert vehicle_id is not None
            assert_hours_match(
                await imported(hass, vehicle_id, first_hour), truth(subs, vehicle_id)
            )
            await hass.config_entries.async_unload(entry.entry_id)
            await hass.async_block_till_done()


@pytest.mark.usefixtures("credentials")
async def test_a_next_link_to_another_origin_still_fails_the_read(
    hass: HomeAssistant, sim: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    """Only a list longer than the pages asked for is cut to its newest pages; a foreign link is no answer."""
    _first_hour, entry = await _set_up(hass, sim)
    reader = _reader(entry)
    held = dict(reader.data.sub_sessions)
    sim.faults.foreign_next_link("/v2/charging_sub_sessions")
    freezer.tick(60)
    sim.requests.reset()
    await reader.async_read_after_write()
    assert any(r.path == "/v2/charging_sub_sessions" for r in sim.requests)
    assert reader.data.sub_sessions == held, "what was held is kept"
    assert reader.data.updated_at is not None
    assert reader.data.updated_at < dt_util.utcnow(), "the read did not succeed"
    sim.faults.clear()
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


@pytest.mark.usefixtures("credentials")
async def test_days_off_with_more_sub_sessions_than_a_cycle_reads_are_backfilled(
    hass: HomeAssistant, simulator_factory: SimulatorFactory, freezer: FrozenDateTimeFactory
) -> None:
    async with simulator_factory("fleet", fleet_size=5) as sim:
        freezer.move_to(sim.clock.now())
        with patch.dict("os.environ", {API_ORIGIN_ENV: sim.origin}):
            first_hour, entry = await _set_up(hass, sim)
            clock = Clock(hass, sim, freezer)
            await clock.run_for(900, step=900)
            assert await hass.config_entries.async_unload(entry.entry_id)
            await hass.async_block_till_done()
            off_since = sim.clock.now()
            sim.clock.advance(2 * DAY)
            freezer.tick(timedelta(days=2))
            assert len([s for s in _subs(sim) if s.start > off_since]) > 5, "more than a page"
            # A cycle reads one page of 5 finished sub-sessions here (three of 100 in the integration).
            with (
                patch.object(sessions_module, "FINISHED_MAX_PAGES", 1),
                patch.object(sessions_module, "PAGE_SIZE", 5),
                patch("custom_components.ev_energy.api.client.PAGE_SIZE", 5),
            ):
                assert await hass.config_entries.async_setup(entry.entry_id)
                await hass.async_block_till_done()
                reader = _reader(entry)
                assert reader.charging.backfill_before is not None, "the gap is backfilled"
                await clock.run_for(2 * 3600, step=900)
            assert reader.charging.backfill_before is None
            await reader.async_read_after_write()
            subs = _subs(sim)
            for vehicle_id in {sub.vehicle_id for sub in subs[:3] if sub.vehicle_id}:
                assert_hours_match(
                    await imported(hass, vehicle_id, first_hour), truth(subs, vehicle_id)
                )
            await hass.config_entries.async_unload(entry.entry_id)
            await hass.async_block_till_done()


@pytest.mark.usefixtures("credentials")
async def test_the_lifetime_energy_stays_while_sessions_cannot_be_read(
    hass: HomeAssistant, sim: Simulator, clock: Clock
) -> None:
    _first_hour, entry = await _set_up(hass, sim)
    _, vehicle_id = _devices(sim)
    total = _reader(entry).charging.total(vehicle_id)
    assert total
    sim.faults.server_errors(None, status=500, path_prefix="/v2/charging_sub_sessions")
    await clock.run_for(3600, step=900)
    assert not _reader(entry).last_update_success
    lifetime = state(hass, "sensor", f"{vehicle_id}_lifetime_energy")
    assert float(lifetime.state) == round(total, 3)
    sim.faults.clear()
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def _every_statistic(hass: HomeAssistant, start: datetime) -> dict[str, list[dict[str, Any]]]:
    """Return the hourly rows of every statistic of the integration from ``start`` on, with change and sum."""
    await async_wait_recording_done(hass)
    instance = get_instance(hass)
    metadata = await instance.async_add_executor_job(
        lambda: get_metadata(hass, statistic_source=DOMAIN)
    )
    assert metadata
    rows = await instance.async_add_executor_job(
        statistics_during_period, hass, start, None, set(metadata), "hour", None, {"change", "sum"}
    )
    return {sid: list(found) for sid, found in rows.items()}


def assert_no_negative_hour(rows: dict[str, list[dict[str, Any]]]) -> None:
    """No hour of any statistic goes backwards (a sum that restarted would show as a negative hour)."""
    for sid, found in rows.items():
        changes = [row["change"] for row in found]
        assert min(changes) >= -TOLERANCE, (sid, min(changes))


@EVERY_STATISTIC
@pytest.mark.usefixtures("credentials")
async def test_the_same_account_removed_and_added_again_continues_every_sum(
    hass: HomeAssistant, sim: Simulator, clock: Clock
) -> None:
    first_hour, entry = await _set_up(hass, sim)
    await clock.run_for(DAY, step=HOURLY_STEP)
    _, vehicle_id = _devices(sim)
    before = await imported(hass, vehicle_id, first_hour)
    assert before["energy"], "the first entry imported the car's charging"

    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    await clock.run_for(3 * 3600, step=HOURLY_STEP)
    again = await set_up_entry(hass, sim)
    assert again.entry_id != entry.entry_id
    await clock.run_for(DAY, step=HOURLY_STEP)
    await _reader(again).async_read_after_write()

    rows = await _every_statistic(hass, first_hour - timedelta(days=5))
    assert_no_negative_hour(rows)
    # Hour by hour what the simulator delivered: the new entry's 30-day backfill counted nothing twice.
    await assert_devices_match(hass, sim, first_hour)
    after = await imported(hass, vehicle_id, first_hour)
    kept = {row["start"]: row["sum"] for row in after["energy"]}
    for row in before["energy"]:
        assert abs(kept[row["start"]] - row["sum"]) <= TOLERANCE, "the first entry's sums stand"
    await hass.config_entries.async_unload(again.entry_id)
    await hass.async_block_till_done()


@EVERY_STATISTIC
@pytest.mark.usefixtures("credentials")
async def test_an_older_backup_of_the_stores_continues_every_sum(
    hass: HomeAssistant, sim: Simulator, clock: Clock, hass_storage: dict[str, Any]
) -> None:
    """Home Assistant's storage restored from a day-old backup, the recorder's database (MariaDB, say) kept."""
    first_hour, entry = await _set_up(hass, sim)
    await clock.run_for(DAY, step=HOURLY_STEP)
    await hass.async_block_till_done()
    prefix = f"{DOMAIN}.{entry.entry_id}."
    backup = {key: deepcopy(value) for key, value in hass_storage.items() if key.startswith(prefix)}
    assert f"{prefix}charging_statistics" in backup
    await clock.run_for(DAY, step=HOURLY_STEP)

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    for key in [key for key in hass_storage if key.startswith(prefix)]:
        del hass_storage[key]
    hass_storage.update(backup)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await clock.run_for(6 * 3600, step=HOURLY_STEP)
    await _reader(entry).async_read_after_write()

    assert_no_negative_hour(await _every_statistic(hass, first_hour - timedelta(days=5)))
    await assert_devices_match(hass, sim, first_hour)
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


def _series_of_release_0_1(
    sid: str, hours: dict[datetime, float], sum_before: float, changed_from: datetime | None
) -> dict[str, Any]:
    """Return a statistic as the store of release 0.1 kept it: every hour of 35 days and the sum before them."""
    return {
        "statistic_id": sid,
        "name": "Old car energy charged",
        "unit": "kWh",
        "hours": {hour.isoformat(): value for hour, value in hours.items()},
        "sum_before": sum_before,
        "first_kept": None,
        "changed_from": None if changed_from is None else changed_from.isoformat(),
    }


@pytest.mark.usefixtures("credentials")
async def test_an_entry_of_release_0_1_keeps_its_statistic_ids_and_sums_and_drops_its_store(
    hass: HomeAssistant, sim: Simulator, clock: Clock, hass_storage: dict[str, Any]
) -> None:
    entry = entry_for(sim)
    entry.add_to_hass(hass)
    start = hour_of(dt_util.utcnow()) - timedelta(hours=30)
    hours = {start: 1.0, start + timedelta(hours=1): 2.0, start + timedelta(hours=3): 3.0}
    imported_id, waiting_id = "ev_energy:vhcl_old_energy", "ev_energy:vhcl_waiting_energy"
    # What release 0.1 imported: an hour 40 days ago (folded into its store's sum since) and the hours it kept ...
    info = SeriesInfo(statistic_id=imported_id, name="Old car energy charged", unit="kWh")
    sums = [101.0, 103.0, 106.0]
    folded = StatisticData(start=start - timedelta(days=40), state=100.0, sum=100.0)
    async_add_external_statistics(
        hass,
        info.metadata(),
        [
            folded,
            *(StatisticData(start=h, state=s, sum=s) for h, s in zip(hours, sums, strict=True)),
        ],
    )
    await async_wait_recording_done(hass)
    # ... and a statistic whose hours waited for the recorder (it was not loaded then).
    key = f"{DOMAIN}.{entry.entry_id}.statistics"
    hass_storage[key] = {
        "version": 1,
        "minor_version": 1,
        "key": key,
        "data": {
            "series": [
                _series_of_release_0_1(imported_id, hours, 100.0, None),
                _series_of_release_0_1(waiting_id, {start: 4.0}, 50.0, start),
            ]
        },
    }
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await clock.run_for(3600, step=900)

    rows = await _every_statistic(hass, start - timedelta(hours=1))
    assert [(dt_util.utc_from_timestamp(r["start"]), r["sum"]) for r in rows[imported_id]] == list(
        zip(hours, sums, strict=True)
    ), "the sums the recorder held stand"
    assert [(dt_util.utc_from_timestamp(r["start"]), r["sum"]) for r in rows[waiting_id]] == [
        (start, 54.0)
    ], "the waiting hour continues the stored sum"
    assert key not in hass_storage, "the store goes once the recorder holds its sums"
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


@pytest.mark.usefixtures("credentials")
async def test_a_statistic_deleted_in_the_recorder_while_the_car_charges_is_imported_again(
    hass: HomeAssistant, sim: Simulator, clock: Clock
) -> None:
    """The recorder's rows win over what the integration last wrote (deleted in developer tools, say)."""
    first_hour, _entry = await _set_up(hass, sim)
    car = sim.vehicle()
    sim.plug_in(car)
    sim.set_battery_level(car, 30)
    sim.set_charging(car, charging=True)
    await clock.run_for(3600, step=300)
    _, vehicle_id = _devices(sim)
    sid = series_id(vehicle_id, ENERGY)
    get_instance(hass).async_clear_statistics([sid])
    await async_wait_recording_done(hass)
    assert (await imported(hass, vehicle_id, first_hour))["energy"] == []

    await clock.run_for(3600, step=300)
    rows = (await imported(hass, vehicle_id, first_hour))["energy"]
    assert rows, "the charge's hours are imported again"
    assert_no_negative_hour({sid: rows})
