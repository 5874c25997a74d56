"""Push turned on as a user does: the options form's webhook URL added on the simulator's portal, its secret given."""

from __future__ import annotations

import re

import aiohttp

from scripts.devtools.hass import Hass

DOMAIN = "ev_energy"
OPTIONS_FLOW = "/api/config/config_entries/options/flow"


async def turn_push_on(hass: Hass, session: aiohttp.ClientSession) -> str:
    """Turn push on for the loaded entry through its options form; return the webhook URL the form offered."""
    entry = (await hass.config_entries(DOMAIN))[0]
    form = await hass.request("POST", OPTIONS_FLOW, payload={"handler": entry["entry_id"]})
    placeholders = form["description_placeholders"]
    secret = await add_endpoint(session, placeholders["portal_url"], placeholders["webhook_url"])
    done = await hass.request(
        "POST", f"{OPTIONS_FLOW}/{form['flow_id']}", payload={"webhook_secret": secret}
    )
    assert done["type"] == "create_entry", done
    return str(placeholders["webhook_url"])


async def add_endpoint(session: aiohttp.ClientSession, portal_url: str, url: str) -> str:
    """Add ``url`` on the simulator's webhook portal, as a user would; return the secret it shows."""
    async with session.post(portal_url, data={"url": url}) as reply:
        page = await reply.text()
    found = re.search(r"<code id='secret'>(whsec_[^<]+)</code>", page)
    assert found is not None, page
    return found.group(1)
