"""Push turned on as a user does: the options form's webhook URL added on the simulator's portal, its secret given."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import aiohttp

from scripts.devtools.hass import Hass

DOMAIN = "ev_energy"
OPTIONS_FLOW = "/api/config/config_entries/options/flow"
# The entry's reload with push on: its first poll and readers, on a loaded machine.
RELOAD_TIMEOUT = 60.0


async def turn_push_on(hass: Hass, session: aiohttp.ClientSession) -> str:
    """Turn push on for the loaded entry through its options form; return the webhook URL the form offered.

    Returns once the entry has reloaded with push on: a message sent while it reloads reaches no webhook (Home
    Assistant answers 200 to a webhook not registered yet), so a test that sends one must wait for this.
    """
    entry = (await hass.config_entries(DOMAIN))[0]
    form = await hass.request("POST", OPTIONS_FLOW, payload={"handler": entry["entry_id"]})
    placeholders = form["description_placeholders"]
    secret = await add_endpoint(session, placeholders["portal_url"], placeholders["webhook_url"])
    async with hass.websocket() as ws:
        await ws.send_json({"id": 1, "type": "config_entries/subscribe"})
        done = await hass.request(
            "POST", f"{OPTIONS_FLOW}/{form['flow_id']}", payload={"webhook_secret": secret}
        )
        assert done["type"] == "create_entry", done
        async with asyncio.timeout(RELOAD_TIMEOUT):
            await _reloaded(ws, entry["entry_id"])
    return str(placeholders["webhook_url"])


async def _reloaded(ws: aiohttp.ClientWebSocketResponse, entry_id: str) -> None:
    """Wait until the entry, after leaving the loaded state, is loaded again (its set-up has finished)."""
    left_loaded = False
    while True:
        message: dict[str, Any] = await ws.receive_json()
        if message.get("type") != "event":
            continue
        for change in message["event"]:
            if change["entry"]["entry_id"] != entry_id or change.get("type") is None:
                continue  # the list of entries as they were when subscribing
            loaded = change["entry"]["state"] == "loaded"
            if loaded and left_loaded:
                return
            left_loaded = left_loaded or not loaded


async def add_endpoint(session: aiohttp.ClientSession, portal_url: str, url: str) -> str:
    """Add ``url`` on the simulator's webhook portal, as a user would; return the secret it shows."""
    async with session.post(portal_url, data={"url": url}) as reply:
        page = await reply.text()
    found = re.search(r"<code id='secret'>(whsec_[^<]+)</code>", page)
    assert found is not None, page
    return found.group(1)
