"""Polling that survives outages, obeys ev.energy's rate limit and loses no sample between polls."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_energy.const import API_ORIGIN_ENV
from custom_components.ev_energy.coordinator import GRACE_PERIOD
from simulator.testing import Simulator

from .conftest import Clock, set_up_entry
from .helpers import state


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
    sim.faults.rate_limit_now(retry_after=900, header=header)
    start = len(sim.requests)
    await clock.run_for(600, step=60)
    limited = _api_requests(sim, start)
    assert [entry.status for entry in limited] == [429], "one request met the 429, none followed it"

    await clock.run_for(900, step=60)
    after = _api_requests(sim, start)
    assert len(after) > 1, "polling resumes after the retry time"
    assert after[1].time - after[0].time >= timedelta(seconds=900)


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
    clock = Clock(hass, sim, freezer)
    await clock.run_for(3 * 3600, step=60)

    requests = _api_requests(sim)
    assert all(entry.status != 429 for entry in requests)
    for index, first in enumerate(requests):
        in_hour = [r for r in requests[index:] if r.time - first.time < timedelta(hours=1)]
        assert len(in_hour) <= 30 + 4, "at most half of the limit, plus the set-up cycle"
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
    assert counts[0] == counts[1]
    assert set(counts[0]) <= {"/v2/evses", "/v2/vehicles", "/v2/inverters", "/v2/users/{user_id}"}
    assert counts[0]["/v2/evses"] == counts[0]["/v2/vehicles"] == counts[0]["/v2/inverters"] >= 6


@pytest.mark.usefixtures("credentials")
async def test_polling_is_faster_while_charging_than_when_idle(
    hass: HomeAssistant,
    simulator_factory,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with simulator_factory("home", sample_interval_seconds=60) as sim:
        freezer.move_to(sim.clock.now())
        monkeypatch.setenv(API_ORIGIN_ENV, sim.origin)
        entry = await set_up_entry(hass, sim)
        coordinator = entry.runtime_data.coordinator
        clock = Clock(hass, sim, freezer)
        intervals: dict[bool, set[float]] = {True: set(), False: set()}
        for _ in range(12 * 12):  # 12 hours, from the evening through the night's charging
            await clock.advance(300)
            charging = any(
                evse.latest_status_log.is_charging for evse in coordinator.data.evses.values()
            )
            intervals[charging].add(coordinator.update_interval.total_seconds())
        assert intervals[True], "the night should include charging"
        assert max(intervals[True]) == 60
        assert min(intervals[False]) == 300
        await hass.config_entries.async_unload(entry.entry_id)
