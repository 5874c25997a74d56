"""The home's energy on the Energy dashboard (grid, solar with its forecast, battery) and the car's location.

The simulator's home has solar, a home battery and a HEM system. The account is linked through the API; once the
HEM reader's first read (right after set-up: the last 24 hours) is in, the Energy preferences get the grid (import
and export), the solar production with the integration's forecast, the battery (energy in and out) and the
charger, through the websocket API; on a Home Assistant whose Energy dashboard takes power sensors (the unified
grid format, with ``stat_rate``: 2026.x here), the live grid, solar and battery power too.
tests/e2e/browser/home_energy.mjs then shows yesterday and today (yesterday's production, today's forecast: the
forecast covers today and tomorrow, and the first read holds the last day), screenshots the energy distribution
card and the solar chart (and, with power sensors, the "Now" view's power sources), and opens the car's device
page, whose tracker must say Home (the car is kept at home on the simulator before the entry is made).
Screenshots go to artifacts/e2e/browser-home-energy and, when missing or with EV_ENERGY_UPDATE_SCREENSHOTS=1, to
docs/screenshots/ (README, docs/energy-dashboard.md); the published ones come from Home Assistant 2025.4.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
import time
from typing import Any

import aiohttp
import pytest

from custom_components.ev_energy.hourly import statistic_id
from scripts.devtools.hass import DEV_PASSWORD, DEV_USERNAME, Hass, HassError

from . import processes
from .browser_setup import (
    BROWSER_TIMEOUT,
    publish_screenshot,
    run_browser_script,
    signed_in_with_credentials,
)
from .simulator_admin import SimulatorAdmin

pytestmark = pytest.mark.e2e

DOMAIN = "ev_energy"
SCREENSHOTS = ("home-energy-dashboard.png", "vehicle-location.png")
OUT_DIR = processes.ARTIFACTS / "browser-home-energy"
# The first HEM read covers the 24 hours before the last whole hour.
HISTORY_HOURS = 30
# A car brought home reports it at its next sample.
SAMPLE_INTERVAL = 60
# The first reads follow set-up at once; the recorder commits every 5 seconds (config/configuration.yaml).
IMPORT_WAIT = 120.0
# The live power sensors newer Energy dashboards take (signed: from the grid, out of the battery).
POWER_KEYS = ("grid_power", "solar_generation_power", "battery_power")
HOME_METRICS = (
    "solar_production",
    "grid_import",
    "grid_export",
    "battery_charge",
    "battery_discharge",
)


def simulator_args() -> tuple[str, ...]:
    """The simulator's options (the conftest's ``services``): real time, a home battery, a day and more of history."""
    return (
        "--home-battery",
        "--history-hours",
        str(HISTORY_HOURS),
        "--sample-interval",
        str(SAMPLE_INTERVAL),
    )


async def _keep_the_car_home(sim: SimulatorAdmin, session: aiohttp.ClientSession, car: str) -> None:
    """Keep the car at home (one out comes back now) and wait until its location log says so."""
    async with session.post(
        f"{sim.origin}/_admin/vehicles/{car}", json={"stay_home": True}
    ) as reply:
        assert reply.status == 200, await reply.text()
    async with asyncio.timeout(SAMPLE_INTERVAL * 2 + 10):
        while True:
            logs = await sim.v2(f"/v2/vehicles/{car}/location_logs")
            if logs and max(logs, key=lambda log: log["sampled_at"])["at_home"] is True:
                return
            await asyncio.sleep(1)


async def _wait_for_home_energy(hass: Hass, hem_id: str) -> dict[str, float]:
    """Wait until the home's statistics hold hours; return each statistic's kWh."""
    ids = [statistic_id(hem_id, metric) for metric in HOME_METRICS]
    since = datetime.now(UTC) - timedelta(hours=HISTORY_HOURS + 24)
    started = time.monotonic()
    while True:
        rows = await hass.ws_command(
            "recorder/statistics_during_period",
            start_time=since.isoformat(),
            statistic_ids=ids,
            period="hour",
            types=["change"],
        )
        totals = {stat: sum(row["change"] or 0.0 for row in rows.get(stat, [])) for stat in ids}
        if all(rows.get(stat) for stat in ids):
            return totals
        if time.monotonic() - started > IMPORT_WAIT:
            pytest.fail(f"not imported within {IMPORT_WAIT:.0f} s: {totals}")
        await asyncio.sleep(1)


async def _wait_for_forecast(hass: Hass, entry_id: str) -> int:
    """Wait until the Energy dashboard gets the entry's solar forecast (once chosen); return its hours."""
    started = time.monotonic()
    while True:
        forecast = await hass.ws_command("energy/solar_forecast")
        if forecast.get(entry_id):
            return len(forecast[entry_id]["wh_hours"])
        if time.monotonic() - started > IMPORT_WAIT:
            pytest.fail(f"no solar forecast within {IMPORT_WAIT:.0f} s: {forecast}")
        await asyncio.sleep(1)


def _entity(entities: list[dict[str, Any]], unique_id: str) -> str:
    """Return the entity id of the integration's entity with unique_id."""
    return next(e["entity_id"] for e in entities if e["unique_id"] == unique_id)


