"""A real browser adds ev.energy through Home Assistant's UI and consents on the simulator's page, then plugs the car in on the simulator's control page.

Debian's Chromium, driven by npm's playwright-core (tests/e2e/browser/add_integration.mjs): log in
through the login form, Settings -> Devices & services -> Add integration -> ev.energy, Allow on the
simulator's consent page (the simulator runs without --demo-approve), the success dialog, then the
vehicle's device page, screenshotted; then "Plug in" on the simulator's /_admin/ page and the device page
again once it shows plugged in. Screenshots go into artifacts/e2e/browser (and docs/screenshots/ when missing
or EV_ENERGY_UPDATE_SCREENSHOTS=1).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
import json
import os
import shutil

import aiohttp
import pytest

from scripts.devtools.hass import DEV_PASSWORD, DEV_USERNAME, Hass

from . import processes
from .browser_setup import (
    BROWSER_DIR,
    BrowserUnavailableError,
    ensure_chromium,
    ensure_playwright,
    simulator_and_home_assistant,
)
from .simulator_admin import SimulatorAdmin

pytestmark = pytest.mark.e2e

DOMAIN = "ev_energy"
SCREENSHOTS = processes.ROOT / "docs" / "screenshots"
README_SCREENSHOTS = ("vehicle-device.png", "vehicle-plugged-in.png")
OUT_DIR = processes.ARTIFACTS / "browser"
# The plug-in reaches Home Assistant at its next poll: up to 5 minutes while nothing charges.
BROWSER_TIMEOUT = 600
# The simulator samples every 60 s (--sample-interval below).
REPORT_WAIT = 130


@pytest.fixture(scope="module")
def browser() -> tuple[str, str]:
    """Node and Chromium, installed when missing; skip only where Chromium cannot be had."""
    try:
        node = ensure_playwright()
        chromium = ensure_chromium()
    except BrowserUnavailableError as err:
        pytest.skip(str(err))
    return node, chromium


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[processes.Service, ...]]:
    """The simulator with its consent page (real time) and a fresh Home Assistant."""
    # Real time, reports every minute (as the demo): the plug-in shows at Home Assistant's next poll.
    with simulator_and_home_assistant(
        tmp_path_factory.mktemp("browser"),
        logs_into=OUT_DIR,
        simulator_args=("--sample-interval", "60"),
    ) as started:
        yield started


async def test_add_integration_in_the_browser(
    browser: tuple[str, str],
    services: tuple[processes.Service, processes.Service],
    session: aiohttp.ClientSession,
) -> None:
    """The whole UI path ends with a loaded entry and a screenshot of the vehicle's device page."""
    node, chromium = browser
    simulator, hass_service = services
    hass = Hass(hass_service.url, session)
    # Onboarding and the credentials are not what this test is about: the API does them.
    await hass.sign_in()
    await hass.ensure_application_credentials(
        DOMAIN, "ha-test-client", "ha-test-secret", "simulator"
    )
    sim = SimulatorAdmin(simulator.url, session)
    vehicle_id = (await sim.state())["vehicle_ids"][0]
    vehicle_name = (await sim.device("vehicles", vehicle_id))["description"]
    # Whatever the time of day, the car starts unplugged so that "Plug in" is what changes it.
    async with session.post(
        f"{simulator.url}/_admin/vehicles/{vehicle_id}", json={"plugged_in": False}
    ) as reply:
        assert reply.status == 200
    # The car reports once a minute: until its next report the API still says plugged in.
    await _wait_for_plugged_in(sim, vehicle_id, False)

    if OUT_DIR.exists():
        for old in OUT_DIR.glob("*.png"):
            old.unlink()
    env = processes.base_env() | {
        "HA_URL": hass.base_url,
        "HA_USERNAME": DEV_USERNAME,
        "HA_PASSWORD": DEV_PASSWORD,
        "INTEGRATION_NAME": "ev.energy",
        "DEVICE_NAME": vehicle_name,
        "OUT_DIR": str(OUT_DIR),
        "CHROMIUM": chromium,
        "ADMIN_URL": simulator.url,
    }
    script = await asyncio.create_subprocess_exec(
        node,
        str(BROWSER_DIR / "add_integration.mjs"),
        cwd=BROWSER_DIR,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(BROWSER_TIMEOUT):
            out, err = await script.communicate()
    finally:
        if script.returncode is None:
            script.kill()
            await script.wait()
    stdout, stderr = out.decode(errors="replace"), err.decode(errors="replace")
    steps = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    assert script.returncode == 0, (
        f"browser script failed (screenshots in {OUT_DIR}):\n{stdout}\n{stderr}"
    )
    assert [step["step"] for step in steps if step["step"] != "http_settings_confirmed"] == [
        "logged_in",
        "integration_picked",
        "consent_page",
        "consent_given",
        "entry_created",
        "device_page",
        "unplugged_shown",
        "admin_plugged_in",
        "plugged_in_shown",
    ]
    consent = next(step for step in steps if step["step"] == "consent_page")
    assert consent["url"].startswith(f"{simulator.url}/o/authorize/")

    entries = await hass.config_entries(DOMAIN)
    assert len(entries) == 1
    assert entries[0]["state"] == "loaded"
    devices = await hass.device_registry(entries[0]["entry_id"])
    assert any([DOMAIN, vehicle_id] in device["identifiers"] for device in devices)

    vehicle = await sim.device("vehicles", vehicle_id)
    assert vehicle["latest_status_log"]["is_plugged_in"] is True
    # The documentation's pictures (README, CONTRIBUTING.md): written when missing or asked for, so test runs don't dirty the tree.
    for name in README_SCREENSHOTS:
        screenshot = OUT_DIR / name
        assert screenshot.stat().st_size > 10_000
        target = SCREENSHOTS / name
        if not target.exists() or os.environ.get("EV_ENERGY_UPDATE_SCREENSHOTS") == "1":
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(screenshot, target)


async def _wait_for_plugged_in(sim: SimulatorAdmin, vehicle_id: str, plugged_in: bool) -> None:
    """Wait (at most two report intervals) until the car's latest report says ``plugged_in``."""
    async with asyncio.timeout(REPORT_WAIT):
        while True:
            vehicle = await sim.device("vehicles", vehicle_id)
            if vehicle["latest_status_log"]["is_plugged_in"] is plugged_in:
                return
            await asyncio.sleep(1)
