"""Live power and the carbon forecast: the sensors show what the simulator serves, on their cadence, never stale."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_energy.budget import RequestBudget
from custom_components.ev_energy.carbon import GREENEST_WINDOW, HORIZON
from custom_components.ev_energy.const import DOMAIN
from custom_components.ev_energy.live_power import (
    CADENCE,
    STALE_CYCLES,
    allowance,
    cycle_for,
    requests_per_hour,
)
from custom_components.ev_energy.sensor import LIVE_POWER_SENSORS
from simulator.oauth import ALL_SCOPES
from simulator.testing import Simulator
from simulator.world import CarbonFeed

from .conftest import Clock, set_up_entry
from .helpers import state

# Each sensor's field in the live_power answer.
FIELDS = {
    "grid_import_power": "import_watts",
    "grid_export_power": "export_watts",
    "solar_generation_power": "generation_watts",
    "home_consumption_power": "consumption_watts",
    "battery_charge_power": "charge_watts",
    "battery_discharge_power": "discharge_watts",
    "solar_to_home_power": "solar_to_home_watts",
    "solar_to_battery_power": "solar_to_battery_watts",
    "solar_to_grid_power": "solar_to_grid_watts",
    "battery_to_home_power": "battery_to_home_watts",
    "battery_to_grid_power": "battery_to_grid_watts",
    "grid_to_home_power": "grid_to_home_watts",
    "grid_to_battery_power": "grid_to_battery_watts",
}


def _hem_id(sim: Simulator) -> str:
    (hem_id,) = sim.state.hem_systems
    return hem_id


async def _get(hass: HomeAssistant, sim: Simulator, path: str, **params: str) -> Any:
    """Read the simulator's answer over HTTP now, as a client with every scope would."""
    token = sim.issue_token().access_token
    async with async_get_clientsession(hass).get(
        f"{sim.api_base}{path}", params=params, headers={"Authorization": f"Bearer {token}"}
    ) as response:
        assert response.status == 200
        return await response.json()


def _live_requests(sim: Simulator) -> list[datetime]:
    return [r.time for r in sim.requests if r.path.endswith("/live_power")]


def _shown(hass: HomeAssistant, sim: Simulator) -> dict[str, str]:
    hem_id = _hem_id(sim)
    return {key: state(hass, "sensor", f"{hem_id}_{key}").state for key in FIELDS.keys() | NET}


async def _served(hass: HomeAssistant, sim: Simulator) -> dict[str, str]:
    body = await _get(hass, sim, f"/hem_systems/{_hem_id(sim)}/live_power")
    served = {key: str(body[field]) for key, field in FIELDS.items()}
    return served | {key: str(body[plus] - body[minus]) for key, (plus, minus) in NET.items()}


# The net powers, signed as Home Assistant's Energy settings take them: (positive, negative) flows.
NET = {
    "grid_power": ("import_watts", "export_watts"),
    "battery_power": ("discharge_watts", "charge_watts"),
}


def test_every_sensor_has_its_field() -> None:
    assert {description.key for description in LIVE_POWER_SENSORS} == FIELDS.keys() | NET.keys()


@pytest.mark.parametrize("home_battery", [True])
async def test_live_power_shows_what_the_simulator_serves_each_minute(
    hass: HomeAssistant,
    entity_registry_enabled_by_default: None,
    simulator_factory: Any,
    credentials_factory: Any,
    home_battery: bool,
) -> None:
    """At midday with a battery, so solar, the battery and the grid all flow."""
    async with simulator_factory(
        "home", home_battery=home_battery, routine_start_minute=12 * 60
    ) as sim:
        clock = await credentials_factory(sim)
        entry = await set_up_entry(hass, sim)
        shown = _shown(hass, sim)
        assert shown == await _served(hass, sim)
        assert int(shown["solar_generation_power"]) > 0
        assert int(shown["battery_power"]) < 0, (
            "the battery charges from the sun: a negative net power"
        )
        for _ in range(10):
            read_before = len(_live_requests(sim))
            await clock.advance(CADENCE.total_seconds())
            assert len(_live_requests(sim)) == read_before + 1, "one read a minute"
            assert _shown(hass, sim) == await _served(hass, sim)
        grid = state(hass, "sensor", f"{_hem_id(sim)}_grid_import_power")
        assert grid.attributes["unit_of_measurement"] == "W"
        assert grid.attributes["state_class"] == "measurement"
        assert grid.attributes["device_class"] == "power"
        await hass.config_entries.async_unload(entry.entry_id)


