"""The Energy dashboard shows the car's charging by hour from the statistics the integration imported.

The account is linked through the API (the consent page is test_browser.py's subject). The simulator starts with
two days of history, so a night's charge has finished whatever the time of day; the integration's first sessions
read (right after set-up) imports it. Once the recorder holds the charger's and the car's hours, the Energy
preferences get both as individual devices (the car inside the charger), through the websocket API.
tests/e2e/browser/energy_dashboard.mjs then logs in, opens the Energy dashboard, goes back with "Previous" to the
day of the charge and waits until the device chart's legend names the car's statistic. The screenshot goes to artifacts/e2e/browser-energy and, when missing or with
EV_ENERGY_UPDATE_SCREENSHOTS=1, to docs/screenshots/ (docs/energy-dashboard.md shows it).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
import json
import time
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from custom_components.ev_energy.hourly import statistic_id
from scripts.devtools.hass import DEV_PASSWORD, DEV_USERNAME, Hass

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
SCREENSHOT = "energy-dashboard.png"
OUT_DIR = processes.ARTIFACTS / "browser-energy"
# Two nights: a charge has finished (the car unplugged in the morning) whatever the time of day.
HISTORY_HOURS = 48
# The first reads follow set-up at once; the recorder commits every 5 seconds (config/configuration.yaml).
IMPORT_WAIT = 120.0


def simulator_args() -> tuple[str, ...]:
    """The simulator's options (the conftest's ``services``): real time, two days of history."""
    return ("--history-hours", str(HISTORY_HOURS))


async def _statistics(
    hass: Hass, statistic_ids: list[str], start: datetime, period: str
) -> dict[str, list[dict[str, Any]]]:
    """Return the recorder's rows (with their change) of statistics since start, per period."""
    rows: dict[str, list[dict[str, Any]]] = await hass.ws_command(
        "recorder/statistics_during_period",
        start_time=start.isoformat(),
        statistic_ids=statistic_ids,
        period=period,
        types=["change"],
    )
    return rows


async def _wait_for_import(hass: Hass, charger: str, car: str, since: datetime) -> float:
    """Wait until the charger's and car's energy statistics hold imported hours; return the seconds it took."""
    started = time.monotonic()
    while True:
        rows = await _statistics(hass, [charger, car], since, "hour")
        charged = {
            stat_id: sum(row["change"] or 0.0 for row in rows.get(stat_id, []))
            for stat_id in (charger, car)
        }
        if all(charged.values()):
            return time.monotonic() - started
        if time.monotonic() - started > IMPORT_WAIT:
            pytest.fail(f"nothing imported within {IMPORT_WAIT:.0f} s: {charged}")
        await asyncio.sleep(0.5)


async def _names(hass: Hass) -> dict[str, str]:
    """Return the names of the integration's statistics by id, as the recorder lists them."""
    listed = await hass.ws_command("recorder/list_statistic_ids", statistic_type="sum")
    return {row["statistic_id"]: row["name"] for row in listed if row["source"] == DOMAIN}


async def _day_of_the_most_charging(hass: Hass, car: str, since: datetime) -> date:
    """Return the local day (Home Assistant's time zone) in which the car charged the most."""
    zone = ZoneInfo((await hass.ws_command("get_config"))["time_zone"])
    days = (await _statistics(hass, [car], since, "day"))[car]
    busiest = max(days, key=lambda row: row["change"] or 0.0)
    assert busiest["change"] > 1, days  # a real charge, not a rounding remainder
    return datetime.fromtimestamp(busiest["start"] / 1000, zone).date()


async def test_the_energy_dashboard_shows_the_cars_imported_charging(
    browser: tuple[str, str],
    services: tuple[processes.Service, processes.Service],
    session: aiohttp.ClientSession,
) -> None:
    node, chromium = browser
    simulator, hass_service = services
    hass = await signed_in_with_credentials(hass_service.url, session)
    state = await SimulatorAdmin(simulator.url, session).state()
    evse_id, vehicle_id = state["evse_ids"][0], state["vehicle_ids"][0]
    charger, car = statistic_id(evse_id, "energy"), statistic_id(vehicle_id, "energy")
    since = datetime.now(UTC) - timedelta(hours=HISTORY_HOURS + 24)
    linked = await hass.link_account(DOMAIN)
    assert linked["type"] == "create_entry", linked

    waited = await _wait_for_import(hass, charger, car, since)
    names = await _names(hass)
    # No solar source: the home's solar statistic fills from 30 days back, a day every ten minutes, so the day of
    # the charge would show an empty solar chart for hours (test_energy_dashboard.py validates it).
    await hass.ws_command(
        "energy/save_prefs",
        device_consumption=[
            {"stat_consumption": charger},
            # The car charges at this charger: its energy is part of the charger's, not added to it.
            {"stat_consumption": car, "included_in_stat": charger},
        ],
    )
    validation = await hass.ws_command("energy/validate")
    assert all(issues == [] for group in validation.values() for issues in group), validation
    day = await _day_of_the_most_charging(hass, car, since)
    for old in OUT_DIR.glob("*.png"):
        old.unlink()

    steps = await run_browser_script(
        node,
        "energy_dashboard.mjs",
        {
            "HA_URL": hass.base_url,
            "HA_USERNAME": DEV_USERNAME,
            "HA_PASSWORD": DEV_PASSWORD,
            "CHARGE_DAY": day.isoformat(),
            "DEVICE_NAMES": json.dumps([names[car]]),
            "OUT_DIR": str(OUT_DIR),
            "CHROMIUM": chromium,
        },
        out_dir=OUT_DIR,
        within=BROWSER_TIMEOUT,
    )

    by_step = {step["step"]: step for step in steps if step["step"] != "http_settings_confirmed"}
    assert list(by_step) == ["logged_in", "dashboard_open", "device_chart"], steps
    shown = by_step["device_chart"]
    # The legend lists the devices with energy in the day shown: the car's statistic, by its name.
    assert any(names[car] in entry for entry in shown["legend"]), shown
    assert shown["days_back"] == 0 or shown["period"] != by_step["dashboard_open"]["period"]
    print(  # noqa: T201 - the run's timing, for the report
        f"statistics imported {waited:.0f} s after linking; charge day {day} ({shown['days_back']} days back)"
    )
    publish_screenshot(OUT_DIR / SCREENSHOT)
