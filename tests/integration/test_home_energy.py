"""Home energy: the HEM system's solar and grid flows imported as hourly statistics equal to the simulator's buckets."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from homeassistant.components.recorder import Recorder
from homeassistant.components.recorder.statistics import get_metadata, statistics_during_period
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.ev_energy.diagnostics import async_get_config_entry_diagnostics
from custom_components.ev_energy.home_energy import BACKFILL, HomeEnergyReader, requests_per_day
from custom_components.ev_energy.hourly import statistic_id
from custom_components.ev_energy.storage import store_key
from simulator.oauth import ALL_SCOPES
from simulator.testing import Simulator
from simulator.world import HemSystem

from .conftest import Clock, entry_for, set_up_entry
from .helpers import reauth_flows, tracebacks

# The bucket fields of each imported statistic.
FIELDS = {
    "solar_production": "generation_wh",
    "grid_import": "import_wh",
    "grid_export": "export_wh",
    "battery_charge": "charge_wh",
    "battery_discharge": "discharge_wh",
}
HOUR = timedelta(hours=1)
HEM_PATH = "/v2/hem_systems"


@pytest.fixture(autouse=True)
def mock_recorder_before_hass(async_test_recorder: Any) -> None:
    """Prepare the recorder before Home Assistant starts (the autouse fixtures start it early)."""


def _hem_id(sim: Simulator) -> str:
    (hem_id,) = sim.state.hem_systems
    return hem_id


def _reader(entry: MockConfigEntry) -> HomeEnergyReader:
    return entry.runtime_data.home_energy


def _hem_requests(sim: Simulator) -> list[str]:
    # The live power reader's reads each minute are its own (tests/integration/test_live_power.py).
    return [
        r.path
        for r in sim.requests
        if r.path.startswith(HEM_PATH) and not r.path.endswith("/live_power")
    ]


async def _truth(
    hass: HomeAssistant, sim: Simulator, start: datetime, end: datetime
) -> dict[str, dict[datetime, int]]:
    """Return the simulator's Wh per complete hour of each field with energy, read over HTTP a day at a time."""
    token = sim.issue_token().access_token
    halves: dict[str, dict[datetime, list[int]]] = {field: {} for field in FIELDS.values()}
    session = async_get_clientsession(hass)
    day_start = start
    while day_start < end:
        day_end = min(day_start + timedelta(hours=24), end)
        async with session.get(
            f"{sim.api_base}/hem_systems/{_hem_id(sim)}/energy_stats",
            params={
                "start": day_start.isoformat(),
                "end": day_end.isoformat(),
                "resolution": "PT30M",
            },
            headers={"Authorization": f"Bearer {token}"},
        ) as response:
            assert response.status == 200
            body: dict[str, Any] = await response.json()
        for bucket in body["buckets"]:
            hour = dt_util.parse_datetime(bucket["period_start"]).replace(minute=0)
            for field, hours in halves.items():
                if bucket[field] is not None:
                    hours.setdefault(hour, []).append(bucket[field])
        day_start = day_end
    return {
        field: {
            hour: sum(values) for hour, values in hours.items() if len(values) == 2 and sum(values)
        }
        for field, hours in halves.items()
    }


async def _imported(
    hass: HomeAssistant, sim: Simulator, key: str, start: datetime
) -> dict[datetime, int]:
    """Return the Wh the recorder holds per hour of a statistic (from its running sums), hours with energy only.

    An hour without energy needs no row: the recorder holds only the hours where the sum moved.
    """
    await async_wait_recording_done(hass)
    sid = statistic_id(_hem_id(sim), key)
    rows = await hass.async_add_executor_job(
        statistics_during_period, hass, start - BACKFILL, None, {sid}, "hour", None, {"sum"}
    )
    result: dict[datetime, int] = {}
    previous = 0.0  # the first imported hour's sum is its own energy
    for row in rows.get(sid, []):
        hour = dt_util.utc_from_timestamp(row["start"])
        total = row["sum"]
        assert total is not None
        if hour >= start and (wh := round((total - previous) * 1000)):
            result[hour] = wh
        previous = total
    return result