async def test_live_power_goes_unavailable_once_its_reading_is_stale(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    key = f"{_hem_id(sim)}_home_consumption_power"
    before = state(hass, "sensor", key).state
    assert before != STATE_UNAVAILABLE
    sim.faults.server_errors(100_000, status=500, path_prefix="/v2/hem_systems/")
    await clock.advance(CADENCE.total_seconds())
    assert state(hass, "sensor", key).state == before, "one failed read keeps the last reading"
    stale_after = STALE_CYCLES * cycle_for(1)
    await clock.run_for(stale_after.total_seconds(), step=CADENCE.total_seconds())
    assert state(hass, "sensor", key).state == STATE_UNAVAILABLE
    sim.faults.clear()
    await clock.advance(CADENCE.total_seconds())
    served = await _served(hass, sim)
    assert state(hass, "sensor", key).state == served["home_consumption_power"]


async def test_an_account_without_a_hem_system_sends_no_live_power_request(
    hass: HomeAssistant,
    simulator_factory: Any,
    credentials_factory: Any,
) -> None:
    async with simulator_factory("fleet", fleet_size=2) as sim:
        clock = await credentials_factory(sim)
        entry = await set_up_entry(hass, sim)
        assert entry.state is ConfigEntryState.LOADED
        await clock.run_for(3600, step=300)
        assert _live_requests(sim) == []
        assert entry.runtime_data.live_power.systems == []
        await hass.config_entries.async_unload(entry.entry_id)


def test_live_power_stays_inside_its_share_for_a_fleet() -> None:
    assert requests_per_hour(1) == pytest.approx(60 + 1 / 24)
    assert requests_per_hour(20) == pytest.approx(100 + 1 / 24)
    assert requests_per_hour(0) == pytest.approx(1 / 24)
    # A small hourly limit (60, half of it ours): polling keeps most, live power is read every 10 minutes.
    small = allowance(RequestBudget(limit=60))
    assert cycle_for(1, small) == timedelta(minutes=10)


# ------------------------------------------------------------------------ carbon


def _minute_values(rows: list[dict[str, Any]]) -> dict[datetime, int]:
    """Return the intensity of every minute the simulator's intervals cover."""
    values: dict[datetime, int] = {}
    for row in rows:
        start = dt_util.parse_datetime(row["started_at"])
        assert start is not None
        for minute in range(row["interval_seconds"] // 60):
            values[start + timedelta(minutes=minute)] = row["co2_intensity_grams_per_kilowatt_hour"]
    return values


def _brute_force_greenest(values: dict[datetime, int], now: datetime) -> tuple[datetime, float]:
    """Try every minute as the start of the window; the lowest average wins, the earliest on a tie."""
    length = int(GREENEST_WINDOW.total_seconds() // 60)
    best: tuple[datetime, float] | None = None
    start = now
    while start + GREENEST_WINDOW <= now + HORIZON:
        minutes = [values.get(start + timedelta(minutes=m)) for m in range(length)]
        if all(v is not None for v in minutes):
            average = sum(v for v in minutes if v is not None) / length
            if best is None or average < best[1] - 1e-9:
                best = (start, average)
        start += timedelta(minutes=1)
    assert best is not None
    return best


async def _intensities(hass: HomeAssistant, sim: Simulator, now: datetime) -> list[dict[str, Any]]:
    feed_id = sim.state.users[sim.primary_user_id].carbon_feed_id
    body = await _get(
        hass,
        sim,
        f"/carbon_feeds/{feed_id}/carbon_intensities",
        started_at__gte=(now - timedelta(hours=1)).isoformat(),
        started_at__lte=(now + HORIZON + timedelta(hours=1)).isoformat(),
        page_size="100",
    )
    rows: list[dict[str, Any]] = body["carbon_intensities"]
    return rows


async def _check_forecast(hass: HomeAssistant, sim: Simulator) -> None:
    now = dt_util.utcnow()
    rows = await _intensities(hass, sim, now)
    expected = []
    for row in sorted(rows, key=lambda row: row["started_at"]):
        start = dt_util.parse_datetime(row["started_at"])
        assert start is not None
        end = start + timedelta(seconds=row["interval_seconds"])
        if end > now and start < now + HORIZON:
            expected.append(
                {
                    "start": start,
                    "end": end,
                    "intensity": row["co2_intensity_grams_per_kilowatt_hour"],
                }
            )
    user_id = sim.primary_user_id
    carbon = state(hass, "sensor", f"{user_id}_grid_carbon_intensity")
    assert carbon.attributes["forecast"] == expected
    assert all(interval["end"] > now for interval in carbon.attributes["forecast"])
    best_start, best_average = _brute_force_greenest(_minute_values(rows), now)
    greenest = state(hass, "sensor", f"{user_id}_greenest_window_start")
    assert dt_util.parse_datetime(greenest.state) == best_start
    assert greenest.attributes["end"] == best_start + GREENEST_WINDOW
    assert greenest.attributes["average_intensity"] == round(best_average)


async def test_forecast_and_greenest_window_equal_the_brute_force_best(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    await _check_forecast(hass, sim)
    read_before = len(_carbon_reads(sim))
    # Past the half hour: the interval that ended is no longer ahead, and the window moves on.
    await clock.run_for(40 * 60, step=300)
    assert len(_carbon_reads(sim)) == read_before + 1, "one read every half hour"
    await _check_forecast(hass, sim)


def _carbon_reads(sim: Simulator) -> list[datetime]:
    return [r.time for r in sim.requests if r.path.endswith("/carbon_intensities")]


async def test_a_sign_in_without_the_new_scopes_keeps_working_and_raises_each_repair_once(
    hass: HomeAssistant, sim: Simulator, clock: Clock, credentials: None
) -> None:
    entry = await set_up_entry(hass, sim, scopes=ALL_SCOPES - {"carbon:read", "home_energy:read"})
    assert entry.state is ConfigEntryState.LOADED
    registry = ir.async_get(hass)
    for name, scope in (("carbon", "carbon:read"), ("live_power", "home_energy:read")):
        issue = registry.async_get_issue(DOMAIN, f"{entry.entry_id}_missing_scope_{name}")
        assert issue is not None
        assert issue.is_fixable
        assert issue.translation_placeholders == {"scope": scope}
    user_id = sim.primary_user_id
    assert state(hass, "sensor", f"{user_id}_grid_carbon_intensity").state != STATE_UNAVAILABLE
    assert state(hass, "sensor", f"{user_id}_grid_carbon_intensity").attributes["forecast"] == []
    assert state(hass, "sensor", f"{user_id}_greenest_window_start").state == STATE_UNAVAILABLE
    start = len(sim.requests)
    await clock.run_for(3 * 3600, step=300)
    carbon = [r for r in sim.requests[start:] if r.path.startswith("/v2/carbon_feeds")]
    assert [r.status for r in carbon] == [403, 403, 403], "asked again hourly, not at every read"
    assert not [r for r in sim.requests[start:] if r.path.startswith("/v2/hem_systems")]
    # Polling gets what the refused readers no longer spend: each keeps only its retries.
    reservations = entry.runtime_data.gateway.budget.reservations
    assert reservations["carbon"] == pytest.approx(1)
    assert reservations["live_power"] == pytest.approx(1 / 24)
    await hass.config_entries.async_unload(entry.entry_id)


async def test_a_frozen_or_removed_system_shows_no_power(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    hem_id = _hem_id(sim)
    key = f"{hem_id}_grid_import_power"
    assert state(hass, "sensor", key).state != STATE_UNAVAILABLE
    # An answer without its sample time cannot say it is the power now.
    sim.faults.null_field("hem_systems.*.live_power.sampled_at")
    await clock.advance(CADENCE.total_seconds())
    assert state(hass, "sensor", key).state == STATE_UNAVAILABLE
    sim.faults.clear()
    await clock.advance(CADENCE.total_seconds())
    assert state(hass, "sensor", key).state != STATE_UNAVAILABLE
    # The system goes: its 404 has the list read again, which no longer names it.
    del sim.state.hem_systems[hem_id]
    await clock.run_for(STALE_CYCLES * CADENCE.total_seconds() + 60, step=60)
    assert state(hass, "sensor", key).state == STATE_UNAVAILABLE
    assert integration.runtime_data.live_power.systems == []
    reads = _live_requests(sim)
    await clock.run_for(600, step=60)
    assert _live_requests(sim) == reads


async def test_the_forecast_outlives_a_short_outage_but_not_a_long_one(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    user_id = sim.primary_user_id
    sim.faults.server_errors(100_000, status=500, path_prefix="/v2/carbon_feeds")
    await clock.run_for(35 * 60, step=300)
    assert state(hass, "sensor", f"{user_id}_grid_carbon_intensity").attributes["forecast"]
    assert state(hass, "sensor", f"{user_id}_greenest_window_start").state != STATE_UNAVAILABLE
    await clock.run_for(3 * 3600, step=600)
    assert state(hass, "sensor", f"{user_id}_grid_carbon_intensity").attributes["forecast"] == []
    assert state(hass, "sensor", f"{user_id}_greenest_window_start").state == STATE_UNAVAILABLE
    sim.faults.clear()
    await clock.run_for(30 * 60, step=300)
    await _check_forecast(hass, sim)


async def test_with_several_feeds_the_newest_sub_session_names_the_account_s_feed(
    hass: HomeAssistant, sim: Simulator, clock: Clock, credentials: None
) -> None:
    own = sim.state.users[sim.primary_user_id].carbon_feed_id
    sim.state.carbon_feeds["cabfanother"] = CarbonFeed("cabfanother", "Another region")
    # A list whose next link never ends: the pages read are still the forecast.
    sim.faults.endless_pagination("/v2/carbon_feeds/")
    entry = await set_up_entry(hass, sim)
    reads = [r.path for r in sim.requests if r.path.endswith("/carbon_intensities")]
    assert reads
    assert set(reads) == {f"/v2/carbon_feeds/{own}/carbon_intensities"}
    sim.faults.clear()
    await _check_forecast(hass, sim)
    await hass.config_entries.async_unload(entry.entry_id)


async def test_without_a_carbon_feed_no_forecast_is_read(
    hass: HomeAssistant, sim: Simulator, clock: Clock, credentials: None
) -> None:
    sim.state.carbon_feeds.clear()
    entry = await set_up_entry(hass, sim)
    user_id = sim.primary_user_id
    assert state(hass, "sensor", f"{user_id}_grid_carbon_intensity").attributes["forecast"] == []
    assert state(hass, "sensor", f"{user_id}_greenest_window_start").state == STATE_UNAVAILABLE
    await clock.run_for(3600, step=600)
    assert _carbon_reads(sim) == []
    await hass.config_entries.async_unload(entry.entry_id)
