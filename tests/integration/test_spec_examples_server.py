"""Set-up against a server that answers as ev.energy's documentation does: the spec's own examples.

The documentation's mock server answers each operation with its example (or one built from the examples of its
schema's properties) and gives every page of a list a next link on ``https://api.ev.energy``, which the client
must not follow (the token is never sent to another server). A list cut short is still data: the account links,
and the devices the first pages hold are shown.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
import re
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer
from homeassistant import config_entries
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from yarl import URL

from custom_components.ev_energy.const import API_ORIGIN_ENV, DOMAIN
from tests.openapi import Spec

DOCUMENTED_ORIGIN = "https://api.ev.energy"
TOKEN = {
    "access_token": "example-access",
    "refresh_token": "example-refresh",
    "token_type": "Bearer",
    "expires_in": 36000,
}


class SpecExamples:
    """Answers built from an OpenAPI document's examples, as a documentation mock server does."""

    def __init__(self, spec: Spec) -> None:
        """Index the document's GET operations by a pattern of their path."""
        self.spec = spec
        self.paths = [
            (re.compile("^" + re.sub(r"\{[^/]+\}", "[^/]+", path) + "$"), path)
            for path, item in spec.document["paths"].items()
            if "get" in item
        ]
        # Literal paths first: /users/me must not be taken for /users/{user_id}.
        self.paths.sort(key=lambda entry: entry[1].count("{"))

    def answer(self, path: str) -> tuple[Any, bool] | None:
        """Return the body for GET ``path`` (below /v2) and whether it is a list, or None (404)."""
        spec_path = next(
            (spec_path for pattern, spec_path in self.paths if pattern.match(path)), None
        )
        if spec_path is None:
            return None
        if examples := self.spec.examples("get", spec_path, success=True):
            body = examples[0][1]
        else:
            body = self.spec.example_of(self._success_schema(spec_path))
        return body, isinstance(body, list)

    def _success_schema(self, spec_path: str) -> Any:
        for code, response in self.spec.document["paths"][spec_path]["get"]["responses"].items():
            if str(code).startswith("2"):
                for content in self.spec.resolve(response).get("content", {}).values():
                    return content.get("schema", {})
        return {}


@pytest.fixture
async def documentation_server(
    hass: HomeAssistant,
    openapi_spec: dict[str, Any],
    local_sockets: None,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[list[URL]]:
    """Serve the spec's examples on 127.0.0.1 as the integration's ev.energy; yield the URLs asked."""
    examples = SpecExamples(Spec(openapi_spec))
    asked: list[URL] = []

    async def token(_request: web.Request) -> web.Response:
        return web.json_response(TOKEN)

    async def api(request: web.Request) -> web.Response:
        asked.append(request.url)
        found = examples.answer(request.path.removeprefix("/v2") or "/")
        if found is None:
            return web.json_response({"title": "Not Found", "status": 404}, status=404)
        body, is_list = found
        headers = {}
        if is_list:
            # Every page links to a next one, on the documented server.
            headers["Link"] = f'<{DOCUMENTED_ORIGIN}{request.path}?page_after=x>; rel="next"'
        return web.json_response(body, headers=headers)

    app = web.Application()
    app.router.add_post("/o/token/", token)
    app.router.add_get("/v2{tail:.*}", api)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    monkeypatch.setenv(API_ORIGIN_ENV, str(server.make_url("")).rstrip("/"))
    yield asked
    await server.close()


@pytest.mark.usefixtures("current_request_with_host", "credentials")
async def test_the_account_links_and_shows_values_against_the_documentations_examples(
    hass: HomeAssistant,
    documentation_server: list[URL],
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    state = URL(result["url"]).query["state"]
    http = await hass_client_no_auth()
    assert (await http.get(f"/auth/external/callback?code=x&state={state}")).status == 200
    result = await hass.config_entries.flow.async_configure(result["flow_id"])

    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    await hass.async_block_till_done()
    entry = result["result"]
    assert entry.state is config_entries.ConfigEntryState.LOADED
    # The token went to this server only: no request left for the documented origin.
    assert all(url.host == "127.0.0.1" for url in documentation_server)
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    assert len(devices) > 1, "the account and the devices of the first pages"
    shown = [
        state
        for registered in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        if (state := hass.states.get(registered.entity_id)) is not None
        and state.state not in ("unavailable", "unknown")
    ]
    assert shown, "no entity shows a value"
    await hass.config_entries.async_unload(entry.entry_id)
