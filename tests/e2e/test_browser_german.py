"""A Home Assistant set to German, in a German browser, shows ev.energy in German.

Home Assistant's language (``config/core/update``) names the entities; the browser's language (de-DE)
picks the frontend's. tests/e2e/browser/german_ui.mjs starts the ev.energy flow as an "add integration"
link does, allows access on the simulator's consent page, waits for the flow's last step in German, then
finds the German entity names on the vehicle's device page. The screenshots go to artifacts/e2e/browser-de
and, when missing or with EV_ENERGY_UPDATE_SCREENSHOTS=1, to docs/screenshots/. The simulator and a fresh
Home Assistant come from the ``services`` fixture of conftest.py (their logs go to OUT_DIR too).
"""

from __future__ import annotations

import json

import aiohttp
import pytest

from scripts.devtools.hass import DEV_PASSWORD, DEV_USERNAME

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
GERMAN = json.loads(
    (processes.ROOT / "custom_components" / DOMAIN / "translations" / "de.json").read_text("utf-8")
)
SCREENSHOTS = ("config-flow-de.png", "vehicle-device-de.png")
OUT_DIR = processes.ARTIFACTS / "browser-de"


async def test_german_home_assistant_shows_the_flow_and_entities_in_german(
    browser: tuple[str, str],
    services: tuple[processes.Service, processes.Service],
    session: aiohttp.ClientSession,
) -> None:
    node, chromium = browser
    simulator, hass_service = services
    hass = await signed_in_with_credentials(hass_service.url, session)
    await hass.ws_command("config/core/update", language="de")
    sim = SimulatorAdmin(simulator.url, session)
    vehicle_id = (await sim.state())["vehicle_ids"][0]
    vehicle_name = (await sim.device("vehicles", vehicle_id))["description"]
    names = GERMAN["entity"]
    entity_names = [
        names["sensor"]["battery_level"]["name"],  # Batteriestand
        names["sensor"]["target_level"]["name"],  # Ladelimit des Autos
        names["number"]["target_charge_level"]["name"],  # Ziel-Ladestand
    ]
    for old in OUT_DIR.glob("*.png"):
        old.unlink()

    steps = await run_browser_script(
        node,
        "german_ui.mjs",
        {
            "HA_URL": hass.base_url,
            "HA_USERNAME": DEV_USERNAME,
            "HA_PASSWORD": DEV_PASSWORD,
            "DOMAIN": DOMAIN,
            "FLOW_SUCCESS_TEXT": GERMAN["config"]["create_entry"]["default"],
            "DEVICE_NAME": vehicle_name,
            "ENTITY_NAMES": json.dumps(entity_names),
            "OUT_DIR": str(OUT_DIR),
            "CHROMIUM": chromium,
        },
        out_dir=OUT_DIR,
        within=BROWSER_TIMEOUT,
    )

    by_step = {step["step"]: step for step in steps if step["step"] != "http_settings_confirmed"}
    assert list(by_step) == [
        "logged_in",
        "flow_confirmed",
        "consent_page",
        "consent_given",
        "flow_success_in_german",
        "device_page_in_german",
    ]
    assert by_step["logged_in"]["language"] == "de"
    assert by_step["device_page_in_german"]["shown"] == entity_names
    # Home Assistant itself names the entities in German, as the frontend shows them.
    friendly = {
        state["attributes"].get("friendly_name") for state in (await hass.states()).values()
    }
    assert {f"{vehicle_name} {name}" for name in entity_names} <= friendly
    for name in SCREENSHOTS:
        publish_screenshot(OUT_DIR / name)
