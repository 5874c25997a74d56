"""The options of a linked ev.energy entry show, in a real browser, what a user needs to turn push on.

The account is linked through the API (the consent page is test_browser.py's subject), and Home Assistant
gets an external HTTPS URL, as push needs. tests/e2e/browser/push_options.mjs then logs in and opens
Settings -> Devices & services -> ev.energy -> Configure: the form must show its title and description, the
entry's webhook URL on the external address, a fresh link to the simulator's webhook portal and the
signing-secret field. The screenshot goes to artifacts/e2e/browser-push and, when missing or with
EV_ENERGY_UPDATE_SCREENSHOTS=1, to docs/screenshots/ (the README's push section shows it). The simulator and a
fresh Home Assistant come from the ``services`` fixture of conftest.py (their logs go to OUT_DIR too).
"""

from __future__ import annotations

import json
import re

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

pytestmark = pytest.mark.e2e

DOMAIN = "ev_energy"
ENGLISH = json.loads(
    (processes.ROOT / "custom_components" / DOMAIN / "translations" / "en.json").read_text("utf-8")
)
# Documentation's own domain: the address is only shown, never called.
EXTERNAL_URL = "https://home.example.com"
SCREENSHOT = "push-options.png"
OUT_DIR = processes.ARTIFACTS / "browser-push"


async def test_push_options_show_the_webhook_url_and_the_portal_link(
    browser: tuple[str, str],
    services: tuple[processes.Service, processes.Service],
    session: aiohttp.ClientSession,
) -> None:
    node, chromium = browser
    simulator, hass_service = services
    hass = await signed_in_with_credentials(hass_service.url, session)
    linked = await hass.link_account(DOMAIN)
    assert linked["type"] == "create_entry", linked
    await hass.ws_command("config/core/update", external_url=EXTERNAL_URL)
    form = ENGLISH["options"]["step"]["init"]
    title = form["title"]
    intro = form["description"].split("\n\n")[0]
    portal_link = re.search(r"\[([^\]]+)\]\(\{portal_url\}\)", form["description"])
    assert portal_link is not None
    for old in OUT_DIR.glob("*.png"):
        old.unlink()

    steps = await run_browser_script(
        node,
        "push_options.mjs",
        {
            "HA_URL": hass.base_url,
            "HA_USERNAME": DEV_USERNAME,
            "HA_PASSWORD": DEV_PASSWORD,
            "DOMAIN": DOMAIN,
            "FORM_TITLE": title,
            "FORM_INTRO": intro,
            "WEBHOOK_URL_PREFIX": f"{EXTERNAL_URL}/api/webhook/",
            "OUT_DIR": str(OUT_DIR),
            "CHROMIUM": chromium,
        },
        out_dir=OUT_DIR,
        within=BROWSER_TIMEOUT,
    )

    by_step = {step["step"]: step for step in steps if step["step"] != "http_settings_confirmed"}
    assert list(by_step) == ["logged_in", "configure_clicked", "options_form"]
    # The script reports the form only once it shows the title and the description's first paragraph.
    shown = by_step["options_form"]
    # The entry's own webhook, on the external HTTPS address: no "not HTTPS" warning, no other error.
    assert re.fullmatch(
        rf"{re.escape(EXTERNAL_URL)}/api/webhook/[0-9a-f]{{32,}}", shown["webhook_url"]
    )
    assert shown["errors"] == []
    # A one-time link the simulator's API handed out just now, under the link text of the description.
    assert shown["portal_text"] == portal_link[1]
    assert re.fullmatch(rf"{re.escape(simulator.url)}/_portal/[\w-]+", shown["portal_href"])
    publish_screenshot(OUT_DIR / SCREENSHOT)
