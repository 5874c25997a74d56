"""The solar production forecast in the Energy dashboard: the simulator's forecast times the panels' capacity.

The expected figures are computed from the simulator's own forecast and arrays, never written down here; the
dashboard's side is Home Assistant's energy websocket API, as the Energy settings and the dashboard use it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
import logging
from typing import Any

from homeassistant.components.recorder import Recorder
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.ev_energy.const import API_ORIGIN_ENV, DOMAIN
from custom_components.ev_energy.energy import async_get_solar_forecast
from custom_components.ev_energy.kinds import SCOPES
from simulator.testing import Simulator

from .conftest import Clock, set_up_entry
from .helpers import state, tracebacks

HOUR = timedelta(hours=1)
# The home without its HEM system: the forecast does not depend on it, and with the recorder its home energy
# reader would backfill 30 days during every run here (tested in test_home_energy.py).
pytestmark = pytest.mark.simulator(home_energy=False)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: Recorder, enable_custom_integrations: None
) -> None:
    """Start the recorder before Home Assistant (the energy integration needs it)."""


@pytest.fixture
async def midday(
    simulator_factory: Any, freezer: Any, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Simulator]:
    """The home (without its HEM system) at 10:00 in its routine (the sun's time), Home Assistant pointed at it."""
    async with simulator_factory("home", routine_start_minute=10 * 60, home_energy=False) as sim:
        freezer.move_to(sim.clock.now())
        monkeypatch.setenv(API_ORIGIN_ENV, sim.origin)
        yield sim


def expected_wh_hours(sim: Simulator) -> dict[str, float]:
    """Return the simulator's forecast for today and tomorrow (local days) as Wh per UTC hour start."""
    (forecast,) = sim.state.solar_forecasts.values()
    capacity_kw = sum(array.capacity_watts for array in sim.state.solar_arrays.values()) / 1000
    today = dt_util.start_of_local_day(dt_util.as_local(sim.clock.now()))
    hours: dict[datetime, float] = defaultdict(float)
    for log in sim.engine.solar_forecast(forecast, sim.clock.now()):
        if today <= log.started_at < today + timedelta(days=2):
            hour = log.started_at.replace(minute=0, second=0, microsecond=0)
            watts = log.forecast_watts_per_kilowatt * capacity_kw
            hours[hour] += watts * log.interval_seconds / 3600
    return {hour.isoformat(): wh for hour, wh in sorted(hours.items())}


def assert_same_forecast(shown: dict[str, float], expected: dict[str, float]) -> None:
    assert shown.keys() == expected.keys()
    assert shown == pytest.approx(expected, abs=0.1)


async def test_the_energy_dashboard_shows_the_forecast_times_the_panels_capacity(
    hass: HomeAssistant,
    sim: Simulator,
    integration: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    assert await async_setup_component(hass, "energy", {})
    client = await hass_ws_client(hass)
    info = await _command(client, "energy/info")
    assert DOMAIN in info["solar_forecast_domains"]

    expected = expected_wh_hours(sim)
    assert sum(expected.values()) > 1000, "the simulated sun shines today or tomorrow"
    forecast = await async_get_solar_forecast(hass, integration.entry_id)
    assert forecast is not None
    assert_same_forecast(forecast["wh_hours"], expected)

    # The dashboard asks for the forecasts of the entries picked in the Energy settings.
    source = {
        "type": "solar",
        "stat_energy_from": "sensor.solar",
        "config_entry_solar_forecast": [],
    }
    await _command(
        client,
        "energy/save_prefs",
        energy_sources=[{**source, "config_entry_solar_forecast": [integration.entry_id]}],
    )
    shown = await _command(client, "energy/solar_forecast")
    assert shown.keys() == {integration.entry_id}
    assert_same_forecast(shown[integration.entry_id]["wh_hours"], expected)


@pytest.mark.usefixtures("credentials")
async def test_the_forecast_agrees_with_what_the_inverter_then_reports(
    hass: HomeAssistant, midday: Simulator, freezer: Any
) -> None:
    """Hour by hour, within the simulator's forecast error (10 %) and the 5-minute sampling of the reports."""
    sim = midday
    entry = await set_up_entry(hass, sim)
    forecast = await async_get_solar_forecast(hass, entry.entry_id)
    assert forecast is not None
    first_hour = sim.clock.now().replace(minute=0, second=0, microsecond=0) + HOUR
    await Clock(hass, sim, freezer).run_for(3 * 3600 + 600, step=900)
    (inverter_id,) = sim.inverter_ids
    for hour in (first_hour, first_hour + HOUR, first_hour + 2 * HOUR):
        reported = [
            log.solar_power_watts
            for log in sim.state.inverter_logs[inverter_id]
            if hour <= log.sampled_at < hour + HOUR
        ]
        # Mean power over the hour, in W, is the hour's energy in Wh.
        produced = sum(reported) / len(reported)
        assert produced > 100, "the sun shines in these hours"
        assert forecast["wh_hours"][hour.isoformat()] == pytest.approx(produced, rel=0.2)
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def test_the_forecast_is_read_hourly_and_hidden_once_six_hours_old(
    hass: HomeAssistant,
    sim: Simulator,
    clock: Clock,
    integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    start = len(sim.requests)
    await clock.run_for(3 * 3600 + 300, step=600)
    reads = [r for r in sim.requests[start:] if r.path.startswith("/v2/solar_forecasts")]
    arrays = [r for r in sim.requests[start:] if r.path == "/v2/solar_arrays"]
    # Three requests a cycle (forecasts, arrays, one page of periods), one cycle an hour.
    assert len(reads) == 2 * 3
    assert len(arrays) == 3
    forecast = await async_get_solar_forecast(hass, integration.entry_id)
    assert forecast is not None
    assert_same_forecast(forecast["wh_hours"], expected_wh_hours(sim))

    sim.faults.server_errors(100_000, status=502, path_prefix="/v2/solar_forecasts")
    await clock.run_for(5 * 3600, step=900)
    assert await async_get_solar_forecast(hass, integration.entry_id) is not None, "kept 5 hours"
    await clock.run_for(2 * 3600, step=900)
    assert await async_get_solar_forecast(hass, integration.entry_id) is None, "too old at 7 hours"
    assert not tracebacks(caplog)

    sim.faults.clear()
    await clock.run_for(3600, step=600)
    forecast = await async_get_solar_forecast(hass, integration.entry_id)
    assert forecast is not None
    assert_same_forecast(forecast["wh_hours"], expected_wh_hours(sim))


async def test_an_impossible_period_is_left_out_not_shown(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    (forecast_id,) = sim.state.solar_forecasts
    # The newest period first: the last one of tomorrow.
    sim.faults.bad_value(
        f"solar_forecasts.{forecast_id}.forecast_logs.0.forecast_watts_per_kilowatt", 99_999
    )
    sim.faults.bad_value(
        f"solar_forecasts.{forecast_id}.forecast_logs.1.forecast_watts_per_kilowatt", "abc"
    )
    await clock.run_for(3600, step=600)
    forecast = await async_get_solar_forecast(hass, integration.entry_id)
    assert forecast is not None
    expected = expected_wh_hours(sim)
    last_hour = max(expected)
    # Both half-hours of the last hour are left out: that hour shows nothing, every other hour as before.
    assert last_hour not in forecast["wh_hours"]
    del expected[last_hour]
    assert_same_forecast(forecast["wh_hours"], expected)


@pytest.mark.usefixtures("credentials")
async def test_an_entry_signed_in_before_the_forecast_scopes_keeps_working_and_gets_one_repair(
    hass: HomeAssistant, sim: Simulator, freezer: Any, caplog: pytest.LogCaptureFixture
) -> None:
    old_scopes = [scope for scope in SCOPES if scope not in ("solar_forecast:read", "solar:read")]
    caplog.set_level(logging.INFO)
    entry = await set_up_entry(hass, sim, scopes=old_scopes)
    clock = Clock(hass, sim, freezer)
    assert state(hass, "sensor", f"{sim.vehicle_ids[0]}_battery_level").state != "unavailable"
    assert await async_get_solar_forecast(hass, entry.entry_id) is None
    issue_id = f"{entry.entry_id}_missing_scope_solar_forecast"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.is_fixable
    assert issue.translation_placeholders == {"scope": "solar_forecast:read"}

    start = len(sim.requests)
    await clock.run_for(2 * 3600 + 600, step=300)
    refused = [r for r in sim.requests[start:] if r.path == "/v2/solar_forecasts"]
    assert [r.status for r in refused] == [403, 403], "asked again hourly, not at every poll"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None
    logged = [r for r in caplog.records if "solar_forecast:read" in r.getMessage()]
    assert len(logged) == 1, "one log line, not one per attempt"
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def _command(client: Any, command: str, **fields: Any) -> Any:
    await client.send_json_auto_id({"type": command, **fields})
    response = await client.receive_json()
    assert response["success"], response
    return response["result"]


async def test_no_forecast_for_an_unknown_or_unloaded_entry(
    hass: HomeAssistant, sim: Simulator, integration: MockConfigEntry
) -> None:
    assert await async_get_solar_forecast(hass, integration.entry_id) is not None
    assert await async_get_solar_forecast(hass, "not-an-entry") is None
    assert await hass.config_entries.async_unload(integration.entry_id)
    assert await async_get_solar_forecast(hass, integration.entry_id) is None