async def _metadata(hass: HomeAssistant) -> dict[str, Any]:
    """Return the recorder's metadata of the integration's statistics, by statistic id."""
    await async_wait_recording_done(hass)
    found = await hass.async_add_executor_job(
        lambda: get_metadata(hass, statistic_source="ev_energy")
    )
    return {sid: meta for sid, (_id, meta) in found.items()}


def _newest_hour(sim: Simulator) -> datetime:
    """Return the newest hour the reader has read at this moment (five minutes after an hour, that hour)."""
    return (sim.clock.now() - timedelta(minutes=5)).replace(minute=0, second=0, microsecond=0)


async def _catch_up(clock: Clock, hours: float = 6) -> None:
    """Let Home Assistant run long enough for a 30-day backfill (a day every ten minutes)."""
    await clock.run_for(hours * 3600, step=600)


async def test_imported_hours_equal_the_simulators_buckets_and_a_second_run_changes_nothing(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    sim: Simulator,
    clock: Clock,
    integration: MockConfigEntry,
) -> None:
    await _catch_up(clock)
    newest = _newest_hour(sim)
    oldest = newest - BACKFILL
    truth = await _truth(hass, sim, oldest, newest)
    # The home makes solar energy: the comparison has something to compare.
    assert any(truth["generation_wh"].values())
    for key, field in FIELDS.items():
        # Every hour of the last 30 days equals the simulator's two half-hour buckets.
        assert await _imported(hass, sim, key, oldest) == truth[field], key

    before = {key: await _imported(hass, sim, key, oldest - 6 * HOUR) for key in FIELDS}
    reader = _reader(integration)
    sim.requests.reset()
    await reader.async_refresh()
    assert _hem_requests(sim) == []  # nothing is due before the next hour
    # The same 30 days read again are not imported again (only the hours new since), and change nothing.
    imported_before = reader.diagnostics()["hours_imported_since_start"]
    reader._read_until.clear()
    await reader.async_refresh()
    await _catch_up(clock, hours=5.5)
    assert reader.diagnostics()["hours_imported_since_start"] - imported_before <= 3 * 6
    after = {key: await _imported(hass, sim, key, oldest - 6 * HOUR) for key in FIELDS}
    for key in FIELDS:
        assert {h: wh for h, wh in after[key].items() if h in before[key]} == before[key]


async def test_a_home_battery_gets_its_energy_in_and_out_as_the_simulator_reports_it(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    simulator_factory: Any,
    credentials_factory: Any,
) -> None:
    async with simulator_factory("home", home_battery=True) as sim:
        await credentials_factory(sim)
        entry = await set_up_entry(hass, sim)
        # The first read is the last day.
        oldest = _newest_hour(sim) - timedelta(hours=23)
        truth = await _truth(hass, sim, oldest, _newest_hour(sim) + HOUR)
        # The battery charges and discharges within a day: both statistics have hours to compare.
        assert any(truth["charge_wh"].values())
        assert any(truth["discharge_wh"].values())
        for key in ("battery_charge", "battery_discharge"):
            assert await _imported(hass, sim, key, oldest) == truth[FIELDS[key]], key
        metadata = await _metadata(hass)
        assert (
            metadata[statistic_id(_hem_id(sim), "battery_charge")]["name"]
            == "Home battery energy in"
        )
        await hass.config_entries.async_unload(entry.entry_id)


