"""Polling that survives outages, obeys ev.energy's rate limit and loses no sample between polls."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.number import ATTR_VALUE, DOMAIN as NUMBER_DOMAIN, SERVICE_SET_VALUE
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_energy.budget import DEFAULT_RETRY_AFTER
from custom_components.ev_energy.const import API_ORIGIN_ENV
from custom_components.ev_energy.coordinator import GRACE_PERIOD
from custom_components.ev_energy.kinds import EVSE
from simulator.testing import DEFAULT_CLIENT_ID, Simulator

from .conftest import Clock, set_up_entry
from .helpers import IDLE_POLL, entity_id, state


def _api_requests(sim: Simulator, since: int = 0) -> list:
    return [entry for entry in sim.requests[since:] if entry.path.startswith("/v2/")]


async def test_a_short_outage_keeps_entities_and_a_long_one_makes_them_unavailable_until_recovery(
    hass: HomeAssistant,
    sim: Simulator,
    clock: Clock,
    integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    unique_id = f"{sim.evse_ids[0]}_charge_power"
    sim.faults.server_errors(10_000, status=502, path_prefix="/v2/")
    await clock.run_for(GRACE_PERIOD.total_seconds() / 2, step=60)
    assert state(hass, "sensor", unique_id).state != "unavailable"

    with caplog.at_level(logging.INFO):
        await clock.run_for(GRACE_PERIOD.total_seconds() * 2, step=60)
        assert state(hass, "sensor", unique_id).state == "unavailable"
        sim.faults.clear()
        await clock.run_for(600, step=60)
    assert state(hass, "sensor", unique_id).state != "unavailable"

    errors = [
        record
        for record in caplog.records
        if "ev_energy" in record.name and record.levelno >= logging.ERROR
    ]
    recovered = [record for record in caplog.records if "recovered" in record.getMessage()]
    assert len(errors) == 1, "the outage is logged once"
    assert len(recovered) == 1, "the recovery is logged once"


@pytest.mark.parametrize("header", ["Retry-After", "RetryAfter", "retry-after"])
async def test_no_request_is_sent_before_a_429s_retry_time(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry, header: str
) -> None:
    await clock.run_for(600, step=60)
    sim.faults.rate_limit_now(retry_after=900, header=header, path_prefix="/v2/evses")
    start = len(sim.requests)
    await clock.run_for(600, step=60)
    limited = _api_requests(sim, start)
    (met,) = [entry for entry in limited if entry.status == 429]
    # A reader's request sent in the same instant (live power, each minute) may still be answered.
    assert [entry for entry in limited if entry.time > met.time] == [], "none followed the 429"

    await clock.run_for(900, step=60)
    after = [entry for entry in _api_requests(sim, start) if entry.time > met.time]
    assert after, "polling resumes after the retry time"
    assert after[0].time - met.time >= timedelta(seconds=900)


@pytest.fixture
async def small_budget_sim(
    simulator_factory, freezer: FrozenDateTimeFactory, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Simulator]:
    """An account whose hourly limit is 60 requests (ev.energy's is 1000)."""
    async with simulator_factory("home", rate_limit=60) as sim:
        freezer.move_to(sim.clock.now())
        monkeypatch.setenv(API_ORIGIN_ENV, sim.origin)
        yield sim


@pytest.mark.usefixtures("credentials")
async def test_polling_stays_inside_half_of_a_small_hourly_limit(
    hass: HomeAssistant, small_budget_sim: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    sim = small_budget_sim
    entry = await set_up_entry(hass, sim)
    # Set-up reads everything once (devices, a page of each charger's and car's recent reports to learn how often
    # they report, sessions, the first statistics page, the home's last day, the tariff and its prices) before any
    # pacing can apply: a burst of its own, a fixed number of requests.
    set_up_burst = len(_api_requests(sim))
    # 13 (with the first look for a home battery), and the first reads of the solar forecast (3), of where the car
    # is (1), of live power and the carbon forecast (the systems, a reading, the feed, its intensities: 4), and of
    # the tariff and its prices (2).
    assert set_up_burst <= 23
    clock = Clock(hass, sim, freezer)
    await clock.run_for(3 * 3600, step=60)

    requests = _api_requests(sim)
    assert all(entry.status != 429 for entry in requests)
    for index, first in enumerate(requests):
        in_hour = [r for r in requests[index:] if r.time - first.time < timedelta(hours=1)]
        assert len(in_hour) <= 30 + set_up_burst, "at most half of the limit, plus the set-up burst"
    # Once the set-up burst has left the rolling hour, everything together stays inside half of the limit.
    after_burst = [r for r in requests if r.time - requests[0].time >= timedelta(hours=1)]
    for index, first in enumerate(after_burst):
        in_hour = [r for r in after_burst[index:] if r.time - first.time < timedelta(hours=1)]
        assert len(in_hour) <= 30, "at most half of the limit"
    await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.parametrize(
    "after_outage",
    [
        "recovers",
        "history read fails once",  # the gap is read again at the next poll
        "car history rate limited",  # the poll fails after the chargers' samples were seen
    ],
)
async def test_every_sample_reaches_home_assistant_once_even_across_an_outage(
    hass: HomeAssistant,
    sim: Simulator,
    clock: Clock,
    integration: MockConfigEntry,
    after_outage: str,
) -> None:
    coordinator = integration.runtime_data.coordinator
    evse_id = sim.evse_ids[0]
    first_seen = coordinator.data.evses[evse_id].latest_status_log.sampled_at
    delivered: list = []
    unsubscribe = coordinator.async_add_listener(
        lambda: delivered.extend(coordinator.data.new_evse_samples.get(evse_id, []))
    )
    await clock.run_for(1200, step=60)
    # A 25-minute outage: several samples happen without a poll.
    sim.faults.server_errors(10_000, status=503, path_prefix="/v2/")
    await clock.run_for(1500, step=60)
    sim.faults.clear()
    if after_outage == "history read fails once":
        sim.faults.server_errors(1, status=500, path_prefix=f"/v2/evses/{evse_id}/status_logs")
    elif after_outage == "car history rate limited":
        sim.faults.rate_limit_now(
            retry_after=60, path_prefix=f"/v2/vehicles/{sim.vehicle_ids[0]}/status_logs"
        )
    start = len(sim.requests)
    await clock.run_for(900, step=60)
    unsubscribe()

    polled_at = coordinator.data.updated_at
    expected = [
        log.sampled_at
        for log in sim.state.evse_logs[evse_id]
        if first_seen < log.sampled_at <= polled_at
    ]
    assert [sample.sampled_at for sample in delivered] == expected
    history_reads = [r for r in _api_requests(sim, start) if r.path.endswith("/status_logs")]
    assert len(history_reads) >= 1, "the gap was read from the status-log history"


async def _requests_in_an_hour(
    hass: HomeAssistant, sim: Simulator, freezer: FrozenDateTimeFactory
) -> dict[str, int]:
    """Set up against ``sim`` and count, per endpoint, the requests of one hour of polling."""
    entry = await set_up_entry(hass, sim)
    clock = Clock(hass, sim, freezer)
    await clock.run_for(1800, step=60)  # past the first polls, which learn each device's cadence
    start = len(sim.requests)
    await clock.run_for(3600, step=60)
    counts: dict[str, int] = {}
    for record in _api_requests(sim, start):
        counts[record.route] = counts.get(record.route, 0) + 1
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.config_entries.async_remove(entry.entry_id)
    return counts


@pytest.mark.usefixtures("credentials")
async def test_a_poll_costs_the_same_few_requests_however_many_devices(
    hass: HomeAssistant,
    simulator_factory,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    counts = []
    for fleet_size in (1, 12):
        async with simulator_factory("fleet", fleet_size=fleet_size) as sim:
            freezer.move_to(sim.clock.now())
            monkeypatch.setenv(API_ORIGIN_ENV, sim.origin)
            counts.append(await _requests_in_an_hour(hass, sim, freezer))
    # Polling's requests; the sessions reader's are counted in tests/integration/test_sessions.py, the location,
    # solar forecast and tariff readers' in test_location.py, test_solar_forecast.py and test_tariff.py.
    polling_routes = {
        "/v2/evses",
        "/v2/vehicles",
        "/v2/inverters",
        "/v2/home_batteries",
        "/v2/users/{user_id}",
    }
    # The carbon forecast's reader is per account too (tests/integration/test_live_power.py).
    readers = ("/v2/charging_", "/v2/solar_", "/v2/carbon_feeds", "/v2/tariffs")
    counts = [
        {
            route: count
            for route, count in fleet.items()
            if not route.startswith(readers) and not route.endswith("/location_logs")
        }
        for fleet in counts
    ]
    assert counts[0] == counts[1]
    assert set(counts[0]) <= polling_routes
    assert counts[0]["/v2/evses"] == counts[0]["/v2/vehicles"] == counts[0]["/v2/inverters"] >= 6
    # No battery in the fleet: its list is read hourly to find one added, not at every poll.
    assert counts[0].get("/v2/home_batteries", 0) <= 1


@pytest.mark.usefixtures("credentials")
async def test_idle_polls_follow_reports_every_minute(
    hass: HomeAssistant,
    simulator_factory,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    intervals = await _intervals_over_a_night(hass, simulator_factory, freezer, monkeypatch, 1000)
    assert intervals[True], "the night should include charging"
    assert intervals[True] == intervals[False] == {60}


@pytest.mark.usefixtures("credentials")
async def test_a_small_budget_keeps_idle_polls_slower_than_charging_ones(
    hass: HomeAssistant,
    simulator_factory,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 400/h: polling may spend about 160/h beside the readers, a poll every 68 s or so while charging; idle polls
    # spend a part of that.
    intervals = await _intervals_over_a_night(hass, simulator_factory, freezer, monkeypatch, 400)
    assert intervals[True], "the night should include charging"
    assert min(intervals[False]) > max(intervals[True]) > 60
    assert max(intervals[False]) <= 300


async def _intervals_over_a_night(
    hass: HomeAssistant,
    simulator_factory,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
    limit: int,
) -> dict[bool, set[float]]:
    """Return the polling intervals seen while charging and while idle, with reports every minute."""
    async with simulator_factory("home", sample_interval_seconds=60, rate_limit=limit) as sim:
        freezer.move_to(sim.clock.now())
        monkeypatch.setenv(API_ORIGIN_ENV, sim.origin)
        entry = await set_up_entry(hass, sim)
        coordinator = entry.runtime_data.coordinator
        # The fixed intervals under the report timing (tests/integration/test_report_timing.py).
        coordinator.scheduler.report_timed = False
        clock = Clock(hass, sim, freezer)
        await clock.run_for(600, step=60)  # the cadence is learned
        intervals: dict[bool, set[float]] = {True: set(), False: set()}
        for _ in range(12 * 60):  # 12 hours, from the evening through the night's charging
            await clock.advance(60)
            charging = any(
                evse.latest_status_log.is_charging for evse in coordinator.data.evses.values()
            )
            intervals[charging].add(round(coordinator.update_interval.total_seconds()))
        await hass.config_entries.async_unload(entry.entry_id)
    return intervals


def _successes_after(sim: Simulator, start: int) -> list:
    return [entry for entry in _api_requests(sim, start) if entry.status == 200]


async def _wait_after_429(
    sim: Simulator, clock: Clock, retry_after: int | str, *, seconds: float, step: float
) -> timedelta:
    """Answer the next request 429 with this Retry-After; return how long polling waited before it resumed."""
    # Met by a poll (a reader's request may meet it first otherwise, and polling keeps its own schedule then).
    sim.faults.rate_limit_now(retry_after=retry_after, path_prefix="/v2/evses")
    start = len(sim.requests)
    await clock.run_for(seconds, step=step)
    (met,) = [entry for entry in _api_requests(sim, start) if entry.status == 429]
    resumed = [entry for entry in _successes_after(sim, start) if entry.time > met.time]
    assert resumed, "polling resumed"
    return resumed[0].time - met.time


@pytest.mark.parametrize("retry_after", [10**9, 10**300])
async def test_an_absurd_retry_after_pauses_polling_for_at_most_an_hour(
    hass: HomeAssistant,
    sim: Simulator,
    clock: Clock,
    integration: MockConfigEntry,
    retry_after: int,
) -> None:
    waited = await _wait_after_429(sim, clock, retry_after, seconds=3600 + 600, step=60)
    assert timedelta(hours=1) <= waited <= timedelta(hours=1, minutes=2)
    assert state(hass, "sensor", f"{sim.evse_ids[0]}_charge_power").state != "unavailable"


@pytest.mark.parametrize("retry_after", ["soon", "nan", "inf", "-inf", "1e400"])
async def test_a_retry_after_that_is_no_number_of_seconds_waits_the_default_minute(
    hass: HomeAssistant,
    sim: Simulator,
    clock: Clock,
    integration: MockConfigEntry,
    retry_after: str,
) -> None:
    """Every unreadable wait is the same: "inf" used to stop polling for an hour, "soon" for a minute."""
    waited = await _wait_after_429(sim, clock, retry_after, seconds=600, step=30)
    assert DEFAULT_RETRY_AFTER <= waited <= DEFAULT_RETRY_AFTER + timedelta(seconds=60), waited


async def test_an_emptied_request_bucket_slows_polling_only_until_the_window_rolls(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    # Another app of the same account spends the hourly budget: our next answer says `remaining: 0`.
    bucket = (DEFAULT_CLIENT_ID, sim.primary_user_id)
    while sim.rate_limiter.remaining(*bucket) > 1:
        sim.rate_limiter.hit(*bucket)
    emptied_at = sim.clock.now()
    start = len(sim.requests)
    await clock.run_for(2 * 3600, step=60)

    requests = _api_requests(sim, start)
    assert requests[0].status == 200, "the answer that said `remaining: 0`"
    later = [entry for entry in requests[1:] if entry.status == 200]
    assert later, "polling resumed"
    assert later[0].time - emptied_at <= timedelta(hours=1, minutes=2)
    assert len([entry for entry in requests if entry.status == 429]) <= 2


@pytest.mark.parametrize("met_by", ["poll", "command"])
async def test_a_429_holds_across_a_reload_and_nothing_is_sent_inside_it(
    hass: HomeAssistant,
    sim: Simulator,
    clock: Clock,
    integration: MockConfigEntry,
    met_by: str,
) -> None:
    sim.faults.rate_limit_now(retry_after=900)
    start = len(sim.requests)
    if met_by == "command":
        target = entity_id(hass, "number", f"{sim.vehicle_ids[0]}_target_charge_level")
        with pytest.raises(HomeAssistantError):
            await hass.services.async_call(
                NUMBER_DOMAIN,
                SERVICE_SET_VALUE,
                {ATTR_ENTITY_ID: target, ATTR_VALUE: 90},
                blocking=True,
            )
    await clock.run_for(IDLE_POLL, step=60)
    limited_at = _api_requests(sim, start)[0].time

    await hass.config_entries.async_reload(integration.entry_id)
    await hass.async_block_till_done()
    assert integration.state is ConfigEntryState.SETUP_RETRY
    assert integration.reason is not None
    assert "slow down" in integration.reason
    await clock.run_for(900 - IDLE_POLL - 30, step=30)
    assert [entry.status for entry in _api_requests(sim, start)] == [429]

    await clock.run_for(900, step=30)
    assert integration.state is ConfigEntryState.LOADED
    resumed = _successes_after(sim, start)
    assert resumed[0].time - limited_at >= timedelta(seconds=900)


@pytest.mark.usefixtures("credentials")
async def test_a_429_from_before_a_restart_is_respected_at_setup(
    hass: HomeAssistant,
    sim: Simulator,
    clock: Clock,
    config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    until = sim.clock.now() + timedelta(minutes=20)
    hass_storage[f"ev_energy.{config_entry.entry_id}.rate_limit"] = {
        "version": 1,
        "minor_version": 1,
        "key": f"ev_energy.{config_entry.entry_id}.rate_limit",
        "data": {"blocked_until": until.isoformat()},
    }
    config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(config_entry.entry_id)
    await clock.run_for(19 * 60, step=30)
    assert config_entry.state is ConfigEntryState.SETUP_RETRY
    assert not _api_requests(sim)

    await clock.run_for(15 * 60, step=30)
    assert config_entry.state is ConfigEntryState.LOADED
    assert _api_requests(sim)[0].time >= until
    await hass.config_entries.async_unload(config_entry.entry_id)


async def test_stale_entities_go_unavailable_while_polling_is_paused(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    evse_id = sim.evse_ids[0]
    sim.faults.rate_limit_now(retry_after=3600)
    start = len(sim.requests)
    await clock.run_for(60, step=60)
    assert state(hass, "binary_sensor", f"{evse_id}_online").state == "on"
    last_sample = integration.runtime_data.coordinator.data.evses[evse_id].latest_status_log

    await clock.run_for(20 * 60, step=60)
    assert state(hass, "binary_sensor", f"{evse_id}_online").state == "off"
    assert state(hass, "sensor", f"{evse_id}_charge_power").state != "unavailable"
    await clock.run_for(15 * 60, step=60)
    assert dt_util.utcnow() - last_sample.sampled_at > EVSE.stale_after
    assert state(hass, "sensor", f"{evse_id}_charge_power").state == "unavailable"
    assert [entry.status for entry in _api_requests(sim, start)] == [429], "polling stayed paused"
