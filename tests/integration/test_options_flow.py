"""The push options: where ev.energy should deliver, a fresh portal link, and the signing secret."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from unittest.mock import AsyncMock, patch

from homeassistant.components import webhook
from homeassistant.components.cloud import CloudNotConnected
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_energy.webhook import CONF_WEBHOOK_SECRET, async_get_receiver
from simulator.testing import Simulator

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
CLOUDHOOK = "https://hooks.nabu.casa/ev-energy-test"


@pytest.fixture(autouse=True)
async def external_url(hass: HomeAssistant) -> None:
    """An instance reachable over HTTPS from the internet."""
    await async_process_ha_core_config(hass, {"external_url": "https://home.example.com"})


async def _open(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    return dict(result)


async def _submit(hass: HomeAssistant, result: dict[str, Any], secret: str) -> dict[str, Any]:
    result = dict(
        await hass.config_entries.options.async_configure(
            result["flow_id"], {CONF_WEBHOOK_SECRET: secret}
        )
    )
    await hass.async_block_till_done()
    return result


def _our_webhooks(hass: HomeAssistant) -> list[str]:
    handlers = hass.data.get(webhook.DOMAIN, {})
    # HA 2025.4 keeps dicts, newer versions objects.
    return [
        hook_id
        for hook_id, hook in handlers.items()
        if (hook["domain"] if isinstance(hook, dict) else hook.domain) == "ev_energy"
    ]


async def test_the_form_shows_the_webhook_url_and_a_fresh_portal_link(
    hass: HomeAssistant, sim: Simulator, integration: MockConfigEntry
) -> None:
    result = await _open(hass, integration)
    webhook_id = integration.data[CONF_WEBHOOK_ID]
    placeholders = result["description_placeholders"]
    assert placeholders["webhook_url"] == f"https://home.example.com/api/webhook/{webhook_id}"
    assert placeholders["portal_url"].startswith(f"{sim.origin}/_portal/")
    assert not result["errors"]
    again = await _open(hass, integration)
    # The webhook stays the same; the portal link is one-time, so each opening asks for a new one.
    assert integration.data[CONF_WEBHOOK_ID] == webhook_id
    assert again["description_placeholders"]["portal_url"] != placeholders["portal_url"]
    assert [r.path for r in sim.requests].count("/v2/webhook_portal") == 2
    assert integration.state is ConfigEntryState.LOADED  # storing the webhook id did not reload


async def test_a_secret_turns_push_on_and_an_empty_one_off(
    hass: HomeAssistant, integration: MockConfigEntry
) -> None:
    assert _our_webhooks(hass) == []
    result = await _submit(hass, await _open(hass, integration), f"  {SECRET}\n")
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert integration.options == {CONF_WEBHOOK_SECRET: SECRET}
    assert integration.state is ConfigEntryState.LOADED
    assert _our_webhooks(hass) == [integration.data[CONF_WEBHOOK_ID]]
    assert async_get_receiver(hass, integration) is not None

    form = await _open(hass, integration)
    schema_key = next(iter(form["data_schema"].schema))
    assert schema_key.description == {"suggested_value": SECRET}
    result = await _submit(hass, form, "")
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert CONF_WEBHOOK_SECRET not in integration.options
    assert integration.state is ConfigEntryState.LOADED
    assert _our_webhooks(hass) == []


async def test_other_options_are_kept(hass: HomeAssistant, integration: MockConfigEntry) -> None:
    hass.config_entries.async_update_entry(integration, options={"other": 1})
    await _submit(hass, await _open(hass, integration), SECRET)
    assert integration.options == {"other": 1, CONF_WEBHOOK_SECRET: SECRET}
    await _submit(hass, await _open(hass, integration), "")
    assert integration.options == {"other": 1}


@pytest.mark.parametrize(
    "secret",
    [
        "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",  # the prefix left out when copying
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS",  # the last character left out
        "whsec_not base64!",
    ],
)
async def test_a_malformed_secret_is_refused_with_a_reason(
    hass: HomeAssistant, integration: MockConfigEntry, secret: str
) -> None:
    result = await _submit(hass, await _open(hass, integration), secret)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_secret"}
    assert integration.options == {}
    result = await _submit(hass, result, SECRET)
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_a_plain_http_url_is_shown_with_a_warning(
    hass: HomeAssistant, integration: MockConfigEntry
) -> None:
    hass.config.external_url = None
    hass.config.internal_url = "http://192.168.1.20:8123"
    result = await _open(hass, integration)
    assert result["description_placeholders"]["webhook_url"].startswith(
        "http://192.168.1.20:8123/api/webhook/"
    )
    assert result["errors"] == {"base": "webhook_not_https"}


def _no_instance_url(hass: HomeAssistant, sim: Simulator) -> None:
    hass.config.external_url = hass.config.internal_url = None
    hass.config.api = None


def _portal_link_fails(hass: HomeAssistant, sim: Simulator) -> None:
    sim.faults.server_errors(20, status=503, path_prefix="/v2/webhook_portal")


@pytest.mark.parametrize(
    ("break_it", "error", "placeholder"),
    [
        (_no_instance_url, "no_url_available", "webhook_url"),
        (_portal_link_fails, "portal_unavailable", "portal_url"),
    ],
)
async def test_what_cannot_be_shown_is_a_translated_error_not_a_traceback(
    hass: HomeAssistant,
    sim: Simulator,
    integration: MockConfigEntry,
    *,
    break_it: Callable[[HomeAssistant, Simulator], None],
    error: str,
    placeholder: str,
) -> None:
    break_it(hass, sim)
    result = await _open(hass, integration)
    assert result["errors"] == {"base": error}
    assert result["description_placeholders"][placeholder] == ""
    # Push can still be switched on (the URL typed in ev.energy's portal by hand) or off.
    assert (await _submit(hass, result, SECRET))["type"] is FlowResultType.CREATE_ENTRY


async def test_an_entry_that_is_not_loaded_has_no_portal_link(
    hass: HomeAssistant, sim: Simulator, integration: MockConfigEntry
) -> None:
    assert await hass.config_entries.async_unload(integration.entry_id)
    mark = len(sim.requests)
    result = await _open(hass, integration)
    assert result["errors"] == {"base": "portal_unavailable"}
    assert sim.requests[mark:] == []


async def test_with_home_assistant_cloud_the_cloudhook_is_shown(
    hass: HomeAssistant, integration: MockConfigEntry
) -> None:
    hass.config.external_url = None
    with (
        patch("homeassistant.components.cloud.async_active_subscription", return_value=True),
        patch(
            "homeassistant.components.cloud.async_get_or_create_cloudhook",
            AsyncMock(return_value=CLOUDHOOK),
        ) as create,
    ):
        result = await _open(hass, integration)
    create.assert_awaited_once_with(hass, integration.data[CONF_WEBHOOK_ID])
    assert result["description_placeholders"]["webhook_url"] == CLOUDHOOK
    assert not result["errors"]


async def test_with_cloud_disconnected_the_instance_url_is_shown(
    hass: HomeAssistant, integration: MockConfigEntry
) -> None:
    with (
        patch("homeassistant.components.cloud.async_active_subscription", return_value=True),
        patch(
            "homeassistant.components.cloud.async_get_or_create_cloudhook",
            AsyncMock(side_effect=CloudNotConnected),
        ),
    ):
        result = await _open(hass, integration)
    assert result["description_placeholders"]["webhook_url"].startswith(
        "https://home.example.com/api/webhook/"
    )