async def test_the_reader_reads_on_its_own_schedule_with_polling_stopped(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    sim: Simulator,
    clock: Clock,
    integration: MockConfigEntry,
) -> None:
    """A coordinator of its own: after set-up's read in the background, its timer reads (no poll drives it)."""
    reader = _reader(integration)
    assert reader.systems == [_hem_id(sim)]  # the first read ran after set-up
    await integration.runtime_data.coordinator.async_shutdown()  # polling's timer never fires again
    sim.requests.reset()
    # The backfill reads a day every ten minutes on the reader's own interval.
    assert reader.update_interval == timedelta(minutes=10)
    await clock.advance(9 * 60)
    assert _hem_requests(sim) == []
    await clock.advance(2 * 60)
    assert len(_hem_requests(sim)) == 1
    assert not sim.requests.for_endpoint("GET /v2/evses")
    # Caught up, the next read is due five minutes after the next hour.
    await _catch_up(clock)
    sim.requests.reset()
    next_hour = _newest_hour(sim) + HOUR
    await clock.advance((next_hour + timedelta(minutes=4) - sim.clock.now()).total_seconds())
    assert _hem_requests(sim) == []
    await clock.advance(2 * 60)
    assert [path.rsplit("/", 1)[-1] for path in _hem_requests(sim)] == ["energy_stats"]
    assert not sim.requests.for_endpoint("GET /v2/evses")


async def test_a_new_hour_is_read_once_with_the_day_before_it(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    sim: Simulator,
    clock: Clock,
    integration: MockConfigEntry,
) -> None:
    await _catch_up(clock)
    sim.requests.reset()
    # Half-hour steps: the hourly read (five minutes after the hour) needs no finer ones.
    await clock.run_for(24 * 3600, step=1800)
    # One read of the last 24 hours for each hour that passed, and the systems list once a day.
    # The live power reader lists the systems once a day too.
    assert len(_hem_requests(sim)) == requests_per_day(1) + 1 == 26
    stats_reads = [r.query for r in sim.requests if r.path.endswith("/energy_stats")]
    assert all(read["resolution"] == ["PT30M"] for read in stats_reads)
    newest = _newest_hour(sim)
    truth = await _truth(hass, sim, newest - timedelta(hours=24), newest)
    imported = await _imported(hass, sim, "solar_production", newest - timedelta(hours=23))
    assert imported == {
        h: wh for h, wh in truth["generation_wh"].items() if h >= newest - timedelta(hours=23)
    }


async def test_after_an_outage_the_missing_days_are_read_and_imported(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    sim: Simulator,
    clock: Clock,
    integration: MockConfigEntry,
) -> None:
    await _catch_up(clock)
    await hass.config_entries.async_unload(integration.entry_id)
    await hass.async_block_till_done()
    down_from = _newest_hour(sim)
    # Home Assistant is off for three days; ev.energy goes on.
    await clock.advance(3 * 24 * 3600)
    sim.requests.reset()
    assert await hass.config_entries.async_setup(integration.entry_id)
    await hass.async_block_till_done()
    await _catch_up(clock, hours=1)
    starts = [
        dt_util.parse_datetime(r.query["start"][0])
        for r in sim.requests
        if r.path.endswith("/energy_stats")
    ]
    # The last day first (what the user looks at), then the two days before it, oldest first from where the
    # reader stopped (each read then moves only its own day's sums and the last day's); then hourly reads.
    back_at = down_from + timedelta(days=3)
    assert starts[:3] == [back_at - timedelta(days=day) for day in (1, 3, 2)]
    assert len(starts) <= 5
    newest = _newest_hour(sim)
    truth = await _truth(hass, sim, down_from, newest)
    for key, field in FIELDS.items():
        imported = await _imported(hass, sim, key, down_from)
        assert imported == truth[field], key
    assert _reader(integration).diagnostics()["hours_behind"] == 0


