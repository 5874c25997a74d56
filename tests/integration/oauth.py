"""Consenting on the simulator's ev.energy authorize page, as a user's browser would."""

from __future__ import annotations

import html
import re

import aiohttp
from yarl import URL

from simulator.testing import Simulator

_HIDDEN = re.compile(r"<input type='hidden' name='([^']+)' value='([^']*)'>")


async def consent_in_simulator(
    sim: Simulator, authorize_url: str, *, user_id: str | None = None, allow: bool = True
) -> tuple[str, str]:
    """Open the consent page, press Allow (or Deny), and return the code and state sent back."""
    url = URL(authorize_url)
    if user_id is not None:
        url = url.update_query(login_hint=user_id)
    async with aiohttp.ClientSession() as session:
        async with session.get(url, allow_redirects=False) as page:
            assert page.status == 200, await page.text()
            fields = {
                name: html.unescape(value) for name, value in _HIDDEN.findall(await page.text())
            }
        fields["allow"] = "Authorize" if allow else "Deny"
        async with session.post(
            f"{sim.origin}/o/authorize/", data=fields, allow_redirects=False
        ) as answer:
            assert answer.status == 302, await answer.text()
            back = URL(answer.headers["Location"])
    return back.query.get("code", ""), back.query.get("state", "")