async def _save_energy_prefs(
    hass: Hass, hem_id: str, entry_id: str, charger: str, entities: list[dict[str, Any]]
) -> str:
    """Save the Energy preferences; return the format taken ("power" or "energy only").

    Newer Home Assistant has one grid source per connection, each with its power sensor (``stat_rate``, positive
    from the grid), and power sensors for solar and the battery (positive when discharging): the live sensors'
    signs. 2025.4 has a grid source with lists of flows and no power: it refuses the newer format.
    """
    stat = {metric: statistic_id(hem_id, metric) for metric in HOME_METRICS}
    power = {key: _entity(entities, f"{hem_id}_{key}") for key in POWER_KEYS}
    solar = {
        "type": "solar",
        "stat_energy_from": stat["solar_production"],
        "config_entry_solar_forecast": [entry_id],
    }
    battery = {
        "type": "battery",
        "stat_energy_from": stat["battery_discharge"],
        "stat_energy_to": stat["battery_charge"],
    }
    devices = [{"stat_consumption": charger}]
    try:
        await hass.ws_command(
            "energy/save_prefs",
            energy_sources=[
                {
                    "type": "grid",
                    "stat_energy_from": stat["grid_import"],
                    "stat_energy_to": stat["grid_export"],
                    "stat_rate": power["grid_power"],
                    "cost_adjustment_day": 0,
                },
                solar | {"stat_rate": power["solar_generation_power"]},
                battery | {"stat_rate": power["battery_power"]},
            ],
            device_consumption=devices,
        )
    except HassError:
        await hass.ws_command(
            "energy/save_prefs",
            energy_sources=[
                {
                    "type": "grid",
                    # No price: 2025.4's check of a single price wants both keys.
                    "flow_from": [
                        {
                            "stat_energy_from": stat["grid_import"],
                            "entity_energy_price": None,
                            "number_energy_price": None,
                        }
                    ],
                    "flow_to": [{"stat_energy_to": stat["grid_export"]}],
                    "cost_adjustment_day": 0,
                },
                solar,
                battery,
            ],
            device_consumption=devices,
        )
        return "energy only"
    return "power"


async def test_the_energy_dashboard_shows_the_home_and_the_car_page_its_location(
    browser: tuple[str, str],
    services: tuple[processes.Service, processes.Service],
    session: aiohttp.ClientSession,
) -> None:
    node, chromium = browser
    simulator, hass_service = services
    started = time.monotonic()
    hass = await signed_in_with_credentials(hass_service.url, session)
    sim = SimulatorAdmin(simulator.url, session)
    state = await sim.state()
    evse_id, vehicle_id = state["evse_ids"][0], state["vehicle_ids"][0]
    hem_id = (await sim.v2("/v2/hem_systems"))[0]["id"]
    vehicle_name = (await sim.device("vehicles", vehicle_id))["description"]
    await _keep_the_car_home(sim, session, vehicle_id)

    linked = await hass.link_account(DOMAIN)
    assert linked["type"] == "create_entry", linked
    entry_id = (await hass.config_entries(DOMAIN))[0]["entry_id"]
    totals = await _wait_for_home_energy(hass, hem_id)
    imported = time.monotonic() - started
    entities = await hass.entity_registry(DOMAIN)
    taken = await _save_energy_prefs(
        hass, hem_id, entry_id, statistic_id(evse_id, "energy"), entities
    )
    forecast_hours = await _wait_for_forecast(hass, entry_id)
    validation = await hass.ws_command("energy/validate")
    power_sensors = {_entity(entities, f"{hem_id}_{key}") for key in POWER_KEYS}
    assert not [
        issue
        for group in validation.values()
        for issues in group
        for issue in issues
        # A power sensor gets its statistics at the recorder's next five minutes: not an issue of a new install.
        if not (
            issue["type"] == "statistics_not_defined"
            and {entity for entity, _ in issue["affected_entities"]} <= power_sensors
        )
    ], validation
    tracker = _entity(entities, f"{vehicle_id}_location")
    names = {
        row["statistic_id"]: row["name"]
        for row in await hass.ws_command("recorder/list_statistic_ids", statistic_type="sum")
    }
    for old in OUT_DIR.glob("*.png"):
        old.unlink()

    steps = await run_browser_script(
        node,
        "home_energy.mjs",
        {
            "HA_URL": hass.base_url,
            "HA_USERNAME": DEV_USERNAME,
            "HA_PASSWORD": DEV_PASSWORD,
            "SOLAR_NAME": names[statistic_id(hem_id, "solar_production")],
            "DEVICE_NAME": vehicle_name,
            "TRACKER": tracker,
            "POWER": "1" if taken == "power" else "",
            "OUT_DIR": str(OUT_DIR),
            "CHROMIUM": chromium,
        },
        out_dir=OUT_DIR,
        within=BROWSER_TIMEOUT,
    )

    by_step = {step["step"]: step for step in steps if step["step"] != "http_settings_confirmed"}
    assert list(by_step) == ["logged_in", "dashboard_open", "energy_shown", "location_shown"], steps
    shown = by_step["energy_shown"]
    # The solar chart draws the production and its forecast; the distribution card has the battery.
    assert any(name.startswith("Forecast") for name in shown["solar_series"]), shown
    assert any(
        names[statistic_id(hem_id, "solar_production")] in name for name in shown["solar_series"]
    ), shown
    assert "Battery" in shown["distribution"], shown
    # With power sensors (newer Home Assistant), the "Now" view's power sources have the battery too.
    assert taken == "energy only" or "Battery" in shown["power"][0], shown
    assert "Home" in by_step["location_shown"]["row"], by_step["location_shown"]
    print(  # noqa: T201 - the run's timing, for the report
        f"home energy imported {imported:.0f} s after start ({totals}); prefs: {taken};"
        f" forecast hours {forecast_hours};"
        f" shown {shown['period']}; whole test {time.monotonic() - started:.0f} s"
    )
    for name in SCREENSHOTS:
        publish_screenshot(OUT_DIR / name)