async def test_an_unknown_bucket_is_not_imported_and_a_flow_never_reported_is_not_created(
    recorder_mock: Recorder, hass: HomeAssistant, sim: Simulator, clock: Clock, credentials: None
) -> None:
    sim.faults.null_field("hem_systems.*.energy_stats.buckets.*.export_wh")
    sim.faults.null_field("hem_systems.*.energy_stats.buckets.3.generation_wh")
    entry = await set_up_entry(hass, sim)
    await async_wait_recording_done(hass)
    reader = _reader(entry)
    # The first read is the last day: its second hour lacks a half.
    oldest = _newest_hour(sim) - timedelta(hours=24)
    imported = await _imported(hass, sim, "solar_production", oldest)
    assert oldest + HOUR not in imported
    truth = await _truth(hass, sim, oldest, _newest_hour(sim))
    assert imported == {h: wh for h, wh in truth["generation_wh"].items() if h != oldest + HOUR}
    hem_id = _hem_id(sim)
    metadata = await _metadata(hass)
    assert statistic_id(hem_id, "grid_export") not in metadata
    # A home without a battery reports zeros for it: no battery statistics to pick from in the Energy settings.
    assert statistic_id(hem_id, "battery_charge") not in metadata
    assert statistic_id(hem_id, "battery_discharge") not in metadata
    assert metadata[statistic_id(hem_id, "grid_import")]["name"] == "Home grid import"
    assert await _imported(hass, sim, "grid_export", oldest) == {}
    assert reader.diagnostics()["systems"] == 1
    await hass.config_entries.async_unload(entry.entry_id)


async def test_a_token_without_home_energy_read_is_told_once_and_retried_daily(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    *,
    sim: Simulator,
    clock: Clock,
    credentials: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    entry = await set_up_entry(hass, sim, scopes=ALL_SCOPES - {"home_energy:read"})
    assert entry.state is ConfigEntryState.LOADED
    reader = _reader(entry)
    assert reader.forbidden
    assert "reauthenticate" in caplog.text
    assert not tracebacks(caplog)
    assert not reauth_flows(hass)
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    assert diagnostics["home_energy"]["forbidden"] is True
    sim.requests.reset()
    await clock.run_for(23 * 3600, step=1800)
    assert _hem_requests(sim) == []
    await clock.run_for(2 * 3600, step=1800)
    assert _hem_requests(sim) == [HEM_PATH, HEM_PATH]  # this reader's and live power's, a day on
    assert caplog.text.count("reauthenticate") == 1
    await hass.config_entries.async_unload(entry.entry_id)


async def test_diagnostics_count_without_ids_and_the_store_goes_with_the_entry(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    sim: Simulator,
    integration: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    diagnostics = await async_get_config_entry_diagnostics(hass, integration)
    home = diagnostics["home_energy"]
    assert home["systems"] == 1
    assert home["forbidden"] is False
    assert _hem_id(sim) not in str(home)
    await hass.async_block_till_done()
    await hass.config_entries.async_unload(integration.entry_id)
    assert store_key(integration.entry_id, "home_energy") in hass_storage
    await hass.config_entries.async_remove(integration.entry_id)
    await hass.async_block_till_done()
    assert store_key(integration.entry_id, "home_energy") not in hass_storage


async def test_a_rate_limit_or_an_error_waits_and_the_read_resumes_where_it_stopped(
    recorder_mock: Recorder, hass: HomeAssistant, sim: Simulator, clock: Clock, credentials: None
) -> None:
    # The first list meets a 429 asking for an hour: nothing is sent until it passed.
    sim.faults.rate_limit_now(retry_after=3600, path_prefix=HEM_PATH)
    entry = await set_up_entry(hass, sim)
    reader = _reader(entry)
    assert reader.systems is None
    sim.requests.reset()
    await reader.async_refresh()  # asked to read at once, it still waits
    await clock.run_for(50 * 60, step=300)
    assert sim.requests.counters.total == 0
    await clock.run_for(20 * 60, step=300)
    assert reader.systems == [_hem_id(sim)]
    # A day's read meets a 429 too (after the list): again nothing until the wait passed.
    stats_path = f"{HEM_PATH}/{_hem_id(sim)}/energy_stats"
    sim.faults.rate_limit_now(retry_after=3600, path_prefix=stats_path)
    await clock.run_for(15 * 60, step=300)
    behind = reader.diagnostics()["hours_behind"]
    sim.requests.reset()
    await reader.async_refresh()
    await clock.run_for(50 * 60, step=300)
    assert sim.requests.counters.total == 0
    # Then a server error: the next try comes fifteen minutes later and reads the same last day (moved on by the
    # hour that may have passed meanwhile), then the backfill goes on.
    sim.faults.server_errors(count=1, path_prefix=stats_path)
    await clock.run_for(40 * 60, step=300)
    starts = [
        dt_util.parse_datetime(r.query["start"][0]) for r in sim.requests if r.path == stats_path
    ]
    assert len(starts) >= 3
    assert timedelta(0) <= starts[1] - starts[0] <= HOUR
    assert starts[2] < starts[1]
    assert reader.diagnostics()["hours_behind"] < behind
    # Two reads at once: the second leaves it to the first.
    await asyncio.gather(reader.async_refresh(), reader.async_refresh())
    await hass.config_entries.async_unload(entry.entry_id)


async def test_stored_progress_is_read_back_and_a_removed_system_forgotten(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    *,
    sim: Simulator,
    credentials: None,
    hass_storage: dict[str, Any],
) -> None:
    entry = entry_for(sim)
    hem_id = _hem_id(sim)
    newest = _newest_hour(sim)
    hass_storage[store_key(entry.entry_id, "home_energy")] = {
        "version": 1,
        "minor_version": 1,
        "key": store_key(entry.entry_id, "home_energy"),
        "data": {
            "systems": [hem_id, "hemsGONE"],
            "systems_read_at": None,
            "read_until": {
                hem_id: (newest - timedelta(hours=3)).isoformat(),
                "hemsGONE": newest.isoformat(),
                "hemsBROKEN": "not a time",
            },
        },
    }
    entry.add_to_hass(hass)
    sim.requests.reset()
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    # The list is read again (its age is unknown); only the last day is read, not thirty.
    starts = [r.query["start"][0] for r in sim.requests if r.path.endswith("/energy_stats")]
    assert [dt_util.parse_datetime(start) for start in starts] == [newest - timedelta(hours=24)]
    await hass.config_entries.async_unload(entry.entry_id)
    stored = hass_storage[store_key(entry.entry_id, "home_energy")]["data"]
    assert stored["systems"] == [hem_id]
    assert stored["read_until"] == {hem_id: newest.isoformat()}


def test_the_daily_request_figure() -> None:
    assert requests_per_day(0) == 1
    assert requests_per_day(1) == 25
    assert requests_per_day(1, backfill_days=30) == 55


async def test_a_removed_system_is_listed_again_and_a_refused_window_retried_daily(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    sim: Simulator,
    clock: Clock,
    integration: MockConfigEntry,
) -> None:
    reader = _reader(integration)
    hem_id = _hem_id(sim)
    stats_path = f"{HEM_PATH}/{hem_id}/energy_stats"
    # ev.energy refuses a window (400): the next try is a day later, not in minutes.
    sim.faults.server_errors(count=1, status=400, path_prefix=stats_path)
    await clock.run_for(20 * 60, step=300)
    sim.requests.reset()
    await clock.run_for(23 * 3600, step=1800)
    assert _hem_requests(sim) == []
    await clock.run_for(3600, step=1800)
    assert stats_path in _hem_requests(sim)
    # The system is removed from the account: its read answers 404, the list is read again, reads stop.
    del sim.state.hem_systems[hem_id]
    await clock.run_for(3600, step=300)
    assert reader.systems == []
    sim.requests.reset()
    await clock.run_for(6 * 3600, step=1800)
    assert _hem_requests(sim) == []


async def test_two_home_energy_systems_get_numbered_statistics_of_their_own(
    recorder_mock: Recorder, hass: HomeAssistant, sim: Simulator, credentials: None
) -> None:
    first = sim.state.hem_systems[_hem_id(sim)]
    second = HemSystem("hems" + "Z" * 26, first.user_id, first.created_at)
    sim.state.hem_systems[second.id] = second
    entry = await set_up_entry(hass, sim)
    metadata = await _metadata(hass)
    for number, hem_id in enumerate(sorted(sim.state.hem_systems), start=1):
        info = metadata[statistic_id(hem_id, "solar_production")]
        assert info["name"] == f"Home solar production {number}"
        assert info["unit_of_measurement"] == "kWh"
    await hass.config_entries.async_unload(entry.entry_id)
